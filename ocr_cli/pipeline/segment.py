"""Finding the characters of a photo: marks of ink grouped into characters, lines and
words, in reading order.

:func:`segment`, step by step (the numbers are the comments' in its body)::

    1. working scale: characters about WORKING_HEIGHT px tall
    2. ink darkness (ocr_cli.pipeline.ink): paper per block, what is not the sheet,
       strokes only
    3. threshold (hysteresis) and drawn boxes taken out (ocr_cli.pipeline.structure)
    4. marks: connected components; pieces stacked in one column joined
    5. dropped: specks and giants, solid blots, marks cut by the frame, frames around
       other marks, flat rules, erased writing
    6. lines followed letter by letter, reading order, word gaps from the page's own

Every size is relative to the measured character height or to the page's own
statistics, never an absolute number of pixels tuned to one photo.
"""

from dataclasses import dataclass
from typing import Optional

import numpy as np

from ocr_cli.errors import InputError
from ocr_cli.pipeline.geometry import encloses, overlapping_pairs
from ocr_cli.pipeline.ink import SURVEY_PIXELS, WORKING_HEIGHT, components, ink_darkness, resize, strokes_only, threshold
from ocr_cli.pipeline.orient import Turn
from ocr_cli.pipeline.records import Characters
from ocr_cli.pipeline.regions import region_boxes, region_of, regions
from ocr_cli.pipeline.structure import (faint_lines, without_connectors, without_drawn_boxes, without_lines,
                                         without_ticks)

# Characters are segmented and cropped WORKING_HEIGHT px tall (ocr_cli.pipeline.ink),
# on an image of at most this many pixels: segmentation holds about 40 bytes per
# working pixel, so reading stays about a gigabyte at most (66 MP of 18,000 characters:
# 1.0 GB); only a page dense with characters under 1/100 of its side reaches it (they
# are then worked under 48 px: 29 px on that page, 90.8% read against 92.4% at 37 px).
MOST_WORKING_PIXELS = 10_000_000
# A page of hand printing holds at most a couple of thousand characters; a thousand
# solid dots outnumbering the marks that could be characters is a pattern, a halftone
# or noise, and reading each of them would only spend time and memory.
MOST_BLOBS = 1000


# Marks under this share of the character height both ways are small: a period, a
# comma, a stray dot (the small words written beside large ones, in a box or a margin,
# are 0.4 heights and up); they do not make lines, but join the line they sit on as
# possible punctuation, or are dropped.
SMALL_MARK = 0.3
# A mark under this many character heights tall alone on a line of its own may be a
# comma hanging from the line above (its tail reaches half a height): it joins that line
# when it sits at its foot.
HANGING = 0.55
# A small mark sits on a line when its centre lies between this far above the line's
# top (an apostrophe) and this far below its foot (a comma), in line heights, and at
# most AFTER_LINE heights past its end (a period after the last word).
ABOVE_LINE, BELOW_LINE, AFTER_LINE = 0.3, 0.5, 1.0


def is_small(boxes, height):
    """Marks under :data:`SMALL_MARK` character heights both ways, and flat ones no
    longer than a character is wide (a hyphen, a dash): they join a line, never make one."""
    h, w = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    return ((h < SMALL_MARK * height) & (w < SMALL_MARK * height)) | ((w > 3 * h) & (w <= height))


def not_a_giant(boxes, height):
    """Drops giants: taller than 3 character heights or wider than 5 (rules, borders,
    shadows)."""
    h, w = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    return ~((h > 3 * height) | (w > 5 * height))


def attach_small(boxes, line, small_boxes):
    """The line each small mark (``small_boxes (m, 4)``) sits on, or -1 (see
    :data:`ABOVE_LINE`): the nearest of the lines of ``boxes`` (``line``: their line
    indices) whose band holds it."""
    from ocr_cli.pipeline.lattice import line_frame

    frames = []
    for k in range(int(line.max()) + 1 if len(line) else 0):
        own = boxes[line == k]
        top, foot, height = line_frame(own)
        frames.append((top, foot, height, own[:, 1].min(), own[:, 3].max()))
    out = np.full(len(small_boxes), -1)
    for i, (y1, x1, y2, x2) in enumerate(small_boxes):
        cx, cy, best = (x1 + x2) / 2, (y1 + y2) / 2, np.inf
        for k, (top, foot, height, start, end) in enumerate(frames):
            t, f = top(cx), foot(cx)
            if (t - ABOVE_LINE * height <= cy <= f + BELOW_LINE * height
                    and start - AFTER_LINE * height <= cx <= end + AFTER_LINE * height):
                distance = abs(cy - (t + f) / 2)
                if distance < best:
                    out[i], best = k, distance
    return out


def not_a_blob(boxes, groups, areas):
    """Drops solid blobs: marks whose ink fills over 95% of their box and that are not
    thin (short side over half the long one): a dot, a blot, a filled square. Strokes
    leave paper in a character's box: of the nist36 training characters none fills
    more than 80% of a box that is not thin (an I or a 1 fills a thin one); the margin
    is for the blur of thresholding, which closes narrow gaps between strokes."""
    h, w = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    ink = np.array([areas[g - 1].sum() for g in groups], dtype=np.float64).reshape(-1)
    solid = ink > 0.95 * np.maximum(h * w, 1)
    squat = np.minimum(h, w) > 0.5 * np.maximum(h, w)
    return ~(solid & squat)


def inside_frame(boxes, shape):
    """Boxes clear of the image's edge. What the frame cuts is the surround (a desk, a
    shadow, a table edge) or a character cut in half; when nothing else is found (a
    tight crop of one word), everything is kept."""
    clear = (boxes[:, 0] > 0) & (boxes[:, 1] > 0) & (boxes[:, 2] < shape[0]) & (boxes[:, 3] < shape[1])
    return clear if clear.any() else np.ones(len(boxes), bool)


def not_a_frame(boxes, height):
    """Drops boxes that wholly contain another box of a character's size (at least a
    third of theirs and 0.3 character heights tall): a box drawn around a word, a
    circle around a number (a character never encloses a whole other character; it
    may enclose a speck, or a piece of its own stroke the threshold broke off)."""
    i, j = overlapping_pairs(boxes).T
    h = boxes[:, 2] - boxes[:, 0]
    frame = np.zeros(len(boxes), bool)
    for outer, inner in ((i, j), (j, i)):
        sized = (h[inner] >= h[outer] / 3) & (h[inner] >= 0.3 * height)
        frame[outer[encloses(boxes, outer, inner) & sized]] = True
    return ~frame


def not_a_rule(boxes, height):
    """Drops flat marks: wider than three times their height and flatter than 0.4
    character heights, and longer than a character is wide (an underline, a line of a
    form; a hyphen, shorter, stays); the flattest letters and digits are about as wide
    as tall."""
    h, w = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    return ~((w > 3 * h) & (h < 0.4 * height) & (w > height))


def firm_ink(ink, labels, groups):
    """Drops marks whose strokes are far fainter than the page's characters (mean
    darkness of their pixels under half the median over the marks): erased writing
    on a whiteboard, a pencil line showing through the paper. One pass over the
    pixels, whatever the number of marks."""
    if not groups:
        return np.zeros(0, bool)
    mark = np.zeros(labels.max() + 1, np.int64)  # label -> mark number + 1 (0: background, dropped)
    for k, g in enumerate(groups):
        mark[g] = k + 1
    pixel_mark = mark[labels]
    counts = np.bincount(pixel_mark.ravel(), minlength=len(groups) + 1)[1:]
    sums = np.bincount(pixel_mark.ravel(), weights=ink.ravel(), minlength=len(groups) + 1)[1:]
    darkness = sums / np.maximum(counts, 1)
    return darkness >= 0.5 * np.median(darkness)


def keep(boxes, groups, mask):
    """The boxes ``(n, 4)`` and component groups where ``mask: (n,)`` holds."""
    return boxes[mask], [g for g, k in zip(groups, mask) if k]


@dataclass(frozen=True)
class Working:
    """The photo at the scale its characters are found and cut at, turned upright:
    ``photo_scale`` (working pixels per photo pixel), ``ink: (h, w)`` ink darkness 0..1,
    ``labels: (h, w)`` the marks' component labels (a character's ``members`` name its
    own), ``height`` the character height in working pixels, ``size`` the photo's
    ``(width, height)`` and ``turn`` (:class:`~ocr_cli.pipeline.orient.Turn`, or None)
    from the photo at the working scale to these images."""

    photo_scale: float
    ink: np.ndarray
    labels: np.ndarray
    height: float
    size: tuple
    turn: Optional[Turn] = None

    def photo_points(self, points):
        """``points: (n, 2)`` ``(x, y)`` of the working images -> the photo's pixels."""
        points = np.asarray(points, np.float64).reshape(-1, 2)
        return (self.turn.back(points) if self.turn is not None else points) / self.photo_scale

    def photo_boxes(self, boxes):
        """``boxes: (K, 4)`` ``[y1, x1, y2, x2]`` in working pixels -> the boxes that hold
        them in the photo's pixels (of their corners, turned back), grown outward to
        whole pixels and kept within the photo."""
        boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
        corners = np.stack([boxes[:, [1, 0]], boxes[:, [3, 0]], boxes[:, [1, 2]], boxes[:, [3, 2]]], 1)
        points = self.photo_points(corners.reshape(-1, 2)).reshape(-1, 4, 2)
        low, high = np.floor(points.min(1)), np.ceil(points.max(1))
        width, height = self.size
        original = np.column_stack([low[:, 1], low[:, 0], high[:, 1], high[:, 0]])
        return np.clip(original, 0, [height, width, height, width]).astype(np.int64).reshape(-1, 4)


def segment(photo):
    """The characters of ``photo`` (:class:`ocr_cli.pipeline.images.Photo`): the
    :class:`Working` images and the :class:`~ocr_cli.pipeline.records.Characters` found,
    in reading order, with their lines and words."""
    gray, factor = photo.gray, photo.factor
    # 1. Working scale: characters WORKING_HEIGHT px tall, on at most MOST_WORKING_PIXELS.
    looked = photo.surveyed().survey
    # (a page turned by about a right angle shows its characters lying: their height is
    # the marks' width)
    lying = abs(np.sin(np.deg2rad(photo.angle))) > np.sin(np.deg2rad(45))
    height = (looked.width if lying and looked.width else looked.height) / factor
    scale = min(1.0, WORKING_HEIGHT / height) if height > 0 else min(1.0, np.sqrt(SURVEY_PIXELS / gray.size))
    scale = min(scale, np.sqrt(MOST_WORKING_PIXELS / gray.size))  # a page dense with small characters
    small = resize(gray, scale)
    colour = photo.colour
    turn = None
    if photo.angle:  # 2. upright: the page turned by its orientation and skew
        turn = Turn.of(photo.angle, (small.shape[1], small.shape[0]))
        small = turn.apply(small)
        if colour is not None:
            colour_turn = Turn.of(photo.angle, (colour.shape[1], colour.shape[0]))
            colour = np.stack([colour_turn.apply(np.ascontiguousarray(colour[:, :, c])) for c in range(3)], -1)
    work_height = max(height * scale, 1.0)
    # 2. Ink darkness; a block of two character heights always holds paper around the strokes.
    ink = strokes_only(ink_darkness(small, max(4, int(2 * work_height))), work_height)
    # 3. Threshold, blurred by 1/32 of a character (smooths paper grain and JPEG blocks,
    # keeps strokes), and drawn structure taken out: the sides of boxes drawn around
    # words, long lines (what they separate stays apart).
    binary = found = threshold(ink, work_height / 32, work_height)
    unboxed = without_drawn_boxes(binary, work_height)
    box_sides = binary & ~unboxed
    binary, barrier = without_lines(unboxed, work_height)
    # A comb's ticks stand on its line, whichever step took the line out (a comb
    # written in is one mark with its letters: its line goes as a drawn box's side).
    binary = without_ticks(binary, barrier, work_height, sides=box_sides)
    # (and what joins drawn boxes: a diagram's arrows and connectors)
    binary = without_connectors(binary, found & ~binary, work_height)
    # 4. Marks: the components (which pieces make one character, the lattice decides).
    labels, merged, areas = components(binary)
    groups = [np.array([k + 1]) for k in range(len(merged))]
    # 5. What is not a character dropped.
    merged, groups = keep(merged, groups, not_a_giant(merged, work_height))
    shaped = not_a_blob(merged, groups, areas)
    if (~shaped).sum() > MOST_BLOBS and (~shaped).mean() > 0.5:
        raise InputError("image", f"not a page of text: {(~shaped).sum()} of its {len(shaped)} marks are solid dots")
    merged, groups = keep(merged, groups, shaped)
    merged, groups = keep(merged, groups, inside_frame(merged, ink.shape))
    merged, groups = keep(merged, groups, not_a_frame(merged, work_height))
    merged, groups = keep(merged, groups, not_a_rule(merged, work_height))
    merged, groups = keep(merged, groups, firm_ink(ink, labels, groups))
    working = Working(scale / factor, ink, labels, work_height, photo.size, turn)
    # 6. Regions (surfaces of their own colour), lines (each its own direction), the small
    # marks on them, blocks, reading order.
    surfaces = regions(colour, work_height * colour.shape[0] / ink.shape[0]) if colour is not None else None
    # (the edges of notes and sheets over one another part what lies either side as lines do)
    barrier = barrier | faint_lines(ink, found, work_height)
    return working, arrange(Characters.found(merged, groups), work_height, barrier, surfaces)


# Marks with at least this many pixels of drawn lines between them (a twentieth of a
# character height: a line's stroke crossing the gap) lie on different lines and blocks.
BARRIER = 0.05


def arrange(marks, height, barrier=None, surfaces=None):
    """``marks`` grouped into lines and blocks and put in reading order (``height``: the
    character height in their pixels); small marks join the line they sit on (or are
    dropped); marks with drawn lines between them (``barrier``, a mask) or on different
    surfaces (``surfaces``: region labels of a smaller copy,
    :func:`~ocr_cli.pipeline.regions.regions`) stay apart. Words are left to the
    lattice (:mod:`ocr_cli.pipeline.lattice`)."""
    from ocr_cli.pipeline.lines import barrier_between, follow_lines, group_blocks, reading_order, reclaimed

    small = is_small(marks.boxes, height)
    big = marks.subset(~small)
    least = max(1, int(BARRIER * height) * 3)
    shape = barrier.shape if barrier is not None else None

    def apart_in(boxes):
        region = region_of(surfaces, boxes, shape) if surfaces is not None else None
        lines = barrier is not None and barrier.any()
        if not lines and (region is None or len(set(region.tolist())) < 2):
            return None
        return lambda i, j: ((region is not None and region[i] != region[j])
                             or (lines and barrier_between(barrier, boxes[i], boxes[j], least)))

    apart = apart_in(big.boxes)
    # (a diagonal line takes back the first marks it left to a level one: reclaimed)
    line = reclaimed(big.boxes, follow_lines(big.boxes, height, apart), apart)
    # A line of one short mark hanging at another line's foot is that line's comma.
    alone = np.bincount(line, minlength=int(line.max()) + 1 if len(line) else 0)[line] == 1
    hanging = alone & (big.boxes[:, 2] - big.boxes[:, 0] < HANGING * height)
    if hanging.any() and (~hanging).any():
        others = np.flatnonzero(~hanging)
        on = attach_small(big.boxes[others], np.unique(line[others], return_inverse=True)[1], big.boxes[hanging])
        numbers = np.unique(line[others])
        line[np.flatnonzero(hanging)[on >= 0]] = numbers[on[on >= 0]]
        line = np.unique(line, return_inverse=True)[1].reshape(-1)
    on = attach_small(big.boxes, line, marks.boxes[small])
    kept = np.flatnonzero(~small).tolist() + np.flatnonzero(small)[on >= 0].tolist()
    line = np.concatenate([line, on[on >= 0]]).astype(np.int64)
    boxes = marks.boxes[kept]
    block = group_blocks(boxes, line, apart_in(boxes))[line] if len(kept) else line
    where = None
    if surfaces is not None and len(kept):
        region, extent = region_of(surfaces, boxes, shape), region_boxes(surfaces, shape)
        where = np.array([extent[r] for r in region])
    order, line, block = reading_order(boxes, line, block, where)
    members = [marks.members[kept[k]] for k in order]
    return Characters.found(boxes[order], members, line, block=block)
