"""Stress photos of how the text itself is written: a turned page, a number written
along a diagonal, digits that touch, letters spaced wide, punctuation marks.

Each kind's function takes ``(lines, bank, rng, char_height)`` and returns a
:class:`~ocr_synth.stress.StressPhoto` with ``labels`` (and ``quads`` where the text
is turned); :func:`ocr_synth.stress.stress_photo` knows them by name, and the
``*_lines`` functions write the text each is meant for. Lengths are in character
heights unless a share.
"""

import functools
import re

import numpy as np
from scipy import ndimage

from ocr_synth.pages import (
    BASELINE_JITTER,
    INK_LEVEL,
    MARGIN,
    STROKE_SHARE,
    WORD_GAP,
    WORDS,
    Page,
    Placed,
    compose_page,
    crop_to_ink,
    ink_box,
    lay_out_line,
    note_gaps,
    photograph,
    scale_glyph,
)
from ocr_synth.stress import homography, ink_labels, paste, stress_result, warp, warped_boxes

# A turned page.
ROTATION = (-45.0, 45.0)  # degrees counter-clockwise: a page photographed at any slant ...
RIGHT_ANGLE_SHARE = 0.3  # ... or this often a quarter, half or three-quarter turn (a phone held
# sideways, a note upside down) ...
RIGHT_ANGLE_TILT = 2.0  # ... give or take a hand's tilt, degrees
# A number written along a diagonal beside level text.
DIAGONAL = (20.0, 40.0)  # degrees the number climbs (or, half the time, falls) along
DIAGONAL_GAP = (1.0, 2.0)  # from the level text's ink to the number's
DIAGONAL_DIGITS = (4, 9)  # the number's length: a phone number, a code, a sum
# Touching digits.
TOUCH_HEIGHT = (0.85, 1.15)  # digits of one number vary this much: up to ~35% between neighbours
TOUCH_SHARE = 0.75  # of neighbours inside a number touch; the others keep a narrow gap
TOUCH_DEPTH = (0.0, 0.6)  # how far touching strokes run into each other, in stroke widths
NARROW_GAP = (0.03, 0.12)  # the others' closest ink-to-ink approach
LEAN = (-0.08, 0.12)  # shear of a digit: its top moves right by this share of its height
SEVEN_LEAN = (-0.35, -0.15)  # a long 7 leans back, its bar over the digit before it
DIGIT_GROUPS = ((3, 4), (3, 3, 4), (4, 3, 4), (7,), (10,), (2, 2, 2), (4, 4), (5,), (3, 2, 2))  # phone
# numbers, codes and sums as people group them
# Wide letter spacing.
WIDE_SPACING = (0.45, 0.9)  # a line's letter gap: far apart, as on an envelope
SPACING_JITTER = (0.85, 1.15)  # each gap varies around the line's (so up to ~1 height)
WIDE_WORD_GAP = (1.9, 2.6)  # word gaps as a multiple of the line's letter gap: still clearly wider
SHORT_WORD = 5  # letters at most in a word of wide_spacing's text
# Punctuation: drawn marks, sizes in character heights unless in stroke widths.
MARKS = ".,:-'/?!"  # the marks drawn; others are not on the notes these photos stand for
MARK_STROKE = (0.8, 1.2)  # a mark's stroke, as a share of the glyphs' stroke width
DOT_SIZE = (1.1, 1.7)  # a dot's diameter, in stroke widths: the pen pressed once
DOT_LIFT = (0.0, 0.05)  # a full stop sits on the baseline or a little above
COMMA_TAIL = (0.15, 0.3)  # a comma's tail, down and to the left of its dot ...
COMMA_SLANT = (0.3, 0.7)  # ... leaning this share of its length to the left
COLON_SPAN = (0.35, 0.55)  # the colon's upper dot above its lower one
HYPHEN_LENGTH = (0.3, 0.55)  # a hyphen's bar ...
HYPHEN_HEIGHT = (0.38, 0.55)  # ... about mid height above the baseline ...
HYPHEN_SLOPE = 0.1  # ... rising or falling by up to this share of its length
APOSTROPHE_LENGTH = (0.18, 0.3)  # a short tick ...
APOSTROPHE_TOP = (0.92, 1.05)  # ... hanging from about the letters' top
SLASH_HEIGHT = (0.9, 1.15)  # a slash as tall as the letters or a little taller ...
SLASH_WIDTH = (0.35, 0.6)  # ... this wide for its height ...
SLASH_DROP = (0.0, 0.1)  # ... and starting up to this far below the baseline
STOP_HEIGHT = (0.9, 1.05)  # a question or exclamation mark as tall as the letters ...
HOOK_WIDTH = (0.4, 0.6)  # ... a question mark's hook this wide for its height ...
STEM_END = (0.28, 0.4)  # ... the hook's stem or the exclamation's stroke ending this far above the dot
MARK_GAP = (0.05, 0.2)  # ink gap between a word and its . , : and after a decimal point
SUPERSAMPLE = 4  # marks are drawn this many times finer, then averaged: anti-aliased edges
# Where marks go: each pattern's {w} is a word, {dN} N digits; a line holds one or two.
PUNCTUATION_PATTERNS = ("{w} {d3}-{d4},", "{w}: {w}", "{d2}.{d2}", "{w}'S {d1}/{d1}", "{d1}:{d2} {w}",
                        "{w}-{w}", "{d2}/{d2}/{d2}", "{w}, {w}.", "{d3}.{d2}", "{w}'{w}", "{w} {w}!", "{w} {w}?")
PUNCTUATION_LINE = 20  # characters at most in a line of punctuated text


# Turning text.

def turn(image, labels, degrees):
    """``image: (h, w)`` (paper 1) and its ``labels`` turned counter-clockwise by
    ``degrees`` on a canvas that just holds them, paper in the corners.

    Returns
    -------
    image : (H, W) float32.
    cover : (H, W) float64, how much of each pixel the turned image covers (0..1).
    labels : (H, W) int32, the labels turned (nearest pixel).
    to_canvas : (3, 3) projective map from the image's pixel-centre x, y to the canvas's.
    """
    h, w = image.shape
    corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], float) - 0.5
    a = np.radians(degrees)
    turned = corners @ np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    turned -= turned.min(0) + 0.5  # the outermost corners on the canvas's edge
    shape = tuple(int(np.ceil(turned[:, i].max() + 0.5 - 1e-6)) for i in (1, 0))  # not a pixel more for rounding
    out, cover, raw = warp(image, labels, turned, shape)
    return out.astype(np.float32), cover, raw, homography(corners, turned)  # the page's type: a right angle is exact


def box_corners(boxes):
    """(K, 4, 2) x, y of the corners (top-left, top-right, bottom-right, bottom-left)
    of ``boxes: (K, 4)`` ``[y1, x1, y2, x2]``, in pixel-edge coordinates."""
    y1, x1, y2, x2 = np.asarray(boxes, float).reshape(-1, 4).T
    return np.stack([np.stack([x1, y1], 1), np.stack([x2, y1], 1), np.stack([x2, y2], 1), np.stack([x1, y2], 1)], 1)


def map_quads(matrix, quads):
    """``quads: (K, 4, 2)`` pixel-edge x, y mapped by ``matrix`` (3, 3), which works on
    pixel-centre coordinates."""
    points = np.concatenate([quads.reshape(-1, 2) - 0.5, np.ones((quads.size // 2, 1))], 1) @ matrix.T
    return (points[:, :2] / points[:, 2:] + 0.5).reshape(quads.shape)


def turned_page(page, degrees):
    """``page`` turned by ``degrees`` (:func:`turn`): its image, its characters' ink
    labels and tight boxes there, and their boxes' corners as turned (``quads``)."""
    image, _, raw, matrix = turn(page.image, page.labels, degrees)
    boxes = warped_boxes(image, raw, len(page.boxes))
    return image, ink_labels(image, raw), boxes, map_quads(matrix, box_corners(page.boxes))


def rotation_angle(rng):
    """Degrees to turn a page: uniform in :data:`ROTATION`, or with
    :data:`RIGHT_ANGLE_SHARE` a right angle give or take :data:`RIGHT_ANGLE_TILT`."""
    if rng.random() < RIGHT_ANGLE_SHARE:
        return float(rng.choice([90.0, 180.0, 270.0]) + rng.uniform(-RIGHT_ANGLE_TILT, RIGHT_ANGLE_TILT))
    return float(rng.uniform(*ROTATION))


def rotated_photo(lines, bank, rng, char_height):
    """The page turned by any angle (:func:`rotation_angle`) on a canvas of paper,
    photographed. Boxes: each turned character's tight ink box; ``quads``: its upright
    box's corners as turned; ``angle``; ``labels``. No masks."""
    page = compose_page(lines, bank, rng, char_height)
    degrees = rotation_angle(rng)
    image, labels, boxes, quads = turned_page(page, degrees)
    return stress_result(photograph(image, rng), boxes, page, labels=labels, quads=quads, angle=degrees)


def diagonal_photo(lines, bank, rng, char_height):
    """The lines but the last written level; the last (a number, by
    :func:`diagonal_lines`) written along a :data:`DIAGONAL` slant, :data:`DIAGONAL_GAP`
    to the right of them, its middle level with theirs. ``blocks``: the level text and
    the number; ``angle``: the number's slant; ``quads``; ``labels``. No masks."""
    if len(lines) < 2:
        raise ValueError("a diagonal page needs level lines and a last line to slant")
    level = compose_page(lines[:-1], bank, rng, char_height)
    number = compose_page(lines[-1:], bank, rng, char_height)
    degrees = float(rng.uniform(*DIAGONAL) * rng.choice([-1, 1]))
    image, labels, boxes, quads = turned_page(number, degrees)
    flat = np.asarray(level.boxes)
    top = round((flat[:, 0].min() + flat[:, 2].max() - boxes[:, 0].min() - boxes[:, 2].max()) / 2)
    left = round(flat[:, 3].max() + rng.uniform(*DIAGONAL_GAP) * char_height - boxes[:, 1].min())
    shift = max(0, -top)  # a number taller than the level text pushes it down
    margin = round(MARGIN[0] * char_height)
    height = max(level.image.shape[0] + shift, top + shift + image.shape[0] + margin)
    canvas = paste([(level.image, shift, 0), (image.astype(np.float32), top + shift, left)], height,
                   left + image.shape[1] + margin)
    all_labels = np.zeros(canvas.shape, np.int32)
    all_labels[shift:shift + level.image.shape[0], :level.image.shape[1]] = level.labels
    window = all_labels[top + shift:top + shift + image.shape[0], left:left + image.shape[1]]
    window[labels > 0] = labels[labels > 0] + len(level.boxes)
    boxes = np.concatenate([flat + [shift, 0, shift, 0], boxes + [top + shift, left, top + shift, left]])
    quads = np.concatenate([box_corners(flat) + [0, shift], quads + [left, top + shift]])
    page = Page(canvas, boxes, level.line_index + [len(lines) - 1] * len(number.boxes),
                level.word_index + number.word_index, "\n".join(lines))
    blocks = ["\n".join(lines[:-1]), lines[-1]]
    return stress_result(photograph(canvas, rng), boxes, page, labels=all_labels, quads=quads, angle=degrees,
                         blocks=blocks, block_index=[0] * len(level.boxes) + [1] * len(number.boxes))


def random_digits(rng, count):
    """``count`` random digits, the first not 0."""
    return str(rng.integers(1, 10)) + "".join(str(d) for d in rng.integers(0, 10, count - 1))


def diagonal_lines(rng):
    """:func:`~ocr_synth.pages.random_text` note lines, then a number of
    :data:`DIAGONAL_DIGITS` digits to write on the diagonal."""
    from ocr_synth.pages import random_text

    return random_text(rng, rng.integers(2, 5)) + [random_digits(rng, rng.integers(*DIAGONAL_DIGITS))]


# Touching digits.

def lean(patch, share):
    """``patch`` (paper 1) sheared: each row moves right by ``share`` of its height above
    the bottom row (left where negative); the patch widens to hold it."""
    h, w = patch.shape
    extra = int(np.ceil(abs(share) * h))
    shift = max(0.0, -share * (h - 1))
    return ndimage.affine_transform(patch, [[1, 0], [share, 1]], offset=[0, -share * (h - 1) - shift],
                                    output_shape=(h, w + extra), order=1, cval=1.0).astype(np.float32)


def ink_edges(patch):
    """Per row of ``patch``: the first and last ink column (-1 where the row has none)."""
    ink = patch < INK_LEVEL
    has = ink.any(1)
    first = np.where(has, ink.argmax(1), -1)
    last = np.where(has, patch.shape[1] - 1 - ink[:, ::-1].argmax(1), -1)
    return first, last


def touching_line(words, bank, rng, char_height, pen=None):
    """The glyphs of one line (as :func:`~ocr_synth.pages.lay_out_line`) with the
    characters of a word pushed together: with :data:`TOUCH_SHARE` a glyph slides left
    until its ink meets the ink before it on some row and goes :data:`TOUCH_DEPTH`
    further, else it stops :data:`NARROW_GAP` short; heights vary by
    :data:`TOUCH_HEIGHT`, glyphs lean by :data:`LEAN` and 7s back by
    :data:`SEVEN_LEAN`, so a tall 7's bar reaches over the digit before it. Words keep
    :data:`~ocr_synth.pages.WORD_GAP`."""
    placed, x = [], 0.0
    reach = 4 * char_height  # rows above and below the baseline a glyph may use
    right = np.full(2 * reach, -np.inf)  # per row from -reach: the word's rightmost ink so far
    stroke = STROKE_SHARE * char_height
    for w, word in enumerate(words):
        right[:] = -np.inf
        for c, char in enumerate(word):
            height = char_height * rng.uniform(*TOUCH_HEIGHT)
            patch = scale_glyph(crop_to_ink(bank.glyph(char, rng)), height)
            patch = lean(patch, rng.uniform(*(SEVEN_LEAN if char == "7" else LEAN)))
            patch = pen(patch, rng, char_height) if pen else patch
            ink = ink_box(patch)
            top = round(rng.uniform(-BASELINE_JITTER, BASELINE_JITTER) * char_height) - ink[2]
            first, last = ink_edges(patch)
            rows = np.arange(patch.shape[0]) + top + reach
            if c == 0:
                left = round(x + (rng.uniform(*WORD_GAP) * char_height if w else 0)) - ink[1]
            else:
                both = (first >= 0) & np.isfinite(right[rows])
                contact = (right[rows][both] + 1 - first[both]).max() if both.any() else x - ink[1]
                overlap = (-rng.uniform(*TOUCH_DEPTH) * stroke if rng.random() < TOUCH_SHARE
                           else rng.uniform(*NARROW_GAP) * char_height)
                left = int(np.floor(contact)) + round(overlap)
            np.maximum.at(right, rows[last >= 0], left + last[last >= 0])
            placed.append(Placed(patch, top, left, ink, w))
            x = max(x, left + ink[3])
    return placed


def touching_photo(lines, bank, rng, char_height):
    """Numbers (:func:`digit_lines`) whose digits touch and overlap
    (:func:`touching_line`), photographed; neighbours' boxes may overlap. ``labels``
    give each overlapping pixel to the darker glyph. No masks."""
    page = compose_page(lines, bank, rng, char_height, layout=touching_line)
    return stress_result(photograph(page.image, rng), page.boxes, page, labels=page.labels)


def digit_lines(rng, n_lines=None):
    """``n_lines`` (default 2 to 4) lines of a phone number or code, grouped as in
    :data:`DIGIT_GROUPS`."""
    count = rng.integers(2, 5) if n_lines is None else n_lines
    return [" ".join(random_digits(rng, n) for n in DIGIT_GROUPS[rng.integers(len(DIGIT_GROUPS))])
            for _ in range(count)]


# Wide letter spacing.

def wide_line(words, bank, rng, char_height, pen=None):
    """:func:`~ocr_synth.pages.lay_out_line` with a letter gap of
    :data:`WIDE_SPACING` per line (each gap :data:`SPACING_JITTER` around it) and word
    gaps :data:`WIDE_WORD_GAP` times the line's letter gap."""
    spacing = rng.uniform(*WIDE_SPACING)

    def gaps(previous, char, new_word):
        return tuple(spacing * share for share in (WIDE_WORD_GAP if new_word else SPACING_JITTER))

    return lay_out_line(words, bank, rng, char_height, pen, gaps)


def wide_spacing_photo(lines, bank, rng, char_height):
    """Short words (:func:`short_word_lines`) with their letters far apart
    (:func:`wide_line`), photographed; ``text`` has single spaces between words.
    ``labels``. No masks."""
    page = compose_page(lines, bank, rng, char_height, layout=wide_line)
    return stress_result(photograph(page.image, rng), page.boxes, page, labels=page.labels)


def short_word_lines(rng, n_lines=None):
    """``n_lines`` (default 2 to 4) lines of 2 to 4 words of at most :data:`SHORT_WORD`
    letters, a fifth of them numbers."""
    short = [w for w in WORDS if len(w) <= SHORT_WORD]
    count = rng.integers(2, 5) if n_lines is None else n_lines
    return [" ".join(str(rng.integers(1, 1000)) if rng.random() < 0.2 else str(rng.choice(short))
                     for _ in range(rng.integers(2, 5))) for _ in range(count)]


# Punctuation.

def mark_shapes(char, rng, char_height):
    """The strokes of mark ``char``: ``(polylines, dots)`` in pixels, x right and y up
    from the baseline, each polyline a list of points and each dot a centre."""
    h = char_height
    if char == ".":
        return [], [(0.0, 0.0)]
    if char == ",":
        tail = rng.uniform(*COMMA_TAIL) * h
        return [[(0.0, 0.0), (-rng.uniform(*COMMA_SLANT) * tail, -tail)]], [(0.0, 0.0)]
    if char == ":":
        return [], [(0.0, 0.0), (rng.normal(0, 0.03) * h, rng.uniform(*COLON_SPAN) * h)]
    if char == "-":
        length, y = rng.uniform(*HYPHEN_LENGTH) * h, rng.uniform(*HYPHEN_HEIGHT) * h
        slope = rng.uniform(-HYPHEN_SLOPE, HYPHEN_SLOPE) * length
        return [[(0.0, y - slope / 2), (length, y + slope / 2)]], []
    if char == "'":
        top, length = rng.uniform(*APOSTROPHE_TOP) * h, rng.uniform(*APOSTROPHE_LENGTH) * h
        return [[(length * 0.25, top), (0.0, top - length)]], []
    if char == "/":
        height, bottom = rng.uniform(*SLASH_HEIGHT) * h, -rng.uniform(*SLASH_DROP) * h
        return [[(0.0, bottom), (rng.uniform(*SLASH_WIDTH) * height, bottom + height)]], []
    if char in "?!":
        height, stem = rng.uniform(*STOP_HEIGHT) * h, rng.uniform(*STEM_END) * h
        if char == "!":
            return [[(rng.uniform(0.0, 0.1) * height, height), (0.0, stem)]], [(0.0, 0.0)]
        w = rng.uniform(*HOOK_WIDTH) * height
        hook = [(0.0, 0.78), (0.15, 0.95), (0.5, 1.0), (0.9, 0.9), (1.0, 0.72), (0.75, 0.55), (0.5, 0.45)]
        return [[(x * w, y * height) for x, y in hook] + [(0.5 * w, stem)]], [(0.5 * w, 0.0)]
    raise ValueError(f"no drawn mark for {char!r}; marks: {MARKS}")


def draw_mark(char, rng, char_height):
    """Mark ``char`` (one of :data:`MARKS`) drawn by hand as
    :func:`~ocr_synth.pages.lay_out_line` wants it: ``(patch, lift)``, the patch (paper
    1, ink 0, anti-aliased) and how far its ink's bottom lies above the baseline
    (negative for a comma's tail or a slash below it). Strokes are
    :data:`MARK_STROKE` of a glyph's, dots :data:`DOT_SIZE` strokes across."""
    from PIL import Image, ImageDraw

    stroke = STROKE_SHARE * char_height * rng.uniform(*MARK_STROKE)
    polylines, dots = mark_shapes(char, rng, char_height)
    radius = rng.uniform(*DOT_SIZE) * stroke / 2
    points = np.array([p for line in polylines for p in line] + list(dots), float)
    pad = max(radius, stroke) + 2
    x0, y_top = points[:, 0].min() - pad, points[:, 1].max() + pad
    size = (np.ptp(points, 0) + 2 * pad) * SUPERSAMPLE
    canvas = Image.new("L", (int(np.ceil(size[0])), int(np.ceil(size[1]))), 0)
    draw = ImageDraw.Draw(canvas)
    at = lambda p: ((p[0] - x0) * SUPERSAMPLE, (y_top - p[1]) * SUPERSAMPLE)
    for line in polylines:
        draw.line([at(p) for p in line], fill=255, width=max(1, round(stroke * SUPERSAMPLE)), joint="curve")
        for end in (line[0], line[-1]):  # round pen ends
            cx, cy = at(end)
            r = stroke * SUPERSAMPLE / 2
            draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=255)
    for dot in dots:
        cx, cy = at(dot)
        r = radius * SUPERSAMPLE
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=255)
    cover = np.asarray(canvas.resize((canvas.width // SUPERSAMPLE, canvas.height // SUPERSAMPLE), Image.BOX))
    patch = (1.0 - cover / 255.0).astype(np.float32)
    return patch, y_top - ink_box(patch)[2]


def punctuation_gaps(previous, char, new_word):
    """Ink gaps on a punctuated line: :data:`MARK_GAP` before ``. , :`` and after them
    inside a word (``19.99``, ``9:30``), else as on a note (:func:`note_gaps`)."""
    if not new_word and (char in ".,:" or previous in ".,:"):
        return MARK_GAP
    return note_gaps(previous, char, new_word)


punctuated_line = functools.partial(lay_out_line, gaps=punctuation_gaps, draw=draw_mark)


def punctuation_photo(lines, bank, rng, char_height):
    """Lines with hand-drawn marks (:data:`MARKS`: :func:`draw_mark`), such as
    ``CALL 555-1234, NOW`` or ``IT'S 3/4`` (:func:`punctuated_lines`), photographed.
    ``text`` and ``boxes`` include the marks; ``unmarked_text`` is the text without
    them. ``labels``. No masks."""
    page = compose_page(lines, bank, rng, char_height, layout=punctuated_line, marks=MARKS)
    return stress_result(photograph(page.image, rng), page.boxes, page, labels=page.labels)


def punctuated_lines(rng, n_lines=None):
    """``n_lines`` (default 2 to 4) lines of one or two of :data:`PUNCTUATION_PATTERNS`
    filled with words and digits, at most :data:`PUNCTUATION_LINE` characters."""
    fill = {"w": lambda: str(rng.choice(WORDS))}
    fill.update({f"d{n}": functools.partial(random_digits, rng, n) for n in range(1, 5)})

    def line():
        pattern = PUNCTUATION_PATTERNS[rng.integers(len(PUNCTUATION_PATTERNS))]
        return re.sub(r"\{(\w+)\}", lambda m: fill[m.group(1)](), pattern)

    count = rng.integers(2, 5) if n_lines is None else n_lines
    lines = []
    for _ in range(count):
        text = line()
        more = line()
        lines.append(f"{text} {more}" if len(text) + len(more) < PUNCTUATION_LINE else text)
    return lines
