"""The scipy.ndimage filters the reading path uses, on scipy's own compiled code.

`import scipy.ndimage` takes about 0.2 s, most of it in its array-API dispatch layer
(array_api_compat imports numpy.testing, numpy.f2py and numpy.ma) and in parsing
docstrings: a fifth of a one-shot `ocr read`. The compiled modules underneath
(`_nd_image`, `_ni_label`) load in about 0.01 s. This module loads them alone and repeats
the few lines of argument handling that scipy's wrappers do for the forms the reader
calls, so the results are scipy's to the bit (`tests/test_ndi.py` compares every function
with scipy.ndimage). On a scipy outside the versions tested (:data:`TESTED`) or when the
compiled modules cannot be loaded, the functions are scipy.ndimage's own.

Same names and arguments as scipy.ndimage; only the forms below are repeated (others
raise ValueError on the fast path, so a new use is noticed by the tests):

- ``label(input, structure=None)``, ``find_objects(input)``
- ``binary_erosion(input, structure, border_value=0)``,
  ``binary_dilation(input, structure=None)``, ``binary_propagation(input, mask=...)``
- ``grey_erosion`` / ``grey_dilation`` (``size`` or ``footprint``), ``grey_opening(input, size)``
- ``median_filter(input, size, mode)``, ``gaussian_filter(input, sigma)``
- ``distance_transform_edt(input, return_distances=False, return_indices=True)``
"""

import functools
import importlib.machinery
import importlib.util
import sys

import numpy as np

TESTED = ((1, 11), (1, 17))  # scipy versions whose compiled signatures the wrappers repeat
MODES = {"nearest": 0, "wrap": 1, "reflect": 2, "mirror": 3, "constant": 4}  # scipy's codes


@functools.cache
def compiled():
    """scipy.ndimage's compiled modules ``(_nd_image, _ni_label)``, or None where this
    module must defer to scipy.ndimage itself."""
    try:
        import scipy

        version = tuple(int(part) for part in scipy.__version__.split(".")[:2])
        if not TESTED[0] <= version <= TESTED[1]:
            return None
        return tuple(_load(scipy, name) for name in ("_nd_image", "_ni_label"))
    except Exception:  # an unusual install: the ordinary import works all the same
        return None


def _load(scipy, name):
    full = f"scipy.ndimage.{name}"
    if full in sys.modules:
        return sys.modules[full]
    folder = scipy.__path__[0] + "/ndimage/"
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        spec = importlib.util.spec_from_file_location(full, folder + name + suffix)
        if spec is None:
            continue
        try:
            module = importlib.util.module_from_spec(spec)
        except (ImportError, OSError):
            continue
        sys.modules[full] = module  # a later `import scipy.ndimage` reuses it, as for any submodule
        spec.loader.exec_module(module)
        return module
    raise ImportError(full)


def _scipy():
    from scipy import ndimage

    return ndimage


def _reversed(array):
    return np.ascontiguousarray(array[(slice(None, None, -1),) * array.ndim])


def _cross(ndim):
    """scipy's ``generate_binary_structure(ndim, 1)``."""
    return np.fabs(np.indices((3,) * ndim) - 1).sum(0) <= 1


def _only(condition, what):
    if not condition:
        raise ValueError(f"ocr_cli.pipeline.ndi: {what} is not repeated here; use scipy.ndimage")


def label(input, structure=None):
    fast = compiled()
    if fast is None:
        return _scipy().label(input, structure)
    input = np.asarray(input)
    _only(input.ndim >= 1 and input.dtype.kind != "c", "this input")
    structure = _cross(input.ndim) if structure is None else np.asarray(structure, dtype=bool)
    _only(structure.shape == (3,) * input.ndim, "this structure")
    output = np.empty(input.shape, np.intp if input.size >= 2**31 - 2 else np.int32)
    if input.size == 0:
        return output, 0
    return output, fast[1]._label(input, structure, output)


def find_objects(input, max_label=0):
    fast = compiled()
    if fast is None:
        return _scipy().find_objects(input, max_label)
    input = np.asarray(input)
    if max_label < 1:
        max_label = input.max()
    return fast[0].find_objects(input, max_label)


def _binary(input, structure, iterations, mask, border_value, origin, invert, fast):
    """scipy's ``_binary_erosion`` for a new bool output."""
    input = np.asarray(input)
    if not input.flags.c_contiguous and not input.flags.f_contiguous:
        input = np.ascontiguousarray(input)
    structure = np.ascontiguousarray(structure, dtype=bool)
    _only(structure.ndim == input.ndim and structure.size > 0, "this structure")
    if mask is not None:
        mask = np.asarray(mask)
        _only(mask.shape == input.shape, "this mask")
    centre = bool(structure[tuple(o + s // 2 for s, o in zip(structure.shape, origin))])
    output = np.zeros(input.shape, bool)
    if iterations == 1:
        fast.binary_erosion(input, structure, mask, output, border_value, origin, invert, centre, 0)
        return output
    _only(iterations < 1 and centre, "these iterations")
    changed, coordinates = fast.binary_erosion(input, structure, mask, output, border_value, origin, invert,
                                               centre, 1)
    structure = _reversed(structure)
    origin = [-o - (0 if size & 1 else 1) for o, size in zip(origin, structure.shape)]
    if mask is not None:
        mask = np.asarray(mask, dtype=np.int8)
    fast.binary_erosion2(output, structure, mask, iterations - 1, origin, invert, coordinates)
    return output


def binary_erosion(input, structure=None, border_value=0):
    fast = compiled()
    if fast is None:
        return _scipy().binary_erosion(input, structure, border_value=border_value)
    input = np.asarray(input)
    structure = _cross(input.ndim) if structure is None else np.asarray(structure, dtype=bool)
    return _binary(input, structure, 1, None, border_value, [0] * input.ndim, 0, fast[0])


def binary_dilation(input, structure=None, iterations=1, mask=None):
    fast = compiled()
    if fast is None:
        return _scipy().binary_dilation(input, structure, iterations, mask)
    input = np.asarray(input)
    structure = _cross(input.ndim) if structure is None else np.asarray(structure)
    structure = _reversed(structure)
    origin = [0 if size & 1 else -1 for size in structure.shape]
    return _binary(input, structure, iterations, mask, 0, origin, 1, fast[0])


def binary_propagation(input, structure=None, mask=None):
    if compiled() is None:
        return _scipy().binary_propagation(input, structure, mask)
    return binary_dilation(input, structure, -1, mask)


def _min_or_max(input, size, footprint, mode, origin, minimum, fast):
    """scipy's ``_min_or_max_filter`` (no structure, new output)."""
    input = np.asarray(input)
    _only(input.dtype.kind != "c", "this input")
    if footprint is not None:
        footprint = np.asarray(footprint, dtype=bool)
        _only(footprint.any() and footprint.ndim == input.ndim, "this footprint")
        if footprint.all():
            size, footprint = footprint.shape, None
    output = np.zeros(input.shape, dtype=input.dtype.name)
    if footprint is None:
        sizes = [size] * input.ndim if np.isscalar(size) else list(size)
        _only(len(sizes) == input.ndim, "this size")
        moved = False
        for axis, (length, shift) in enumerate(zip(sizes, origin)):
            if length > 1:
                fast.min_or_max_filter1d(input, int(length), axis, output, MODES[mode], 0.0, shift, minimum)
                input, moved = output, True
        if not moved:
            output[...] = input
        return output
    fast.min_or_max_filter(input, np.ascontiguousarray(footprint), None, output, MODES[mode], 0.0, origin, minimum)
    return output


def grey_erosion(input, size=None, footprint=None, mode="reflect"):
    fast = compiled()
    if fast is None:
        return _scipy().grey_erosion(input, size, footprint, mode=mode)
    return _min_or_max(input, size, footprint, mode, [0] * np.ndim(input), 1, fast[0])


def grey_dilation(input, size=None, footprint=None, mode="reflect"):
    fast = compiled()
    if fast is None:
        return _scipy().grey_dilation(input, size, footprint, mode=mode)
    ndim = np.ndim(input)
    if footprint is not None:
        footprint = _reversed(np.asarray(footprint))
        sizes = footprint.shape
    else:
        sizes = [size] * ndim if np.isscalar(size) else size
    origin = [0 if length & 1 else -1 for length in sizes]
    return _min_or_max(input, size, footprint, mode, origin, 0, fast[0])


def grey_opening(input, size=None, footprint=None, mode="reflect"):
    if compiled() is None:
        return _scipy().grey_opening(input, size, footprint, mode=mode)
    return grey_dilation(grey_erosion(input, size, footprint, mode), size, footprint, mode)


def median_filter(input, size, mode="reflect"):
    fast = compiled()
    if fast is None:
        return _scipy().median_filter(input, size, mode=mode)
    input = np.asarray(input)
    _only(input.ndim >= 2 and input.dtype.kind != "c", "this input")
    sizes = [size] * input.ndim if np.isscalar(size) else list(size)
    footprint = np.ones(sizes, dtype=bool)
    rank = footprint.size // 2
    if rank == 0:  # a 1-pixel footprint: scipy's minimum filter, the identity
        return _min_or_max(input, sizes, None, mode, [0] * input.ndim, 1, fast[0])
    output = np.zeros(input.shape, dtype=input.dtype.name)
    fast[0].rank_filter(input, rank, footprint, output, MODES[mode], 0.0, [0] * input.ndim)
    return output


def gaussian_filter(input, sigma, mode="reflect", truncate=4.0):
    fast = compiled()
    if fast is None:
        return _scipy().gaussian_filter(input, sigma, mode=mode, truncate=truncate)
    input = np.asarray(input)
    _only(np.isscalar(sigma) and input.dtype.kind != "c", "this sigma or input")
    output = np.zeros(input.shape, dtype=input.dtype.name)
    if not sigma > 1e-15:
        output[...] = input
        return output
    radius = int(truncate * float(sigma) + 0.5)
    x = np.arange(-radius, radius + 1)
    weights = np.exp(-0.5 / (sigma * sigma) * x**2)
    weights = np.ascontiguousarray((weights / weights.sum())[::-1], dtype=np.float64)
    for axis in range(input.ndim):
        fast[0].correlate1d(input, weights, axis, output, MODES[mode], 0.0, 0)
        input = output
    return output


def distance_transform_edt(input, return_distances=True, return_indices=False):
    fast = compiled()
    if fast is None:
        return _scipy().distance_transform_edt(input, return_distances=return_distances,
                                               return_indices=return_indices)
    _only(not return_distances and return_indices, "the distances")
    input = np.atleast_1d(np.where(input, 1, 0).astype(np.int8))
    indices = np.zeros((input.ndim,) + input.shape, dtype=np.int32)
    fast[0].euclidean_feature_transform(input, None, indices)
    return indices
