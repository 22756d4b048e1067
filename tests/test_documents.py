"""Documents: files of many pages (TIFF, PDF, GIF, APNG, HEIC), every page read and
rendered in every format, one page decoded at a time."""

import json
import sys

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from ocr_cli.cli import app
from ocr_synth.pages import compose_page, photograph

runner = CliRunner()
FIRST, SECOND = ["CALL 42 NOW", "ZQ9"], ["IS IT OK"]


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def pages(pattern_bank):
    """Two synthetic photos (PIL images) and their texts."""
    made = []
    for seed, lines in ((21, FIRST), (22, SECOND)):
        page = compose_page(lines, pattern_bank, np.random.default_rng(seed), char_height=44)
        made.append((Image.fromarray(photograph(page.image, np.random.default_rng(seed + 10))), page.text))
    return made


@pytest.fixture(scope="module")
def files(pages, tmp_path_factory):
    """The two pages as a TIFF, a PDF, an animated GIF and an APNG, each of two pages."""
    folder = tmp_path_factory.mktemp("documents")
    (a, _), (b, _) = pages
    canvas = Image.new("RGB", a.size, b.getpixel((0, 0)))  # pages of one size (a GIF's frames share its canvas)
    canvas.paste(b)
    b = canvas
    made = {}
    for name, options in (("two.tif", {"compression": "tiff_lzw"}), ("two.pdf", {"resolution": 100}),
                          ("two.gif", {"duration": 200}), ("two.png", {"duration": 200})):
        made[name] = folder / name
        a.save(made[name], save_all=True, append_images=[b], **options)
    return made


def test_every_page_is_read_and_ends_with_a_form_feed(files, pages, pattern_model):
    result = run("read", files["two.pdf"], "--model", pattern_model)  # (two.tif: read_pages below)
    assert result.exit_code == 0, result.output
    assert result.stdout == "".join(f"{text}\n\f" for _, text in pages)


@pytest.mark.parametrize("name", ["two.gif", "two.png"])
def test_the_frames_of_an_animation_are_its_pages(files, name):
    from ocr_cli.pipeline.documents import page_images, photos

    frames = [np.asarray(image.convert("RGB"), float) for image, _ in page_images(files[name])]
    assert len(frames) == 2 and len(list(photos(files[name]))) == 2
    assert np.abs(frames[0] - frames[1]).mean() > 10  # two different pages, not one twice


@pytest.fixture(scope="module")
def read_pages(files, pattern_model):
    from ocr_cli.pipeline.reader import PageReader

    return PageReader(pattern_model)(files["two.tif"])


def test_every_format_carries_the_pages(read_pages, pages):
    from ocr_cli.output.formats import FORMATS, Run

    run_ = Run("0")
    assert [p.text() for p in read_pages] == [text for _, text in pages]
    entry = json.loads(FORMATS["json"].pages(read_pages, run_, "two.tif", 1))
    assert [p["number"] for p in entry["pages"]] == [1, 2] and entry["text"].count("\f") == 2
    assert [p["size"] for p in entry["pages"]] == [list(pages[0][0].size)] * 2
    tsv = [row.split("\t") for row in FORMATS["tsv"].pages(read_pages, run_, "two.tif", 1).split("\n")]
    assert [row[:6] for row in tsv if row[0] == "1"] == [["1", "1", "0", "0", "0", "0"], ["1", "2", "0", "0", "0", "0"]]
    assert " ".join(row[11] for row in tsv if row[0] == "5" and row[1] == "2") == " ".join(SECOND)
    hocr = FORMATS["hocr"].pages(read_pages, run_, "two.tif", 1)
    assert hocr.count('class="ocr_page"') == 2 and "ppageno 1" in hocr
    alto = FORMATS["alto"].pages(read_pages, run_, "two.tif", 1)
    assert alto.count(":Page ") + alto.count("<Page ") == 2 and 'ID="page_2"' in alto


def test_a_pdf_page_is_rendered_at_its_images_resolution_or_300_dpi(files, pages, tmp_path):
    pytest.importorskip("pypdfium2")
    from ocr_cli.pipeline.documents import page_images

    rendered = list(page_images(files["two.pdf"]))
    assert [round(dpi) for _, dpi in rendered] == [100, 100]
    assert [abs(np.subtract(image.size, page.size)).max() <= 1 for image, (page, _) in zip([i for i, _ in rendered], pages)]
    empty = tmp_path / "empty.pdf"  # a page with no image: 300 dpi (A6 in points)
    Image.new("RGB", (298, 420), "white").save(empty, resolution=72)
    [(image, dpi)] = page_images(empty)
    assert round(dpi) == 100  # an image at 72 dpi is rendered at the least, 100 dpi


def test_pages_are_decoded_one_at_a_time(files, monkeypatch):
    from PIL import ImageOps

    from ocr_cli.pipeline import documents

    decoded = []
    real = ImageOps.exif_transpose
    monkeypatch.setattr(ImageOps, "exif_transpose", lambda image, **kw: decoded.append(image.tell()) or real(image, **kw))
    photos = documents.photos(files["two.tif"])
    next(photos)
    assert set(decoded) == {0}  # the second page is not decoded until the first has been read
    next(photos)
    assert set(decoded) == {0, 1}


def test_a_heic_photo_is_decoded_with_the_heic_extra(pages, tmp_path):
    pillow_heif = pytest.importorskip("pillow_heif")
    from ocr_cli.pipeline.documents import photos

    path = tmp_path / "note.heic"
    pillow_heif.from_pillow(pages[0][0].convert("RGB")).save(path, quality=95)
    [photo] = photos(path)
    original = np.asarray(pages[0][0].convert("L"), np.float32) / 255
    assert photo.size == pages[0][0].size and np.abs(photo.gray - original).mean() < 0.02


@pytest.mark.parametrize("name, extra, module, what", [("note.heic", "heic", "pillow_heif", "reading HEIC/HEIF photos"),
                                                       ("two.pdf", "pdf", "pypdfium2", "reading a PDF")])
def test_without_its_extra_a_file_says_which_extra_to_install(files, pattern_model, tmp_path, monkeypatch, name, extra,
                                                              module, what):
    from ocr_cli.pipeline import images

    path = files.get(name)
    if path is None:  # a HEIF header is all it takes to be recognised
        path = tmp_path / name
        path.write_bytes(b"\0\0\0\x18ftypheic\0\0\0\0mif1heic" + bytes(64))
    monkeypatch.setitem(sys.modules, module, None)  # as if not installed
    monkeypatch.setattr(images, "_heif_registered", [])
    result = run("read", path, "--model", pattern_model)
    assert result.exit_code == 2
    assert result.stderr.strip().split("\n") == [f"ocr: error: {path}: {what} needs the "
                                                 f"'{extra}' extra: pip install 'ocr-cli[{extra}]'"]


def test_a_damaged_pdf_is_one_line(tmp_path, pattern_model):
    pytest.importorskip("pypdfium2")
    path = tmp_path / "bad.pdf"
    path.write_bytes(b"%PDF-1.4\n garbage")
    result = run("read", path, "--model", pattern_model)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"ocr: error: {path}: cannot read PDF (") and result.stderr.count("\n") == 1


def pdf_words(data):
    """``[(page number, text, x, y)]`` of the words of a PDF's text layer, extracted with
    pypdf (x, y: where each word's text begins, in points), and the pages' sizes."""
    pypdf = pytest.importorskip("pypdf")
    import io

    reader = pypdf.PdfReader(io.BytesIO(data))
    words = []
    for number, page in enumerate(reader.pages, 1):
        page.extract_text(visitor_text=lambda text, cm, tm, font, size: text.strip() and words.append(
            (number, text.strip(), tm[4], tm[5])))
    return words, [(float(p.mediabox.width), float(p.mediabox.height)) for p in reader.pages]


def test_the_searchable_pdf_holds_every_word_on_its_box(files, read_pages, pages):
    pytest.importorskip("pypdfium2")
    from ocr_cli.output.formats import FORMATS, Run

    data = FORMATS["pdf"].alone(read_pages, Run("0"), files["two.tif"])
    assert data.startswith(b"%PDF-")
    words, sizes = pdf_words(data)
    assert [w for n, w, _, _ in words if n == 1] == " ".join(FIRST).split()
    assert [w for n, w, _, _ in words if n == 2] == SECOND[0].split()
    k = 72 / 300  # the TIFF declares no resolution: 300 dpi
    assert np.allclose(sizes, [(pages[0][0].size[0] * k, pages[0][0].size[1] * k)] * 2, atol=0.01)
    boxes = [word.box for page in read_pages for word in page.words]
    for (number, text, x, y), (left, top, width, height) in zip(words, boxes):
        assert left * k - 0.5 * height * k <= x <= left * k  # the text begins at the word's left ...
        assert abs(y - (sizes[0][1] - (top + height) * k)) <= 0.1 * height * k  # ... on its foot
    import pypdfium2  # and the text within each word's box is that word, as a viewer selects it

    document = pypdfium2.PdfDocument(data)
    for number, page in enumerate(read_pages):
        text = document[number].get_textpage()
        for word in page.words:
            left, top, width, height = word.box
            found = text.get_text_bounded(left * k, sizes[number][1] - (top + height) * k, (left + width) * k,
                                          sizes[number][1] - top * k)
            assert found.strip() == word.text()


def test_pdf_to_stdout_is_one_document_for_the_run_and_one_per_input_with_o(files, pattern_model, tmp_path):
    pytest.importorskip("pypdfium2")
    blank = tmp_path / "blank.png"
    Image.new("L", (200, 100), 230).save(blank, dpi=(100, 100))
    result = runner.invoke(app, ["read", str(blank), str(blank), "--model", str(pattern_model), "-f", "pdf"])
    assert result.exit_code == 0, result.output
    assert np.allclose(pdf_words(result.stdout_bytes)[1], [(144.0, 72.0)] * 2, atol=0.01)  # 200 x 100 px at 100 dpi
    out = tmp_path / "out"
    result = runner.invoke(app, ["read", str(blank), "--model", str(pattern_model), "-f", "pdf", "-o", str(out)])
    assert result.exit_code == 0 and result.stdout_bytes == b""
    assert (out / "blank.pdf").read_bytes().startswith(b"%PDF-")


def test_pdf_is_not_written_to_a_terminal(files, pattern_model):
    import os
    import pty
    import subprocess

    leader, follower = pty.openpty()
    done = subprocess.run([sys.executable, "-m", "ocr_cli", "read", str(files["two.tif"]), "-f", "pdf"],
                          stdout=follower, stderr=subprocess.PIPE, text=True, timeout=60)
    os.close(follower)
    os.close(leader)
    assert done.returncode == 2
    assert done.stderr == ("ocr: error: --format pdf: writes a binary PDF: redirect standard output to a file "
                           "(> out.pdf) or give --output-dir DIR\n")
