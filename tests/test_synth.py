"""The page composer: exact boxes, reading order, spacing; the photo look; note text."""

import numpy as np
import pytest

from ocr_cli.layout import CLASSES
from ocr_synth.pages import (
    HEIGHT_JITTER,
    LETTER_GAP,
    WORD_GAP,
    GlyphBank,
    compose_page,
    photograph,
    random_strings,
    random_text,
)

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
    from ocr_cli.layout import stroke_width
    from ocr_synth.pages import broken_pen, thin_pen

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


# Stress photos: every kind gives an RGB photo whose true boxes hold the characters and
# nothing else that looks like ink; what is not a character stays out of the boxes.

STRESS_LINES = ["AB C", "12 XY", "Z9 K"]
STRESS_HEIGHT = 34


def stress(kind, seed=0, lines=STRESS_LINES):
    from ocr_synth.stress import stress_photo

    return stress_photo(kind, lines, pytest.pattern_bank, np.random.default_rng(seed), STRESS_HEIGHT)


@pytest.fixture(autouse=True)
def _bank_for_stress(pattern_bank):
    pytest.pattern_bank = pattern_bank


def relative(rgb, dark=None):
    """(H, W) grey as a share of the brightest pixel within about two characters (of
    the same side of ``dark: (H, W)`` bool, e.g. a shadow): 1 on paper, low on ink."""
    from scipy import ndimage

    grey = rgb.mean(2)
    size = 2 * STRESS_HEIGHT
    if dark is None:
        return grey / np.maximum(ndimage.maximum_filter(grey, size), 1)
    edge = near(dark, 4) & near(~dark, 4)  # the soft edge: neither side's light
    inside = ndimage.maximum_filter(np.where(dark & ~edge, grey, 0), size)
    outside = ndimage.maximum_filter(np.where(dark | edge, 0, grey), size)
    return grey / np.maximum(np.where(dark, inside, outside), 1)


def grown(shape, boxes, by):
    from ocr_synth.stress import box_mask

    return box_mask(shape, boxes, by)


def near(mask, by):
    from scipy import ndimage

    return ndimage.binary_dilation(mask, iterations=by) if mask.any() else mask


@pytest.mark.parametrize("kind", ["plain", "whiteboard", "dark_surround", "cluttered", "shadow", "thin_faint",
                                  "mixed_sizes"])
def test_stress_photo_boxes_hold_the_characters_and_nothing_else_is_ink(kind):
    from ocr_synth.stress import STRESS_KINDS

    assert kind in STRESS_KINDS
    photo = stress(kind)
    rgb, boxes = photo.rgb, photo.boxes
    assert rgb.dtype == np.uint8 and rgb.ndim == 3 and rgb.shape[2] == 3
    assert photo.text == "\n".join(STRESS_LINES) and photo.chars == "ABC12XYZ9K"
    assert boxes.shape == (len(photo.chars), 4) and boxes.dtype == np.int64
    assert len(photo.line_index) == len(photo.word_index) == len(boxes)
    assert (boxes[:, :2] >= 0).all() and (boxes[:, 2] <= rgb.shape[0]).all() and (boxes[:, 3] <= rgb.shape[1]).all()
    assert (boxes[:, 2] > boxes[:, 0]).all() and (boxes[:, 3] > boxes[:, 1]).all()
    for mask in photo.masks.values():
        assert mask.shape == rgb.shape[:2] and mask.dtype == bool
    shadow = photo.masks.get("shadow")
    light = relative(rgb, shadow)
    faint = kind == "thin_faint"
    for y1, x1, y2, x2 in boxes:  # every box covers ink
        assert light[y1:y2, x1:x2].min() < (0.9 if faint else 0.6)
    # Ink-dark pixels lie in a true box (give or take the blur) or in a mask of what is
    # not a character, or on a shadow's edge.
    excused = grown(light.shape, boxes, 3)
    for name in ("old_writing", "desk", "surround", "box", "underline", "table"):
        if name in photo.masks:
            excused |= near(photo.masks[name], 3)
    if shadow is not None:
        excused |= near(shadow, 4) & near(~shadow, 4)
    assert not ((light < (0.85 if faint else 0.6)) & ~excused).any()  # faint ink: 0.65-0.82


def test_unknown_stress_kind_is_rejected_and_photos_are_reproducible():
    from ocr_synth.stress import stress_photo

    with pytest.raises(ValueError, match="unknown stress kind"):
        stress_photo("foggy", STRESS_LINES, pytest.pattern_bank, np.random.default_rng(0))
    assert np.array_equal(stress("whiteboard", seed=4).rgb, stress("whiteboard", seed=4).rgb)
    drawn = stress_photo("plain", STRESS_LINES, pytest.pattern_bank, np.random.default_rng(0))
    assert 50 * 0.85 <= np.median(drawn.boxes[:, 2] - drawn.boxes[:, 0]) <= 90 * 1.15  # STRESS_CHAR_HEIGHT


def test_whiteboard_old_writing_and_haze_stay_out_of_the_boxes():
    from ocr_synth.stress import GHOST_CLEARANCE

    photo = stress("whiteboard", seed=1)
    old, haze = photo.masks["old_writing"], photo.masks["haze"]
    assert old.any() and haze.any() and photo.masks["glare"].any()
    assert not (old & grown(old.shape, photo.boxes, int(GHOST_CLEARANCE * STRESS_HEIGHT) - 1)).any()
    assert haze.mean() > 0.05  # the eraser smeared a good part of the board
    light = relative(photo.rgb)
    ink = np.median([light[y1:y2, x1:x2].min() for y1, x1, y2, x2 in photo.boxes])
    assert np.percentile(light[old], 5) > ink + 0.2  # the old writing is much fainter than the marker


def test_dark_surround_desk_is_dark_and_touches_no_box():
    from ocr_synth.stress import DESK_SHARE

    photo = stress("dark_surround", seed=2)
    sheet, desk = photo.masks["sheet"], photo.masks["desk"]
    assert (sheet ^ desk).all()
    grey = photo.rgb.mean(2)
    assert np.percentile(grey[~near(sheet, 3)], 95) < 0.5 * np.median(grey[sheet])
    assert sheet[grown(sheet.shape, photo.boxes, 2)].all()  # no box touches the desk
    rows, cols = np.flatnonzero(sheet.any(1)), np.flatnonzero(sheet.any(0))
    h, w = sheet.shape
    for before, after, size in ((rows[0], h - 1 - rows[-1], h), (cols[0], w - 1 - cols[-1], w)):
        for share in (before / size, after / size):
            assert DESK_SHARE[0] - 0.01 <= share <= DESK_SHARE[1] + 0.01


def test_cluttered_objects_surround_the_sheet_and_touch_the_frame():
    photo = stress("cluttered", seed=3)
    clutter, sheet = photo.masks["clutter"], photo.masks["sheet"]
    assert clutter.any() and not (clutter & sheet).any()
    assert sheet[grown(sheet.shape, photo.boxes, 2)].all()
    frame = np.concatenate([clutter[0], clutter[-1], clutter[:, 0], clutter[:, -1]])
    assert frame.any()  # some object is cut by the frame
    grey = photo.rgb.mean(2)
    assert np.median(grey[clutter]) < 0.8 * np.median(grey[sheet])


def test_shadow_crosses_the_text_and_the_table_edge_stays_clear():
    from ocr_synth.stress import SHADOW_DARKNESS

    for seed in range(6):
        photo = stress("shadow", seed=seed)
        shadow, boxes = photo.masks["shadow"], photo.boxes
        crossed = [0 < shadow[y1:y2, x1:x2].mean() < 1 for y1, x1, y2, x2 in boxes]
        assert any(crossed)  # its edge runs through a character
        paper = ~grown(shadow.shape, boxes, 3)
        lit, dark = paper & ~near(shadow, 4), paper & shadow & ~near(~shadow, 4)
        grey = photo.rgb.mean(2)
        ratio = np.median(grey[dark]) / np.median(grey[lit])
        assert 1 - SHADOW_DARKNESS[1] - 0.15 < ratio < 1 - SHADOW_DARKNESS[0] + 0.1
        table = photo.masks["table"]
        if table.any():
            break
    assert table.any() and not (table & grown(table.shape, boxes, 3)).any()
    assert np.median(photo.rgb.mean(2)[table]) < 0.5 * np.median(grey[lit])


def test_thin_faint_ink_is_faint():
    photo = stress("thin_faint")
    light = relative(photo.rgb)
    assert np.median([light[y1:y2, x1:x2].min() for y1, x1, y2, x2 in photo.boxes]) > 0.5  # never pen-dark


def test_mixed_sizes_heading_small_boxed_word_and_underline():
    from ocr_synth.stress import HEADING_SCALE, SMALL_SCALE

    photo = stress("mixed_sizes", seed=5)
    boxes, lines, words = photo.boxes, np.array(photo.line_index), np.array(photo.word_index)
    heights = boxes[:, 2] - boxes[:, 0]
    boxed = (lines == 2) & (words == 1)  # "K", the last word of the last line
    body = (lines > 0) & ~boxed
    assert photo.line_index == [0, 0, 0, 1, 1, 1, 1, 2, 2, 2] and photo.word_index == [0, 0, 1, 0, 0, 1, 1, 0, 0, 1]
    assert HEADING_SCALE[0] - 0.3 < np.median(heights[lines == 0]) / np.median(heights[body]) < HEADING_SCALE[1] + 0.3
    assert SMALL_SCALE[0] - 0.2 < heights[boxed].mean() / np.median(heights[body]) < SMALL_SCALE[1] + 0.2
    box, rule = photo.masks["box"], photo.masks["underline"]
    assert box.any() and rule.any()
    assert not ((box | rule) & grown(box.shape, boxes, 2)).any()
    rows, cols = np.flatnonzero(box.any(1)), np.flatnonzero(box.any(0))
    (y1, x1, y2, x2), = boxes[boxed]
    assert rows[0] < y1 and y2 < rows[-1] and cols[0] < x1 and x2 < cols[-1]  # the box surrounds the word
    assert box[(rows[0] + rows[-1]) // 2, x1:x2].sum() == 0  # ... and is a frame, not a blot
    rule_rows = np.flatnonzero(rule.any(1))
    assert rule_rows[-1] - rule_rows[0] < 0.5 * STRESS_HEIGHT  # a line, not a shape
    with pytest.raises(ValueError):
        stress("mixed_sizes", lines=["ONE LINE"])
