"""Checkpoints: a run stopped after any epoch and resumed ends as if never stopped."""

import numpy as np
import pytest

from ocr_cli.net.data import load_dataset
from ocr_cli.net.train import TrainConfig, train


class Stop(Exception):
    pass


def stop_after(epoch):
    def on_epoch(record):
        if record["epoch"] == epoch:
            raise Stop
    return on_epoch


@pytest.mark.parametrize("options", [
    dict(hidden=[32], activation="relu", optimizer="adam", lr=0.002, dropout=0.3, augment=True, balance=True),
    dict(hidden=[16], momentum=0.9, lr=0.01, lr_step=2, lr_factor=0.5, patience=2, label_smoothing=0.1),
], ids=["adam-dropout-augment-balance", "sgd-momentum-steps-patience"])
def test_a_run_stopped_and_resumed_ends_with_the_weights_of_one_never_stopped(nist_dir, tmp_path, options):
    train_set, valid_set = load_dataset(nist_dir / "nist36_train.mat"), load_dataset(nist_dir / "nist36_valid.mat")
    config = TrainConfig(epochs=5, batch_size=16, **options)
    whole = train(train_set, valid_set, config)
    saved = tmp_path / "run.ckpt.npz"
    with pytest.raises(Stop):
        train(train_set, valid_set, config, on_epoch=stop_after(2), checkpoint=saved)
    resumed = train(train_set, valid_set, config, checkpoint=saved, resume=saved)
    assert resumed.kept_epoch == whole.kept_epoch
    assert [r["valid_acc"] for r in resumed.history] == [r["valid_acc"] for r in whole.history]
    for a, b in zip(whole.model.net.params, resumed.model.net.params):
        assert np.array_equal(a, b)
    assert np.array_equal(resumed.initial_weights, whole.initial_weights)


def test_a_checkpoint_resumes_only_the_run_that_made_it(nist_dir, tmp_path):
    from ocr_cli.errors import InputError

    train_set, valid_set = load_dataset(nist_dir / "nist36_train.mat"), load_dataset(nist_dir / "nist36_valid.mat")
    saved = tmp_path / "run.ckpt.npz"
    train(train_set, valid_set, TrainConfig(hidden=[8], epochs=1), checkpoint=saved)
    with pytest.raises(InputError, match=r"was saved by another training run \(its config differ\)"):
        train(train_set, valid_set, TrainConfig(hidden=[8], epochs=1, lr=0.01), resume=saved)
    with pytest.raises(InputError, match="not a checkpoint of ocr train"):
        from ocr_cli.net.model import save_model

        save_model(tmp_path / "model.npz", train(train_set, valid_set, TrainConfig(hidden=[8], epochs=1)).model)
        train(train_set, valid_set, TrainConfig(hidden=[8], epochs=1), resume=tmp_path / "model.npz")


def test_ocr_train_checkpoint_and_resume_from_the_command_line(nist_dir, tmp_path):
    from typer.testing import CliRunner

    from ocr_cli.cli import app

    run = lambda *args: CliRunner().invoke(app, [str(a) for a in args], env={"OCR_DATA": None})
    common = ["train", "--data", nist_dir, "--hidden", "8", "--epochs", "3"]
    whole = run(*common, "--out", tmp_path / "whole.npz")
    assert whole.exit_code == 0, whole.output
    first = run(*common, "--out", tmp_path / "a.npz", "--checkpoint", tmp_path / "c.npz")
    assert first.exit_code == 0, first.output
    again = run(*common, "--out", tmp_path / "b.npz", "--checkpoint", tmp_path / "c.npz")
    assert again.exit_code == 2 and "c.npz: already exists; pass --force" in again.stderr
    resumed = run(*common, "--out", tmp_path / "b.npz", "--checkpoint", tmp_path / "c.npz", "--resume", tmp_path / "c.npz")
    assert resumed.exit_code == 0, resumed.output
    with np.load(tmp_path / "whole.npz") as a, np.load(tmp_path / "b.npz") as b:
        assert all(np.array_equal(a[k], b[k]) for k in a.files if k != "metadata")
    other = run("train", "--data", nist_dir, "--hidden", "9", "--epochs", "3", "--out", tmp_path / "d.npz",
                "--resume", tmp_path / "c.npz")
    assert other.exit_code == 2 and "was saved by another training run" in other.stderr
    study = run(*common, "--lr", "0.1", "--lr", "0.01", "--out", tmp_path / "e.npz", "--checkpoint", tmp_path / "f.npz")
    assert study.exit_code == 2 and "--checkpoint: holds one run; give one --lr" in study.stderr
