"""Model files: ``.npz`` of weight arrays plus one JSON metadata string. Never pickle.

Arrays ``W{i}, b{i}`` for each layer ``i`` that has weights (``W: (in, out)``,
``b: (out,)``; a convolution's ``in`` is ``k*k*channels``; batch normalisation adds its
running averages ``mean{i}, var{i}``, see :attr:`ocr_cli.net.layers.Layer.param_names`) and ``metadata``, a 0-d
unicode array holding JSON: format version, task (``classify``, the default, or
``autoencode``), class order, the layers (type, sizes, activation), the input layout,
how the model was trained and its metrics. Version 1
files (dense layers only, no ``type``) still load.
"""

import json
import math
import os
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ocr_cli import layout
from ocr_cli.errors import InputError, OcrError, existing_file
from ocr_cli.files import write_whole
from ocr_cli.net.network import Network, batch_rows, walk

FORMAT = "ocr-mlp"
FORMAT_VERSION = 2
MAX_SHIFTS = 3  # test-time averaging moves an image by at most this many pixels
# What a model does (files without "task" classify), as errors name it.
TASKS = {"classify": "a character classifier", "autoencode": "an autoencoder"}
# The shipped model, package data (so that a wheel install reads); OCR_MODEL overrides it.
DEFAULT_MODEL = "models/default.npz"
# Bounds on what a model file may declare, checked before anything is loaded: a crafted
# file must not make ocr allocate gigabytes (a few MB of compressed zeros can declare
# 4 GB) or recurse without end. The shipped default holds 2.5 MB of weights.
MAX_ARRAY_BYTES = 1 << 30  # any one array, and all of them together
MAX_MEMBERS = 1000  # arrays in one file (a model has two per weighted layer and metadata)
MAX_METADATA_CHARS = 1_000_000
MAX_METADATA_DEPTH = 16  # nesting of JSON objects and lists (models write 5)
MAX_NUMBER_DIGITS = 30  # digits of one JSON number


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

    @property
    def widest(self):
        """``{class: width over height}``: how wide the training data drew each class at
        most (:func:`ocr_cli.layout.widest`); None for a model trained before it was kept."""
        return self.metadata.get("widest")

    def predict_proba(self, X):
        n = self.metadata.get("average_shifts", 0)
        if not n:
            return self.net.predict_proba(X)
        moves = ((0, 0), (n, 0), (-n, 0), (0, n), (0, -n))
        return np.mean([self.net.predict_proba(layout.shifted(X, dy, dx)) for dy, dx in moves], axis=0)

    def arrays(self):
        """What a model file holds: ``W{i}``, ``b{i}`` (and the other
        ``param_names`` of its type) per layer with weights and the ``metadata`` JSON string."""
        arrays = {}
        for i, layer in enumerate(self.net.layers):
            arrays.update({f"{name}{i}": p for name, p in zip(layer.param_names, layer.params)})
        return dict(arrays, metadata=np.array(json.dumps(self.metadata)))

    def __reduce__(self):  # pickled (for worker processes) as its file's arrays, not its layers' caches
        return build_model, (self.arrays(), "pickled model", self.metadata.get("task", "classify"))


def default_model_path():
    """``$OCR_MODEL``, else the model shipped inside the package."""
    from importlib.resources import files

    return Path(os.environ.get("OCR_MODEL") or str(files("ocr_cli").joinpath(DEFAULT_MODEL)))


def new_metadata(net, task="classify", classes=None, **extra):
    """Metadata for a freshly trained ``net`` doing ``task``; ``classes`` names its
    outputs (a classifier's; default :func:`ocr_cli.layout.default_classes`); ``extra``
    adds training, metrics, data."""
    if task == "classify":
        classes = classes if classes is not None else layout.default_classes(net.n_outputs)
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "task": task,
        **({"classes": classes} if task == "classify" else {}),
        "layers": net.specs,
        "output": "softmax" if task == "classify" else net.layers[-1].activation,
        "input": layout.METADATA,
        **extra,
    }


def save_model(path, model, force=False):
    """Writes ``model`` whole or not at all (:func:`~ocr_cli.files.write_whole`): an
    interrupted write never leaves a truncated file or damages an existing one."""
    from ocr_cli.files import check_file

    path = check_file(path, force=force, kind="model", again=True)  # fails before anything is written
    write_npz(path, model.arrays(), "model")


def write_npz(path, arrays, kind):
    """Writes ``arrays`` (name -> array) to the ``.npz`` at ``path`` whole or not at all
    (:func:`~ocr_cli.files.write_whole`), unless a float array holds NaN
    or infinite values: such a ``kind`` (``"model"``) could never be loaded, and
    whatever file is there is kept."""
    path = Path(path)
    broken = [name for name, array in arrays.items() if array.dtype.kind == "f" and not np.isfinite(array).all()]
    if broken:
        raise OcrError(f"{path}: not saved: the {kind}'s array '{broken[0]}' holds NaN or infinite values")
    write_whole(path, lambda f: np.savez(f, **arrays), kind)


# What reading a damaged or crafted archive raises: zipfile's RuntimeError for an
# encrypted member and NotImplementedError for an unknown compression method, zlib's
# error for a corrupt deflate stream, besides the usual I/O and format errors.
ARCHIVE_FAILURES = (ValueError, OSError, EOFError, zipfile.BadZipFile, RuntimeError, NotImplementedError, zlib.error)


def unreadable(path, exc):
    if isinstance(exc, RuntimeError) and "encrypted" in str(exc):
        return InputError(path, "not a readable model file (an array in it is encrypted)")
    if isinstance(exc, NotImplementedError):
        return InputError(path, "not a readable model file (an array in it is compressed by a method zip "
                                "does not support; numpy writes stored or deflated arrays)")
    return InputError(path, f"not a readable model file ({type(exc).__name__}: {exc})")


def read_header(stream):
    """``(shape, dtype)`` from the header of the ``.npy`` array ``stream`` (its data
    unread)."""
    version = np.lib.format.read_magic(stream)
    if version == (1, 0):
        shape, _, dtype = np.lib.format.read_array_header_1_0(stream)
    elif version == (2, 0):
        shape, _, dtype = np.lib.format.read_array_header_2_0(stream)
    else:
        raise ValueError(f".npy format version {version[0]}.{version[1]} is not one numpy.savez writes")
    if any(side < 0 for side in shape):
        raise ValueError(f"negative shape {shape}")
    return tuple(shape), dtype


def readable_size(n):
    return f"{n / 2 ** 30:.1f} GB" if n >= 2 ** 30 else f"{n / 2 ** 20:.1f} MB"


class NpzArrays(Mapping):
    """The arrays of an ``.npz`` file by name, each read from the archive only when
    asked for; ``headers[name]`` is its ``(shape, dtype)`` as its ``.npy`` header
    declares them, so that a shape can be checked before the array is loaded."""

    def __init__(self, path, members, headers):
        self.path, self.members, self.headers = path, members, headers

    def __getitem__(self, name):
        try:
            with zipfile.ZipFile(self.path) as archive, archive.open(self.members[name]) as stream:
                array = np.lib.format.read_array(stream, allow_pickle=False)
        except ARCHIVE_FAILURES as exc:
            raise unreadable(self.path, exc) from None
        if array.shape != self.headers[name][0]:
            raise InputError(self.path, f"not a readable model file (array '{name}' is shorter than its header says)")
        return array

    def __contains__(self, name):  # (Mapping's would load the array)
        return name in self.headers

    def __iter__(self):
        return iter(self.headers)

    def __len__(self):
        return len(self.headers)


def read_npz(path):
    """The arrays of an ``.npz`` (a mapping that loads each one when asked for), after
    reading every array's header: object arrays are refused (never unpickled), and so
    is any array that declares more than :data:`MAX_ARRAY_BYTES`."""
    path = existing_file(path, "a model file")
    with open(path, "rb") as f:
        if f.read(4) != b"PK\x03\x04":
            raise InputError(path, "not a readable model file (not an .npz archive)")
    members, headers, total = {}, {}, 0
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            if len(infos) > MAX_MEMBERS:
                raise InputError(path, f"holds {len(infos)} files; a model holds at most {MAX_MEMBERS}")
            for info in infos:
                name = info.filename.removesuffix(".npy")
                if name == info.filename:
                    raise InputError(path, f"holds '{info.filename}', which is not a .npy array")
                if name in members:
                    raise InputError(path, f"holds two arrays named '{name}'")
                with archive.open(info) as stream:
                    shape, dtype = read_header(stream)
                if dtype.hasobject:
                    raise InputError(path, "holds object arrays; refusing to unpickle them")
                size = math.prod(shape) * dtype.itemsize
                total += size
                if size > MAX_ARRAY_BYTES:
                    raise InputError(path, f"array '{name}' declares shape {shape} of {dtype} "
                                           f"({readable_size(size)}); a model holds at most "
                                           f"{readable_size(MAX_ARRAY_BYTES)} of arrays")
                if total > MAX_ARRAY_BYTES:
                    raise InputError(path, f"its arrays declare more than {readable_size(MAX_ARRAY_BYTES)} "
                                           f"together, more than any model holds")
                members[name], headers[name] = info, (shape, dtype)
    except ARCHIVE_FAILURES as exc:
        raise unreadable(path, exc) from None
    return NpzArrays(path, members, headers)


def declared(arrays, name):
    """``(shape, dtype)`` of array ``name``: from its header if ``arrays`` has them
    (:class:`NpzArrays`, nothing loaded), else from the array."""
    if isinstance(arrays, NpzArrays):
        return arrays.headers[name]
    return np.shape(arrays[name]), np.asarray(arrays[name]).dtype


def brief(value, limit=60):
    """``repr(value)``, cut to ``limit`` characters: crafted values stay one short line."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


# The type of each metadata field a model may hold (all but the first three optional).
FIELDS = {"format": (str, "a string"), "version": (int, "a whole number"), "layers": (list, "a list"),
          "task": (str, "a string"), "classes": (str, "a string"), "output": (str, "a string"),
          "input": (dict, "an object"), "training": (dict, "an object"), "metrics": (dict, "an object"),
          "data": (dict, "an object"), "average_shifts": (int, "a whole number")}


def of_type(value, kind):
    return isinstance(value, kind) and not (kind is int and isinstance(value, bool))


def nesting(value, limit):
    """How deeply lists and objects nest in ``value``, counted up to ``limit + 1``
    (no recursion: a crafted value may nest deeper than Python's stack)."""
    deepest, level = 0, [(value, 1)]
    while level:
        item, depth = level.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            if deepest > limit:
                break
            level.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def load_json(text, path):
    """The metadata JSON ``text`` parsed with bounds: its length, nesting, the digits of
    a number; no NaN or infinity."""
    if len(text) > MAX_METADATA_CHARS:
        raise InputError(path, f"'metadata' is {len(text)} characters long; at most {MAX_METADATA_CHARS} expected")

    def number(kind):
        def parse(digits):
            if len(digits) > MAX_NUMBER_DIGITS:
                raise InputError(path, f"metadata holds a number of {len(digits)} characters "
                                       f"(at most {MAX_NUMBER_DIGITS} expected)")
            value = kind(digits)
            if not math.isfinite(value):
                raise InputError(path, f"metadata holds the number {brief(digits)}, too large for a float")
            return value
        return parse

    def constant(name):
        raise InputError(path, f"metadata holds {name}; a model's metadata has only finite numbers")

    try:
        metadata = json.loads(text, parse_int=number(int), parse_float=number(float), parse_constant=constant)
    except RecursionError:
        metadata = None
    except ValueError as exc:  # JSONDecodeError, or a number Python will not convert
        raise InputError(path, f"'metadata' is not valid JSON ({exc})") from None
    if metadata is None or nesting(metadata, MAX_METADATA_DEPTH) > MAX_METADATA_DEPTH:
        raise InputError(path, f"'metadata' nests lists or objects more than {MAX_METADATA_DEPTH} deep")
    return metadata


def parse_metadata(arrays, path):
    """The metadata of a model file, every field checked for its type and meaning
    before anything uses it; the JSON string's size is checked before it is loaded."""
    if "metadata" not in arrays:
        raise InputError(path, "no 'metadata' in the model file")
    shape, dtype = declared(arrays, "metadata")
    if shape != () or dtype.kind != "U":
        raise InputError(path, "'metadata' is not a JSON string")
    if dtype.itemsize // 4 > MAX_METADATA_CHARS:
        raise InputError(path, f"'metadata' is {dtype.itemsize // 4} characters long; "
                               f"at most {MAX_METADATA_CHARS} expected")
    metadata = load_json(str(arrays["metadata"]), path)
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT:
        raise InputError(path, f"not an {FORMAT} model (metadata 'format' is missing or different)")
    for key, (kind, words) in FIELDS.items():
        if key in metadata and not of_type(metadata[key], kind):
            raise InputError(path, f"metadata '{key}' is {brief(metadata[key])}; expected {words}")
    version = metadata.get("version")
    if version is None:
        raise InputError(path, "metadata has no format 'version'")
    if version > FORMAT_VERSION:
        raise InputError(path, f"model format version {version!r} is newer than this ocr reads ({FORMAT_VERSION}); upgrade ocr")
    if version < 1:
        raise InputError(path, f"model format version {version!r} is not one ocr knows (1 to {FORMAT_VERSION})")
    if not metadata.get("layers"):
        raise InputError(path, "metadata has no 'layers' list")
    task = metadata.setdefault("task", "classify")
    if task not in TASKS:
        raise InputError(path, f"metadata 'task' is {brief(task)}; expected one of {', '.join(TASKS)}")
    classes = metadata.get("classes")
    if task == "classify" and classes is None:
        raise InputError(path, "metadata has no 'classes' string")
    if classes is not None and not layout.valid_classes(classes):
        raise InputError(path, f"metadata 'classes' is {brief(classes)}; expected distinct printable ASCII "
                               f"characters, one per output")
    config = metadata.get("training", {}).get("config", {})
    if not isinstance(config, dict):
        raise InputError(path, f"metadata 'training' 'config' is {brief(config)}; expected an object")
    shifts = metadata.get("average_shifts", 0)
    if not 0 <= shifts <= MAX_SHIFTS:
        raise InputError(path, f"metadata 'average_shifts' is {shifts!r}; expected a whole number 0..{MAX_SHIFTS}")
    return metadata


# The float types a network computes in; weights of other float types (float16, long
# double) are converted to float32.
COMPUTED = (np.float32, np.float64)


def check_array(arrays, name, shape, path):
    """Array ``name`` of ``arrays``, checked to have ``shape``, floats and values finite
    in the type the network computes in (a long double of 1e4000 is finite, but
    infinite as the float32 it becomes; a float64 of 1e300 too, once training converts
    it); shape and dtype are checked from the file's header, before the array is loaded."""
    if name not in arrays:
        raise InputError(path, f"missing array '{name}'")
    found, dtype = declared(arrays, name)
    if found != shape:
        raise InputError(path, f"array '{name}' has shape {found}; expected {shape}")
    if dtype.kind != "f":
        raise InputError(path, f"array '{name}' has dtype {dtype}; expected floats")
    array = arrays[name]
    if not np.isfinite(array).all():
        raise InputError(path, f"array '{name}' holds NaN or infinite values")
    with np.errstate(over="ignore"):
        used = array if array.dtype in COMPUTED else array.astype(np.float32)
        if not np.isfinite(used.astype(np.float32, copy=False)).all():
            largest = np.format_float_scientific(np.abs(array).max(), precision=2, trim="-")
            raise InputError(path, f"array '{name}' holds {largest}, too large for the float32 a network "
                                   f"computes in (at most {np.finfo(np.float32).max:.3g})")
    return used


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
    steps = walk(metadata["layers"], (layout.PIXELS,), lambda spec, i, shape: InputError(
        path, f"metadata layer {i} is malformed or does not fit its input {shape}: {brief(spec, 200)}"))
    layers, expected = [], {"metadata"}
    for i, (kind, spec, at, _) in enumerate(steps):
        names = [f"{name}{i}" for name in kind.param_names]
        shapes = kind.weight_shapes(spec, at)
        expected.update(names[:len(shapes)])
        layers.append(kind.build(spec, at, [check_array(arrays, n, s, path) for n, s in zip(names, shapes)]))
    shape = steps[-1][3]
    if task == "autoencode" and shape != (layout.PIXELS,):
        raise InputError(path, f"the autoencoder has {int(np.prod(shape))} outputs for {layout.PIXELS} inputs")
    if task == "classify" and shape != (len(metadata["classes"]),):
        raise InputError(path, f"the network has {int(np.prod(shape))} outputs but {len(metadata['classes'])} classes")
    if set(arrays) != expected:
        raise InputError(path, f"unexpected arrays: {', '.join(sorted(set(arrays) - expected))}")
    net = Network(layers)
    batch_rows(metadata["layers"], net.dtype.itemsize, where=path)  # a model not even one row of which fits is refused
    return Model(net, metadata)
