"""Printed text beside handwriting: the lines whose characters stand as type does.

Type is set on a line: the capitals and digits of one printed line stand as tall as
each other, their tops and feet on two straight lines to within a pixel or two. Hand
printing strays: on the synthetic pages of ``bench/bench_printed.py`` (nist36 glyphs
written on notes, sheets and forms), the tops of a handwritten line of four or more
characters stray from the straight line through them by 3-9% of the height (standard
deviation), their heights by 4-9%; printed labels and titles by 0.5-2.5% and 1-3%.

    1. per line, its letters and digits (punctuation stands where it stands)
    2. lines of fewer than PRINTED_LEAST are left as handwriting: three marks can line
       up by chance
    3. a straight line fitted through the tops and one through the feet (a line may
       run at a slant); the spread about them and of the heights, as shares of the
       median height
    4. printed: both under their bounds
"""

import numpy as np

# Lines of fewer letters and digits than this are not judged: a word of three hand-printed
# capitals lines up as well as type one time in ten on the synthetic pages.
PRINTED_LEAST = 4
# Type: tops and feet within this share of the height of the straight lines through them
# (standard deviation) ... (handwriting 3-9%, type 0.5-2.5%: the bound between)
PRINTED_ALIGNMENT = 0.028
# ... and heights within this share of their median (handwriting 4-9%, type 1-3%).
PRINTED_HEIGHTS = 0.035


def spread_about_line(x, y):
    """Standard deviation of ``y`` about the least-squares straight line through ``(x, y)``."""
    if np.ptp(x) == 0:
        return float(np.std(y))
    slope, intercept = np.polyfit(x, y, 1)
    return float(np.std(y - (slope * x + intercept)))


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
        aligned = max(spread_about_line(centre, y1), spread_about_line(centre, y2)) <= PRINTED_ALIGNMENT * height
        even = np.std(heights) <= PRINTED_HEIGHTS * height
        printed[on_line] = aligned and even
    return printed
