"""Segmentation proposes, recognition decides: the lattice of each line.

Ink cannot tell two letters that touch from one wide letter, a letter broken in two
from two narrow ones, a speck from a period. So the marks of each line become atoms,
and every way of reading the atoms is scored by the network:

    1. atoms: the line's marks in order along it, a mark wider than a letter cut at its
       thinnest columns into pieces (:func:`cut_wide`)
    2. candidates: each atom alone, and runs of up to MOST_ATOMS neighbouring atoms
       that could be one character (close, together no larger than a letter, one of
       them doubtful: narrow, short, stacked or cut from the same mark)
    3. the crops of every candidate of the page, classified in one batch
    4. per line, the best path through its atoms (dynamic programming): a character
       scores the log-probability of its best class less CHARACTER_COST; an atom the
       network calls "not a character" is left out at the log-probability of that; a
       small mark may be punctuation (by size, shape and place on the line,
       :func:`punctuation`) or a speck
    5. words: the line's gaps between what was read, split where they are clearly
       wider than its own letter gaps (:func:`word_breaks`); with a word list, a word
       read as letters that is no word is read again the best other way through its
       atoms that makes one, if that scores better with the word (:func:`in_words`)
"""

from collections import Counter

import numpy as np

from ocr_cli.errors import OcrError
from ocr_cli.layout import NOT_A_CHARACTER, PAPER, PIXELS, characters_only, stroke_width
from ocr_cli.pipeline.context import kind_scores, pool_look_alikes, word_kinds
from ocr_cli.pipeline.crop import crop
from ocr_cli.pipeline.records import Characters

# Log-probability charged per character read: a reading with more characters must be
# that much likelier per extra character (two halves read as two letters need both
# confident; two confident letters merged into one need the merged crop almost as
# confident as both together).
CHARACTER_COST = 0.2
# With a word list, each word's atoms are read again: of their K_BEST best readings, the
# one whose segmentation and word score best together (letters that touch, read as one
# wide letter in a string that is no word, read apart where that makes a word).
K_BEST = 8
# ... where both readings have at least WORD_LETTERS characters: the word list holds 42% of
# all two-letter strings and 6% of three-letter ones, but under 1% of four-letter ones,
# so that only a longer string being a word says it was written.
WORD_LETTERS = 4
# Runs of at most this many atoms are tried as one character (a letter broken in three,
# or cut into three pieces).
MOST_ATOMS = 3
# A run of atoms may be one character when together they are at most this many line
# heights wide and tall (a broad M or W is 1.3 wide) ...
WIDEST, TALLEST = 1.5, 1.8
# ... each begins at most this far (line heights) after the one before ends ...
CLOSE = 0.15
# ... and one of them is doubtful: narrower than NARROW of the line height (the halves of
# an H, a U, an N), shorter than SHORT of it (a piece a dry pen broke off), or stacked
# over another (overlapping it by half the narrower one's width).
NARROW, SHORT = 0.5, 0.75
# A mark wider than this many line heights may be letters that touch: it is cut at the
# columns where its own ink is thin (local minima of its column profile holding at most
# TWO_STROKES of its stroke width: letters touch by a stroke, or overlap by two where
# one leans over the other), no piece narrower than PIECE line heights (a sliver of an
# M reads as an I), no two cuts closer than that. The lattice reads the whole mark
# too, so a wide M cut in three is read whole unless its pieces read much better.
CUT_WIDTH, TWO_STROKES, PIECE = 1.2, 3.0, 0.4
# A character wider than WIDE_ONE line heights is unlikely (the broadest M or W are 1.5):
# each height more costs WIDE_COST, so a mark of three digits that touch is not read
# as one broad letter. And a character is drawn no wider than its class is in the
# training data (the model's ``widest``: width over its own height, an 8 1.25): each
# height wider costs that class WIDE_COST too, so two digits that touch are not read
# as one 8.
WIDE_ONE, WIDE_COST = 1.8, 3.0
# A character at most this share of its line's height tall is a fragment unless the
# network is very sure of it: capitals and digits stand as tall as the line (within
# 15%); a piece a dry pen broke off, or a cut's end, does not. It costs FRAGMENT_COST.
FRAGMENT, FRAGMENT_COST = 0.65, 1.5
# Log-probability charged for each extra character read out of one connected mark: most
# marks are one character (letters touch on a few percent of marks in most hands), so
# the halves of a W read as 6 and V must be much likelier together than the W. So for
# a character beginning before the ink before it ends (pieces overlapping in columns).
SPLIT_COST = 0.5
# A mark under SMALL of the line's height (and under a height across) is small: it
# may be punctuation or a speck, not a character on its own; at the end of a run it
# joins the run only if it touches the next atom within SPECK_TOUCH heights (a broken
# stroke's piece does; a period after a digit sits further).
SMALL, SPECK_TOUCH = 0.45, 0.1
# A mark beginning in the lowest HANGS of the line and reaching over BELOW of its height
# under its foot hangs below it (a comma), whatever its length: no character standing on
# the line.
HANGS, BELOW = 0.25, 0.1
# Leaving out an atom the network calls "not a character" costs this (nats) beyond that
# call's log-probability: a real letter dropped is worse than a piece of clutter read
# (a model fine-tuned with that output read the sample pages 95.93% at no cost, 97.52%
# at 1 and at 2; cluttered stress pages 89.7%, 87.4%, 85.8%: models/README.md).
JUNK_COST = 1.0
# The log-probability of leaving a small mark out as a speck: above that of a doubtful
# punctuation mark, below that of a clear one.
SPECK = np.log(0.3)
# A mark taller than TALLER times the line's height about it and under THIN of its own
# height wide is a piece of a drawn line (a box's side where the hand wandered, a
# connector), not a 1 or an I, which stand as tall as the line: it may be left out at
# the log-probability LINE_PIECE.
TALLER, THIN, LINE_PIECE = 1.4, 0.3, np.log(0.8)
# The punctuation marks read, and the place on the line (0 the top of its capitals, 1
# their foot) of each: a period and a comma at the foot, a hyphen in the middle, an
# apostrophe at the top; a colon is two dots, one above the other; a slash a long
# thin stroke leaning right; a question mark and an exclamation mark a hook or a
# stroke from the top over a dot at the foot.
PUNCTUATION = ".,:-'/?!"


def cut_wide(working, box, members, height):
    """Cut columns (absolute) of a mark wider than :data:`CUT_WIDTH` line heights: the
    local minima of its column profile in its middle (PIECE heights in from either
    end), valleys at least a stroke deep, the thinnest first, PIECE heights apart at
    least."""
    y1, x1, y2, x2 = box
    width = x2 - x1
    if width < CUT_WIDTH * height:
        return []
    own = np.isin(working.labels[y1:y2, x1:x2], members)
    profile = own.sum(0).astype(np.float64)
    stroke = max(stroke_width(own), 1.0)
    margin = max(2, int(PIECE * height))
    inner = np.arange(margin, width - margin)
    if not len(inner):
        return []
    left, right = np.roll(profile, 1), np.roll(profile, -1)
    # A valley: columns with a stroke's more ink on both sides (not the slope of a
    # round letter's end, nor a flat stretch of one).
    rising = np.minimum(np.maximum.accumulate(profile)[inner], np.maximum.accumulate(profile[::-1])[::-1][inner])
    minima = inner[(profile[inner] <= left[inner]) & (profile[inner] <= right[inner])
                   & (profile[inner] <= TWO_STROKES * stroke) & (rising - profile[inner] >= stroke)]
    cuts = []
    for c in minima[np.argsort(profile[minima], kind="stable")]:
        if all(abs(c - other) >= PIECE * height for other in cuts):
            cuts.append(int(c))
    return sorted(x1 + c for c in cuts)


def relabel_pieces(working, box, members, cuts):
    """Gives each piece of a mark cut at columns ``cuts`` a label of its own in
    ``working.labels`` (the first keeps the mark's); returns the pieces' ``(box, [label])``."""
    y1, x1, y2, x2 = box
    labels = working.labels
    edges = [x1, *cuts, x2]
    pieces, fresh = [], int(labels.max()) + 1
    region = labels[y1:y2, x1:x2]
    own = np.isin(region, members)
    for k, (a, b) in enumerate(zip(edges[:-1], edges[1:])):
        part = np.zeros_like(own)
        part[:, a - x1:b - x1] = own[:, a - x1:b - x1]
        ys, xs = np.nonzero(part)
        if not len(ys):
            continue
        label = members[0] if k == 0 else fresh
        if k:
            region[part] = fresh
            fresh += 1
        pieces.append(([y1 + ys.min(), x1 + xs.min(), y1 + ys.max() + 1, x1 + xs.max() + 1], [label]))
    return pieces


def union(boxes):
    boxes = np.asarray(boxes)
    return [boxes[:, 0].min(), boxes[:, 1].min(), boxes[:, 2].max(), boxes[:, 3].max()]


def spans(boxes, cut_from, heights):
    """The runs ``(i, j)`` of neighbouring atoms (``boxes (n, 4)`` in order along the
    line, ``heights (n,)`` the line's height about each) to try as one character: each
    atom alone, each mark whole (all the pieces cut from it, ``cut_from (n,)`` naming
    the mark of each atom), and longer runs as the module's docstring says."""
    n = len(boxes)
    out = {(i, i + 1) for i in range(n)}
    for mark in set(cut_from):
        pieces = np.flatnonzero(cut_from == mark)
        out.add((int(pieces.min()), int(pieces.max()) + 1))
    w, h = boxes[:, 3] - boxes[:, 1], boxes[:, 2] - boxes[:, 0]
    for i in range(n):
        for j in range(i + 2, min(n, i + MOST_ATOMS) + 1):
            run, height = boxes[i:j], heights[i:j].max()
            if run[:, 3].max() - run[:, 1].min() > WIDEST * height or run[:, 2].max() - run[:, 0].min() > TALLEST * height:
                break
            gaps = run[1:, 1] - np.maximum.accumulate(run[:-1, 3])
            if (gaps > CLOSE * height).any():
                break
            narrower = np.minimum(w[i:j - 1], w[i + 1:j])
            stacked = (-gaps >= 0.5 * narrower).any()
            doubtful = ((w[i:j] < NARROW * height) | (h[i:j] < SHORT * height)).any()
            apart_small = (h[[i, j - 1]] < SMALL * height).any() and (gaps > SPECK_TOUCH * height).any()
            if (doubtful or stacked or len(set(cut_from[i:j])) == 1) and not apart_small:
                out.add((i, j))
    return sorted(out)


# A period or a comma ends a word or a number's part: the ink after it begins at least
# this many heights away (a speck or a broken stroke inside a letter sits closer; a
# decimal point sits a stroke or two from the next digit, 0.05 of a height and more).
AFTER_STOP = 0.03
# A hyphen is at most this share of its length tall (a marker's stroke a third of a
# short hyphen's length, its slope a tenth).
HYPHEN_FLAT = 0.4
# A dot (of a period, a colon) is at most this share of the line's height either way:
# a pen's dot is a stroke or two wide.
DOT = 0.25


def punctuation(box, line_top, line_foot, height, before, after):
    """``(mark, likelihood)`` of a small mark in ``box`` on a line whose capitals run
    from ``line_top`` to ``line_foot`` (at the mark) and are ``height`` tall, with ink
    ``before`` and ``after`` it that many pixels away (None at the line's ends): the
    punctuation its size, shape and place make most likely, or ``(None, 0)``. Nothing
    opens a line."""
    y1, x1, y2, x2 = box
    h, w = y2 - y1, x2 - x1
    place = ((y1 + y2) / 2 - line_top) / max(line_foot - line_top, 1)  # 0 top .. 1 foot
    if before is None:
        return None, 0.0
    # (a hyphen's bar, a stroke thick, may slope: flat for its length rather than thin)
    if w >= 0.25 * height and h <= HYPHEN_FLAT * w and 0.3 <= place <= 0.75 and w <= 0.9 * height:
        return "-", 0.8
    if (h > SMALL * height and not hanging(box, line_foot, height)) or w > SMALL * height:  # (a comma's tail may be long)
        return None, 0.0
    if place >= 0.7 and (after is None or after >= AFTER_STOP * height):
        below = y2 > line_foot + BELOW * height
        # (a comma's tail makes it taller than wide, or taller than a dot)
        if below and (h > 1.2 * w or (h >= w and h > DOT * height)):
            return ",", 0.7
        if h <= DOT * height and w <= DOT * height:
            return ".", 0.7
    if place <= 0.35 and h >= w:
        return "'", 0.6
    return None, 0.0


def hanging(box, line_foot, height):
    """Whether a mark's ``box`` begins in the lowest HANGS of a line ``height`` tall
    whose capitals stand on ``line_foot`` and reaches below it: a comma, however long
    its tail."""
    return box[0] >= line_foot - HANGS * height and box[2] > line_foot + BELOW * height


def is_dot(box, height, most=DOT):
    """Whether ``box`` is a dot on a line ``height`` tall: at most ``most`` of the height
    either way, neither side more than twice the other."""
    h, w = box[2] - box[0], box[3] - box[1]
    return h <= most * height and w <= most * height and max(h, w) <= 2 * max(min(h, w), 1)


def is_colon(upper, lower, line_top, line_foot, height):
    """Whether two small marks make a colon: dots of about a stroke (:func:`is_dot`),
    one above the other (their columns overlapping) with paper between them at least
    half as tall as a dot, the lower at the foot of the line, the upper near its middle.
    (The two arcs of a broken O are wider, and close together.)"""
    aligned = min(upper[3], lower[3]) - max(upper[1], lower[1]) > 0
    apart = lower[0] - upper[2] >= 0.5 * max(upper[2] - upper[0], lower[2] - lower[0])
    span = line_foot - line_top
    return is_dot(upper, height) and is_dot(lower, height) and aligned and apart \
        and (lower[0] + lower[2]) / 2 >= line_top + 0.6 * span \
        and line_top + 0.2 * span <= (upper[0] + upper[2]) / 2 <= line_top + 0.7 * span


# The likelihood of a mark over a dot being ! or ?: above any character's (nothing else
# stands over a dot of its own), so the pair is not read as a 1, an I, a 7 or a 2.
STOP_MARK = 0.95
# A mark over a dot is an exclamation mark when it is at most EXCLAMATION_WIDTH of its
# own height wide (a stroke), a question mark when at most QUESTION_WIDTH (a hook, as
# wide as it stands above the dot); a wider one is no such mark.
EXCLAMATION_WIDTH, QUESTION_WIDTH = 0.35, 1.2
# The dot under them may be larger than a period's (DOT): a pen pressed on the dot, a
# stroke and a half across; the mark over it says what it is.
STOP_DOT = 0.35


def over_a_dot(upper, lower, line_top, line_foot, height):
    """``"?"`` or ``"!"`` where mark ``upper`` stands over the dot ``lower`` as those
    marks do, else None: the dot (:func:`is_dot`, at most STOP_DOT of the height) at the
    line's foot, under the upper mark's columns, with paper between them; the upper mark
    from near the line's top down to above the dot, short of the line's foot. No capital
    or digit has a dot of its own under it (a lower-case i or j has one over it)."""
    span = line_foot - line_top
    uh, dw = upper[2] - upper[0], lower[3] - lower[1]
    dot = is_dot(lower, height, STOP_DOT)
    under = upper[1] - dw <= (lower[1] + lower[3]) / 2 <= upper[3] + dw
    apart = lower[0] > upper[2]
    at_foot = line_top + 0.75 * span <= (lower[0] + lower[2]) / 2 <= line_foot + 0.25 * span
    # (a letter standing on the line with a speck under it reaches the foot)
    from_top = upper[0] <= line_top + 0.3 * span and uh >= 0.4 * span and upper[2] <= line_foot - 0.1 * span
    uw = upper[3] - upper[1]
    if not (dot and under and apart and at_foot and from_top) or uw > QUESTION_WIDTH * uh:
        return None
    return "!" if uw <= EXCLAMATION_WIDTH * uh else "?"


# A slash leans this many degrees from upright and more; a hand-written 1 or I leans
# less (up to 20 in the training data), so the likelihood grows from LEAN[0] to LEAN[1].
LEAN = (20.0, 35.0)


def slash(working, box, members, height):
    """The likelihood that a mark is a slash: tall as a letter, thin, its ink along one
    straight line leaning right (:data:`LEAN`); 0 for any other."""
    y1, x1, y2, x2 = box
    h, w = y2 - y1, x2 - x1
    if not (0.6 * height <= h <= 1.4 * height and 0.3 * h <= w <= 0.8 * h):
        return 0.0
    ys, xs = np.nonzero(np.isin(working.labels[y1:y2, x1:x2], members))
    if len(xs) < 3:
        return 0.0
    slope, intercept = np.polyfit(ys, xs, 1)  # x as a function of y: a slash's x falls as y grows
    if slope >= 0 or np.abs(xs - np.polyval([slope, intercept], ys)).mean() > 0.1 * h:
        return 0.0
    lean = np.degrees(np.arctan(-slope))  # from upright
    return 0.9 * float(np.clip((lean - LEAN[0]) / (LEAN[1] - LEAN[0]), 0, 1))


def splits_a_mark(boxes, cut_from, i):
    """Whether a character beginning at atom ``i`` (of ``boxes (n, 4)`` along the line,
    ``cut_from`` naming the mark of each) splits a mark: its atom is cut from the one
    before's, or it begins before the ink before it ends (atoms whose columns overlap:
    the pieces of a letter a pale pen broke, more often than two letters)."""
    return i > 0 and (cut_from[i - 1] == cut_from[i] or boxes[i, 1] < boxes[:i, 3].max())


def best_path(n, options):
    """The best reading of ``n`` atoms: ``options[i]``, the ways to read from atom ``i``
    on, as ``(score, next atom, what)``; returns the ``what`` of the best path's steps."""
    return [what for _, _, _, what in best_paths(n, options, 1)[0][1]]


def best_paths(n, options, k):
    """The ``k`` best readings of ``n`` atoms (``options`` as :func:`best_path`'s), best
    first: ``(score, steps)``, each step ``(i, j, score, what)`` reading atoms ``i`` to
    ``j``. (Each atom keeps the ``k`` best ways to reach it.)"""
    reach = [[] for _ in range(n + 1)]  # per atom: (score, (atom before, its way), step)
    reach[0] = [(0.0, None, None)]
    for i in range(n):
        reach[i] = sorted(reach[i], key=lambda way: -way[0])[:k]
        for s, j, what in options[i]:
            reach[j] += [(score + s, (i, w), (i, j, s, what)) for w, (score, _, _) in enumerate(reach[i])]
    out = []
    for score, back, step in sorted(reach[n], key=lambda way: -way[0])[:k]:
        steps = []
        while back is not None:
            steps.append(step)
            i, w = back
            _, back, step = reach[i][w]
        out.append((score, steps[::-1]))
    return out


def word_threshold(gaps):
    """The gap above which a gap separates words, from gaps ``(n,)`` in character
    heights. Otsu's split divides them into two groups; it is kept only if two normal
    groups explain the gaps better than one by the Bayesian information criterion
    and the narrow group is the larger, otherwise ``inf``: no word breaks (evenly
    spaced letters give one broad group)."""
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
    # Most gaps are between the letters of a word (a line of single letters is evenly
    # spaced: one group); more wide gaps than narrow ones are a line spaced unevenly.
    return float((low.max() + high.min()) / 2) if two < one and len(low) >= len(high) else np.inf


# A line's own gaps decide its words when it has at least this many; a shorter line
# takes the page's threshold.
OWN_GAPS = 4
# A gap of at least WIDE_GAP heights and SPREAD times the line's median gap is a word
# space even where the line's gaps do not form two groups: a word written with wide
# letter spacing beside words written tight (1 0 0 0 HILLTOP) spreads the letter gaps
# into one broad group, yet its space stands out from the gaps next to it.
WIDE_GAP, SPREAD = 0.75, 2.0


def word_breaks(lines_gaps):
    """Per line, a boolean per gap (``lines_gaps``: each line's gaps between what was
    read, in its own heights): where words break. A line with :data:`OWN_GAPS` gaps or
    more splits them by its own threshold (:func:`word_threshold`) if they form two
    groups; a shorter line, or one whose gaps form one group, by the page's; and a
    line with OWN_GAPS gaps breaks at gaps far wider than its median (WIDE_GAP)."""
    page = word_threshold(np.concatenate(lines_gaps)) if lines_gaps else np.inf
    out = []
    for gaps in lines_gaps:
        own = word_threshold(gaps) if len(gaps) >= OWN_GAPS else np.inf
        breaks = gaps > (own if np.isfinite(own) else page)
        if len(gaps) >= OWN_GAPS:
            breaks |= gaps > max(WIDE_GAP, SPREAD * np.median(gaps))
        out.append(breaks)
    return out


def words_of(boxes, line, heights):
    """Word index per box (in reading order, grouped by ``line``), from each line's
    gaps (:func:`word_breaks`) in the line's heights about them (``heights (n,)``)."""
    word = np.zeros(len(boxes), np.int64)
    members = [np.flatnonzero(line == k) for k in np.unique(line)]
    gaps = [(boxes[m[1:], 1] - boxes[m[:-1], 3]) / ((heights[m[1:]] + heights[m[:-1]]) / 2) for m in members]
    for m, breaks in zip(members, word_breaks(gaps)):
        word[m] = np.concatenate([[0], np.cumsum(breaks)])
    return word


# A line's height is the median height of its marks at least this share of its tallest
# ones (the 90th percentile): pieces of broken letters and punctuation would pull a
# plain median under the letters' height.
TALL_SHARE = 0.6
# The line's height about a mark is measured over this many marks each side of it: a
# heading's words and the small words beside them share a line but not a height.
NEAR_MARKS = 3
# Marks written at one size are within this factor of each other's height (capitals of
# one hand vary by 15%; a heading's over small print, twice and more).
RUN_RATIO = 1.6
# A run of smaller marks than its neighbour's is a word of its own size when it has at
# least this many (a word in small print beside a big letter); fewer are punctuation or
# the pieces of a broken letter.
RUN_MARKS = 3


def line_height(boxes):
    """The height of a line's characters from its marks' ``boxes (n, 4)``."""
    tall = boxes[:, 2] - boxes[:, 0]
    return float(np.median(tall[tall >= TALL_SHARE * np.percentile(tall, 90)]))


def size_runs(tall):
    """The runs of a line's marks (heights ``tall (n,)`` in order along it) written at
    one size: a mark more than RUN_RATIO taller or shorter than the run's marks so far
    begins a new run. A run of fewer than RUN_MARKS marks shorter than a neighbour
    (punctuation, the pieces of a broken letter) joins that neighbour, and neighbours
    of one size join; a short run of larger marks (a big initial) stands."""
    size = lambda run: float(np.median(tall[run]))
    one_size = lambda a, b: 1 / RUN_RATIO <= a / b <= RUN_RATIO
    runs = []
    for i, t in enumerate(tall):
        if runs and one_size(t, size(runs[-1])):
            runs[-1].append(i)
        else:
            runs.append([i])
    changed = True
    while changed and len(runs) > 1:
        changed = False
        for k, run in enumerate(runs):
            neighbours = [j for j in (k - 1, k + 1) if 0 <= j < len(runs)]
            larger = [j for j in neighbours if size(runs[j]) > size(run)]
            if len(run) < RUN_MARKS and larger:
                into = max(larger, key=lambda j: len(runs[j]))
                runs[into] = sorted(runs[into] + run)
                del runs[k]
                changed = True
                break
        for k in range(len(runs) - 1):
            if one_size(size(runs[k + 1]), size(runs[k])):
                runs[k] = runs[k] + runs.pop(k + 1)
                changed = True
                break
    return runs


def local_heights(boxes):
    """The line's height about each of its marks (``boxes (n, 4)`` in order along it):
    :func:`line_height` of the :data:`NEAR_MARKS` marks each side of it among those
    written at its size (:func:`size_runs`: a word in small print beside a large
    letter is measured on its own)."""
    out = np.zeros(len(boxes))
    for run in size_runs(boxes[:, 2] - boxes[:, 0]):
        own = boxes[run]
        out[run] = [line_height(own[max(0, i - NEAR_MARKS):i + NEAR_MARKS + 1]) for i in range(len(run))]
    return out


def line_frame(boxes):
    """``(top, foot, height)`` functions of x for a line of boxes: straight lines fitted
    through the tops and the feet of its marks, and its median height."""
    cx = (boxes[:, 1] + boxes[:, 3]) / 2
    height = line_height(boxes)
    if len(boxes) >= 2 and np.ptp(cx) > 0:
        top, foot = np.polyfit(cx, boxes[:, 0], 1), np.polyfit(cx, boxes[:, 2], 1)
    else:
        top, foot = np.array([0.0, boxes[:, 0].min()]), np.array([0.0, boxes[:, 2].max()])
    return (lambda x: float(np.polyval(top, x))), (lambda x: float(np.polyval(foot, x))), height


def stacked(a, b):
    """Whether boxes ``a`` and ``b`` stand one over the other: their columns overlap by
    half the narrower one's width (the pieces of a letter broken across)."""
    overlap = min(a[3], b[3]) - max(a[1], b[1])
    return overlap >= 0.5 * min(a[3] - a[1], b[3] - b[1])


def as_found(working, marks):
    """The characters of ``marks`` as segmentation finds them, for a page not read (no
    network to weigh readings): the atoms of each line (wide marks cut at those of
    their thin columns nearest to even spacing, as many pieces as marks of the page's
    typical width fit, :func:`atoms_of`), pieces stacked one over the other joined (a letter
    broken across), the small ones (under :data:`SMALL` of their line's height) left
    out, words from each line's gaps."""
    widths = marks.boxes[:, 3] - marks.boxes[:, 1]
    typical = float(np.median(widths)) if len(marks) else 1.0  # most marks are one character

    def evenly(cuts, box):  # as many pieces as typical characters fit, cut nearest even spacing
        n = int(round((box[3] - box[1]) / max(typical, 1.0)))
        targets = [box[1] + k * (box[3] - box[1]) / n for k in range(1, n)]
        return sorted({min(cuts, key=lambda c: abs(c - t)) for t in targets})

    atoms, plans = atoms_of(working, marks, evenly)
    boxes, members, line, block, heights = [], [], [], [], []
    for order in plans:
        first = len(boxes)
        for a in order:
            box, parts, number, blk, _, height = atoms[a]
            if len(boxes) > first and stacked(boxes[-1], box):
                boxes[-1] = union([boxes[-1], box])
                members[-1] = np.concatenate([members[-1], parts])
                continue
            boxes.append(box)
            members.append(np.asarray(parts))
            line.append(number)
            block.append(blk)
            heights.append(height)
    heights = np.array(heights)
    found = Characters.found(boxes, members, line, block=block)
    keep = found.boxes[:, 2] - found.boxes[:, 0] >= SMALL * heights if len(found) else np.zeros(0, bool)
    found = found.subset(keep)
    return found.replace(word=words_of(found.boxes, found.line, heights[keep]) if len(found) else found.word)


def atoms_of(working, marks, choose=None):
    """Step 1: the atoms of every line of ``marks`` (in reading order, with ``line``
    and ``block``): ``(atoms, plans)``, ``atoms`` a list of ``(box, members, line,
    block, mark, height)`` (wide marks cut, their pieces given labels of their own in
    ``working.labels``; ``height`` the line's height about the mark) and ``plans``, per
    line, its atoms' indices in order along it. ``choose(cuts, box)`` picks which of a
    mark's cuts to make (default: all, the lattice weighs them)."""
    lines = [np.flatnonzero(marks.line == k) for k in range(int(marks.line.max()) + 1)] if len(marks) else []
    atoms, plans = [], []
    for members_of_line in lines:
        along = members_of_line[np.argsort((marks.boxes[members_of_line, 1] + marks.boxes[members_of_line, 3]) / 2,
                                           kind="stable")]
        heights = local_heights(marks.boxes[along])
        mine = []
        for m, height in zip(along, heights):
            box, members = marks.boxes[m].tolist(), list(marks.members[m])
            cuts = cut_wide(working, box, members, height)
            cuts = choose(cuts, box) if choose is not None and cuts else cuts
            for piece_box, piece_members in relabel_pieces(working, box, members, cuts) if cuts else [(box, members)]:
                mine.append(len(atoms))
                atoms.append((piece_box, piece_members, marks.line[m], marks.block[m], m, height))
        plans.append(sorted(mine, key=lambda a: (atoms[a][0][1] + atoms[a][0][3]) / 2))
    return atoms, plans


def candidates_of(working, atoms, plans):
    """Steps 2 and 3's crops: every candidate of every line, ``(line number, i, j)`` for
    the atoms ``plans[line][i:j]``, and the :class:`Characters` of their boxes, members
    and crops, in the same order."""
    candidates = []
    for number, order in enumerate(plans):
        boxes = np.array([atoms[a][0] for a in order]).reshape(-1, 4)
        cut_from = np.array([atoms[a][4] for a in order])
        candidates += [(number, i, j) for i, j in spans(boxes, cut_from, np.array([atoms[a][5] for a in order]))]
    found = Characters.found(
        [union([atoms[a][0] for a in plans[n][i:j]]) for n, i, j in candidates],
        [np.concatenate([atoms[a][1] for a in plans[n][i:j]]) for n, i, j in candidates])
    return candidates, crop(working, found)


# A line of fewer than this many marks has no height of its own to compare a mark with:
# the page's character height stands in (a tall thin mark alone is a piece of a drawn
# line, a seam, an edge).
FEW_MARKS = 3


def finite(probs):
    """``probs``, unless they overflowed (a model whose weights are too large): an error."""
    if not np.isfinite(probs).all():
        raise OcrError("model: its outputs overflow (not finite numbers): its weights are too large to read with")
    return probs


def too_wide(boxes, classes, widest):
    """``(n, len(classes))`` log-probability cost of reading each box ``(n, 4)`` as each
    class: WIDE_COST for each own height it is wider than ``widest`` draws the class
    (:attr:`ocr_cli.net.model.Model.widest`; none without it, nor for a class it
    does not name)."""
    if not widest:
        return np.zeros((len(boxes), len(classes)))
    ratio = (boxes[:, 3] - boxes[:, 1]) / np.maximum(boxes[:, 2] - boxes[:, 0], 1)
    most = np.array([widest.get(c, np.inf) for c in classes])  # a class too rare to measure: any width
    return WIDE_COST * np.clip(ratio[:, None] - most[None], 0, None)


def padded(i, j, k, runs, big, middles, boxes, pooled, marks):
    """Whether candidate ``k`` of atoms ``i`` to ``j`` is a shorter run of them with small
    atoms beside it that change nothing of what the run reads (``pooled``): atoms not
    ``big`` whose ``middles`` lie past the run's end (a period, a colon, a speck after
    it) or before its start and read as punctuation (in ``marks``: a decimal point; a
    speck before it, the foot of a comb's tick, may be its stroke's). ``boxes``: of the
    candidates in ``runs``. Such atoms are no pieces of that character (a piece within
    the run's columns is one of its strokes)."""
    for m in range(j - 1, i, -1):  # the run i..m, small atoms m..j-1 after it
        if big[m]:
            break
        run = runs.get((i, m))
        if run is not None and (middles[m:j] > boxes[run][3]).all() and pooled[k].argmax() == pooled[run].argmax():
            return True
    for m in range(i + 1, j):  # small atoms i..m-1 before the run m..j
        if big[m - 1]:
            break
        run = runs.get((m, j))
        if run is not None and (middles[i:m] < boxes[run][1]).all() and marks.issuperset(range(i, m)) and \
                pooled[k].argmax() == pooled[run].argmax():
            return True
    return False


def read_lines(working, marks, model, marks_read=True, lexicon=None):
    """The characters of a page read through the lattice: ``marks``
    (:class:`~ocr_cli.pipeline.records.Characters` as segmentation found them, in
    reading order, with ``line`` and ``block``; small ones included) read with
    ``model`` (see the module's docstring). Returns the characters read, in reading
    order, with crops, probabilities over ``model.classes`` (then the punctuation
    read, one column each) and words; ``marks_read`` False leaves punctuation out."""
    junk = model.classes.find(NOT_A_CHARACTER)
    atoms, plans = atoms_of(working, marks)
    candidates, cropped = candidates_of(working, atoms, plans)
    found = cropped
    probs = finite(model.net.predict_proba(cropped.crops) if len(found) else np.zeros((0, len(model.classes))))
    real = characters_only(probs, model.classes)
    # What a crop is matters here, not which of two look-alikes (O or 0, I or 1): the
    # words decide that later.
    real_classes = model.classes.replace(NOT_A_CHARACTER, "")
    if len(real):
        real = real * np.exp(-too_wide(found.boxes, real_classes, model.widest))
    pooled = pool_look_alikes(real, real_classes)
    best_real = np.log(np.maximum(pooled.max(1), 1e-12)) if len(real) else np.zeros(0)
    by_line = {}
    for k, (number, i, j) in enumerate(candidates):
        by_line.setdefault(number, []).append((i, j, k))
    read = []  # per line: (number, order, heights, options, best path's steps)
    # Punctuation is recognised whether or not it is read: a colon left out is not two
    # dots for a character to take in (it would read S).
    as_mark = (lambda what: ("mark", what)) if marks_read else (lambda what: ("skip", None))
    for number, order in enumerate(plans):
        n = len(order)
        if not n:
            continue
        boxes = np.array([atoms[a][0] for a in order]).reshape(-1, 4)
        heights = np.array([atoms[a][5] for a in order])
        if len(set(atoms[a][4] for a in order)) < FEW_MARKS:
            heights = np.minimum(heights, working.height)
        big = (boxes[:, 2] - boxes[:, 0]) >= SMALL * heights
        top, foot, _ = line_frame(boxes[big] if big.any() else boxes)
        middles = (boxes[:, 1] + boxes[:, 3]) / 2
        big &= ~np.array([hanging(boxes[i], foot(middles[i]), heights[i]) for i in range(n)], bool)
        cut_from = [atoms[a][4] for a in order]
        pieces = Counter(cut_from)  # how many atoms each mark was cut into
        options = [[] for _ in range(n)]
        single = {}
        runs = {(i, j): k for i, j, k in by_line.get(number, [])}
        # Each small atom's punctuation by its size, shape and place, with the ink before
        # and after it (None at the line's ends).
        marked = {i: punctuation(boxes[i], top(middles[i]), foot(middles[i]), heights[i],
                                 boxes[i, 1] - boxes[i - 1, 3] if i > 0 else None,
                                 boxes[i + 1, 1] - boxes[i, 3] if i + 1 < n else None)
                  for i in np.flatnonzero(~big)}
        read_as_marks = {i for i, (mark, _) in marked.items() if mark}
        for i, j, k in by_line.get(number, []):
            if j == i + 1:
                single[i] = k
            if padded(i, j, k, runs, big, middles, found.boxes, pooled, read_as_marks):
                continue
            splits = splits_a_mark(boxes, cut_from, i)
            y1, x1, y2, x2 = found.boxes[k]
            height = heights[i:j].max()
            # A character much shorter than the line is a fragment.
            fragment = y2 - y1 <= FRAGMENT * height
            wide = max((x2 - x1) / height - WIDE_ONE, 0)
            cost = CHARACTER_COST + SPLIT_COST * splits + FRAGMENT_COST * fragment + WIDE_COST * wide
            options[i].append((best_real[k] - cost, j, ("character", k)))
        for i, a in enumerate(order):
            box, height = atoms[a][0], heights[i]
            small = not big[i]
            if junk >= 0:
                options[i].append((np.log(max(probs[single[i], junk], 1e-12)) - JUNK_COST, i + 1, ("skip", None)))
            # a stroke or a hook over a dot, each a mark of its own (not a piece cut from one): ! or ?
            whole = 0 < i < n - 1 and pieces[cut_from[i]] == pieces[cut_from[i + 1]] == 1
            if whole and big[i] != big[i + 1]:
                mark = over_a_dot(*sorted([box, atoms[order[i + 1]][0]]), top(middles[i]), foot(middles[i]), height)
                if mark:
                    options[i].append((np.log(STOP_MARK) - CHARACTER_COST, i + 2, as_mark((mark, STOP_MARK, i, i + 2))))
            if small:
                mark, likelihood = marked[i]
                if mark:
                    options[i].append((np.log(likelihood) - CHARACTER_COST, i + 1, as_mark((mark, likelihood, i, i + 1))))
                if 0 < i < n - 1 and is_colon(*sorted([box, atoms[order[i + 1]][0]]), top(middles[i]),
                                              foot(middles[i]), height):
                    options[i].append((np.log(0.9) - CHARACTER_COST, i + 2, as_mark((":", 0.9, i, i + 2))))
            else:
                likelihood = slash(working, box, atoms[a][1], height)
                if likelihood > 0:
                    options[i].append((np.log(likelihood) - CHARACTER_COST, i + 1, as_mark(("/", likelihood, i, i + 1))))
            if small:
                options[i].append((SPECK, i + 1, ("skip", None)))
            elif box[2] - box[0] > TALLER * height and box[3] - box[1] < THIN * (box[2] - box[0]):
                options[i].append((LINE_PIECE, i + 1, ("skip", None)))
        read.append((number, order, heights, options, best_paths(n, options, 1)[0][1]))
    if lexicon is not None:
        read = in_words(read, atoms, found.boxes, real, pooled, best_real, real_classes, lexicon)
    chosen = []  # (kind, candidate index or (mark, likelihood, atoms), line, block, height)
    for number, order, heights, _, steps in read:
        for i, j, _, (kind, what) in steps:
            if kind == "character":
                chosen.append(("character", what, number, atoms[order[0]][3], heights[i]))
            elif kind == "mark":
                mark, likelihood, first, last = what
                chosen.append(("mark", (mark, likelihood, [order[x] for x in range(first, last)]), number,
                               atoms[order[0]][3], heights[i]))
    return assemble(working, atoms, cropped, probs, chosen, model.classes, junk)


def step_box(step, order, atoms, boxes):
    """The box of a path's ``step`` ``(i, j, score, (kind, what))`` over a line's atoms
    (``order``; ``boxes`` the candidates' boxes)."""
    i, j, _, (kind, what) = step
    return boxes[what] if kind == "character" else union([atoms[order[x]][0] for x in range(i, j)])


def in_words(read, atoms, boxes, real, pooled, best_real, classes, lexicon):
    """Each line's path (``read``: per line ``(number, order, heights, options, steps)``)
    with its words read again where that makes them known words: a word of the best
    path of :data:`WORD_LETTERS` characters or more that reads as letters but no word of
    ``lexicon`` (not digits, not a code of both) is read the best of the
    :data:`K_BEST` best other ways through its atoms that make a known word of
    WORD_LETTERS or more (the same punctuation, its characters segmented otherwise), if
    that one scores better by its segmentation's costs and its word together
    (:func:`ocr_cli.pipeline.context.kind_scores` of the candidates' probabilities
    ``real``, ``pooled`` with look-alikes pooled, over ``classes``; ``best_real`` the
    log of each one's best, which the steps' scores hold). Words are the line's gaps'
    (:func:`words_of`) in the best path."""
    kinds = word_kinds(classes)

    def judged(steps):
        """``(joint score, the kind of word it reads as best, its characters)`` of a way
        through a word."""
        shown = [what for _, _, _, (kind, what) in steps if kind == "character"]
        costs = sum(s - (best_real[what] if kind == "character" else 0.0) for _, _, s, (kind, what) in steps)
        if not shown:
            return costs, None, 0
        scores = kind_scores(real[shown], pooled[shown], kinds, lexicon)[0]
        best = max(scores, key=scores.get)
        return costs + scores[best], best, len(shown)

    def others(steps):  # what a way reads besides characters: its punctuation and what it leaves out
        return [(i, j, kind) for i, j, _, (kind, _) in steps if kind != "character"]

    shown = [(number, step) for number, order, _, _, steps in read for step in steps if step[3][0] != "skip"]
    if not shown:
        return read
    line_of = {number: (order, heights) for number, order, heights, _, _ in read}
    word = words_of(np.array([step_box(step, line_of[number][0], atoms, boxes) for number, step in shown]).reshape(-1, 4),
                    np.array([number for number, _ in shown]),
                    np.array([line_of[number][1][step[0]] for number, step in shown], float))
    spans = {}  # per line, per word: the atoms it spans
    for (number, step), w in zip(shown, word):
        first, last = spans.setdefault(number, {}).get(w, step[:2])
        spans[number][w] = (min(first, step[0]), max(last, step[1]))
    out = []
    for number, order, heights, options, steps in read:
        words = spans.get(number, {}).values()
        again = [step for step in steps if not any(a <= step[0] < b for a, b in words)]
        for a, b in words:
            best = [step for step in steps if a <= step[0] < b]
            score, kind, letters = judged(best)
            if kind == "letters" and letters >= WORD_LETTERS:
                within = [[(s, j - a, what) for s, j, what in options[i] if j <= b] for i in range(a, b)]
                for _, way in best_paths(b - a, within, K_BEST)[1:]:
                    way = [(i + a, j + a, s, what) for i, j, s, what in way]
                    joint, kind, letters = judged(way)
                    if kind == "known" and letters >= WORD_LETTERS and joint > score and others(way) == others(best):
                        best, score = way, joint
            again += best
        out.append((number, order, heights, options, sorted(again, key=lambda step: step[0])))
    return out


def assemble(working, atoms, cropped, probs, chosen, classes, junk):
    """The :class:`Characters` of the chosen path: crops and probabilities of the
    characters (the junk column gone, punctuation one column each after the classes),
    words from each line's gaps."""
    real_classes = classes.replace(NOT_A_CHARACTER, "") if junk >= 0 else classes
    all_classes = real_classes + PUNCTUATION
    boxes, members, line, block, crops, rows, heights = [], [], [], [], [], [], []
    for kind, what, number, blk, height in chosen:
        row = np.zeros(len(all_classes))
        if kind == "character":
            boxes.append(cropped.boxes[what])
            members.append(cropped.members[what])
            crops.append(cropped.crops[what])
            p = np.delete(probs[what], junk) if junk >= 0 else probs[what]
            row[:len(real_classes)] = p / max(p.sum(), 1e-12)
        else:
            mark, likelihood, parts = what
            boxes.append(union([atoms[a][0] for a in parts]))
            members.append(np.concatenate([atoms[a][1] for a in parts]))
            crops.append(np.full(cropped.crops.shape[1], PAPER, np.float32))  # no crop: read by its shape
            row[len(real_classes) + PUNCTUATION.index(mark)] = likelihood  # its confidence
        rows.append(row)
        line.append(number)
        block.append(blk)
        heights.append(height)
    boxes = np.array(boxes, np.int64).reshape(-1, 4)
    line = np.array(line, np.int64)
    renumbered = np.unique(line, return_inverse=True)[1].reshape(-1) if len(line) else line
    word = words_of(boxes, renumbered, np.array(heights)) if len(line) else line
    width = cropped.crops.shape[1] if len(cropped) else PIXELS
    return Characters(boxes, tuple(members), renumbered, word, np.array(crops, np.float32).reshape(len(boxes), width),
                      np.array(rows).reshape(len(boxes), len(all_classes)), all_classes,
                      block=np.unique(np.array(block, np.int64), return_inverse=True)[1].reshape(-1) if block else
                      np.zeros(0, np.int64))
