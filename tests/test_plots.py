"""Figures: what they draw, captured before they are saved."""

import numpy as np
import pytest

from ocr_cli.output import plots
from ocr_cli.pipeline.records import Block, Character, Line, Page, Word


@pytest.fixture
def drawn(monkeypatch):
    """The figures the plot functions would save, in order."""
    figures = []
    monkeypatch.setattr(plots, "save", lambda fig, path: figures.append(fig))
    return figures


def test_boxes_read_with_low_confidence_are_dashed_red_and_questioned(drawn):
    characters = [Character(text, (x, 10, 20, 30), p) for text, x, p in (("A", 10, 0.9), ("B", 40, 0.2), ("C", 70, 0.7))]
    page = Page((100, 50), (Block((Line((Word(tuple(characters)),)),)),), 30.0)
    plots.plot_boxes(np.ones((50, 100), np.float32), 1.0, page, "x.png", 0.5, title="note.jpg")
    ax = drawn[0].axes[0]
    styles = [(p.get_linestyle(), tuple(np.round(p.get_edgecolor(), 2))) for p in ax.patches]
    assert [s for s, _ in styles] == ["-", "--", "-"] and styles[1][1] == (1.0, 0.0, 0.0, 1.0)
    assert [t.get_text() for t in ax.texts] == ["A", "B?", "C"]
    assert ax.get_title().startswith("note.jpg: 3 characters, 1 lines, 1 read with less than 50% confidence")


def test_the_confusion_matrix_writes_every_nonzero_count_and_names_its_source(drawn):
    confusion = np.array([[5, 0, 1], [0, 7, 0], [2, 0, 4]])
    plots.plot_confusion(confusion, "ABC", "c.png", "model.npz on test.mat")
    ax = drawn[0].axes[0]
    assert sorted(t.get_text() for t in ax.texts) == sorted(str(v) for v in confusion.ravel() if v)
    assert ax.get_title().splitlines() == ["model.npz on test.mat", "19 samples, rows true, columns predicted"]
