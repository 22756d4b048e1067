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


# ---------------------------------------------------------------- scale and memory


STRETCHED = (page() - 20) / 180  # the page's own span, ink 20 to paper 200, made 0..1


@pytest.mark.parametrize("make,expected", [
    (lambda grey: Image.fromarray(grey.astype(np.int32) * 8_388_608, "I"), STRETCHED),  # 0..2^31: was blank
    (lambda grey: Image.fromarray(grey.astype(np.int32) * 4_000_000 - 2 ** 30, "I"), STRETCHED),  # signed: was noise
    (lambda grey: Image.fromarray(hot(grey.astype(np.float32), 3e38), "F"), page() / 255),  # one hot pixel: was blank
    (lambda grey: Image.fromarray(hot(grey.astype(np.float32) / 255, 1e9), "F"), page() / 255),  # 0..1, one hot pixel
])
def test_32_bit_and_float_tiffs_are_scaled_by_their_span_not_one_pixel(tmp_path, make, expected):
    make(np.tile(page(), (8, 8))).save(tmp_path / "page.tif")
    np.testing.assert_allclose(load_image(tmp_path / "page.tif")[1:], np.tile(expected, (8, 8))[1:], atol=0.02)


def hot(values, level):
    values[0, 0] = level
    return values


@pytest.mark.parametrize("mode", ["I;16", "1", "L"])
def test_an_image_is_made_grey_without_full_size_copies_in_wider_types(tmp_path, mode):
    """numpy's allocations while a 12-megapixel image is decoded: its float32 grey and
    a strip's copies, not an int32 and a float32 copy of it on top (PIL's own
    decoded copy is not numpy's)."""
    import tracemalloc

    from ocr_cli.pipeline.images import STRIP_PIXELS, decode

    grey = np.full((3000, 4000), 200, np.uint8)
    grey[1000:1100, 1000:1400] = 20
    image = Image.fromarray(grey.astype(np.uint16) * 257) if mode == "I;16" else Image.fromarray(grey).convert(mode)
    image.save(tmp_path / "page.png")
    tracemalloc.start()
    try:
        gray = decode(tmp_path / "page.png")[0]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert gray.shape == (3000, 4000) and gray[1050, 1050] < 0.5 < gray[0, 0]
    assert peak < gray.nbytes + 4 * 4 * STRIP_PIXELS, peak / 1e6


def test_large_images_are_shrunk_in_strips_as_they_would_be_whole(monkeypatch):
    from ocr_cli.pipeline import ink

    gray = np.random.default_rng(0).random((3000, 7001)).astype(np.float32)
    whole = ink.resize(gray, 0.37)
    monkeypatch.setattr(ink, "RESIZE_WHOLE_PIXELS", 400_000)
    np.testing.assert_array_equal(ink.resize(gray, 0.37), whole)


def test_the_colour_of_a_large_image_is_shrunk_in_strips(monkeypatch):
    from ocr_cli.pipeline import images

    rgba = np.zeros((900, 1600, 4), np.uint8)
    rgba[:, :800] = (200, 40, 40, 255)
    rgba[:, 800:, 2] = 255  # blue, but transparent: white
    whole = images.small_colour(Image.fromarray(rgba))
    monkeypatch.setattr(images, "COLOUR_WHOLE_PIXELS", 100_000)
    monkeypatch.setattr(images, "STRIP_PIXELS", 50_000)
    np.testing.assert_allclose(images.small_colour(Image.fromarray(rgba)), whole, atol=0.02)
    assert whole.shape == (216, 384, 3) and whole[0, -1] == pytest.approx([1, 1, 1])


@pytest.mark.parametrize("values", [np.full((120, 160), 2 ** 31 - 1, np.int32), np.full((120, 160), -5.0, np.float32)])
def test_a_page_of_one_value_beyond_0_1_is_blank_paper_not_an_error(tmp_path, values):
    import ocr_cli

    values = values.copy()
    values[60, 80] = 0  # ink on under 0.01% of the page
    Image.fromarray(values).save(tmp_path / "flat.tif")
    grey = load_image(tmp_path / "flat.tif")
    assert grey.shape == (120, 160) and np.isfinite(grey).all() and grey.min() >= 0 and grey.max() <= 1
    assert ocr_cli.read(np.full((99, 99), 100_000, np.int32)).text() == ""
    assert (to_gray(np.full((9, 9), 7.0, np.float32)) == 1.0).all()  # one value, 0..1 exceeded: paper


def test_a_big_endian_16_bit_tiff_reads_as_its_little_endian_twin(tmp_path):
    grey = np.tile(page(), (60, 40)).astype(np.uint16) * 257  # 2400x2400: strips of 833 rows
    grey[:grey.shape[0] // 2] //= 300  # a dark band over a whole strip: scaled by its own values it would lift
    Image.fromarray(grey).save(tmp_path / "little.tif")
    Image.frombytes("I;16B", grey.shape[::-1], grey.astype(">u2").tobytes()).save(tmp_path / "big.tif")
    from ocr_cli.pipeline.images import load_photo

    big, little = load_photo(tmp_path / "big.tif").gray, load_photo(tmp_path / "little.tif").gray
    np.testing.assert_allclose(big, little, atol=1e-6)
    assert big[:big.shape[0] // 4].mean() < 0.01  # the band stays dark
