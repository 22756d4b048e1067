"""Pen strokes drawn anew at training time: reading the strokes file, the pens, the
drawing through the crop function, and training on strokes (resumable, new pens every
epoch)."""

import gzip
import json

import numpy as np
import pytest

from ocr_cli.layout import CLASSES, STROKE_RANGE, stroke_width
from ocr_cli.net.pens import Pen, as_read, draw, load_strokes, random_pen, render

# a tall rectangle, written in tablet units, a point every 10 as tablets record
BOX = [[0, y] for y in range(0, 100, 10)] + [[x, 100] for x in range(0, 60, 10)] + \
      [[60, y] for y in range(100, 0, -10)] + [[x, 0] for x in range(60, -1, -10)]


def sample(label, strokes, writer="w1", site="aga", **extra):
    return {"label": label, "strokes": strokes, "writer": writer, "file": f"data/1a/{site}/{writer}.dat",
            "y_axis_up": False, "xppi": None, "yppi": None, "quality": "?", **extra}


@pytest.fixture
def strokes_file(tmp_path):
    """Six samples: an O as a box, an I as one stroke, an X as two, by two writers."""
    samples = [sample("O", [BOX]), sample("I", [[[5, 0], [5, 50], [5, 100]]]),
               sample("X", [[[0, 0], [80, 100]], [[80, 0], [0, 100]]], writer="w2", site="ibm"),
               sample("O", [BOX], writer="w2", site="ibm", y_axis_up=True, xppi=200.0, yppi=100.0),
               sample("7", [[[0, 0], [60, 0], [20, 100]]], writer="w3"), sample("0", [BOX], writer="w3")]
    samples[5]["file"] = "data/1a/apa/apa00/w3.dat"  # a site that files its writers in subfolders
    path = tmp_path / "toy_strokes.json.gz"
    with gzip.open(path, "wt") as f:
        json.dump(samples, f)
    return path


def test_strokes_are_read_with_labels_writers_and_resolution(strokes_file):
    strokes = load_strokes(strokes_file)
    assert len(strokes) == 6
    assert [CLASSES[i] for i in strokes.labels] == ["O", "I", "X", "O", "7", "0"]
    assert list(strokes.writers) == ["aga:w1", "aga:w1", "ibm:w2", "ibm:w2", "aga:w3", "apa:w3"]
    box = strokes.points[3][0]  # y axis up (flipped) and x sampled at twice y's resolution (halved)
    np.testing.assert_allclose(np.ptp(box, 0), [30 * 2, 100 * 2])  # in units of x's resolution, y doubled
    assert box[1, 1] < box[0, 1]


def test_a_file_that_is_not_strokes_is_refused_in_one_line(tmp_path):
    from ocr_cli.errors import InputError

    bad = tmp_path / "bad.json"
    bad.write_text('[{"label": "a", "strokes": [[[0, 0]]]}]')  # lower case: not one of the 36 classes
    with pytest.raises(InputError, match="not a readable strokes file"):
        load_strokes(bad)


def test_drawing_follows_the_pen_and_reaches_the_layout_as_reading_makes_it(strokes_file):
    strokes = load_strokes(strokes_file)
    plain = Pen(48.0, 4.0, np.eye(2))
    ink = draw(strokes.points[0], plain, np.random.default_rng(0))
    assert ink.max() > 0.99 and 44 <= max(ink.shape) - 2 * (4.0 + 2) <= 50  # the box at 48 px, a margin round
    thin = draw(strokes.points[0], Pen(48.0, 1.0, np.eye(2)), np.random.default_rng(0))
    assert (thin > 0.5).sum() < (ink > 0.5).sum() / 2
    row = as_read(thin)
    assert row.shape == (1024,) and 0 <= row.min() < 0.1 and row.max() == 1.0
    # a 1 px line at 48 px would be 0.5 px in the layout: to_layout thickens it into the training range
    assert STROKE_RANGE[0] <= stroke_width(row.reshape(32, 32).T < 0.5) <= STROKE_RANGE[1]


def test_pens_count_full_ink_as_the_reading_crop_does():
    from ocr_cli.net.pens import FIRM
    from ocr_cli.pipeline.crop import FULL_INK_PERCENTILE

    assert FIRM == FULL_INK_PERCENTILE


def test_skips_take_ink_away_and_blots_add_it(strokes_file):
    strokes = load_strokes(strokes_file)
    rng = lambda: np.random.default_rng(3)
    x = strokes.points[2]  # an X: four free stroke ends, where pens blot
    plain = draw(x, Pen(48.0, 4.0, np.eye(2)), rng())
    skipping = draw(x, Pen(48.0, 4.0, np.eye(2), skips=3), rng())
    blotting = draw(x, Pen(48.0, 4.0, np.eye(2), blots=2), rng())
    assert skipping.sum() < 0.97 * plain.sum()
    assert blotting.sum() > plain.sum()


def test_pressure_makes_ink_uneven_and_firm_strokes_reach_full_ink_when_read(strokes_file):
    strokes = load_strokes(strokes_file)
    pressed = draw(strokes.points[0], Pen(48.0, 5.0, np.eye(2), pressure=0.7, waves=2.0), np.random.default_rng(1))
    core = pressed[pressed > 0.1]
    assert np.percentile(core, 10) < 0.6 * core.max()  # the light places are much lighter
    row = as_read(pressed)
    assert row.min() < 0.1  # the firm strokes are full ink after reading's scaling


def test_render_is_repeatable_from_its_generator_and_new_with_another(strokes_file):
    strokes = load_strokes(strokes_file)
    first = render(strokes, [0, 2, 4], np.random.default_rng(5))
    again = render(strokes, [0, 2, 4], np.random.default_rng(5))
    other = render(strokes, [0, 2, 4], np.random.default_rng(6))
    assert first.shape == (3, 1024) and first.dtype == np.float32
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_random_pens_span_fine_to_broad(strokes_file):
    rng = np.random.default_rng(0)
    widths = np.array([(lambda p: p.width / p.height)(random_pen(rng)) for _ in range(500)])
    assert widths.min() < 0.05 and widths.max() > 0.2


def test_training_draws_new_pens_every_epoch_and_resumes_exactly(strokes_file, nist_dir, tmp_path):
    from ocr_cli.layout import widest
    from ocr_cli.net.data import load_dataset
    from ocr_cli.net.selection import load_training
    from ocr_cli.net.train import TrainConfig, pen_drawing, train

    train_set = load_training([nist_dir / "nist36_train.mat", strokes_file])
    assert len(train_set.X) == 36 * 8 + 6 and train_set.drawn[0][0] == 36 * 8
    draw_epoch = pen_drawing(train_set.drawn, seed=0)
    order = np.arange(len(train_set.X))
    one, two = train_set.X[order].copy(), train_set.X[order].copy()
    draw_epoch(one, order, 1)
    draw_epoch(two, order, 2)
    np.testing.assert_array_equal(one[:288], train_set.X[:288])  # image rows are left as they are
    assert (one[288:] < 0.5).any(axis=1).all()  # every stroke row is drawn
    assert not np.array_equal(one[288:], two[288:])  # with other pens each epoch

    valid = load_dataset(nist_dir / "nist36_valid.mat")
    config = TrainConfig(hidden=[16], conv=[4], kernel=5, activation="relu", optimizer="adam", lr=0.003, epochs=3,
                         batch_size=32, contrast=True, batch_norm=True)
    whole = train(train_set, valid, config)
    saved = tmp_path / "run.ckpt.npz"

    class Stop(Exception):
        pass

    def stop(record):
        if record["epoch"] == 2:
            raise Stop

    with pytest.raises(Stop):
        train(train_set, valid, config, on_epoch=stop, checkpoint=saved)
    resumed = train(train_set, valid, config, checkpoint=saved, resume=saved)
    for a, b in zip(whole.model.net.params, resumed.model.net.params):
        assert np.array_equal(a, b)
    # how wide each class is drawn is measured on the image rows, not the strokes' blank placeholders
    assert train_set.drawn_rows().tolist() == [False] * 288 + [True] * 6
    assert whole.model.widest == widest(train_set.X[:288], train_set.Y[:288].argmax(1), train_set.classes)


def test_image_rows_are_redrawn_with_other_pens_through_the_reading_crop():
    from conftest import pattern_glyph

    from ocr_cli.layout import to_layout
    from ocr_cli.net.pens import redraw_images

    glyph = to_layout(1.0 - pattern_glyph(5)[4:28, 4:28]).T.reshape(1, -1)  # a character as reading cuts it
    rows = redraw_images(np.repeat(glyph, 40, axis=0), np.random.default_rng(0))
    assert rows.shape == (40, 1024) and rows.dtype == np.float32 and rows.min() >= 0 and rows.max() <= 1
    ink = (rows < 0.5).sum(1)
    assert ink.min() > 0.3 * (glyph < 0.5).sum()  # every copy is still a character
    assert len(np.unique(ink)) > 10  # drawn with many pens


def test_training_redraws_the_share_of_image_rows_it_is_asked_to(nist_dir):
    from ocr_cli.net.data import load_dataset
    from ocr_cli.net.train import pen_drawing

    images = load_dataset(nist_dir / "nist36_train.mat")
    order = np.arange(len(images.X))
    rows = images.X[order].copy()
    pen_drawing((), seed=0, share=0.25)(rows, order, 1)
    changed = (rows != images.X).any(axis=1).mean()
    assert 0.15 < changed < 0.35


def test_a_blot_is_redrawn_and_laid_out_in_memory_of_its_own_size():
    """A solid square (a junk crop, a blot) has a skeleton of a dot and a "stroke" as wide
    as itself: thinning or thickening it by that would build a disk of its whole size per
    pixel (a MemoryError while training on junk crops with --pens)."""
    import tracemalloc

    from ocr_cli.layout import PAPER, to_layout
    from ocr_cli.net.pens import redraw_image

    tracemalloc.start()
    laid = to_layout(np.ones((400, 400), np.float32))
    row = np.ones(1024, np.float32)
    row[400:700] = 0.0  # a block of ink across the layout
    rng = np.random.default_rng(0)
    redrawn = [redraw_image(row, rng) for _ in range(8)]
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 50 * 2 ** 20, peak
    assert laid.shape == (32, 32) and laid.min() < PAPER / 2  # left as it is, not thinned away
    assert all(r.shape == (1024,) and r.min() < 0.5 for r in redrawn)
