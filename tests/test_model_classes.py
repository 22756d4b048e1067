"""A model's classes are honoured by character, never by column position: in evaluate,
confusion, train --init and read, for a model whose classes are permuted, a model of
fewer classes (digits only, one letter, "not a character" only) and data of other
classes (37 columns, a file naming its own)."""

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import synthetic_split
from PIL import Image
from scipy.io import savemat
from typer.testing import CliRunner

from ocr_cli.cli import app
from ocr_cli.layout import CLASSES, NOT_A_CHARACTER
from ocr_cli.net.model import load_model
from ocr_synth.pages import compose_page, photograph

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from hostile import reclass as reclassed  # noqa: E402 (bench/ is not a package)

runner = CliRunner()
DIGITS = "0123456789"


def run(*args):
    return runner.invoke(app, [str(a) for a in args], env={"OCR_DATA": None})


def permuted():
    return "".join(np.random.default_rng(1).permutation(list(CLASSES)))


def as_json(result):
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_a_permuted_model_scores_as_the_original(tiny_model, nist_dir, tmp_path):
    perm = reclassed(tiny_model, tmp_path / "perm.npz", permuted())
    for command in ("evaluate", "confusion"):
        original = as_json(run(command, "--model", tiny_model, "--data", nist_dir, "--json"))
        shuffled = as_json(run(command, "--model", perm, "--data", nist_dir, "--json"))
        assert shuffled["accuracy"] == pytest.approx(original["accuracy"])
    assert shuffled["pairs"] == original["pairs"]


def test_fine_tuning_a_permuted_model_goes_as_from_the_original(tiny_model, nist_dir, tmp_path):
    perm = reclassed(tiny_model, tmp_path / "perm.npz", permuted())
    runs = {}
    for name, start in (("original", tiny_model), ("permuted", perm)):
        out = tmp_path / f"{name}.npz"
        runs[name] = as_json(run("train", "--data", nist_dir, "--init", start, "--epochs", "2", "--batch-size", "16",
                                 "--out", out, "--json"))
    for epoch, other in zip(runs["permuted"]["runs"][0]["history"], runs["original"]["runs"][0]["history"]):
        assert epoch["valid_acc"] == pytest.approx(other["valid_acc"])
        assert epoch["train_loss"] == pytest.approx(other["train_loss"], rel=1e-4)
    X = np.random.default_rng(0).random((20, 1024))
    original, shuffled = load_model(tmp_path / "original.npz"), load_model(tmp_path / "permuted.npz")
    order = [shuffled.classes.index(c) for c in original.classes]
    np.testing.assert_allclose(shuffled.predict_proba(X)[:, order], original.predict_proba(X), atol=1e-5)


@pytest.mark.parametrize("classes,scored", [(DIGITS, 10 * 3), ("A", 3)])
def test_a_model_of_fewer_classes_scores_the_rows_of_its_classes(classes, scored, tiny_model, nist_dir, tmp_path):
    model = reclassed(tiny_model, tmp_path / "few.npz", classes)
    for command in ("evaluate", "confusion"):
        result = run(command, "--model", model, "--data", nist_dir, "--json")
        assert as_json(result)["accuracy"] >= 0
        left_out = 36 * 3 - scored
        assert result.stderr.strip() == f"ocr: {nist_dir / 'nist36_test.mat'}: {left_out} rows of classes the model " \
                                        f"does not read left out"
    report = as_json(run("evaluate", "--model", model, "--data", nist_dir, "--json"))
    assert report["samples"] == scored


@pytest.mark.parametrize("command", ["evaluate", "confusion"])
def test_a_model_of_none_of_the_data_classes_is_one_line(command, tiny_model, nist_dir, tmp_path):
    model = reclassed(tiny_model, tmp_path / "junk.npz", NOT_A_CHARACTER)
    result = run(command, "--model", model, "--data", nist_dir)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.stderr.strip() == (f"ocr: error: {nist_dir / 'nist36_test.mat'}: holds no rows of the model's "
                                     f"classes ({NOT_A_CHARACTER})")


def test_labels_of_37_columns_with_a_36_class_model(tiny_model, tmp_path):
    X, Y = synthetic_split(2, 5)
    Y37 = np.zeros((len(Y) + 4, 37), np.uint8)
    Y37[:len(Y), :36], Y37[len(Y):, 36] = Y, 1
    path = tmp_path / "with_junk.mat"
    savemat(path, {"test_data": np.concatenate([X, np.ones((4, 1024))]), "test_labels": Y37})
    result = run("evaluate", "--model", tiny_model, "--test", path, "--json")
    assert as_json(result)["samples"] == len(Y)
    assert result.stderr.strip() == f"ocr: {path}: 4 rows of classes the model does not read left out"


def test_a_digits_only_model_is_trained_from_data_naming_its_classes(nist_dir, tmp_path):
    for split, n in (("train", 8), ("valid", 3)):
        X, Y = synthetic_split(n, 7)
        digits = Y.argmax(1) >= 26
        savemat(tmp_path / f"{split}.mat", {f"{split}_data": X[digits], f"{split}_labels": Y[digits][:, 26:],
                                            f"{split}_classes": DIGITS})
    out = tmp_path / "digits.npz"
    result = run("train", "--train", tmp_path / "train.mat", "--valid", tmp_path / "valid.mat", "--hidden", "16",
                 "--epochs", "2", "--out", out)
    assert result.exit_code == 0, result.output
    assert load_model(out).classes == DIGITS
    report = as_json(run("evaluate", "--model", out, "--data", nist_dir, "--json"))
    assert report["samples"] == 30


@pytest.fixture(scope="module")
def page_png(pattern_bank, tmp_path_factory):
    page = compose_page(["CALL 42 NOW", "B7 IS OK"], pattern_bank, np.random.default_rng(5), char_height=40)
    path = tmp_path_factory.mktemp("page") / "page.png"
    Image.fromarray(photograph(page.image, np.random.default_rng(6))).save(path)
    return path


@pytest.mark.parametrize("classes,words", [(DIGITS, ["42"]), ("A", []), (CLASSES + NOT_A_CHARACTER, ["CALL", "B7"]),
                                           (permuted(), ["CALL", "B7"])])
def test_read_reads_only_the_model_classes(classes, words, pattern_model, page_png, tmp_path):
    model = reclassed(pattern_model, tmp_path / "few.npz", classes)
    result = run("read", page_png, "--model", model, "--format", "json", "--no-punctuation")
    entry = as_json(result)[0]
    assert entry["characters"] == classes.replace(NOT_A_CHARACTER, "")
    assert set(entry["text"]) <= set(classes) | set(" \n\f"), entry["text"]
    assert all(word in entry["text"].split() for word in words), entry["text"]


def test_read_with_a_model_that_reads_no_characters_is_one_line(pattern_model, page_png, tmp_path):
    model = reclassed(pattern_model, tmp_path / "junk.npz", NOT_A_CHARACTER)
    for command in ("read", "find-letters"):
        result = run(command, page_png, "--model", model)
        assert result.exit_code == 2 and "Traceback" not in result.output
        assert result.stderr.strip() == (f"ocr: error: {model}: the model reads no characters: its only class "
                                         f"is '{NOT_A_CHARACTER}' (not a character)")
