"""Each command through Typer's CliRunner: results on stdout, errors as one line."""

import json

import numpy as np
import pytest
from conftest import synthetic_split, write_split
from typer.testing import CliRunner

from ocr_cli.cli import app
from ocr_cli.net.data import load_dataset
from ocr_cli.net.model import load_model

runner = CliRunner()
FAST = ["--hidden", "16", "--epochs", "4", "--batch-size", "16"]


def run(*args, env=None):
    return runner.invoke(app, [str(a) for a in args], env={"OCR_DATA": None, **(env or {})})


def assert_one_line_error(result, code, *fragments):
    assert result.exit_code == code, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ocr: error: "), result.stderr
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in lines[0]


def test_help_lists_the_commands():
    result = run("--help")
    assert result.exit_code == 0
    for command in ("train", "evaluate", "confusion"):
        assert command in result.stdout


def test_train_saves_a_model_and_writes_the_figures(nist_dir, tmp_path):
    out, figures = tmp_path / "m.npz", tmp_path / "figs"
    result = run("train", "--data", nist_dir, *FAST, "--lr", "0.05", "--out", out, "--plot", figures)
    assert result.exit_code == 0, result.output
    assert "training summary" in result.stdout and "valid acc" in result.stdout
    assert sorted(p.name for p in figures.iterdir()) == ["accuracy.png", "loss.png", "weights_init.png", "weights_trained.png"]
    model = load_model(out)
    assert model.metadata["training"]["config"]["hidden"] == [16]
    assert "--epochs 4" in model.metadata["training"]["command"]
    assert model.metadata["data"]["train"][0]["file"].endswith("nist36_train.mat")
    assert model.metadata["metrics"]["valid"]["accuracy"] > 0.5  # 36 classes: chance is 2.8%


def test_learning_rate_study_trains_one_network_per_rate(nist_dir, tmp_path):
    out = tmp_path / "m.npz"
    result = run("train", "--data", nist_dir, *FAST, "--lr", "0.1", "--lr", "0.01", "--lr", "0.001",
                 "--out", out, "--plot", tmp_path / "figs", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert [r["config"]["lr"] for r in report["runs"]] == [0.1, 0.01, 0.001]
    assert all(len(r["history"]) == 4 for r in report["runs"])
    best = max(report["runs"], key=lambda r: r["history"][-1]["valid_acc"])
    assert report["saved_lr"] == best["config"]["lr"] == load_model(out).metadata["training"]["config"]["lr"]
    assert (tmp_path / "figs" / "lr_study.png").stat().st_size > 10_000


def test_same_seed_same_weights(nist_dir, tmp_path):
    for name in ("a", "b"):
        assert run("train", "--data", nist_dir, *FAST, "--seed", "5", "--out", tmp_path / f"{name}.npz").exit_code == 0
    a, b = load_model(tmp_path / "a.npz"), load_model(tmp_path / "b.npz")
    assert all(np.array_equal(x, y) for x, y in zip(a.net.params, b.net.params))


def test_train_takes_files_and_several_layers(nist_dir, tmp_path):
    out = tmp_path / "m.npz"
    result = run("train", "--train", nist_dir / "nist36_train.mat", "--train", nist_dir / "nist36_test.mat",
                 "--valid", nist_dir / "nist36_valid.mat", "--hidden", "24,12", "--activation", "relu",
                 "--optimizer", "adam", "--lr", "0.003", "--epochs", "2", "--out", out)
    assert result.exit_code == 0, result.output
    meta = load_model(out).metadata
    assert [l["out"] for l in meta["layers"]] == [24, 12, 36]
    assert len(meta["data"]["train"]) == 2


def test_train_a_small_convolutional_network_with_regularisation(nist_dir, tmp_path):
    out = tmp_path / "cnn.npz"
    result = run("train", "--data", nist_dir, "--conv", "4", "--kernel", "5", "--hidden", "16", "--activation", "relu",
                 "--dropout", "0.2", "--weight-decay", "0.01", "--label-smoothing", "0.1", "--patience", "2",
                 "--optimizer", "adam", "--lr", "0.003", "--epochs", "3", "--augment", "--out", out)
    assert result.exit_code == 0, result.output
    model = load_model(out)
    assert [l["type"] for l in model.metadata["layers"]] == ["reshape", "conv", "maxpool", "reshape", "dense", "dropout", "dense"]
    command = model.metadata["training"]["command"]
    for option in ("--conv 4", "--kernel 5", "--dropout 0.2", "--weight-decay 0.01", "--label-smoothing 0.1",
                   "--patience 2", "--augment"):
        assert option in command
    assert model.metadata["training"]["kept_epoch"] <= model.metadata["training"]["epochs_run"] <= 3
    assert parsed_config(command) == model.metadata["training"]["config"]


def test_layers_given_one_by_one_with_reshapes_put_where_needed(nist_dir, tmp_path):
    out = tmp_path / "layers.npz"
    result = run("train", "--data", nist_dir, "--layer", "conv size=3 filters=4", "--layer", "maxpool",
                 "--layer", "dense out=12 activation=tanh", "--layer", "dropout rate=0.1", "--activation", "relu",
                 "--epochs", "1", "--optimizer", "adam", "--lr", "0.003", "--out", out)
    assert result.exit_code == 0, result.output
    model = load_model(out)
    assert [(l["type"], l.get("activation")) for l in model.metadata["layers"]] == [
        ("reshape", None), ("conv", "relu"), ("maxpool", None), ("reshape", None), ("dense", "tanh"),
        ("dropout", None), ("dense", "linear")]
    assert model.net.layers[4].W.shape == (15 * 15 * 4, 12)
    assert parsed_config(model.metadata["training"]["command"]) == model.metadata["training"]["config"]
    for layer, message in (("pool", "--layer: unknown layer type 'pool'; one of dense, conv, maxpool"),
                           ("conv size=40 filters=2", "does not fit its input (32, 32, 1)"),
                           ("dense 12", "--layer: expected 'type key=value ...', got 'dense 12'")):
        assert_one_line_error(run("train", "--data", nist_dir, "--layer", layer, "--out", tmp_path / "x.npz"), 2,
                              message)


def parsed_config(command):
    """The training config that the recorded ``ocr train ...`` command line gives when
    parsed again by the command itself."""
    import shlex
    from dataclasses import asdict

    import typer

    from ocr_cli.cli import train_configs

    words = shlex.split(command)
    assert words[:2] == ["ocr", "train"]
    train_command = typer.main.get_command(app).commands["train"]
    (config,) = train_configs(train_command.make_context("train", words[2:]).params)
    return json.loads(json.dumps(asdict(config)))


def test_the_recorded_command_is_the_typed_one_and_parses_back_to_the_config(nist_dir, tmp_path):
    out = tmp_path / "m.npz"
    typed = ["train", "--data", str(nist_dir), "--hidden", "12", "--hidden", "8", "--activation", "tanh",
             "--epochs", "2", "--batch-size", "16", "--lr", "0.02", "--optimizer", "adam", "--balance",
             "--seed", "4", "--out", str(out)]
    assert run(*typed).exit_code == 0
    training = load_model(out).metadata["training"]
    assert training["command"] == "ocr " + " ".join(typed)
    assert parsed_config(training["command"]) == training["config"]
    assert training["config"]["hidden"] == [12, 8] and training["config"]["balance"] is True


def test_train_goes_on_from_a_model(nist_dir, tiny_model, tmp_path):
    out = tmp_path / "tuned.npz"
    result = run("train", "--data", nist_dir, "--init", tiny_model, "--hidden", "99", "--epochs", "1",
                 "--batch-size", "16", "--lr", "0.05", "--out", out, "--json")
    assert result.exit_code == 0, result.output
    start, tuned = load_model(tiny_model), load_model(out)
    assert tuned.metadata["layers"] == start.metadata["layers"]  # the model's layers, not --hidden 99
    assert tuned.metadata["training"]["config"]["hidden"] == [16]
    assert f"--init {tiny_model}" in tuned.metadata["training"]["command"]
    assert tuned.metadata["data"]["init"][0]["file"] == str(tiny_model)
    assert not np.array_equal(tuned.net.params[0], start.net.params[0])
    fresh = run("train", "--data", nist_dir, "--hidden", "16", "--epochs", "1", "--batch-size", "16", "--lr", "0.05",
                "--out", tmp_path / "fresh.npz", "--json")
    first_epoch = [json.loads(r.stdout)["runs"][0]["history"][0]["train_acc"] for r in (result, fresh)]
    assert first_epoch[0] > first_epoch[1]  # five epochs ahead


def test_train_refuses_a_bad_starting_model(nist_dir, tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a model")
    result = run("train", "--data", nist_dir, "--init", bad, "--out", tmp_path / "m.npz")
    assert_one_line_error(result, 2, str(bad))
    assert not (tmp_path / "m.npz").exists()


def test_train_refuses_to_overwrite_before_training(nist_dir, tmp_path):
    out = tmp_path / "m.npz"
    out.write_bytes(b"keep me")
    result = run("train", "--data", nist_dir, *FAST, "--out", out)
    assert_one_line_error(result, 2, str(out), "already exists; pass --force")
    assert out.read_bytes() == b"keep me"
    assert run("train", "--data", nist_dir, *FAST, "--out", out, "--force").exit_code == 0
    load_model(out)


@pytest.mark.parametrize("args,fragments", [
    (["--train", "missing.mat", "--valid", "missing.mat"], ["missing.mat: no such file"]),
    (["--data", "no_such_dir"], ["no_such_dir: no such data directory"]),
    ([], ["--train: no train data given; pass --data DIR or --train FILE"]),
    (["--hidden", "64,x"], ["--hidden", "whole numbers"]),
    (["--conv", "8,8,8"], ["--conv: 3 blocks of 5x5 convolution and pooling shrink a 32x32 image to nothing"]),
])
def test_train_input_errors(nist_dir, tmp_path, args, fragments):
    if args[:1] in (["--hidden"], ["--conv"]):
        args = ["--data", str(nist_dir), *args]
    result = run("train", *args, "--out", tmp_path / "m.npz")
    assert_one_line_error(result, 2, *fragments)
    assert not (tmp_path / "m.npz").exists()


def test_train_reports_a_bad_data_file(tmp_path, nist_dir):
    X, Y = synthetic_split(1, 0)
    bad = write_split(tmp_path / "bad.mat", "train", X[:, :1023], Y)
    result = run("train", "--train", bad, "--valid", nist_dir / "nist36_valid.mat", "--out", tmp_path / "m.npz")
    assert_one_line_error(result, 2, str(bad), "expected (N, 1024)")


def test_evaluate_prints_accuracy_loss_and_per_class(tiny_model, nist_dir):
    result = run("evaluate", "--model", tiny_model, "--data", nist_dir)
    assert result.exit_code == 0, result.output
    assert "accuracy" in result.stdout and "mean loss" in result.stdout and "worst first" in result.stdout
    as_json = json.loads(run("evaluate", "--model", tiny_model, "--test", nist_dir / "nist36_test.mat", "--json").stdout)
    test = load_dataset(nist_dir / "nist36_test.mat")
    probs = load_model(tiny_model).predict_proba(test.X)
    assert as_json["accuracy"] == pytest.approx(np.mean(probs.argmax(1) == test.Y.argmax(1)))
    assert as_json["loss"] == pytest.approx(-np.mean(np.log(probs[test.Y > 0])))
    assert len(as_json["per_class"]) == 36 and as_json["samples"] == len(test.X)
    assert f"{as_json['accuracy']:.2%}" in result.stdout


def test_confusion_writes_the_matrix_and_lists_pairs(tiny_model, nist_dir, tmp_path):
    png = tmp_path / "confusion.png"
    result = run("confusion", "--model", tiny_model, "--data", nist_dir, "--plot", png, "--top", "3", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    matrix = np.array(report["confusion"])
    assert matrix.shape == (36, 36) and matrix.sum() == 36 * 3
    assert len(report["pairs"]) <= 3
    for pair in report["pairs"]:
        i, j = report["classes"].index(pair["true"]), report["classes"].index(pair["predicted"])
        assert i != j and matrix[i, j] == pair["count"]
    assert png.stat().st_size > 10_000
    table = run("confusion", "--model", tiny_model, "--data", nist_dir)
    assert table.exit_code == 0 and "most confused pairs" in table.stdout


def test_evaluate_errors(tiny_model, nist_dir, tmp_path):
    assert_one_line_error(run("evaluate", "--model", tiny_model, "--test", tmp_path / "none.mat"), 2, "none.mat: no such file")
    broken = tmp_path / "broken.npz"
    broken.write_bytes(tiny_model.read_bytes()[:500])
    assert_one_line_error(run("evaluate", "--model", broken, "--data", nist_dir), 2, str(broken), "not a readable model file")
    assert_one_line_error(run("confusion", "--model", tiny_model), 2, "--test: no test data given")


def test_version_short_help_and_module_entry_point():
    import subprocess
    import sys

    from importlib.metadata import version

    for flag in ("--version", "-V"):
        result = run(flag)
        assert result.exit_code == 0 and result.stdout == f"ocr {version('ocr-cli')}\n"
    short = run("-h")
    assert short.exit_code == 0 and "Usage:" in short.stdout and "find-letters" in short.stdout
    assert "--model" in run("read", "-h").stdout
    module = subprocess.run([sys.executable, "-m", "ocr_cli", "--help"], capture_output=True, text=True)
    assert module.returncode == 0 and "Usage: ocr" in module.stdout and "find-letters" in module.stdout


def test_init_with_not_a_character_data_widens_the_model(nist_dir, tiny_model, tmp_path):
    from scipy.io import savemat

    from ocr_cli.layout import CLASSES, NOT_A_CHARACTER

    X = np.random.default_rng(0).random((40, 1024)).astype(np.float32)  # noise: not characters
    junk = tmp_path / "junk.mat"
    savemat(junk, {"junk_data": X, "junk_labels": np.eye(37, dtype=np.uint8)[np.full(40, 36)]})
    out = tmp_path / "widened.npz"
    result = run("train", "--train", nist_dir / "nist36_train.mat", "--train", junk, "--valid",
                 nist_dir / "nist36_valid.mat", "--init", tiny_model, "--epochs", "2", "--batch-size", "16",
                 "--lr", "0.02", "--out", out)
    assert result.exit_code == 0, result.output
    model = load_model(out)
    assert model.classes == CLASSES + NOT_A_CHARACTER and model.net.layers[-1].W.shape[1] == 37
    assert model.predict_proba(X).argmax(1).mean() > 30  # it learned the noise is not a character
    scored = json.loads(run("evaluate", "--model", out, "--data", nist_dir, "--json").stdout)
    assert 0 < scored["accuracy"] <= 1 and set(scored["per_class"]) == set(CLASSES + NOT_A_CHARACTER)


def test_shell_completion_installs_and_completes_commands_and_options(tmp_path):
    import os
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    ocr = shutil.which("ocr", path=str(Path(sys.executable).parent))
    # The shell named, not detected from the processes above the test (which differ
    # between a terminal, CI and a background job): typer then takes it as the value.
    env = dict(os.environ, HOME=str(tmp_path), SHELL="/bin/bash", _TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION="1",
               PATH=os.pathsep.join([str(Path(ocr).parent), os.environ.get("PATH", "")]))
    install = subprocess.run([ocr, "--install-completion", "bash"], capture_output=True, text=True, env=env)
    assert install.returncode == 0, install.stderr
    complete = ('source ~/.bashrc; COMP_WORDS=(ocr {}); COMP_CWORD={}; _ocr_completion ocr; '
                'printf "%s\\n" "${{COMPREPLY[@]}}"')
    for words, expected in (("fi", "find-letters"), ("read --form", "--format")):
        script = complete.format(words, len(words.split()))
        shown = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env)
        assert shown.stdout.split() == [expected], shown.stdout + shown.stderr


@pytest.mark.parametrize("args, message", [
    (["read", "--bogus"], "No such option: --bogus"),
    (["read"], "Missing argument 'IMAGE...'."),
    (["trian"], "No such command 'trian'. Did you mean 'train'?"),
    (["read", "x.jpg", "--jobs", "abc"], "Invalid value for '--jobs' / '-j'"),
])
def test_usage_errors_are_one_line_that_says_where_to_look(args, message):
    result = run(*args)
    assert_one_line_error(result, 2, message, "(see 'ocr")
