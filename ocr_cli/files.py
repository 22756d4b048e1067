"""Every path a command writes: checked before any work starts, then written whole.

A written path is never one of the run's inputs, a device, a named pipe, a socket or a
symbolic link (not even a broken one: a link would carry the write elsewhere), nor
another output of the same run; it is a folder only where a folder is meant, its
folder exists (or is made, where a folder of results is meant) and takes new files,
and an existing file is replaced only with ``force``. Each problem is an
:class:`~ocr_cli.errors.InputError` naming the path. (Figures:
:mod:`ocr_cli.output.figures`.)

:func:`write_whole` writes one: into a new temporary file beside it (created without
following links), flushed to disk, then renamed onto it only if what is there is still
what was checked (nothing, or the very file ``force`` allowed to replace); any error or
signal removes the temporary file and leaves the destination as it was. So a crash, a
full disk or a second run writing the same file never leaves a torn or a silently
replaced output.
"""

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from ocr_cli.errors import InputError, OcrError

SPECIAL = ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"),
           (stat.S_ISSOCK, "a socket"))


def status(path, follow=True):
    """``os.stat(path)`` (following links unless ``follow`` is False), None if nothing is
    there."""
    try:
        return os.stat(path) if follow else os.lstat(path)
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


# What was found at each path checked for writing (:func:`check_file`): the
# :func:`identity` of the file there, or None for nothing; :func:`write_whole` replaces only that.
CHECKED = {}
# The paths the running command writes (:func:`one_run`), None outside a command: no two
# of its outputs may be one file.
RUN = {"outputs": None, "made": None}


def key(path):
    """One name per place: the real folder and the file's own name."""
    path = Path(path)
    return os.path.join(os.path.realpath(path.parent), path.name)


def identity(info):
    """What tells one file from another at a path: its inode, and its size and the time
    it was last written (a removed file's inode number may be given to the next one)."""
    return None if info is None else (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)


@contextlib.contextmanager
def one_run():
    """The outputs of one command: within it, :func:`check_file` and :func:`make_folder`
    refuse a path another of its outputs already takes; a command that fails takes away
    the folders it made for its outputs that are still empty."""
    RUN["outputs"], RUN["made"] = {}, []
    try:
        yield
    except BaseException as exc:
        if getattr(exc, "exit_code", 1) != 0:  # (a command's normal end may be an exit of code 0)
            for folder in reversed(RUN["made"]):
                with contextlib.suppress(OSError):  # not empty, or gone: left as it is
                    folder.rmdir()
        raise
    finally:
        RUN["outputs"] = RUN["made"] = None


def claim(path, what):
    """Records ``path`` as an output of the running command (``what``: "file" or
    "folder"), failing if another of its outputs takes it already."""
    outputs = RUN["outputs"]
    if outputs is None:
        return
    taken = outputs.get(key(path))
    if taken is not None and (taken, what) != ("folder", "folder"):
        raise InputError(path, f"is also {'the folder of another' if taken == 'folder' else 'another'} output of this "
                               "command; give each output its own name")
    outputs[key(path)] = what
    if what == "file":  # a file where a folder of outputs is meant, or inside one
        for parent in Path(path).parents:
            if outputs.get(key(parent)) == "file":
                raise InputError(path, f"lies in '{parent}', which this command also writes as a file")


def not_a_link(path, info):
    if info is not None and stat.S_ISLNK(info.st_mode):
        try:
            target = os.readlink(path)
        except OSError:
            target = "?"
        raise InputError(path, f"is a symbolic link (to '{target}'); refusing to write through it")


def check_file(path, inputs=(), force=False, kind="file", folder_checked=False, again=False):
    """Fails unless ``path`` may be written as a new file, or replace an existing
    regular file (with ``force``) that is none of ``inputs`` nor another output of the
    command. ``kind`` (say, ``"model"``) names what is written; ``again``: the command
    checked it already (the library checks once more as it writes)."""
    path = Path(path)
    not_a_link(path, status(path, follow=False))
    if not again:
        claim(path, "file")
    info = status(path)
    if not again or key(path) not in CHECKED or RUN["outputs"] is None:  # a command's second check keeps its first's
        CHECKED[key(path)] = identity(info)
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


def in_place(path):
    """Records ``path``, an existing regular file the command reads, as one it will
    replace as it goes on (a checkpoint it resumes from)."""
    path = Path(path)
    not_a_link(path, status(path, follow=False))
    claim(path, "file")
    CHECKED[key(path)] = identity(status(path))


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
    claim(folder, "folder")
    info = status(folder)
    if info is not None and not stat.S_ISDIR(info.st_mode):
        kind = next((name for test, name in SPECIAL if test(info.st_mode)), None)
        raise InputError(folder, f"is {kind}, not a folder" if kind else "not a folder")
    missing = [f for f in [folder, *folder.parents] if not os.path.lexists(f)][::-1]
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if RUN["made"] is not None:
            RUN["made"] += missing
    except OSError as exc:
        raise InputError(folder, f"cannot create the folder: {(exc.strerror or str(exc)).lower()}") from None
    try:
        tempfile.TemporaryFile(dir=folder).close()
    except OSError as exc:
        raise InputError(folder, f"folder is not writable ({exc.strerror})") from None
    return folder


def file_mode(path):
    """The permissions a new file at ``path`` gets: the replaced file's, else 0666 less
    the umask (mkstemp's own 0600 would hide a model or a figure from other users)."""
    info = status(path, follow=False)
    if info is not None and stat.S_ISREG(info.st_mode):
        return info.st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_whole(path, write, kind="file"):
    """Writes ``path`` by ``write(binary file)`` whole or not at all (see the module's
    docstring). A path never checked (:func:`check_file`) is checked now, as a new
    file. Errors: :class:`~ocr_cli.errors.OcrError` naming the path and the ``kind``
    written (a full disk, a folder gone); whatever ``write`` raises passes through,
    the destination untouched."""
    path = Path(path)
    if key(path) not in CHECKED:
        check_file(path, kind=kind)
    tmp = None
    try:
        # mkstemp opens with O_CREAT | O_EXCL | O_NOFOLLOW: a new file of its own, never a link's target.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), file_mode(path))
            write(f)
            f.flush()
            os.fsync(f.fileno())
        put_in_place(tmp, path)
    except BaseException as exc:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise OcrError(f"{path}: cannot write the {kind} ({(exc.strerror or str(exc)).lower()})") from None
        raise
    CHECKED[key(path)] = identity(status(path, follow=False))  # ours now: a later write (a checkpoint) replaces it


def put_in_place(tmp, path):
    """Renames ``tmp`` onto ``path`` if ``path`` is still what :func:`check_file` found
    there: nothing (then a hard link, which never replaces a file another run put there
    meanwhile), or the same regular file."""
    expected, info = CHECKED.get(key(path)), status(path, follow=False)
    if info is None:
        try:
            os.link(tmp, path)
        except FileExistsError:
            info = status(path, follow=False)
        except OSError:  # a file system without hard links: the rename, after the check above
            os.rename(tmp, path)
            return
        else:
            os.unlink(tmp)
            return
    if info is None or not stat.S_ISREG(info.st_mode) or identity(info) != expected:
        raise OcrError(f"{path}: changed while this command ran (another run wrote it?); "
                       "not replaced, run again to write it")
    os.replace(tmp, path)
