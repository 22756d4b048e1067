"""Loading and validating nist36-layout ``.mat`` files.

A file holds ``<split>_data``: (N, 1024) floats in 0..1, each row a 32x32 image in the
layout of :mod:`ocr_cli.layout` (stored transposed, background 1, ink 0), and
``<split>_labels``: (N, C) one-hot. Its columns are the classes the optional
``<split>_classes`` string names, one character each; without it, 36 columns are
``A``..``Z`` then ``0``..``9`` and a 37th marks crops that are not characters
(:data:`ocr_cli.layout.NOT_A_CHARACTER`).
"""

import hashlib
import math
import warnings
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ocr_cli.errors import InputError, existing_file
from ocr_cli.layout import CLASSES, PIXELS, default_classes, valid_classes
from ocr_cli.net.matfile import read_rows

# The most data one file may hold, as the float32 training works in: 1 GiB, 262,144 rows,
# 24 times nist36's training set. Checked from the file's headers before anything is
# loaded (a 1 MB compressed file can hold a million rows, 4 GB as floats), as is the
# memory loading takes against the memory budget (ocr_cli.memory): the rows as float32,
# read straight into them (ocr_cli.net.matfile), or, for a file scipy must read, also
# as stored.
MAX_DATA_BYTES = 1 << 30
MAX_ROWS = MAX_DATA_BYTES // (PIXELS * 4)
MAX_CLASSES = 1000  # label columns: far more than any alphabet's characters
# Values this far outside 0..1 are rounding (1.0000001), clipped rather than refused.
RANGE_TOLERANCE = 1e-6
# MATLAB classes that hold plain numbers (whosmat's names), and the bytes of each number.
NUMERIC_CLASSES = {"double": 8, "single": 4, "logical": 1, "int8": 1, "uint8": 1, "int16": 2, "uint16": 2,
                   "int32": 4, "uint32": 4, "int64": 8, "uint64": 8}


class Dataset(NamedTuple):
    """``X: (N, 1024)`` float32 images, ``Y: (N, C)`` float32 one-hot, the files they
    came from and ``classes``, the class of each label column (by default
    :func:`ocr_cli.layout.default_classes`); ``drawn``: ``(first row, strokes)`` pairs
    for runs of rows that are pen strokes (:class:`ocr_cli.net.pens.Strokes`), drawn
    anew whenever training uses them (their ``X`` rows are paper until then)."""

    X: np.ndarray
    Y: np.ndarray
    paths: tuple = ()
    classes: str = ""
    drawn: tuple = ()

    def drawn_rows(self):
        """Boolean mask ``(N,)`` of the rows that are pen strokes (paper until drawn)."""
        mask = np.zeros(len(self.X), bool)
        for start, strokes in self.drawn:
            mask[start:start + len(strokes)] = True
        return mask

    def select(self, keep):
        """The rows where the boolean mask ``keep`` is true, pen strokes included."""
        rows = np.flatnonzero(keep)
        drawn = []
        for start, strokes in self.drawn:
            inside = rows[(rows >= start) & (rows < start + len(strokes))]
            if len(inside):
                drawn.append((int(np.searchsorted(rows, inside[0])), strokes.subset(inside - start)))
        return self._replace(X=self.X[rows], Y=self.Y[rows], drawn=tuple(drawn))

    def named(self):
        """The same, its classes named (the default ones for its column count)."""
        return self if self.classes else self._replace(classes=default_classes(self.Y.shape[1]))

    def aligned(self, classes):
        """The rows whose class is one of ``classes``, their labels in the columns of
        ``classes`` (matched by character, never by position), and how many rows of
        other classes were left out."""
        own = self.named().classes
        columns = [own.find(c) for c in classes]
        labels = self.Y.argmax(1)
        known = np.isin(labels, [c for c in columns if c >= 0])
        Y = np.zeros((int(known.sum()), len(classes)), self.Y.dtype)
        index = np.full(len(own), -1)
        index[[c for c in columns if c >= 0]] = [i for i, c in enumerate(columns) if c >= 0]
        Y[np.arange(len(Y)), index[labels[known]]] = 1
        kept = self if known.all() else self.select(known)
        return kept._replace(Y=Y, classes=classes), int((~known).sum())


def split_file(data_dir, split):
    """``DIR/nist36_<split>.mat``, which must exist."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        if data_dir.exists():
            raise InputError(data_dir, f"is a {'file' if data_dir.is_file() else 'special file'}, not a folder; "
                                       "{data} (or $OCR_DATA) names the folder holding nist36_{train,valid,test}.mat")
        raise InputError(data_dir, "no such data directory")
    return existing_file(data_dir / f"nist36_{split}.mat", "a .mat file")


def read_mat(path, names=None):
    """The variables of a ``.mat`` file as a dict (only ``names`` if given), or an
    :class:`InputError`. Library warnings while reading are not shown."""
    from scipy.io import loadmat

    path = existing_file(path, "a .mat file")
    try:
        with warnings.catch_warnings(record=True):
            warnings.simplefilter("always")
            return loadmat(path, variable_names=names)
    except Exception as exc:  # scipy raises many types for a damaged or foreign file
        raise InputError(path, f"not a readable .mat file ({type(exc).__name__}: {exc})") from None


def read_headers(path):
    """``{name: (shape, MATLAB class)}`` of the variables of a ``.mat`` file, from their
    headers (nothing is loaded), or an :class:`InputError`."""
    from scipy.io import whosmat

    path = existing_file(path, "a .mat file")
    try:
        with warnings.catch_warnings(record=True):
            warnings.simplefilter("always")
            headers = {name: (tuple(int(n) for n in shape), kind) for name, shape, kind in whosmat(str(path))}
    except Exception as exc:  # as read_mat
        raise InputError(path, f"not a readable .mat file ({type(exc).__name__}: {exc})") from None
    end = cut_short(path)
    if end is not None:  # whosmat lists what it found before the end, silently
        raise InputError(path, f"is truncated or damaged: a variable runs to byte {end:,} but the file ends at "
                               f"{path.stat().st_size:,}")
    return headers


# A MATLAB 5 (v5 to v7) file: a 128-byte header ending with its byte order ('IM' little
# endian), then variables, each an 8-byte tag (type, byte count) and its bytes, padded to
# 8 bytes unless compressed (type 15).
MAT5_HEADER, MAT5_COMPRESSED = 128, 15


def cut_short(path):
    """Where the ``.mat`` file at ``path`` should go on to when a variable runs past its
    end (a truncated download or copy), else None (also for files that are not
    MATLAB 5 files: their readers judge them)."""
    import struct

    size = path.stat().st_size
    with open(path, "rb") as f:
        header = f.read(MAT5_HEADER)
        if len(header) < MAT5_HEADER or header[126:128] not in (b"IM", b"MI") or header[124:126] not in (b"\x00\x01", b"\x01\x00"):
            return None
        order = "<" if header[126:128] == b"IM" else ">"
        position = MAT5_HEADER
        while position + 8 <= size:
            f.seek(position)
            kind, length = struct.unpack(order + "II", f.read(8))
            position += 8 + length + (0 if kind == MAT5_COMPRESSED else -length % 8)
    return position if position > size else None


def find_split(variables, path, split=None, prefer=None):
    """The ``<split>`` whose ``_data`` and ``_labels`` keys are both present: ``split``
    if given (which must be there), else the file's only pair, else the pair named
    ``prefer`` (the split the file is read as: ``"train"``, ``"valid"``, ``"test"``) or,
    failing that, the one pair named in the file's name (``nist36_train.mat``)."""
    import re

    splits = sorted(k[:-5] for k in variables if k.endswith("_data") and f"{k[:-5]}_labels" in variables)
    if split is not None:
        if split not in splits:
            raise InputError(path, f"no '{split}_data' and '{split}_labels' keys (found: {', '.join(splits) or 'none'})")
        return split
    if len(splits) == 1:
        return splits[0]
    if not splits:
        keys = ", ".join(k for k in variables if not k.startswith("__")) or "none"
        raise InputError(path, f"no '<split>_data' and '<split>_labels' key pair (keys: {keys})")
    if prefer in splits:
        return prefer
    named = [s for s in splits if s in re.split(r"[^0-9a-zA-Z]+", Path(path).stem)]
    if len(named) == 1:
        return named[0]
    which = f", none of them '{prefer}' (the split it is read as)" if prefer else ""
    raise InputError(path, f"holds several splits ({', '.join(splits)}){which}; ocr reads one "
                           f"'<split>_data'/'<split>_labels' pair per file: save each pair in its own file")


def check_shapes(data_shape, labels_shape, path, split, named=None):
    """Refuses ``<split>_data`` that is not (N, 1024) with 1..:data:`MAX_ROWS` rows, or
    labels that are not (N, 36) or (N, 37) (or, when the file names ``named`` classes,
    one column per class; ``named`` True: the file names classes not counted yet, as
    its headers do not tell how many characters a string holds)."""
    dname, lname = f"{split}_data", f"{split}_labels"
    if len(data_shape) != 2 or data_shape[1] != PIXELS:
        raise InputError(path, f"'{dname}' has shape {data_shape}; expected (N, {PIXELS}) rows of 32x32 images")
    rows = data_shape[0]
    if rows == 0:
        raise InputError(path, f"'{dname}' holds no rows")
    if rows > MAX_ROWS:
        raise InputError(path, f"'{dname}' has {rows:,} rows, {rows * PIXELS * 4 / 2 ** 30:,.1f} GiB as float32; "
                               f"the most ocr loads is {MAX_ROWS:,} rows ({MAX_DATA_BYTES / 2 ** 30:g} GiB)")
    if named is True:
        if len(labels_shape) != 2 or labels_shape[0] != rows or not 0 < labels_shape[1] <= MAX_CLASSES:
            raise InputError(path, f"'{lname}' has shape {labels_shape}; expected ({rows}, C) one-hot rows, "
                                   f"one column per class of '{split}_classes' (at most {MAX_CLASSES})")
    elif named is not None:
        if len(labels_shape) != 2 or labels_shape != (rows, named):
            raise InputError(path, f"'{lname}' has shape {labels_shape}; expected ({rows}, {named}) one-hot rows, "
                                   f"one column per class of '{split}_classes'")
    elif len(labels_shape) != 2 or labels_shape[0] != rows or labels_shape[1] not in (len(CLASSES), len(CLASSES) + 1):
        raise InputError(path, f"'{lname}' has shape {labels_shape}; expected ({rows}, {len(CLASSES)}) one-hot rows "
                               f"(or {len(CLASSES) + 1} columns, the last for crops that are not characters)")


def check_headers(headers, path, split):
    """Refuses, before loading, a pair that is not plain numbers (sparse, cell, struct,
    text), of the wrong shape or too large (:func:`check_shapes`), or that loading
    would take more memory than the budget allows (:func:`check_loading`)."""
    for name in (f"{split}_data", f"{split}_labels"):
        kind = headers[name][1]
        if kind == "sparse":
            raise InputError(path, f"'{name}' is a sparse matrix; save it as a full array (full() in MATLAB, "
                                   ".toarray() in scipy)")
        if kind not in NUMERIC_CLASSES:
            raise InputError(path, f"'{name}' is a MATLAB {kind}; expected an array of numbers")
    named = headers.get(f"{split}_classes")
    if named is not None and (named[1] != "char" or not 0 < np.prod(named[0]) <= MAX_CLASSES):
        raise InputError(path, f"'{split}_classes' is a MATLAB {named[1]} of shape {named[0]}; expected a string of "
                               f"at most {MAX_CLASSES} characters, one per label column")
    check_shapes(headers[f"{split}_data"][0], headers[f"{split}_labels"][0], path, split, named is not None or None)
    check_loading(headers, path, split)


def loading_bytes(shape, kind, as_stored=True):
    """The memory loading an array of ``shape`` and MATLAB class ``kind`` takes: as
    the float32 copy training works in, and ``as_stored`` the array as the file holds
    it beside it (scipy's loadmat; none for float32)."""
    stored = NUMERIC_CLASSES[kind] if as_stored and kind != "single" else 0
    return math.prod(shape) * (stored + 4)


def check_loading(headers, path, split, as_stored=False):
    """Refuses, from the headers, a pair whose loading would take more than
    :func:`ocr_cli.memory.data_budget`: the rows as float32 (read straight into them,
    :mod:`ocr_cli.net.matfile`), and ``as_stored`` also as the file holds them (read
    by scipy: a file that reader does not handle)."""
    from ocr_cli.memory import data_budget, readable, share_words

    (shape, kind), labels = headers[f"{split}_data"], headers[f"{split}_labels"]
    need = loading_bytes(shape, kind, as_stored) + loading_bytes(*labels, as_stored)
    if need > data_budget():
        how = "as stored and as float32" if as_stored and kind != "single" else "as float32"
        raise InputError(path, f"'{split}_data' has {shape[0]:,} rows of {kind}: loading them takes {readable(need)} "
                               f"({how}), over {share_words(data_budget(), 'data')}")


def class_names(value, path, split):
    """The ``<split>_classes`` string of a file (None if it has none), checked
    (:func:`ocr_cli.layout.valid_classes`)."""
    if value is None:
        return None
    text = "".join(str(v) for v in np.asarray(value).ravel())
    if not valid_classes(text):
        raise InputError(path, f"'{split}_classes' is {text[:60]!r}; expected distinct printable ASCII characters, "
                               f"one per label column")
    return text


def span(low, high):
    """``"0..1.0000001"``: a range with the digits that tell its ends apart from 0 and 1."""
    def show(value):
        return np.format_float_positional(value, trim="-") if np.issubdtype(type(value), np.floating) else str(value)

    return f"{show(low)}..{show(high)}"


def validate(data, labels, path, split, classes=None):
    """Checks shapes, dtypes, finiteness, range and one-hot labels (one column per one
    of ``classes`` if the file names them); returns float32 copies (training runs in
    float32)."""
    dname, lname = f"{split}_data", f"{split}_labels"
    for name, array in ((dname, data), (lname, labels)):
        if hasattr(array, "toarray"):  # scipy.sparse
            raise InputError(path, f"'{name}' is a sparse matrix; save it as a full array")
        if np.iscomplexobj(array):
            raise InputError(path, f"'{name}' holds complex numbers; expected real values")
        if not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
            raise InputError(path, f"'{name}' has dtype {array.dtype}; expected numbers")
    check_shapes(data.shape, labels.shape, path, split, None if classes is None else len(classes))
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        low, high = data.min(), data.max()  # NaN and infinities reach one or the other
    if not (np.isfinite(low) and np.isfinite(high)):
        raise InputError(path, f"'{dname}' holds NaN or infinite values")
    if low < -RANGE_TOLERANCE or high > 1 + RANGE_TOLERANCE:
        raise InputError(path, f"'{dname}' values span {span(low, high)}; expected 0..1 (ink 0, paper 1)")
    if not (np.isin(labels, (0, 1)).all() and (labels.sum(1) == 1).all()):
        raise InputError(path, f"'{lname}' is not one-hot (each row must hold a single 1)")
    data, labels = data.astype(np.float32, copy=False), labels.astype(np.float32, copy=False)
    if low < 0 or high > 1:  # within the tolerance: rounding
        np.clip(data, 0, 1, out=data)
    return data, labels


def load_dataset(path, split=None, prefer=None):
    """Reads and validates one nist36-layout file. ``split`` picks the key pair
    (``train``, ``valid``, ...); by default the file's only pair is used, or of several
    the one named ``prefer`` (the split the file is read as), see :func:`find_split`.
    Names, shapes and classes are checked from the file's headers first, and only the
    chosen pair is loaded, so that a small file declaring huge arrays costs nothing."""
    path = Path(path)
    headers = read_headers(path)
    split = find_split(headers, path, split, prefer)
    check_headers(headers, path, split)
    pair = {name: read_rows(path, name, headers[name][0]) for name in (f"{split}_data", f"{split}_labels")}
    if any(rows is None for rows in pair.values()):  # not read straight into float32: scipy reads them
        check_loading(headers, path, split, as_stored=True)
    names = [name for name, rows in pair.items() if rows is None] + [f"{split}_classes"] * (f"{split}_classes" in headers)
    variables = read_mat(path, names) if names else {}
    variables.update({name: rows for name, rows in pair.items() if rows is not None})
    if f"{split}_data" not in variables or f"{split}_labels" not in variables:
        raise InputError(path, f"not a readable .mat file ('{split}_data' or '{split}_labels' listed but not loaded)")
    classes = class_names(variables.get(f"{split}_classes"), path, split)
    X, Y = validate(variables[f"{split}_data"], variables[f"{split}_labels"], path, split, classes)
    return Dataset(X, Y, (path,), classes or default_classes(Y.shape[1]))


def concatenate(datasets):
    """One :class:`Dataset` of the rows of all ``datasets``, its classes every class of
    theirs (in the order they first come)."""
    classes = "".join(dict.fromkeys("".join(d.named().classes for d in datasets)))
    parts = [d.aligned(classes)[0] for d in datasets]
    if len(parts) == 1:
        return parts[0]
    starts = np.cumsum([0] + [len(d.X) for d in parts])
    drawn = tuple((int(start) + first, strokes) for d, start in zip(parts, starts) for first, strokes in d.drawn)
    return Dataset(np.concatenate([d.X for d in parts]), np.concatenate([d.Y for d in parts]),
                   tuple(p for d in parts for p in d.paths), classes, drawn)


STROKE_SUFFIXES = (".json", ".json.gz")  # training files of pen strokes rather than images


def is_strokes(path):
    """Whether ``path`` names a file of pen strokes (:mod:`ocr_cli.net.pens`)."""
    return str(path).endswith(STROKE_SUFFIXES)


def load_strokes_dataset(path):
    """A :class:`Dataset` of the pen strokes in ``path``: every row drawn anew by
    training (:mod:`ocr_cli.net.pens`), paper until then."""
    from ocr_cli.net.pens import load_strokes

    strokes = load_strokes(path)
    X = np.ones((len(strokes), PIXELS), np.float32)
    Y = np.eye(len(CLASSES), dtype=np.float32)[strokes.labels]
    return Dataset(X, Y, (Path(path),), CLASSES, ((0, strokes),))


def provenance(**splits):
    """``{split: [{"file", "sha256"}, ...]}`` for the files of each split (``train=paths,
    ...``): which data a model was made from, for its metadata."""
    return {split: [{"file": str(p), "sha256": sha256(p)} for p in paths] for split, paths in splits.items()}


def sha256(path):
    """Hex SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
