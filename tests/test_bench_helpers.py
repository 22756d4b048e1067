"""The measures the benchmark scripts print: order-free character F1, marks read, and
the turned pages of bench_rotate."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))


def test_char_f1_ignores_order_and_counts_repeats():
    from bench_read import char_f1

    assert char_f1("ABC", "CAB") == 1.0
    assert char_f1("", "") == 1.0 and char_f1("A", "") == 0.0 and char_f1("", "A") == 0.0
    assert char_f1("AAB", "AB") == pytest.approx(2 * 2 / 5)  # one A too many
    assert char_f1("XY", "AB") == 0.0


def test_marks_read_are_counted_without_order():
    from bench_stress import marks_read

    assert marks_read("CALL 555-1234, NOW", "CALL 555-1234, NOW") == (2, 2)
    assert marks_read("TO ANN 19.99", "TO: ANN 19.99") == (1, 2)
    assert marks_read("A.B.C", "ABC") == (0, 0)


def test_turned_pages_keep_their_paper_and_grow():
    from bench_rotate import paper_colour, turned

    rgb = np.full((40, 60, 3), (200, 190, 180), np.uint8)
    rgb[15:25, 20:40] = 30  # ink in the middle
    assert tuple(paper_colour(rgb)) == (200, 190, 180)
    quarter = turned(rgb, 90)
    assert quarter.shape == (60, 40, 3) and np.array_equal(quarter, np.rot90(rgb))
    slanted = turned(rgb, 31)
    assert slanted.shape[0] > 40 and slanted.shape[1] > 60
    assert tuple(slanted[0, 0]) == (200, 190, 180) and tuple(slanted[-1, -1]) == (200, 190, 180)  # corners: paper
    assert turned(rgb, 0) is rgb
