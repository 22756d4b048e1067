"""ocr_cli.read: any source people would pass, read alike."""

import io

import numpy as np
import pytest
from PIL import Image

import ocr_cli
from ocr_synth.pages import compose_page, photograph


@pytest.fixture(scope="module")
def note(pattern_bank):
    page = compose_page(["CALL 42 NOW", "ZQ9"], pattern_bank, np.random.default_rng(11), char_height=44)
    return Image.fromarray(photograph(page.image, np.random.default_rng(12))), page.text


def test_every_kind_of_source_reads_the_same(note, pattern_model, tmp_path):
    image, text = note
    path = tmp_path / "note.png"
    image.save(path)
    sideways = tmp_path / "sideways.jpg"  # stored turned, EXIF orientation 6 says how to show it
    exif = Image.Exif()
    exif[0x0112] = 6
    image.transpose(Image.Transpose.ROTATE_90).save(sideways, exif=exif, quality=95)
    sources = [io.BytesIO(path.read_bytes()), Image.open(sideways), image.convert("P", palette=Image.Palette.ADAPTIVE),
               image.convert("CMYK"), np.asarray(image.convert("L"))]  # (a path and bytes: README's example)
    for source in sources:
        page = ocr_cli.read(source, model=pattern_model)
        assert page.text() == text, type(source)
        left, top, width, height = page.lines[0].words[0].box
        assert 0 <= left < left + width <= image.size[0] and 0 <= top < top + height <= image.size[1]
        assert 0 < page.words[0].confidence <= 1


def test_pages_of_a_file_many_sources_and_errors(note, pattern_model, tmp_path):
    image, text = note
    two = tmp_path / "two.tif"
    image.save(two, save_all=True, append_images=[image])
    with pytest.raises(ocr_cli.InputError, match="holds 2 pages"):  # said before reading
        ocr_cli.read(two, model=pattern_model)
    results = list(ocr_cli.read_many([two, b"junk"], model=pattern_model, jobs=1))
    assert [[p.text() for p in r.pages or []] for r in results] == [[text, text], []]
    assert str(results[1].error) == "bytes: not an image file (unknown or damaged format)"
    assert ocr_cli.__version__
