"""Checks on every path a command writes, made before any work starts.

A written path is never one of the run's inputs, a device, a named pipe or a socket;
it is a folder only where a folder is meant, its folder exists (or is made, where a
folder of results is meant) and takes new files, a figure's name ends with an
extension matplotlib writes, and an existing file is replaced only with ``force``.
Each problem is an :class:`~ocr_cli.errors.InputError` naming the path.
"""

import os
import stat
import tempfile
from pathlib import Path

from ocr_cli.errors import InputError

# What matplotlib's file backends write without anything else installed (not pgf,
# which needs LaTeX, nor raw pixel buffers).
FIGURE_SUFFIXES = (".png", ".pdf", ".svg", ".svgz", ".jpg", ".jpeg", ".tif", ".tiff", ".webp", ".eps", ".ps")
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
            raise InputError(path, "already exists; pass --force to overwrite it")
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


def can_draw(path):
    """Loads matplotlib (its file-only backend), or fails naming ``path``, the figure
    that would have been drawn: a bad ``MPLBACKEND`` otherwise ends a long run."""
    from ocr_cli.plots import pyplot

    try:
        pyplot()
    except Exception as exc:  # noqa: BLE001 - whatever stops matplotlib loading stops every figure
        backend = os.environ.get("MPLBACKEND")
        if backend and "backend" in str(exc):
            raise InputError(path, f"cannot draw figures: matplotlib rejects MPLBACKEND={backend!r} "
                                   "(unset it or set it to Agg)") from None
        raise InputError(path, f"cannot draw figures: matplotlib fails to load ({type(exc).__name__}: {exc})") from None


def figure_file(path):
    """The file a figure named ``path`` is written to: a name without an extension gets
    ``.png`` (as matplotlib gives it), another extension must be one matplotlib writes."""
    path = Path(path)
    if not path.suffix:
        return path.with_name(path.name + ".png")
    if path.suffix.lower() not in FIGURE_SUFFIXES:
        raise InputError(path, f"cannot write a figure as '{path.suffix}'; "
                               f"name a {', '.join(s[1:] for s in FIGURE_SUFFIXES)} file")
    return path


def check_figure(path, inputs=(), force=False):
    """The checked file for one figure named ``path`` (see :func:`figure_file`)."""
    info = status(path)
    if info is not None:
        not_an_input(path, inputs)
        if stat.S_ISDIR(info.st_mode):
            raise InputError(path, "is a directory; give a file name for the figure")
    target = check_file(figure_file(path), inputs, force, "figure")
    can_draw(target)
    return target


def check_figure_folder(folder, names, inputs=(), force=False):
    """Makes ``folder`` for the figures ``names`` (``"loss.png"``...) and checks each
    of them; returns their paths."""
    can_draw(folder)
    folder = make_folder(folder)
    return check_files([folder / name for name in names], inputs, force, "figure")


def one_figure_file(option, several):
    """Whether an image figure option (``PNG|DIR``) names one file rather than a folder:
    a name with an extension that is not a folder, for a single image."""
    option = Path(option)
    return not several and bool(option.suffix) and not option.is_dir()


def image_figure(option, image, name, several):
    """Where the figure ``name`` (``"boxes"``) of ``image`` goes: ``option`` itself
    for one image (see :func:`one_figure_file`), else ``option/<image stem>_<name>.png``."""
    option = Path(option)
    if one_figure_file(option, several):
        return option
    return option / f"{Path(image).stem}_{name}.png"


def check_image_figures(option, images, name, inputs=(), force=False):
    """Checks the figures ``name`` of each of ``images`` that ``option`` asks for (a
    folder is made), before any image is read: a file only for one image, and two
    inputs may not share a figure. Returns the figures' paths."""
    option, several = Path(option), len(images) > 1
    if option.suffix and not option.is_dir():
        if several:
            raise InputError(option, f"names one figure but {len(images)} images are read; give a folder")
        return [check_figure(option, inputs, force)]
    drawn = {}
    for image in images:
        first = drawn.setdefault(image_figure(option, image, name, several), image)
        if Path(first) != Path(image) and not is_input(first, [image]):
            raise InputError(image_figure(option, image, name, several),
                             f"would hold the figures of both '{first}' and '{image}'")
    can_draw(option)
    make_folder(option)
    return check_files(list(drawn), inputs, force, "figure")
