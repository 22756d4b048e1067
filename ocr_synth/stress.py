"""Stress photos: a composed page in the scenes that trouble segmentation.

Whiteboards (haze, glare, faint old writing, erased strokes bridging letters), a sheet
on a dark desk or in a cluttered room, hard and deep shadows and table edges, thin and
faint pens (also under steep light), mixed character sizes with boxes and underlines.
:func:`stress_photo` makes one of a kind (:data:`STRESS_KINDS`, some defined in
:mod:`ocr_synth.writing`, :mod:`ocr_synth.scenes` and :mod:`ocr_synth.unreadable`)
with its true boxes, and :func:`stress_text` the text each kind is meant for; each
kind's function takes ``(lines, bank, rng, char_height)`` and returns a
:class:`StressPhoto`. Lengths are in character heights unless a share.
"""

from dataclasses import dataclass

import numpy as np
from scipy import ndimage


from ocr_cli.layout import CLASSES
from ocr_synth.pages import (
    FAINT_INK,
    GlyphBank,
    INDENT,
    INK_LEVEL,
    LINE_PITCH,
    MARGIN,
    MIN_CHAR_HEIGHT,
    Page,
    STROKE_SHARE,
    WORD_GAP,
    compose_page,
    crop_to_ink,
    develop,
    fine_dry_pen,
    ink_reflectance,
    light,
    SHADOW_DEPTH,
    paper_colour,
    parse_lines,
    photograph,
    scale_glyph,
)

# Stress photos (:func:`stress_photo`); lengths in character heights unless a share.
STRESS_CHAR_HEIGHT = (50, 90)  # pixels: the sizes bench_pens composes, phone photos of notes
# Whiteboard.
MARKER_STROKE = (1.4, 2.0)  # a marker's stroke, as a multiple of the glyph's own stroke width
MARKER_COLOURS = ((0.08, 0.08, 0.10), (0.08, 0.12, 0.35), (0.08, 0.22, 0.12))  # black, blue, green
BOARD_GREY = (0.86, 0.97)  # a glossy white board is brighter than paper
BOARD_COOL = (0.0, 0.04)  # blue above red by up to this much: white boards look cool
BOARD_MARGIN = (1.0, 4.0)  # board around the text, per side: room for the old writing
GHOST_COUNT = (3, 8)  # old characters and strokes left by an eraser
GHOST_HEIGHT = (0.6, 1.3)  # their size: someone else's writing, bigger or smaller
GHOST_STRENGTH = (0.08, 0.2)  # share of the marker's darkness that the eraser left
GHOST_CLEARANCE = 0.3  # old writing stays this far from the true characters' boxes
GHOST_TRIES = 40  # places tried per old mark before giving it up
HAZE_SWIPES = (2, 5)  # eraser swipes smeared over the board
HAZE_DARKNESS = (0.05, 0.15)  # share of the light a smear takes: a grey veil, not ink
HAZE_LENGTH = (4.0, 12.0)  # a swipe's length ...
HAZE_WIDTH = (1.0, 2.5)  # ... and width (an eraser is one to two letters wide)
HAZE_STREAK = 0.15  # the eraser's felt leaves streaks about this far apart
HAZE_SOFTNESS = 0.4  # blur of a smear's edge
GLARE_STRENGTH = (0.3, 0.6)  # at its centre the glare mixes this share of white in ...
GLARE_RADIUS = (1.5, 4.0)  # ... falling off (Gaussian sigma) over a few letters
GLARE_PEAK = 1.1  # the glare is brighter than the board: the sensor clips it to white
# A sheet on a desk or in a room.
DESK_SHARE = (0.05, 0.15)  # desk on each side, share of the frame: 10-30% of each axis
CLUTTER_SHARE = (0.12, 0.3)  # room around the sheet per side when the scene is cluttered
SHEET_TILT = (-6.0, 6.0)  # degrees: a sheet lies roughly square to the camera ...
SHEET_SKEW = 0.04  # ... and each corner moves up to this share of its size (perspective)
DESK_DARKNESS = (0.75, 0.9)  # share of the paper's light a dark desk absorbs
DESK_TEXTURE = 0.15  # wood grain: brightness varies by up to this share
DESK_GRAIN = (0.3, 6.0)  # the grain's smoothing across and along it
DESK_WARMTH = (0.0, 0.3)  # brown wood down to grey laminate
ROOM_GREY = (0.3, 0.6)  # share of the paper's light the floor or table under the clutter reflects
CLUTTER_OBJECTS = (8, 16)  # cups, phones, pens, cables, books, fabric
CLUTTER_SIZE = (0.5, 8.0)  # a pen cap to a book
CLUTTER_DARK = (0.05, 0.3)  # dark objects, share of the paper's light ...
CLUTTER_MID = (0.3, 0.65)  # ... and mid-grey ones
CLUTTER_LINE = (0.1, 0.6)  # thickness of a cable or pen
# A cast shadow and a table edge.
SHADOW_DARKNESS = (0.35, 0.6)  # a hand or phone above the page takes this share of the light
SHADOW_WIDTH = (0.25, 0.5)  # across the side it enters from, share of that side
SHADOW_REACH = (0.3, 0.7)  # its tip ends this far across a character's box, so its edge crosses it
SHADOW_SOFTNESS = (0.02, 0.06)  # Gaussian sigma of its edge: close to the page, nearly hard
TABLE_CHANCE = 0.5  # half the shadowed pages also show the table past one edge
TABLE_BAND = (0.03, 0.1)  # the table's band, share of the frame across it
TABLE_SLANT = 0.02  # the band's edge is tilted by up to this share of its length
# Mixed sizes.
HEADING_SCALE = (1.6, 2.0)  # a heading's letters, as a multiple of the body's
HEADING_GAP = (0.6, 1.0)  # heading ink to body ink: room for an underline
SMALL_SCALE = (0.5, 0.7)  # the boxed word's letters
BOX_PAD = (0.25, 0.45)  # drawn box to the boxed word's ink (body heights)
BOX_OVERSHOOT = 0.15  # hand-drawn sides run past the corners by up to this much
WOBBLE = 0.03  # a hand-drawn line strays this far from straight
WOBBLE_CELLS = 4  # ... changing direction about this many times along its length
UNDERLINE_GAP = (0.1, 0.2)  # underline below the word's lowest ink
UNDERLINE_OVERHANG = (0.0, 0.2)  # the underline runs past the word's ends by up to this much
MARK_CLEARANCE = 0.1  # drawn marks keep this far from any character's box
# Harder versions of the kinds above.
DEEP_SHADOW = (0.55, 0.75)  # a phone held close under a bright lamp: shadowed paper under half the lit paper
BRIDGE_COUNT = (2, 5)  # strokes of erased writing that cross the text ...
BRIDGE_REACH = (1, 3)  # ... each from one character to the next but up to this many later ones
BRIDGE_STRENGTH = (0.2, 0.4)  # share of the marker's darkness they kept: darker than the old writing
BRIDGE_BEND = 0.3  # the stroke's middle strays up to this far from the straight line
FAINT_GRADIENT_DEPTH = (0.45, 0.6)  # light falling this much puts the darkest paper below the faint ink
# where the light is best (FAINT_INK absorbs 0.18-0.35)


@dataclass
class StressPhoto:
    """A photo made by :func:`stress_photo`, with its truth.

    ``rgb``: (H, W, 3) uint8. ``boxes``: (K, 4) int64, one ``[y1, x1, y2, x2]`` per
    character in reading order, in the photo's pixels (top-left inclusive,
    bottom-right exclusive): the tight box of the character's ink (before the camera's
    blur); on a turned sheet, neighbours' boxes may overlap a little.
    ``line_index``, ``word_index`` and ``text`` as in :class:`Page` (``text`` is what
    ``ocr read`` should print; punctuation marks are characters with boxes too).
    ``masks``: name -> (H, W) bool, where the things that are not characters lie (old
    writing, haze, glare, sheet, desk, clutter, shadow, table, box, underline...); each
    kind's function says which it sets.

    Set by some kinds (None or empty elsewhere): ``labels`` (H, W) int32, ``k + 1`` on
    the ink of character ``k`` in the photo's pixels; ``quads`` (K, 4, 2) float, the x, y
    corners (top-left, top-right, bottom-right, bottom-left of the upright character)
    of each character's box as turned, in the same pixel-edge coordinates as ``boxes``;
    ``angle``: degrees the text was turned counter-clockwise; ``blocks``: the text of
    each block (a box, a note, a form field) in reading order, ``text`` being their
    lines in that order, and ``block_index`` per character; ``printed_text`` and
    ``printed_boxes`` (one per non-space character): printed labels that are not part
    of ``text``. ``kind``: the kind asked of :func:`stress_photo`.
    """

    rgb: np.ndarray
    boxes: np.ndarray
    line_index: list
    word_index: list
    text: str
    masks: dict
    labels: np.ndarray = None
    quads: np.ndarray = None
    angle: float = None
    blocks: list = None
    block_index: list = None
    printed_text: str = ""
    printed_boxes: np.ndarray = None
    kind: str = ""

    @property
    def chars(self):
        """The characters of ``boxes``, in the same order."""
        return "".join(self.text.split())

    @property
    def unmarked_text(self):
        """``text`` without the characters outside A-Z0-9 (punctuation), words and
        lines left empty dropped: the truth for the 36 classes alone."""
        return without_marks(self.text)


def without_marks(text):
    """``text`` with every character outside the 36 classes removed, then empty words
    and lines dropped: ``CALL 555-1234, NOW`` -> ``CALL 5551234 NOW``."""
    lines = (" ".join(w for w in ("".join(c for c in word if c in CLASSES) for word in line.split()) if w)
             for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def stress_result(rgb, boxes, page, masks=None, **truth):
    """A :class:`StressPhoto` of ``rgb`` with ``boxes`` and the indices and text of
    ``page``; ``truth``: the optional fields (``labels``, ``quads``, ``blocks``...)."""
    return StressPhoto(rgb, np.asarray(boxes, np.int64).reshape(-1, 4), list(page.line_index),
                       list(page.word_index), page.text, masks or {}, **truth)


def disk(radius):
    """(2r+1, 2r+1) bool footprint of a disk of ``radius`` pixels, r its ceiling."""
    r = int(np.ceil(radius))
    return np.add.outer(np.arange(-r, r + 1) ** 2, np.arange(-r, r + 1) ** 2) <= radius ** 2


def box_mask(shape, boxes, grow=0):
    """(H, W) bool: inside any of ``boxes: (K, 4)`` grown by ``grow`` pixels per side."""
    mask = np.zeros(shape, bool)
    for y1, x1, y2, x2 in np.asarray(boxes, np.int64).reshape(-1, 4):
        mask[max(0, y1 - grow):y2 + grow, max(0, x1 - grow):x2 + grow] = True
    return mask


def pad_image(image, boxes, top, left, bottom, right):
    """``image: (H, W)`` with paper (1) added on each side, and ``boxes`` moved with it."""
    padded = np.pad(image, ((top, bottom), (left, right)), constant_values=1.0)
    return padded, np.asarray(boxes, np.int64).reshape(-1, 4) + [top, left, top, left]


def moved_labels(labels, shape, offset):
    """(H, W) = ``shape`` int32: ``labels`` moved by ``offset`` (top, left), 0 elsewhere:
    a page's labels after :func:`pad_image`."""
    moved = np.zeros(shape, np.int32)
    moved[offset[0]:offset[0] + labels.shape[0], offset[1]:offset[1] + labels.shape[1]] = labels
    return moved


def mix(base, colour, share):
    """``base: (H, W, 3)`` turned towards ``colour: (3,)`` by ``share: (H, W)`` (0..1):
    how an opaque ink of that colour covers it."""
    return base * (1.0 - share[..., None]) + np.asarray(colour) * share[..., None]


def streaks(shape, rng, across, along, vertical=False):
    """(H, W) smooth noise in -1..1 that varies every ``across`` pixels one way and
    every ``along`` pixels the other (along rows, or columns if ``vertical``): grain."""
    from PIL import Image

    h, w = shape[::-1] if vertical else shape
    coarse = rng.random((int(h / max(across, 1)) + 2, int(w / max(along, 1)) + 2)).astype(np.float32)
    field = np.asarray(Image.fromarray(coarse).resize((w, h), Image.BICUBIC))
    field = 2 * (field - field.min()) / max(np.ptp(field), 1e-6) - 1
    return field.T if vertical else field


def plain_photo(lines, bank, rng, char_height):
    """The reference: :func:`photograph` of :func:`compose_page`, no tilt. No masks."""
    page = compose_page(lines, bank, rng, char_height)
    return stress_result(photograph(page.image, rng), page.boxes, page)


def thin_faint_photo(lines, bank, rng, char_height, depth=SHADOW_DEPTH):
    """A fine pen that skips (:func:`fine_dry_pen`) in faint ink (:data:`FAINT_INK`),
    under uneven light of ``depth`` (:func:`lighting`). No masks."""
    page = compose_page(lines, bank, rng, char_height, pen=fine_dry_pen)
    return stress_result(photograph(page.image, rng, ink=FAINT_INK, depth=depth), page.boxes, page,
                         labels=page.labels)


def faint_gradient_photo(lines, bank, rng, char_height):
    """:func:`thin_faint_photo` under light that falls by :data:`FAINT_GRADIENT_DEPTH`
    across the page: the faint ink where the light is best is brighter than the paper
    where it is worst, so only local contrast finds it. No masks; ``labels``."""
    return thin_faint_photo(lines, bank, rng, char_height, FAINT_GRADIENT_DEPTH)


# Whiteboard.

def marker_pen(patch, rng, char_height):
    """A felt marker: the strokes of ``patch`` (paper 1) widened to
    :data:`MARKER_STROKE` times their width (a grey erosion of the paper by a disk);
    the patch grows by the added width on each side."""
    radius = STROKE_SHARE * char_height * (rng.uniform(*MARKER_STROKE) - 1) / 2
    return ndimage.grey_erosion(np.pad(patch, int(np.ceil(radius)), constant_values=1.0), footprint=disk(radius))


def board_colour(rng):
    """(3,) RGB of a white board in 0..1: bright, slightly cool."""
    cool = rng.uniform(*BOARD_COOL)
    return rng.uniform(*BOARD_GREY) + np.array([-cool / 2, 0.0, cool / 2])


def stroke_patch(size, rng, char_height):
    """(h, w) ink coverage 0..1 of a marker stroke in a ``size`` square: a bent line of
    two or three segments, as left of an arrow, a tick or a crossed-out word."""
    from PIL import Image, ImageDraw

    width = max(1, round(STROKE_SHARE * char_height * rng.uniform(*MARKER_STROKE)))
    side = int(size) + 2 * width
    canvas = Image.new("F", (side, side), 0.0)
    points = [tuple(p) for p in rng.uniform(width, side - width, (rng.integers(2, 4), 2))]
    ImageDraw.Draw(canvas).line(points, fill=1.0, width=width, joint="curve")
    return ndimage.gaussian_filter(np.asarray(canvas), 0.5)


def old_writing(shape, boxes, bank, rng, char_height):
    """(H, W) ink coverage 0..1 of what the eraser left: :data:`GHOST_COUNT` marks,
    mostly glyphs of random classes in marker (drawn with :meth:`GlyphBank.glyph`, so a
    :class:`RecordingBank` does not record them) and some strokes, each placed at
    random where it keeps :data:`GHOST_CLEARANCE` from every box of ``boxes: (K, 4)``;
    a mark that finds no room in :data:`GHOST_TRIES` tries is left out."""
    cover = np.zeros(shape, np.float32)
    keep_out = box_mask(shape, boxes, round(GHOST_CLEARANCE * char_height))
    for _ in range(rng.integers(GHOST_COUNT[0], GHOST_COUNT[1] + 1)):
        size = rng.uniform(*GHOST_HEIGHT) * char_height
        if rng.random() < 0.7:
            glyph = GlyphBank.glyph(bank, str(rng.choice(list(CLASSES))), rng)
            ink = 1.0 - marker_pen(scale_glyph(crop_to_ink(glyph), size), rng, char_height)
        else:
            ink = stroke_patch(size, rng, char_height)
        h, w = ink.shape
        if h >= shape[0] or w >= shape[1]:
            continue
        for _ in range(GHOST_TRIES):
            top, left = rng.integers(0, shape[0] - h), rng.integers(0, shape[1] - w)
            if not keep_out[top:top + h, left:left + w][ink > 0.02].any():
                window = cover[top:top + h, left:left + w]
                np.maximum(window, ink, out=window)
                break
    return cover


def erasure_haze(shape, rng, char_height):
    """(H, W) share of the light taken by eraser smears: :data:`HAZE_SWIPES` long
    ellipses (:data:`HAZE_LENGTH` by :data:`HAZE_WIDTH`) anywhere on the board, streaked
    along their length, each :data:`HAZE_DARKNESS` dark, edges blurred."""
    yy, xx = np.mgrid[:shape[0], :shape[1]].astype(np.float32)
    haze = np.zeros(shape, np.float32)
    spacing = HAZE_STREAK * char_height
    for _ in range(rng.integers(HAZE_SWIPES[0], HAZE_SWIPES[1] + 1)):
        cy, cx, angle = rng.uniform(0, shape[0]), rng.uniform(0, shape[1]), rng.uniform(0, np.pi)
        half_length = rng.uniform(*HAZE_LENGTH) * char_height / 2
        half_width = rng.uniform(*HAZE_WIDTH) * char_height / 2
        u = (xx - cx) * np.cos(angle) + (yy - cy) * np.sin(angle)
        v = (yy - cy) * np.cos(angle) - (xx - cx) * np.sin(angle)
        inside = (u / half_length) ** 2 + (v / half_width) ** 2 <= 1
        grid = np.arange(-half_width - spacing, half_width + 2 * spacing, spacing)
        streak = np.interp(v, grid, rng.uniform(0.4, 1.0, len(grid)))
        np.maximum(haze, inside * streak * rng.uniform(*HAZE_DARKNESS), out=haze)
    return ndimage.gaussian_filter(haze, HAZE_SOFTNESS * char_height)


def glare(shape, rng, char_height):
    """(H, W) share of white a reflected lamp mixes in: a Gaussian spot of
    :data:`GLARE_RADIUS`, :data:`GLARE_STRENGTH` at its centre, anywhere on the board."""
    sigma = rng.uniform(*GLARE_RADIUS) * char_height
    y = (np.arange(shape[0]) - rng.uniform(0, shape[0])) ** 2
    x = (np.arange(shape[1]) - rng.uniform(0, shape[1])) ** 2
    return rng.uniform(*GLARE_STRENGTH) * np.exp(-np.add.outer(y, x) / (2 * sigma ** 2))


def whiteboard_photo(lines, bank, rng, char_height, bridges=False):
    """A white board written in dark marker (:func:`marker_pen`, a colour of
    :data:`MARKER_COLOURS`), :data:`BOARD_MARGIN` of board around the text, with
    :func:`old_writing` at :data:`GHOST_STRENGTH` of the marker, :func:`erasure_haze`
    over it all and a :func:`glare` spot; with ``bridges``, also
    :func:`bridging_strokes` at :data:`BRIDGE_STRENGTH`. Masks: ``old_writing``
    (never within :data:`GHOST_CLEARANCE` of a true box), ``haze``, ``glare``, and
    ``bridges`` (through the text) when asked for; ``labels``."""
    page = compose_page(lines, bank, rng, char_height, pen=marker_pen)
    pads = np.round(rng.uniform(*BOARD_MARGIN, size=4) * char_height).astype(int)
    image, boxes = pad_image(page.image, page.boxes, *pads)
    ghosts = old_writing(image.shape, boxes, bank, rng, char_height)
    layers = []
    if bridges:
        crossing = bridging_strokes(image.shape, boxes, page.line_index, rng, char_height)
        layers.append((None, rng.uniform(*BRIDGE_STRENGTH) * crossing))
    rgb, masks = on_whiteboard(image, ghosts, rng, char_height, layers)
    if bridges:
        masks["bridges"] = crossing > 0.02
    return stress_result(rgb, boxes, page, masks, labels=moved_labels(page.labels, image.shape, pads[:2]))


def on_whiteboard(image, ghosts, rng, char_height, layers=()):
    """The photo of ``image`` (paper 1, ink 0) written in marker (a colour of
    :data:`MARKER_COLOURS`) on a white board, with the ``ghosts`` (ink coverage 0..1,
    :func:`old_writing`) left at :data:`GHOST_STRENGTH`, ``layers`` of ``(colour,
    coverage)`` drawn under the text (colour None: the text's marker),
    :func:`erasure_haze` over it all and a :func:`glare` spot. Returns the (H, W, 3)
    uint8 photo and the masks ``old_writing``, ``haze``, ``glare``."""
    haze = erasure_haze(image.shape, rng, char_height)
    marker = np.array(MARKER_COLOURS[rng.integers(len(MARKER_COLOURS))])
    board = board_colour(rng) * (1.0 - haze)[..., None]
    board = mix(board, marker, rng.uniform(*GHOST_STRENGTH) * ghosts)
    for colour, cover in layers:
        board = mix(board, marker if colour is None else colour, cover)
    rgb = light(mix(board, marker, 1.0 - image), rng)
    spot = glare(image.shape, rng, char_height)
    rgb = develop(rgb * (1.0 - spot[..., None]) + GLARE_PEAK * spot[..., None], rng)
    return rgb, {"old_writing": ghosts > 0.02, "haze": haze > 0.01, "glare": spot > 0.05}


def bridging_strokes(shape, boxes, line_index, rng, char_height):
    """(H, W) ink coverage 0..1 of :data:`BRIDGE_COUNT` strokes of erased writing
    through the text: each runs in marker from inside a random character's box to
    inside the box of one of the :data:`BRIDGE_REACH` next characters of its line,
    bending by up to :data:`BRIDGE_BEND`, so it crosses the gaps between letters."""
    from PIL import Image, ImageDraw

    boxes, lines = np.asarray(boxes, float).reshape(-1, 4), np.asarray(line_index)
    canvas = Image.new("F", shape[::-1], 0.0)
    draw = ImageDraw.Draw(canvas)
    width = max(1, round(STROKE_SHARE * char_height * rng.uniform(*MARKER_STROKE)))
    starts = np.flatnonzero(lines[:-1] == lines[1:])  # characters with a neighbour after them
    for _ in range(rng.integers(BRIDGE_COUNT[0], BRIDGE_COUNT[1] + 1) if len(starts) else 0):
        first = rng.choice(starts)
        last = min(first + rng.integers(BRIDGE_REACH[0], BRIDGE_REACH[1] + 1), np.flatnonzero(lines == lines[first])[-1])
        ends = [(rng.uniform(b[1], b[3]), rng.uniform(b[0], b[2])) for b in (boxes[first], boxes[last])]
        hand_curve(draw, ends[0], ends[1], rng.uniform(-BRIDGE_BEND, BRIDGE_BEND) * char_height, width)
    return ndimage.gaussian_filter(np.asarray(canvas), 0.5)


def hand_curve(draw, start, end, bend, width, fill=1.0):
    """Draws on ``draw`` (PIL ImageDraw) a smooth stroke from ``start`` to ``end`` (x, y)
    whose middle lies ``bend`` pixels off the straight line (a quadratic curve)."""
    start, end = np.asarray(start, float), np.asarray(end, float)
    normal = (end - start)[::-1] * [-1, 1] / max(np.hypot(*(end - start)), 1e-6)
    control = (start + end) / 2 + 2 * bend * normal
    t = np.linspace(0, 1, max(2, int(np.hypot(*(end - start)) / 3)))[:, None]
    points = (1 - t) ** 2 * start + 2 * t * (1 - t) * control + t ** 2 * end
    draw.line([tuple(p) for p in points], fill=fill, width=width, joint="curve")


def erased_bridges_photo(lines, bank, rng, char_height):
    """:func:`whiteboard_photo` with strokes of erased writing crossing between the
    letters (:func:`bridging_strokes`), fainter than the marker but joining its
    characters. Masks: those of ``whiteboard`` and ``bridges``; ``labels``."""
    return whiteboard_photo(lines, bank, rng, char_height, bridges=True)


# A sheet in a larger scene.

def homography(source, target):
    """(3, 3) projective map taking the points ``source: (4, 2)`` (x, y) to ``target``."""
    rows, rhs = [], []
    for (x, y), (u, v) in zip(source, target):
        rows += [[x, y, 1, 0, 0, 0, -u * x, -u * y], [0, 0, 0, x, y, 1, -v * x, -v * y]]
        rhs += [u, v]
    return np.append(np.linalg.solve(np.array(rows, float), np.array(rhs, float)), 1.0).reshape(3, 3)


def sheet_corners(shape, rng):
    """(4, 2) x, y of the corners (top-left, top-right, bottom-right, bottom-left) of a
    page of ``shape: (h, w)`` as photographed: turned by :data:`SHEET_TILT`, each corner
    moved by up to :data:`SHEET_SKEW` of the page's size; the smallest x and y are 0."""
    h, w = shape
    angle = np.radians(rng.uniform(*SHEET_TILT))
    centred = np.array([[-w, -h], [w, -h], [w, h], [-w, h]], float) / 2
    turned = centred @ np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    turned += rng.uniform(-SHEET_SKEW, SHEET_SKEW, (4, 2)) * [w, h]
    return turned - turned.min(0)


def character_labels(page):
    """(H, W) int32: ``k + 1`` on the ink of ``page``'s character ``k``, else 0
    (``page.labels`` where the page recorded them)."""
    if page.labels is not None:
        return page.labels
    labels = np.zeros(page.image.shape, np.int32)
    for k, (y1, x1, y2, x2) in enumerate(page.boxes):
        window = labels[y1:y2, x1:x2]
        window[page.image[y1:y2, x1:x2] < INK_LEVEL] = k + 1
    return labels


def ink_labels(image, labels):
    """(H, W) int32: each ink pixel of a warped ``image`` (below :data:`INK_LEVEL`)
    labelled with the character whose warped ``labels`` lie next to it, else 0."""
    return np.where(image < INK_LEVEL, ndimage.grey_dilation(labels, size=3), 0)


def warped_boxes(image, labels, count):
    """(count, 4) tight boxes of the ink (``image`` below :data:`INK_LEVEL`) next to each
    character's warped ``labels`` (see :func:`character_labels`); a character whose
    ink fell above the level keeps the box of its labels."""
    found = ndimage.find_objects(ink_labels(image, labels), max_label=count)
    backup = ndimage.find_objects(labels, max_label=count)
    return np.array([[s[0].start, s[1].start, s[0].stop, s[1].stop]
                     for s in (f if f is not None else b for f, b in zip(found, backup))], np.int64).reshape(-1, 4)


def warp(image, labels, quad, shape):
    """``image: (h, w)`` (paper 1) and its character ``labels`` mapped so that the
    image's corners land on ``quad: (4, 2)`` (x, y of top-left, top-right,
    bottom-right, bottom-left, pixel centres at integers) in a frame of ``shape``.

    Returns
    -------
    image : (H, W) float64, paper (1) outside the mapped image.
    cover : (H, W) float64, how much of each pixel the mapped image covers (0..1).
    labels : (H, W) int32, the labels mapped (nearest pixel).
    """
    h, w = image.shape
    corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], float) - 0.5  # pixel centres at integers
    back = homography(quad, corners)
    yy, xx = np.mgrid[:shape[0], :shape[1]]
    source = back @ np.stack([xx.ravel(), yy.ravel(), np.ones(xx.size)])
    sx, sy = (source[:2] / source[2]).reshape(2, *xx.shape)
    out = ndimage.map_coordinates(np.asarray(image, np.float64), [sy, sx], order=1, cval=1.0)
    cover = np.clip(np.minimum.reduce([sx + 0.5, w - 0.5 - sx, sy + 0.5, h - 0.5 - sy]) + 0.5, 0.0, 1.0)
    return out, cover, ndimage.map_coordinates(labels, [sy, sx], order=0, cval=0)


def place_sheet(page, rng, share):
    """``page`` as a sheet inside a larger frame: warped to :func:`sheet_corners`, with
    ``share: (low, high)`` of the frame around it on each side.

    Returns
    -------
    image : (H, W) float64, the warped page (paper 1 there and outside the sheet).
    sheet : (H, W) float64, how much of each pixel the sheet covers (0..1).
    boxes : (K, 4) int64, the characters' ink boxes in the frame.
    """
    image, sheet, labels = place_sheet_labelled(page, rng, share)
    return image, sheet, warped_boxes(image, labels, len(page.boxes))


def place_sheet_labelled(page, rng, share):
    """:func:`place_sheet`'s image and sheet, and the page's labels as warped."""
    quad, shape = sheet_frame(page.image.shape, rng, share)
    return warp(page.image, character_labels(page), quad, shape)


def sheet_frame(shape, rng, share):
    """Where a page of ``shape`` lies in a photo of it: the corners of the sheet
    (:func:`sheet_corners`) and the frame's shape, ``share: (low, high)`` of the frame
    around the sheet on each side."""
    quad = sheet_corners(shape, rng)
    left, top, right, bottom = rng.uniform(*share, size=4)
    frame_w, frame_h = quad[:, 0].max() / (1 - left - right), quad[:, 1].max() / (1 - top - bottom)
    return quad + [left * frame_w, top * frame_h], (int(np.ceil(frame_h)), int(np.ceil(frame_w)))


def desk(shape, rng, paper, char_height):
    """(H, W, 3) reflectance of a dark desk: :data:`DESK_DARKNESS` darker than
    ``paper: (3,)``, wood grain (:func:`streaks`, :data:`DESK_GRAIN`) of
    :data:`DESK_TEXTURE` along a random axis, brown to grey (:data:`DESK_WARMTH`)."""
    grain = streaks(shape, rng, DESK_GRAIN[0] * char_height, DESK_GRAIN[1] * char_height, rng.random() < 0.5)
    level = paper.mean() * (1 - rng.uniform(*DESK_DARKNESS)) * (1 + DESK_TEXTURE * grain)
    warmth = rng.uniform(*DESK_WARMTH)
    return level[..., None] * np.array([1 + warmth, 1.0, 1 - warmth])


def dark_surround_photo(lines, bank, rng, char_height):
    """The sheet, turned and skewed (:func:`place_sheet`), on a dark :func:`desk` that
    fills :data:`DESK_SHARE` of the frame on each side. Masks: ``sheet``, ``desk``."""
    page = compose_page(lines, bank, rng, char_height)
    image, sheet, boxes = place_sheet(page, rng, DESK_SHARE)
    paper = paper_colour(rng)
    on_sheet = ink_reflectance(image, rng)[..., None] * paper
    around = desk(image.shape, rng, paper, char_height)
    rgb = develop(light(on_sheet * sheet[..., None] + around * (1 - sheet[..., None]), rng), rng)
    return stress_result(rgb, boxes, page, {"sheet": sheet >= 0.5, "desk": sheet < 0.5})


def clutter_object(shape, rng, char_height, avoid):
    """(H, W) bool of one object in a room, centred where ``avoid: (H, W)`` bool is
    False if ten tries find such a place: a turned rectangle (a phone, a book), an
    ellipse (a cup), a bent thick line (a cable, a pen) or a blob to be textured
    (fabric), :data:`CLUTTER_SIZE` across."""
    from PIL import Image, ImageDraw

    for _ in range(10):
        cy, cx = rng.uniform(0, shape[0]), rng.uniform(0, shape[1])
        if not avoid[int(cy), int(cx)]:
            break
    a, b = rng.uniform(*CLUTTER_SIZE, size=2) * char_height / 2
    angle = rng.uniform(0, np.pi)
    canvas = Image.new("L", shape[::-1], 0)
    draw = ImageDraw.Draw(canvas)
    kind = rng.integers(3)
    if kind == 2:
        points = np.cumsum(np.vstack([[cx, cy], rng.normal(0, a, (rng.integers(1, 4), 2))]), axis=0)
        width = max(1, round(rng.uniform(*CLUTTER_LINE) * char_height))
        draw.line([tuple(p) for p in points], fill=1, width=width)
    else:
        t = np.linspace(0, 2 * np.pi, 33)[:-1]
        local = (np.array([[-a, -b], [a, -b], [a, b], [-a, b]]) if kind == 0
                 else np.column_stack([a * np.cos(t), b * np.sin(t)]))
        turn = np.array([[np.cos(angle), np.sin(angle)], [-np.sin(angle), np.cos(angle)]])
        draw.polygon([tuple(p) for p in local @ turn + [cx, cy]], fill=1)
    return np.asarray(canvas, bool)


def room(shape, rng, paper, char_height, sheet):
    """(H, W, 3) reflectance of a cluttered room around ``sheet: (H, W)`` bool: a floor
    or table of :data:`ROOM_GREY` with grain, and :data:`CLUTTER_OBJECTS` objects
    (:func:`clutter_object`), half dark (:data:`CLUTTER_DARK`) and half mid-grey
    (:data:`CLUTTER_MID`), tinted, some with a noisy texture; and (H, W) bool where
    the objects are."""
    grain = streaks(shape, rng, DESK_GRAIN[0] * char_height, DESK_GRAIN[1] * char_height, rng.random() < 0.5)
    rgb = (paper.mean() * rng.uniform(*ROOM_GREY) * (1 + DESK_TEXTURE * grain))[..., None] * np.ones(3)
    objects = np.zeros(shape, bool)
    for _ in range(rng.integers(CLUTTER_OBJECTS[0], CLUTTER_OBJECTS[1] + 1)):
        mask = clutter_object(shape, rng, char_height, sheet)
        level = paper.mean() * rng.uniform(*(CLUTTER_DARK if rng.random() < 0.5 else CLUTTER_MID))
        colour = np.clip(level * (1 + rng.uniform(-0.3, 0.3, 3)), 0.0, 1.0)
        if rng.random() < 0.3:
            texture = 1 + 0.5 * np.clip(ndimage.gaussian_filter(rng.normal(0, 1, mask.sum()), 1.0) * 2, -1, 1)
            rgb[mask] = colour * texture[:, None]
        else:
            rgb[mask] = colour
        objects |= mask
    return rgb, objects


def cluttered_photo(lines, bank, rng, char_height):
    """The sheet (:func:`place_sheet`, :data:`CLUTTER_SHARE` of the frame around it per
    side) in a cluttered :func:`room`: objects of many sizes, dark and mid-grey, some
    touching the frame, some under the sheet's edge. Masks: ``sheet``, ``surround``,
    ``clutter`` (the objects' visible parts)."""
    page = compose_page(lines, bank, rng, char_height)
    image, sheet, boxes = place_sheet(page, rng, CLUTTER_SHARE)
    paper = paper_colour(rng)
    on_sheet = ink_reflectance(image, rng)[..., None] * paper
    around, objects = room(image.shape, rng, paper, char_height, sheet >= 0.5)
    rgb = develop(light(on_sheet * sheet[..., None] + around * (1 - sheet[..., None]), rng), rng)
    masks = {"sheet": sheet >= 0.5, "surround": sheet < 0.5, "clutter": objects & (sheet < 0.5)}
    return stress_result(rgb, boxes, page, masks)


# Shadows and a table edge.

def side_coordinates(shape, side):
    """(H, W) distance of each pixel from side ``side`` of the frame (0 top, 1 right,
    2 bottom, 3 left) and (H, W) position along that side, both in pixels."""
    yy, xx = np.mgrid[:shape[0], :shape[1]]
    depth = (yy, shape[1] - 1 - xx, shape[0] - 1 - yy, xx)[side]
    return depth, (xx if side % 2 == 0 else yy)


def table_edge(image, boxes, rng):
    """``image: (H, W)`` with a band of :data:`TABLE_BAND` of the frame added along a
    random side, its inner edge tilted by up to :data:`TABLE_SLANT`; returns the
    padded image, the moved ``boxes`` and the band, (H', W') bool."""
    side = rng.integers(4)
    across, length = image.shape if side % 2 == 0 else image.shape[::-1]
    share = rng.uniform(*TABLE_BAND)
    depth_start = share * across / (1 - share)
    depth_end = max(1.0, depth_start + rng.uniform(-TABLE_SLANT, TABLE_SLANT) * length)
    pad = int(np.ceil(max(depth_start, depth_end)))
    image, boxes = pad_image(image, boxes, *[pad if s == side else 0 for s in (0, 3, 2, 1)])
    depth, along = side_coordinates(image.shape, side)
    return image, boxes, depth < depth_start + (depth_end - depth_start) * along / max(along.max(), 1)


def cast_shadow(shape, boxes, rng, char_height, darkness=SHADOW_DARKNESS):
    """(H, W) share of the light taken by a hand or phone above the page: a blob that
    enters from a random side of the frame, :data:`SHADOW_WIDTH` of it wide, with a
    rounded tip that ends :data:`SHADOW_REACH` across the box of a random character
    of ``boxes: (K, 4)``, so that its edge crosses the text; ``darkness`` deep
    (default :data:`SHADOW_DARKNESS`), the edge blurred by :data:`SHADOW_SOFTNESS`."""
    from PIL import Image, ImageDraw

    boxes = np.asarray(boxes).reshape(-1, 4)
    side = rng.integers(4)
    depth, along = side_coordinates(shape, side)
    y1, x1, y2, x2 = boxes[rng.integers(len(boxes))]
    target = (depth[y1:y2, x1:x2], along[y1:y2, x1:x2])
    near, far = target[0].min(), target[0].max()
    centre = target[1].mean()
    width = rng.uniform(*SHADOW_WIDTH) * (along.max() + 1)
    tip = near + rng.uniform(*SHADOW_REACH) * (far - near)
    shoulder = tip * rng.uniform(0.4, 0.8)
    angles = np.linspace(np.pi, 0, 7)
    outline = ([(centre - width / 2, -2.0)]
               + [(centre + width / 2 * np.cos(t) + rng.normal(0, 0.05 * width),
                   shoulder + (tip - shoulder) * np.sin(t)) for t in angles]
               + [(centre + width / 2, -2.0)])
    height, breadth = shape
    to_xy = (lambda a, d: (a, d), lambda a, d: (breadth - 1 - d, a),
             lambda a, d: (a, height - 1 - d), lambda a, d: (d, a))[side]
    canvas = Image.new("F", (breadth, height), 0.0)
    ImageDraw.Draw(canvas).polygon([to_xy(a, d) for a, d in outline], fill=1.0)
    soft = ndimage.gaussian_filter(np.asarray(canvas), rng.uniform(*SHADOW_SOFTNESS) * char_height)
    return rng.uniform(*darkness) * soft


def shadow_photo(lines, bank, rng, char_height, darkness=SHADOW_DARKNESS):
    """A page under a hard-edged :func:`cast_shadow` of ``darkness`` that crosses the
    text, and with :data:`TABLE_CHANCE` a dark table (:func:`desk`) past one side of the
    frame (:func:`table_edge`). Masks: ``shadow`` (where it takes at least half its
    depth), ``table`` (all False when there is none); ``labels``."""
    page = compose_page(lines, bank, rng, char_height)
    image, boxes = page.image, np.asarray(page.boxes, np.int64)
    table = np.zeros(image.shape, bool)
    if rng.random() < TABLE_CHANCE:
        image, boxes, table = table_edge(image, boxes, rng)
    shade = cast_shadow(image.shape, boxes, rng, char_height, darkness)
    paper = paper_colour(rng)
    rgb = ink_reflectance(image, rng)[..., None] * paper
    if table.any():
        rgb[table] = desk(image.shape, rng, paper, char_height)[table]
    rgb = develop(light(rgb, rng) * (1 - shade[..., None]), rng)
    labels = moved_labels(page.labels, image.shape, boxes[0, :2] - page.boxes[0][:2])
    return stress_result(rgb, boxes, page, {"shadow": shade >= shade.max() / 2, "table": table}, labels=labels)


def deep_shadow_photo(lines, bank, rng, char_height):
    """:func:`shadow_photo` with a shadow of :data:`DEEP_SHADOW`: the paper in it is
    darker than half the lit paper, and than the ink in the light. Masks as
    ``shadow``."""
    return shadow_photo(lines, bank, rng, char_height, DEEP_SHADOW)


# Mixed sizes.

def ink_block(page, margin=3):
    """The part of ``page.image`` that holds its ink, ``margin`` pixels wider each way
    (the anti-aliased edge), and its boxes in the cut's coordinates."""
    cut = cut_to_ink(page, margin)
    return cut.image, np.asarray(cut.boxes, np.int64)


def cut_to_ink(page, margin=3):
    """``page`` cut to the part that holds its ink, ``margin`` pixels wider each way
    (the anti-aliased edge): a :class:`Page` with its boxes and labels moved."""
    boxes = np.asarray(page.boxes, np.int64)
    y1, x1 = np.maximum(boxes[:, :2].min(0) - margin, 0)
    y2, x2 = boxes[:, 2:].max(0) + margin
    labels = None if page.labels is None else page.labels[y1:y2, x1:x2]
    return Page(page.image[y1:y2, x1:x2], (boxes - [y1, x1, y1, x1]).tolist(), page.line_index, page.word_index,
                page.text, labels)


def hand_line(draw, start, end, width, rng, char_height):
    """Draws on ``draw`` (PIL ImageDraw) a line from ``start`` to ``end`` (x, y) that
    strays up to :data:`WOBBLE` from straight, as a hand draws it."""
    hand_path(draw, [start, end], width, rng, char_height)


def hand_path(draw, points, width, rng, char_height, cells=WOBBLE_CELLS, fill=1.0):
    """Draws on ``draw`` (PIL ImageDraw) the polyline through ``points`` (x, y) as a
    hand draws it: straying up to :data:`WOBBLE` across its way, changing direction
    ``cells`` times along its length."""
    points = np.asarray(points, float)
    steps = np.hypot(*np.diff(points, axis=0).T)
    along = np.concatenate([[0.0], np.cumsum(steps)])
    t = np.linspace(0, 1, max(2, int(along[-1] / 4)))
    base = np.stack([np.interp(t * along[-1], along, points[:, i]) for i in (0, 1)], 1)
    if len(points) == 2:  # one direction: the normal of the whole line
        tangent = np.broadcast_to(points[1] - points[0], base.shape)
    else:
        tangent = np.gradient(base, axis=0)
    normal = tangent[:, ::-1] * [-1, 1] / np.maximum(np.hypot(*tangent.T), 1e-6)[:, None]
    knots = rng.uniform(-1, 1, cells + 1) * WOBBLE * char_height
    offset = np.interp(t, np.linspace(0, 1, cells + 1), knots)
    wobbly = base + offset[:, None] * normal
    draw.line([tuple(p) for p in wobbly], fill=fill, width=width, joint="curve")


def drawn_box(shape, ink, rng, char_height):
    """(H, W) bool: a hand-drawn rectangle :data:`BOX_PAD` around the ink box ``ink:
    [y1, x1, y2, x2]``, sides of a stroke's width that run up to
    :data:`BOX_OVERSHOOT` past the corners and wobble (:func:`hand_line`)."""
    from PIL import Image, ImageDraw

    pad = rng.uniform(*BOX_PAD, size=4) * char_height
    canvas = Image.new("F", shape[::-1], 0.0)
    draw_rectangle(ImageDraw.Draw(canvas), (ink[0] - pad[0], ink[1] - pad[1], ink[2] + pad[2], ink[3] + pad[3]),
                   max(1, round(STROKE_SHARE * char_height)), rng, char_height)
    return np.asarray(canvas) > 0


def draw_rectangle(draw, rect, width, rng, char_height):
    """Draws on ``draw`` (PIL ImageDraw) the rectangle ``rect: (top, left, bottom,
    right)`` as a hand does: four wobbly sides (:func:`hand_line`) ``width`` pixels wide
    that run up to :data:`BOX_OVERSHOOT` past the corners."""
    top, left, bottom, right = rect
    over = lambda: rng.uniform(0, BOX_OVERSHOOT) * char_height
    sides = (((left - over(), top), (right + over(), top)), ((right, top - over()), (right, bottom + over())),
             ((right + over(), bottom), (left - over(), bottom)), ((left, bottom + over()), (left, top - over())))
    for start, end in sides:
        hand_line(draw, start, end, width, rng, char_height)


def underline(shape, boxes, rng, char_height):
    """(H, W) bool: a hand-drawn line :data:`UNDERLINE_GAP` below the lowest ink of the
    word whose ``boxes: (n, 4)`` are given, running :data:`UNDERLINE_OVERHANG` past its
    ends."""
    from PIL import Image, ImageDraw

    y = boxes[:, 2].max() + rng.uniform(*UNDERLINE_GAP) * char_height
    start = boxes[:, 1].min() - rng.uniform(*UNDERLINE_OVERHANG) * char_height
    end = boxes[:, 3].max() + rng.uniform(*UNDERLINE_OVERHANG) * char_height
    canvas = Image.new("F", shape[::-1], 0.0)
    width = max(1, round(STROKE_SHARE * char_height))
    hand_line(ImageDraw.Draw(canvas), (start, y), (end, y), width, rng, char_height)
    return np.asarray(canvas) > 0


def underline_some_word(shape, boxes, line_index, word_index, skip, rng, char_height):
    """(H, W) bool: an :func:`underline` below a random word (``(line, word)``, not
    ``skip``) under which it keeps :data:`MARK_CLEARANCE` from the next line's boxes;
    all False if no word has the room."""
    lines, words = np.asarray(line_index), np.asarray(word_index)
    reach = (UNDERLINE_GAP[1] + STROKE_SHARE + WOBBLE + MARK_CLEARANCE) * char_height
    fits = []
    for line, word in sorted(set(zip(lines.tolist(), words.tolist())) - {skip}):
        below = boxes[lines == line + 1, 0]
        if not len(below) or below.min() - boxes[(lines == line) & (words == word), 2].max() > reach:
            fits.append((line, word))
    if not fits:
        return np.zeros(shape, bool)
    line, word = fits[rng.integers(len(fits))]
    return underline(shape, boxes[(lines == line) & (words == word)], rng, char_height)


def paste(blocks, height, width):
    """(height, width) float32 page (paper 1) with each ``(image, top, left)`` of
    ``blocks`` drawn on it, the darker pixel winning where they meet."""
    page = np.ones((height, width), np.float32)
    for block, top, left in blocks:
        window = page[top:top + block.shape[0], left:left + block.shape[1]]
        np.minimum(window, block, out=window)
    return page


def mixed_sizes_photo(lines, bank, rng, char_height):
    """The first line a heading :data:`HEADING_SCALE` times the body's height,
    :data:`HEADING_GAP` above the other lines; the last word of the last line written
    :data:`SMALL_SCALE` small inside a :func:`drawn_box`, at the end of that line (its
    bottom on the line's baseline), where the transcript keeps it: ``text`` is
    ``lines`` unchanged (a last line of one word is the boxed word alone); one word of
    another line, or of the heading, underlined where there is room. Needs two lines.
    Masks: ``box``, ``underline``."""
    if len(lines) < 2:
        raise ValueError("mixed sizes need a heading and at least one more line")
    parse_lines(lines)
    last = lines[-1].split(" ")
    body_lines = lines[1:-1] + ([" ".join(last[:-1])] if len(last) > 1 else [])
    heading = compose_page(lines[:1], bank, rng, round(char_height * rng.uniform(*HEADING_SCALE)))
    body = compose_page(body_lines, bank, rng, char_height) if body_lines else None
    small_height = max(MIN_CHAR_HEIGHT, round(char_height * rng.uniform(*SMALL_SCALE)))
    small = compose_page([last[-1]], bank, rng, small_height)
    margins = np.round(rng.uniform(*MARGIN, size=4) * char_height).astype(int)  # top, left, bottom, right
    pad = round(BOX_PAD[1] * char_height) + 1  # room for the drawn box
    blocks, boxes, line_index, word_index = [], [], [], []

    def place(page, top, left, first_line):
        """Puts ``page``'s ink with its top-left at ``top``, ``left``; its boxes there."""
        image, cut_boxes = ink_block(page)
        dy, dx = top - cut_boxes[:, 0].min(), left - cut_boxes[:, 1].min()
        blocks.append((image, dy, dx))
        moved = cut_boxes + [dy, dx, dy, dx]
        boxes.extend(moved.tolist())
        line_index.extend(first_line + i for i in page.line_index)
        return moved

    placed = place(heading, margins[0], margins[1], 0)
    below = placed[:, 2].max() + round(rng.uniform(*HEADING_GAP) * char_height)
    word_index.extend(heading.word_index)
    if body is not None:
        placed = place(body, below, margins[1] + round(rng.uniform(0, INDENT) * char_height), 1)
        word_index.extend(body.word_index)
    if len(last) > 1:  # at the end of the last body line, on its baseline
        end = placed[np.asarray(body.line_index) == len(body_lines) - 1]
        baseline = int(np.median(end[:, 2]))
        left = end[:, 3].max() + pad + round(rng.uniform(*WORD_GAP) * char_height)
        top = baseline - (np.asarray(small.boxes)[:, 2].max() - np.asarray(small.boxes)[:, 0].min())
    else:  # its own line, a line pitch below
        previous = np.asarray(boxes)[:, 2].max()
        top = previous + round((rng.uniform(*LINE_PITCH) - 1) * char_height) + pad
        left = margins[1] + pad + round(rng.uniform(0, INDENT) * char_height)
    place(small, top, left, len(lines) - 1)
    word_index.extend(len(last) - 1 for _ in last[-1])
    boxes = np.asarray(boxes, np.int64)
    image = paste(blocks, max(b.shape[0] + t for b, t, _ in blocks) + pad + margins[2],
                  max(b.shape[1] + l for b, _, l in blocks) + pad + margins[3])
    small_boxes = boxes[-len(last[-1]):]
    box = drawn_box(image.shape, [*small_boxes[:, :2].min(0), *small_boxes[:, 2:].max(0)], rng, char_height)
    rule = underline_some_word(image.shape, boxes, line_index, word_index, (len(lines) - 1, len(last) - 1),
                               rng, char_height)
    image[box | rule] = 0.0
    text = "\n".join(lines)
    page = Page(image, boxes.tolist(), line_index, word_index, text)
    return stress_result(photograph(image, rng), boxes, page, {"box": box, "underline": rule})


STRESS_PHOTOS = {
    "plain": plain_photo,
    "whiteboard": whiteboard_photo,
    "dark_surround": dark_surround_photo,
    "cluttered": cluttered_photo,
    "shadow": shadow_photo,
    "thin_faint": thin_faint_photo,
    "mixed_sizes": mixed_sizes_photo,
    # Kinds built on this module live in others, named "module:function" and imported
    # when first asked for (importing them here would be circular).
    "rotated": "ocr_synth.writing:rotated_photo",
    "diagonal": "ocr_synth.writing:diagonal_photo",
    "touching": "ocr_synth.writing:touching_photo",
    "wide_spacing": "ocr_synth.writing:wide_spacing_photo",
    "punctuation": "ocr_synth.writing:punctuation_photo",
    "diagram": "ocr_synth.scenes:diagram_photo",
    "notes": "ocr_synth.scenes:notes_photo",
    "form": "ocr_synth.scenes:form_photo",
    "deep_shadow": deep_shadow_photo,
    "erased_bridges": erased_bridges_photo,
    "faint_gradient": faint_gradient_photo,
    "lowercase": "ocr_synth.unreadable:lowercase_photo",
    "cursive": "ocr_synth.unreadable:cursive_photo",
    "no_text": "ocr_synth.unreadable:no_text_photo",
}
STRESS_KINDS = tuple(STRESS_PHOTOS)
SCENE_KINDS = ("diagonal", "diagram", "notes", "form")  # text in blocks, whose order is a judgement
UNREADABLE_KINDS = ("lowercase", "cursive", "no_text")  # pages with no character to read: a warning's cases
# The text each kind is meant for, where it is not :func:`random_text`'s note lines;
# scene kinds take blocks separated by empty lines.
STRESS_TEXT = {
    "diagonal": "ocr_synth.writing:diagonal_lines",
    "touching": "ocr_synth.writing:digit_lines",
    "wide_spacing": "ocr_synth.writing:short_word_lines",
    "punctuation": "ocr_synth.writing:punctuated_lines",
    "diagram": "ocr_synth.scenes:diagram_text",
    "notes": "ocr_synth.scenes:notes_text",
    "form": "ocr_synth.scenes:form_text",
}


def resolve(entry):
    """A function, or the function that ``"module:name"`` names (imported now)."""
    if not isinstance(entry, str):
        return entry
    import importlib

    module, name = entry.split(":")
    return getattr(importlib.import_module(module), name)


def stress_text(kind, rng):
    """Lines to write for a photo of ``kind``: the kind's own text (phone numbers for
    ``touching``, marks for ``punctuation``, blocks for scenes...) or
    :func:`random_text`."""
    from ocr_synth.pages import random_text

    return resolve(STRESS_TEXT.get(kind, random_text))(rng)


def stress_photo(kind, lines, bank, rng, char_height=None):
    """A photo of ``lines`` written with glyphs of ``bank`` in a scene of kind ``kind``
    (one of :data:`STRESS_KINDS`), with the true boxes in its pixels.

    Parameters
    ----------
    kind : one of :data:`STRESS_KINDS` (see the ``*_photo`` function of each).
    lines : strings of A-Z, 0-9 and single spaces, one per written line
        (:func:`stress_text` makes fitting ones: punctuation marks for
        ``punctuation``, blocks separated by empty strings for scenes).
    bank : :class:`GlyphBank`.
    rng : ``numpy.random.Generator``.
    char_height : typical ink height of a (body) character in pixels; None draws it
        from :data:`STRESS_CHAR_HEIGHT`.

    Returns
    -------
    :class:`StressPhoto`, ``rgb`` (H, W, 3) uint8, ``kind`` set.
    """
    if kind not in STRESS_PHOTOS:
        raise ValueError(f"unknown stress kind {kind!r}; one of {', '.join(STRESS_KINDS)}")
    if char_height is None:
        char_height = round(rng.uniform(*STRESS_CHAR_HEIGHT))
    photo = resolve(STRESS_PHOTOS[kind])(lines, bank, rng, char_height)
    photo.kind = kind
    return photo
