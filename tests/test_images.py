"""Image files and arrays of every kind become one grey float image."""

import numpy as np
import pytest
from PIL import Image

from ocr_cli.errors import InputError
from ocr_cli.pipeline.images import MAX_PIXELS, load_image, to_gray


def page(h=40, w=60):
    """Grey test pattern ``(h, w)`` uint8: paper 200 with a dark square at a known place."""
    image = np.full((h, w), 200, np.uint8)
    image[10:20, 30:45] = 20
    return image


def test_arrays_of_every_dtype_and_layout():
    grey = page()
    expected = grey / 255.0
    for array in (grey, grey.astype(np.uint16) * 257, grey / 255.0, np.stack([grey] * 3, -1),
                  np.dstack([grey] * 3 + [np.full_like(grey, 255)]), grey[:, :, None]):
        out = to_gray(array)
        assert out.dtype == np.float32 and out.shape == (40, 60)
        np.testing.assert_allclose(out, expected, atol=2e-3)


def test_out_of_range_values_are_clipped():
    out = to_gray(np.array([[-0.5, 0.5, 2.0, np.nan]]))
    np.testing.assert_array_equal(out, [[0.0, 0.5, 1.0, 1.0]])
    np.testing.assert_array_equal(to_gray(np.array([[70000, 0]], dtype=np.uint32)), [[1.0, 0.0]])


def test_transparent_pixels_become_paper():
    rgba = np.zeros((10, 10, 4), np.uint8)  # black but fully transparent ...
    rgba[2:5, 2:5, 3] = 255  # ... except an opaque black square
    out = to_gray(rgba)
    assert out[0, 0] == pytest.approx(1.0) and out[3, 3] == pytest.approx(0.0)


def test_bad_arrays():
    for array, message in ((np.zeros((4, 4, 2)), "not a grey, RGB or RGBA"), (np.zeros((0, 5)), "no pixels"),
                           (np.zeros(7), "not a grey"), (np.array([["a"]]), "not numbers")):
        with pytest.raises(InputError, match=message):
            to_gray(array)


@pytest.mark.parametrize("mode,suffix", [("L", ".png"), ("RGB", ".jpg"), ("I;16", ".png"), ("P", ".gif"), ("RGBA", ".png")])
def test_files_of_every_mode(tmp_path, mode, suffix):
    grey = page()
    if mode == "I;16":
        image = Image.fromarray(grey.astype(np.uint16) * 257)
    elif mode == "RGBA":
        image = Image.fromarray(np.dstack([grey] * 3 + [np.full_like(grey, 255)]), "RGBA")
    else:
        image = Image.fromarray(grey).convert(mode)
    image.save(tmp_path / f"page{suffix}")
    out = load_image(tmp_path / f"page{suffix}")
    assert out.shape == (40, 60)
    assert abs(out[15, 37] - 20 / 255) < 0.05 and abs(out[2, 2] - 200 / 255) < 0.05


def test_exif_orientation_is_applied(tmp_path):
    image = Image.fromarray(page())
    exif = image.getexif()
    exif[0x0112] = 6  # stored rotated: display needs a 90 degree clockwise turn
    image.save(tmp_path / "turned.jpg", exif=exif, quality=95)
    out = load_image(tmp_path / "turned.jpg")
    assert out.shape == (60, 40)
    # Clockwise turn: the square at rows 10-20, cols 30-45 lands at rows 30-45, cols 20-30.
    assert out[37, 25] < 0.3 and out[12, 25] > 0.6


def test_unreadable_files(tmp_path):
    (tmp_path / "empty.jpg").write_bytes(b"")
    (tmp_path / "text.jpg").write_text("hello")
    Image.fromarray(page()).save(tmp_path / "full.jpg")
    (tmp_path / "cut.jpg").write_bytes((tmp_path / "full.jpg").read_bytes()[:300])
    for name, message in (("empty.jpg", "not an image file"), ("text.jpg", "not an image file"),
                          ("cut.jpg", "cannot decode image"), ("missing.jpg", "no such file")):
        with pytest.raises(InputError, match=message) as info:
            load_image(tmp_path / name)
        assert str(info.value).startswith(str(tmp_path / name))
    with pytest.raises(InputError, match="is a directory"):
        load_image(tmp_path)


def test_huge_images_are_refused_from_the_header(tmp_path, monkeypatch):
    monkeypatch.setattr("ocr_cli.pipeline.images.MAX_PIXELS", 1000)
    Image.fromarray(page()).save(tmp_path / "big.png")
    with pytest.raises(InputError, match="40x60|60x40"):
        load_image(tmp_path / "big.png")
    assert MAX_PIXELS >= 48_000_000 * 2
