"""What a page holds beside its characters: punctuation (read by default, left out on
request), word spaces of widely spaced writing, the sizes a line is written in, and the
warning for a page that cannot be read with confidence."""

import json
import re

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from ocr_cli.cli import app
from ocr_cli.pipeline.lattice import PUNCTUATION, size_runs, word_breaks
from ocr_cli.pipeline.reader import LEGIBLE, LINE_DOUBT, doubtful_lines, legibility
from ocr_cli.pipeline.records import Characters

MARKS = set(PUNCTUATION)


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def stress_file(kind, seed, bank, folder, height=34):
    from ocr_synth.stress import stress_photo, stress_text

    rng = np.random.default_rng(seed)
    photo = stress_photo(kind, stress_text(kind, rng), bank, rng, height)
    path = folder / f"{kind}_{seed}.png"
    Image.fromarray(photo.rgb).save(path)
    return path, photo


@pytest.fixture(scope="module")
def punctuation_page(nist_bank, tmp_path_factory):
    return stress_file("punctuation", 0, nist_bank, tmp_path_factory.mktemp("marks"))


def test_punctuation_is_read_by_default_and_left_out_on_request(punctuation_page):
    path, photo = punctuation_page  # real NIST characters, marks drawn by hand, the shipped model
    truth = [c for c in photo.text if c in MARKS]
    plain = run("read", path, "-q")
    bare = run("read", path, "-q", "--no-punctuation")
    assert plain.exit_code == 0 and bare.exit_code == 0
    read = [c for c in plain.stdout if c in MARKS]
    assert len(read) >= len(truth) // 2 and set(read) <= set(truth)
    assert not MARKS & set(bare.stdout)
    # the characters the run can read are declared, with or without the marks
    declared = lambda *extra: json.loads(run("read", path, "-q", "-f", "json", *extra).stdout)[0]["characters"]
    assert MARKS <= set(declared()) and not MARKS & set(declared("--no-punctuation"))
    # leaving the marks out reads the same characters
    strip = lambda text: re.sub(f"[{re.escape(PUNCTUATION)}]", "", text).split()
    assert "".join(strip(bare.stdout)) == "".join(strip(plain.stdout))


def test_a_page_that_is_not_hand_printed_capitals_warns_and_still_reads(pattern_bank, pattern_model, tmp_path):
    path, _ = stress_file("lowercase", 0, pattern_bank, tmp_path)
    result = CliRunner().invoke(app, ["read", str(path), "-q"])  # the shipped model: lower case is not its
    assert result.exit_code == 0 and result.stdout.strip()
    warning = [line for line in result.stderr.splitlines() if line.startswith("ocr: warning:")]
    assert len(warning) == 1 and f"{path.name}: cannot read this page" in warning[0]
    (page,) = json.loads(run("read", path, "-q", "-f", "json").stdout)[0]["pages"]
    assert page["warning"].startswith("cannot read this page")
    assert "x_warning" in run("read", path, "-q", "-f", "hocr").stdout
    assert "QUALITY_DETAIL" in run("read", path, "-q", "-f", "alto").stdout
    # a page the model does read is not flagged
    legible, _ = stress_file("plain", 0, pattern_bank, tmp_path)
    clean = CliRunner().invoke(app, ["read", str(legible), "-m", str(pattern_model), "-q"])
    assert clean.exit_code == 0 and "warning" not in clean.stderr


def read_characters(confidences, punctuation=0):
    """Characters read with ``confidences``, the last ``punctuation`` of them as marks."""
    classes = "AB" + "".join(sorted(MARKS))
    n = len(confidences)
    probs = np.zeros((n, len(classes)))
    choice = np.zeros(n, np.int64)
    choice[n - punctuation:] = len(classes) - 1
    probs[np.arange(n), choice] = confidences
    return Characters(np.zeros((n, 4), np.int64), tuple([()] * n), np.zeros(n, np.int64), np.zeros(n, np.int64),
                      probs=probs, classes=classes, choice=choice)


def test_legibility_is_the_median_confidence_of_the_network_characters():
    assert legibility(read_characters([0.9, 0.95, 0.6, 0.99])) is None
    low = LEGIBLE - 0.2
    assert "0.55" in legibility(read_characters([low, low, low, 0.99]))
    # punctuation, read by shape with confidence 1, does not lift a page
    assert legibility(read_characters([low, low, low, 1.0, 1.0, 1.0], punctuation=3)) is not None
    # two characters say too little
    assert legibility(read_characters([low, low])) is None


def test_lines_read_with_little_confidence_are_doubtful_as_wholes():
    low, high = LINE_DOUBT - 0.1, LINE_DOUBT + 0.1
    characters = read_characters([high, high, low, low, low, 1.0], punctuation=1)
    characters = characters.replace(line=np.array([0, 0, 1, 1, 1, 1]))
    # the second line's punctuation, read with certainty by its shape, goes with it
    assert doubtful_lines(characters).tolist() == [False, False, True, True, True, True]
    # a line's median decides: one sure character among doubtful ones does not keep it
    mixed = read_characters([low, 0.99, low]).replace(line=np.array([0, 0, 0]))
    assert doubtful_lines(mixed).all()
    assert not doubtful_lines(read_characters([high, low, high]).replace(line=np.array([0, 0, 0]))).any()


def test_a_line_read_as_upright_strokes_is_a_row_of_stripes_not_writing():
    lines = ["I1II1", "I1I1", "AI11II", "AAI1II", "I1,II1"]  # the comma: a mark, read by its shape
    text = "".join(lines)
    classes = "AI1" + "".join(sorted(MARKS))
    choice = np.array([classes.index(c) for c in text])
    probs = np.zeros((len(text), len(classes)))
    probs[np.arange(len(text)), choice] = 0.9  # every one read with confidence
    line = np.repeat(np.arange(len(lines)), [len(t) for t in lines])
    characters = Characters(np.zeros((len(text), 4), np.int64), tuple([()] * len(text)), line, np.zeros_like(line),
                            probs=probs, classes=classes, choice=choice)
    doubtful = doubtful_lines(characters)
    # five strokes and more, four in five of the line's characters at least: stripes
    assert [bool(doubtful[line == k].all()) for k in range(len(lines))] == [True, False, True, False, True]
    assert [bool(doubtful[line == k].any()) for k in range(len(lines))] == [True, False, True, False, True]


def test_clutter_read_as_lines_of_its_own_is_left_out_and_nothing_else(nist_bank, monkeypatch):
    """Cluttered stress pages (a face, a lamp, a door knob beside a sheet) read by the
    shipped model: exactly the lines whose characters read with a median confidence
    under LINE_DOUBT, or as rows of upright strokes, are left out, and on these pages
    there are such lines."""
    import ocr_cli.pipeline.reader as reader
    from ocr_cli.net.model import load_model
    from ocr_cli.pipeline.lattice import PUNCTUATION
    from ocr_cli.pipeline.lexicon import english
    from ocr_synth.stress import stress_photo, stress_text

    model, rng, dropped = load_model(), np.random.default_rng(0), 0
    lexicon = english(model.classes)

    def lines(page):
        return [(" ".join(w.text() for w in line.words),
                 np.median([c.confidence for w in line.words for c in w.characters if c.text not in PUNCTUATION]
                           or [1.0])) for line in page.lines]

    for _ in range(3):
        photo = stress_photo("cluttered", stress_text("cluttered", rng), nist_bank, rng)
        kept = lines(reader.read_image(photo.rgb, model, lexicon))
        monkeypatch.setattr(reader, "LINE_DOUBT", 0.0)
        monkeypatch.setattr(reader, "STRIPES", 10 ** 6)
        every = lines(reader.read_image(photo.rgb, model, lexicon))
        monkeypatch.undo()

        def striped(text):
            strokes = [c for c in text if c.isalnum()]
            return len(strokes) >= reader.STRIPES and np.mean([c in "I1" for c in strokes]) >= reader.STRIPED

        # (or none, where fewer than LEAST_READ characters would be left)
        assert kept in ([(text, median) for text, median in every if median >= LINE_DOUBT and not striped(text)], every)
        dropped += len(every) - len(kept)
    assert dropped


def test_a_page_that_is_all_doubt_keeps_its_lines():
    from ocr_cli.pipeline.reader import without_clutter

    low, high = LINE_DOUBT - 0.1, LEGIBLE + 0.1
    page = read_characters([high] * 4 + [low] * 2).replace(line=np.array([0, 0, 0, 0, 1, 1]))
    assert without_clutter(page).confidence.tolist() == [high] * 4
    doubt = read_characters([low] * 5).replace(line=np.array([0, 0, 0, 1, 1]))
    assert len(without_clutter(doubt)) == 5
    # beside too few characters read with confidence, nothing is left out either
    few = read_characters([high, high, low]).replace(line=np.array([0, 0, 1]))
    assert len(without_clutter(few)) == 3
    # a page that warns (its median under LEGIBLE) loses its clutter too
    warned = read_characters([high] * 3 + [low] * 3).replace(line=np.array([0, 0, 0, 1, 1, 1]))
    assert legibility(warned) is not None and len(without_clutter(warned)) == 3


def test_a_wide_gap_breaks_a_line_whose_gaps_form_one_group():
    letters_wide = [0.45, 0.5, 0.55, 0.5, 0.6]        # 1 0 0 0 written wide ...
    gaps = np.array(letters_wide + [1.3] + [0.2, 0.25, 0.3, 0.2, 0.35])  # ... then HILLTOP tight
    (breaks,) = word_breaks([gaps])
    assert np.flatnonzero(breaks).tolist() == [5]
    # evenly wide letter spacing alone makes no word of each letter
    (even,) = word_breaks([np.full(8, 0.6)])
    assert not even.any()


def test_a_line_written_in_two_sizes_is_two_runs():
    tall = np.array([40, 42, 38, 41, 24, 25, 23, 26, 24])   # a big word, then small print
    assert size_runs(tall) == [[0, 1, 2, 3], [4, 5, 6, 7, 8]]
    # a big letter beside a word in small print under half its size (a key and SPACE)
    assert size_runs(np.array([75, 28, 29, 27, 28, 30])) == [[0], [1, 2, 3, 4, 5]]
    # a comma or a piece under the line's size stays in its run; one odd mark joins one
    assert size_runs(np.array([40, 41, 8, 39, 40])) == [[0, 1, 2, 3, 4]]
    assert size_runs(np.array([40, 41, 15, 12, 39, 40])) == [[0, 1, 2, 3, 4, 5]]


def test_a_speck_beside_a_word_starts_no_diagonal_through_its_letters():
    from ocr_cli.pipeline.lines import follow_lines

    h = 40
    speck = [[20, 0, 32, 12]]                                        # a lamp's glint, up and left
    word = [[50, 30 + 45 * k, 50 + h, 30 + 45 * k + 30] for k in range(5)]  # a level word below it
    line = follow_lines(np.array(speck + word), h)
    assert len(set(line[1:])) == 1 and line[0] != line[1]
    # a lone mark with no level neighbour may still begin a diagonal (a slanted number)
    steps = [[100 - 25 * k, 40 * k, 100 - 25 * k + h, 40 * k + 30] for k in range(4)]
    assert len(set(follow_lines(np.array(steps), h))) == 1


def test_a_diagonal_number_past_the_end_of_a_level_line_takes_back_its_first_digits():
    from ocr_cli.pipeline.lines import TAIL_GAP, follow_lines, reclaimed

    h = 40
    level = [[100, 45 * k, 100 + h, 45 * k + 30] for k in range(6)]           # a level word
    start = level[-1][3] + int(1.5 * TAIL_GAP * h)                                # then a gap
    rise = np.tan(np.deg2rad(25))
    # a number written up a 25 degree diagonal; its first two digits stand level with the
    # word's end (within ON_LINE), so following the lines gives them to the word
    steps = [[round(100 - rise * 42 * k), start + 42 * k, round(100 - rise * 42 * k) + h, start + 42 * k + 30]
             for k in range(6)]
    boxes = np.array(level + steps)
    line = follow_lines(boxes, h)
    assert line[6] == line[0]  # (what this is for: the following takes the first digit)
    fixed = reclaimed(boxes, line)
    assert len(set(fixed[:6])) == 1 and len(set(fixed[6:])) == 1 and fixed[0] != fixed[6]
    # a level line's own last word after a gap is no diagonal's
    words = np.array(level + [[100, start + 42 * k, 100 + h, start + 42 * k + 30] for k in range(4)])
    assert (reclaimed(words, follow_lines(words, h)) == follow_lines(words, h)).all()


def test_a_steep_diagonal_number_takes_back_its_first_digit_left_on_a_line_of_its_own():
    from ocr_cli.pipeline.lines import follow_lines, reclaimed

    h = 40
    rise = np.tan(np.deg2rad(50))  # steeper than a lone mark may reach (STEEPEST)
    # digits 28 px apart across, each 33 px higher: neighbours overlap in x
    steps = [[round(400 - rise * 28 * k), 100 + 28 * k, round(400 - rise * 28 * k) + h, 100 + 28 * k + 26]
             for k in range(6)]
    steps[0] = [steps[0][0] + 18, steps[0][1], steps[0][2] + 18, steps[0][3]]  # the first written a little low
    line = follow_lines(np.array(steps), h)
    assert line[0] != line[1] and len(set(line[1:])) == 1  # (what this is for: the first step is too steep)
    fixed = reclaimed(np.array(steps), line)
    assert len(set(fixed)) == 1
    # a lone mark off the line's extension, or after its end, stays a line of its own
    aside = steps[1:] + [[steps[0][0] - 2 * h, steps[0][1], steps[0][2] - 2 * h, steps[0][3]]]
    assert len(set(reclaimed(np.array(aside), follow_lines(np.array(aside), h)))) == 2
    after = steps[:-1] + [[steps[-1][0] - 4 * h, steps[-1][1] + 4 * h, steps[-1][2] - 4 * h, steps[-1][3] + 4 * h]]
    assert len(set(reclaimed(np.array(after), follow_lines(np.array(after), h)))) == 2


def test_a_comma_between_two_words_leaves_them_one_line():
    import ocr_cli.pipeline.lines as lines

    h = 50
    word = [[100, 45 * k, 100 + h, 45 * k + 35] for k in range(3)]
    comma = [[138, 128, 168, 136]]  # from near the foot down: a tail 0.6 of a height
    after = [[100, 180 + 45 * k, 100 + h, 180 + 45 * k + 35] for k in range(5)]
    boxes = np.array(word + comma + after)
    assert len(set(lines.follow_lines(boxes, h))) == 1
    # (what this is for: with the comma in the line's fit, the next word starts a line)
    saved = lines.FIT_SHARE
    try:
        lines.FIT_SHARE = 0.0
        assert len(set(lines.follow_lines(boxes, h))) == 2
    finally:
        lines.FIT_SHARE = saved
