"""Lines of print told from handwriting (ocr_cli/pipeline/printed.py), and
``--handwriting-only`` / ``printed=False`` leaving them out."""

import json

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from conftest import pattern_glyph
from ocr_cli.cli import app
from ocr_cli.layout import CLASSES
from ocr_cli.pipeline.printed import PIXEL, PRINTED_ALIGNMENT, PRINTED_LEAST, PRINTED_SHARE, printed_lines
from ocr_cli.pipeline.records import Characters
from ocr_synth.printed import print_line


def characters_on(lines, text="ABCDEFGH"):
    """Read :class:`Characters` of ``lines``: per line a list of ``(top, bottom)``, the
    characters 40 px apart; each read as the next letter of ``text``."""
    boxes, line = [], []
    for number, spans in enumerate(lines):
        for k, (top, bottom) in enumerate(spans):
            boxes.append([top + 200 * number, 40 * k, bottom + 200 * number, 40 * k + 30])
            line.append(number)
    found = Characters.found(boxes, [()] * len(boxes), line)
    choice = np.array([CLASSES.index(text[k % len(text)]) for k in range(len(boxes))])
    probs = np.eye(len(CLASSES))[choice]
    return found.replace(probs=probs, classes=CLASSES, choice=choice)


def test_a_line_standing_as_type_is_print_and_a_straying_one_is_not():
    rng = np.random.default_rng(0)
    typeset = [(10, 60)] * 6
    # hand printing: tops and feet stray by 6% of the height (the synthetic pages: 3-9%)
    hand = [(10 + t, 60 + b) for t, b in np.round(rng.normal(0, 3, (6, 2))).astype(int)]
    printed = printed_lines(characters_on([typeset, hand]))
    assert printed.tolist() == [True] * 6 + [False] * 6


def test_a_slanting_line_of_type_is_print():
    slant = [(10 + 4 * k, 60 + 4 * k) for k in range(6)]  # a page turned a few degrees
    assert printed_lines(characters_on([slant])).all()


def test_one_odd_mark_is_forgiven_but_a_line_mostly_off_its_lines_is_handwriting():
    height = 50
    bound = max(PRINTED_ALIGNMENT * height, PIXEL)
    past, within = int(np.floor(bound)) + 1, int(np.floor(bound))
    # every top off by just within the bound, alternately up and down: type
    assert printed_lines(characters_on([[(10 + within * (-1) ** k, 60) for k in range(6)]])).all()
    # one top out (a misread bracket, a letter cut from two marks): still type
    assert printed_lines(characters_on([[(10, 60)] * 5 + [(10 - 3 * past, 60)]])).all()
    # tops alternately just past the bound: most characters stray, handwriting
    assert not printed_lines(characters_on([[(10 + past * (-1) ** k, 60) for k in range(6)]])).any()
    # share: one line in PRINTED_SHARE off decides
    n = 10
    off = int(np.ceil(n * (1 - PRINTED_SHARE))) + 1
    assert not printed_lines(characters_on([[(10, 60)] * (n - off) + [(10 - 3 * past, 60)] * off])).any()


def test_short_lines_and_punctuation_are_not_judged():
    short = [(10, 60)] * (PRINTED_LEAST - 1)
    assert not printed_lines(characters_on([short])).any()
    # a line of four letters and a comma hanging below them: print, the comma with it
    marked = characters_on([[(10, 60)] * 4 + [(50, 75)]])
    marked = marked.replace(classes=CLASSES + ",", probs=np.eye(len(CLASSES) + 1)[[0, 1, 2, 3, len(CLASSES)]],
                            choice=np.array([0, 1, 2, 3, len(CLASSES)]))
    assert printed_lines(marked).tolist() == [True] * 5


def form_image(tmp_path):
    """A printed label above a line of hand printing (pattern glyphs of uneven height
    and place, as a hand writes them): the image's path."""
    label = print_line("DATE OF BIRTH", 30).image
    rng = np.random.default_rng(3)
    page = np.ones((260, 900), np.float32)
    page[20:20 + label.shape[0], 40:40 + label.shape[1]] = label
    for k in range(8):
        size = int(rng.uniform(52, 66))
        glyph = np.asarray(Image.fromarray((pattern_glyph(k + 26) * 255).astype(np.uint8)).resize((size, size)),
                           np.float32) / 255
        top, left = 130 + int(rng.uniform(-6, 6)), 40 + 90 * k
        page[top:top + size, left:left + size] = np.minimum(page[top:top + size, left:left + size], glyph)
    path = tmp_path / "form.png"
    Image.fromarray((page * 255).astype(np.uint8)).save(path)
    return path


def lines_of(output):
    (result,) = json.loads(output)  # a list of files (one here)
    return [line for page in result["pages"] for block in page["blocks"] for line in block["lines"]]


def test_the_label_is_flagged_print_and_handwriting_only_leaves_it_out(tmp_path, pattern_model):
    path = form_image(tmp_path)
    runner = CliRunner()
    result = runner.invoke(app, ["read", str(path), "--model", str(pattern_model), "--format", "json"])
    assert result.exit_code == 0, result.output
    lines = lines_of(result.stdout)
    assert [line["printed"] for line in lines] == [True, False]
    alone = runner.invoke(app, ["read", str(path), "--model", str(pattern_model), "--format", "json",
                                "--handwriting-only"])
    assert alone.exit_code == 0, alone.output
    kept = lines_of(alone.stdout)
    assert [line["printed"] for line in kept] == [False]
    assert kept[0]["text"] == lines[1]["text"] and len(kept[0]["text"].replace(" ", "")) == 8


@pytest.mark.parametrize("printed", [True, False])
def test_the_python_api_takes_printed(tmp_path, pattern_model, printed):
    import ocr_cli

    page = ocr_cli.read(form_image(tmp_path), model=pattern_model, printed=printed)
    assert [line.printed for line in page.lines] == ([True, False] if printed else [False])
