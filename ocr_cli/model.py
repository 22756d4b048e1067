"""Model files: ``.npz`` of weight arrays plus one JSON metadata string. Never pickle.

Arrays ``W0, b0, W1, b1, ...`` (``W{i}: (in, out)``, ``b{i}: (out,)``) and ``metadata``,
a 0-d unicode array holding JSON: format version, class order, layer sizes and
activations, the input layout, how the model was trained and its metrics.
"""

import json
import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ocr_cli import CLASSES
from ocr_cli.errors import InputError, existing_file
from ocr_cli.nn import ACTIVATIONS, MLP, Dense

FORMAT = "ocr-mlp"
FORMAT_VERSION = 1
INPUT_LAYOUT = {
    "side": 32,
    "flatten": "transposed: row.reshape(32, 32).T is the upright image",
    "background": 1.0,
    "ink": 0.0,
}
# The shipped model; OCR_MODEL overrides it.
DEFAULT_MODEL = Path(__file__).resolve().parent.parent / "models" / "default.npz"


@dataclass
class Model:
    """A network with its metadata; ``predict_proba(X: (N, 1024)) -> (N, 36)``."""

    net: MLP
    metadata: dict

    @property
    def classes(self):
        return self.metadata["classes"]

    def predict_proba(self, X):
        return self.net.predict_proba(X)


def default_model_path():
    return Path(os.environ.get("OCR_MODEL") or DEFAULT_MODEL)


def describe_layers(net):
    return [{"in": l.W.shape[0], "out": l.W.shape[1], "activation": l.activation} for l in net.layers]


def new_metadata(net, **extra):
    """Metadata for a freshly trained ``net``; ``extra`` adds training, metrics, data."""
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "classes": CLASSES,
        "layers": describe_layers(net),
        "output": "softmax",
        "input": INPUT_LAYOUT,
        **extra,
    }


def check_writable(path, force=False):
    """Fails early (before any training) if ``path`` cannot be written."""
    path = Path(path)
    if path.is_dir():
        raise InputError(path, "is a directory; give a file name for the model")
    if path.exists() and not force:
        raise InputError(path, "already exists; pass --force to overwrite it")
    if not path.parent.is_dir():
        raise InputError(path, f"folder '{path.parent}' does not exist")
    if not os.access(path.parent, os.W_OK):
        raise InputError(path, f"folder '{path.parent}' is not writable")


def file_mode(path):
    """The permissions a new file at ``path`` gets: the replaced file's, else 0666 less
    the umask (mkstemp's own 0600 would hide the model from other users)."""
    if path.exists():
        return path.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def save_model(path, model, force=False):
    """Writes ``model`` atomically: a temporary file in the same folder, then a rename,
    so an interrupted write never leaves a truncated file or damages an existing one."""
    path = Path(path)
    check_writable(path, force)
    arrays = {}
    for i, layer in enumerate(model.net.layers):
        arrays[f"W{i}"], arrays[f"b{i}"] = layer.W, layer.b
    arrays["metadata"] = np.array(json.dumps(model.metadata))
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, file_mode(path))
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_npz(path):
    """All arrays of an ``.npz`` as a dict, refusing object arrays (no unpickling)."""
    path = existing_file(path, "a model file")
    with open(path, "rb") as f:
        if f.read(4) != b"PK\x03\x04":
            raise InputError(path, "not a readable model file (not an .npz archive)")
    try:
        with np.load(path, allow_pickle=False) as npz:
            return {name: npz[name] for name in npz.files}
    except ValueError as exc:
        if "allow_pickle" in str(exc):
            raise InputError(path, "holds object arrays; refusing to unpickle them") from None
        raise InputError(path, f"not a readable model file ({exc})") from None
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        raise InputError(path, f"not a readable model file ({type(exc).__name__}: {exc})") from None


def parse_metadata(arrays, path):
    if "metadata" not in arrays:
        raise InputError(path, "no 'metadata' in the model file")
    meta = arrays["metadata"]
    if meta.shape != () or meta.dtype.kind != "U":
        raise InputError(path, "'metadata' is not a JSON string")
    try:
        metadata = json.loads(str(meta))
    except json.JSONDecodeError as exc:
        raise InputError(path, f"'metadata' is not valid JSON ({exc})") from None
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT:
        raise InputError(path, f"not an {FORMAT} model (metadata 'format' is missing or different)")
    version = metadata.get("version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise InputError(path, f"model format version {version!r} is newer than this ocr reads ({FORMAT_VERSION}); upgrade ocr")
    if not isinstance(metadata.get("layers"), list) or not metadata["layers"]:
        raise InputError(path, "metadata has no 'layers' list")
    classes = metadata.get("classes")
    if not isinstance(classes, str) or not classes:
        raise InputError(path, "metadata has no 'classes' string")
    return metadata


def check_array(arrays, name, shape, path):
    if name not in arrays:
        raise InputError(path, f"missing array '{name}'")
    array = arrays[name]
    if array.shape != shape:
        raise InputError(path, f"array '{name}' has shape {array.shape}; expected {shape}")
    if array.dtype.kind != "f":
        raise InputError(path, f"array '{name}' has dtype {array.dtype}; expected floats")
    if not np.isfinite(array).all():
        raise InputError(path, f"array '{name}' holds NaN or infinite values")
    return array.astype(np.float64)


def load_model(path=None):
    """Reads and validates a model file (the shipped default if ``path`` is None)."""
    path = Path(path) if path is not None else default_model_path()
    arrays = read_npz(path)
    metadata = parse_metadata(arrays, path)
    layers, n_in = [], INPUT_LAYOUT["side"] ** 2
    for i, spec in enumerate(metadata["layers"]):
        if not isinstance(spec, dict) or spec.get("activation") not in ACTIVATIONS or spec.get("in") != n_in:
            raise InputError(path, f"metadata layer {i} is malformed: {spec!r}")
        n_out = spec.get("out")
        if not isinstance(n_out, int) or n_out < 1:
            raise InputError(path, f"metadata layer {i} has a bad size: {spec!r}")
        W = check_array(arrays, f"W{i}", (n_in, n_out), path)
        b = check_array(arrays, f"b{i}", (n_out,), path)
        layers.append(Dense(W, b, spec["activation"]))
        n_in = n_out
    if n_in != len(metadata["classes"]):
        raise InputError(path, f"the network has {n_in} outputs but {len(metadata['classes'])} classes")
    expected = {"metadata"} | {f"{p}{i}" for i in range(len(layers)) for p in "Wb"}
    if set(arrays) != expected:
        raise InputError(path, f"unexpected arrays: {', '.join(sorted(set(arrays) - expected))}")
    return Model(MLP(layers), metadata)
