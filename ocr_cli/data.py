"""Loading and validating nist36-layout ``.mat`` files.

A file holds ``<split>_data``: (N, 1024) floats in 0..1, each row a 32x32 image stored
transposed (background 1, ink 0), and ``<split>_labels``: (N, 36) one-hot, columns
``A``..``Z`` then ``0``..``9``; or (N, 37), whose 37th column marks crops that are not
characters (:data:`ocr_cli.NOT_A_CHARACTER`).
"""

import hashlib
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ocr_cli import CLASSES, NOT_A_CHARACTER
from ocr_cli.errors import InputError, existing_file

IMAGE_SIDE = 32
N_PIXELS = IMAGE_SIDE * IMAGE_SIDE


class Dataset(NamedTuple):
    """``X: (N, 1024)`` float32 images, ``Y: (N, 36)`` float32 one-hot, and the files
    they came from."""

    X: np.ndarray
    Y: np.ndarray
    paths: tuple

    @property
    def classes(self):
        """The label columns' classes: the 36, and "not a character" if a 37th column."""
        return CLASSES + NOT_A_CHARACTER * (self.Y.shape[1] - len(CLASSES))

    def widened(self, n_classes):
        """The same rows with labels of ``n_classes`` columns (the missing ones zero)."""
        pad = n_classes - self.Y.shape[1]
        return self if pad <= 0 else self._replace(Y=np.pad(self.Y, ((0, 0), (0, pad))))


def split_file(data_dir, split):
    """``DIR/nist36_<split>.mat``, which must exist."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise InputError(data_dir, "no such data directory")
    path = data_dir / f"nist36_{split}.mat"
    if not path.is_file():
        raise InputError(path, "no such file")
    return path


def read_mat(path):
    """The variables of a ``.mat`` file as a dict, or an :class:`InputError`."""
    from scipy.io import loadmat

    path = existing_file(path, "a .mat file")
    try:
        return loadmat(path)
    except Exception as exc:  # scipy raises many types for a damaged or foreign file
        raise InputError(path, f"not a readable .mat file ({type(exc).__name__}: {exc})") from None


def find_split(variables, path, split=None):
    """The ``<split>`` whose ``_data`` and ``_labels`` keys are both present."""
    splits = sorted(k[:-5] for k in variables if k.endswith("_data") and f"{k[:-5]}_labels" in variables)
    if split is not None:
        if split not in splits:
            raise InputError(path, f"no '{split}_data' and '{split}_labels' keys (found: {', '.join(splits) or 'none'})")
        return split
    if len(splits) != 1:
        keys = ", ".join(k for k in variables if not k.startswith("__")) or "none"
        problem = "no '<split>_data' and '<split>_labels' key pair" if not splits else "several splits, name one"
        raise InputError(path, f"{problem} (keys: {keys})")
    return splits[0]


def validate(data, labels, path, split):
    """Checks shapes, dtypes, finiteness, range and one-hot labels; returns float32 copies (training runs in float32)."""
    dname, lname = f"{split}_data", f"{split}_labels"
    for name, array in ((dname, data), (lname, labels)):
        if not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
            raise InputError(path, f"'{name}' has dtype {array.dtype}; expected numbers")
    if data.ndim != 2 or data.shape[1] != N_PIXELS:
        raise InputError(path, f"'{dname}' has shape {data.shape}; expected (N, {N_PIXELS}) rows of 32x32 images")
    if len(data) == 0:
        raise InputError(path, f"'{dname}' holds no rows")
    if labels.ndim != 2 or len(labels) != len(data) or labels.shape[1] not in (len(CLASSES), len(CLASSES) + 1):
        raise InputError(path, f"'{lname}' has shape {labels.shape}; expected ({len(data)}, {len(CLASSES)}) one-hot rows "
                               f"(or {len(CLASSES) + 1} columns, the last for crops that are not characters)")
    if not np.isfinite(data).all():
        raise InputError(path, f"'{dname}' holds NaN or infinite values")
    low, high = data.min(), data.max()
    if low < 0 or high > 1:
        raise InputError(path, f"'{dname}' values span {float(low)!r}..{float(high)!r}; expected 0..1 (ink 0, paper 1)")
    if not (np.isin(labels, (0, 1)).all() and (labels.sum(1) == 1).all()):
        raise InputError(path, f"'{lname}' is not one-hot (each row must hold a single 1)")
    data, labels = data.astype(np.float32), labels.astype(np.float32)
    return data, labels


def load_dataset(path, split=None):
    """Reads and validates one nist36-layout file. ``split`` picks the key pair
    (``train``, ``valid``, ...); by default the file's only pair is used."""
    path = Path(path)
    variables = read_mat(path)
    split = find_split(variables, path, split)
    X, Y = validate(variables[f"{split}_data"], variables[f"{split}_labels"], path, split)
    return Dataset(X, Y, (path,))


def concatenate(datasets):
    """One :class:`Dataset` of the rows of all ``datasets`` (labels widened to the
    most columns among them)."""
    n_classes = max(d.Y.shape[1] for d in datasets)
    X = np.concatenate([d.X for d in datasets])
    Y = np.concatenate([d.widened(n_classes).Y for d in datasets])
    return Dataset(X, Y, tuple(p for d in datasets for p in d.paths))


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
