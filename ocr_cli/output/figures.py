"""Where figures go, checked before any work starts: a figure's name ends with an
extension matplotlib writes (none: ``.png``), one figure per file, one folder of
figures per image when several are read; matplotlib itself must load."""

import os
import stat
from pathlib import Path

from ocr_cli.errors import InputError
from ocr_cli.files import check_file, check_files, is_input, make_folder, not_an_input, status

# What matplotlib's file backends write without anything else installed (not pgf,
# which needs LaTeX, nor raw pixel buffers).
FIGURE_SUFFIXES = (".png", ".pdf", ".svg", ".svgz", ".jpg", ".jpeg", ".tif", ".tiff", ".webp", ".eps", ".ps")
def can_draw(path):
    """Loads matplotlib (its file-only backend), or fails naming ``path``, the figure
    that would have been drawn: a bad ``MPLBACKEND`` otherwise ends a long run."""
    from ocr_cli.output.plots import pyplot

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


def figure_path(option, image, name, several):
    """Where the figure ``name`` of ``image`` goes (see :func:`image_figure`), its
    folder made; :func:`check_image_figures` checked it before any image was read."""
    path = image_figure(option, image, name, several)
    if path != Path(option):
        path.parent.mkdir(parents=True, exist_ok=True)
    return path
