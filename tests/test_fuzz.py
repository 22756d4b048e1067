"""Random arrays of any size, type and channel count: finding and reading letters either
works or raises the project's own input error, never anything else."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from ocr_cli.errors import InputError
from ocr_cli.pipeline.reader import read_image
from ocr_cli.pipeline.reader import find_letters

DTYPES = st.sampled_from([np.uint8, np.uint16, np.float32, np.float64])
SHAPES = st.tuples(st.integers(1, 500), st.integers(1, 500), st.sampled_from([None, 1, 3, 4])).map(
    lambda s: s[:2] if s[2] is None else s)


def elements(dtype):
    if np.issubdtype(dtype, np.integer):
        return st.integers(0, np.iinfo(dtype).max)
    # floats outside 0..1, NaN and infinity must be clipped or replaced, not crash
    return st.one_of(st.floats(-0.5, 1.5, width=32), st.sampled_from([np.nan, np.inf, -np.inf]))


@st.composite
def images(draw):
    """A random image array: random size, dtype and channels, with random blocks of
    random values on a random background (pure per-pixel noise would rarely look like
    anything)."""
    dtype, shape = draw(DTYPES), draw(SHAPES)
    image = draw(arrays(dtype, shape, elements=elements(dtype), fill=elements(dtype)))
    if draw(st.booleans()):  # a structured page: dark rectangles on light paper
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
        high = 1.0 if image.dtype.kind == "f" else np.iinfo(image.dtype).max
        image[...] = high
        for _ in range(rng.integers(1, 12)):
            y, x = rng.integers(0, shape[0]), rng.integers(0, shape[1])
            image[y:y + rng.integers(1, 60), x:x + rng.integers(1, 30)] = 0
    return image


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(image=images())
def test_find_and_read_any_array(image, tiny_model_loaded):
    for work in (find_letters, lambda array: read_image(array, tiny_model_loaded).text()):
        try:
            work(image)
        except InputError:
            pass
