"""Model files: ``.npz`` of weight arrays plus one JSON metadata string. Never pickle.

Arrays ``W{i}, b{i}`` for each layer ``i`` that has weights (``W: (in, out)``,
``b: (out,)``; a convolution's ``in`` is ``k*k*channels``) and ``metadata``, a 0-d
unicode array holding JSON: format version, task (``classify``, the default, or
``autoencode``), class order, the layers (type, sizes, activation), the input layout,
how the model was trained and its metrics. Version 1
files (dense layers only, no ``type``) still load.
"""

import json
import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ocr_cli import CLASSES, NOT_A_CHARACTER
from ocr_cli.errors import InputError, OcrError, existing_file
from ocr_cli.layers import Conv2D, Dense, Dropout, MaxPool, Reshape
from ocr_cli.network import Network
from ocr_cli.nn import ACTIVATIONS

FORMAT = "ocr-mlp"
FORMAT_VERSION = 2
INPUT_LAYOUT = {
    "side": 32,
    "flatten": "transposed: row.reshape(32, 32).T is the upright image",
    "background": 1.0,
    "ink": 0.0,
}
MAX_SHIFTS = 3  # test-time averaging moves an image by at most this many pixels
# What a model does (files without "task" classify), as errors name it.
TASKS = {"classify": "a character classifier", "autoencode": "an autoencoder"}
# The shipped model, package data (so that a wheel install reads); OCR_MODEL overrides it.
DEFAULT_MODEL = "models/default.npz"


def shifted(X, dy, dx):
    """Rows ``X: (N, 1024)`` of the layout with each image moved ``dy`` px down and
    ``dx`` px right (upright image), paper filling what comes in from the frame."""
    side = INPUT_LAYOUT["side"]
    images = X.reshape(-1, side, side)  # stored transposed: axis 1 is x, axis 2 is y
    out = np.full_like(images, INPUT_LAYOUT["background"])
    source = lambda d: slice(max(-d, 0), side + min(-d, 0))
    target = lambda d: slice(max(d, 0), side + min(d, 0))
    out[:, target(dx), target(dy)] = images[:, source(dx), source(dy)]
    return out.reshape(len(X), -1)


@dataclass
class Model:
    """A network with its metadata; ``predict_proba(X: (N, 1024)) -> (N, 36)``. A model
    whose metadata has ``"average_shifts": n`` averages the probabilities of each image
    and its copies moved ``n`` px up, down, left and right (test-time averaging)."""

    net: Network
    metadata: dict

    @property
    def classes(self):
        return self.metadata["classes"]

    def predict_proba(self, X):
        n = self.metadata.get("average_shifts", 0)
        if not n:
            return self.net.predict_proba(X)
        moves = ((0, 0), (n, 0), (-n, 0), (0, n), (0, -n))
        return np.mean([self.net.predict_proba(shifted(X, dy, dx)) for dy, dx in moves], axis=0)

    def arrays(self):
        """What a model file holds: ``W{i}``, ``b{i}`` per weighted layer and the
        ``metadata`` JSON string."""
        arrays = {}
        for i, layer in enumerate(self.net.layers):
            if layer.params:
                arrays[f"W{i}"], arrays[f"b{i}"] = layer.params
        return dict(arrays, metadata=np.array(json.dumps(self.metadata)))

    def __reduce__(self):  # pickled (for worker processes) as its file's arrays, not its layers' caches
        return build_model, (self.arrays(), "pickled model", self.metadata.get("task", "classify"))


def default_model_path():
    """``$OCR_MODEL``, else the model shipped inside the package."""
    from importlib.resources import files

    return Path(os.environ.get("OCR_MODEL") or str(files("ocr_cli").joinpath(DEFAULT_MODEL)))


def new_metadata(net, task="classify", **extra):
    """Metadata for a freshly trained ``net`` doing ``task``; ``extra`` adds training,
    metrics, data."""
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "task": task,
        **({"classes": (CLASSES + NOT_A_CHARACTER)[:net.layers[-1].W.shape[1]]} if task == "classify" else {}),
        "layers": [layer.spec() for layer in net.layers],
        "output": "softmax" if task == "classify" else net.layers[-1].activation,
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
    try:  # a real write, as permission bits do not tell root, ACLs or read-only mounts apart
        tempfile.TemporaryFile(dir=path.parent).close()
    except OSError as exc:
        raise InputError(path, f"folder '{path.parent}' is not writable ({exc.strerror})") from None


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
    arrays = model.arrays()
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, file_mode(path))
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise OcrError(f"{path}: cannot write the model ({exc.strerror or exc})") from None
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
    task = metadata.setdefault("task", "classify")
    if task not in TASKS:
        raise InputError(path, f"metadata 'task' is {task!r}; expected one of {', '.join(TASKS)}")
    classes = metadata.get("classes")
    if task == "classify" and (not isinstance(classes, str) or not classes):
        raise InputError(path, "metadata has no 'classes' string")
    shifts = metadata.get("average_shifts", 0)
    if not (isinstance(shifts, int) and not isinstance(shifts, bool) and 0 <= shifts <= MAX_SHIFTS):
        raise InputError(path, f"metadata 'average_shifts' is {shifts!r}; expected a whole number 0..{MAX_SHIFTS}")
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
    return array if array.dtype in (np.float32, np.float64) else array.astype(np.float32)


def positive_int(value):
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def build_layer(spec, shape, weights):
    """The layer described by ``spec`` for inputs of per-row ``shape``, and its output
    shape; ``weights(n_in, n_out)`` returns the layer's checked ``(W, b)``. Returns
    None for a spec that does not fit."""
    kind = spec.get("type", "dense")  # version 1 files hold only dense layers, untyped
    activation = spec.get("activation")
    if kind == "dense" and len(shape) == 1 and spec.get("in") == shape[0] and positive_int(spec.get("out")) \
            and activation in ACTIVATIONS:
        return Dense(*weights(shape[0], spec["out"]), activation), (spec["out"],)
    if kind == "conv" and len(shape) == 3 and spec.get("channels") == shape[2] and positive_int(spec.get("size")) \
            and spec["size"] <= min(shape[:2]) and positive_int(spec.get("filters")) and activation in ACTIVATIONS:
        size, filters = spec["size"], spec["filters"]
        out = (shape[0] - size + 1, shape[1] - size + 1, filters)
        return Conv2D(*weights(size * size * shape[2], filters), size, activation), out
    if kind == "maxpool" and len(shape) == 3 and min(shape[:2]) >= 2:
        return MaxPool(), (shape[0] // 2, shape[1] // 2, shape[2])
    if kind == "reshape" and isinstance(spec.get("shape"), list) and all(map(positive_int, spec["shape"])) \
            and np.prod(spec["shape"]) == np.prod(shape):
        return Reshape(spec["shape"]), tuple(spec["shape"])
    if kind == "dropout" and isinstance(spec.get("rate"), (int, float)) and 0 <= spec["rate"] < 1:
        return Dropout(spec["rate"]), shape
    return None


def load_model(path=None, task="classify"):
    """Reads and validates a model file (the shipped default if ``path`` is None) that
    does ``task``."""
    path = Path(path) if path is not None else default_model_path()
    return build_model(read_npz(path), path, task)


def build_model(arrays, path, task="classify"):
    """The :class:`Model` in ``arrays`` (as :func:`read_npz` gives them), validated:
    every layer rebuilt from its metadata and checked against its input and weights;
    errors name ``path``."""
    metadata = parse_metadata(arrays, path)
    if metadata["task"] != task:
        raise InputError(path, f"is {TASKS[metadata['task']]}, not {TASKS[task]}")
    layers, shape, expected = [], (INPUT_LAYOUT["side"] ** 2,), {"metadata"}
    for i, spec in enumerate(metadata["layers"]):
        def weights(n_in, n_out):
            expected.update({f"W{i}", f"b{i}"})
            return check_array(arrays, f"W{i}", (n_in, n_out), path), check_array(arrays, f"b{i}", (n_out,), path)

        built = build_layer(spec, shape, weights) if isinstance(spec, dict) else None
        if built is None:
            raise InputError(path, f"metadata layer {i} is malformed or does not fit its input {shape}: {spec!r}")
        layer, shape = built
        layers.append(layer)
    if task == "autoencode" and shape != (INPUT_LAYOUT["side"] ** 2,):
        raise InputError(path, f"the autoencoder has {int(np.prod(shape))} outputs for {INPUT_LAYOUT['side'] ** 2} inputs")
    if task == "classify" and shape != (len(metadata["classes"]),):
        raise InputError(path, f"the network has {int(np.prod(shape))} outputs but {len(metadata['classes'])} classes")
    if set(arrays) != expected:
        raise InputError(path, f"unexpected arrays: {', '.join(sorted(set(arrays) - expected))}")
    return Model(Network(layers), metadata)
