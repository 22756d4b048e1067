"""ocr_cli.pipeline.ndi gives scipy.ndimage's results to the bit, on its compiled code alone."""

import subprocess
import sys

import numpy as np
import pytest
from scipy import ndimage

from ocr_cli.pipeline import ndi


@pytest.fixture(scope="module")
def images():
    rng = np.random.default_rng(7)
    grey = [rng.random((40, 57)), rng.random((33, 21)).astype(np.float32), (rng.random((25, 30)) * 255).astype(np.uint8)]
    masks = [rng.random((40, 57)) < p for p in (0.1, 0.4, 0.7)] + [np.zeros((9, 9), bool), np.ones((9, 9), bool)]
    return grey, masks


def same(ours, theirs):
    if isinstance(theirs, tuple):
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            same(a, b)
        return
    if isinstance(theirs, list):
        assert ours == theirs
        return
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    assert np.array_equal(ours, theirs)


def test_the_fast_path_is_taken():
    assert ndi.compiled() is not None, "scipy's compiled ndimage modules did not load alone"


def test_reading_does_not_import_scipy_ndimage(tmp_path):
    """The point of the module: a read in a fresh process never imports scipy.ndimage."""
    page = tmp_path / "page.png"
    from PIL import Image, ImageDraw

    image = Image.new("L", (300, 120), 255)
    ImageDraw.Draw(image).rectangle((40, 30, 60, 90), fill=0)
    image.save(page)
    code = ("import sys, ocr_cli; ocr_cli.read(sys.argv[1]); "
            "print('scipy.ndimage' in sys.modules, 'scipy.ndimage._nd_image' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code, str(page)], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]


def test_label_and_find_objects(images):
    _, masks = images
    for mask in masks:
        same(ndi.label(mask), ndimage.label(mask))
        same(ndi.label(mask, structure=np.ones((3, 3))), ndimage.label(mask, structure=np.ones((3, 3))))
        labels = ndimage.label(mask)[0]
        same(ndi.find_objects(labels), ndimage.find_objects(labels))


def test_binary_morphology(images):
    _, masks = images
    for mask in masks:
        for structure in (None, np.ones((3, 3)), np.ones((1, 4)), np.ones((5, 2)), np.ones((2, 2))):
            same(ndi.binary_dilation(mask, structure), ndimage.binary_dilation(mask, structure))
        same(ndi.binary_erosion(mask, np.ones((3, 3)), border_value=1),
             ndimage.binary_erosion(mask, np.ones((3, 3)), border_value=1))
        same(ndi.binary_erosion(mask), ndimage.binary_erosion(mask))
        seeds = mask & (np.arange(mask.size).reshape(mask.shape) % 11 == 0)
        same(ndi.binary_propagation(seeds, mask=mask), ndimage.binary_propagation(seeds, mask=mask))
        view = mask[::2, 1::3]  # not contiguous
        same(ndi.binary_dilation(view, np.ones((3, 1))), ndimage.binary_dilation(view, np.ones((3, 1))))


def test_grey_morphology(images):
    grey, _ = images
    disk = np.hypot(*np.mgrid[-2:3, -2:3]) <= 2
    for image in grey:
        for size in ((3, 3), (4, 4), (1, 5), 6):
            same(ndi.grey_opening(image, size=size), ndimage.grey_opening(image, size=size))
            same(ndi.grey_erosion(image, size=size), ndimage.grey_erosion(image, size=size))
            same(ndi.grey_dilation(image, size=size), ndimage.grey_dilation(image, size=size))
        for footprint in (disk, ~disk, np.ones((3, 3), bool), np.eye(4, dtype=bool)):
            same(ndi.grey_dilation(image, footprint=footprint), ndimage.grey_dilation(image, footprint=footprint))
            same(ndi.grey_erosion(image, footprint=footprint), ndimage.grey_erosion(image, footprint=footprint))


def test_filters(images):
    grey, _ = images
    for image in grey:
        for size in (3, 5, (3, 1), 1):
            for mode in ("nearest", "reflect"):
                same(ndi.median_filter(image, size, mode=mode), ndimage.median_filter(image, size, mode=mode))
        for sigma in (0.6, 1.0, 2.5, 0):
            same(ndi.gaussian_filter(image, sigma), ndimage.gaussian_filter(image, sigma))
        colour = np.stack([image] * 3, -1)[:, :, 1]  # a strided channel, as regions.py filters
        same(ndi.median_filter(colour, 5, mode="nearest"), ndimage.median_filter(colour, 5, mode="nearest"))


def test_nearest_background(images):
    _, masks = images
    for mask in masks[:3]:
        same(ndi.distance_transform_edt(mask, return_distances=False, return_indices=True),
             ndimage.distance_transform_edt(mask, return_distances=False, return_indices=True))


def test_forms_not_repeated_are_refused():
    with pytest.raises(ValueError, match="not repeated here"):
        ndi.distance_transform_edt(np.ones((4, 4)))
    with pytest.raises(ValueError, match="not repeated here"):
        ndi.label(np.ones((4, 4)), structure=np.ones((5, 5)))
