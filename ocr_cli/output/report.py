"""What the commands show: rich progress bars on stderr, tables and JSON for stdout."""

from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table


@contextmanager
def epoch_progress(label, epochs, describe):
    """A progress bar on stderr over ``epochs``, labelled ``label``; yields the
    ``on_epoch(record)`` callback that advances it and shows ``describe(record)``.
    When stderr is not a terminal (a log file), one plain line per epoch instead."""
    console = Console(stderr=True)
    progress = Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[status]}"),
                        TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                        console=console, disable=not console.is_terminal)
    with progress:
        task = progress.add_task("epochs", total=epochs, status="")

        def on_epoch(record):
            progress.update(task, advance=1, status=describe(record))
            if not console.is_terminal:
                console.print(f"{label} epoch {record['epoch']}/{epochs}: {describe(record)}  "
                              f"{record['seconds']:.0f} s", highlight=False)

        yield on_epoch


@contextmanager
def file_progress(total, quiet=False):
    """A progress bar on stderr over ``total`` files when stderr is a terminal (and
    not ``quiet``) and there is more than one file; yields ``advance()``."""
    console = Console(stderr=True)
    progress = Progress(TextColumn("reading"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        TextColumn("ETA"), TimeRemainingColumn(), console=console, transient=True,
                        disable=quiet or total < 2 or not console.is_terminal)
    with progress:
        task = progress.add_task("files", total=total)
        yield lambda: progress.update(task, advance=1)


def train_with_progress(config, train_set, valid_set, command=None, checkpoint=None, resume=None):
    """:func:`ocr_cli.net.train.train` under a progress bar (epoch, loss, accuracies, ETA)."""
    from ocr_cli.net.train import train

    def describe(r):
        return f"loss {r['train_loss']:.4f}  train {r['train_acc']:.2%}  valid {r['valid_acc']:.2%}"

    with epoch_progress(f"lr {config.lr:g}", config.epochs, describe) as on_epoch:
        return train(train_set, valid_set, config, on_epoch, command, checkpoint, resume)


def print_runs(console, runs, best, out):
    """Summary table: one row per run (several when the learning rate is studied): epochs
    run and seconds, then the figures of the epoch kept (the last, or the best with
    early stopping) and the best valid accuracy seen."""
    from rich import box

    # Two-line headers and no column rules: nine columns in 80 characters.
    table = Table(title="training summary", box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False,
                  collapse_padding=True)
    for column in ("lr", "epochs", "seconds", "kept\nepoch", "train\nloss", "train\nacc", "valid\nloss", "valid\nacc",
                   "best valid\n(epoch)"):
        table.add_column(column, justify="right")
    for run in runs:
        f, last = run.final, run.history[-1]
        peak = max(run.history, key=lambda r: r["valid_acc"])
        table.add_row(f"{run.config.lr:g}", str(last["epoch"]), f"{last['seconds']:.1f}", str(f["epoch"]), f"{f['train_loss']:.4f}",
                      f"{f['train_acc']:.2%}", f"{f['valid_loss']:.4f}", f"{f['valid_acc']:.2%}",
                      f"{peak['valid_acc']:.2%} ({peak['epoch']})", style="bold" if run is best and len(runs) > 1 else None)
    console.print(table)
    console.print(f"saved {out} (lr {best.config.lr:g}, valid accuracy {best.final['valid_acc']:.2%})")


def runs_json(runs, best, out):
    return {"model": str(out), "saved_lr": best.config.lr,
            "runs": [{"config": run.model.metadata["training"]["config"], "history": run.history} for run in runs]}


def evaluation_json(result, classes, path):
    return {"file": str(path), "samples": int(result.confusion.sum()), "accuracy": result.accuracy,
            "loss": result.loss, "per_class": dict(zip(classes, result.per_class.tolist()))}


def print_evaluation(console, result, classes, path):
    """Accuracy and mean loss, then per-class accuracy, worst first."""
    console.print(f"{path}: {int(result.confusion.sum())} samples")
    console.print(f"accuracy  {result.accuracy:.2%}")
    console.print(f"mean loss {result.loss:.4f}")
    table = Table(title="per-class accuracy (worst first)")
    for column in ("class", "accuracy", "correct", "samples", "most often read as"):
        table.add_column(column, justify="right")
    for i in sorted(range(len(classes)), key=lambda i: (result.per_class[i], classes[i])):
        row = result.confusion[i].copy()
        row[i] = 0
        table.add_row(classes[i], f"{result.per_class[i]:.1%}", str(result.confusion[i, i]),
                      str(result.confusion[i].sum()), f"{classes[row.argmax()]} ({row.max()})" if row.max() else "-")
    console.print(table)


def print_pairs(console, pairs, result, path):
    console.print(f"{path}: accuracy {result.accuracy:.2%}")
    table = Table(title="most confused pairs")
    for column in ("true", "predicted", "count"):
        table.add_column(column, justify="right")
    for true, predicted, count in pairs:
        table.add_row(true, predicted, str(count))
    console.print(table)


def print_compression(console, rows, pca):
    """The autoencoder and PCA side by side: ``rows`` of dicts with method, code size,
    parameters, PSNR on the evaluated file and training seconds; then the PCA basis."""
    table = Table(title="compressing 32x32 characters to 32 numbers")
    for column in ("method", "code", "parameters", "PSNR (dB)", "train s"):
        table.add_column(column, justify="right")
    for row in rows:
        seconds = "" if row["seconds"] is None else f"{row['seconds']:.1f}"
        table.add_row(row["method"], str(row["code"]), f"{row['parameters']:,}", f"{row['psnr']:.2f}", seconds)
    console.print(table)
    if pca:
        console.print(f"PCA projection matrix: shape {tuple(pca['shape'])}, rank {pca['rank']}")
