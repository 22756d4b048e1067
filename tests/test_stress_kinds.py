"""The stress kinds built for the reading rework: turned text, touching digits, wide
spacing, punctuation, deep shadows, bridging strokes, faint pens under steep light.

Every kind's truth is checked the same way (:func:`check_truth`): the boxes are the
tight boxes of each character's labelled ink, the labelled ink is dark in the photo,
nothing that is not a character or an excused mark is ink, and the indices spell the
text; then what each kind is for.
"""

import numpy as np
import pytest
from scipy import ndimage

from ocr_cli.layout import CLASSES

HEIGHT = 34  # small characters: fast tests


@pytest.fixture(autouse=True)
def _bank(pattern_bank):
    pytest.pattern_bank = pattern_bank


def photo_of(kind, lines, seed=0, char_height=HEIGHT):
    from ocr_synth.stress import stress_photo

    return stress_photo(kind, lines, pytest.pattern_bank, np.random.default_rng(seed), char_height)


def relative_light(rgb, size=2 * HEIGHT):
    """(H, W) grey as a share of the brightest pixel within ``size``: 1 on paper, low on ink."""
    grey = rgb.mean(2)
    return grey / np.maximum(ndimage.maximum_filter(grey, size), 1)


def spelled(photo):
    """The text the indices spell: characters grouped by line and word (and block)."""
    chars = [c for c in photo.text if not c.isspace()]
    blocks = photo.block_index or [0] * len(chars)
    lines, previous, last_word = [], None, None
    for char, block, line, word in zip(chars, blocks, photo.line_index, photo.word_index):
        if (block, line) != previous:
            lines.append([[char]])
        elif word != last_word:
            lines[-1].append([char])
        else:
            lines[-1][-1].append(char)
        previous, last_word = (block, line), word
    return "\n".join(" ".join("".join(w) for w in line) for line in lines)


def check_truth(photo, excused=(), exact=True, dark=0.6, light=None):
    """The truth every kind promises. ``excused``: masks where ink that is no
    character may lie; ``exact``: each box is exactly its labels' box (False where
    overlapping glyphs give shared pixels to the darker one: then it holds them);
    ``dark``: the relative light its ink must fall below; ``light``: (H, W) that
    relative light where :func:`relative_light` would not do."""
    rgb, boxes, labels = photo.rgb, photo.boxes, photo.labels
    assert rgb.dtype == np.uint8 and rgb.ndim == 3 and rgb.shape[2] == 3
    assert boxes.dtype == np.int64 and boxes.shape == (len(photo.chars), 4)
    assert len(photo.line_index) == len(photo.word_index) == len(boxes)
    assert spelled(photo) == photo.text
    assert (boxes[:, :2] >= 0).all() and (boxes[:, 2] <= rgb.shape[0]).all() and (boxes[:, 3] <= rgb.shape[1]).all()
    assert (boxes[:, 2] > boxes[:, 0]).all() and (boxes[:, 3] > boxes[:, 1]).all()
    assert labels.shape == rgb.shape[:2] and labels.max() == len(boxes)
    light = relative_light(rgb) if light is None else light
    found = ndimage.find_objects(labels, max_label=len(boxes))
    for k, ((y1, x1, y2, x2), where) in enumerate(zip(boxes, found)):
        assert where is not None, f"character {k} has no ink"
        box = [where[0].start, where[1].start, where[0].stop, where[1].stop]
        if exact:
            assert box == [y1, x1, y2, x2], f"character {k}: box {[y1, x1, y2, x2]}, ink {box}"
        else:
            assert y1 <= box[0] and x1 <= box[1] and box[2] <= y2 and box[3] <= x2
        inside = labels[y1:y2, x1:x2]
        counts = np.bincount(inside.ravel(), minlength=len(boxes) + 1)[1:]
        assert counts.argmax() == k, f"character {k}'s box holds more of character {counts.argmax()}'s ink"
        assert np.percentile(light[labels == k + 1], 10) < dark, f"character {k}'s ink is not dark"
    from ocr_synth.stress import box_mask

    allowed = box_mask(light.shape, boxes, 3)
    for name in excused:
        allowed |= ndimage.binary_dilation(photo.masks[name], iterations=3)
    assert not ((light < 0.5) & ~allowed).any(), "ink outside the true boxes"


def near(mask, by):
    return ndimage.binary_dilation(mask, iterations=by) if mask.any() else mask


def same_photo(a, b):
    return np.array_equal(a.rgb, b.rgb) and np.array_equal(a.boxes, b.boxes) and a.text == b.text


LINES = ["AB C", "12 XY", "Z9 K"]


EXCUSED = {"deep_shadow": ("table",), "erased_bridges": ("old_writing", "bridges"),
           "diagram": ("drawing", "old_writing"), "notes": ("cut_ink", "seam"), "form": ("printed", "desk")}  # marks
# drawn on purpose
DARK = {"faint_gradient": 0.9, "erased_bridges": 0.75, "diagram": 0.75}  # faint ink; a glare mixes up to 60% white in


def split_light(rgb, dark):
    """:func:`relative_light` on each side of the edge of ``dark: (H, W)`` bool (a
    shadow, a note on a wall, a sheet on a desk) against that side's own brightest
    pixels; 1 on the edge itself."""
    edge = near(dark, 4) & near(~dark, 4)
    grey = rgb.mean(2)
    inside = ndimage.maximum_filter(np.where(dark & ~edge, grey, 0), 2 * HEIGHT)
    outside = ndimage.maximum_filter(np.where(dark | edge, 0, grey), 2 * HEIGHT)
    return np.where(edge, 1.0, grey / np.maximum(np.where(dark, inside, outside), 1))


SURFACE = {"deep_shadow": "shadow", "notes": "notes", "form": "sheet"}  # where the light changes at an edge


def check_kind_truth(photo):
    """:func:`check_truth` as ``photo``'s kind needs it."""
    surface = SURFACE.get(photo.kind)
    light = split_light(photo.rgb, photo.masks[surface]) if surface else None
    check_truth(photo, EXCUSED.get(photo.kind, ()), exact=photo.kind != "touching",
                dark=DARK.get(photo.kind, 0.6), light=light)


@pytest.mark.parametrize("kind,lines", [
    ("rotated", LINES), ("diagonal", ["AB C", "12 XY", "7315"]), ("wide_spacing", LINES),
    ("punctuation", ["CALL 555-1234, NOW", "TO: ANN", "IT'S 3/4 19.99"]), ("deep_shadow", LINES),
    ("erased_bridges", LINES), ("faint_gradient", LINES), ("touching", ["7531 8787", "250 6666"])])
def test_kind_truth_is_exact_and_reproducible(kind, lines):
    photo = photo_of(kind, lines, seed=1)
    assert photo.kind == kind and photo.text == "\n".join(lines)
    check_kind_truth(photo)
    assert same_photo(photo, photo_of(kind, lines, seed=1))
    assert not same_photo(photo, photo_of(kind, lines, seed=2))


def test_rotation_angles_cover_every_slant_and_right_angles():
    from ocr_synth.writing import RIGHT_ANGLE_TILT, ROTATION, rotation_angle

    rng = np.random.default_rng(0)
    angles = np.array([rotation_angle(rng) for _ in range(400)])
    slanted = angles[angles <= ROTATION[1]]
    assert slanted.min() < ROTATION[0] + 5 and slanted.max() > ROTATION[1] - 5
    for right in (90, 180, 270):
        near = np.abs(angles - right) <= RIGHT_ANGLE_TILT
        assert near.sum() > 20
    assert 0.2 < (angles > ROTATION[1]).mean() < 0.4


@pytest.mark.parametrize("degrees", [90, 180, 270])
def test_a_right_angle_turns_the_page_and_its_boxes_exactly(degrees):
    from ocr_synth.pages import compose_page
    from ocr_synth.writing import turned_page

    page = compose_page(LINES, pytest.pattern_bank, np.random.default_rng(0), char_height=HEIGHT)
    image, labels, boxes, quads = turned_page(page, degrees)
    turns = degrees // 90
    assert np.allclose(image, np.rot90(page.image, turns), atol=1e-6)
    assert np.array_equal(labels > 0, np.rot90(page.image < 0.5, turns))
    upright = np.rot90(page.labels, turns)
    assert np.array_equal(labels[upright > 0], upright[upright > 0])
    h, w = page.image.shape
    y1, x1, y2, x2 = np.asarray(page.boxes).T
    expected = {1: (w - x2, y1, w - x1, y2), 2: (h - y2, w - x2, h - y1, w - x1), 3: (x1, h - y2, x2, h - y1)}[turns]
    assert np.array_equal(boxes, np.stack(expected, 1))
    assert np.allclose(quads.min(1), boxes[:, [1, 0]]) and np.allclose(quads.max(1), boxes[:, [3, 2]])


def test_rotated_quads_enclose_their_glyphs_and_boxes_enclose_the_quads_ink():
    for seed in range(3):
        photo = photo_of("rotated", LINES, seed=seed)
        assert photo.quads.shape == (len(photo.boxes), 4, 2)
        for k, quad in enumerate(photo.quads):
            ys, xs = np.nonzero(photo.labels == k + 1)
            points = np.stack([xs + 0.5, ys + 0.5], 1)
            for a, b in zip(quad, np.roll(quad, -1, 0)):  # clockwise on screen: inside is to the right
                edge = b - a
                side = (points[:, 0] - a[0]) * edge[1] - (points[:, 1] - a[1]) * edge[0]
                assert (side / np.hypot(*edge) <= 1.5).all()
        a = np.radians(photo.angle)
        top = photo.quads[:, 1] - photo.quads[:, 0]  # each box's top edge runs along the turned line
        assert np.allclose(np.arctan2(-top[:, 1], top[:, 0]), np.arctan2(np.sin(a), np.cos(a)), atol=1e-6)


def test_diagonal_number_is_slanted_beside_level_text():
    from ocr_synth.writing import DIAGONAL

    photo = photo_of("diagonal", ["AB C", "12 XY", "7315"], seed=3)
    number = np.array(photo.block_index) == 1
    assert photo.blocks == ["AB C\n12 XY", "7315"] and number.sum() == 4
    assert DIAGONAL[0] <= abs(photo.angle) <= DIAGONAL[1]
    level = photo.boxes[~number]
    assert photo.boxes[number, 1].min() > level[:, 3].max()  # beside, to the right
    centres = (photo.boxes[number, :2] + photo.boxes[number, 2:]) / 2
    climb = np.degrees(np.arctan2(-(centres[-1, 0] - centres[0, 0]), centres[-1, 1] - centres[0, 1]))
    assert abs(climb - photo.angle) < 10  # the digits follow the slant
    assert np.allclose(photo.quads[~number].min(1), level[:, [1, 0]])  # level text: upright quads


def test_touching_digits_touch_and_vary_in_height():
    from ocr_synth.writing import TOUCH_HEIGHT, digit_lines

    lines = digit_lines(np.random.default_rng(0), 3)
    assert all(set(line) <= set("0123456789 ") for line in lines)
    photo = photo_of("touching", ["7531 8787", "250 6666"], seed=4)
    labels, boxes = photo.labels, photo.boxes
    same_word = (np.diff(photo.line_index) == 0) & (np.diff(photo.word_index) == 0)
    touching = [ndimage.binary_dilation(labels == k + 1, np.ones((3, 3), bool))[labels == k + 2].any()
                for k in np.flatnonzero(same_word)]
    assert np.mean(touching) >= 0.5
    heights = boxes[:, 2] - boxes[:, 0]
    assert heights.max() / heights.min() > 1.1 and heights.max() < HEIGHT * TOUCH_HEIGHT[1] * 1.4
    gaps = boxes[1:, 1] - boxes[:-1, 3]
    assert (gaps[same_word] <= 2).mean() > 0.7  # neighbours' boxes meet or overlap


def test_wide_spacing_letters_far_apart_words_farther():
    from ocr_synth.writing import short_word_lines

    assert all(len(w) <= 5 or w.isdigit() for line in short_word_lines(np.random.default_rng(0), 10)
               for w in line.split())
    photo = photo_of("wide_spacing", ["AB CDE FG", "HI 123", "JKL MN"], seed=5)
    boxes, lines, words = photo.boxes, np.array(photo.line_index), np.array(photo.word_index)
    for line in range(3):
        row = boxes[lines == line]
        gaps = (row[1:, 1] - row[:-1, 3]) / HEIGHT
        new_word = np.diff(words[lines == line]) != 0
        assert gaps[~new_word].min() > 0.35 and gaps[~new_word].max() < 1.1
        assert gaps[new_word].min() > 1.5 * gaps[~new_word].max()


def test_punctuation_marks_are_drawn_where_they_belong():
    photo = photo_of("punctuation", ["CALL 555-1234, NOW!", "TO: ANN", "IT'S 3/4 19.99 OK?"], seed=6)
    assert photo.unmarked_text == "CALL 5551234 NOW\nTO ANN\nITS 34 1999 OK"
    chars = photo.chars
    boxes = photo.boxes
    letters = np.array([c in CLASSES for c in chars])
    lines = np.array(photo.line_index)
    for k, char in enumerate(chars):
        if char in CLASSES:
            continue
        row = boxes[letters & (lines == lines[k])]
        top, base = np.median(row[:, 0]), np.median(row[:, 2])
        h, w = boxes[k, 2] - boxes[k, 0], boxes[k, 3] - boxes[k, 1]
        middle = (boxes[k, 0] + boxes[k, 2]) / 2
        if char == ".":
            assert h < 0.3 * HEIGHT and w < 0.3 * HEIGHT and abs(boxes[k, 2] - base) < 0.15 * HEIGHT
        elif char == ",":
            assert h < 0.5 * HEIGHT and boxes[k, 2] > base  # its tail goes below the line
        elif char == ":":
            assert h > 0.3 * HEIGHT and w < 0.3 * HEIGHT and abs(boxes[k, 2] - base) < 0.15 * HEIGHT
        elif char == "-":
            assert w > 2 * h and abs(middle - (top + base) / 2) < 0.2 * HEIGHT
        elif char == "'":
            assert h < 0.5 * HEIGHT and abs(boxes[k, 0] - top) < 0.15 * HEIGHT
        elif char == "/":
            assert h > 0.85 * HEIGHT and w > 0.25 * HEIGHT
        elif char in "?!":  # as tall as the letters, standing on the line (on its dot)
            assert h > 0.85 * HEIGHT and abs(boxes[k, 2] - base) < 0.15 * HEIGHT
            assert (w < 0.35 * h) if char == "!" else (w > 0.35 * h)
    assert set(chars) - set(CLASSES) == set(".,:-'/?!")
    with pytest.raises(ValueError, match="outside"):
        photo_of("punctuation", ["WHAT;"])


def test_punctuated_lines_use_every_mark():
    from ocr_synth.writing import MARKS, PUNCTUATION_LINE, punctuated_lines

    lines = punctuated_lines(np.random.default_rng(0), 60)
    assert set("".join(lines)) - set(CLASSES + " ") == set(MARKS)
    assert all(len(line) <= 2 * PUNCTUATION_LINE for line in lines)


def test_deep_shadow_is_darker_than_half_the_paper():
    from ocr_synth.stress import box_mask

    photo = photo_of("deep_shadow", LINES, seed=2)
    shadow = photo.masks["shadow"]
    paper = ~box_mask(shadow.shape, photo.boxes, 3) & ~photo.masks["table"]
    lit = paper & ~ndimage.binary_dilation(shadow, iterations=4)
    dark = paper & ndimage.binary_erosion(shadow, iterations=4)
    grey = photo.rgb.mean(2)
    assert np.median(grey[dark]) < 0.5 * np.median(grey[lit])


def test_erased_strokes_bridge_letters_but_stay_fainter_than_the_marker():
    photo = photo_of("erased_bridges", LINES, seed=3)
    bridges, labels = photo.masks["bridges"], photo.labels
    touched = set(np.unique(labels[ndimage.binary_dilation(bridges, iterations=2)])) - {0}
    assert len(touched) >= 2  # a stroke joins characters
    grey = photo.rgb.mean(2)
    ink = ndimage.binary_erosion(labels > 0, iterations=1)
    only_bridge = ndimage.binary_erosion(bridges, iterations=1) & ~ndimage.binary_dilation(labels > 0, iterations=4)
    assert np.median(grey[only_bridge]) > np.median(grey[ink]) + 40


def test_faint_ink_in_the_light_is_brighter_than_paper_in_the_dark():
    photo = photo_of("faint_gradient", LINES, seed=4)
    grey = photo.rgb.mean(2)
    ink = photo.labels > 0
    paper = ~ndimage.binary_dilation(ink, iterations=4)
    assert np.percentile(grey[ink], 90) > np.percentile(grey[paper], 2)
    assert np.median(relative_light(photo.rgb)[ink]) < 0.92  # still darker than its own paper


# Scenes: blocks of text.

BLOCKS = ["AB C", "12", "", "XY", "", "Z9 K", "7"]  # three blocks


def test_blocks_split_at_empty_lines_and_join_back():
    from ocr_synth.scenes import join_blocks, split_blocks

    assert split_blocks(BLOCKS) == [["AB C", "12"], ["XY"], ["Z9 K", "7"]]
    assert join_blocks(split_blocks(BLOCKS)) == BLOCKS
    assert split_blocks(["", "AB", "", "", "C", ""]) == [["AB"], ["C"]]
    with pytest.raises(ValueError):
        split_blocks(["", ""])
    with pytest.raises(ValueError):
        split_blocks(["ab"])


@pytest.mark.parametrize("kind", ["diagram", "notes", "form"])
def test_scene_truth_is_exact_and_reproducible(kind):
    from ocr_synth.stress import SCENE_KINDS

    assert kind in SCENE_KINDS
    photo = photo_of(kind, BLOCKS, seed=0)
    assert photo.kind == kind
    check_kind_truth(photo)
    assert len(photo.block_index) == len(photo.boxes) and photo.text == "\n".join(photo.blocks)
    assert np.all(np.diff(photo.block_index) >= 0)
    assert same_photo(photo, photo_of(kind, BLOCKS, seed=0))
    assert not same_photo(photo, photo_of(kind, BLOCKS, seed=1))


def test_diagram_boxes_surround_their_words_and_arrows_join_them():
    photo = photo_of("diagram", BLOCKS, seed=2)
    assert photo.blocks == ["AB C\n12", "XY", "Z9 K\n7"]
    drawing, block_index = photo.masks["drawing"], np.array(photo.block_index)
    reach = HEIGHT  # a box is drawn within a character's height of its words
    for b in range(3):
        y1, x1 = photo.boxes[block_index == b, :2].min(0)
        y2, x2 = photo.boxes[block_index == b, 2:].max(0)
        mid_y, mid_x = (y1 + y2) // 2, (x1 + x2) // 2
        assert drawing[max(0, y1 - reach):y1 + 2, mid_x].any() and drawing[y2 - 2:y2 + reach, mid_x].any()
        assert drawing[mid_y, max(0, x1 - reach):x1 + 2].any() and drawing[mid_y, x2 - 2:x2 + reach].any()
    _, pieces = ndimage.label(ndimage.binary_dilation(drawing, iterations=2))
    assert pieces < 3  # connectors join the boxes
    touching = 0
    for seed in range(8):
        photo = photo_of("diagram", BLOCKS, seed=seed)
        drawing = photo.masks["drawing"]
        touching += any(drawing[y1:y2, x1:x2].any() for y1, x1, y2, x2 in photo.boxes)
    assert touching  # some words touch their box


def test_notes_one_block_per_note_in_reading_order_and_the_frame_cuts_some():
    photo = photo_of("notes", BLOCKS, seed=3)
    notes = photo.masks["notes"]
    _, count = ndimage.label(notes)
    block_index = np.array(photo.block_index)
    tops = [photo.boxes[block_index == b, 0].min() for b in range(len(photo.blocks))]
    lefts = [photo.boxes[block_index == b, 1].min() for b in range(len(photo.blocks))]
    for b in range(len(photo.blocks) - 1):  # the next note is to the right, or on a row below
        assert lefts[b + 1] > lefts[b] or tops[b + 1] > tops[b]
    every = "".join("".join(BLOCKS).split())
    cut, darker = False, False
    for seed in range(12):
        photo = photo_of("notes", BLOCKS, seed=seed)
        chars = photo.chars
        it = iter(every)
        assert all(c in it for c in chars)  # what is seen is what was written, in order
        if photo.masks["cut_ink"].any():
            cut = True
            assert len(chars) < len(every)
        grey = photo.rgb.mean(2)
        wall = ~near(photo.masks["notes"], 6) & ~photo.masks["seam"]
        for piece in ndimage.find_objects(ndimage.label(photo.masks["notes"])[0]):
            darker |= np.median(grey[piece][photo.masks["notes"][piece]]) < np.median(grey[wall])
    assert cut and darker


def test_form_fields_printed_labels_and_combs():
    from ocr_synth.scenes import FORM_LABELS, FORM_TITLES

    photo = photo_of("form", ["ANN LEE", "", "B1234567", "", "12 HIGH ST", "LEEDS"], seed=4)
    assert photo.blocks == ["ANN LEE", "B1234567", "12 HIGH ST\nLEEDS"]
    printed = photo.printed_text.split("\n")
    assert printed[0] in FORM_TITLES
    assert all(line.split(". ", 1)[-1] in FORM_LABELS for line in printed[1:]) and len(printed) >= 4
    assert photo.printed_boxes.shape == (len("".join(photo.printed_text.split())), 4)
    ink = photo.masks["printed"]
    assert all(ink[y1:y2, x1:x2].any() for y1, x1, y2, x2 in photo.printed_boxes)
    touching = 0
    for seed in range(3):
        photo = photo_of("form", ["ANN LEE", "", "B1234567"], seed=seed)
        touching += sum(photo.masks["printed"][y1:y2, x1:x2].any() for y1, x1, y2, x2 in photo.boxes)
    assert touching > 2  # letters touch their comb
    with pytest.raises(ValueError, match="does not fit"):
        photo_of("form", ["A" * 40])


@pytest.mark.parametrize("kind", ["lowercase", "cursive", "no_text"])
def test_unreadable_pages_have_no_characters(kind):
    from ocr_synth.stress import UNREADABLE_KINDS

    assert kind in UNREADABLE_KINDS
    photo = photo_of(kind, LINES, seed=5)
    assert photo.kind == kind and photo.text == "" and photo.boxes.shape == (0, 4) and photo.chars == ""
    mark = photo.masks["clutter" if kind == "no_text" else "writing"]
    assert mark.shape == photo.rgb.shape[:2] and 0.005 < mark.mean() < 0.7
    light = relative_light(photo.rgb)
    assert light[mark].mean() < light[~near(mark, 3)].mean() - 0.1  # the writing or clutter shows
    assert same_photo(photo, photo_of(kind, LINES, seed=5))


def test_lowercase_pages_hold_words_only():
    from ocr_synth.unreadable import lower_words

    assert lower_words("CALL 42 AT B7", np.random.default_rng(0)).split()[0::2] == ["call", "at"]
    assert all(w.isalpha() and w.islower() for w in lower_words("1 22 C3", np.random.default_rng(0)).split())


def test_stress_text_fits_each_kind():
    from ocr_synth.stress import STRESS_KINDS, stress_text
    from ocr_synth.scenes import split_blocks

    rng = np.random.default_rng(0)
    for kind in STRESS_KINDS:
        lines = stress_text(kind, rng)
        assert lines and all(isinstance(line, str) for line in lines)
        if kind in ("diagram", "notes", "form"):
            assert len(split_blocks(lines)) >= 2


def test_a_frame_cutting_one_note_from_both_sides_still_shows_it():
    from ocr_synth.scenes import CUT_DEPTH, frame_cut

    class Cutting:  # every side cuts, as deep as it may
        def random(self):
            return 0.0

        def uniform(self, low, high):
            return high

    side, height, shape = 200, 20, (1000, 1000)
    extent = (300, 300, 300 + side, 300 + side)  # one note: 0.6 of it cut from each side would cross
    assert 2 * CUT_DEPTH[1] > 1
    top, left, bottom, right = frame_cut(extent, side, Cutting(), height, shape)
    assert top < extent[0] < extent[2] < bottom and left < extent[1] < extent[3] < right  # wall left around it
