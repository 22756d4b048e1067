"""Scenes whose text comes in blocks: a whiteboard diagram (words in drawn boxes joined
by arrows), a wall of sticky notes, a printed form filled in by hand in comb fields.

Each kind's function takes ``(lines, bank, rng, char_height)``, the blocks separated
by empty strings in ``lines`` (``["TABLE OF", "CONTENTS", "", "LNI"]``: two blocks),
and returns a :class:`~ocr_synth.stress.StressPhoto` whose ``blocks`` are the text of
each box, note or field in reading order (rows top to bottom, left to right within
a row), ``text`` their lines in that order, with ``block_index`` and ``labels``.
The ``*_text`` functions write fitting blocks. Lengths are in character heights
unless a share.
"""

import numpy as np
from scipy import ndimage

from ocr_synth.pages import (
    INK_DARKNESS,
    STROKE_SHARE,
    WORDS,
    Page,
    compose_page,
    crop_to_ink,
    develop,
    ink_box,
    light,
    paint,
    paper_colour,
    parse_lines,
    random_line,
    scale_glyph,
)
from ocr_synth.printed import print_line
from ocr_synth.stress import (
    BOARD_MARGIN,
    DESK_SHARE,
    MARKER_COLOURS,
    MARKER_STROKE,
    WOBBLE_CELLS,
    cut_to_ink,
    desk,
    draw_rectangle,
    hand_curve,
    hand_line,
    hand_path,
    ink_labels,
    marker_pen,
    mix,
    old_writing,
    on_whiteboard,
    sheet_frame,
    stress_result,
    warp,
    warped_boxes,
)
from ocr_synth.writing import random_digits, turn

# Whiteboard diagram.
DIAGRAM_BLOCKS = (3, 7)  # boxes in a diagram
DIAGRAM_ROW = (1, 3)  # boxes side by side in a row
DIAGRAM_LINE_CHARS = 10  # characters at most in a line of a box: a word or two
BOX_PADDING = (0.3, 0.8)  # drawn box to its text's ink, per side
BOX_TOUCH_SHARE = 0.3  # of boxes have one side drawn against the text: words touching their box ...
BOX_TOUCH_PAD = (-0.06, 0.02)  # ... that side's padding, into the ink by a little or just short of it
ROUNDED_SHARE = 0.35  # of boxes have rounded corners ...
CORNER_RADIUS = (0.3, 0.8)  # ... of this radius
BOX_GAP = (2.0, 4.0)  # between the boxes of a row: room for an arrow
ROW_GAP = (1.8, 3.0)  # between rows: room for connectors
ROW_JITTER = 0.4  # a box sits up to this far below its row's top
BAND_CLEARANCE = 0.3  # connectors between rows turn this far from the boxes
DIVIDER_SHARE = 0.4  # of two-line boxes have a line under the first: a title bar
CURVED_SHARE = 0.5  # of connectors within a row are bent, not straight ...
CONNECTOR_BEND = (0.2, 0.6)  # ... this far at their middle
CONNECTOR_START = (0.05, 0.3)  # a connector starts and ends this far from its boxes
ARROW_SHARE = 0.75  # of connectors end in an arrowhead, the rest are plain lines
ARROW_LENGTH = (0.35, 0.6)  # an arrowhead's barbs ...
ARROW_ANGLE = (20.0, 35.0)  # ... this many degrees off the line
EXTRA_LINKS = (0, 2)  # connectors between rows besides those joining consecutive boxes
CONNECTOR_COLOURS = ((0.05, 0.55, 0.55), (0.7, 0.1, 0.1), (0.1, 0.2, 0.6))  # teal, red, blue: a second marker
SECOND_MARKER_SHARE = 0.5  # of diagrams draw their connectors in a second colour
# Sticky-note wall.
NOTE_COUNT = (3, 9)  # notes on the wall
NOTE_LINES = (1, 3)  # lines on a note ...
NOTE_LINE_CHARS = 8  # ... of at most this many characters: a word or two in marker
NOTE_COLOURS = ((0.98, 0.93, 0.40), (0.98, 0.60, 0.75), (1.0, 0.60, 0.25), (0.70, 0.92, 0.40),
                (0.40, 0.78, 0.95))  # yellow, pink, orange, green, blue
NOTE_SHADE = (0.75, 1.0)  # share of its colour's light a note reflects (orange, green, blue ones are darker than a white wall)
NOTE_PAD = (0.5, 1.0)  # note edge to its text, at the least
NOTE_TILT = (-5.0, 5.0)  # degrees: stuck on by hand
NOTE_GAP = (-0.4, 1.6)  # between neighbouring notes (under 0: stuck edge to edge, each over the next a little)
NOTE_COLUMNS = (2, 4)  # notes in a row of the wall
NOTE_JITTER = 0.3  # a note sits up to this far off its place in the grid
WALL_GREY = (0.45, 0.95)  # share of the light the door, wall or board behind reflects
WALL_TINT = 0.06  # its colour strays from grey by up to this much per channel
DOOR_EDGE_SHARE = 0.5  # a door's edge or a panel seam runs down the wall this often ...
DOOR_EDGE_WIDTH = (0.08, 0.3)  # ... this wide ...
DOOR_EDGE_DARKNESS = (0.3, 0.7)  # ... taking this share of the light
NOTE_SHADOW_OFFSET = (0.05, 0.2)  # a note's shadow falls this far down and right ...
NOTE_SHADOW_DARKNESS = (0.15, 0.35)  # ... taking this share of the light ...
NOTE_SHADOW_SOFTNESS = (0.05, 0.2)  # ... blurred this much
CUT_SHARE = 0.4  # each side of the frame cuts through the outer notes this often ...
CUT_DEPTH = (0.15, 0.6)  # ... this far into them, as a share of a note's side
FRAME_MARGIN = (0.3, 1.5)  # otherwise this much wall shows around the notes
# Printed form.
FORM_FIELDS = (2, 5)  # filled fields
FORM_FIELD_CHARS = 16  # characters at most in a field's line
FORM_WIDTH = (22.0, 30.0)  # the form's width
FORM_MARGIN = (1.0, 2.0)  # paper around the printing
FORM_INKS = ((0.1, 0.1, 0.1), (0.1, 0.5, 0.25), (0.15, 0.3, 0.65), (0.6, 0.12, 0.12))  # black, green, blue,
# red print
PEN_INKS = ((0.08, 0.08, 0.1), (0.1, 0.15, 0.5))  # black and blue ballpoint
TITLE_HEIGHT = (0.5, 0.8)  # printed capitals of the title ...
LABEL_HEIGHT = (0.28, 0.42)  # ... and of the labels, as a share of the handwriting's height
CELL_WIDTH = (1.0, 1.3)  # a comb's cell, as a share of the handwriting's height ...
CELL_HEIGHT = (1.1, 1.4)  # ... and its height
HAND_FILL = (0.7, 1.0)  # a letter's height, share of its cell's: large hands touch the comb
HAND_SHIFT = 0.1  # letters wander this share of a cell off its centre
HAND_DROP = (-0.05, 0.12)  # letter bottom above the cell's bottom line, share of the cell (below 0: through it)
COMB_SHARE = 0.5  # of fields are combs (a line with ticks), the rest rows of closed boxes
COMB_TICK = (0.3, 0.6)  # a comb's ticks, share of the cell's height
FORM_LINE = (0.03, 0.06)  # printed lines' width
LABEL_GAP = (0.15, 0.3)  # label to its field
ROW_SPACING = (0.25, 0.5)  # between the comb rows of one field
FIELD_GAP = (0.6, 1.2)  # a field to the next label
RULE_SHARE = 0.35  # a printed rule across the form after a field this often
EMPTY_FIELDS = (0, 2)  # fields left blank
SPARE_CELLS = (0, 6)  # cells left over after the writing
NUMBERED_SHARE = 0.5  # of forms number their labels
FORM_LABELS = ("NAME", "SURNAME", "GIVEN NAMES", "CITY", "COUNTRY", "OCCUPATION", "PASSPORT NO.", "FLIGHT NO.",
               "DATE OF BIRTH (DDMMYY)", "ADDRESS", "POSTCODE", "PHONE", "NATIONALITY", "PORT OF ENTRY")
FORM_TITLES = ("ARRIVAL CARD", "REGISTRATION FORM", "APPLICATION", "MEMBERSHIP FORM", "DELIVERY NOTE")


def split_blocks(lines):
    """``lines`` cut into blocks at empty strings: a list of lists of lines, each line
    checked as :func:`~ocr_synth.pages.parse_lines` does."""
    blocks, current = [], []
    for line in list(lines) + [""]:
        if line:
            current.append(line)
        elif current:
            blocks.append(current)
            current = []
    if not blocks:
        raise ValueError("no text to write")
    for block in blocks:
        parse_lines(block)
    return blocks


def join_blocks(blocks):
    """Blocks (lists of lines) as :func:`split_blocks` reads them."""
    return [line for i, block in enumerate(blocks) for line in ([""] if i else []) + list(block)]


class Collage:
    """Blocks of text pasted onto one page (paper 1), their truth gathered in the
    order pasted (the reading order): ``image``, ``labels``, ``boxes``, ``line_index``
    (lines counted over all blocks), ``word_index``, ``block_index``, ``blocks``."""

    def __init__(self, shape):
        self.image = np.ones(shape, np.float32)
        self.labels = np.zeros(shape, np.int32)
        self.boxes, self.line_index, self.word_index, self.block_index, self.blocks = [], [], [], [], []

    def add(self, page, top, left):
        """Pastes ``page`` (image, labels, boxes) with its top-left at ``top``, ``left``
        as the next block, the darker pixel winning."""
        h, w = page.image.shape
        window = self.image[top:top + h, left:left + w]
        mine = (page.labels > 0) & (page.image <= window)
        self.labels[top:top + h, left:left + w][mine] = page.labels[mine] + len(self.boxes)
        np.minimum(window, page.image, out=window)
        first_line = sum(len(block.split("\n")) for block in self.blocks)
        self.boxes += (np.asarray(page.boxes, np.int64).reshape(-1, 4) + [top, left, top, left]).tolist()
        self.line_index += [first_line + i for i in page.line_index]
        self.word_index += list(page.word_index)
        self.block_index += [len(self.blocks)] * len(page.boxes)
        self.blocks.append(page.text)

    def page(self):
        """The collage as a :class:`~ocr_synth.pages.Page`: its text the blocks' lines."""
        return Page(self.image, self.boxes, self.line_index, self.word_index, "\n".join(self.blocks), self.labels)

    def result(self, rgb, masks):
        """The :class:`~ocr_synth.stress.StressPhoto` of this collage photographed as ``rgb``."""
        return stress_result(rgb, self.boxes, self.page(), masks, labels=self.labels, blocks=list(self.blocks),
                             block_index=list(self.block_index))


def short_blocks(rng, count, lines, max_chars):
    """``count`` blocks of ``lines: (low, high)`` note lines of at most ``max_chars``
    characters, separated by empty strings."""
    return join_blocks([[random_line(rng, max_chars) for _ in range(rng.integers(lines[0], lines[1] + 1))]
                        for _ in range(count)])


# Whiteboard diagram.

def rounded_outline(rect, radius):
    """(N, 2) x, y around the rectangle ``rect: (top, left, bottom, right)`` with
    corners rounded to ``radius``, closed and running a little past its start."""
    top, left, bottom, right = rect
    radius = min(radius, (bottom - top) / 2, (right - left) / 2)
    corners = ((left + radius, top + radius, np.pi), (right - radius, top + radius, 1.5 * np.pi),
               (right - radius, bottom - radius, 0.0), (left + radius, bottom - radius, 0.5 * np.pi))
    arcs = [np.stack([cx + radius * np.cos(a), cy + radius * np.sin(a)], 1)
            for cx, cy, start in corners for a in [np.linspace(start, start + np.pi / 2, 8)]]
    outline = np.concatenate(arcs)
    return np.concatenate([outline, outline[:3]])  # the pen runs on past where it started


def arrowhead(draw, tip, direction, width, rng, char_height, fill=1.0):
    """Two barbs of :data:`ARROW_LENGTH` back from ``tip`` (x, y), :data:`ARROW_ANGLE`
    either side of ``direction`` (the way the line arrives)."""
    direction = np.asarray(direction, float) / max(np.hypot(*direction), 1e-6)
    length = rng.uniform(*ARROW_LENGTH) * char_height
    for sign in (-1, 1):
        a = np.radians(sign * rng.uniform(*ARROW_ANGLE))
        back = -np.array([direction[0] * np.cos(a) - direction[1] * np.sin(a),
                          direction[0] * np.sin(a) + direction[1] * np.cos(a)])
        draw.line([tuple(tip), tuple(np.asarray(tip) + length * back)], fill=fill, width=width, joint="curve")


def row_connector(draw, a, b, width, rng, char_height):
    """A straight or bent line from box ``a`` to box ``b`` on its right (``(top, left,
    bottom, right)``), in the gap between them, at heights both boxes share; an
    arrowhead at one end with :data:`ARROW_SHARE`."""
    low, high = max(a[0], b[0]), min(a[2], b[2])
    y = rng.uniform(low + (high - low) / 4, high - (high - low) / 4, 2)
    start = np.array([a[3] + rng.uniform(*CONNECTOR_START) * char_height, y[0]])
    end = np.array([b[1] - rng.uniform(*CONNECTOR_START) * char_height, y[1]])
    if rng.random() < 0.5:
        start, end = end, start
    bend = rng.uniform(*CONNECTOR_BEND) * char_height * rng.choice([-1, 1]) if rng.random() < CURVED_SHARE else 0.0
    bend = float(np.clip(bend, -(high - low) / 2, (high - low) / 2))  # stays between the boxes' heights
    if bend:
        hand_curve(draw, start, end, bend, width)
    else:
        hand_line(draw, start, end, width, rng, char_height)
    if rng.random() < ARROW_SHARE:
        normal = (end - start)[::-1] * [-1, 1] / max(np.hypot(*(end - start)), 1e-6)
        arrowhead(draw, end, end - ((start + end) / 2 + 2 * bend * normal), width, rng, char_height)


def band_connector(draw, a, b, band, width, rng, char_height):
    """A line from the bottom of box ``a`` to the top of box ``b`` in the next row:
    down to ``band: (top, bottom)``, the free strip between the rows, across it in an
    S-curve, and down into ``b``; an arrowhead at ``b`` with :data:`ARROW_SHARE`."""
    xa = rng.uniform(a[1] + (a[3] - a[1]) / 4, a[3] - (a[3] - a[1]) / 4)
    xb = rng.uniform(b[1] + (b[3] - b[1]) / 4, b[3] - (b[3] - b[1]) / 4)
    ya, yb = a[2] + rng.uniform(*CONNECTOR_START) * char_height, b[0] - rng.uniform(*CONNECTOR_START) * char_height
    t = np.linspace(0, 1, 24)[:, None]
    middle = (band[0] + band[1]) / 2
    controls = np.array([[xa, band[0]], [xa, middle], [xb, middle], [xb, band[1]]])
    curve = ((1 - t) ** 3 * controls[0] + 3 * t * (1 - t) ** 2 * controls[1] + 3 * t ** 2 * (1 - t) * controls[2]
             + t ** 3 * controls[3])
    points = np.concatenate([[[xa, ya]], curve, [[xb, yb]]])
    hand_path(draw, points, width, rng, char_height)
    if rng.random() < ARROW_SHARE:
        arrowhead(draw, points[-1], [0.0, 1.0], width, rng, char_height)


def diagram_layout(sizes, rng, char_height):
    """Rows of drawn boxes around text blocks of ``sizes`` ((h, w) of their ink), in
    reading order: :data:`DIAGRAM_ROW` per row, :data:`BOX_GAP` and :data:`ROW_GAP`
    apart, each box :data:`BOX_PADDING` from its text (one side against it with
    :data:`BOX_TOUCH_SHARE`). Returns the rows (lists of block numbers), each box's
    ``(top, left, bottom, right)`` and its text's top-left, and the canvas size."""
    margins = rng.uniform(*BOARD_MARGIN, size=4) * char_height  # top, left, bottom, right
    rows, start = [], 0
    while start < len(sizes):
        count = rng.integers(DIAGRAM_ROW[0], DIAGRAM_ROW[1] + 1)
        rows.append(list(range(start, min(len(sizes), start + count))))
        start += count
    rects, corners, y = {}, {}, margins[0]
    for row in rows:
        x = margins[1] + rng.uniform(0, 1) * char_height
        for j in row:
            pad = rng.uniform(*BOX_PADDING, size=4) * char_height
            if rng.random() < BOX_TOUCH_SHARE:
                pad[rng.integers(4)] = rng.uniform(*BOX_TOUCH_PAD) * char_height
            top = y + rng.uniform(0, ROW_JITTER) * char_height
            rects[j] = (top, x, top + pad[0] + sizes[j][0] + pad[2], x + pad[1] + sizes[j][1] + pad[3])
            corners[j] = (round(top + pad[0]), round(x + pad[1]))
            x = rects[j][3] + rng.uniform(*BOX_GAP) * char_height
        y = max(rects[j][2] for j in row) + rng.uniform(*ROW_GAP) * char_height
    height = max(r[2] for r in rects.values()) + margins[2]
    width = max(r[3] for r in rects.values()) + margins[3]
    return rows, rects, corners, (int(np.ceil(height)), int(np.ceil(width)))


def diagram_photo(lines, bank, rng, char_height):
    """A whiteboard diagram: each block (:func:`diagram_text`) in marker inside a
    hand-drawn box (:func:`diagram_layout`; square or with :data:`ROUNDED_SHARE`
    rounded corners, a title bar under a first line with :data:`DIVIDER_SHARE`), boxes
    joined by straight and curved connectors with arrowheads (consecutive boxes, and
    :data:`EXTRA_LINKS` more between rows), in the text's marker or a second one; the
    board's old writing, haze and glare (:func:`~ocr_synth.stress.on_whiteboard`).
    ``blocks``: each box's text, rows top to bottom, left to right. Masks:
    ``drawing`` (boxes, dividers, connectors), ``old_writing``, ``haze``, ``glare``."""
    from PIL import Image, ImageDraw

    blocks = split_blocks(lines)
    pages = [cut_to_ink(compose_page(block, bank, rng, char_height, pen=marker_pen)) for block in blocks]
    rows, rects, corners, shape = diagram_layout([p.image.shape for p in pages], rng, char_height)
    collage = Collage(shape)
    for j, page in enumerate(pages):
        collage.add(page, *corners[j])
    width = max(1, round(STROKE_SHARE * char_height * rng.uniform(*MARKER_STROKE)))
    outlines, links = Image.new("F", shape[::-1], 0.0), Image.new("F", shape[::-1], 0.0)
    draw = ImageDraw.Draw(outlines)
    for j, page in enumerate(pages):
        if rng.random() < ROUNDED_SHARE:
            outline = rounded_outline(rects[j], rng.uniform(*CORNER_RADIUS) * char_height)
            hand_path(draw, outline, width, rng, char_height, cells=4 * WOBBLE_CELLS)
        else:
            draw_rectangle(draw, rects[j], width, rng, char_height)
        first = np.asarray(page.boxes)[np.asarray(page.line_index) == 0]
        second = np.asarray(page.boxes)[np.asarray(page.line_index) == 1]
        if len(second) and rng.random() < DIVIDER_SHARE:
            y = corners[j][0] + (first[:, 2].max() + second[:, 0].min()) / 2
            hand_line(draw, (rects[j][1], y), (rects[j][3], y), width, rng, char_height)
    draw = ImageDraw.Draw(links)
    row_of = {j: r for r, row in enumerate(rows) for j in row}
    pairs = [(j, j + 1) for j in range(len(pages) - 1)]
    for _ in range(rng.integers(EXTRA_LINKS[0], EXTRA_LINKS[1] + 1) if len(rows) > 1 else 0):
        r = rng.integers(len(rows) - 1)
        pairs.append((rng.choice(rows[r]), rng.choice(rows[r + 1])))
    for a, b in pairs:
        if row_of[a] == row_of[b]:
            row_connector(draw, rects[a], rects[b], width, rng, char_height)
        else:
            band = (max(rects[j][2] for j in rows[row_of[a]]) + BAND_CLEARANCE * char_height,
                    min(rects[j][0] for j in rows[row_of[b]]) - BAND_CLEARANCE * char_height)
            band_connector(draw, rects[a], rects[b], band, width, rng, char_height)
    outlines = ndimage.gaussian_filter(np.asarray(outlines), 0.5)
    links = ndimage.gaussian_filter(np.asarray(links), 0.5)
    colour = (np.array(CONNECTOR_COLOURS[rng.integers(len(CONNECTOR_COLOURS))])
              if rng.random() < SECOND_MARKER_SHARE else None)
    ghosts = old_writing(shape, collage.boxes, bank, rng, char_height)
    rgb, masks = on_whiteboard(collage.image, ghosts, rng, char_height, [(None, outlines), (colour, links)])
    masks["drawing"] = (outlines > 0.02) | (links > 0.02)
    return collage.result(rgb, masks)


def diagram_text(rng):
    """:data:`DIAGRAM_BLOCKS` blocks of one or two short lines: the words in a
    diagram's boxes."""
    return short_blocks(rng, rng.integers(DIAGRAM_BLOCKS[0], DIAGRAM_BLOCKS[1] + 1), (1, 2), DIAGRAM_LINE_CHARS)


# Sticky-note wall.

def wall(shape, rng, char_height):
    """(H, W, 3) reflectance of the door, wall or board behind the notes:
    :data:`WALL_GREY`, tinted by up to :data:`WALL_TINT`, and with
    :data:`DOOR_EDGE_SHARE` a dark vertical seam (a door's edge)."""
    rgb = np.ones((*shape, 3)) * (rng.uniform(*WALL_GREY) + rng.uniform(-WALL_TINT, WALL_TINT, 3))
    if rng.random() < DOOR_EDGE_SHARE:
        x = rng.integers(shape[1])
        rgb[:, x:x + max(1, round(rng.uniform(*DOOR_EDGE_WIDTH) * char_height))] *= 1 - rng.uniform(*DOOR_EDGE_DARKNESS)
    return np.clip(rgb, 0.0, 1.0)


def note_sheet(page, side, rng, char_height):
    """A square note ``side`` pixels across with ``page`` (cut to its ink) written on it
    at least :data:`NOTE_PAD[0] <NOTE_PAD>` from its edges, turned by :data:`NOTE_TILT`:
    a :class:`~ocr_synth.pages.Page` of the turned note (its boxes and ink labels
    there) and (h, w) how much of each pixel the note covers."""
    pad = NOTE_PAD[0] * char_height
    h, w = page.image.shape
    top, left = (round(rng.uniform(pad, max(pad, side - size - pad))) for size in (h, w))
    image = np.ones((side, side), np.float32)
    labels = np.zeros((side, side), np.int32)
    image[top:top + h, left:left + w] = page.image
    labels[top:top + h, left:left + w] = page.labels
    turned, cover, raw, _ = turn(image, labels, rng.uniform(*NOTE_TILT))
    return (Page(turned, warped_boxes(turned, raw, len(page.boxes)).tolist(), page.line_index, page.word_index,
                 page.text, ink_labels(turned, raw)), cover)


def frame_cut(extent, side, rng, char_height, shape):
    """``(top, left, bottom, right)`` of the photo's frame on a wall whose notes span
    ``extent`` (same order): each side cuts :data:`CUT_DEPTH` of a note's ``side`` into
    the outer notes with :data:`CUT_SHARE`, else leaves :data:`FRAME_MARGIN` of wall."""
    frame = []
    for edge, inward in zip(extent, (1, 1, -1, -1)):
        if rng.random() < CUT_SHARE:
            frame.append(edge + inward * rng.uniform(*CUT_DEPTH) * side)
        else:
            frame.append(edge - inward * rng.uniform(*FRAME_MARGIN) * char_height)
    top, left, bottom, right = (int(round(v)) for v in frame)
    # (one row or column of notes cut from both sides may be cut away: the frame then
    # leaves wall on those sides)
    if bottom <= top:
        top, bottom = (int(round(extent[k] - inward * FRAME_MARGIN[1] * char_height)) for k, inward in ((0, 1), (2, -1)))
    if right <= left:
        left, right = (int(round(extent[k] - inward * FRAME_MARGIN[1] * char_height)) for k, inward in ((1, 1), (3, -1)))
    return max(0, top), max(0, left), min(shape[0], bottom), min(shape[1], right)


def visible_part(collage, frame):
    """The truth of ``collage`` seen through ``frame: (top, left, bottom, right)``:
    only the characters whose box lies wholly inside it, words, lines and blocks left
    empty dropped. Returns a :class:`~ocr_synth.pages.Page` in the frame's
    coordinates (its text the visible blocks' lines), the block index per kept
    character, the visible blocks, and the (H, W) bool ink of the cut characters."""
    top, left, bottom, right = frame
    boxes = np.asarray(collage.boxes, np.int64)
    inside = (boxes[:, 0] >= top) & (boxes[:, 1] >= left) & (boxes[:, 2] <= bottom) & (boxes[:, 3] <= right)
    chars = "".join(collage.page().chars)
    kept = np.flatnonzero(inside)
    renumber = np.zeros(len(boxes) + 1, np.int32)
    renumber[kept + 1] = np.arange(1, len(kept) + 1)
    labels = collage.labels[top:bottom, left:right]
    cut_ink = (labels > 0) & (renumber[labels] == 0)
    blocks, block_index, line_index, word_index = [], [], [], []
    groups = {}  # (block, line) -> [(word, char)] of the kept characters, in order
    for k in kept:
        groups.setdefault((collage.block_index[k], collage.line_index[k]), []).append((collage.word_index[k], chars[k]))
    order = sorted({b for b, _ in groups})
    for b in order:
        lines = []
        for (block, line), members in groups.items():
            if block != b:
                continue
            words, previous = [], None
            for word, char in members:
                if word != previous:
                    words.append("")
                words[-1] += char
                word_index.append(len(words) - 1)
                line_index.append(sum(len(x.split("\n")) for x in blocks) + len(lines))
                block_index.append(len(blocks))
                previous = word
            lines.append(" ".join(words))
        blocks.append("\n".join(lines))
    page = Page(collage.image[top:bottom, left:right], (boxes[kept] - [top, left, top, left]).tolist(), line_index,
                word_index, "\n".join(blocks), renumber[labels])
    return page, block_index, blocks, cut_ink


def notes_photo(lines, bank, rng, char_height):
    """A wall (:func:`wall`) of square sticky notes, one per block (:func:`notes_text`),
    in rows of :data:`NOTE_COLUMNS`, each of a colour of :data:`NOTE_COLOURS` and
    :data:`NOTE_SHADE`, turned by :data:`NOTE_TILT`, casting a soft shadow, its lines
    in dark marker; the frame cuts through the outer notes now and then
    (:func:`frame_cut`): only characters wholly in the photo are in the truth
    (:func:`visible_part`). ``blocks``: one per note with a visible character, rows
    top to bottom, left to right. Masks: ``notes`` (where notes cover the wall),
    ``cut_ink`` (ink of characters the frame cuts), ``seam``."""
    blocks = split_blocks(lines)
    pages = [cut_to_ink(compose_page(block, bank, rng, char_height, pen=marker_pen)) for block in blocks]
    side = round(max(max(p.image.shape) for p in pages) + 2 * rng.uniform(*NOTE_PAD) * char_height)
    notes = [note_sheet(page, side, rng, char_height) for page in pages]
    columns = min(len(notes), rng.integers(NOTE_COLUMNS[0], NOTE_COLUMNS[1] + 1))
    pitch = max(max(n.image.shape) for n, _ in notes) + rng.uniform(*NOTE_GAP) * char_height
    margin = round((FRAME_MARGIN[1] + NOTE_SHADOW_OFFSET[1] + NOTE_JITTER) * char_height) + 1
    rows = -(-len(notes) // columns)
    shape = (int(rows * pitch) + 2 * margin, int(columns * pitch) + 2 * margin)
    places = [(round(margin + (i // columns) * pitch + rng.uniform(-NOTE_JITTER, NOTE_JITTER) * char_height),
               round(margin + (i % columns) * pitch + rng.uniform(-NOTE_JITTER, NOTE_JITTER) * char_height))
              for i in range(len(notes))]
    collage, covered = Collage(shape), np.zeros(shape)
    for (note, cover), (top, left) in zip(notes, places):
        collage.add(note, top, left)
        window = covered[top:top + cover.shape[0], left:left + cover.shape[1]]
        np.maximum(window, cover, out=window)
    rgb = wall(shape, rng, char_height)
    seam = rgb.mean(2) < np.median(rgb.mean(2)) - 0.01
    offset = np.round(rng.uniform(*NOTE_SHADOW_OFFSET, size=2) * char_height).astype(int)
    softness = rng.uniform(*NOTE_SHADOW_SOFTNESS) * char_height
    darkness = rng.uniform(*NOTE_SHADOW_DARKNESS)
    marker = np.array(MARKER_COLOURS[rng.integers(len(MARKER_COLOURS))])
    reach = int(np.ceil(4 * softness)) + int(np.abs(offset).max()) + 1
    for (note, cover), (top, left) in zip(notes, places):
        # Each note shades what lies under it (the wall, a note stuck before it: a thin
        # dark line along its edge where it lies over another), then is painted.
        y0, x0 = max(0, top - reach), max(0, left - reach)
        y1, x1 = min(shape[0], top + cover.shape[0] + reach), min(shape[1], left + cover.shape[1] + reach)
        own = np.zeros((y1 - y0, x1 - x0))
        own[top - y0:top - y0 + cover.shape[0], left - x0:left - x0 + cover.shape[1]] = cover
        shadow = ndimage.gaussian_filter(np.roll(own, tuple(offset), (0, 1)), softness)
        rgb[y0:y1, x0:x1] *= 1 - darkness * shadow[..., None]
        colour = np.array(NOTE_COLOURS[rng.integers(len(NOTE_COLOURS))]) * rng.uniform(*NOTE_SHADE)
        window = rgb[top:top + cover.shape[0], left:left + cover.shape[1]]
        window[:] = mix(mix(window, colour, cover), marker, (1.0 - note.image) * cover)
    ys, xs = np.nonzero(covered > 0.5)
    frame = frame_cut((ys.min(), xs.min(), ys.max() + 1, xs.max() + 1), side, rng, char_height, shape)
    page, block_index, blocks, cut_ink = visible_part(collage, frame)
    crop = (slice(frame[0], frame[2]), slice(frame[1], frame[3]))
    rgb = develop(light(rgb[crop], rng), rng)
    masks = {"notes": covered[crop] > 0.5, "cut_ink": cut_ink, "seam": seam[crop]}
    return stress_result(rgb, page.boxes, page, masks, labels=page.labels, blocks=blocks, block_index=block_index)


def notes_text(rng):
    """:data:`NOTE_COUNT` blocks of :data:`NOTE_LINES` short lines: what is on the notes."""
    return short_blocks(rng, rng.integers(NOTE_COUNT[0], NOTE_COUNT[1] + 1), NOTE_LINES, NOTE_LINE_CHARS)


# Printed form.

def comb(draw, top, left, cells, cell_width, cell_height, width, rng):
    """Draws on ``draw`` (PIL ImageDraw) a row of ``cells`` at ``top``, ``left``: with
    :data:`COMB_SHARE` a comb (a line with ticks of :data:`COMB_TICK`), else closed
    boxes; lines ``width`` pixels wide, straight as printed."""
    bottom, right = top + cell_height, left + cells * cell_width
    tick = cell_height * (rng.uniform(*COMB_TICK) if rng.random() < COMB_SHARE else 1.0)
    draw.line([(left, bottom), (right, bottom)], fill=1.0, width=width)
    if tick == cell_height:
        draw.line([(left, top), (right, top)], fill=1.0, width=width)
    for i in range(cells + 1):
        x = left + i * cell_width
        draw.line([(x, bottom), (x, bottom - tick)], fill=1.0, width=width)


def write_in_cells(image, labels, text, top, left, cell_width, cell_height, bank, rng, first):
    """Writes ``text`` one character a cell (a space leaves a cell blank) in cells from
    ``top``, ``left`` onto ``image`` (paper 1) with ``labels`` from ``first + 1``:
    glyphs :data:`HAND_FILL` of the cell tall, :data:`HAND_SHIFT` off its centre, their
    bottom :data:`HAND_DROP` above its bottom line. Returns their boxes and word
    indices."""
    boxes, words = [], []
    for i, char in enumerate(text):
        if char == " ":
            continue
        patch = scale_glyph(crop_to_ink(bank.glyph(char, rng)), rng.uniform(*HAND_FILL) * cell_height)
        ink = ink_box(patch)
        centre = left + (i + 0.5 + rng.uniform(-HAND_SHIFT, HAND_SHIFT)) * cell_width
        y = round(top + cell_height - rng.uniform(*HAND_DROP) * cell_height) - ink[2]
        x = round(centre - (ink[1] + ink[3]) / 2)
        paint(image, patch, y, x, labels, first + len(boxes) + 1)
        boxes.append([y + ink[0], x + ink[1], y + ink[2], x + ink[3]])
        words.append(text[:i].count(" "))
    return boxes, words


def form_photo(lines, bank, rng, char_height):
    """A printed form (a title and labels in a font of
    :data:`~ocr_synth.printed.FONTS`, rules, comb fields of :data:`CELL_WIDTH` by
    :data:`CELL_HEIGHT`) in one of :data:`FORM_INKS`, one field per block
    (:func:`form_text`; one comb row per line) written in by hand one capital a cell
    (:func:`write_in_cells`), the letters touching the comb; :data:`EMPTY_FIELDS` left
    blank; photographed as a sheet on a desk (perspective, :data:`DESK_SHARE`).
    ``blocks``: the handwriting per field, top to bottom; ``printed_text`` (title and
    labels, one line each) and ``printed_boxes``. Masks: ``printed`` (printed text and
    lines), ``sheet``, ``desk``."""
    from PIL import Image, ImageDraw

    from ocr_synth.printed import FONTS

    blocks = split_blocks(lines)
    cell_width, cell_height = rng.uniform(*CELL_WIDTH) * char_height, rng.uniform(*CELL_HEIGHT) * char_height
    margin = rng.uniform(*FORM_MARGIN) * char_height
    width = rng.uniform(*FORM_WIDTH) * char_height
    most = int((width - 2 * margin) // cell_width)
    long = [line for block in blocks for line in block if len(line) > most]
    if long:
        raise ValueError(f"{long[0]!r} does not fit a row of {most} cells")
    fields = list(blocks)
    for _ in range(rng.integers(EMPTY_FIELDS[0], EMPTY_FIELDS[1] + 1)):
        fields.insert(rng.integers(len(fields) + 1), None)
    if len(fields) > len(FORM_LABELS):
        raise ValueError(f"a form has at most {len(FORM_LABELS)} fields")
    names = rng.choice(FORM_LABELS, len(fields), replace=False)
    family, weight, style = FONTS[rng.integers(len(FONTS))]
    numbered = rng.random() < NUMBERED_SHARE
    line_width = max(1, round(rng.uniform(*FORM_LINE) * char_height))
    printed = [print_line(str(rng.choice(FORM_TITLES)), rng.uniform(*TITLE_HEIGHT) * char_height, family, "bold",
                          style)]
    places, rows, y = [(round(margin), round(margin))], [], margin + printed[0].image.shape[0] + FIELD_GAP[1] * char_height
    for i, (field, name) in enumerate(zip(fields, names)):
        label = print_line(f"{i + 1}. {name}" if numbered else str(name), rng.uniform(*LABEL_HEIGHT) * char_height,
                           family, weight, style)
        printed.append(label)
        places.append((round(y), round(margin)))
        y += label.image.shape[0] + rng.uniform(*LABEL_GAP) * char_height
        for row in (field or [""]):
            rows.append((field is not None, row, y, min(most, len(row) + rng.integers(SPARE_CELLS[0], SPARE_CELLS[1] + 1))))
            y += cell_height + rng.uniform(*ROW_SPACING) * char_height
        y += rng.uniform(*FIELD_GAP) * char_height
        rows.append((None, None, y - rng.uniform(*FIELD_GAP) * char_height / 2, rng.random() < RULE_SHARE))
    shape = (int(np.ceil(y + margin)), int(np.ceil(width)))
    type_setting = Collage(shape)
    for page, (top, left) in zip(printed, places):
        type_setting.add(page, top, left)
    lines_canvas = Image.new("F", shape[::-1], 0.0)
    draw = ImageDraw.Draw(lines_canvas)
    hand = np.ones(shape, np.float32)
    hand_labels = np.zeros(shape, np.int32)
    boxes, line_index, word_index, block_index, texts = [], [], [], [], []
    for filled, row, top, extra in rows:
        if filled is None:  # the end of a field: a rule across the form, sometimes
            if extra:
                draw.line([(margin, top), (width - margin, top)], fill=1.0, width=line_width)
            continue
        comb(draw, top, margin, max(extra, 1), cell_width, cell_height, line_width, rng)
        if filled:
            placed, words = write_in_cells(hand, hand_labels, row, top, margin, cell_width, cell_height, bank, rng,
                                           len(boxes))
            boxes += placed
            word_index += words
            line_index += [len(texts)] * len(placed)
            texts.append(row)
    for b, block in enumerate(blocks):
        block_index += [b] * sum(len(line.replace(" ", "")) for line in block)
    print_ink = np.minimum(type_setting.image, 1.0 - np.asarray(lines_canvas))
    quad, frame = sheet_frame(shape, rng, DESK_SHARE)
    hand, sheet, hand_raw = warp(hand, hand_labels, quad, frame)
    print_ink, _, print_raw = warp(print_ink, type_setting.labels, quad, frame)
    paper = paper_colour(rng)
    surface = mix(np.ones((*frame, 3)) * paper, np.array(FORM_INKS[rng.integers(len(FORM_INKS))]), 1.0 - print_ink)
    surface = mix(surface, np.array(PEN_INKS[rng.integers(len(PEN_INKS))]), (1.0 - hand) * rng.uniform(*INK_DARKNESS))
    around = desk(frame, rng, paper, char_height)
    rgb = develop(light(surface * sheet[..., None] + around * (1 - sheet[..., None]), rng), rng)
    text = "\n".join(texts)
    page = Page(hand, boxes, line_index, word_index, text)
    masks = {"printed": print_ink < 0.5, "sheet": sheet >= 0.5, "desk": sheet < 0.5}
    return stress_result(rgb, warped_boxes(hand, hand_raw, len(boxes)), page, masks,
                         labels=ink_labels(hand, hand_raw), blocks=["\n".join(block) for block in blocks],
                         block_index=block_index, printed_text="\n".join(p.text for p in printed),
                         printed_boxes=warped_boxes(print_ink, print_raw, len(type_setting.boxes)))


def form_text(rng):
    """:data:`FORM_FIELDS` fields of what forms ask: a name (two words), a code (a
    letter and seven digits), a date (six digits), a phone number, or an address on two
    rows; each row at most :data:`FORM_FIELD_CHARS` characters."""
    def name():
        return [" ".join(str(rng.choice([w for w in WORDS if len(w) <= 7])) for _ in range(2))]

    makers = (name, lambda: [str(rng.choice(list("ABCDEFGHJKLMNPRSTUVWXYZ"))) + random_digits(rng, 7)],
              lambda: [random_digits(rng, 6)], lambda: [random_digits(rng, 10)],
              lambda: [random_line(rng, FORM_FIELD_CHARS), random_line(rng, FORM_FIELD_CHARS)])
    return join_blocks([makers[rng.integers(len(makers))]() for _ in range(rng.integers(FORM_FIELDS[0],
                                                                                         FORM_FIELDS[1] + 1))])
