"""Boxes ``[y1, x1, y2, x2]`` (top-left inclusive, bottom-right exclusive): which
overlap, which enclose which, and their union; in memory that follows the pairs found,
never the square of their number."""

import numpy as np

def overlapping_pairs(boxes):
    """Index pairs ``(i, j)``, ``i != j``, of boxes ``(n, 4)`` whose column ranges
    overlap, by a sweep over boxes sorted by left edge: each box meets only those that
    start before it ends, so memory follows the pairs, never ``n x n``."""
    order = np.argsort(boxes[:, 1], kind="stable")
    left, right = boxes[order, 1], boxes[order, 3]
    ends = np.searchsorted(left, right, side="left")  # boxes starting before box k ends
    firsts = [np.full(end - k - 1, k) for k, end in enumerate(ends) if end > k + 1]
    if not firsts:
        return np.zeros((0, 2), np.int64)
    i = np.concatenate(firsts)
    j = np.concatenate([np.arange(k + 1, end) for k, end in enumerate(ends) if end > k + 1])
    return np.stack([order[i], order[j]], 1)


def encloses(boxes, i, j):
    """Whether box ``i`` wholly contains box ``j`` (index arrays of equal length)."""
    return ((boxes[i, 0] <= boxes[j, 0]) & (boxes[i, 1] <= boxes[j, 1]) & (boxes[i, 2] >= boxes[j, 2])
            & (boxes[i, 3] >= boxes[j, 3]))


def merge_boxes(boxes, groups):
    return np.array([[boxes[g, 0].min(), boxes[g, 1].min(), boxes[g, 2].max(), boxes[g, 3].max()] for g in groups],
                    dtype=np.int64).reshape(-1, 4)
