"""Drawn structure is not text: lines drawn on a page (the sides of boxes around words
and of a diagram's boxes, underlines, rules, table and form lines) found by their length
and straightness relative to the character height and taken out of the ink mask,
keeping the ink of letters that touch or cross them, so that those letters become marks
of their own. What was taken out stays as a barrier: words on either side of a drawn
line belong to different lines and blocks.

    1. boxes drawn around words: the straight sides of a mark that holds a letter
       (:func:`without_drawn_boxes`)
    2. long lines: straight runs, level or upright, longer than LONG_LINE character
       heights, less the strokes of letters crossing them (:func:`without_lines`)
"""

import numpy as np
from . import ndi

from ocr_cli.pipeline.geometry import encloses, overlapping_pairs
from ocr_cli.pipeline.ink import components

# A straight run longer than this many character heights is a drawn line (no letter or
# word of letters holds a straight stroke half as long; a box around a word of three
# letters has sides this long) ...
LONG_LINE = 2.5
# ... where a letter's stroke crosses or touches it, the stroke's pixels stay: ink on
# a straight run across the line reaching at least this many heights beyond the line's
# own thickness there (a letter's upright strokes are 0.4 heights and up; a line's edge
# blurred by a shadow, or turned a few degrees, is thick but reaches nowhere).
CROSSING = 0.2
# A hand-drawn line strays from straight by up to this share of its length (a marker on a
# whiteboard wobbles more than a pen on paper): its runs
# are looked for in the mask thickened across by as much.
WANDER = 0.04

def runs_at_least(mask, length, axis):
    """Pixels of ``mask`` on a straight run of at least ``length`` pixels along ``axis``
    (1: rows, 0: columns): a morphological opening with a line, by running sums, so
    that it costs the same for any length."""
    m = np.moveaxis(mask, axis, -1).astype(np.int32)
    sums = np.concatenate([np.zeros(m.shape[:-1] + (1,), np.int32), np.cumsum(m, -1)], -1)
    starts = (sums[..., length:] - sums[..., :-length]) == length  # a full run starts here
    covered = np.concatenate([np.zeros(m.shape[:-1] + (1,), np.int32), np.cumsum(starts, -1, dtype=np.int32)], -1)
    n = m.shape[-1]
    first = np.clip(np.arange(n) - length + 1, 0, None)  # run starts that cover pixel x: x-length+1 .. x
    last = np.minimum(np.arange(n), starts.shape[-1] - 1)
    hit = (covered[..., last + 1] - covered[..., first]) > 0 if starts.shape[-1] else np.zeros_like(m, bool)
    return np.moveaxis(hit & (m > 0), -1, axis)


def drawn_lines(own, share=0.5):
    """The pixels of ``own`` (one mark's mask, cut to its box) on the straight sides of
    a box drawn by hand, and how many of the four sides there are: rows that run along
    ``share`` of the box's width and columns along as much of its height, touching the
    box's outer edge (the letters inside never do). A hand-drawn line wanders off straight by a few
    percent of its length (a tilt, a wobble), so runs are looked for in the mask
    thickened across by 1.5% of their length: a letter touching the line loses as
    much of its ink next to it."""
    rules, sides = np.zeros(own.shape, bool), 0
    for axis in (1, 0):
        length = max(2, int(own.shape[axis] * share))
        wobble = int(np.ceil(0.015 * length))
        across = (2 * wobble + 1, 1) if axis == 1 else (1, 2 * wobble + 1)
        band = runs_at_least(ndi.binary_dilation(own, np.ones(across)), length, axis)
        labels, _ = ndi.label(band)
        # The side's band reaches the box's edge up to a tenth of the box across (a
        # stroke's ragged edge, a line's end bent off), where no letter inside reaches.
        zone = max(wobble + 1, int(0.1 * own.shape[1 - axis]))
        near = np.moveaxis(labels, 1 - axis, 0)
        for edge in (near[:zone], near[-zone:]):
            found = np.unique(edge[edge > 0])
            sides += len(found) > 0
            rules |= np.isin(labels, found)
    return own & rules, sides


def holds_a_letter(mask, height):
    """Whether ``mask`` has a mark at least 0.2 character heights tall: a small word's
    letters (0.3 heights and up) shortened where they touched the box's lines, not
    the short stubs of a broken letter's inner strokes."""
    spans = [s[0].stop - s[0].start for s in ndi.find_objects(ndi.label(mask)[0])]
    return bool(spans) and max(spans) >= 0.2 * height


def hollow(own):
    """Whether the middle of a mark's box (its central half either way) is mostly
    paper: a box drawn empty is, a solid blot is not."""
    h, w = own.shape
    return own[h // 4:h - h // 4, w // 4:w - w // 4].mean() < 0.5 if h >= 4 and w >= 4 else False


def without_drawn_boxes(binary, height):
    """``binary`` less the lines of boxes drawn around words, so that letters touching
    their box become marks of their own. A drawn box is a mark whose box wholly holds
    another mark at least a third of its height and of 0.3 character heights (a
    letter, not a speck inside an O or an E), or a mark at least 1.5 times as wide as
    tall (a word's width, not a letter's) with all four straight sides and a letter
    left when they are gone (not a broken letter's boxy half; letters that touch, as
    an E beside an E, make three sides at most)."""
    labels, boxes, _ = components(binary)
    if not len(boxes):
        return binary
    i, j = overlapping_pairs(boxes).T
    h, w = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    holds = encloses(boxes, i, j) & (h[j] >= h[i] / 3) & (h[j] >= 0.3 * height)
    holding = np.zeros(len(boxes), bool)
    holding[i[holds]] = True
    # Letter-sized marks may be empty boxes (a form's checkbox, a comb's cell).
    boxy = (np.minimum(h, w) >= CHECKBOX[0] * height) & (np.maximum(h, w) <= CHECKBOX[1] * height)
    wide = (w >= 1.5 * h) & (h >= 0.3 * height)
    out = binary.copy()
    for k in np.flatnonzero(holding | wide | boxy):
        y1, x1, y2, x2 = boxes[k]
        own = labels[y1:y2, x1:x2] == k + 1
        lines, sides = drawn_lines(own)
        if boxy[k] and hollow(own) and drawn_lines(own, BOX_SIDE)[1] == 4 and not holds_a_letter(own & ~lines, height):
            out[y1:y2, x1:x2] &= ~own  # an empty box: all of it goes
        elif holding[k] or (wide[k] and sides == 4 and holds_a_letter(own & ~lines, height)):
            # (a letter-sized mark with four sides half its size is a thick O or D)
            out[y1:y2, x1:x2] &= ~lines
    return out


# A mark from this to this many character heights a side, with four straight sides each
# along BOX_SIDE of the box and nothing of a letter inside, is an empty box drawn on the
# page (a checkbox, a form's cell), not an O or a D (whose flat parts are shorter).
CHECKBOX, BOX_SIDE = (0.5, 3.0), 0.8
# Comb ticks: upright strokes at least TICK character heights long standing on a drawn
# line (their foot within TOUCH pixels of it), at least COMB of them spaced evenly (each
# gap within SPACING of the median gap) along it; and any upright stroke reaching from
# one drawn line to another (a cell's side between two rules).
TICK, TOUCH, COMB, SPACING = 0.3, 3, 3, 0.25


def without_ticks(binary, lines, height):
    """``binary`` less the ticks of comb fields and the sides of box rows standing on
    the drawn ``lines`` (see :data:`TICK`). (They part the letters of one field: they
    are no barrier between them.)"""
    if not lines.any():
        return binary
    upright = straight_runs(binary, max(2, int(round(TICK * height))), 0)
    labels, boxes, _ = components(upright)
    if not len(boxes):
        return binary
    near = ndi.binary_dilation(lines, np.ones((2 * TOUCH + 1, 2 * TOUCH + 1)))
    h = boxes[:, 2] - boxes[:, 0]
    w = boxes[:, 3] - boxes[:, 1]
    thin = w <= 0.25 * np.maximum(h, 1)
    rows, cols = near.shape
    foot = near[np.minimum(boxes[:, 2], rows - 1), np.clip((boxes[:, 1] + boxes[:, 3]) // 2, 0, cols - 1)]
    head = near[np.maximum(boxes[:, 0] - 1, 0), np.clip((boxes[:, 1] + boxes[:, 3]) // 2, 0, cols - 1)]
    tick = np.zeros(len(boxes), bool)
    tick[thin & foot & head] = True  # a cell's side, from rule to rule
    standing = np.flatnonzero(thin & (foot | head))
    # Evenly spaced along one line: grouped by where they stand (the row of their foot,
    # within a tenth of a character height of the last one's: a rule may lean).
    rows_of = np.where(foot[standing], boxes[standing, 2], boxes[standing, 0])
    order = np.argsort(rows_of, kind="stable")
    breaks = np.flatnonzero(np.diff(rows_of[order]) > 0.1 * height) + 1
    for group in np.split(order, breaks):
        members = standing[group]
        if len(members) < COMB:
            continue
        x = np.sort((boxes[members, 1] + boxes[members, 3]) / 2)
        gaps = np.diff(x)
        even = np.abs(gaps - np.median(gaps)) <= SPACING * np.median(gaps)
        if even.mean() >= 0.6:
            tick[members] = True
    if not tick.any():
        return binary
    ticks = np.isin(labels, np.flatnonzero(tick) + 1)
    crossing = run_lengths(binary, 1) >= run_lengths(ticks, 1) + max(2, int(round(CROSSING * height)))
    return binary & ~(ticks & ~crossing)


def straight_runs(mask, length, axis):
    """Pixels of ``mask`` on runs of at least ``length`` along ``axis`` (1: level, 0:
    upright), found in the mask thickened across by :data:`WANDER` of the length, so
    that a wandering hand-drawn line counts."""
    wobble = int(np.ceil(WANDER * length))
    across = (2 * wobble + 1, 1) if axis == 1 else (1, 2 * wobble + 1)
    thick = ndi.binary_dilation(mask, np.ones(across)) if wobble else mask
    return runs_at_least(thick, length, axis) & mask


def without_lines(binary, height):
    """``binary`` less its long drawn lines (:data:`LONG_LINE`), and the lines taken
    out (the barrier between what lies on either side of them). A letter's stroke
    crossing a line keeps its pixels (:data:`CROSSING`); where a level and an upright
    line meet (a box's corner) both go."""
    long = max(3, int(round(LONG_LINE * height)))
    beyond = max(2, int(round(CROSSING * height)))
    level, upright = straight_runs(binary, long, 1), straight_runs(binary, long, 0)
    if not (level.any() or upright.any()):
        return binary, np.zeros(binary.shape, bool)
    # A stroke crosses a level line where the ink's upright run through a pixel is longer
    # than the line's own upright thickness there by ``beyond`` (and likewise across).
    crossing_up = run_lengths(binary, 0) >= run_lengths(level, 0) + beyond
    crossing_level = run_lengths(binary, 1) >= run_lengths(upright, 1) + beyond
    lines = (level & ~crossing_up) | (upright & ~crossing_level) | (level & upright)
    return binary & ~lines, lines


def run_lengths(mask, axis):
    """For each pixel of ``mask``, the length of the run of ``mask`` along ``axis`` that
    holds it (0 off the mask)."""
    m = np.moveaxis(mask, axis, -1)
    n = m.shape[-1]
    index = np.broadcast_to(np.arange(n), m.shape)
    # The start of each pixel's run: the last off pixel before it, + 1.
    start = np.maximum.accumulate(np.where(m, -1, index), axis=-1) + 1
    end = n - 1 - np.maximum.accumulate(np.where(m, -1, n - 1 - index)[..., ::-1], axis=-1)[..., ::-1]
    return np.moveaxis(np.where(m, end - start, 0), -1, axis)
