"""The Python API people would guess: ``ocr_cli.read(source)`` and
``ocr_cli.read_many(sources)``.

A ``source`` is a path (``str`` or :class:`~pathlib.Path`), the bytes of a file, a
binary file object, a PIL image (EXIF orientation applied, any mode: palette, CMYK,
16-bit, transparency over white) or a numpy array (grey ``(H, W)`` or RGB/RGBA
``(H, W, 3|4)``, integers or floats in 0..1). Files may hold many pages (TIFF, PDF,
GIF, APNG, HEIC): :func:`read` returns a file's only page, :func:`read_pages` every
page. Options (as the command line's): ``model`` (a path or a loaded model; default the
shipped one), ``lexicon`` (``"english"``, a word list's path, or None for none),
``chars`` (``"0123456789"``, ``"A-Z"``), ``punctuation``, ``printed`` (False: lines of
print, such as a form's labels, left out).
"""

import os
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple, Optional

from ocr_cli.errors import InputError
from ocr_cli.pipeline.reader import ENGLISH, PageReader


@lru_cache(maxsize=8)
def reader_for(model, lexicon, chars, punctuation, printed):
    """One :class:`PageReader` per set of options (its model loaded once)."""
    reader = PageReader(model, lexicon, punctuation=punctuation, chars=chars, printed=printed)
    reader.load()
    return reader


def reader_of(model=None, lexicon=ENGLISH, chars=None, punctuation=True, printed=True):
    """The reader for these options (shared by calls with the same ones)."""
    from ocr_cli.net.model import Model

    if isinstance(model, Model):  # a loaded model: a reader of its own
        reader = PageReader(model, lexicon, punctuation=punctuation, chars=chars, printed=printed)
        reader.load()
        return reader
    return reader_for(None if model is None else str(model), None if lexicon is None else str(lexicon), chars,
                      punctuation, printed)


def read_pages(source, **options):
    """Every page of ``source`` (see the module's docstring) read: a list of
    :class:`~ocr_cli.pipeline.records.Page`."""
    reader = reader_of(**options)
    if isinstance(source, (str, os.PathLike)):
        return reader(Path(source))
    if isinstance(source, (bytes, bytearray, memoryview)) or hasattr(source, "read"):
        data = bytes(source) if not hasattr(source, "read") else source.read()
        if not isinstance(data, bytes):
            raise InputError("source", "a file object must be opened in binary mode ('rb')")
        with tempfile.TemporaryDirectory(prefix="ocr-") as folder:
            path = Path(folder) / "image"
            path.write_bytes(data)
            try:
                return reader(path)
            except InputError as error:  # named as what it was given as, not the temporary file
                raise InputError("bytes" if not hasattr(source, "read") else getattr(source, "name", "file"),
                                 error.problem) from None
    from ocr_cli.pipeline.reader import as_photo

    return [reader.page_of(as_photo(source))]


def read(source, page=None, **options):
    """The :class:`~ocr_cli.pipeline.records.Page` read from ``source``: its only page,
    or page number ``page`` (from 1) of a file of several (:func:`read_pages` reads
    them all); an :class:`~ocr_cli.errors.InputError` for a file of several pages
    without ``page``."""
    if page is None and isinstance(source, (str, os.PathLike)):  # said before anything is read
        from ocr_cli.pipeline.documents import page_count

        count = page_count(source)
        if count != 1:
            raise InputError(source, f"holds {count} pages; read_pages(source) reads them all, read(source, page=N) one")
    pages = read_pages(source, **options)
    if page is not None:
        if not 1 <= page <= len(pages):
            raise InputError("page", f"{page} is not a page of this source (it has {len(pages)})")
        return pages[page - 1]
    if len(pages) != 1:
        raise InputError("source", f"holds {len(pages)} pages; read_pages(source) reads them all, "
                                   "read(source, page=N) one")
    return pages[0]


class Result(NamedTuple):
    """What :func:`read_many` gives for each source: its pages, or the error it failed with."""

    source: object
    pages: Optional[list]
    error: Optional[Exception]


def read_many(sources, jobs=1, **options):
    """Reads many sources: a :class:`Result` for each, yielded in input order as each is
    done; a source that fails has its ``error`` and the rest are still read. Paths are
    read in ``jobs`` processes (``None``: one per core), the model loaded once per
    process; other sources here."""
    from ocr_cli.batch import attempt, run_each
    from ocr_cli.cores import usable_cores

    sources = list(sources)
    reader = reader_of(**options)
    paths = [s for s in sources if isinstance(s, (str, os.PathLike))]
    done = iter(run_each(reader, [Path(p) for p in paths], jobs or usable_cores()) if paths else ())
    for source in sources:
        if isinstance(source, (str, os.PathLike)):
            _, pages, error = next(done)
        else:
            pages, error = attempt(lambda s: read_pages(s, **options), source)
        yield Result(source, pages, error)
