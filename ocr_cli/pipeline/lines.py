"""Lines, each with its own direction, and blocks of lines, in reading order.

    marks (boxes) -> lines followed mark by mark from left to right, each line predicting
    where its next mark sits from its own direction -> a tilted line takes back the
    marks it set off from, left at a level line's end -> each line's direction and
    height fitted -> blocks: lines close above one another -> reading order: blocks top to
    bottom (those beside each other left to right), lines top to bottom in a block, marks
    along their line

All lengths are in character heights: the page's (``height``), or each line's own.
"""

import numpy as np

# A line is taken as at least this share of the page's character height tall when its
# marks are shorter (the pieces of faint, broken letters), small print beside large
# still keeping lines of its own (its line pitch is over twice this).
LEAST_HEIGHT = 0.8
# A mark joins a line when its centre lies within this share of the line's height of
# where the line predicts it (half the gap between two lines: 0.6 of a height) ...
ON_LINE = 0.6
# ... and its ink begins at most this many heights after the line's last mark ends:
# wider than a word gap written with wide letter spacing (about 2.6 heights), narrower
# than the space between two notes or columns.
LONGEST_GAP = 3.0
# A mark shorter than this share of its line's height (a comma's tail hanging below
# the line, a piece of a broken letter) joins the line without moving its direction or
# height: a comma after a word tilted the line down, and the next word began a line of
# its own.
FIT_SHARE = 0.7
# A line of one mark may set off in any direction up to this steep (degrees): a number
# written along a diagonal; the next line of a page lies steeper than this from any of
# its marks (a line pitch of 1.6 heights against letters 1.2 heights apart) ...
STEEPEST = 40.0
# ... unless the mark, or the one it would join, has a level neighbour to its right within
# this many heights: a word's letters have, and their line is level (a line below that starts further
# right would otherwise be taken for a diagonal).
LEVEL_REACH = 6.0
# A surface over this share of the page's written area orders nothing (a wall, a board).
SURFACE_SHARE = 0.5
# Two lines are of one block when the gap between them is at most this many heights
# (a line pitch of 1.6-2 heights leaves gaps of 0.6-1, a widely spaced list up to 2) and
# they overlap across.
BLOCK_GAP = 2.0


def centres(boxes):
    return (boxes[:, 1] + boxes[:, 3]) / 2, (boxes[:, 0] + boxes[:, 2]) / 2


def follow_lines(boxes, height, apart=None):
    """Line index per box ``(n, 4)``: boxes are taken left to right, each joining the
    line that predicts its centre best (within :data:`ON_LINE` of that line's height,
    the line's own direction fitted through its marks so far; a line of one mark
    reaches for one up to :data:`STEEPEST` degrees off level), else starting a new
    line. ``apart(i, j)``, if given, says whether boxes ``i`` and ``j`` may not share a
    line (they lie in different regions)."""
    n = len(boxes)
    line = np.full(n, -1)
    if not n:
        return line
    cx, cy = centres(boxes)
    heights = np.maximum(boxes[:, 2] - boxes[:, 0], 1)
    level = level_neighbours(boxes, height)
    # Per line: sums for the least-squares fit cy = a + b cx, its last mark, its height.
    sx, sy, sxx, sxy, count, last, tall = [], [], [], [], [], [], []
    steep = np.tan(np.deg2rad(STEEPEST))
    for i in np.argsort(boxes[:, 1], kind="stable"):
        if not count:
            best = -1
        else:
            cnt = np.array(count, np.float64)
            # A line's height: its marks', but no less than most of the page's (a line
            # begun by pieces of a broken letter must still reach the rest).
            h = np.maximum(np.array(tall, np.float64) / cnt, LEAST_HEIGHT * height)
            lx = np.array(last)
            gap = (boxes[i, 1] - boxes[lx, 3]) / h
            mean_x, mean_y = np.array(sx) / cnt, np.array(sy) / cnt
            var = np.array(sxx) / cnt - mean_x ** 2
            slope = np.where(var > 1e-9, (np.array(sxy) / cnt - mean_x * mean_y) / np.maximum(var, 1e-9), 0.0)
            predicted = mean_y + slope * (cx[i] - mean_x)
            off = np.abs(cy[i] - predicted) / h
            dx = np.abs(cx[i] - cx[lx])
            # A line of one lone mark reaches in any direction up to STEEPEST, but not
            # for a mark with a level neighbour (a word's letter is no step of a diagonal
            # begun by a speck beside it).
            single = (cnt == 1) & ~level[lx] & ~level[i]
            off = np.where(single, np.maximum(np.abs(cy[i] - cy[lx]) - steep * dx, 0) / h, off)
            fits = (off < ON_LINE) & (gap < LONGEST_GAP) & (boxes[lx, 1] <= cx[i])
            score = np.where(fits, off + 0.1 * np.maximum(gap, 0) + np.where(single, np.abs(cy[i] - cy[lx]) / (h * 10), 0),
                             np.inf)
            best = -1
            for k in np.argsort(score, kind="stable")[:int(fits.sum())]:
                if apart is None or not apart(i, lx[k]):
                    best = int(k)
                    break
        if best < 0:
            sx.append(0.0), sy.append(0.0), sxx.append(0.0), sxy.append(0.0), count.append(0), last.append(i)
            tall.append(0.0)
            best = len(count) - 1
        line[i] = best
        last[best] = i
        if count[best] and heights[i] < FIT_SHARE * tall[best] / count[best]:
            continue  # (a comma's tail or a broken stroke: the line's direction is its letters')
        sx[best] += cx[i]
        sy[best] += cy[i]
        sxx[best] += cx[i] ** 2
        sxy[best] += cx[i] * cy[i]
        count[best] += 1
        tall[best] += heights[i]
    return line


# A line that sets off on a diagonal past the end of a level one may have left its
# first marks to the level line (they stand level with its end), or its first mark alone
# (its first step steeper than a lone mark may reach): marks at the end of a line after
# a gap of more than TAIL_GAP heights, and lines of a mark or two, on the extension of a
# line at least TILTED degrees off level that begins right after them, are that line's.
TAIL_GAP, TILTED = 1.2, 10.0


def reclaimed(boxes, line, apart=None):
    """``line`` (an index per box) with the tails of lines given to the tilted lines they
    lead into (:data:`TAIL_GAP`), unless ``apart(i, j)`` says the two may not share a line."""
    line = line.copy()
    cx, cy = centres(boxes)
    numbers, counts = np.unique(line, return_counts=True)
    for d in numbers[counts >= 3]:
        members = np.flatnonzero(line == d)
        slope, intercept, h = fit_line(boxes[members])
        if abs(slope) < np.tan(np.deg2rad(TILTED)):
            continue
        first = members[np.argmin(boxes[members, 1])]
        for k in np.unique(line):
            if k == d:
                continue
            own = np.flatnonzero(line == k)
            own = own[np.argsort(boxes[own, 1], kind="stable")]
            if len(own) < 3:  # a line of a mark or two: the first step of a diagonal, too steep to take
                tail = own
                # before the line's first mark along its direction (a steep line's marks overlap in x)
                along = (cx[members] + slope * cy[members]).min() - (cx[tail] + slope * cy[tail])
                along /= np.hypot(1.0, slope) * h
                before = (along > 0).all() and along.max() < LONGEST_GAP
            else:  # the marks after the line's last wide gap, if they are not all but its first
                gaps = (boxes[own[1:], 1] - boxes[own[:-1], 3]) / h
                wide = np.flatnonzero(gaps > TAIL_GAP)
                tail = own[wide[-1] + 1:] if len(wide) else own
                if len(tail) >= len(own) - 1:
                    continue
                lead = (boxes[first, 1] - boxes[tail, 3].max()) / h
                before = -ON_LINE < lead < LONGEST_GAP
            off = np.abs(cy[tail] - (intercept + slope * cx[tail])) / h
            if (off < ON_LINE).all() and before and (apart is None or not any(apart(i, first) for i in tail)):
                line[tail] = d
    return np.unique(line, return_inverse=True)[1].reshape(-1)


def level_neighbours(boxes, height):
    """Whether each box has another to its right within :data:`LEVEL_REACH` heights
    whose centre is level with its own (within :data:`ON_LINE` of a height)."""
    cx, cy = centres(boxes)
    order = np.argsort(cx, kind="stable")
    out = np.zeros(len(boxes), bool)
    ends = np.searchsorted(cx[order], cx[order] + LEVEL_REACH * height, side="right")
    for rank, i in enumerate(order):
        others = order[rank + 1:ends[rank]]
        out[i] = bool((np.abs(cy[others] - cy[i]) < ON_LINE * height).any())
    return out


def barrier_between(barrier, a, b, least):
    """Whether the drawn lines ``barrier`` (a mask) hold at least ``least`` pixels in
    the space between boxes ``a`` and ``b`` ``[y1, x1, y2, x2]``: the rectangle from one
    to the other across the gap between them, over the middle half of the side they
    face each other (a comb's line or a rule under letters that stand on it or dip
    through it runs along the gap at their feet: it parts nothing)."""
    ya1, ya2 = max(a[0], b[0]), min(a[2], b[2])  # rows both span (a gap beside each other)
    xa1, xa2 = max(a[1], b[1]), min(a[3], b[3])  # columns both span (a gap above each other)
    if ya2 > ya1:  # beside each other: the columns between them
        x1, x2 = sorted((min(a[3], b[3]), max(a[1], b[1])))
        quarter = (ya2 - ya1) // 4
        region = barrier[ya1 + quarter:ya2 - quarter, x1:x2]
    elif xa2 > xa1:  # above each other: the rows between them
        y1, y2 = sorted((min(a[2], b[2]), max(a[0], b[0])))
        quarter = (xa2 - xa1) // 4
        region = barrier[y1:y2, xa1 + quarter:xa2 - quarter]
    else:  # diagonal: the rectangle between their nearest corners
        y1, y2 = sorted((min(a[2], b[2]), max(a[0], b[0])))
        x1, x2 = sorted((min(a[3], b[3]), max(a[1], b[1])))
        region = barrier[y1:y2, x1:x2]
    return int(region.sum()) >= least


def fit_line(boxes):
    """``(slope, intercept, height)`` of a line of boxes ``(n, 4)``: centres' least
    squares ``cy = intercept + slope * cx`` and the median box height."""
    cx, cy = centres(boxes)
    height = float(np.median(boxes[:, 2] - boxes[:, 0]))
    if len(boxes) < 2 or np.ptp(cx) < 1e-6:
        return 0.0, float(cy.mean()), height
    slope, intercept = np.polyfit(cx, cy, 1)
    return float(slope), float(intercept), height


def group_blocks(boxes, line, apart=None):
    """Block index per line (``line``: line index per box): lines whose boxes lie less
    than :data:`BLOCK_GAP` of the larger line height apart across, and overlap along,
    are of one block (unless ``apart(i, j)`` says boxes of theirs lie in different
    regions)."""
    n_lines = int(line.max()) + 1 if len(line) else 0
    parent = np.arange(n_lines)

    def root(k):
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    extent = np.array([[boxes[line == k, 0].min(), boxes[line == k, 1].min(), boxes[line == k, 2].max(),
                        boxes[line == k, 3].max()] for k in range(n_lines)]).reshape(-1, 4)
    heights = np.array([np.median(boxes[line == k, 2] - boxes[line == k, 0]) for k in range(n_lines)])
    first = [int(np.flatnonzero(line == k)[0]) for k in range(n_lines)]
    for a in range(n_lines):
        for b in range(a + 1, n_lines):
            gap = max(extent[a, 0], extent[b, 0]) - min(extent[a, 2], extent[b, 2])
            overlap = min(extent[a, 3], extent[b, 3]) - max(extent[a, 1], extent[b, 1])
            if gap < BLOCK_GAP * max(heights[a], heights[b]) and overlap > 0:
                if apart is None or not apart(first[a], first[b]):
                    parent[root(a)] = root(b)
    roots = np.array([root(k) for k in range(n_lines)])
    return np.unique(roots, return_inverse=True)[1].reshape(-1)


def in_rows(top, tall, left):
    """The rank in reading of each of several things by their ``top``, ``tall`` (how far
    below its top another may begin and share its row) and ``left``: rows top to bottom,
    a thing starting a new row unless its top lies within the tall of the row's first,
    each row left to right. Things alike in all three share a rank."""
    _, first, keys = np.unique(np.column_stack([top, tall, left]), axis=0, return_index=True, return_inverse=True)
    t, h, x = top[first], tall[first], left[first]
    row = np.zeros(len(first), np.int64)
    rows, row_top, row_height = 0, None, None
    for k in np.argsort(t, kind="stable"):
        if row_top is None or t[k] > row_top + row_height:
            rows, row_top, row_height = rows + 1, t[k], h[k]
        row[k] = rows - 1
    return np.argsort(np.lexsort((x, row)))[keys.reshape(-1)]


def reading_order(boxes, line, block, surface=None):
    """The order of the boxes in reading: blocks top to bottom (a block whose top lies
    within the first line of another's beside it: left to right), lines top to bottom
    in a block, boxes along their line; and the line and block numbers renumbered in
    that order. With ``surface`` ``(n, 4)`` (the box of the surface each box lies on: a
    note, a sheet), blocks are read surface by surface, surfaces in rows the same way.
    Returns ``(order, line, block)``."""
    if not len(boxes):
        return np.zeros(0, np.int64), line, block
    n_lines = int(line.max()) + 1
    cx, cy = centres(boxes)
    line_top = np.array([boxes[line == k, 0].min() for k in range(n_lines)])
    line_left = np.array([boxes[line == k, 1].min() for k in range(n_lines)])
    line_height = np.array([np.median(boxes[line == k, 2] - boxes[line == k, 0]) for k in range(n_lines)])
    block_of_line = np.array([block[np.flatnonzero(line == k)[0]] for k in range(n_lines)])
    n_blocks = int(block_of_line.max()) + 1
    top = np.array([line_top[block_of_line == b].min() for b in range(n_blocks)])
    left = np.array([line_left[block_of_line == b].min() for b in range(n_blocks)])
    tall = np.array([line_height[block_of_line == b].max() for b in range(n_blocks)])
    # Each block is read in its place: on a note (a surface of its own), the note's place
    # on the wall first, then the block's place on the note.
    unit_top, unit_left, unit_tall = top, left, tall
    if surface is not None:
        first = [np.flatnonzero(block == b)[0] for b in range(n_blocks)]
        own = surface[first]
        # A surface that spreads over most of the page (a wall, a board, the page
        # itself) orders nothing: its blocks go by their own place.
        area = (own[:, 2] - own[:, 0]) * (own[:, 3] - own[:, 1])
        page = (boxes[:, 2].max() - boxes[:, 0].min()) * (boxes[:, 3].max() - boxes[:, 1].min())
        note = area < SURFACE_SHARE * max(page, 1)
        unit_top = np.where(note, own[:, 0], top)
        unit_left = np.where(note, own[:, 1], left)
        unit_tall = np.where(note, 0.5 * (own[:, 2] - own[:, 0]), tall)
    unit = in_rows(unit_top, unit_tall, unit_left)
    within = np.zeros(n_blocks, np.int64)
    for u in np.unique(unit):
        on = unit == u
        within[on] = in_rows(top[on], tall[on], left[on])
    block_rank = np.argsort(np.lexsort((within, unit)))
    line_rank = np.argsort(np.lexsort((line_top, block_rank[block_of_line])))
    order = np.lexsort((cx, line_rank[line]))
    return order, line_rank[line][order], block_rank[block][order]
