"""The page composer: exact boxes, reading order, spacing; the photo look; note text."""

import numpy as np
import pytest

from ocr_cli import CLASSES
from ocr_cli.synth import (HEIGHT_JITTER, LETTER_GAP, WORD_GAP, GlyphBank, compose_page,
                           photograph, random_strings, random_text)

CHAR_HEIGHT = 30
LINES = ["AB C", "12", "I0 Z9 QX"]


def rectangle_bank():
    """Every class as a filled ink rectangle (ink 0, paper 1): two samples each, 20 px
    tall, ``I`` and ``1`` narrow (4 px), the rest 12 or 14 px wide; stored transposed."""
    images = []
    for char in CLASSES:
        for width in ((4, 4) if char in "I1" else (12, 14)):
            image = np.ones((32, 32))
            image[6:26, 10:10 + width] = 0.0
            images.append(image.T.reshape(-1))
    labels = np.repeat(np.eye(len(CLASSES)), 2, axis=0)
    return GlyphBank(np.array(images), labels)


@pytest.fixture(scope="module")
def page():
    return compose_page(LINES, rectangle_bank(), np.random.default_rng(3), char_height=CHAR_HEIGHT)


def test_bank_returns_upright_glyphs_of_the_asked_class():
    bank = rectangle_bank()
    rng = np.random.default_rng(0)
    tall = bank.glyph("A", rng)
    assert tall.shape == (32, 32) and (tall[6:26, 10:22] == 0).all() and (tall[:6] == 1).all()
    assert {int((bank.glyph("I", rng) == 0).sum()) for _ in range(10)} == {80}
    with pytest.raises(ValueError, match="no glyphs"):
        bank.glyph("a", rng)


def test_text_and_indices_follow_the_lines(page):
    assert page.text == "AB C\n12\nI0 Z9 QX"
    assert len(page.boxes) == len(page.chars) == 11
    assert page.line_index == [0, 0, 0, 1, 1, 2, 2, 2, 2, 2, 2]
    assert page.word_index == [0, 0, 1, 0, 0, 0, 0, 1, 1, 2, 2]
    assert page.image.dtype == np.float32 and page.image.ndim == 2


def test_boxes_are_inside_and_in_reading_order(page):
    boxes = np.array(page.boxes)
    height, width = page.image.shape
    assert (boxes[:, :2] >= 0).all() and (boxes[:, 2] <= height).all() and (boxes[:, 3] <= width).all()
    assert (boxes[:, 2] > boxes[:, 0]).all() and (boxes[:, 3] > boxes[:, 1]).all()
    lines = np.array(page.line_index)
    for i in range(lines.max() + 1):
        assert (np.diff(boxes[lines == i, 1]) > 0).all()
        if i:
            assert boxes[lines == i, 0].min() > boxes[lines == i - 1, 2].max()


def test_boxes_do_not_overlap(page):
    for i, (a1, b1, a2, b2) in enumerate(page.boxes):
        for c1, d1, c2, d2 in page.boxes[i + 1:]:
            assert a2 <= c1 or c2 <= a1 or b2 <= d1 or d2 <= b1


def test_boxes_hold_exactly_the_ink(page):
    outside = np.ones(page.image.shape, bool)
    for y1, x1, y2, x2 in page.boxes:
        assert page.image[y1 + 1:y2 - 1, x1 + 1:x2 - 1].max() < 0.5  # filled rectangles
        for edge in (page.image[y1, x1:x2], page.image[y2 - 1, x1:x2],
                     page.image[y1:y2, x1], page.image[y1:y2, x2 - 1]):
            assert edge.min() < 0.5  # tight: every side of the box touches ink
        outside[y1 - 1:y2 + 1, x1 - 1:x2 + 1] = False
    assert page.image[outside].min() >= 0.5
    far = np.ones(page.image.shape, bool)
    halo = CHAR_HEIGHT // 10
    for y1, x1, y2, x2 in page.boxes:
        far[y1 - halo:y2 + halo, x1 - halo:x2 + halo] = False
    assert (page.image[far] == 1.0).all()


def test_sizes_and_gaps_follow_the_char_height(page):
    boxes = np.array(page.boxes)
    heights, widths = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    assert (abs(heights - CHAR_HEIGHT) <= HEIGHT_JITTER * CHAR_HEIGHT + 1).all()
    narrow = np.array([c in "I1" for c in page.chars])
    assert widths[narrow].max() * 2 < widths[~narrow].min()  # aspect ratio is kept
    same_line = np.diff(page.line_index) == 0
    new_word = np.diff(page.word_index) != 0
    gaps = (boxes[1:, 1] - boxes[:-1, 3]) / CHAR_HEIGHT
    letter, word = gaps[same_line & ~new_word], gaps[same_line & new_word]
    slack = 1 / CHAR_HEIGHT  # rounding to whole pixels
    assert LETTER_GAP[0] - slack <= letter.min() and letter.max() <= LETTER_GAP[1] + slack
    assert WORD_GAP[0] - slack <= word.min() and word.max() <= WORD_GAP[1] + slack


def test_page_grows_to_fit_and_is_reproducible():
    bank = rectangle_bank()
    small = compose_page(LINES, bank, np.random.default_rng(5), char_height=CHAR_HEIGHT, width=10, height=10)
    big = compose_page(LINES, bank, np.random.default_rng(5), char_height=CHAR_HEIGHT, width=900, height=700)
    assert small.boxes == big.boxes and big.image.shape == (700, 900)
    assert np.array_equal(big.image[:small.image.shape[0], :small.image.shape[1]], small.image)


@pytest.mark.parametrize("lines,char_height", [(["AB  C"], 30), (["ab"], 30), (["A-B"], 30), ([""], 30),
                                               (["AB"], 3)])
def test_bad_input_is_rejected(lines, char_height):
    with pytest.raises(ValueError):
        compose_page(lines, rectangle_bank(), np.random.default_rng(0), char_height=char_height)


def test_photograph_looks_like_a_photo(page):
    rgb = photograph(page.image, np.random.default_rng(0))
    assert rgb.dtype == np.uint8 and rgb.shape == (*page.image.shape, 3)
    grey = rgb.mean(2)
    ink = np.zeros(page.image.shape, bool)
    for y1, x1, y2, x2 in page.boxes:
        ink[y1 + 2:y2 - 2, x1 + 2:x2 - 2] = True
    paper = page.image == 1.0
    assert grey[paper].mean() - grey[ink].mean() > 80  # ink clearly darker
    assert grey[ink].min() > 5 and grey[paper].max() < 250  # neither pure black nor white
    turned = photograph(page.image, np.random.default_rng(0), rotation_deg=3.0)
    assert turned.dtype == np.uint8 and turned.ndim == 3
    assert turned.shape[0] > page.image.shape[0] and turned.shape[1] > page.image.shape[1]


def test_random_text_reads_like_notes():
    rng = np.random.default_rng(0)
    pages = [random_text(rng) for _ in range(20)]
    for lines in pages:
        assert 3 <= len(lines) <= 6
        for line in lines:
            words = line.split(" ")
            assert 1 <= len(words) <= 4 and len(line) <= 20 and all(words)
            assert set(line) <= set(CLASSES + " ")
    assert len(set("".join("".join(lines) for lines in pages)) - {" "}) >= 32



def test_random_strings_are_lines_of_short_strings_of_any_class():
    lines = random_strings(np.random.default_rng(0), n_lines=200)
    words = [word for line in lines for word in line.split(" ")]
    assert all(1 <= len(line.split(" ")) <= 3 for line in lines)
    assert all(1 <= len(word) <= 6 for word in words) and set("".join(words)) == set(CLASSES)


def test_pens_thin_and_break_strokes_without_adding_ink(pattern_bank):
    from ocr_cli.crop import stroke_width
    from ocr_cli.synth import broken_pen, thin_pen

    rng = np.random.default_rng(0)
    patch = np.ones((64, 64), np.float32)
    patch[8:56, 10:18] = patch[8:16, 10:50] = patch[30:38, 10:40] = 0.0  # an F with 8 px strokes
    thin = thin_pen(patch, rng, char_height=56)
    assert (thin >= patch).all()  # only paper is added
    assert stroke_width(thin < 0.5) < 0.6 * stroke_width(patch < 0.5)
    broken = broken_pen(patch, rng, char_height=56)
    assert (broken >= patch).all() and (broken < 0.5).sum() < (patch < 0.5).sum()
    page = compose_page(["HI"], pattern_bank, rng, char_height=40, pen=thin_pen)
    assert len(page.boxes) == 2  # the page records the boxes of the thinned glyphs
