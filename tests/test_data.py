"""Reading nist36-layout .mat files, and the errors for bad ones."""

import numpy as np
import pytest
from conftest import synthetic_split, write_split
from scipy.io import savemat

from ocr_cli.net.data import concatenate, load_dataset, split_file
from ocr_cli.errors import InputError


def test_loads_any_split_name(tmp_path):
    X, Y = synthetic_split(2, 0)
    data = load_dataset(write_split(tmp_path / "mine.mat", "extra", X.astype(np.float32), Y))
    assert data.X.shape == (72, 1024) and data.Y.shape == (72, 36)
    assert data.X.dtype == data.Y.dtype == np.float32 and np.array_equal(data.Y.argmax(1), Y.argmax(1))
    both = concatenate([data, data])
    assert len(both.X) == 144 and both.paths == (tmp_path / "mine.mat",) * 2


def test_split_file_finds_the_named_split(nist_dir):
    assert split_file(nist_dir, "valid") == nist_dir / "nist36_valid.mat"
    with pytest.raises(InputError, match="nist36_extra.mat: no such file"):
        split_file(nist_dir, "extra")


def bad_file(tmp_path, **variables):
    path = tmp_path / "bad.mat"
    savemat(path, variables)
    return path


X, Y = synthetic_split(1, 0)


@pytest.mark.parametrize("variables,message", [
    ({"train_data": X}, "no '<split>_data' and '<split>_labels' key pair"),
    ({"train_data": X[:, :1023], "train_labels": Y}, r"shape \(36, 1023\); expected \(N, 1024\)"),
    ({"train_data": np.where(np.eye(36, 1024) > 0, np.nan, X), "train_labels": Y}, "NaN or infinite"),
    ({"train_data": X * 255, "train_labels": Y}, "expected 0..1"),
    ({"train_data": X, "train_labels": Y * 2}, "not one-hot"),
    ({"train_data": X, "train_labels": Y[:, :10]}, r"shape \(36, 10\); expected \(36, 36\)"),
    ({"train_data": X, "train_labels": Y[:30]}, r"shape \(30, 36\); expected \(36, 36\)"),
    ({"train_data": X[:0], "train_labels": Y[:0]}, "holds no rows"),
    ({"a_data": X, "a_labels": Y, "b_data": X, "b_labels": Y}, "several splits"),
])
def test_invalid_contents_are_named(tmp_path, variables, message):
    path = bad_file(tmp_path, **variables)
    with pytest.raises(InputError, match=message) as info:
        load_dataset(path)
    assert str(info.value).startswith(str(path)) and "\n" not in str(info.value)


def test_unreadable_files(tmp_path):
    (tmp_path / "empty.mat").write_bytes(b"")
    (tmp_path / "text.mat").write_text("not a matlab file\n" * 20)
    for name in ("empty.mat", "text.mat"):
        with pytest.raises(InputError, match="not a readable .mat file"):
            load_dataset(tmp_path / name)
    with pytest.raises(InputError, match="no such file"):
        load_dataset(tmp_path / "missing.mat")
    with pytest.raises(InputError, match="is a directory"):
        load_dataset(tmp_path)


def test_named_split_must_exist(nist_dir):
    with pytest.raises(InputError, match="no 'test_data' and 'test_labels' keys"):
        load_dataset(nist_dir / "nist36_train.mat", split="test")


def test_real_files_load(real_nist):
    data = load_dataset(real_nist / "nist36_test.mat")
    assert data.X.shape == (1800, 1024) and (data.Y.sum(0) == 50).all()


@pytest.mark.parametrize("dtype", ["f8", "f4", "u1", "i2", "u4", "i8", "?"])
@pytest.mark.parametrize("compressed", [False, True])
def test_rows_are_read_into_float32_as_scipy_reads_them(dtype, compressed, tmp_path):
    from ocr_cli.net.matfile import read_rows

    X = (np.random.default_rng(0).random((37, 1024)) * 3).astype(dtype)
    path = tmp_path / "rows.mat"
    savemat(path, {"a": np.ones((3, 3)), "x": "text", "test_data": X, "test_labels": np.eye(36)[np.arange(37) % 36]},
            do_compression=compressed)
    rows = read_rows(path, "test_data", (37, 1024))
    assert rows.dtype == np.float32 and rows.flags.c_contiguous
    np.testing.assert_array_equal(rows, X.astype(np.float32))
    np.testing.assert_array_equal(read_rows(path, "test_labels", (37, 36)), np.eye(36)[np.arange(37) % 36])


@pytest.mark.parametrize("variables,kwargs", [
    ({"test_data": np.ones((3, 1024)) + 1j}, {}),  # complex: scipy reads it, validate refuses it
    ({"test_data": np.ones((3, 1024))}, {"format": "4"}),  # MATLAB v4
    ({"other": np.ones((3, 1024))}, {}),  # not there
])
def test_files_the_row_reader_does_not_handle_are_left_to_scipy(variables, kwargs, tmp_path):
    from ocr_cli.net.matfile import read_rows

    savemat(tmp_path / "f.mat", variables, **kwargs)
    assert read_rows(tmp_path / "f.mat", "test_data", (3, 1024)) is None
    (tmp_path / "cut.mat").write_bytes((tmp_path / "f.mat").read_bytes()[:300])
    assert read_rows(tmp_path / "cut.mat", "test_data", (3, 1024)) is None
