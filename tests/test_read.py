"""`ocr read` and `ocr find-letters` on synthetic photos with known text."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import default_signals
from PIL import Image
from typer.testing import CliRunner

from ocr_cli.cli import app
from ocr_cli.net.model import load_model
from ocr_cli.pipeline.reader import read_image
from ocr_synth.pages import compose_page, photograph

runner = CliRunner()
LINES = ["CALL 42 NOW", "B7 IS OK", "ZQ9"]


@pytest.fixture(scope="module")
def page(pattern_bank):
    return compose_page(LINES, pattern_bank, np.random.default_rng(11), char_height=44)


@pytest.fixture(scope="module")
def photo_file(page, tmp_path_factory):
    path = tmp_path_factory.mktemp("photos") / "note.jpg"
    Image.fromarray(photograph(page.image, np.random.default_rng(12))).save(path, quality=90)
    return path


@pytest.fixture(scope="module")
def blank_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("photos") / "blank.png"
    Image.fromarray(np.full((300, 400), 230, np.uint8)).save(path)
    return path


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_read_image_gives_the_text_and_boxes(photo_file, page, pattern_model):
    reading = read_image(photo_file, load_model(pattern_model))
    assert reading.text() == page.text
    assert len(reading.characters) == len(page.boxes)
    assert all(c.confidence > 0.5 for c in reading.characters)
    assert reading.text(min_confidence=1.01) == "???? ?? ???\n?? ?? ??\n???"
    for character, (y1, x1, y2, x2) in zip(reading.characters, page.boxes):  # (left, top, width, height)
        assert np.abs(np.array(character.box) - [x1, y1, x2 - x1, y2 - y1]).max() <= 44 / 10 + 2


def test_read_text_output(photo_file, page, pattern_model):
    result = run("read", photo_file, "--model", pattern_model)
    assert result.exit_code == 0, result.output
    assert result.stdout == page.text + "\n"
    assert result.stderr == ""


def json_lines(page):
    """The lines of a JSON page, blocks flattened."""
    return [line for block in page["blocks"] for line in block["lines"]]


def test_read_json_output(photo_file, page, pattern_model):
    result = run("read", photo_file, "--model", pattern_model, "--format", "json")
    assert result.exit_code == 0
    [entry] = json.loads(result.stdout)
    [first] = entry["pages"]
    assert entry["file"] == str(photo_file) and first["text"] == page.text and first["number"] == 1
    assert [line["text"] for line in json_lines(first)] == LINES
    chars = [c for line in json_lines(first) for word in line["words"] for c in word["characters"]]
    assert "".join(c["text"] for c in chars) == page.chars
    for char, (y1, x1, y2, x2) in zip(chars, page.boxes):  # boxes: [left, top, width, height]
        assert np.abs(np.array(char["box"]) - [x1, y1, x2 - x1, y2 - y1]).max() <= 44 / 10 + 2
        probabilities = [alt["p"] for alt in char["top3"]]
        assert len(probabilities) == 3 and probabilities == sorted(probabilities, reverse=True)
        assert char["top3"][0]["text"] == char["text"] and char["confidence"] == probabilities[0] <= 1


def tsv_rows(text):
    return [line.split("\t") for line in text.splitlines()]


def test_read_tsv_is_tesseracts_five_levels(photo_file, page, pattern_model):
    result = run("read", photo_file, "--model", pattern_model, "-f", "tsv")
    rows = tsv_rows(result.stdout)
    assert rows[0] == ["level", "page_num", "block_num", "par_num", "line_num", "word_num", "left", "top", "width",
                       "height", "conf", "text"]
    assert rows[1][:6] == ["1", "1", "0", "0", "0", "0"] and rows[1][10:] == ["-1", ""]  # the page, as Tesseract
    assert rows[2][:6] == ["2", "1", "1", "0", "0", "0"] and rows[3][:6] == ["3", "1", "1", "1", "0", "0"]
    levels = [int(row[0]) for row in rows[1:]]
    assert set(levels) == {1, 2, 3, 4, 5} and levels.count(4) == len(LINES)
    words = [row for row in rows[1:] if row[0] == "5"]
    assert [row[-1] for row in words] == page.text.split()
    assert [(int(row[4]), int(row[5])) for row in words] == [(l + 1, w + 1) for l, w in
                                                             sorted(set(zip(page.line_index, page.word_index)))]
    assert all(0 <= float(row[10]) <= 100 for row in words)
    with_characters = tsv_rows(run("read", photo_file, "--model", pattern_model, "-f", "tsv", "--tsv-characters").stdout)
    chars = [row for row in with_characters[1:] if row[0] == "6"]
    assert "".join(row[-1] for row in chars) == page.chars
    y1, x1, y2, x2 = page.boxes[0]
    left, top, width, height = map(int, chars[0][6:10])
    assert abs(left - x1) <= 5 and abs(top - y1) <= 5 and abs(width - (x2 - x1)) <= 9 and abs(height - (y2 - y1)) <= 9


def hocr_check(path, *options):
    """What ``hocr-check`` (hocr-tools, the hOCR reference checker) says of a file."""
    import shutil
    import subprocess
    import sys

    checker = shutil.which("hocr-check", path=str(Path(sys.executable).parent)) or shutil.which("hocr-check")
    if checker is None:
        pytest.skip("hocr-check (pip install hocr-tools) is not installed")
    done = subprocess.run([checker, *options, str(path)], capture_output=True, text=True)
    return done.returncode, done.stdout + done.stderr


def test_hocr_passes_hocr_check_and_reads_back(photo_file, page, pattern_model, tmp_path):
    import xml.etree.ElementTree as ET

    result = run("read", photo_file, "--model", pattern_model, "-f", "hocr")
    assert result.exit_code == 0
    (tmp_path / "one.hocr").write_text(result.stdout)
    code, said = hocr_check(tmp_path / "one.hocr")
    assert code == 0 and "not ok" not in said and said.count("ok ") >= 10, said
    root = ET.fromstring(result.stdout.split("\n", 2)[2])  # after the XML declaration and the doctype
    spans = lambda cls: [e for e in root.iter("{http://www.w3.org/1999/xhtml}span") if e.get("class") == cls]
    page_box = [int(v) for v in next(e for e in root.iter() if e.get("class") == "ocr_page")
                .get("title").split("bbox ")[1].split(";")[0].split()]
    words, lines = spans("ocrx_word"), spans("ocr_line")
    assert len(words) == len(page.text.split()) and len(lines) == len(LINES)
    for word in words:
        x0, y0, x1, y1 = [int(v) for v in word.get("title").split(";")[0].split()[1:]]
        assert page_box[0] <= x0 < x1 <= page_box[2] and page_box[1] <= y0 < y1 <= page_box[3]
        assert 0 <= int(word.get("title").split("x_wconf ")[1]) <= 100
    back = "\n".join(" ".join("".join(w.itertext()) for w in line.iter() if w.get("class") == "ocrx_word")
                     for line in lines)
    assert back == page.text


def test_hocr_of_several_images_is_one_document_a_page_each(photo_file, blank_file, pattern_model, tmp_path):
    """One document, pages numbered; hocr-check passes it (its overlap checks are
    skipped: they compare the lines of every page with each other, a known fault of
    hocr-tools 1.1.1 that Tesseract's own multi-page hOCR fails alike)."""
    import xml.etree.ElementTree as ET

    result = run("read", photo_file, blank_file, photo_file, "--model", pattern_model, "-f", "hocr")
    assert result.exit_code == 0 and "==>" not in result.stdout
    (tmp_path / "three.hocr").write_text(result.stdout)
    code, said = hocr_check(tmp_path / "three.hocr", "--nooverlap")
    assert code == 0 and "not ok" not in said, said
    root = ET.fromstring(result.stdout.split("\n", 2)[2])
    pages = [e for e in root.iter() if e.get("class") == "ocr_page"]
    assert [p.get("id") for p in pages] == ["page_1", "page_2", "page_3"]
    assert [p.get("title").split("ppageno ")[1] for p in pages] == ["0", "1", "2"]
    assert len({e.get("id") for e in root.iter() if e.get("id")}) == len([e for e in root.iter() if e.get("id")])


def alto_schema():
    schema = Path(__file__).resolve().parents[2] / "shared" / "schemas" / "alto-4-4.xsd"
    lxml = pytest.importorskip("lxml.etree")
    if not schema.is_file():
        pytest.skip("the ALTO schema (../shared/schemas) is not here")
    return lxml, lxml.XMLSchema(lxml.parse(str(schema)))


def test_alto_validates_against_the_v4_4_schema_with_a_page_per_image(photo_file, page, pattern_model, tmp_path):
    lxml, schema = alto_schema()
    result = run("read", photo_file, photo_file, "--model", pattern_model, "-f", "alto")
    assert result.exit_code == 0 and "==>" not in result.stdout
    document = lxml.fromstring(result.stdout.encode())
    schema.assertValid(document)
    ns = "{http://www.loc.gov/standards/alto/ns-v4#}"
    pages = document.findall(f".//{ns}Page")
    assert [p.get("ID") for p in pages] == ["page_1", "page_2"]
    for alto_page in pages:
        width, height = int(alto_page.get("WIDTH")), int(alto_page.get("HEIGHT"))
        lines = alto_page.findall(f".//{ns}TextLine")
        assert [" ".join(s.get("CONTENT") for s in line.iter(f"{ns}String")) for line in lines] == LINES
        for line in lines:
            strings = list(line.iter(f"{ns}String"))
            assert len(list(line.iter(f"{ns}SP"))) == len(strings) - 1
            for string in strings:
                hpos, vpos, w, h = (int(string.get(k)) for k in ("HPOS", "VPOS", "WIDTH", "HEIGHT"))
                assert 0 <= hpos and hpos + w <= width and 0 <= vpos and vpos + h <= height
                assert 0 <= float(string.get("WC")) <= 1


def test_one_unsure_rule_for_every_format(photo_file, pattern_model):
    result = run("read", photo_file, "--model", pattern_model, "--json", "--min-confidence", "1")
    [entry] = json.loads(result.stdout)
    [first] = entry["pages"]
    assert set(first["text"].replace("\n", "").replace(" ", "")) == {"?"}
    assert [line["text"] for line in json_lines(first)] == first["text"].split("\n")
    assert entry["model"]["name"] == pattern_model.name and len(entry["model"]["sha256"]) == 64
    assert first["size"] and entry["version"]


def test_several_photos_read_in_parallel_as_one_by_one(photo_file, blank_file, page, pattern_model):
    images = [photo_file, blank_file, photo_file]
    for output in ("text", "json"):
        one = run("read", *images, "--model", pattern_model, "--format", output, "--jobs", "1")
        two = run("read", *images, "--model", pattern_model, "--format", output, "--jobs", "2")
        assert one.exit_code == two.exit_code == 0
        assert one.stdout == two.stdout
    assert [entry["pages"][0]["text"] for entry in json.loads(two.stdout)] == [page.text, "", page.text]


def test_blank_page_reads_as_empty_text(blank_file, pattern_model):
    result = run("read", blank_file, "--model", pattern_model)
    assert result.exit_code == 0 and result.stdout == ""
    found = run("find-letters", blank_file, "--json")
    assert found.exit_code == 0 and json.loads(found.stdout)[0]["pages"][0]["boxes"] == []


def test_find_letters_outputs_and_figures(photo_file, page, pattern_model, tmp_path):
    result = run("find-letters", photo_file, "--json", "--plot", tmp_path / "boxes.png", "--crops", tmp_path / "crops.png",
                 "--model", pattern_model)
    assert result.exit_code == 0, result.output
    [entry] = json.loads(result.stdout)
    boxes = entry["pages"][0]["boxes"]
    assert [b["line"] for b in boxes] == page.line_index
    assert [b["word"] for b in boxes] == page.word_index
    assert (tmp_path / "boxes.png").stat().st_size > 20_000 and (tmp_path / "crops.png").stat().st_size > 5_000
    text = run("find-letters", photo_file, photo_file, "--plot", tmp_path / "many")
    assert text.exit_code == 0 and text.stdout.count("characters") == 2
    assert [p.name for p in (tmp_path / "many").iterdir()] == ["note_boxes.png"]
    assert len(text.stdout.splitlines()) == 2 * (1 + len(page.boxes))


def test_read_plot(photo_file, pattern_model, tmp_path):
    result = run("read", photo_file, "--model", pattern_model, "--plot", tmp_path / "read.png")
    assert result.exit_code == 0 and (tmp_path / "read.png").stat().st_size > 20_000


def test_matplotlib_is_imported_only_for_plots(photo_file, pattern_model):
    code = (f"import sys; from ocr_cli.pipeline.reader import read_image; from ocr_cli.net.model import load_model; "
            f"read_image({str(photo_file)!r}, load_model({str(pattern_model)!r})); "
            f"from ocr_cli.cli import app; print('matplotlib' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"


def word_probs(*rows):
    """``(K, 36)`` probabilities: each row a dict of label -> probability, the rest of
    the mass spread evenly over the other classes."""
    from ocr_cli.layout import CLASSES

    out = np.zeros((len(rows), len(CLASSES)))
    for i, row in enumerate(rows):
        out[i] = (1 - sum(row.values())) / (len(CLASSES) - len(row))
        for label, p in row.items():
            out[i, CLASSES.index(label)] = p
    return out


def test_word_context_reads_a_word_as_letters_or_digits():
    from ocr_cli.layout import CLASSES
    from ocr_cli.pipeline.context import choose as read_words

    def read(*rows):
        return "".join(CLASSES[i] for i in read_words(word_probs(*rows), CLASSES, np.zeros(len(rows), int), np.zeros(len(rows), int)))

    # D, 0 (just above O): a word of letters -> DO
    assert read({"D": 0.9}, {"0": 0.5, "O": 0.4}) == "DO"
    # 7, S (just above 5), 4: a number -> 754
    assert read({"7": 0.9}, {"S": 0.5, "5": 0.4}, {"4": 0.9}) == "754"
    # B and 7 both certain: the evidence says mixed, the code stays B7
    assert read({"B": 0.97}, {"7": 0.97}) == "B7"
    # A loop is O or 0 and a bar I or 1 whatever the network prefers: the word decides
    assert read({"T": 0.95}, {"0": 0.9, "O": 0.05}) == "TO"
    assert read({"1": 0.9, "I": 0.05}, {"0": 0.9}, {"0": 0.9}) == "100"
    assert read({"L": 0.9}, {"1": 0.9, "I": 0.05}, {"S": 0.9}, {"T": 0.9}) == "LIST"
    # other look-alikes differ by a stroke the network sees: a certain Z stays in a code
    assert read({"Z": 0.95, "2": 0.02}, {"5": 0.95}, {"4": 0.95}) == "Z54"
    # each word is judged on its own
    probs = word_probs({"T": 0.9}, {"0": 0.6, "O": 0.3}, {"2": 0.9}, {"0": 0.9})
    labels = read_words(probs, CLASSES, np.zeros(4, int), np.array([0, 0, 1, 1]))
    assert "".join(CLASSES[i] for i in labels) == "TO20"


def test_a_lexicon_reads_an_uncertain_word_as_a_known_one():
    from ocr_cli.layout import CLASSES
    from ocr_cli.pipeline.lexicon import Lexicon
    from ocr_cli.pipeline.context import choose as read_words

    lexicon = Lexicon(["READ", "XQZA", "ZSA"], CLASSES)

    def read(*rows, lexicon=lexicon):
        return "".join(CLASSES[i] for i in read_words(word_probs(*rows), CLASSES, np.zeros(len(rows), int),
                                                      np.zeros(len(rows), int), lexicon))

    # R scored below A: the known word wins over the string the network prefers
    uncertain = ({"A": 0.6, "R": 0.3}, {"E": 0.9}, {"A": 0.9}, {"D": 0.9})
    assert read(*uncertain) == "READ"
    assert read(*uncertain, lexicon=Lexicon([], CLASSES)) == "AEAD"
    # certain characters are not bent into a word; codes and numbers stay what they are
    assert read({"X": 0.97}, {"Q": 0.97}, {"Z": 0.97}, {"T": 0.97}) == "XQZT"
    assert read({"Z": 0.95, "2": 0.02}, {"5": 0.95}, {"4": 0.95}) == "Z54"
    assert read({"7": 0.9}, {"S": 0.5, "5": 0.4}, {"4": 0.9}) == "754"


@pytest.fixture(scope="module")
def clueless_model(tmp_path_factory):
    """A network that gives every letter the same probability whatever it sees (and
    digits next to none): zero weights, biases for the letters only."""
    from ocr_cli.net.model import Model, new_metadata, save_model
    from ocr_cli.net.network import Network

    net = Network.mlp([1024, 8, 36], "relu", seed=0)
    for param in net.params:
        param[...] = 0
    net.params[-1][26:] = -20  # the output bias of the digits
    path = tmp_path_factory.mktemp("models") / "clueless.npz"
    save_model(path, Model(net, new_metadata(net)))
    return path


def test_read_takes_a_word_list_or_none(photo_file, clueless_model, tmp_path):
    words = tmp_path / "words.txt"
    words.write_text("WORD\n")
    with_words = run("read", photo_file, "--model", clueless_model, "--lexicon", words)
    assert with_words.exit_code == 0, with_words.output
    assert with_words.stdout.splitlines()[0].split()[0] == "WORD"  # CALL: any 4 letters
    without = run("read", photo_file, "--model", clueless_model, "--no-lexicon")
    assert without.exit_code == 0 and without.stdout.splitlines()[0].split()[0] != "WORD"
    missing = run("read", photo_file, "--model", clueless_model, "--lexicon", tmp_path / "none.txt")
    assert missing.exit_code == 2 and missing.stderr.strip() == f"ocr: error: {tmp_path / 'none.txt'}: no such file"


def test_characters_scored_not_a_character_are_dropped_and_lines_renumbered():
    from ocr_cli.layout import CLASSES, NOT_A_CHARACTER
    from ocr_cli.pipeline.reader import drop_not_characters
    from ocr_cli.pipeline.records import Characters

    boxes = np.arange(24).reshape(6, 4)
    probs = np.full((6, 37), 0.01)
    probs[[0, 1, 2, 3, 4, 5], [0, 36, 1, 36, 2, 3]] = 0.9  # the 2nd and 4th are junk
    found = Characters.found(boxes, [np.array([k]) for k in range(6)], [0, 0, 0, 1, 2, 2], [0, 1, 1, 0, 0, 1])
    kept = drop_not_characters(found.replace(crops=np.zeros((6, 1024)), probs=probs, classes=CLASSES + NOT_A_CHARACTER))
    assert kept.classes == CLASSES and kept.probs.shape == (4, 36) and np.allclose(kept.probs.sum(1), 1)
    assert kept.boxes.tolist() == boxes[[0, 2, 4, 5]].tolist() and len(kept.crops) == 4
    assert [m.tolist() for m in kept.members] == [[0], [2], [4], [5]]
    assert kept.line.tolist() == [0, 0, 1, 1]  # the line of junk only is gone
    assert kept.word.tolist() == [0, 1, 0, 1]
    plain = found.replace(probs=probs[:, :36], classes=CLASSES)
    assert drop_not_characters(plain) is plain


# --- many files ---

@pytest.fixture()
def folder(photo_file, blank_file, tmp_path):
    """A folder of three images (two share the stem 'note') and a file that is not one."""
    import shutil

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    shutil.copy(photo_file, tmp_path / "a" / "note.jpg")
    shutil.copy(photo_file, tmp_path / "b" / "note.jpg")
    shutil.copy(blank_file, tmp_path / "a" / "blank.png")
    (tmp_path / "a" / "notes.txt").write_text("not an image")
    return tmp_path


def test_folders_patterns_lists_and_stdin_name_the_same_images(folder, page, pattern_model, photo_file):
    import os

    by_folder = run("read", folder / "a", "-m", pattern_model)
    assert by_folder.exit_code == 0
    assert by_folder.stdout == f"==> {folder / 'a' / 'blank.png'} <==\n==> {folder / 'a' / 'note.jpg'} <==\n{page.text}\n"
    by_pattern = run("read", str(folder / "a" / "*.*g"), "-m", pattern_model)
    assert by_pattern.stdout == by_folder.stdout
    listed = folder / "list.txt"
    listed.write_text(f"{folder / 'a' / 'blank.png'}\n\n{folder / 'a' / 'note.jpg'}\n")
    assert run("read", f"@{listed}", "-m", pattern_model).stdout == by_folder.stdout
    with open(photo_file, "rb") as image:
        piped = runner.invoke(app, ["read", "-", "-m", str(pattern_model)], input=image.read())
    assert piped.exit_code == 0 and piped.stdout == page.text + "\n"
    nothing = run("read", str(folder / "a" / "*.tif"), "-m", pattern_model)
    assert nothing.exit_code == 2 and "no files match this pattern" in nothing.stderr
    assert not [p for p in os.listdir(folder) if p.startswith("ocr-stdin")]


def test_output_dir_writes_one_file_per_input_with_unique_names(folder, page, pattern_model):
    out = folder / "results" / "out"  # made as mkdir -p makes it
    result = run("read", folder / "a" / "note.jpg", folder / "b" / "note.jpg", "-m", pattern_model, "-o", out,
                 "-f", "alto")
    assert result.exit_code == 0 and result.stdout == ""
    assert sorted(p.name for p in out.iterdir()) == ["note-2.xml", "note.xml"]
    assert (out / "note.xml").read_text() == (out / "note-2.xml").read_text().replace("b/note.jpg", "a/note.jpg")
    again = run("read", folder / "a" / "note.jpg", "-m", pattern_model, "-o", out, "-f", "alto")
    assert again.exit_code == 2 and "already exists; pass --force" in again.stderr
    onto_input = run("read", folder / "a" / "notes.txt", "-m", pattern_model, "-o", folder / "a")
    assert onto_input.exit_code == 2 and "is one of the inputs" in onto_input.stderr
    assert (folder / "a" / "notes.txt").read_text() == "not an image"
    onto_a_file = run("read", folder / "a" / "note.jpg", "-m", pattern_model, "-o", folder / "a" / "notes.txt")
    assert onto_a_file.exit_code == 2 and onto_a_file.stderr.strip().endswith("notes.txt: not a folder")


def test_ctrl_c_keeps_what_was_printed_and_says_how_many_files_were_left(photo_file, page, pattern_model, tmp_path):
    import signal
    import subprocess
    import sys
    import time

    listed = tmp_path / "forty.txt"
    listed.write_text(f"{photo_file}\n" * 40)
    process = subprocess.Popen([sys.executable, "-m", "ocr_cli", "read", f"@{listed}", "-m", str(pattern_model),
                                "-j", "1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               preexec_fn=default_signals)
    first = process.stdout.readline()  # printed as soon as the first file is read
    assert first == f"==> {photo_file} <==\n"
    time.sleep(0.5)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130
    assert (first + out).count(page.text) >= 1 and (first + out).endswith(page.text + "\n")
    left = int(err.split("ocr: interrupted: ")[1].split()[0])
    assert 0 < left < 40 and "of 40 files not read" in err and "Traceback" not in err


def test_names_with_newlines_tabs_and_escapes_stay_on_their_line(photo_file, page, pattern_model, tmp_path):
    import shutil

    odd = tmp_path / "a\nb\tc\x1b[31m.jpg"
    shutil.copy(photo_file, odd)
    result = run("read", odd, photo_file, "-m", pattern_model, "-q")
    assert result.exit_code == 0
    assert result.stdout.startswith(f"==> {tmp_path}/a\\nb\\tc\\x1b[31m.jpg <==\n{page.text}\n==> ")
    missing = run("read", tmp_path / "gone\n\x1b2J.jpg", "-m", pattern_model)
    assert missing.exit_code == 2 and missing.stderr == f"ocr: error: {tmp_path}/gone\\n\\x1b2J.jpg: no such file\n"
    tsv = run("read", odd, photo_file, "-m", pattern_model, "-q", "-f", "tsv").stdout.splitlines()
    assert [row.split("\t")[1] for row in tsv[1:]] == ["1"] * (len(tsv) // 2) + ["2"] * (len(tsv) // 2)


def test_a_blank_page_reads_as_no_text_with_the_shipped_model():
    reading = read_image(np.ones((300, 400), np.float32))  # the shipped model averages over shifts: no crops at all
    assert reading.text() == "" and len(reading.characters) == 0
