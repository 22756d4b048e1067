"""Which rows of a data file train or measure a model: held-out writers and dropped rows.

Held-out writers. A model that reads hands it has never seen must be measured on hands
it has never seen. Files that name each row's writer (``<split>_writers``: the
UNIPEN characters, ``unipen36_train.mat`` and its strokes) give a writer split: every
writer whose id hashes to 0 modulo :data:`HELD_OUT_MODULUS` (SHA-256 of the id, so the
split depends on the id alone, not on the file's order or on which other writers it
holds) is held out. ``ocr train --hold-out-writers`` trains without them and ``ocr
evaluate --held-out-writers`` scores only them. For unipen36 that is 28 of 296 writers,
4,523 of 44,022 characters, every class among them.

Dropped rows. Some labels are wrong (the collectors checked only a third of UNIPEN's):
a list file names the rows to leave out, one per line, as ``COLLECTION ROW`` and an
optional comment after ``#``. The collection is the part of a data file's name before
its first underscore, so that ``unipen36 17`` drops row 17 of ``unipen36_train.mat``
and sample 17 of ``unipen36_strokes.json.gz`` alike (the same characters in the same
order). ``models/unipen36_dropped.txt`` is such a list (``models/clean_unipen.py``).
"""

import hashlib
import re
from pathlib import Path

import numpy as np

from ocr_cli.errors import InputError, existing_file

HELD_OUT_MODULUS = 10  # one writer in ten (by hash) is held out: about 10% of the writers
LINE = re.compile(r"^\s*(\S+)\s+(\d+)\s*(#.*)?$")  # a drop list's line: COLLECTION ROW [# comment]


def held_out(writer):
    """Whether the writer ``writer`` (its id, e.g. ``aga:amywldrp``) is held out."""
    return int(hashlib.sha256(str(writer).encode()).hexdigest(), 16) % HELD_OUT_MODULUS == 0


def held_out_rows(writers):
    """Boolean mask ``(N,)``: the rows whose writer is held out."""
    verdict = {w: held_out(w) for w in set(writers)}
    return np.array([verdict[w] for w in writers], bool)


def mat_writers(path, prefer=None):
    """The writer id of every row of a nist36-layout ``.mat`` file (its
    ``<split>_writers``, a cell array of strings), or None if it has none."""
    from ocr_cli.net.data import find_split, read_headers, read_mat

    headers = read_headers(path)
    split = find_split(headers, path, prefer=prefer)
    name = f"{split}_writers"
    if name not in headers:
        return None
    cells = np.asarray(read_mat(path, [name])[name], dtype=object).reshape(-1)
    try:
        return np.array([str(np.asarray(c).reshape(-1)[0]) for c in cells])
    except (IndexError, TypeError):
        raise InputError(path, f"'{name}' is not a list of writer names") from None


def writers_of(dataset, path, prefer):
    """The writer of every row of ``dataset`` read from ``path`` (a strokes file's own,
    else the ``.mat`` file's ``<split>_writers``), or None if the file names none."""
    return dataset.drawn[0][1].writers if dataset.drawn else mat_writers(path, prefer)


def collection(path):
    """The collection a data file belongs to: its name up to the first underscore
    (``unipen36_strokes.json.gz`` -> ``unipen36``)."""
    return Path(path).name.split("_")[0]


def read_drop_list(path):
    """``{collection: sorted row indices}`` from a drop list (see the module's
    docstring); blank lines and lines starting with ``#`` are skipped."""
    path = existing_file(path, "a drop list")
    rows = {}
    try:
        lines = path.read_text().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(path, f"not a readable drop list ({exc})") from None
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = LINE.match(line)
        if not match:
            raise InputError(path, f"line {number} is not 'COLLECTION ROW [# comment]': {line[:60]!r}")
        rows.setdefault(match[1], set()).add(int(match[2]))
    return {name: np.array(sorted(found)) for name, found in rows.items()}


def dropped_rows(drop, path, n):
    """Boolean mask ``(n,)`` of the rows of data file ``path`` that the drop list
    ``drop`` (:func:`read_drop_list`) names; a row beyond the file is an error."""
    rows = drop.get(collection(path), np.zeros(0, int))
    if len(rows) and rows[-1] >= n:
        raise InputError(path, f"the drop list names row {rows[-1]}, but the file has {n} rows")
    mask = np.zeros(n, bool)
    mask[rows] = True
    return mask


def load_training(paths, hold_out_writers=False, drop=None):
    """The training rows of ``paths`` (nist36-layout ``.mat`` files and pen strokes,
    :func:`ocr_cli.net.data.is_strokes`) as one dataset, less the rows of held-out
    writers (``hold_out_writers``) and those the drop list ``drop`` names."""
    from ocr_cli.net.data import concatenate, is_strokes, load_dataset, load_strokes_dataset

    dropped = read_drop_list(drop) if drop else {}
    parts, named = [], False
    for path in paths:
        part = load_strokes_dataset(path) if is_strokes(path) else load_dataset(path, prefer="train")
        keep = ~dropped_rows(dropped, path, len(part.X))
        writers = writers_of(part, path, "train") if hold_out_writers else None
        if writers is not None:
            keep &= ~held_out_rows(writers)
            named = True
        parts.append(part if keep.all() else part.select(keep))
    if hold_out_writers and not named:
        raise InputError("hold_out_writers", "no training file names its writers (<split>_writers or pen strokes)")
    return concatenate(parts)


def measured(dataset, path, held_out_writers=False, drop=None):
    """The rows of ``dataset`` (read from ``path``) a model is measured on: only the
    held-out writers' with ``held_out_writers``, less those the list ``drop`` names."""
    keep = np.ones(len(dataset.X), bool)
    if drop:
        keep &= ~dropped_rows(read_drop_list(drop), path, len(keep))
    if held_out_writers:
        writers = writers_of(dataset, path, "test")
        if writers is None:
            raise InputError(path, "names no writers (<split>_writers); {held_out_writers} needs them")
        keep &= held_out_rows(writers)
    if not keep.any():
        raise InputError(path, "no rows are left to score")
    return dataset if keep.all() else dataset.select(keep)
