"""Drawn structure is not text: lines drawn on a page (the sides of boxes around words
and of a diagram's boxes, underlines, rules, table and form lines) found by their length
and straightness relative to the character height and taken out of the ink mask,
keeping the ink of letters that touch or cross them, so that those letters become marks
of their own. What was taken out stays as a barrier: words on either side of a drawn
line belong to different lines and blocks.

    1. boxes drawn around words: the straight sides of a mark that holds a letter
       (:func:`without_drawn_boxes`; upright sides only between a top and a bottom one)
    2. long lines: straight runs, level or upright, longer than LONG_LINE character
       heights, less the strokes of letters crossing them (:func:`without_lines`)
    3. what stands on those lines: a comb's ticks and a row of cells' sides, upright
       strokes at one pitch (:func:`without_ticks`), as thick as they are (a letter
       touching them keeps its ink); the sides of a box drawn between two long lines
    4. what joins the boxes: marks touching a box's outline from outside, their ink
       outside every box (a diagram's arrows and connectors, :func:`without_connectors`)
    5. edges too faint to be ink: a note's or a sheet's edge over another, a thin line a
       little darker than the paper, long and straight (:func:`faint_lines`): no ink to
       take out, but a barrier as drawn lines are
"""

import numpy as np
from . import ndi

from ocr_cli.pipeline.geometry import encloses, overlapping_pairs
from ocr_cli.pipeline.ink import components, on_the_frame

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

def window_counts(mask, before, after, axis):
    """How many pixels of ``mask`` lie from ``before`` pixels before each pixel to
    ``after`` pixels after it along ``axis`` (1: rows, 0: columns), by running sums:
    the same cost for any window."""
    size = before + after + 1
    padding = [(0, 0)] * mask.ndim
    padding[axis] = (before + 1, after)
    length = mask.shape[axis] + size
    sums = np.cumsum(np.pad(mask, padding), axis=axis, dtype=np.uint16 if length < 2 ** 16 else np.int64)
    ahead, behind = [slice(None)] * mask.ndim, [slice(None)] * mask.ndim
    ahead[axis], behind[axis] = slice(size, None), slice(None, -size)
    return sums[tuple(ahead)] - sums[tuple(behind)]


def runs_at_least(mask, length, axis, share=1.0):
    """Pixels of ``mask`` on a straight run of at least ``length`` pixels along ``axis``
    (1: rows, 0: columns): a morphological opening with a line, by running sums, so
    that it costs the same for any length. With ``share`` under 1, runs of ``length``
    pixels that ``mask`` fills at least that share of."""
    starts = window_counts(mask, 0, length - 1, axis) >= share * length  # a (mostly) full run starts here
    return (window_counts(starts, length - 1, 0, axis) > 0) & mask


def drawn_lines(own, share=0.5):
    """The pixels of ``own`` (one mark's mask, cut to its box) on the straight sides of
    a box drawn by hand, and how many of the four sides there are: rows that run along
    ``share`` of the box's width and columns along as much of its height, touching the
    box's outer edge (the letters inside never do). A hand-drawn line wanders off straight by a few
    percent of its length (a tilt, a wobble), so runs are looked for in the mask
    thickened across by 1.5% of their length: a letter touching the line loses as
    much of its ink next to it. Upright sides count only with a top and a bottom side."""
    rules, sides = np.zeros(own.shape, bool), 0
    for axis in (1, 0):
        length = max(2, int(own.shape[axis] * share))
        wobble = int(np.ceil(0.015 * length))
        across = (2 * wobble + 1, 1) if axis == 1 else (1, 2 * wobble + 1)
        band = runs_at_least(ndi.binary_dilation(own, np.ones(across)), length, axis)
        labels, _ = ndi.label(band)
        # The side's band reaches the box's edge up to a tenth of the box's short side
        # across (a stroke's ragged edge, a line's end bent off), where no letter inside
        # reaches; an upright side, the ends of the top and bottom sides (an arrow
        # or a connector may stick out of the box beyond them).
        zone = max(wobble + 1, int(0.1 * (own.shape[0] if axis == 1 else min(own.shape))))
        near = np.moveaxis(labels, 1 - axis, 0)
        ends = (0, near.shape[0])
        if axis == 0 and rules.any():
            columns = np.flatnonzero(rules.any(0))
            ends = (columns[0], columns[-1] + 1)
        found = [np.unique(edge[edge > 0]) for edge in (near[max(ends[0] - zone, 0):ends[0] + zone],
                                                          near[max(ends[1] - zone, 0):ends[1] + zone])]
        found_here = sum(len(f) > 0 for f in found)
        level = sides if axis == 0 else found_here
        sides += found_here
        # Upright sides only between a top and a bottom side: a comb's line or an
        # underline with letters standing on it holds no box, and the upright strokes at
        # its ends are the letters' own.
        if axis == 1 or level == 2:
            rules |= np.isin(labels, np.concatenate(found))
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
# line (their foot within TOUCH pixels of it), at least COMB of them at one pitch along it
# (see :data:`PITCH`); and the sides of a row of boxes, upright strokes joining one
# drawn line to another at one pitch.
TICK, TOUCH, COMB = 0.3, 3, 3
# A row of printed cells repeats at one pitch: each side stands this share of the
# pitch from another (a perspective changes the pitch slowly; a letter's stroke as
# tall as its cell stands anywhere between).
PITCH = 0.1
# ... and most of a row's upright marks stand so: letters standing on a rule, spaced
# as a hand spaces them, are some at one pitch by chance, a comb's ticks all of them.
MOST = 0.6


def without_ticks(binary, lines, height, sides=None):
    """``binary`` less the ticks of comb fields and the sides of box rows standing on
    the drawn ``lines`` (see :data:`TICK`), and the ticks and cells' sides at one pitch
    on the ``sides`` of drawn boxes (a comb or a row of cells written in is one mark
    with its letters: its lines went as a box's; a lone stroke from side to side of a
    box is a letter's). (They part the letters of one field: they are no barrier
    between them.)"""
    drawn = lines if sides is None else lines | sides
    if not drawn.any():
        return binary
    upright = straight_runs(binary, max(2, int(round(TICK * height))), 0)
    labels, boxes, _ = components(upright)
    if not len(boxes):
        return binary
    grow = np.ones((2 * TOUCH + 1, 2 * TOUCH + 1))
    near_long = ndi.binary_dilation(lines, grow)
    near = near_long if sides is None else ndi.binary_dilation(drawn, grow)
    h = boxes[:, 2] - boxes[:, 0]
    w = boxes[:, 3] - boxes[:, 1]
    thin = w <= 0.25 * np.maximum(h, 1)
    rows = near.shape[0]

    def touching(mask, row):  # anywhere under (over) its width: a tick's own foot is no line
        return np.array([mask[min(max(r, 0), rows - 1), x1:x2].any() for r, (_, x1, _, x2) in zip(row, boxes)])

    foot, head = touching(near, boxes[:, 2]), touching(near, boxes[:, 0] - 1)
    # A comb's ticks touch one line (a stroke near two is a cell's side, or a letter's
    # as tall as the box it is written in); grouped by where they stand (the row of
    # their foot, or of their head if they hang).
    standing = np.flatnonzero(thin & (foot ^ head))
    rows_of = np.where(foot[standing], boxes[standing, 2], boxes[standing, 0])
    # From long line to long line: the sides of boxes (of a row of them, those at its
    # pitch); drawn by hand, whole (they wobble).
    walls = np.flatnonzero(thin & touching(near_long, boxes[:, 2]) & touching(near_long, boxes[:, 0] - 1))
    kept, pitched = box_walls(boxes[walls], height)
    ticks = cell_sides(binary, drawn, height) | np.isin(labels, walls[kept & ~pitched] + 1)
    # Printed ticks and cells' sides, straight: as thick as they are (a letter touching
    # them keeps its ink).
    ticks |= sides_of(labels, boxes, np.union1d(standing[on_a_pitch(boxes[standing], rows_of, height, COMB)],
                                                walls[pitched]))
    if not ticks.any():
        return binary
    crossing = run_lengths(binary, 1) >= run_lengths(ticks, 1) + max(2, int(round(CROSSING * height)))
    return binary & ~(ticks & ~crossing)


def cell_sides(binary, lines, height):
    """The sides of a row of boxes where letters touch them: upright runs joining a drawn
    line (``lines``) to another, at least TICK character heights long, in columns no
    wider together than a quarter of their height, three or more at one pitch. (A side
    touched by a letter is one mark with it: the marks' own widths do not show it. A
    letter as tall as its cell comes near both lines; a printed side runs on into
    them.)"""
    length = max(2, int(round(TICK * height)))
    wobble = int(np.ceil(WANDER * length))  # a side on a turned page leans by as much
    thick = ndi.binary_dilation(binary, np.ones((1, 2 * wobble + 1))) if wobble else binary
    start, stop = run_bounds(thick | lines, 0)
    column = np.broadcast_to(np.arange(binary.shape[1]), binary.shape)
    ends = [lines[np.clip(row, 0, binary.shape[0] - 1), column] for row in (start, stop - 1)]
    spans = binary & (stop - start >= length) & ends[0] & ends[1]
    if not spans.any():
        return spans
    labels, boxes, _ = components(spans)
    thin = np.flatnonzero((boxes[:, 3] - boxes[:, 1]) <= 0.25 * np.maximum(boxes[:, 2] - boxes[:, 0], 1))
    return sides_of(labels, boxes, thin[on_a_pitch(boxes[thin], boxes[thin, 0], height, least=3)])


def sides_of(labels, boxes, chosen):
    """The pixels of the marks ``chosen`` (indices into ``boxes``; label ``k + 1`` in
    ``labels``) on the sides they mostly are (:func:`on_the_side`)."""
    sides = np.zeros(labels.shape, bool)
    for k in chosen:
        y1, x1, y2, x2 = boxes[k]
        own = labels[y1:y2, x1:x2] == k + 1
        sides[y1:y2, x1:x2] |= own & on_the_side(own)
    return sides


def in_rows(rows, height):
    """Index groups of marks standing in one row: sorted by ``rows`` (where each
    stands), each within a tenth of a character height of the last one's (a rule may
    lean)."""
    order = np.argsort(rows, kind="stable")
    return np.split(order, np.flatnonzero(np.diff(rows[order]) > 0.1 * height) + 1)


def on_a_pitch(boxes, rows, height, least=2):
    """Which of the upright marks ``boxes`` stand at a common pitch in a row: grouped by
    ``rows`` (:func:`in_rows`), each within :data:`PITCH` of the pitch from another, the pitch
    being the distance to a nearest neighbour that most of the group keep so; at
    least ``least`` and :data:`MOST` of a group so, or none of it."""
    x = (boxes[:, 1] + boxes[:, 3]) / 2
    keep = np.zeros(len(boxes), bool)
    for group in in_rows(rows, height):
        if len(group) < least:
            continue
        apart = np.abs(x[group, None] - x[None, group])
        np.fill_diagonal(apart, np.inf)
        on = [(np.abs(apart - p) <= PITCH * p).any(1) for p in apart.min(1)]
        best = on[int(np.argmax([o.sum() for o in on]))]
        if best.sum() >= max(least, MOST * len(group)):
            keep[group[best]] = True
    return keep


def box_walls(boxes, height):
    """Which of the upright marks ``boxes`` reaching from a drawn line to another are
    the sides of boxes: in a row (by their tops) of one or two, both (a box's); in a
    longer row, those at its pitch where most are (a row of cells, where a letter as
    tall as its cell stands between sides), else all; and which are at a pitch."""
    keep = np.ones(len(boxes), bool)
    pitch = on_a_pitch(boxes, boxes[:, 0], height, least=3)
    for group in in_rows(boxes[:, 0], height):
        if pitch[group].any():
            keep[group] = pitch[group]
    return keep, pitch


def on_the_side(own):
    """The pixels of ``own`` (an upright run of ink, cut to its box) on the side it mostly
    is: in each row, the run of ink nearest the straight line through the middles of the
    thinnest rows (where the side stands alone), all of it where it is no thicker than
    those rows (a hand-drawn side wobbles), else as much of it as they are thick about
    the line (a letter's stroke touching the side keeps its ink)."""
    widths = own.sum(1)
    rows = np.flatnonzero(widths)
    thickness = np.percentile(widths[rows], 10)
    alone = rows[widths[rows] <= thickness + 1]
    if len(alone) < 2 or np.ptp(alone) == 0:
        return own
    middles = np.array([np.flatnonzero(own[y]).mean() for y in alone])
    slope, intercept = np.polyfit(alone, middles, 1)
    side = np.zeros(own.shape, bool)
    for y in rows:
        xs = np.flatnonzero(own[y])
        at = slope * y + intercept
        runs = np.split(xs, np.flatnonzero(np.diff(xs) > 1) + 1)
        run = min(runs, key=lambda r: max(r[0] - at, at - r[-1], 0))
        if len(run) <= 2 * thickness + 1:
            side[y, run] = True
        else:
            side[y, run[np.abs(run - at) <= thickness / 2 + 0.5]] = True
    return side


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


# The edge of a note or a sheet lying over another shows as a thin line a little darker
# than the paper: at least FAINT_EDGE ink darkness above the paper THIN_EDGE character
# heights to either side of it (strokes are 0.5 to 1; a note's edge over a door 0.05
# to 0.3 along its length; a shadow's soft border and a shaded area are as dark there,
# a step as dark on one side) ...
FAINT_EDGE, THIN_EDGE = 0.05, 0.125
# ... alone across (at most ALONE of the pixels twice that to either side such: not the
# grain of a dark area, whose contrast the ink map stretches), as long as a drawn line
# (LONG_LINE) and darker than that over EDGE_SHARE of its length (a faint line comes
# and goes).
ALONE, EDGE_SHARE = 0.25, 0.8


def faint_lines(ink, found, height):
    """The long straight thin lines of ``ink`` (darkness 0..1) too faint to be ink
    (not in ``found``, the ink mask, nor beside it): the edges of notes and sheets over
    one another (see :data:`FAINT_EDGE`), a barrier between what lies either side.
    Looked for at half the scale (the darkest of each 2 x 2 pixels: a thin line
    stays): a quarter of the pixels, for lines several character heights long."""
    h, w = (ink.shape[0] // 2) * 2, (ink.shape[1] // 2) * 2

    def pooled(image, join):  # of each 2 x 2 pixels
        return join(join(image[0:h:2, 0:w:2], image[1:h:2, 0:w:2]), join(image[0:h:2, 1:w:2], image[1:h:2, 1:w:2]))

    half = pooled(ink, np.maximum)
    near_ink = grown(pooled(found, np.logical_or), 3)
    aside = max(2, int(round(THIN_EDGE * height / 2)))
    long = max(3, int(round(LONG_LINE * height / 2)))
    lines = np.zeros(half.shape, bool)
    for axis in (0, 1):  # upright lines, then level ones
        across = 1 - axis
        sides = np.maximum(np.roll(half, aside, across), np.roll(half, -aside, across))
        thin = (half - sides >= FAINT_EDGE) & ~near_ink
        # (a line stands alone across: not in a field of such pixels, a shadow's grain)
        thin &= window_counts(thin, 2 * aside, 2 * aside, across) <= ALONE * (4 * aside + 1)
        # (an edge is straight, not drawn by hand: a pixel either way for a turn of a degree)
        thick = window_counts(thin, 1, 1, across) > 0
        lines |= runs_at_least(thick, long, axis, EDGE_SHARE) & thin
    out = np.zeros(ink.shape, bool)
    out[:h, :w] = lines.repeat(2, 0).repeat(2, 1)
    return out


def run_bounds(mask, axis):
    """For each pixel, the first index along ``axis`` of the run of ``mask`` that holds it
    and the index after its last (meaningless off the mask)."""
    m = np.moveaxis(mask, axis, -1)
    n = m.shape[-1]
    index = np.broadcast_to(np.arange(n), m.shape)
    # The start of each pixel's run: the last off pixel before it, + 1.
    start = np.maximum.accumulate(np.where(m, -1, index), axis=-1) + 1
    end = n - 1 - np.maximum.accumulate(np.where(m, -1, n - 1 - index)[..., ::-1], axis=-1)[..., ::-1]
    return np.moveaxis(start, -1, axis), np.moveaxis(end, -1, axis)


def run_lengths(mask, axis):
    """For each pixel of ``mask``, the length of the run of ``mask`` along ``axis`` that
    holds it (0 off the mask)."""
    start, end = run_bounds(mask, axis)
    return np.where(mask, end - start, 0)


# A mark with under this share of its ink inside the boxes whose outline it touches lies
# outside them: a connector or an arrow from one box to another (a letter touching its
# box's side from inside has all its ink inside).
INSIDE = 0.5
# A box encloses at least a square this many character heights wide (a letter; a gap
# between strokes crossed by a long line encloses less).
BOX_HOLDS = 0.5
# A mark this many character heights from a box's outline touches it (taking the side
# out took the band of pixels along it, a stroke wide).
TOUCHING = 0.1
# A mark touching what was taken out at places this many character heights apart joins
# them (a letter touching a box or a line from outside touches it at a stroke's end, or
# along its foot or its side: under a height).
JOIN_SPAN = 1.0


def grown(mask, size):
    """``mask`` dilated by a ``size`` x ``size`` square (``size`` odd): a pixel is set
    where the mask has pixels within ``size // 2`` of it along its row, then its column
    (:func:`window_counts`: the same pixels as a morphological dilation, in time
    independent of ``size``)."""
    for axis in (1, 0):
        mask = window_counts(mask, size // 2, size // 2, axis) > 0
    return mask


def holes(mask, least=0):
    """The pixels of ``~mask`` enclosed by ``mask`` (4-connected regions of it that do
    not reach the image's edge), in holes of at least ``least`` pixels."""
    labels, count = ndi.label(~mask)
    edge = on_the_frame(labels)
    enclosed = np.bincount(labels.ravel(), minlength=count + 1) >= least
    enclosed[edge] = False
    enclosed[0] = False
    return enclosed[labels]


def without_connectors(binary, removed, height):
    """``binary`` less the marks joining drawn boxes: marks that reach from the outline
    of a box taken out (``removed``: the structure taken out of the ink, where it
    encloses paper) to another piece of what was taken out (another box, a long line),
    within TOUCHING character heights (``height``) of each, or to places of it JOIN_SPAN
    heights apart, with under INSIDE of their ink inside the boxes: arrows and
    connectors, which leave a box's side outwards for another. A letter in its box,
    touching the side or not, stays; so does one touching a box or a line from outside
    (at one piece, within a height), or standing on an underline or a comb (they
    enclose nothing)."""
    if not removed.any():
        return binary
    reach = 2 * int(TOUCHING * height) + 1  # (a square this wide about a pixel)
    close = grown(removed, reach)  # (within reach of what was taken out)
    # (the gaps a letter's strokes crossing a side left in it closed: a stroke wide)
    inside = holes(close, (BOX_HOLDS * height) ** 2)
    if not inside.any():
        return binary
    # The pieces of what was taken out; the outlines: those beside the paper they enclose.
    pieces, count = ndi.label(removed, structure=np.ones((3, 3)))
    around = np.unique(pieces[grown(inside, reach + 2) & removed])
    outlines = np.isin(pieces, around[around > 0])
    labels, boxes, areas = components(binary)
    touching = np.unique(labels[grown(outlines, reach) & binary])
    touching = touching[touching > 0]
    if not len(touching):
        return binary
    within = np.bincount(labels[inside], minlength=len(areas) + 1)[1:]
    touching = touching[within[touching - 1] < INSIDE * areas[touching - 1]]
    # Where each touches what was taken out: the pieces there, and how far apart.
    r = reach // 2
    ys, xs = np.nonzero(np.isin(labels, touching) & close)
    mark = labels[ys, xs]
    padded = np.pad(pieces, r)
    near = np.stack([padded[ys + r + dy, xs + r + dx] for dy in range(-r, r + 1) for dx in range(-r, r + 1)], 1)
    low = np.where(near > 0, near, count + 1).min(1)
    high = near.max(1)
    n = len(areas) + 1
    lowest, highest = np.full(n, count + 1), np.zeros(n, np.int64)
    np.minimum.at(lowest, mark, low)
    np.maximum.at(highest, mark, high)
    extent = np.zeros((4, n))
    extent[:2] = np.inf
    for row, values, reduce in ((0, ys, np.minimum), (1, xs, np.minimum), (2, ys, np.maximum), (3, xs, np.maximum)):
        reduce.at(extent[row], mark, values)
    span = np.maximum(extent[2] - extent[0], extent[3] - extent[1])[touching]
    outside = touching[(highest[touching] > lowest[touching]) | (span >= JOIN_SPAN * height)]
    return binary & ~np.isin(labels, outside)
