"""The ``ocr`` command line: thin commands over the ``ocr_cli`` library.

Results go to stdout, progress and errors to stderr. Exit codes: 0 ok, 2 bad usage or
invalid input, 1 failure while processing, 130 interrupted (Ctrl-C). Heavy modules are
imported inside commands so that ``ocr --help`` starts fast.
"""

import contextlib
import functools
import json
import os
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from typer.core import TyperGroup

settings = {"debug": False, "argv": []}


class OcrGroup(TyperGroup):
    """The command group; remembers the arguments it was given, so that a trained
    model records the command line as its user typed it."""

    def main(self, args=None, prog_name=None, **kwargs):
        # typer's click (it vendors its own): its usage and other errors, by their names
        usage_error, click_error = (next(c for c in typer.BadParameter.__mro__ if c.__name__ == name)
                                    for name in ("UsageError", "ClickException"))
        settings["argv"] = list(sys.argv[1:] if args is None else args)
        kwargs.pop("standalone_mode", None)
        try:
            code = super().main(args, prog_name, standalone_mode=False, **kwargs)
        except usage_error as exc:  # one line, as every other error, and where to look
            command = " ".join(["ocr", *exc.ctx.command_path.split()[1:]]) if exc.ctx is not None else "ocr"
            where = f" (see '{command} -h')"
            if exc.format_message():  # (none after the help shown for no arguments)
                typer.echo(f"ocr: error: {exc.format_message()}{where}", err=True)
            sys.exit(exc.exit_code)
        except BrokenPipeError:  # the help piped into head
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(BROKEN_PIPE)
        except click_error as exc:
            typer.echo(f"ocr: error: {exc.format_message()}", err=True)
            sys.exit(exc.exit_code)
        except typer.Abort:
            typer.echo("ocr: interrupted", err=True)
            sys.exit(INTERRUPTED)
        sys.exit(code if isinstance(code, int) else 0)


def typed_command():
    """The running command line as its user typed it: ``ocr train --data ...``."""
    import shlex

    return shlex.join(["ocr", *map(str, settings["argv"])])


app = typer.Typer(
    cls=OcrGroup,
    help="Read hand-printed capital letters and digits; train, evaluate and inspect the network.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
)


def show_version(value: bool):
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            number = version("ocr-cli")
        except PackageNotFoundError:  # run from a checkout that is not installed
            number = "unknown"
        typer.echo(f"ocr {number}")
        raise typer.Exit()


@app.callback()
def main(
    debug: Annotated[bool, typer.Option("--debug", help="Show Python tracebacks for errors.")] = False,
    version: Annotated[bool, typer.Option("--version", "-V", callback=show_version, is_eager=True, help="Print the version and exit.")] = False,
):
    settings["debug"] = debug


def complain(exc):
    """One line on stderr for a project error (re-raised with its traceback under --debug)."""
    if settings["debug"]:
        raise exc
    from ocr_cli.errors import InputError
    from ocr_cli.formats import printable

    if isinstance(exc, InputError) and exc.path in OPTIONS:  # the library names parameters, the user typed options
        exc = InputError(OPTIONS[exc.path], exc.problem)
    typer.echo(f"ocr: error: {printable(exc)}", err=True)


# The option each library parameter is given by, for errors that name the parameter.
OPTIONS = {"lr": "--lr", "momentum": "--momentum", "weight_decay": "--weight-decay", "lr_factor": "--lr-factor",
           "hidden": "--hidden", "hidden/conv": "--hidden/--conv"}


INTERRUPTED = 130  # the shell's code for a process ended by Ctrl-C (128 + SIGINT)
BROKEN_PIPE = 141  # ... and for one whose reader left (128 + SIGPIPE)


class Stopped(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised where the program is, so that they end it as Ctrl-C
    does: workers stopped, temporary files removed, what was printed kept."""

    def __init__(self, signum):
        super().__init__(signum)
        self.signum = signum


def stop_on_signals():
    """Turns SIGTERM and SIGHUP into :class:`Stopped` (main thread only: elsewhere
    Python cannot install handlers)."""
    import signal
    import threading

    def stop(signum, frame):
        raise Stopped(signum)

    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, stop)


def interrupted_code(exc):
    """Exit code after an interruption: 128 + the signal's number, as a shell reports a
    process the signal ended (130 for Ctrl-C, 143 SIGTERM, 129 SIGHUP)."""
    return 128 + exc.signum if isinstance(exc, Stopped) else INTERRUPTED


@contextlib.contextmanager
def one_line_of_warnings():
    """Warnings that libraries raise during a command (numpy overflowing on a model's
    huge weights, PIL on a damaged image) become one line on stderr at its end, not a
    screenful of source lines."""
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        try:
            yield
        finally:
            if caught and not settings["debug"]:
                from ocr_cli.formats import printable

                first = printable(f"{caught[0].category.__name__}: {caught[0].message}")[:200]
                more = f" (and {len(caught) - 1} more)" if len(caught) > 1 else ""
                typer.echo(f"ocr: warning: {first}{more}", err=True)
            elif caught:
                for warning in caught:
                    typer.echo(warnings.formatwarning(warning.message, warning.category, warning.filename,
                                                      warning.lineno), err=True, nl=False)


class ClosedOutput:
    """Stands for a standard output that was closed when ocr started: writing a result
    to it is an error (exit 2), rather than the result silently lost."""

    def write(self, text):
        from ocr_cli.errors import InputError

        if text:
            raise InputError("standard output", "closed; the results would be lost (redirect it to a file)")
        return 0

    def flush(self):
        pass

    def isatty(self):
        return False


def reports_errors(command):
    """Turns the project's errors into one line on stderr and their exit code; running
    out of memory is a failure (1), Ctrl-C ends quietly with 130."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        from ocr_cli.errors import OcrError

        stop_on_signals()
        if sys.stdout is None:  # started with stdout closed (>&-): fail on the first result, not lose it
            sys.stdout = ClosedOutput()
        try:
            try:
                with one_line_of_warnings():
                    return command(*args, **kwargs)
            finally:
                sys.stdout.flush()  # results still buffered fail here, not silently at exit
        except OcrError as exc:
            complain(exc)
            raise typer.Exit(exc.exit_code) from None
        except MemoryError as exc:
            complain(OcrError(f"out of memory ({exc or 'no detail'})"))
            raise typer.Exit(OcrError.exit_code) from None
        except KeyboardInterrupt as exc:
            typer.echo("ocr: interrupted", err=True)
            raise typer.Exit(interrupted_code(exc)) from None
        except BrokenPipeError:  # the reader of a pipe left (ocr read ... | head): end quietly, as cat does
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(BROKEN_PIPE) from None
        except OSError as exc:  # a full disk under stdout, an I/O error: one line, not a traceback
            complain(OcrError(f"{exc.filename or 'standard output'}: {(exc.strerror or str(exc)).lower()}"))
            raise typer.Exit(OcrError.exit_code) from None

    return wrapper


def stdout():
    from rich.console import Console

    return Console(soft_wrap=True)


def print_json(value):
    typer.echo(json.dumps(value, indent=2))


class Activation(str, Enum):
    sigmoid = "sigmoid"
    relu = "relu"
    tanh = "tanh"


class Optimizer(str, Enum):
    sgd = "sgd"
    adam = "adam"


ModelOpt = Annotated[Optional[Path], typer.Option("--model", "-m", metavar="PATH", help="Model file (.npz); default: the shipped model (or $OCR_MODEL).", readable=False)]
DataOpt = Annotated[Optional[Path], typer.Option("--data", envvar="OCR_DATA", metavar="DIR", help="Folder with nist36_{train,valid,test}.mat (or $OCR_DATA).", readable=False)]
TestOpt = Annotated[Optional[Path], typer.Option("--test", metavar="FILE", help="Test .mat file; default: nist36_test.mat in --data.", readable=False)]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON instead of tables.")]


def resolve_files(data, given, split):
    """``given`` files if any, else ``DIR/nist36_<split>.mat`` from ``--data``."""
    from ocr_cli.data import split_file
    from ocr_cli.errors import InputError

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


def parse_conv(values, kernel):
    """Filter counts of the convolution blocks; each block must leave an image."""
    from ocr_cli.data import IMAGE_SIDE
    from ocr_cli.errors import InputError
    from ocr_cli.layers import pooled_side

    blocks = parse_sizes(values, "--conv") if values else []
    side = IMAGE_SIDE
    for _ in blocks:
        side = pooled_side(side, kernel)
        if side < 1:
            raise InputError("--conv", f"{len(blocks)} blocks of {kernel}x{kernel} convolution and pooling "
                                       f"shrink a {IMAGE_SIDE}x{IMAGE_SIDE} image to nothing")
    return blocks


@app.command()
@reports_errors
def train(
    data: DataOpt = None,
    train_files: Annotated[Optional[list[Path]], typer.Option("--train", metavar="FILE", help="Training .mat file (repeatable); default: nist36_train.mat in --data.", readable=False)] = None,
    valid_file: Annotated[Optional[Path], typer.Option("--valid", metavar="FILE", help="Validation .mat file; default: nist36_valid.mat in --data.", readable=False)] = None,
    hidden: Annotated[list[str], typer.Option("--hidden", metavar="SIZES", help="Hidden layer sizes: repeat or comma-separate for several layers.")] = ["64"],
    activation: Annotated[Activation, typer.Option(help="Hidden-layer activation.")] = Activation.sigmoid,
    epochs: Annotated[int, typer.Option(min=1, help="Passes over the training data.")] = 50,
    batch_size: Annotated[int, typer.Option(min=1, help="Rows per mini-batch.")] = 32,
    lr: Annotated[Optional[list[float]], typer.Option("--lr", metavar="RATE", help="Learning rate; repeat to train one network per rate (the learning-rate study). Default 0.003; with --init, the rate the model was trained with.")] = None,
    optimizer: Annotated[Optional[Optimizer], typer.Option(help="sgd (with --momentum) or adam. Default sgd; with --init, the optimizer the model was trained with.")] = None,
    momentum: Annotated[float, typer.Option(min=0.0, max=0.999, help="Momentum for sgd (M = momentum*M - lr*g; W += M).")] = 0.0,
    seed: Annotated[int, typer.Option(help="Seed for the initial weights and the batch order.")] = 0,
    conv: Annotated[list[str], typer.Option("--conv", metavar="FILTERS", help="Convolution blocks before the hidden layers: filters per block, repeat or comma-separate (e.g. 32,64).")] = [],
    kernel: Annotated[int, typer.Option(min=1, max=9, help="Convolution kernel size (valid convolution, then 2x2 max pooling).")] = 5,
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
    threads: Annotated[int, typer.Option(min=0, max=256, metavar="N", help="BLAS threads, recorded in the model: the same command, seed and threads give the same weights whatever else runs. 0: as many as the cores other processes leave idle, every epoch (faster on a busy machine, but the weights then depend on its load).")] = 1,
    out: Annotated[Path, typer.Option("--out", metavar="PATH", help="Where to write the trained model (.npz).")] = Path("model.npz"),
    checkpoint: Annotated[Optional[Path], typer.Option("--checkpoint", metavar="PATH", help="Write the run here after every epoch (weights, optimiser and random state), so that a stop loses nothing.", readable=False)] = None,
    resume: Annotated[Optional[Path], typer.Option("--resume", metavar="PATH", help="Go on from this checkpoint of the same command; the result is the same as a run never stopped.", readable=False)] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite --out, --checkpoint and the figures in --plot if they exist.")] = False,
    plot: Annotated[Optional[Path], typer.Option("--plot", metavar="DIR", help="Folder for accuracy, loss and weight figures.")] = None,
    as_json: JsonOpt = False,
):
    """Train the network on nist36 .mat files and save it."""
    from ocr_cli import report
    from ocr_cli.data import concatenate, load_dataset
    from ocr_cli.model import load_model, save_model
    from ocr_cli.outputs import check_figure_folder, check_file
    from ocr_cli.plots import LR_STUDY_FIGURE, TRAINING_FIGURES

    configs = train_configs(hidden, activation, conv, kernel, epochs, batch_size, lr, optimizer, momentum, seed,
                            augment, balance, lr_step, lr_factor, dropout, weight_decay, label_smoothing, patience,
                            init, threads, average_shifts)
    train_paths = resolve_files(data, train_files, "train")
    valid_path = resolve_files(data, [valid_file] if valid_file else None, "valid")[0]
    inputs = [*train_paths, valid_path, init]
    check_file(out, [*inputs, checkpoint, resume], force, "model")  # every output is checked before the data is read
    if checkpoint is not None or resume is not None:
        from ocr_cli.errors import InputError
        from ocr_cli.outputs import is_input

        if len(configs) > 1:
            raise InputError("--checkpoint" if checkpoint is not None else "--resume",
                             "holds one run; give one --lr")
        if checkpoint is not None and not (resume is not None and is_input(checkpoint, [resume])):
            check_file(checkpoint, [*inputs, resume], force, "checkpoint")  # a checkpoint it resumes goes on in place
    if plot is not None:
        check_figure_folder(plot, TRAINING_FIGURES + ((LR_STUDY_FIGURE,) if len(configs) > 1 else ()), inputs, force)
    if init is not None:
        configs = fine_tuning(configs, load_model(init), init, lr, optimizer)  # a bad model fails before the data is read
    train_set = concatenate([load_dataset(p, prefer="train") for p in train_paths])
    valid_set = load_dataset(valid_path, prefer="valid")
    runs = [report.train_with_progress(config, train_set, valid_set, typed_command(), checkpoint, resume)
            for config in configs]
    best = max(runs, key=lambda run: run.final["valid_acc"])
    save_model(out, best.model, force)
    if plot is not None:
        from ocr_cli.plots import plot_training

        plot.mkdir(parents=True, exist_ok=True)
        plot_training(runs, best, plot)
    if as_json:
        print_json(report.runs_json(runs, best, out))
    else:
        report.print_runs(stdout(), runs, best, out)


def train_configs(hidden, activation, conv, kernel, epochs, batch_size, lr, optimizer, momentum, seed, augment,
                  balance, lr_step, lr_factor, dropout, weight_decay, label_smoothing, patience, init, threads,
                  average_shifts):
    """The :class:`~ocr_cli.train.TrainConfig` of each run ``ocr train`` was asked for
    (one per ``--lr``), from the command's parsed options."""
    from ocr_cli.network import check_network_size
    from ocr_cli.optim import check_hyperparameters
    from ocr_cli.train import TrainConfig

    lr = lr or [TrainConfig.lr]
    for rate in lr:
        check_hyperparameters(rate, momentum, weight_decay, lr_factor)
    sizes, blocks = parse_sizes(hidden, "--hidden"), parse_conv(conv, kernel)
    check_network_size(1024, 36, sizes, blocks, kernel)
    options = dict(hidden=sizes, activation=Activation(activation).value,
                   conv=blocks, kernel=kernel, epochs=epochs, batch_size=batch_size,
                   optimizer=Optimizer(optimizer or "sgd").value, momentum=momentum, seed=seed, augment=augment,
                   balance=balance, lr_step=lr_step, lr_factor=lr_factor, dropout=dropout,
                   weight_decay=weight_decay, label_smoothing=label_smoothing, patience=patience,
                   init=str(init or ""), threads=threads, average_shifts=average_shifts)
    return [TrainConfig(lr=rate, **options) for rate in lr]


def fine_tuning(configs, start, init, lr, optimizer):
    """With ``--init``: ``configs`` with the optimiser and, without ``--lr``, the
    learning rate the starting model was trained with (the from-scratch default, SGD
    at 0.003, makes a relu network trained with Adam diverge), said on stderr."""
    from dataclasses import replace

    from ocr_cli.train import fine_tuning_optimizer

    name, rate = fine_tuning_optimizer(start.metadata, optimizer and Optimizer(optimizer).value)
    if not lr or not optimizer:
        typer.echo(f"fine-tuning {init} with {name}" + ("" if lr else f" at lr {rate:g}")
                   + " (--lr and --optimizer choose others)", err=True)
    return [replace(config, optimizer=name, lr=config.lr if lr else rate) for config in configs]


def score_on_test(model, data, test):
    """Loads the model and the test file and evaluates one on the other."""
    from ocr_cli.data import load_dataset
    from ocr_cli.model import load_model
    from ocr_cli.metrics import evaluate as score

    loaded = load_model(model)
    test_set = load_dataset(resolve_files(data, [test] if test else None, "test")[0], prefer="test")
    return loaded.classes, test_set.paths[0], score(loaded, test_set.X, test_set.Y)


@app.command()
@reports_errors
def evaluate(model: ModelOpt = None, data: DataOpt = None, test: TestOpt = None, as_json: JsonOpt = False):
    """Accuracy, mean loss and per-class accuracy of a model on a test file."""
    from ocr_cli import report

    classes, path, result = score_on_test(model, data, test)
    if as_json:
        print_json(report.evaluation_json(result, classes, path))
    else:
        report.print_evaluation(stdout(), result, classes, path)


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
    from ocr_cli import report
    from ocr_cli.model import default_model_path

    if plot is not None:  # checked before the model and the data are read
        from ocr_cli.outputs import check_figure

        test = resolve_files(data, [test] if test else None, "test")[0]
        plot = check_figure(plot, [model or default_model_path(), test], force)
    classes, path, result = score_on_test(model, data, test)
    pairs = result.most_confused(classes, top)
    if plot is not None:
        from ocr_cli.plots import plot_confusion

        plot_confusion(result.confusion, classes, plot, f"{Path(model or default_model_path()).name} on {Path(path).name}")
        typer.echo(f"wrote {plot}", err=True)
    if as_json:
        print_json({"file": str(path), "accuracy": result.accuracy, "classes": classes,
                    "pairs": [{"true": t, "predicted": p, "count": c} for t, p, c in pairs],
                    "confusion": result.confusion.tolist()})
    else:
        report.print_pairs(stdout(), pairs, result, path)


def parse_classes(value):
    """``"H,3,U"`` -> ``["H", "3", "U"]``, each one of the 36 classes."""
    from ocr_cli import CLASSES
    from ocr_cli.errors import InputError

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
    from ocr_cli import autoencoder, report
    from ocr_cli.data import load_dataset
    from ocr_cli.errors import InputError
    from ocr_cli.model import load_model, save_model
    from ocr_cli.outputs import check_figure_folder, check_file
    from ocr_cli.plots import AUTOENCODER_FIGURES

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
        from ocr_cli import CLASSES
        from ocr_cli.plots import plot_autoencoder_loss, plot_reconstructions

        plot.mkdir(parents=True, exist_ok=True)
        labels = test.Y.argmax(1)
        picks = autoencoder.examples(labels, CLASSES, shown)
        plot_reconstructions(test.X[picks], net.predict(test.X[picks]), [CLASSES[labels[i]] for i in picks],
                             plot / AUTOENCODER_FIGURES[0])
        if history:
            plot_autoencoder_loss(history, plot / AUTOENCODER_FIGURES[1])
        typer.echo(f"wrote figures to {plot}", err=True)
    if as_json:
        print_json({"file": str(test.paths[0]), "rows": rows, "pca": pca, "history": history})
    else:
        stdout().print(f"PSNR on {test.paths[0]} ({len(test.X)} images, per image then averaged)")
        report.print_compression(stdout(), rows, pca)


class Format(str, Enum):
    text = "text"
    json = "json"
    tsv = "tsv"
    hocr = "hocr"
    alto = "alto"


ImagesArg = Annotated[list[Path], typer.Argument(metavar="IMAGE...", help="Photos or scans (JPEG, PNG, TIFF, ...).", readable=False)]


def each_image(images, work, jobs=1):
    """Runs ``work(path)`` on every image (in ``jobs`` processes); a failing file is
    reported on stderr and the rest still run. Returns ``[(path, result or None, error
    or None)]`` in input order and the exit code: 0, the error's own code for a single
    image, 1 if any of several failed."""
    from ocr_cli.batch import run_all

    results, code = run_all(work, images, jobs), 0
    for _, _, error in results:
        if error is not None:
            complain(error)
            code = error.exit_code if len(images) == 1 else 1
    return results, code


@app.command("find-letters")
@reports_errors
def find_letters_command(
    images: ImagesArg,
    plot: Annotated[Optional[Path], typer.Option("--plot", metavar="PNG|DIR", help="Draw the boxes over the photo (numbered, coloured by line).")] = None,
    crops: Annotated[Optional[Path], typer.Option("--crops", metavar="PNG|DIR", help="Show the 32x32 crops as the network sees them, with predicted labels.")] = None,
    model: ModelOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite existing figures.")] = False,
    as_json: JsonOpt = False,
):
    """Find the characters: boxes (y1 x1 y2 x2) in reading order with line and word."""
    from ocr_cli.reader import PageReader

    from ocr_cli.batch import expand_inputs
    from ocr_cli.outputs import check_image_figures

    images = expand_inputs(images)
    for option, name in ((plot, "boxes"), (crops, "crops")):
        if option is not None:  # every figure is checked before any photo is read
            check_image_figures(option, images, name, [*images, model], force)
    reader = PageReader(model, figures=plot, several=len(images) > 1, classify=crops is not None, crops=crops,
                        figure_name="boxes")
    reader.load()  # a bad model fails here, once, before any photo
    results, code = each_image(images, reader)
    results = [(path, None if reading is None else reading.letters, error) for path, reading, error in results]
    found = [(path, letters) for path, letters, error in results if error is None]
    if as_json:
        print_json([{"file": str(path), "char_height": round(letters.char_height, 1),
                     "boxes": [{"box": [int(v) for v in box], "line": int(line), "word": int(word)}
                               for box, line, word in zip(letters.boxes, letters.line, letters.word)]}
                    if error is None else {"file": str(path), "error": str(error)}
                    for path, letters, error in results])
    else:
        for path, letters in found:
            typer.echo(f"{path}: {len(letters)} characters, "
                       f"{int(letters.line.max()) + 1 if len(letters) else 0} lines (y1 x1 y2 x2 line word)")
            for box, line, word in zip(letters.boxes, letters.line, letters.word):
                typer.echo(f"{box[0]} {box[1]} {box[2]} {box[3]} {line} {word}")
    raise typer.Exit(code)


@app.command()
@reports_errors
def read(
    images: ImagesArg,
    model: ModelOpt = None,
    output: Annotated[Format, typer.Option("--format", "-f", help="text: the text; json: lines, words and characters with boxes, confidences and top-3; tsv: Tesseract's columns; hocr, alto: layout XML for OCR tools.")] = Format.text,
    as_json: Annotated[bool, typer.Option("--json", help="The same as --format json.")] = False,
    plot: Annotated[Optional[Path], typer.Option("--plot", metavar="PNG|DIR", help="Draw the boxes and read labels over the photo.")] = None,
    min_confidence: Annotated[float, typer.Option(min=0.0, max=1.0, help="Characters read with less confidence are flagged (shown as ? in text).")] = 0.0,
    lexicon_file: Annotated[Optional[Path], typer.Option("--lexicon", metavar="FILE", help="Word list (one word per line) that uncertain words are matched against; default: the shipped English list.", readable=False)] = None,
    no_lexicon: Annotated[bool, typer.Option("--no-lexicon", help="Use no word list: each word is read as letters, digits or mixed only.")] = False,
    jobs: Annotated[Optional[int], typer.Option("--jobs", "-j", min=1, metavar="N", help="Read this many files at once, in separate processes (at most one per core); default: one per core.")] = None,
    output_dir: Annotated[Optional[Path], typer.Option("--output-dir", "-o", metavar="DIR", help="Write one result file per input here (NAME.txt, .json, .tsv, .hocr, .xml) instead of printing.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite existing files in --output-dir and --plot.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    scheduler: Annotated[Optional[str], typer.Option("--scheduler", metavar="ADDRESS", help="Read the files on a dask.distributed cluster (e.g. tcp://host:8786) instead of here; needs the dask extra.")] = None,
):
    """Read the text of photos: one output line per written line.

    IMAGE may be a file, a folder (its images, sorted), a quoted pattern ('scans/*.jpg'),
    @LIST (a file naming one image per line) or - (an image on standard input)."""
    from ocr_cli import batch, report
    from ocr_cli.formats import SUFFIXES

    from ocr_cli.outputs import check_files, check_image_figures, make_folder

    paths = batch.expand_inputs(images)
    output_format = "json" if as_json else output.value
    names = None
    inputs = [*paths, model, lexicon_file]
    if output_dir is not None:
        make_folder(output_dir)  # as mkdir -p: a new folder for the results
        names = report.output_names(paths, SUFFIXES[output_format], output_dir, force)
        check_files([output_dir / name for name in names.values()], inputs, force, "result")
    if plot is not None:  # every figure is checked before any photo is read
        check_image_figures(plot, paths, "read", inputs, force)
    jobs = min(jobs or os.cpu_count() or 1, len(paths) or 1)
    if jobs > 1:
        batch.one_thread_per_process()  # before numpy is imported, below
    from ocr_cli.reader import PageReader

    several = len(paths) > 1 or output_dir is not None
    reader = PageReader(model, lexicon_file, not no_lexicon, plot, len(paths) > 1)  # one image: --plot may name a file
    reader.load()  # a bad model or word list fails here, once, before any photo
    stream = report.ReadingStream(output_format, min_confidence, several, reader.source(), output_dir, names)
    code = 0
    with report.file_progress(len(paths), quiet) as advance:
        try:
            done = batch.run_on_cluster(reader, paths, scheduler) if scheduler else batch.run_each(reader, paths, jobs)
            for path, reading, error in done:
                if error is not None:
                    complain(error)
                    code = error.exit_code if len(paths) == 1 else 1
                stream.add(path, reading, error)
                advance()
        except KeyboardInterrupt as exc:
            stream.close()
            typer.echo(f"ocr: interrupted: {len(paths) - stream.done} of {len(paths)} files not read", err=True)
            raise typer.Exit(interrupted_code(exc)) from None
    stream.close()
    raise typer.Exit(code)


if __name__ == "__main__":
    sys.exit(app())
