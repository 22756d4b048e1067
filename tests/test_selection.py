"""Held-out writers and drop lists: which rows train a model and which measure it."""

import json

import numpy as np
import pytest
from conftest import synthetic_split
from scipy.io import savemat

from ocr_cli.errors import InputError
from ocr_cli.layout import CLASSES
from ocr_cli.net import selection


def test_held_out_writers_are_one_in_ten_by_id_alone():
    writers = [f"site{i % 7}:writer{i}" for i in range(3000)]
    mask = selection.held_out_rows(writers)
    assert 0.08 < mask.mean() < 0.12
    # the verdict depends on the id only: any order, any company
    assert [selection.held_out(w) for w in writers[::-1]] == list(mask[::-1])
    assert selection.held_out_rows(writers[:10]).tolist() == mask[:10].tolist()


def test_unipen36_split_is_the_documented_one_in_images_and_strokes_alike(real_nist):
    import gzip
    import re

    from ocr_cli.net.pens import writer_id

    writers = selection.mat_writers(real_nist / "unipen36_train.mat")
    mask = selection.held_out_rows(writers)
    assert (len(set(writers[mask])), mask.sum()) == (28, 4523)
    # The strokes name the same writer for every sample (sites that file writers in
    # subfolders too). Each sample's writer and file are found in the text: json.load
    # of its 45 MB takes 10 s, the points it holds are not needed here.
    with gzip.open(real_nist / "unipen36_strokes.json.gz", "rt") as f:
        found = re.findall(r'"writer": "([^"]*)"[^][{}]*?"file": "([^"]*)"', f.read())
    assert len(found) == len(writers)
    assert [writer_id({"writer": w, "file": file}) for w, file in found] == writers.tolist()


@pytest.fixture
def writers_file(tmp_path):
    """A .mat of 36 x 4 rows naming 20 writers, held-out ones among them."""
    X, Y = synthetic_split(4, seed=3)
    writers = np.array([f"s:w{i % 20}" for i in range(len(X))], dtype=object)
    path = tmp_path / "toy_train.mat"
    savemat(path, {"toy_data": X, "toy_labels": Y, "toy_writers": writers.reshape(1, -1)})
    return path, writers


def test_drop_lists_name_rows_of_a_collection(tmp_path):
    listed = tmp_path / "drop.txt"
    listed.write_text("# header\n\ntoy 3  # a lone stroke\ntoy 1\nother 0\ntoy 3\n")
    drop = selection.read_drop_list(listed)
    assert drop["toy"].tolist() == [1, 3] and drop["other"].tolist() == [0]
    assert selection.dropped_rows(drop, tmp_path / "toy_strokes.json.gz", 5).tolist() == [0, 1, 0, 1, 0]
    assert not selection.dropped_rows(drop, tmp_path / "nist36_train.mat", 5).any()
    with pytest.raises(InputError, match="names row 3, but the file has 2 rows"):
        selection.dropped_rows(drop, tmp_path / "toy_train.mat", 2)
    listed.write_text("toy three\n")
    with pytest.raises(InputError, match="line 1 is not 'COLLECTION ROW"):
        selection.read_drop_list(listed)


def test_training_leaves_out_held_out_writers_and_dropped_rows(writers_file, nist_dir, tmp_path):
    path, writers = writers_file
    held = selection.held_out_rows(writers)
    assert 0 < held.sum() < len(writers)
    listed = tmp_path / "drop.txt"
    first_kept = int(np.flatnonzero(~held)[0])
    listed.write_text(f"toy {first_kept}\n")
    both = selection.load_training([nist_dir / "nist36_train.mat", path], hold_out_writers=True, drop=listed)
    assert len(both.X) == 36 * 8 + (~held).sum() - 1
    kept_rows = np.flatnonzero(~held)[1:]
    np.testing.assert_array_equal(both.X[36 * 8:], synthetic_split(4, seed=3)[0][kept_rows].astype(np.float32))
    with pytest.raises(InputError, match="no training file names its writers"):
        selection.load_training([nist_dir / "nist36_train.mat"], hold_out_writers=True)


def test_evaluate_scores_only_the_held_out_writers(writers_file, tiny_model):
    from typer.testing import CliRunner

    from ocr_cli.cli import app

    path, writers = writers_file
    run = lambda *args: CliRunner().invoke(app, ["evaluate", "--model", str(tiny_model), "--test", str(path), *args,
                                                 "--json"])
    everyone, held = run(), run("--held-out-writers")
    assert everyone.exit_code == 0 and held.exit_code == 0, held.output
    assert json.loads(everyone.output)["samples"] == len(writers)
    assert json.loads(held.output)["samples"] == selection.held_out_rows(writers).sum()


def test_strokes_keep_their_drawing_when_rows_are_selected(tmp_path):
    from ocr_cli.net.data import Dataset, concatenate
    from ocr_cli.net.pens import Strokes

    strokes = Strokes([[np.zeros((2, 2))]] * 4, np.arange(4), np.array(["a", "b", "c", "d"]), tmp_path / "s")
    images = Dataset(np.zeros((3, 1024)), np.eye(36)[:3], ())
    drawn = Dataset(np.ones((4, 1024)), np.eye(36)[:4], (), "", ((0, strokes),))
    both = concatenate([images, drawn])
    assert both.drawn[0][0] == 3
    (first, subset), = both.select(np.array([True, False, True, False, True, False, True])).drawn
    assert first == 2 and subset.writers.tolist() == ["b", "d"]
    # rows of classes a model lacks are left out alike
    (first, subset), = both.aligned(CLASSES.replace("E", ""))[0].drawn
    assert first == 3 and subset.writers.tolist() == ["a", "b", "c", "d"] and len(subset) == 4
