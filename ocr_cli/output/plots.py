"""Every figure the tool draws. matplotlib is imported here only, on first use."""

import numpy as np

from ocr_cli.layout import upright


def pyplot():
    """matplotlib.pyplot on the file-only Agg backend (imported lazily: it is slow)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def epoch_axis(ax):
    """Whole-number ticks on an x axis of epochs."""
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def save(fig, path):
    """Writes ``fig`` to ``path`` (its extension gives the format) whole or not at all
    (:func:`~ocr_cli.files.write_whole`) and closes it; matplotlib failing to draw it
    is an :class:`~ocr_cli.errors.InputError` naming ``path``, the disk failing an
    :class:`~ocr_cli.errors.OcrError`."""
    from pathlib import Path

    from ocr_cli.errors import InputError, OcrError
    from ocr_cli.files import write_whole

    try:
        write_whole(path, lambda f: fig.savefig(f, format=Path(path).suffix[1:].lower(), dpi=120,
                                                bbox_inches="tight"), "figure")
    except OcrError:
        raise
    except Exception as exc:  # noqa: BLE001 - whatever matplotlib raises, one line naming the file
        raise InputError(path, f"cannot write the figure ({type(exc).__name__}: {exc})") from None
    finally:
        pyplot().close(fig)


def plot_curves(history, key, ylabel, path):
    """Train and valid ``key`` (``"acc"`` or ``"loss"``) per epoch of one run."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    epochs = [r["epoch"] for r in history]
    for split in ("train", "valid"):
        ax.plot(epochs, [r[f"{split}_{key}"] for r in history], label=split)
    ax.set(xlabel="epoch", ylabel=ylabel, title=f"{ylabel} per epoch")
    epoch_axis(ax)
    ax.grid(alpha=0.3)
    ax.legend()
    save(fig, path)


def plot_weights(W, path, title, limit):
    """First-layer weights ``W: (side * side, H)`` (a dense layer's 32x32 inputs or a
    convolution's k x k filters) as a grid of images (at most 8x8), on the colour scale
    ``-limit..limit`` (shared between figures to compare them)."""
    plt = pyplot()
    side = int(round(np.sqrt(W.shape[0])))
    n = min(W.shape[1], 64)
    cols = int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.1 + 1, rows * 1.1 + 0.4), squeeze=False, layout="constrained")
    for j, ax in enumerate(axes.flat):
        ax.axis("off")
        if j < n:
            image = ax.imshow(W[:, j].reshape(side, side).T, cmap="RdBu_r", vmin=-limit, vmax=limit)
    fig.colorbar(image, ax=axes, shrink=0.6, label="weight")
    fig.suptitle(title)
    save(fig, path)


def plot_lr_study(runs, path):
    """``runs``: ``{lr: history}``; valid (solid) and train (dashed) loss and accuracy
    per epoch, one colour per learning rate."""
    plt = pyplot()
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 4))
    for (lr, history), colour in zip(runs.items(), plt.cm.viridis(np.linspace(0, 0.9, len(runs)))):
        epochs = [r["epoch"] for r in history]
        for ax, key in ((ax_loss, "loss"), (ax_acc, "acc")):
            ax.plot(epochs, [r[f"valid_{key}"] for r in history], color=colour, label=f"lr {lr:g} valid")
            ax.plot(epochs, [r[f"train_{key}"] for r in history], color=colour, ls="--", label=f"lr {lr:g} train")
    ax_loss.set(xlabel="epoch", ylabel="mean cross-entropy", title="loss per epoch")
    ax_acc.set(xlabel="epoch", ylabel="accuracy", title="accuracy per epoch")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        epoch_axis(ax)
    ax_acc.legend(fontsize=8)
    save(fig, path)


def plot_confusion(confusion, classes, path, title="confusion matrix"):
    """``confusion: (C, C)`` counts (rows true, columns predicted) with labelled axes,
    each non-zero count written in its cell (dark text on light cells), a log colour
    bar, and ``title`` (say, the model and the file) above the sample count."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(11, 10))
    image = ax.imshow(confusion, cmap="viridis", norm="log" if confusion.max() > 0 else None)
    ticks = np.arange(len(classes))
    ax.set_xticks(ticks, list(classes), fontsize=8)
    ax.set_yticks(ticks, list(classes), fontsize=8)
    light = image.norm(np.maximum(confusion, 1)) > 0.6  # viridis is light (yellow) at its top
    for (i, j), count in np.ndenumerate(confusion):
        if count:
            ax.text(j, i, str(int(count)), ha="center", va="center", fontsize=6,
                    color="black" if light[i, j] else "white")
    ax.set(xlabel="predicted", ylabel="true")
    ax.set_title(f"{title}\n{int(confusion.sum())} samples, rows true, columns predicted")
    bar = fig.colorbar(image, ax=ax, shrink=0.8)
    bar.set_label("count (log scale)", fontsize=11)
    bar.ax.tick_params(labelsize=10)
    save(fig, path)


TRAINING_FIGURES = ("accuracy.png", "loss.png", "weights_init.png", "weights_trained.png")
LR_STUDY_FIGURE = "lr_study.png"  # with several runs
AUTOENCODER_FIGURES = ("ae_reconstructions.png", "ae_loss.png")  # the loss only after training


def plot_training(runs, best, folder):
    """The training figures in ``folder``: accuracy and loss curves and first-layer
    weights at init and after training of the saved run, and with several runs the
    learning-rate study."""
    accuracy, loss, initial, after = (folder / name for name in TRAINING_FIGURES)
    plot_curves(best.history, "acc", "accuracy", accuracy)
    plot_curves(best.history, "loss", "mean cross-entropy", loss)
    trained = best.model.net.params[0]
    limit = float(max(np.abs(best.initial_weights).max(), np.abs(trained).max()))
    plot_weights(best.initial_weights, initial, "first-layer weights at initialisation", limit)
    plot_weights(trained, after, "first-layer weights after training", limit)
    if len(runs) > 1:
        plot_lr_study({run.config.lr: run.history for run in runs}, folder / LR_STUDY_FIGURE)


def plot_boxes(gray, factor, page, path, unsure, title=None):
    """The photo ``gray: (H, W)`` (each pixel ``factor`` photo pixels wide) with each
    character of ``page`` (:class:`ocr_cli.pipeline.records.Page`) boxed, coloured by
    line, and its label (or, on a page not read, its reading-order number) above it.
    Characters read with less than ``unsure`` confidence get a dashed red box and a
    question mark. ``title`` (say, the file's name) heads the count of characters and
    lines."""
    from ocr_cli.pipeline.records import UNSURE

    plt = pyplot()
    height, width = gray.shape
    fig, ax = plt.subplots(figsize=(12, 12 * height / width))
    ax.imshow(gray, cmap="gray", vmin=0, vmax=1, extent=(-0.5, width * factor - 0.5, height * factor - 0.5, -0.5))
    colours = plt.cm.tab10(np.arange(10))
    number, doubtful = 0, 0
    for n, line in enumerate(page.lines):
        for character in (c for word in line.words for c in word.characters):
            number += 1
            unsure_here = character.shown(unsure) == UNSURE
            doubtful += unsure_here
            colour = "red" if unsure_here else colours[n % 10]
            x, y, w, h = character.box
            ax.add_patch(plt.Rectangle((x - 0.5, y - 0.5), w, h, fill=False, lw=1.2, ec=colour,
                                       ls="--" if unsure_here else "-"))
            text = character.text if page.read else str(number)
            ax.text(x, y - 2, text + (UNSURE if unsure_here else ""), color=colour, fontsize=7, va="bottom")
    count = f"{number} characters, {len(page.lines)} lines"
    if doubtful:
        count += f", {doubtful} read with less than {unsure:.0%} confidence (dashed, red)"
    ax.set_title(f"{title}: {count}" if title else count)
    ax.axis("off")
    save(fig, path)


def plot_crops(crops, labels, path):
    """``crops: (K, 1024)`` network inputs (transposed rows) as a grid of 32x32 images,
    each with its predicted label under it."""
    plt = pyplot()
    cols = min(max(len(crops), 1), 12)
    rows = max(1, -(-len(crops) // cols))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 0.9, rows * 1.05), squeeze=False)
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k < len(crops):
            ax.imshow(upright(crops[k])[0], cmap="gray", vmin=0, vmax=1)
            ax.set_title(labels[k], fontsize=9, y=-0.32)
    save(fig, path)


def plot_autoencoder_loss(history, path):
    """The autoencoder's training loss (squared error per image) per epoch."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot([r["epoch"] for r in history], [r["train_loss"] for r in history])
    ax.set(xlabel="epoch", ylabel="squared error per image", title="autoencoder training loss")
    epoch_axis(ax)
    ax.grid(alpha=0.3)
    save(fig, path)


def plot_reconstructions(originals, reconstructions, titles, path):
    """Pairs side by side, one row per pair of images: ``originals``,
    ``reconstructions: (K, 1024)`` in the data layout, ``titles``: K labels."""
    plt = pyplot()
    rows = (len(originals) + 1) // 2
    fig, axes = plt.subplots(rows, 4, figsize=(6, 1.6 * rows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for k, (original, rebuilt, title) in enumerate(zip(originals, reconstructions, titles)):
        for j, (image, kind) in enumerate(((original, "original"), (rebuilt, "rebuilt"))):
            ax = axes[k // 2, 2 * (k % 2) + j]
            ax.imshow(upright(image)[0], cmap="gray", vmin=0, vmax=1)
            ax.set_title(f"{title} {kind}", fontsize=8)
    save(fig, path)
