"""Checks on every path a command writes, made before any work starts.

A written path is never one of the run's inputs, a device, a named pipe or a socket;
it is a folder only where a folder is meant, its folder exists (or is made, where a
folder of results is meant) and takes new files, and an existing file is replaced
only with ``force``. Each problem is an :class:`~ocr_cli.errors.InputError` naming the
path. (Figures: :mod:`ocr_cli.output.figures`.)
"""

import os
import stat
import tempfile
from pathlib import Path

from ocr_cli.errors import InputError

SPECIAL = ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"),
           (stat.S_ISSOCK, "a socket"))


def status(path):
    """``os.stat(path)`` (following links), None if nothing is there."""
    try:
        return os.stat(path)
    except FileNotFoundError:
        return None
    except NotADirectoryError:  # a file where one of the folders should be; judged with the folder
        return None
    except OSError as exc:
        raise InputError(path, f"cannot be checked ({exc.strerror})") from None


def is_input(path, inputs):
    """Whether the existing ``path`` is the same file as one of ``inputs``."""
    for source in inputs:
        try:
            if source is not None and os.path.samefile(path, source):
                return True
        except OSError:  # an input that is not there (it fails on its own)
            continue
    return False


def not_an_input(path, inputs):
    """Fails if ``path`` is the same file as one of ``inputs``."""
    if is_input(path, inputs):
        raise InputError(path, "is one of the inputs; refusing to overwrite it")


def check_folder(folder, path):
    """``folder`` (where ``path`` goes) exists and takes new files."""
    info = status(folder)
    if info is None:
        raise InputError(path, f"folder '{folder}' does not exist")
    if not stat.S_ISDIR(info.st_mode):
        raise InputError(path, f"'{folder}' is not a folder")
    try:  # a real write, as permission bits do not tell root, ACLs or read-only mounts apart
        tempfile.TemporaryFile(dir=folder).close()
    except OSError as exc:
        raise InputError(path, f"folder '{folder}' is not writable ({exc.strerror})") from None


def check_file(path, inputs=(), force=False, kind="file", folder_checked=False):
    """Fails unless ``path`` may be written as a new file, or replace an existing
    regular file (with ``force``) that is none of ``inputs``. ``kind`` (say,
    ``"model"``) names what is written."""
    path = Path(path)
    info = status(path)
    if info is not None:
        not_an_input(path, inputs)
        if stat.S_ISDIR(info.st_mode):
            raise InputError(path, f"is a directory; give a file name for the {kind}")
        for test, name in SPECIAL:
            if test(info.st_mode):
                raise InputError(path, f"is {name}, not a regular file; refusing to replace it")
        if not force:
            raise InputError(path, "already exists; pass {force} to overwrite it")
    if not folder_checked:
        check_folder(path.parent, path)
    return path


def check_files(paths, inputs=(), force=False, kind="file"):
    """:func:`check_file` on each of ``paths``, each folder tried once."""
    folders = set()
    for path in map(Path, paths):
        check_file(path, inputs, force, kind, folder_checked=path.parent in folders)
        folders.add(path.parent)
    return paths


def make_folder(folder):
    """Makes ``folder`` (as ``mkdir -p``) for results, or fails if it cannot hold new files."""
    folder = Path(folder)
    info = status(folder)
    if info is not None and not stat.S_ISDIR(info.st_mode):
        kind = next((name for test, name in SPECIAL if test(info.st_mode)), None)
        raise InputError(folder, f"is {kind}, not a folder" if kind else "not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(folder, f"cannot create the folder: {(exc.strerror or str(exc)).lower()}") from None
    try:
        tempfile.TemporaryFile(dir=folder).close()
    except OSError as exc:
        raise InputError(folder, f"folder is not writable ({exc.strerror})") from None
    return folder
