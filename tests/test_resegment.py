"""Recognition-driven segmentation: the network's scores choose merges and splits."""

import numpy as np
import pytest

from ocr_cli.net.model import load_model
from ocr_cli.pipeline.reader import read_image
from ocr_cli.pipeline.resegment import best_path, merge_candidates
from ocr_synth.pages import compose_page


def brute_force(n, single, merges, splits):
    """The best total over every reading of ``n`` marks, by enumeration."""
    def best(i):
        if i == n:
            return 0.0
        options = [single[i] + best(i + 1)] + [s + best(i + 1) for s, _ in splits.get(i, [])]
        if i in merges and i + 1 < n:
            options.append(merges[i] + best(i + 2))
        return max(options)
    return best(0)


def total(path, single, merges, splits):
    scores = {"single": lambda k, *_: single[k], "merge": lambda k, *_: merges[k],
              "split": lambda k, c: dict((choice, s) for s, choice in splits[k])[c]}
    return sum(scores[what[0]](*what[1:]) for what in path)


def test_best_path_is_the_best_reading_and_covers_every_mark_once():
    rng = np.random.default_rng(0)
    for _ in range(300):
        n = int(rng.integers(1, 7))
        single = rng.uniform(-3, 0, n)
        merges = {k: rng.uniform(-3, 0) for k in range(n - 1) if rng.random() < 0.5}
        splits = {k: [(rng.uniform(-4, 0), c) for c in range(int(rng.integers(1, 3)))]
                  for k in range(n) if rng.random() < 0.4}
        path = best_path(n, single, merges, splits)
        covered = [k for what in path for k in ((what[1], what[1] + 1) if what[0] == "merge" else (what[1],))]
        assert covered == list(range(n))
        assert total(path, single, merges, splits) == pytest.approx(brute_force(n, single, merges, splits))


def test_merge_candidates_are_narrow_close_neighbours_on_one_line():
    boxes = np.array([[0, 0, 40, 12], [0, 20, 40, 32],  # two narrow halves, 8 px apart: candidates
                      [0, 60, 40, 72], [0, 100, 40, 112],  # narrow but 28 px apart: not
                      [0, 120, 40, 150], [0, 155, 40, 165],  # a wide neighbour: not
                      [0, 190, 40, 200], [50, 205, 90, 215]])  # on another line: not
    line = np.array([0, 0, 0, 0, 0, 0, 0, 1])
    assert merge_candidates(boxes, line).tolist() == [0]


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


def test_two_letters_written_into_each_other_are_split_by_the_network(real_nist, monkeypatch):
    from ocr_cli.pipeline import reader
    from ocr_cli.net.data import split_file
    from ocr_cli.pipeline.lexicon import Lexicon
    from ocr_synth.pages import GlyphBank

    bank = GlyphBank.from_file(split_file(real_nist, "test"))
    model = load_model()
    no_words = Lexicon([], model.classes)
    pages = list(touching_pages(bank, 12))
    split = sum(read_image(image, model, no_words).text() == text for image, text in pages)
    monkeypatch.setattr(reader, "reread", lambda working, characters, model: characters)
    as_found = sum(read_image(image, model, no_words).text() == text for image, text in pages)
    assert split >= as_found + 3, (split, as_found)


def test_a_confident_mark_is_not_cut(pattern_bank, pattern_model):
    page = compose_page(["AB CD EF"], pattern_bank, np.random.default_rng(3), char_height=44)
    reading = read_image(page.image, load_model(pattern_model))
    assert reading.text() == "AB CD EF" and len(reading.characters) == 6
