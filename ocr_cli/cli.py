"""The ``ocr`` command line: thin commands over the ``ocr_cli`` library.

Results go to stdout, progress and errors to stderr (:mod:`ocr_cli.console` turns
errors into one line and an exit code). Choices (activations, optimisers, formats) come
from the library's registries. Heavy modules are imported inside commands so that
``ocr --help`` starts fast.
"""

import json
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from ocr_cli.console import (OcrGroup, complain, interrupted_code, reports_errors, settings, typed_command)
from ocr_cli.net.activations import HIDDEN
from ocr_cli.net.optim import OPTIMIZERS
from ocr_cli.output.formats import FORMATS

app = typer.Typer(
    cls=OcrGroup,
    help="Read hand-printed capital letters and digits; train, evaluate and inspect the network.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: rendering it with rich imports 0.05-0.08 s of modules at every -h
)


def show_version(value: bool):
    if value:
        from ocr_cli import version

        typer.echo(f"ocr {version()}")
        raise typer.Exit()


@app.callback()
def main(
    debug: Annotated[bool, typer.Option("--debug", help="Show Python tracebacks for errors.")] = False,
    version: Annotated[bool, typer.Option("--version", "-V", callback=show_version, is_eager=True, help="Print the version and exit.")] = False,
):
    settings["debug"] = debug


def choices(name, registry):
    """An option's choices: an Enum of the names of a library registry."""
    return Enum(name, {key: key for key in registry}, type=str)


Activation = choices("Activation", HIDDEN)
Optimizer = choices("Optimizer", OPTIMIZERS)
Format = choices("Format", FORMATS)


def stdout():
    from rich.console import Console

    return Console(soft_wrap=True)


def print_json(value):
    typer.echo(json.dumps(value, indent=2))


ModelOpt = Annotated[Optional[Path], typer.Option("--model", "-m", metavar="PATH", help="Model file (.npz); default: the shipped model (or $OCR_MODEL).", readable=False)]
DataOpt = Annotated[Optional[Path], typer.Option("--data", envvar="OCR_DATA", metavar="DIR", help="Folder with nist36_{train,valid,test}.mat (or $OCR_DATA).", readable=False)]
TestOpt = Annotated[Optional[Path], typer.Option("--test", metavar="FILE", help="Test .mat file; default: nist36_test.mat in --data.", readable=False)]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON instead of tables.")]


def resolve_files(data, given, split):
    """``given`` files if any, else ``DIR/nist36_<split>.mat`` from ``--data``."""
    from ocr_cli.errors import InputError
    from ocr_cli.net.data import split_file

    if given:
        return list(given)
    if data is None:
        raise InputError(f"--{split}", f"no {split} data given; pass --data DIR or --{split} FILE")
    return [split_file(data, split)]


def parse_sizes(values, option):
    """``["128,64", "32"]`` -> ``[128, 64, 32]``."""
    from ocr_cli.errors import InputError

    try:
        sizes = [int(v) for value in values for v in value.split(",") if v.strip()]
    except ValueError:
        raise InputError(option, f"expected whole numbers, got {values!r}") from None
    if not sizes or min(sizes) < 1:
        raise InputError(option, f"expected sizes >= 1, got {values!r}")
    return sizes


@app.command()
@reports_errors
def train(
    data: DataOpt = None,
    train_files: Annotated[Optional[list[Path]], typer.Option("--train", metavar="FILE", help="Training .mat file, or pen strokes (.json.gz, as unipen36_strokes.json.gz) drawn anew with random pens every epoch (repeatable); default: nist36_train.mat in --data.", readable=False)] = None,
    valid_file: Annotated[Optional[Path], typer.Option("--valid", metavar="FILE", help="Validation .mat file; default: nist36_valid.mat in --data.", readable=False)] = None,
    hidden: Annotated[list[str], typer.Option("--hidden", metavar="SIZES", help="Hidden layer sizes: repeat or comma-separate for several layers.")] = ["64"],
    activation: Annotated[Activation, typer.Option(help="Hidden-layer activation.")] = Activation("sigmoid"),
    epochs: Annotated[int, typer.Option(min=1, help="Passes over the training data.")] = 50,
    batch_size: Annotated[int, typer.Option(min=1, help="Rows per mini-batch.")] = 32,
    lr: Annotated[Optional[list[float]], typer.Option("--lr", metavar="RATE", help="Learning rate; repeat to train one network per rate (the learning-rate study). Default 0.003; with --init, the rate the model was trained with.")] = None,
    optimizer: Annotated[Optional[Optimizer], typer.Option(help="The optimiser (sgd: with --momentum). Default sgd; with --init, the optimiser the model was trained with.")] = None,
    momentum: Annotated[float, typer.Option(min=0.0, max=0.999, help="Momentum for sgd (M = momentum*M - lr*g; W += M).")] = 0.0,
    seed: Annotated[int, typer.Option(help="Seed for the initial weights and the batch order.")] = 0,
    conv: Annotated[list[str], typer.Option("--conv", metavar="FILTERS", help="Convolution blocks before the hidden layers: filters per block, repeat or comma-separate (e.g. 32,64).")] = [],
    kernel: Annotated[int, typer.Option(min=1, max=9, help="Convolution kernel size (valid convolution, then 2x2 max pooling).")] = 5,
    layers: Annotated[list[str], typer.Option("--layer", metavar="'TYPE KEY=VALUE...'", help="The hidden layers one by one, any type the network knows (repeat; replaces --hidden, --conv, --kernel, --dropout): e.g. --layer 'conv size=5 filters=32' --layer maxpool --layer 'dense out=256' --layer 'dropout rate=0.4'.")] = [],
    dropout: Annotated[float, typer.Option(min=0.0, max=0.9, help="Dropout rate after each hidden layer while training.")] = 0.0,
    weight_decay: Annotated[float, typer.Option(min=0.0, help="Decoupled weight decay: W -= lr * this * W every step.")] = 0.0,
    label_smoothing: Annotated[float, typer.Option(min=0.0, max=0.5, help="Train on targets (1 - this) * one-hot + this / classes.")] = 0.0,
    patience: Annotated[int, typer.Option(min=0, help="Stop after this many epochs without a better valid accuracy and keep the best epoch (0: never).")] = 0,
    init: Annotated[Optional[Path], typer.Option("--init", metavar="MODEL", help="Start from this model's network and weights (fine-tuning); its layers replace --hidden, --activation, --conv, --kernel and --dropout.", readable=False)] = None,
    augment: Annotated[bool, typer.Option("--augment", help="Vary every batch at random: rotation, scale, shear, shift, elastic distortion, stroke width, blur.")] = False,
    balance: Annotated[bool, typer.Option("--balance", help="Each epoch, draw at most the median class count of rows from every class (new rows every epoch), so that no class dominates.")] = False,
    lr_step: Annotated[int, typer.Option(min=0, help="Multiply the learning rate by --lr-factor every this many epochs (0: never).")] = 0,
    lr_factor: Annotated[float, typer.Option(min=0.0, max=1.0, help="Learning-rate factor for --lr-step.")] = 0.5,
    average_shifts: Annotated[int, typer.Option(min=0, max=3, metavar="PX", help="The saved model averages its probabilities over each image and its copies moved this many pixels up, down, left and right (test-time averaging; 0: off).")] = 0,
    contrast: Annotated[bool, typer.Option("--contrast", help="The network first stretches each image's contrast (its darkest pixel becomes full ink): grey and faint ink read as black ink does.")] = False,
    batch_norm: Annotated[bool, typer.Option("--batch-norm", help="Batch normalisation after every hidden layer (after a convolution block's pooling); with --layer, give 'batchnorm' layers instead.")] = False,
    forms: Annotated[bool, typer.Option("--forms", help="Draw letter forms NIST lacks on a share of the characters of their class: with --augment slashed zeros and Js with a bar on top besides its serifed I, based 1, crossed Z and 7; without it, all of these alone.")] = False,
    neighbours: Annotated[float, typer.Option("--neighbours", min=0.0, max=1.0, metavar="SHARE", help="Give this share of the rows of every batch a piece of a neighbouring character at its edge, as crops of joined-up writing have.")] = 0.0,
    pens: Annotated[float, typer.Option("--pens", min=0.0, max=1.0, metavar="SHARE", help="Each epoch, redraw this share of the image rows with another pen (thin, thick, skipping, pressed unevenly) at the reading pipeline's size, through its crop.")] = 0.0,
    hold_out_writers: Annotated[bool, typer.Option("--hold-out-writers", help="Leave out the rows of the held-out writers (one in ten, by a hash of the writer's id) of every training file that names its writers (<split>_writers, pen strokes); ocr evaluate --held-out-writers scores them.")] = False,
    drop: Annotated[Optional[Path], typer.Option("--drop", metavar="LIST", help="Leave out the training rows this list names ('COLLECTION ROW' lines, e.g. 'unipen36 17': row 17 of unipen36_*.mat and unipen36_*.json.gz), e.g. mislabelled ones (models/unipen36_dropped.txt).", readable=False)] = None,
    threads: Annotated[int, typer.Option(min=0, max=256, metavar="N", help="Threads the work is shared out to, recorded in the model: the same command, seed and threads give the same weights whatever else runs. 0: as many as the cores other processes leave idle, every epoch (the weights then depend on the load).")] = 1,
    out: Annotated[Path, typer.Option("--out", metavar="PATH", help="Where to write the trained model (.npz).")] = Path("model.npz"),
    checkpoint: Annotated[Optional[Path], typer.Option("--checkpoint", metavar="PATH", help="Write the run here after every epoch (weights, optimiser and random state), so that a stop loses nothing.", readable=False)] = None,
    resume: Annotated[Optional[Path], typer.Option("--resume", metavar="PATH", help="Go on from this checkpoint of the same command; the result is the same as a run never stopped.", readable=False)] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite --out, --checkpoint and the figures in --plot if they exist.")] = False,
    plot: Annotated[Optional[Path], typer.Option("--plot", metavar="DIR", help="Folder for accuracy, loss and weight figures.")] = None,
    as_json: JsonOpt = False,
):
    """Train the network on nist36 .mat files (and pen strokes, .json.gz, drawn anew each epoch) and save it."""
    from ocr_cli.errors import InputError
    from ocr_cli.files import check_file, in_place, is_input
    from ocr_cli.net.data import load_dataset
    from ocr_cli.net.model import load_model, save_model
    from ocr_cli.net.selection import load_training
    from ocr_cli.net.train import check_config
    from ocr_cli.output import report
    from ocr_cli.output.figures import check_figure_folder
    from ocr_cli.output.plots import LR_STUDY_FIGURE, TRAINING_FIGURES

    configs = train_configs(locals())
    for config in configs:
        check_config(config)  # before any data is read
    train_paths = resolve_files(data, train_files, "train")
    valid_path = resolve_files(data, [valid_file] if valid_file else None, "valid")[0]
    inputs = [*train_paths, valid_path, init, drop]
    check_file(out, [*inputs, checkpoint, resume], force, "model")  # every output is checked before the data is read
    if (checkpoint is not None or resume is not None) and len(configs) > 1:
        raise InputError("--checkpoint" if checkpoint is not None else "--resume", "holds one run; give one --lr")
    if checkpoint is not None and resume is not None and is_input(checkpoint, [resume]):
        in_place(checkpoint)  # a checkpoint it resumes goes on in place
    elif checkpoint is not None:
        check_file(checkpoint, [*inputs, resume], force, "checkpoint")
    if plot is not None:
        check_figure_folder(plot, TRAINING_FIGURES + ((LR_STUDY_FIGURE,) if len(configs) > 1 else ()), inputs, force)
    if init is not None:
        configs = fine_tuning(configs, load_model(init), init, lr, optimizer)  # a bad model fails before the data is read
    train_set = load_training(train_paths, hold_out_writers, drop)
    valid_set = load_dataset(valid_path, prefer="valid")
    runs = [report.train_with_progress(config, train_set, valid_set, typed_command(), checkpoint, resume)
            for config in configs]
    best = max(runs, key=lambda run: run.final["valid_acc"])
    save_model(out, best.model, force)
    if plot is not None:
        from ocr_cli.output.plots import plot_training

        plot.mkdir(parents=True, exist_ok=True)
        plot_training(runs, best, plot)
    if as_json:
        print_json(report.runs_json(runs, best, out))
    else:
        report.print_runs(stdout(), runs, best, out)


def train_configs(options):
    """The :class:`~ocr_cli.net.train.TrainConfig` of each run ``ocr train`` asks for (one
    per ``--lr``), from the command's parsed ``options`` (by parameter name)."""
    from dataclasses import fields

    from ocr_cli.net.train import TrainConfig

    given = {f.name: options[f.name] for f in fields(TrainConfig) if f.name in options}
    given.update(hidden=parse_sizes(options["hidden"], "--hidden"), activation=Activation(options["activation"]).value,
                 conv=parse_sizes(options["conv"], "--conv") if options["conv"] else [],
                 optimizer=Optimizer(options["optimizer"] or "sgd").value, init=str(options["init"] or ""),
                 drop=str(options["drop"] or ""),
                 layers=list(options["layers"]))
    return [TrainConfig(**{**given, "lr": rate}) for rate in options["lr"] or [TrainConfig.lr]]


def fine_tuning(configs, start, init, lr, optimizer):
    """With ``--init``: ``configs`` with the optimiser and, without ``--lr``, the
    learning rate the starting model was trained with (the from-scratch default, SGD
    at 0.003, makes a relu network trained with Adam diverge), said on stderr."""
    from dataclasses import replace

    from ocr_cli.net.train import fine_tuning_optimizer

    name, rate = fine_tuning_optimizer(start.metadata, optimizer and Optimizer(optimizer).value)
    if not lr or not optimizer:
        typer.echo(f"fine-tuning {init} with {name}" + ("" if lr else f" at lr {rate:g}")
                   + " (--lr and --optimizer choose others)", err=True)
    return [replace(config, optimizer=name, lr=config.lr if lr else rate) for config in configs]


def score_on_test(model, data, test, held_out_writers=False, drop=None):
    """The model, the test file and the evaluation of one on the other (rows of
    classes the model lacks are left out, and said): only the rows of held-out writers
    with ``held_out_writers``, less those the list ``drop`` names (:mod:`ocr_cli.net.selection`)."""
    from ocr_cli.net.data import load_dataset
    from ocr_cli.net.metrics import score
    from ocr_cli.net.model import load_model
    from ocr_cli.net.selection import measured

    loaded = load_model(model)
    path = resolve_files(data, [test] if test else None, "test")[0]
    test_set = measured(load_dataset(path, prefer="test"), path, held_out_writers, drop)
    result, left_out = score(loaded, test_set)
    if left_out:
        typer.echo(f"ocr: {test_set.paths[0]}: {left_out} rows of classes the model does not read left out", err=True)
    return loaded, test_set.paths[0], result


@app.command()
@reports_errors
def evaluate(
    model: ModelOpt = None,
    data: DataOpt = None,
    test: TestOpt = None,
    held_out_writers: Annotated[bool, typer.Option("--held-out-writers", help="Score only the rows of the writers ocr train --hold-out-writers leaves out (the file must name its writers: <split>_writers).")] = False,
    drop: Annotated[Optional[Path], typer.Option("--drop", metavar="LIST", help="Leave out the rows this list names (as ocr train --drop).", readable=False)] = None,
    as_json: JsonOpt = False,
):
    """Accuracy, mean loss and per-class accuracy of a model on a test file."""
    from ocr_cli.output import report

    loaded, path, result = score_on_test(model, data, test, held_out_writers, drop)
    if as_json:
        print_json(report.evaluation_json(result, loaded.classes, path))
    else:
        report.print_evaluation(stdout(), result, loaded.classes, path)


@app.command()
@reports_errors
def confusion(
    model: ModelOpt = None,
    data: DataOpt = None,
    test: TestOpt = None,
    plot: Annotated[Optional[Path], typer.Option("--plot", metavar="PNG", help="Write the 36x36 confusion matrix figure here (.png; .pdf, .svg... by the extension).")] = None,
    top: Annotated[int, typer.Option(min=1, help="How many of the most confused pairs to list.")] = 10,
    force: Annotated[bool, typer.Option("--force", help="Overwrite --plot if it exists.")] = False,
    as_json: JsonOpt = False,
):
    """The confusion matrix of a model and its most confused pairs."""
    from ocr_cli.net.model import default_model_path
    from ocr_cli.output import report

    if plot is not None:  # checked before the model and the data are read
        from ocr_cli.output.figures import check_figure

        test = resolve_files(data, [test] if test else None, "test")[0]
        plot = check_figure(plot, [model or default_model_path(), test], force)
    loaded, path, result = score_on_test(model, data, test)
    pairs = result.most_confused(loaded.classes, top)
    if plot is not None:
        from ocr_cli.output.plots import plot_confusion

        plot_confusion(result.confusion, loaded.classes, plot,
                       f"{Path(model or default_model_path()).name} on {Path(path).name}")
        typer.echo(f"wrote {plot}", err=True)
    if as_json:
        print_json({"file": str(path), "accuracy": result.accuracy, "classes": loaded.classes,
                    "pairs": [{"true": t, "predicted": p, "count": c} for t, p, c in pairs],
                    "confusion": result.confusion.tolist()})
    else:
        report.print_pairs(stdout(), pairs, result, path)


def parse_classes(value):
    """``"H,3,U"`` -> ``["H", "3", "U"]``, each one of the 36 classes."""
    from ocr_cli.errors import InputError
    from ocr_cli.layout import CLASSES

    chosen = [c.strip().upper() for c in value.split(",") if c.strip()]
    wrong = [c for c in chosen if c not in CLASSES]
    if not chosen or wrong:
        raise InputError("--classes", f"expected a comma list of A-Z, 0-9; got {value!r}")
    return chosen


@app.command()
@reports_errors
def autoencode(
    data: DataOpt = None,
    train_file: Annotated[Optional[Path], typer.Option("--train", metavar="FILE", help="Training .mat file; default: nist36_train.mat in --data.", readable=False)] = None,
    valid_file: Annotated[Optional[Path], typer.Option("--valid", metavar="FILE", help="Validation .mat file; default: nist36_valid.mat in --data.", readable=False)] = None,
    hidden: Annotated[list[str], typer.Option("--hidden", metavar="SIZES", help="Hidden relu layers; the middle one is the code.")] = ["32,32,32"],
    epochs: Annotated[int, typer.Option(min=1, help="Passes over the training data.")] = 100,
    batch_size: Annotated[int, typer.Option(min=1, help="Rows per mini-batch.")] = 36,
    lr: Annotated[float, typer.Option(min=0.0, help="Learning rate of SGD with momentum.")] = 3e-5,
    momentum: Annotated[float, typer.Option(min=0.0, max=0.999, help="M = momentum*M - lr*g; W += M.")] = 0.9,
    lr_step: Annotated[int, typer.Option(min=0, help="Multiply the learning rate by --lr-factor every this many epochs (0: never).")] = 20,
    lr_factor: Annotated[float, typer.Option(min=0.0, max=1.0, help="Learning-rate factor for --lr-step.")] = 0.9,
    seed: Annotated[int, typer.Option(help="Seed for the initial weights and the batch order.")] = 0,
    components: Annotated[int, typer.Option(min=1, max=1024, help="Principal components kept by the PCA baseline.")] = 32,
    classes: Annotated[str, typer.Option("--classes", metavar="C,C,...", help="Classes whose validation images --plot shows, two each.")] = "H,3,U,8,Q",
    model: Annotated[Optional[Path], typer.Option("--model", metavar="PATH", help="A saved autoencoder to evaluate instead of training one.", readable=False)] = None,
    eval_file: Annotated[Optional[Path], typer.Option("--eval", metavar="FILE", help="With --model: the .mat file to measure PSNR on; default: --valid.", readable=False)] = None,
    out: Annotated[Optional[Path], typer.Option("--out", metavar="PATH", help="Save the trained autoencoder here (.npz).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite --out and the figures in --plot if they exist.")] = False,
    plot: Annotated[Optional[Path], typer.Option("--plot", metavar="DIR", help="Write ae_loss.png and ae_reconstructions.png here.")] = None,
    as_json: JsonOpt = False,
):
    """Compress characters to 32 numbers and back: the course autoencoder beside PCA."""
    from ocr_cli.errors import InputError
    from ocr_cli.files import check_file
    from ocr_cli.net import autoencoder
    from ocr_cli.net.data import load_dataset
    from ocr_cli.net.model import load_model, save_model
    from ocr_cli.output import report
    from ocr_cli.output.figures import check_figure_folder
    from ocr_cli.output.plots import AUTOENCODER_FIGURES

    shown = parse_classes(classes)
    config = autoencoder.AutoencoderConfig(parse_sizes(hidden, "--hidden"), epochs, batch_size, lr, momentum,
                                           lr_step, lr_factor, seed)
    autoencoder.check_config(config)
    if eval_file is not None and model is None:
        raise InputError("--eval", "measures a saved autoencoder; give it with --model")
    if out is not None and model is not None:
        raise InputError("--out", "saves a trained autoencoder; --model only evaluates one")
    inputs = [model, eval_file, train_file, valid_file, *(Path(data) / f"nist36_{s}.mat" for s in ("train", "valid") if data)]
    if out is not None:  # every output is checked before the data is read
        check_file(out, inputs, force, "model")
    if plot is not None:
        check_figure_folder(plot, AUTOENCODER_FIGURES[:1 if model is not None else 2], inputs, force)
    if model is not None:
        net = load_model(model, task="autoencode").net
        test = load_dataset(eval_file or resolve_files(data, [valid_file] if valid_file else None, "valid")[0],
                            prefer="valid")
        autoencoder.check_examples(test, shown, plot)
        rows, pca, history = [autoencoder.autoencoder_row(net, test.X)], None, None
    else:
        train_set = load_dataset(resolve_files(data, [train_file] if train_file else None, "train")[0], prefer="train")
        test = load_dataset(resolve_files(data, [valid_file] if valid_file else None, "valid")[0], prefer="valid")
        autoencoder.check_examples(test, shown, plot)  # before training, not after
        baseline, pca = autoencoder.pca_baseline(train_set.X, test.X, components)
        with report.epoch_progress("autoencoder", epochs, lambda r: f"loss {r['train_loss']:.2f}") as on_epoch:
            net, history = autoencoder.train_autoencoder(train_set.X, config, on_epoch)
        rows = [baseline, autoencoder.autoencoder_row(net, test.X, history[-1]["seconds"])]
    if out is not None and history:
        save_model(out, autoencoder.as_model(net, config, train_set, test, history, rows[-1]["psnr"], typed_command()),
                   force)
        typer.echo(f"saved {out}", err=True)
    if plot is not None:
        from ocr_cli.output.plots import plot_autoencoder_loss, plot_reconstructions

        plot.mkdir(parents=True, exist_ok=True)
        test = test.named()
        labels = test.Y.argmax(1)
        picks = autoencoder.examples(labels, test.classes, shown)
        plot_reconstructions(test.X[picks], net.predict(test.X[picks]), [test.classes[labels[i]] for i in picks],
                             plot / AUTOENCODER_FIGURES[0])
        if history:
            plot_autoencoder_loss(history, plot / AUTOENCODER_FIGURES[1])
        typer.echo(f"wrote figures to {plot}", err=True)
    if as_json:
        print_json({"file": str(test.paths[0]), "rows": rows, "pca": pca, "history": history})
    else:
        stdout().print(f"PSNR on {test.paths[0]} ({len(test.X)} images, per image then averaged)")
        report.print_compression(stdout(), rows, pca)


ImagesArg = Annotated[list[Path], typer.Argument(metavar="IMAGE...", help="Photos or scans (JPEG, PNG, TIFF, GIF, HEIC, PDF...; every page of a multi-page file).", readable=False)]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")]
# The boxes figure marks characters read with less confidence than this (unless
# --min-confidence asks for another): under even odds, the network was unsure.
PLOT_UNSURE = 0.5


def figures_for(paths, figures, inputs, force):
    """Checks, before any image is read, the figures asked for: ``figures`` is
    ``[(option value or None, name)]``; returns those given."""
    from ocr_cli.output.figures import check_image_figures

    given = [(option, name) for option, name in figures if option is not None]
    for option, name in given:
        check_image_figures(option, paths, name, inputs, force)
    return given


def draw(path, pages, figures, several, unsure):
    """The figures of one image: ``boxes``/``read`` over the photo, ``crops`` as the
    network saw them (of its first page)."""
    from ocr_cli.output.figures import figure_path
    from ocr_cli.output.plots import plot_boxes, plot_crops
    from ocr_cli.pipeline.documents import photos

    page = pages[0]
    for option, name in figures:
        target = figure_path(option, path, name, several)
        if name == "crops":
            plot_crops(page.crops, [c.text for c in page.characters], target)
        else:
            photo = next(photos(path))
            plot_boxes(photo.gray, photo.factor, page, target, unsure, Path(path).name)


def warn_of(path, pages):
    """One ``ocr: warning:`` line on stderr for each page of ``path`` not to be trusted."""
    from ocr_cli.output.formats import printable

    for number, page in enumerate(pages, 1):
        if page.warning is not None:
            where = f"{printable(path)}" + (f" (page {number})" if len(pages) > 1 else "")
            typer.echo(f"ocr: warning: {where}: {page.warning}", err=True)


def read_all(paths, reader, stream, quiet=False, jobs=1, scheduler=None, figures=(), unsure=PLOT_UNSURE):
    """Reads every file with ``reader`` (in ``jobs`` processes, or on the dask cluster
    at ``scheduler``), each result to ``stream`` as it comes in input order and its
    ``figures`` drawn; a file that fails is reported on stderr and the rest still read;
    Ctrl-C keeps what was printed and says how many files were left. Ends the command
    with its exit code: 0, the error's own code for a single image, 1 if any of
    several failed."""
    from ocr_cli import batch
    from ocr_cli.errors import InputError, OcrError
    from ocr_cli.inputs import named, shown
    from ocr_cli.output import report

    code = 0
    with report.file_progress(len(paths), quiet) as advance:
        try:
            done = batch.run_on_cluster(reader, paths, scheduler) if scheduler is not None else batch.run_each(reader, paths, jobs)
            for path, page, error in done:
                if error is not None and named(str(error)) != str(error):  # standard input: '-'
                    error = (InputError(shown(error.path), named(error.template)) if isinstance(error, InputError)
                             else OcrError(named(str(error))))
                if error is not None:
                    complain(error)
                    code = error.exit_code if len(paths) == 1 else 1
                else:
                    warn_of(shown(path), page)
                    if figures:
                        draw(path, page, figures, len(paths) > 1, unsure)
                stream.add(path, page, error)
                advance()
        except KeyboardInterrupt as exc:
            stream.close()
            typer.echo(f"ocr: interrupted: {len(paths) - stream.done} of {len(paths)} files not read", err=True)
            raise typer.Exit(interrupted_code(exc)) from None
    stream.close()
    raise typer.Exit(code)


@app.command("find-letters")
@reports_errors
def find_letters_command(
    images: ImagesArg,
    plot: Annotated[Optional[Path], typer.Option("--plot", metavar="PNG|DIR", help="Draw the boxes over the photo (numbered, coloured by line).")] = None,
    crops: Annotated[Optional[Path], typer.Option("--crops", metavar="PNG|DIR", help="Show the 32x32 crops as the network sees them, with predicted labels.")] = None,
    model: ModelOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite existing figures.")] = False,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
):
    """Find the characters: boxes (y1 x1 y2 x2) in reading order with line and word, as
    reading finds them (the network decides which pieces make a character)."""
    from ocr_cli import __version__
    from ocr_cli.inputs import expand_inputs, shown
    from ocr_cli.output.formats import LETTER_FORMATS, Run
    from ocr_cli.output.stream import Stream
    from ocr_cli.pipeline.reader import PageReader

    paths = expand_inputs(images)
    figures = figures_for(paths, [(plot, "boxes"), (crops, "crops")], [*paths, model], force)
    # The characters as reading finds them: the network decides which pieces are one.
    reader = PageReader(model, keep_crops=crops is not None, clutter=True)  # every line found is shown
    reader.load()  # a bad model fails here, once, before any photo
    form = LETTER_FORMATS["json" if as_json else "text"]
    read_all(paths, reader, Stream(form, Run(__version__), len(paths) > 1, shown=shown), quiet, figures=figures)


def binary_output(form, output_dir):
    """Fails unless a binary format can be written: its extra installed, and standard
    output not a terminal (a PDF on a terminal is noise) unless ``-o DIR`` is given."""
    import sys

    from ocr_cli.errors import InputError
    from ocr_cli.pipeline.images import MissingExtra, needs

    try:
        needs(form.name)
    except MissingExtra:
        raise MissingExtra(form.name, f"writing {form.name.upper()}", f"--format {form.name}") from None
    if output_dir is None and sys.stdout.isatty():
        raise InputError(f"--format {form.name}", f"writes a binary {form.name.upper()}: redirect standard output "
                                                  f"to a file (> out.{form.name}) or give --output-dir DIR")


@app.command()
@reports_errors
def read(
    images: ImagesArg,
    model: ModelOpt = None,
    output: Annotated[Format, typer.Option("--format", "-f", help="; ".join(f"{f.name}: {f.help}" for f in FORMATS.values()) + ".")] = Format("text"),
    as_json: Annotated[bool, typer.Option("--json", help="The same as --format json.")] = False,
    plot: Annotated[Optional[Path], typer.Option("--plot", metavar="PNG|DIR", help="Draw the boxes and read labels over the photo.")] = None,
    min_confidence: Annotated[float, typer.Option(min=0.0, max=1.0, help="Words read with less confidence (the probability of the word as finally read, word context included) are flagged: their characters shown as ?, \"flagged\" in JSON.")] = 0.0,
    flag_characters: Annotated[bool, typer.Option("--flag-characters", help="With --min-confidence: flag each character read with less confidence (the network's probability) instead of words.")] = False,
    tsv_characters: Annotated[bool, typer.Option("--tsv-characters", help="With --format tsv: a row per character too (level 6, beyond Tesseract's levels).")] = False,
    lexicon_file: Annotated[Optional[Path], typer.Option("--lexicon", metavar="FILE", help="Word list (one word per line) that uncertain words are matched against; default: the shipped English list.", readable=False)] = None,
    no_lexicon: Annotated[bool, typer.Option("--no-lexicon", help="Use no word list: each word is read as letters, digits or mixed only.")] = False,
    chars: Annotated[Optional[str], typer.Option("--chars", metavar="SET", help="Read only these characters: e.g. 0123456789, A-Z, A-F0-9 (ranges X-Y); word context and the word list keep to them.")] = None,
    no_punctuation: Annotated[bool, typer.Option("--no-punctuation", help="Read no punctuation marks (. , : - ' / ? !): they are left out.")] = False,
    handwriting_only: Annotated[bool, typer.Option("--handwriting-only", help="Leave out lines of print (a form's labels and title: capitals standing as evenly as type); read only what was written by hand.")] = False,
    jobs: Annotated[Optional[int], typer.Option("--jobs", "-j", min=1, metavar="N", help="Read this many files at once, in separate processes (at most one per core); default: one per core.")] = None,
    output_dir: Annotated[Optional[Path], typer.Option("--output-dir", "-o", metavar="DIR", help="Write one result file per input here (NAME.txt, .json, .tsv, .hocr, .xml, .pdf) instead of printing.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite existing files in --output-dir and --plot.")] = False,
    quiet: QuietOpt = False,
    scheduler: Annotated[Optional[str], typer.Option("--scheduler", metavar="ADDRESS", help="Read the files on a dask.distributed cluster (e.g. tcp://host:8786) instead of here; needs the dask extra.")] = None,
):
    """Read the text of photos: one output line per written line.

    IMAGE may be a file, a folder (its images, sorted), a quoted pattern ('scans/*.jpg'),
    @LIST (a file naming one image per line) or - (an image on standard input)."""
    from ocr_cli.cores import one_thread_per_process, usable_cores
    from ocr_cli.files import check_files, make_folder
    from ocr_cli.inputs import expand_inputs, shown
    from ocr_cli.output.stream import output_names

    form = FORMATS["json" if as_json else Format(output).value]
    if form.binary:  # checked before anything is read
        binary_output(form, output_dir)
    paths = expand_inputs(images)
    inputs, names = [*paths, model, lexicon_file], None
    if output_dir is not None:
        make_folder(output_dir)  # as mkdir -p: a new folder for the results
        names = output_names(paths, form.suffix, output_dir)
        check_files([output_dir / name for name in names.values()], inputs, force, "result")
    figures = figures_for(paths, [(plot, "read")], inputs, force)
    jobs = min(jobs or usable_cores(), len(paths) or 1)
    if jobs > 1:
        one_thread_per_process()  # before numpy is imported, below
    from ocr_cli import __version__
    from ocr_cli.output.formats import Run
    from ocr_cli.output.stream import Stream
    from ocr_cli.pipeline.reader import ENGLISH, PageReader

    reader = PageReader(model, None if no_lexicon else lexicon_file or ENGLISH, punctuation=not no_punctuation,
                        chars=chars, printed=not handwriting_only)
    reader.load()  # a bad model or word list fails here, once, before any photo
    source = reader.source()
    stream = Stream(form, Run(__version__, source["model"], min_confidence, tsv_characters, reader.characters(),
                              flag_characters),
                    len(paths) > 1 or output_dir is not None, output_dir, names, shown=shown)
    read_all(paths, reader, stream, quiet, jobs, scheduler, figures, max(min_confidence, 0.0) or PLOT_UNSURE)


if __name__ == "__main__":
    app()
