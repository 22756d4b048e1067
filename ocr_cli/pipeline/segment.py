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
from ocr_cli.pipeline.geometry import encloses, merge_boxes, overlapping_pairs
from ocr_cli.pipeline.ink import SURVEY_PIXELS, WORKING_HEIGHT, components, ink_darkness, resize, strokes_only, threshold
from ocr_cli.pipeline.orient import Turn
from ocr_cli.pipeline.records import Characters
from ocr_cli.pipeline.structure import without_drawn_boxes

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


def join_pieces(boxes, height):
    """Groups of component rows that make one character: pieces stacked in one column
    (horizontal overlap >= half the narrower piece) and close vertically (gap < 1/2
    character height) whose union stays within 1.5 character heights; never a piece
    and one it encloses (a box drawn around a word and the letters inside)."""
    n = len(boxes)
    parent = np.arange(n)

    def root(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    i, j = overlapping_pairs(boxes).T
    y1, x1, y2, x2 = boxes.T
    overlap = np.minimum(x2[i], x2[j]) - np.maximum(x1[i], x1[j])
    vgap = np.maximum(y1[i], y1[j]) - np.minimum(y2[i], y2[j])
    span = np.maximum(y2[i], y2[j]) - np.minimum(y1[i], y1[j])
    close = ((overlap >= 0.5 * np.minimum(x2[i] - x1[i], x2[j] - x1[j])) & (vgap < 0.5 * height)
             & (span <= 1.5 * height) & ~encloses(boxes, i, j) & ~encloses(boxes, j, i))
    for a, b in zip(i[close], j[close]):
        parent[root(a)] = root(b)
    roots = np.array([root(k) for k in range(n)], dtype=np.int64)
    order = np.argsort(roots, kind="stable")  # the pieces of each root, together, in index order
    return np.split(order, np.flatnonzero(np.diff(roots[order])) + 1) if n else []


def is_character(boxes, height):
    """Keeps boxes of character size: drops specks and punctuation (both sides under
    0.3 character heights: a period, a stray dot; the small words written beside
    large ones, in a box or a margin, are 0.4 heights and up) and giants (taller
    than 3 character heights or wider than 5: rules, borders, shadows)."""
    h, w = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    small = (h < 0.3 * height) & (w < 0.3 * height)
    giant = (h > 3 * height) | (w > 5 * height)
    return ~small & ~giant


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


def not_a_frame(boxes):
    """Drops boxes that wholly contain another box: a box drawn around a word, a
    circle around a number (a character never encloses a whole other character)."""
    i, j = overlapping_pairs(boxes).T
    frame = np.zeros(len(boxes), bool)
    frame[i[encloses(boxes, i, j)]] = True
    frame[j[encloses(boxes, j, i)]] = True
    return ~frame


def not_a_rule(boxes, height):
    """Drops flat marks: wider than three times their height and flatter than 0.4
    character heights (an underline, a dash, a line of a form); the flattest letters
    and digits are about as wide as tall."""
    h, w = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    return ~((w > 3 * h) & (h < 0.4 * height))


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


def group_lines(boxes, height):
    """Line index per box. Boxes are taken left to right; each joins the line whose most
    recent box has its vertical centre within 0.6 character heights (following a
    slanted line letter by letter), else starts a new line. Lines are numbered top to
    bottom by their mean centre."""
    cy = (boxes[:, 0] + boxes[:, 2]) / 2
    line = np.full(len(boxes), -1)
    last_cy = []
    for i in np.argsort(boxes[:, 1], kind="stable"):
        distances = np.abs(np.array(last_cy) - cy[i]) if last_cy else np.array([])
        if len(distances) and distances.min() < 0.6 * height:
            line[i] = int(distances.argmin())
            last_cy[line[i]] = cy[i]
        else:
            line[i] = len(last_cy)
            last_cy.append(cy[i])
    means = np.array([cy[line == k].mean() for k in range(len(last_cy))])
    rank = np.argsort(np.argsort(means))
    return rank[line] if len(line) else line


def word_threshold(gaps):
    """The gap above which a gap separates words, from this page's own letter gaps
    ``(n,)`` in character heights. Otsu's split divides them into two groups; it is kept
    only if two normal groups explain the gaps better than one by the Bayesian
    information criterion, otherwise ``inf``: no word breaks on the page (a page of
    evenly spaced letters has one broad group, not two)."""
    values = np.sort(gaps)
    n = len(values)
    if n < 3 or values[0] == values[-1]:
        return np.inf
    k = np.arange(1, n)
    low_mean = np.cumsum(values)[:-1] / k
    high_mean = (values.sum() - np.cumsum(values)[:-1]) / (n - k)
    split = int(np.argmax(k * (n - k) * (high_mean - low_mean) ** 2)) + 1
    low, high = values[:split], values[split:]

    def log_variance(v):
        # Gaps are measured between ink boxes to about half a stroke: 5% of a height.
        return np.log(max(v.var(), 0.05 ** 2))

    one = n * log_variance(values) + 2 * np.log(n)
    two = (len(low) * log_variance(low) + len(high) * log_variance(high)
           - 2 * (len(low) * np.log(len(low) / n) + len(high) * np.log(len(high) / n)) + 5 * np.log(n))
    return float((low.max() + high.min()) / 2) if two < one else np.inf


def order_and_words(boxes, line, height):
    """Reading order (line by line, left to right) and the word index within each line."""
    order = np.lexsort((boxes[:, 1], line))
    boxes, line = boxes[order], line[order]
    same_line = line[1:] == line[:-1]
    gaps = (boxes[1:, 1] - boxes[:-1, 3]) / height
    limit = word_threshold(gaps[same_line])
    new_word = np.concatenate([[False], same_line & (gaps > limit)])
    starts_line = np.concatenate([[True], ~same_line])
    word = np.zeros(len(boxes), dtype=np.int64)
    for i in range(1, len(boxes)):
        word[i] = 0 if starts_line[i] else word[i - 1] + int(new_word[i])
    return order, word


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
    height = photo.surveyed().survey.height / factor
    scale = min(1.0, WORKING_HEIGHT / height) if height > 0 else min(1.0, np.sqrt(SURVEY_PIXELS / gray.size))
    scale = min(scale, np.sqrt(MOST_WORKING_PIXELS / gray.size))  # a page dense with small characters
    small = resize(gray, scale)
    turn = None
    if photo.angle:  # 2. upright: the page turned by its orientation and skew
        turn = Turn.of(photo.angle, (small.shape[1], small.shape[0]))
        small = turn.apply(small)
    work_height = max(height * scale, 1.0)
    # 2. Ink darkness; a block of two character heights always holds paper around the strokes.
    ink = strokes_only(ink_darkness(small, max(4, int(2 * work_height))), work_height)
    # 3. Threshold, blurred by 1/32 of a character (smooths paper grain and JPEG blocks,
    # keeps strokes), and the sides of drawn boxes taken out.
    binary = without_drawn_boxes(threshold(ink, work_height / 32), work_height)
    # 4. Marks: components, and pieces stacked in one column joined.
    labels, boxes, areas = components(binary)
    groups = join_pieces(boxes, work_height) if len(boxes) else []
    merged, groups = merge_boxes(boxes, groups), [g + 1 for g in groups]
    # 5. What is not a character dropped.
    merged, groups = keep(merged, groups, is_character(merged, work_height))
    shaped = not_a_blob(merged, groups, areas)
    if (~shaped).sum() > MOST_BLOBS and (~shaped).mean() > 0.5:
        raise InputError("image", f"not a page of text: {(~shaped).sum()} of its {len(shaped)} marks are solid dots")
    merged, groups = keep(merged, groups, shaped)
    merged, groups = keep(merged, groups, inside_frame(merged, ink.shape))
    merged, groups = keep(merged, groups, not_a_frame(merged))
    merged, groups = keep(merged, groups, not_a_rule(merged, work_height))
    merged, groups = keep(merged, groups, firm_ink(ink, labels, groups))
    size = photo.size
    working = Working(scale / factor, ink, labels, work_height, size, turn)
    # 6. Lines, reading order, words.
    return working, arrange(Characters.found(merged, groups), work_height)


def arrange(characters, height):
    """``characters`` grouped into lines, put in reading order and split into words
    (``height``: the character height in their pixels)."""
    if not len(characters):
        return characters
    line = group_lines(characters.boxes, height)
    order, word = order_and_words(characters.boxes, line, height)
    arranged = characters.subset(order)
    return arranged.replace(line=line[order], word=word)
