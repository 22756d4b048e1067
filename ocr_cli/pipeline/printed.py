"""Printed text beside handwriting: the lines whose characters stand as type does.

Type is set on a line: the capitals and digits of one printed line stand as tall as
each other, their tops and feet on two straight lines to within a pixel or two. Hand
printing strays: on the synthetic pages of ``bench/bench_printed.py`` (nist36 glyphs
written on notes, sheets and forms), the tops of a handwritten line stray from the
straight line through them by 3-9% of the height (standard deviation), their heights
by 4-9%; printed labels and titles by 0.5-2.5% and 1-3%. A bracket, a slash or a
letter misread from two marks stands otherwise, so the test is how many stand as
type, not how far the worst strays.

    1. per line, its letters and digits (punctuation stands where it stands)
    2. lines of fewer than PRINTED_LEAST are left as handwriting: three marks can line
       up by chance
    3. straight lines fitted through the tops and through the feet (a line may run at a
       slant), again through the half of the characters nearest them (an odd mark
       out does not tilt them)
    4. printed: at least PRINTED_SHARE of the characters have top and foot within
       PRINTED_ALIGNMENT of those lines and a height within PRINTED_HEIGHTS of the median
"""

import numpy as np

# Lines of fewer letters and digits than this are not judged: a word of three hand-printed
# capitals lines up as well as type one time in ten on the synthetic pages.
PRINTED_LEAST = 4
# A character stands as type when its top and foot lie within this share of the height
# of the straight lines through the line's tops and feet (type: within 2.5%; hand
# printing strays 3-9% as a standard deviation, so most of its characters stray more) ...
PRINTED_ALIGNMENT = 0.03
# ... and its height is within this share of the line's median height ...
PRINTED_HEIGHTS = 0.04
# ... and a line is print when this share of its letters and digits stand so.
PRINTED_SHARE = 0.8
# Boxes are whole pixels and an anti-aliased edge thresholds a pixel either way: no
# bound is tighter than this many pixels (a form's labels stand 15-25 px tall).
PIXEL = 1.0


def residuals(x, y):
    """``y`` less the straight line through ``(x, y)``, fitted again through the half of
    the points nearest the first fit."""
    if np.ptp(x) == 0:
        return y - np.median(y)
    fit = np.polyval(np.polyfit(x, y, 1), x)
    near = np.argsort(np.abs(y - fit))[:max(2, (len(x) + 1) // 2)]
    if np.ptp(x[near]) > 0:
        fit = np.polyval(np.polyfit(x[near], y[near], 1), x)
    return y - fit


def printed_lines(characters):
    """Boolean ``(K,)``: whether each of ``characters`` (read:
    :class:`~ocr_cli.pipeline.records.Characters` with ``choice``) stands on a printed line."""
    printed = np.zeros(len(characters), bool)
    if not len(characters) or characters.choice is None:
        return printed
    alnum = np.array([c.isalnum() for c in characters.classes])[characters.choice]
    for line in np.unique(characters.line):
        on_line = characters.line == line
        members = np.flatnonzero(on_line & alnum)
        if len(members) < PRINTED_LEAST:
            continue
        y1, x1, y2, x2 = characters.boxes[members].T.astype(float)
        heights = y2 - y1
        height = float(np.median(heights))
        if height <= 0:
            continue
        centre = (x1 + x2) / 2
        bound = max(PRINTED_ALIGNMENT * height, PIXEL)
        as_type = ((np.abs(residuals(centre, y1)) <= bound) & (np.abs(residuals(centre, y2)) <= bound)
                   & (np.abs(heights - height) <= max(PRINTED_HEIGHTS * height, PIXEL)))
        printed[on_line] = as_type.mean() >= PRINTED_SHARE
    return printed
