"""The command line's own plumbing, beside its commands (:mod:`ocr_cli.cli`): the command
group, and around every command one line per error with its exit code, signals that end
it as Ctrl-C does, library warnings as one line, and a closed standard output.

Exit codes: 0 ok, 2 bad usage or invalid input, 1 failure while processing, 130
interrupted (Ctrl-C), 143 SIGTERM, 129 SIGHUP, 141 when the reader of stdout left.
"""

import contextlib
import functools
import os
import sys

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

    # Ctrl-C while a command's options are parsed (typer builds them then, importing
    # pydantic) or between commands: typer would end the run with exit 130 and not a
    # word; here it ends as a Ctrl-C inside a command does.
    def make_context(self, *args, **kwargs):
        with said_interrupted():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx):
        with said_interrupted():
            return super().invoke(ctx)


@contextlib.contextmanager
def said_interrupted():
    """A Ctrl-C (or SIGTERM, SIGHUP) within: ``ocr: interrupted`` and its exit code."""
    try:
        yield
    except KeyboardInterrupt as exc:
        typer.echo("ocr: interrupted", err=True)
        raise typer.Exit(interrupted_code(exc)) from None


def typed_command():
    """The running command line as its user typed it: ``ocr train --data ...``."""
    import shlex

    return shlex.join(["ocr", *map(str, settings["argv"])])


def complain(exc):
    """One line on stderr for a project error (re-raised with its traceback under --debug)."""
    if settings["debug"]:
        raise exc
    from ocr_cli.errors import InputError
    from ocr_cli.inputs import named
    from ocr_cli.output.formats import printable

    if isinstance(exc, InputError):  # the library names its parameters, the user typed options
        exc = exc.worded(OPTIONS)
    typer.echo(f"ocr: error: {printable(named(str(exc)))}", err=True)  # standard input's temporary file: '-'


# The option each library parameter is given by, for errors that name the parameter.
OPTIONS = {"lr": "--lr", "momentum": "--momentum", "weight_decay": "--weight-decay", "lr_factor": "--lr-factor",
           "hidden": "--hidden", "hidden/conv": "--hidden/--conv", "conv": "--conv", "force": "--force",
           "output_dir": "--output-dir", "data": "--data", "classes": "--classes", "scheduler": "--scheduler",
           "layers": "--layer", "chars": "--chars", "batch_norm": "--batch-norm",
           "hold_out_writers": "--hold-out-writers", "held_out_writers": "--held-out-writers",
           "batch_size": "--batch-size", "seed": "--seed"}


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
                from ocr_cli.output.formats import printable

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
        from ocr_cli.files import one_run

        stop_on_signals()
        if sys.stdout is None:  # started with stdout closed (>&-): fail on the first result, not lose it
            sys.stdout = ClosedOutput()
        try:
            try:
                with one_line_of_warnings(), one_run():  # no two of its outputs one file
                    return command(*args, **kwargs)
            finally:
                flush_results()  # results still buffered fail here, not silently at exit
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
            complain(OcrError(os_failure(exc)))
            raise typer.Exit(OcrError.exit_code) from None

    return wrapper


def flush_results():
    """Flushes standard output: a failure (a full disk) is an
    :class:`~ocr_cli.errors.OcrError` naming it (the reader leaving stays a
    :class:`BrokenPipeError`)."""
    from ocr_cli.errors import OcrError

    try:
        sys.stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise OcrError(f"standard output: {(exc.strerror or str(exc)).lower()}") from None


def os_failure(exc):
    """The message for an :class:`OSError` that escaped a command: ``FILE: problem``
    with the file it names, ``standard output: problem`` if it was raised writing the
    results (:func:`writing_results`), else the problem and its kind (a connection
    reset, an I/O error of no file: never blamed on standard output)."""
    problem = (exc.strerror or str(exc) or type(exc).__name__).lower()
    if exc.filename is not None:
        return f"{exc.filename}: {problem}"
    if writing_results(exc):
        return f"standard output: {problem}"
    return f"{problem} ({type(exc).__name__})"


def writing_results(exc):
    """Whether ``exc`` was raised writing to standard output: the code it was raised in
    holds standard output (click's ``file``, a console's or a stream's ``file`` or
    ``out``)."""
    streams = {id(s) for s in (sys.stdout, getattr(sys.stdout, "buffer", None), sys.__stdout__) if s is not None}
    trace = exc.__traceback__
    while trace is not None and trace.tb_next is not None:
        trace = trace.tb_next
    held = trace.tb_frame.f_locals.values() if trace is not None else ()
    return any(id(value) in streams or id(getattr(value, "file", None)) in streams
               or id(getattr(value, "out", None)) in streams for value in held)
