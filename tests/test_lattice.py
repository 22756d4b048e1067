"""The lattice: segmentation proposes, the network's scores choose merges and splits."""

import numpy as np
import pytest

from ocr_cli.net.model import load_model
from ocr_cli.pipeline import lattice
from ocr_cli.pipeline.lattice import WIDE_COST, best_path, too_wide
from ocr_cli.pipeline.reader import read_image
from ocr_synth.pages import compose_page


def brute_force(n, options):
    """The best total score over every path from atom 0 to atom ``n``, by enumeration."""
    def best(i):
        if i == n:
            return 0.0
        return max((s + best(j) for s, j, _ in options[i]), default=-np.inf)
    return best(0)


def random_options(rng, n):
    """Ways through ``n`` atoms: each atom alone, and runs of two or three at random."""
    return [[(rng.uniform(-3, 0), i + 1, (i, i + 1))] +
            [(rng.uniform(-4, 0), j, (i, j)) for j in range(i + 2, min(n, i + 3) + 1) if rng.random() < 0.5]
            for i in range(n)]


def test_best_path_is_the_best_reading_and_covers_every_atom_once():
    rng = np.random.default_rng(0)
    for _ in range(300):
        n = int(rng.integers(1, 8))
        options = random_options(rng, n)
        path = best_path(n, options)
        assert [a for i, j in path for a in range(i, j)] == list(range(n))  # each atom once, in order
        scores = {what: s for opts in options for s, _, what in opts}
        assert sum(scores[what] for what in path) == pytest.approx(brute_force(n, options))


def all_paths(n, options):
    """Every path from atom 0 to ``n``: ``(score, whats)``."""
    if n == 0:
        return [(0.0, [])]
    out = []
    for i in range(n):
        for s, j, what in options[i]:
            if j == n:
                out += [(score + s, whats + [what]) for score, whats in all_paths(i, options)]
    return out


def test_best_paths_are_the_k_best_readings_best_first():
    rng = np.random.default_rng(1)
    for _ in range(200):
        n = int(rng.integers(1, 7))
        options = random_options(rng, n)
        every = sorted(score for score, _ in all_paths(n, options))[::-1]
        found = lattice.best_paths(n, options, 4)
        assert [score for score, _ in found] == pytest.approx(every[:4])
        for score, steps in found:
            assert [i for i, *_ in steps] == [0] + [j for _, j, *_ in steps[:-1]] and steps[-1][1] == n
            assert sum(s for _, _, s, _ in steps) == pytest.approx(score)


def spae(lexicon, lead="SP"):
    """A line of atoms ``lead`` A C E, the A and C cut from one mark that reads A (wide),
    through :func:`lattice.in_words` with ``lexicon``: the text read."""
    from ocr_cli.layout import CLASSES
    from ocr_cli.pipeline.context import pool_look_alikes

    n = len(lead) + 3
    a = len(lead)  # the A's atom
    boxes = np.array([[0, 13 * i, 20, 13 * i + 10] for i in range(n)] + [[0, 13 * a, 20, 13 * a + 23]])
    reads = [(c, 0.9) for c in lead] + [("A", 0.6), ("C", 0.6), ("E", 0.9), ("A", 0.8)]
    real = np.full((n + 1, 36), 0.001)
    for k, (c, p) in enumerate(reads):
        real[k, CLASSES.index(c)] = p
    pooled = pool_look_alikes(real, CLASSES)
    best = np.log(pooled.max(1))
    cost = lattice.CHARACTER_COST
    options = [[(best[k] - cost - lattice.SPLIT_COST * (k == a + 1), k + 1, ("character", k))] for k in range(n)]
    options[a].append((best[n] - cost, a + 2, ("character", n)))
    atoms = [(boxes[k].tolist(), [k + 1], 0, 0, k, 20.0) for k in range(n)]
    steps = lattice.best_paths(n, options, 1)[0][1]
    read = [(0, list(range(n)), np.full(n, 20.0), options, steps)]
    if lexicon is not None:
        read = lattice.in_words(read, atoms, boxes, real, pooled, best, CLASSES, lexicon)
    return "".join(reads[what][0] for _, _, _, (kind, what) in read[0][4] if kind == "character")


def test_letters_read_as_one_wide_letter_are_read_apart_where_that_makes_a_known_word():
    from ocr_cli.layout import CLASSES
    from ocr_cli.pipeline.lexicon import Lexicon

    assert spae(None) == "SPAE"  # the segmentation alone reads the wide mark whole
    assert spae(Lexicon(["SPACE", "SPADE"], CLASSES)) == "SPACE"
    assert spae(Lexicon(["SPAE", "SPACE"], CLASSES)) == "SPAE"  # a known word stays as read
    assert spae(Lexicon(["SPADE"], CLASSES)) == "SPAE"  # no way through its atoms is a word
    # A short word proves little: the list holds most short strings.
    assert spae(Lexicon(["PACE"], CLASSES), lead="P") == "PAE"
    assert spae(Lexicon(["SPACE"], CLASSES), lead="SP") == "SPACE"


def test_a_character_is_charged_for_each_own_height_it_is_wider_than_its_class_is_drawn():
    boxes = np.array([[0, 0, 10, 20], [0, 0, 10, 5]])  # twice as wide as tall; half
    cost = too_wide(boxes, "8M", {"8": 1.25, "M": 3.0})
    assert cost[0].tolist() == pytest.approx([WIDE_COST * 0.75, 0.0])
    assert cost[1].tolist() == [0.0, 0.0]
    assert not too_wide(boxes, "8M", None).any()  # a model that does not know widths


def touching(image, box_a, box_b):
    """``image`` with the character in ``box_b`` moved left to 3 px from ``box_a``'s
    (and 8 px lower: a hand's letters do not line up exactly) and joined to it by a
    stroke across the gap on a row where both have ink: two letters written into
    each other."""
    image = image.copy()
    y1, x1, y2, x2 = box_b
    glyph = image[y1:y2, x1:x2].copy()
    image[y1:y2, x1:x2] = 1
    left = box_a[3] + 3
    image[y1 + 8:y2 + 8, left:left + x2 - x1] = np.minimum(image[y1 + 8:y2 + 8, left:left + x2 - x1], glyph)
    rows = range(max(box_a[0], y1 + 8), min(box_a[2], y2 + 8))
    a_ink = [np.flatnonzero(image[y, box_a[1]:box_a[3]] < 0.5) for y in rows]
    b_ink = [np.flatnonzero(image[y, left:left + x2 - x1] < 0.5) for y in rows]
    both = [i for i in range(len(rows)) if len(a_ink[i]) and len(b_ink[i])]
    i = both[len(both) // 2]  # the middle of the rows where both have ink
    y = rows[i]
    image[y - 2:y + 2, box_a[1] + a_ink[i][-1]:left + b_ink[i][0] + 1] = 0
    return image


def touching_pages(bank, count):
    """``count`` photos of a line of three two-letter words, the middle one written
    into each other, with their text."""
    rng = np.random.default_rng(5)
    letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
    for _ in range(count):
        words = ["".join(rng.choice(list(letters), 2)) for _ in range(3)]
        page = compose_page([" ".join(words)], bank, rng, char_height=48)
        yield touching(page.image, page.boxes[2], page.boxes[3]), " ".join(words)


def test_two_letters_written_into_each_other_are_split_by_the_network(nist_bank, monkeypatch):
    from ocr_cli.pipeline.lexicon import Lexicon

    bank = nist_bank
    model = load_model()
    no_words = Lexicon([], model.classes)
    pages = list(touching_pages(bank, 12))
    split = sum(read_image(image, model, no_words).text() == text for image, text in pages)
    monkeypatch.setattr(lattice, "cut_wide", lambda *args: [])  # marks read whole
    whole = sum(read_image(image, model, no_words).text() == text for image, text in pages)
    assert split >= whole + 3, (split, whole)


def test_a_confident_mark_is_not_cut(pattern_bank, pattern_model):
    page = compose_page(["AB CD EF"], pattern_bank, np.random.default_rng(3), char_height=44)
    reading = read_image(page.image, load_model(pattern_model))
    assert reading.text() == "AB CD EF" and len(reading.characters) == 6


def test_small_atoms_beside_a_run_that_change_nothing_of_its_reading_are_no_pieces_of_it():
    # atoms: 0 a dot, 1 and 2 a digit's two strokes, 3 and 4 the two dots of a colon
    big = np.array([False, True, True, False, False])
    middles = np.array([5.0, 14.0, 22.0, 31.0, 31.0])
    runs = {(1, 3): 0, (0, 3): 1, (1, 4): 2, (1, 5): 3, (0, 2): 4}
    boxes = np.array([[0, 10, 40, 26], [0, 3, 40, 26], [0, 10, 40, 33], [0, 10, 40, 33], [0, 3, 26, 16]])
    nine = np.eye(3)[[0, 0, 0, 0, 2]]  # every candidate reads class 0 but the dot and a stroke
    padded = lambda i, j, k, pooled=nine, marks={0}: lattice.padded(i, j, k, runs, big, middles, boxes, pooled, marks)
    assert padded(0, 3, 1)  # a decimal point before the digit
    assert padded(1, 4, 2) and padded(1, 5, 3)  # one dot of a colon after it, and both
    assert not padded(0, 2, 4)  # no shorter run of the same reading beside it
    changed = nine.copy()
    changed[1] = np.eye(3)[1]  # the dot before the digit changes what the run reads (a piece of it)
    assert not padded(0, 3, 1, changed)
    inside = middles.copy()
    inside[0] = 12.0  # a small atom within the run's columns is one of its strokes
    assert not lattice.padded(0, 3, 1, runs, big, inside, boxes, nine, {0})
    assert not padded(0, 3, 1, marks=set())  # before a character, only a mark (the foot of a tick may be its stroke)


def test_a_decimal_point_close_to_the_next_digit_and_a_comma_as_wide_as_tall_are_read_by_their_place():
    height, top, foot = 46, 10, 56
    # a dot at the foot, 0.065 of a height (3 px) before the next digit: a decimal point
    assert lattice.punctuation([47, 100, 56, 109], top, foot, height, 6, 3) == (".", 0.7)
    # ink closer than AFTER_STOP heights: a piece of a letter, not a mark
    assert lattice.punctuation([47, 100, 56, 109], top, foot, height, 6, 1)[0] is None
    # hanging below the line, as tall as wide and taller than a dot: a comma
    assert lattice.punctuation([47, 100, 62, 114], top, foot, height, 9, 40)[0] == ","
    # a round dot a little below the line's foot is a full stop, not a comma
    assert lattice.punctuation([53, 100, 62, 109], top, foot, height, 9, None)[0] == "."


def test_a_comma_with_a_long_tail_hanging_below_the_line_is_a_comma_not_a_letter():
    height, top, foot = 45, 177, 222
    comma = [216, 278, 239, 296]  # half a line tall: begins at the foot, hangs a third of a height below it
    assert lattice.hanging(comma, foot, height)
    assert lattice.punctuation(comma, top, foot, height, 3, 60)[0] == ","
    # as tall, standing on the line: a letter's piece, no mark
    standing = [199, 278, 222, 296]
    assert not lattice.hanging(standing, foot, height)
    assert lattice.punctuation(standing, top, foot, height, 3, 60)[0] is None


def test_a_sloping_hyphen_is_a_hyphen_and_a_mark_as_tall_as_half_its_length_is_not():
    height, top, foot = 46.5, 358, 404
    assert lattice.punctuation([381, 490, 392, 524], top, foot, height, 7, 9)[0] == "-"  # 11 px tall, 34 long
    assert lattice.punctuation([374, 490, 392, 524], top, foot, height, 7, 9)[0] is None  # 18 px tall: a piece


def test_a_stroke_or_a_hook_over_a_dot_of_its_own_is_an_exclamation_or_a_question_mark():
    height, top, foot = 40, 100, 140
    dot = [132, 104, 141, 113]  # at the foot, a stroke and a half across
    assert lattice.over_a_dot([99, 105, 126, 112], dot, top, foot, height) == "!"  # a stroke down to above it
    assert lattice.over_a_dot([99, 96, 126, 118], dot, top, foot, height) == "?"  # a hook as wide as half its height
    assert lattice.over_a_dot([99, 88, 124, 121], dot, top, foot, height) is None  # wider than a hook: a letter's
    # a letter standing on the line with a speck under it is no mark: it reaches the foot
    assert lattice.over_a_dot([99, 96, 138, 118], [141, 104, 146, 109], top, foot, height) is None
    # a dot beside the stroke, not under it; a mark from the middle of the line, not its top
    assert lattice.over_a_dot([99, 105, 126, 112], [132, 130, 141, 139], top, foot, height) is None
    assert lattice.over_a_dot([115, 105, 126, 112], dot, top, foot, height) is None
    # a lower-case i: its dot over the stroke (the upper mark is the dot)
    assert lattice.over_a_dot([100, 105, 108, 113], [112, 105, 140, 112], top, foot, height) is None


def test_exclamation_and_question_marks_written_after_words_and_numbers_are_read_as_such(nist_bank):
    from ocr_cli.pipeline.lexicon import english
    from ocr_synth.writing import punctuation_photo

    model = load_model()
    lines = ["CALL NOW! WHY?", "STOP 12? GO 7!"]
    marks = read = 0
    for seed in range(6):
        photo = punctuation_photo(lines, nist_bank, np.random.default_rng(seed), 40)
        text = read_image(photo.rgb, model, english(model.classes)).text()
        marks += sum(c in "?!" for c in photo.text)
        read += sum(min(text.count(mark), photo.text.count(mark)) for mark in "?!")
        assert "NOWI" not in text and "71" not in text.split()[-1], text  # never a letter or a digit
    # (the shipped model: 23 of 24; before they were read, none: NOWI, WHY7, 12? as 127)
    assert read >= 21, (read, marks)


def broken_pages(bank, count):
    """``count`` photos of a line of three four-letter words, each letter broken in two
    by a slanted gap (a pen that skipped): a left and a right piece whose columns
    overlap, with their text."""
    rng = np.random.default_rng(11)
    letters = "ABCDEFGHKMNOPQRSTUVWXYZ"
    for _ in range(count):
        words = ["".join(rng.choice(list(letters), 4)) for _ in range(3)]
        page = compose_page([" ".join(words)], bank, rng, char_height=48)
        image = page.image.copy()
        for y1, x1, y2, x2 in page.boxes:
            for y in range(y1, y2):  # the gap runs from 60% of the width at the top to 40% at the foot
                x = x1 + int(round((0.6 - 0.2 * (y - y1) / max(y2 - y1 - 1, 1)) * (x2 - x1)))
                image[y, x:x + 2] = 1.0
        yield image, " ".join(words)


def edits(a, b):
    """Levenshtein distance of strings ``a`` and ``b``."""
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        previous, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (x != y))
    return row[-1]


def test_pieces_overlapping_in_columns_are_read_as_one_letter_unless_clearly_two(nist_bank, monkeypatch):
    from ocr_cli.pipeline.lexicon import Lexicon

    model = load_model()
    no_words = Lexicon([], model.classes)
    pages = list(broken_pages(nist_bank, 8))
    wrong = lambda: sum(edits(read_image(image, model, no_words).text(), text) for image, text in pages)
    joined = wrong()
    monkeypatch.setattr(lattice, "splits_a_mark", lambda boxes, cut_from, i: i > 0 and cut_from[i - 1] == cut_from[i])
    apart = wrong()
    # (the shipped model: 37 edits against 42; a break between overlapping pieces only
    # where they read clearly better)
    assert joined < apart, (joined, apart)
