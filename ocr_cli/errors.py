"""The project's own exceptions: each carries the exit code the CLI returns for it.

The library speaks its own words: a message that names what would fix it names the
library's parameter, written ``{force}`` in the message's template and shown as
:data:`PARAMETERS` words it (``force=True``); the command line shows its own option
instead (``--force``, see :meth:`InputError.worded`).
"""

import errno
import os
import re
import stat
from pathlib import Path

# How the library's messages name the parameters they mention.
PARAMETERS = {"force": "force=True", "output_dir": "output_dir", "data": "data", "classes": "classes",
              "scheduler": "scheduler", "seed": "seed", "held_out_writers": "held_out_writers=True",
              "batch_size": "batch_size"}
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def worded(template, names):
    """``template`` with each ``{parameter}`` it holds that ``names`` knows replaced by
    ``names[parameter]`` (any other braces are left as they are)."""
    return PLACEHOLDER.sub(lambda m: names.get(m.group(1), m.group(0)), template)


class OcrError(Exception):
    """A failure while processing (exit code 1)."""

    exit_code = 1


class InputError(OcrError):
    """Bad usage or unreadable/invalid input (exit code 2).

    The message names the file and the problem, e.g. ``"data.mat: no '*_labels' key"``;
    ``problem`` may name parameters as ``{name}`` (see :data:`PARAMETERS`).
    """

    exit_code = 2

    def __init__(self, path, problem: str):
        self.path = path
        self.template = problem
        self.problem = worded(problem, PARAMETERS)
        super().__init__(f"{path}: {self.problem}")

    def worded(self, names):
        """The same error with the parameters it names (as its ``path`` or in its
        problem) worded by ``names`` (say, the command line's options)."""
        return InputError(names.get(str(self.path), self.path), worded(self.template, names))

    def __reduce__(self):  # travels back from worker processes
        return type(self), (self.path, self.template)


def existing_file(path, kind):
    """``path`` as a :class:`~pathlib.Path` if it is a regular file this process can
    open, else an :class:`InputError` saying what it is instead (not ``kind``, e.g.
    ``"an image"``): missing, a directory, a FIFO or pipe, a device, a socket, a
    symlink loop or a broken symlink, or not readable. Nothing is read, so a FIFO or a
    device never blocks, and ``/dev/zero`` is never read to the end."""
    path = Path(path)
    if str(path) == "-":
        raise InputError(path, f"standard input cannot be read as {kind}; name a file")
    try:
        mode = path.stat().st_mode  # follows symlinks
    except OSError as exc:
        raise InputError(path, _missing(path, exc)) from None
    if stat.S_ISDIR(mode):
        raise InputError(path, f"is a directory, not {kind}")
    if not stat.S_ISREG(mode):
        raise InputError(path, _not_regular(path, mode, kind))
    try:  # a regular file opens at once; O_NONBLOCK in case it was just swapped for a FIFO
        os.close(os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)))
    except OSError as exc:
        raise InputError(path, os_problem(exc)) from None
    return path


def os_problem(exc):
    """An :class:`OSError` as a short lower-case phrase: ``"permission denied"``."""
    if isinstance(exc, PermissionError):
        return "permission denied"
    return (exc.strerror or str(exc) or type(exc).__name__).lower()


def _missing(path, exc):
    if exc.errno == errno.ELOOP:
        return "is a symlink loop, not a file"
    if exc.errno == errno.ENOENT and path.is_symlink():
        return f"is a broken symlink (to '{os.readlink(path)}', which does not exist)"
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        return "no such file"
    return os_problem(exc)


def _not_regular(path, mode, kind):
    hint = " (pass - to read an image from standard input)" if kind == "an image" else ""
    if stat.S_ISFIFO(mode):
        try:  # a FIFO made with mkfifo is itself a FIFO; /dev/stdin on a pipe links to an anonymous one
            named = stat.S_ISFIFO(os.lstat(os.path.realpath(path)).st_mode)
        except OSError:
            named = False
        return f"is a {'FIFO' if named else 'pipe'}, not a file{hint}"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "is a device, not a file"
    if stat.S_ISSOCK(mode):
        return "is a socket, not a file"
    return "is not a regular file"
