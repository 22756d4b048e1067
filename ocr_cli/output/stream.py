"""Results written as each file is done, in input order, in one format
(:mod:`ocr_cli.output.formats`): to standard output, or one file per input in a folder.

Several files on standard output: text, hOCR and ALTO results each under a
``==> FILE <==`` line; a format that joins files (TSV: one table; JSON: one list, a
file that failed an entry ``{"file", "error"}``) prints its head once, before the
first result, and its tail at the end.
"""

import sys
from pathlib import Path

from ocr_cli.errors import InputError
from ocr_cli.files import write_whole
from ocr_cli.output.formats import FORM_FEED, printable


class Stream:
    """Writes results as they come (:meth:`add`), then closes the run (:meth:`close`).
    ``form``: the :class:`~ocr_cli.output.formats.Format`; ``run``: its
    :class:`~ocr_cli.output.formats.Run`; ``several``: whether several files are read
    (their results are then told apart); ``out_dir`` and ``names`` (``{path: file
    name}``, :func:`output_names`): write each result to its own file there instead;
    ``shown(path)``: how a file is named in the results (``-`` for standard input).
    ``done`` counts the files handled, failed or not; pages are numbered through the
    run."""

    def __init__(self, form, run, several=False, out_dir=None, names=None, out=None, shown=None):
        self.form, self.run, self.several, self.shown = form, run, several, shown or (lambda path: path)
        self.out_dir, self.names, self.out = out_dir, names or {}, out or sys.stdout
        self.done, self.printed, self.pages = 0, 0, 0
        self.document = None  # a binary format's document, written at the end

    def write(self, text):
        self.out.write(text)

    def add(self, path, pages, error):
        """The result of ``path``: its pages (:class:`~ocr_cli.pipeline.records.Page`),
        or the ``error`` it failed with (reported elsewhere; only a format that lists
        errors shows it)."""
        self.done += 1
        source, path = path, self.shown(path)  # (a binary format decodes the pages again from the source)
        if self.out_dir is not None:
            if error is None:
                result = self.form.alone(pages, self.run, source if self.form.binary else path)
                path = source
                data = (result or b"") if self.form.binary else (result + "\n").encode()
                write_whole(self.out_dir / self.names[path], lambda f: f.write(data), "result")
            return
        if self.form.binary:  # one document, written whole at the end
            if error is None:
                self.document = self.document or self.form.document(self.run)
                self.document.add(pages, source)
                self.pages += len(pages)
            return
        entry = self.form.pages(pages, self.run, path, self.pages + 1) if error is None else self.form.error(path, error)
        self.pages += len(pages) if error is None else 0
        if entry is None:
            return
        if self.form.joins_files:
            head = self.form.head(self.run, path) if not self.printed else ""
            self.write((head + "\n" if head else "") + (self.form.separator if self.printed else "") + entry
                       + ("" if self.form.separator else "\n"))
        else:
            if self.several:
                self.write(f"==> {printable(path)} <==\n")
            if entry:
                self.write(entry if entry.endswith(FORM_FEED) else entry + "\n")
        self.printed += 1
        self.out.flush()

    def close(self):
        """Ends the run: a joining format's tail (``empty`` if nothing came); a binary
        format's document (nothing if no page came)."""
        if self.out_dir is None and self.form.binary:
            data = self.document.finish() if self.document is not None else None
            if data:
                getattr(self.out, "buffer", self.out).write(data)
        elif self.out_dir is None and self.form.joins_files:
            if not self.printed:
                if self.form.empty is not None:
                    self.write(self.form.empty + "\n")
            elif self.form.tail(self.run):
                self.write(self.form.tail(self.run) + "\n")
        self.out.flush()


def output_names(paths, suffix, out_dir):
    """``{path: file name}`` for writing one result per input into ``out_dir``: the
    input's stem and ``suffix``, ``-2``, ``-3``... added where two inputs share a
    stem; an :class:`~ocr_cli.errors.InputError` if a name would replace one of the
    inputs (:func:`~ocr_cli.files.check_files` checks the rest)."""
    names, taken = {}, set()
    inputs = {Path(p).resolve() for p in paths}
    for path in paths:
        stem, n = Path(path).stem, 1
        name = f"{stem}{suffix}"
        while name in taken:
            n += 1
            name = f"{stem}-{n}{suffix}"
        taken.add(name)
        target = Path(out_dir) / name
        if target.resolve() in inputs:
            raise InputError(target, "is one of the inputs; choose another {output_dir}")
        names[path] = name
    return names
