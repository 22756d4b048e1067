"""The files that IMAGE arguments name (``ocr read``, ``ocr find-letters``), in order.

An argument may be:

- a folder: the images inside it, sorted by name (:data:`IMAGE_SUFFIXES`);
- a pattern with ``*``, ``?`` or ``[`` that is not itself a file: the files it matches,
  sorted (the tool expands it, as a quoted pattern is not expanded by the shell);
- ``@LIST``: the paths listed in that file (UTF-8, or ``-`` / ``/dev/stdin``: standard
  input), one per line;
- ``-``: an image read from standard input into a temporary file (once: a second ``-``
  would read nothing);
- anything else: a path, left for reading to judge.
"""

import glob
from pathlib import Path

from ocr_cli.errors import InputError

# The temporary files standard input was read into, each shown as ``-`` in every output.
FROM_STDIN = set()

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".gif", ".webp", ".pnm", ".pgm", ".ppm",
                  ".apng", ".pdf", ".heic", ".heif")
GLOB_CHARACTERS = set("*?[")
STDIN = "-"


def from_stdin(stdin=None):
    """An image read from ``stdin`` (a binary stream; default: standard input) into a
    temporary file, ``.../stdin``, removed when the process exits."""
    import atexit
    import shutil
    import sys
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="ocr-stdin-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    (folder / "stdin").write_bytes((stdin or sys.stdin.buffer).read())
    FROM_STDIN.add(folder / "stdin")
    return folder / "stdin"


def shown(path):
    """How ``path`` is named in outputs and messages: ``-`` for standard input, else itself."""
    return STDIN if path in FROM_STDIN else path


def named(text):
    """``text`` (a message) with each temporary file standard input was read into named
    ``-``, as :func:`shown` names it."""
    for path in FROM_STDIN:
        text = text.replace(str(path), STDIN)
    return text


# Where a list may be read from standard input: ``@-`` and ``@/dev/stdin`` (a pipe, not
# a regular file, read once).
STDIN_LISTS = (STDIN, "/dev/stdin")


def listed(path, stdin=None):
    """The paths a list file names, one per line (blank lines skipped): UTF-8 text, each
    line a path (a line holding a NUL byte names no file). ``path`` ``-`` or
    ``/dev/stdin``: the list is read from ``stdin`` (default: standard input)."""
    import sys

    from ocr_cli.errors import existing_file

    if str(path) in STDIN_LISTS:
        path, content = Path(str(path)), (stdin or sys.stdin.buffer).read()
    else:
        path = Path(path)
        if not path.exists() and not path.is_symlink():
            raise InputError(path, "no such list file")
        content = existing_file(path, "a list of images").read_bytes()
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = content[:exc.start].count(b"\n") + 1
        raise InputError(path, f"line {line} is not UTF-8 text (byte {content[exc.start]:#04x}); "
                               "a list names one image per line in UTF-8") from None
    lines = [line.strip() for line in text.splitlines()]
    for number, line in enumerate(lines, 1):
        if "\0" in line:
            raise InputError(path, f"line {number} holds a NUL byte, which no file name can hold")
    return [Path(line) for line in lines if line]


def folder_images(folder):
    """The images in ``folder``, sorted by name."""
    inside = sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    if not inside:
        raise InputError(folder, f"is a folder that holds no images ({', '.join(IMAGE_SUFFIXES)})")
    return inside


def matches(pattern):
    """The files ``pattern`` matches, sorted."""
    found = sorted(glob.glob(pattern, recursive=True))
    if not found:
        raise InputError(pattern, "no files match this pattern")
    return [Path(m) for m in found]


def expand(argument, stdin=None):
    """The paths one IMAGE ``argument`` names (see the module's docstring)."""
    argument = str(argument)
    if argument == STDIN:
        return [from_stdin(stdin)]
    if argument.startswith("@") and not Path(argument).exists():
        return listed(argument[1:], stdin)
    if Path(argument).is_dir():
        return folder_images(argument)
    if GLOB_CHARACTERS & set(argument) and not Path(argument).exists():
        return matches(argument)
    return [Path(argument)]


def expand_inputs(arguments, stdin=None):
    """The image paths ``arguments`` name, in order (see :func:`expand`); standard
    input (``-``, ``@-``, ``@/dev/stdin``) may be named once."""
    reading = [str(a) for a in arguments if str(a) == STDIN or str(a)[1:] in STDIN_LISTS and str(a)[0] == "@"]
    if len(reading) > 1:
        raise InputError(reading[1], "standard input is named twice; it can be read once")
    return [path for argument in arguments for path in expand(argument, stdin)]
