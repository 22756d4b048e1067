"""Recognition-driven segmentation: where the ink alone is doubtful, the network decides.

Ink cannot tell two letters that touch from one wide letter, nor a letter broken in two
from two narrow ones. :func:`reread` proposes, line by line, the doubtful alternatives
(two narrow neighbours as one character; a wide mark cut in two at a thin column),
crops and scores them with the network in one batch beside the marks as found, and
keeps for each line the reading the network finds likeliest: a dynamic programme over
the line's marks that maximises the sum over its characters of ``log p - CHARACTER_COST``
(``p``: the network's probability of the character's best class).

    marks of a line -> candidates (as found, merged pairs, split marks)
                    -> crops -> one batch of probabilities -> best path per line
"""

import numpy as np

from ocr_cli.pipeline.crop import crop
from ocr_cli.pipeline.records import Characters

# Log-probability charged per character read: a reading with more characters must be
# that much likelier per extra character. Splitting a mark into two characters then
# needs both to score well; merging two confident characters into one needs the
# merged crop to be almost as confident as both together.
CHARACTER_COST = 0.2
# Two neighbours are merge candidates when both are narrow (under half their height,
# as the halves of an H, a U or an N are), or one is a fragment (under 3/4 of its
# line's median height: a piece of a letter a dry pen broke), and they are close
# (under 0.4 of the height apart) and their union is no wider than a wide letter (1.2
# heights).
NARROW, FRAGMENT, CLOSE, WIDE_LETTER = 0.5, 0.75, 0.4, 1.2
# A mark wider than 1.2 of its height (wider than all but a broad M or W) may be two
# letters that touch: cut candidates at the two thinnest columns of its middle 40-60%.
SPLIT_WIDTH, SPLIT_ZONE, CUTS = 1.2, (0.3, 0.7), 2


def merge_candidates(boxes, line):
    """Index pairs ``(k, k + 1)`` of neighbours on one line that may be one character."""
    h = boxes[:, 2] - boxes[:, 0]
    w = boxes[:, 3] - boxes[:, 1]
    line_h = np.zeros(len(boxes))
    for ln in np.unique(line):
        line_h[line == ln] = np.median(h[line == ln])
    k = np.arange(len(boxes) - 1)
    pair_h = np.maximum(np.maximum(h[k], h[k + 1]), line_h[k])
    gap = boxes[k + 1, 1] - boxes[k, 3]
    union_w = np.maximum(boxes[k, 3], boxes[k + 1, 3]) - np.minimum(boxes[k, 1], boxes[k + 1, 1])
    narrow = (w[k] < NARROW * pair_h) & (w[k + 1] < NARROW * pair_h)
    fragment = (h[k] < FRAGMENT * line_h[k]) | (h[k + 1] < FRAGMENT * line_h[k])
    ok = ((line[k] == line[k + 1]) & (narrow | fragment) & (gap < CLOSE * pair_h)
          & (union_w <= WIDE_LETTER * pair_h))
    return k[ok]


def split_cuts(working, box, members):
    """Columns (absolute, working pixels) where the mark in ``box`` made of ``members``
    may be cut in two: in the middle of a wide mark, the middles of the :data:`CUTS`
    thinnest runs of columns (least ink of its own)."""
    y1, x1, y2, x2 = box
    if x2 - x1 < SPLIT_WIDTH * (y2 - y1):
        return []
    own = np.isin(working.labels[y1:y2, x1:x2], members)
    profile = own.sum(0).astype(float)
    lo, hi = int(SPLIT_ZONE[0] * (x2 - x1)), int(np.ceil(SPLIT_ZONE[1] * (x2 - x1)))
    profile[:lo], profile[hi:] = np.inf, np.inf
    cuts = []
    while len(cuts) < CUTS and np.isfinite(profile).any():
        c = int(np.argmin(profile))
        left, right = c, c  # the run of equally thin columns around it: cut at its middle
        while left > lo and profile[left - 1] == profile[c]:
            left -= 1
        while right < hi - 1 and profile[right + 1] == profile[c]:
            right += 1
        cuts.append(x1 + (left + right + 1) // 2)
        profile[max(left - 2, 0):right + 3] = np.inf  # the next cut at least a stroke away
    return cuts


def piece_box(working, box, members, x1, x2):
    """The box of the own ink (``members``) of the mark in ``box`` between columns
    ``x1`` and ``x2``, or None."""
    y1, _, y2, _ = box
    own = np.isin(working.labels[y1:y2, x1:x2], members)
    rows, cols = np.nonzero(own)
    if not len(rows):
        return None
    return [y1 + rows.min(), x1 + cols.min(), y1 + rows.max() + 1, x1 + cols.max() + 1]


def candidates(working, characters):
    """Every alternative to score: ``(kind, k, boxes, members)`` with ``kind`` one of
    ``merge`` (characters ``k`` and ``k + 1`` as one) and ``split`` (character ``k`` as
    the two of ``boxes``)."""
    out, boxes, members = [], characters.boxes, characters.members
    for k in merge_candidates(boxes, characters.line):
        a, b = boxes[k], boxes[k + 1]
        box = [min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])]
        out.append(("merge", int(k), [box], [np.concatenate([members[k], members[k + 1]])]))
    for k in range(len(boxes)):
        _, x1, _, x2 = boxes[k]
        for cut in split_cuts(working, boxes[k], members[k]):
            left, right = piece_box(working, boxes[k], members[k], x1, cut), piece_box(working, boxes[k], members[k], cut, x2)
            if left is not None and right is not None:
                out.append(("split", k, [left, right], [members[k]] * 2))
    return out


def best_path(n, single, merges, splits):
    """The best reading of a line of ``n`` marks: a list of steps ``("single", k)``,
    ``("merge", k)`` or ``("split", k, choice)``, given the scores of each mark as
    found ``single (n,)``, ``merges: {k: score}`` and ``splits: {k: [(score, choice)]}``."""
    score = np.full(n + 1, -np.inf)
    score[0] = 0.0
    step = [None] * (n + 1)
    for i in range(n):
        if score[i] == -np.inf:
            continue
        options = [(single[i], i + 1, ("single", i))]
        options += [(s, i + 1, ("split", i, c)) for s, c in splits.get(i, [])]
        if i in merges:
            options.append((merges[i], i + 2, ("merge", i)))
        for s, j, what in options:
            if score[i] + s > score[j]:
                score[j], step[j] = score[i] + s, (what, i)
    path, j = [], n
    while j > 0:
        what, j = step[j]
        path.append(what)
    return path[::-1]


def reread(working, characters, model):
    """``characters`` (cropped and classified: ``crops``, ``probs``) after the doubtful
    merges and splits the network prefers, scored with ``model``; a merged character
    keeps the line and word of its left part, split ones those of the mark."""
    alternatives = candidates(working, characters)
    if not alternatives:
        return characters
    extra = crop(working, Characters.found([b for _, _, bs, _ in alternatives for b in bs],
                                           [m for _, _, _, ms in alternatives for m in ms]))
    extra = extra.replace(probs=model.predict_proba(extra.crops))
    log_best = lambda p: np.log(np.maximum(p.max(1), 1e-12)) - CHARACTER_COST
    single, extra_scores = log_best(characters.probs), log_best(extra.probs)
    merges, splits, row, rows_of = {}, {}, 0, {}
    for index, (kind, k, bs, _) in enumerate(alternatives):
        rows_of[index] = list(range(row, row + len(bs)))
        if kind == "merge":
            merges[k] = extra_scores[row]
        else:
            splits.setdefault(k, []).append((extra_scores[row] + extra_scores[row + 1], index))
        row += len(bs)
    merge_index = {k: i for i, (kind, k, _, _) in enumerate(alternatives) if kind == "merge"}
    chosen = []  # (source, row, line, word): source 0 the characters as found, 1 the alternatives
    for ln in np.unique(characters.line):
        marks = np.flatnonzero(characters.line == ln)  # reading order: consecutive indices
        first = marks[0]
        local_merges = {k - first: s for k, s in merges.items() if k in marks and k + 1 in marks}
        local_splits = {k - first: v for k, v in splits.items() if k in marks}
        for what in best_path(len(marks), single[marks], local_merges, local_splits):
            k = first + what[1]
            if what[0] == "single":
                chosen.append((0, k, ln, characters.word[k]))
            else:
                index = merge_index[k] if what[0] == "merge" else what[2]
                chosen += [(1, r, ln, characters.word[k]) for r in rows_of[index]]
    sources = (characters, extra)
    pick = lambda name: np.array([getattr(sources[s], name)[r] for s, r, _, _ in chosen])
    return Characters(pick("boxes").reshape(-1, 4), tuple(sources[s].members[r] for s, r, _, _ in chosen),
                      np.array([ln for *_, ln, _ in chosen]), np.array([w for *_, w in chosen]),
                      pick("crops"), pick("probs"), characters.classes)
