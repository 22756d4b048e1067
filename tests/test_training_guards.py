"""Unusable models are never saved; hyperparameters and model files are validated.

Each case through the CLI: the exit code, one line on stderr (no traceback), and no file
written or the old one's bytes unchanged."""

import json
import zipfile

import numpy as np
import pytest
from conftest import synthetic_split, write_split
from PIL import Image
from typer.testing import CliRunner

from ocr_cli.cli import app
from ocr_cli.errors import InputError, OcrError
from ocr_cli.net.model import Model, load_model, new_metadata, save_model
from ocr_cli.net.network import Network, parameter_count, plan
from ocr_cli.net.nn import squared_error
from ocr_cli.net.optim import SGD
from ocr_cli.net.train import Diverged, Loop, classification_loss, collapse, fine_tuning_optimizer, run_epochs

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args], env={"OCR_DATA": None})


def assert_one_line_error(result, code, *fragments):
    assert result.exit_code == code, result.output
    lines = [line for line in result.stderr.strip().splitlines() if line.startswith("ocr: error: ")]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


# ---------------------------------------------------------------- divergence


@pytest.mark.parametrize("args,fragment", [
    (["--optimizer", "sgd", "--lr", "1000"], "training diverged in epoch 1"),  # from the tiny model: explodes
    (["--hidden", "16", "--lr", "1e30"], "training diverged in epoch 1"),  # fresh: NaN
])
def test_diverging_training_fails_and_keeps_the_old_model(args, fragment, nist_dir, tiny_model, tmp_path):
    out = tmp_path / "m.npz"
    out.write_bytes(tiny_model.read_bytes())
    init = ["--init", tiny_model] if "--optimizer" in args else []
    result = run("train", "--data", nist_dir, *init, *args, "--epochs", "2", "--batch-size", "16",
                 "--out", out, "--force")
    line = assert_one_line_error(result, 1, fragment, "nothing was saved")
    assert line.startswith("ocr: error: lr ")
    assert out.read_bytes() == tiny_model.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.npz"]  # no temporary file left either


def test_the_loop_stops_at_the_first_non_finite_loss():
    net = Network.mlp([4, 3, 2], "relu", seed=0)
    X, T = np.random.default_rng(0).random((40, 4)), np.eye(2)[np.arange(40) % 2]
    calls = []

    def loss(outputs, targets):
        calls.append(1)
        value, grad = classification_loss(0)(outputs, targets)
        return (np.nan if len(calls) == 3 else value), grad

    with pytest.raises(Diverged, match=r"lr 0.01: training diverged in epoch 1, batch 3 of 4: the loss became NaN"):
        run_epochs(net, SGD(0.01), X, T, loss, Loop(5, 10, guess_loss=np.log(2)), np.random.default_rng(0))
    assert len(calls) == 3
    assert isinstance(Diverged(0.1, 1, 1, 1, "x"), OcrError) and Diverged(0.1, 1, 1, 1, "x").exit_code == 1


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_collapse_and_explosion_rules():
    net = Network.mlp([4, 3, 2], "relu", seed=0)
    guess = np.log(36)
    assert collapse(net, 0.2, 3.0, guess) is None  # got worse, but not worse than guessing
    assert "worse than guessing" in collapse(net, 0.2, 3.7, guess)  # the shipped model under SGD 0.003
    assert collapse(net, 3.9, 4.2, guess) is None  # a fresh network never started well
    net.params[0][0, 0] = np.inf
    assert "no longer finite" in collapse(net, 0.2, 0.1, guess)
    # the autoencoder's bounded loss: only non-finite values count
    X = np.random.default_rng(0).random((20, 4))
    ae = Network.create(4, 4, [2], "relu", output="sigmoid")
    with pytest.raises(Diverged, match="the loss became"):
        run_epochs(ae, SGD(np.inf), X, X, squared_error, Loop(3, 5), np.random.default_rng(0))


def test_a_model_holding_nan_is_never_saved(tmp_path, tiny_model):
    model = load_model(tiny_model)
    model.net.params[1][0] = np.nan
    out = tmp_path / "m.npz"
    out.write_bytes(b"precious")
    with pytest.raises(OcrError, match=r"not saved: the model's array 'b0' holds NaN or infinite values"):
        save_model(out, model, force=True)
    assert out.read_bytes() == b"precious" and len(list(tmp_path.iterdir())) == 1


# ---------------------------------------------------------------- fine-tuning


def test_init_goes_on_with_the_models_own_optimizer_and_rate(nist_dir, tiny_model, tmp_path):
    out = tmp_path / "m.npz"
    result = run("train", "--data", nist_dir, "--init", tiny_model, "--epochs", "1", "--batch-size", "16", "--out", out)
    assert result.exit_code == 0, result.output
    assert f"fine-tuning {tiny_model} with sgd at lr 0.05" in result.stderr  # tiny_model: SGD at 0.05
    config = load_model(out).metadata["training"]["config"]
    assert (config["optimizer"], config["lr"]) == ("sgd", 0.05)


def test_fine_tuning_optimizer_choice():
    adam = {"training": {"config": {"optimizer": "adam", "lr": 1e-4}}}
    assert fine_tuning_optimizer(adam) == ("adam", 1e-4)
    assert fine_tuning_optimizer(adam, "adam") == ("adam", 1e-4)
    assert fine_tuning_optimizer(adam, "sgd") == ("sgd", 3e-3)  # another optimiser: its default rate
    assert fine_tuning_optimizer({}) == ("adam", 1e-4)  # nothing recorded
    assert fine_tuning_optimizer({"training": {"config": {"optimizer": "sgd", "lr": -1}}}) == ("adam", 1e-4)


# ---------------------------------------------------------------- options, before any data


@pytest.mark.parametrize("command,args,fragment", [
    ("train", ["--lr", "nan"], "--lr: must be a finite number above 0, got nan"),
    ("train", ["--lr", "inf"], "--lr: must be a finite number above 0, got inf"),
    ("train", ["--lr", "0.01", "--lr", "-1"], "--lr: must be a finite number above 0, got -1.0"),
    ("train", ["--lr", "0"], "--lr: must be a finite number above 0, got 0.0"),
    ("train", ["--weight-decay", "inf"], "--weight-decay: must be a finite number of at least 0, got inf"),
    ("train", ["--weight-decay", "500"], "--weight-decay: 500 at lr 0.003 would scale every weight by -0.5"),
    ("train", ["--lr-factor", "0"], "--lr-factor: must be above 0 and at most 1, got 0.0"),
    ("train", ["--hidden", "100000000000000000000"], "--hidden: these layers would have 1.06e+23 weights"),
    ("train", ["--hidden", "1000000"], "--hidden: these layers would have 1,061,000,036 weights (4.0 GB)"),
    ("train", ["--conv", "100000000000000000000"], "--hidden/--conv: these layers would have 1.26e+24 weights"),
    ("train", ["--conv", "1e20"], "--conv: expected whole numbers"),
    ("autoencode", ["--lr", "inf"], "--lr: must be a finite number above 0, got inf"),
    ("autoencode", ["--lr", "0"], "--lr: must be a finite number above 0, got 0.0"),
    ("autoencode", ["--hidden", "100000000000000000000"], "--hidden: these layers would have"),
    ("train", ["--seed", "-1"], "--seed: must be a whole number of at least 0, got -1"),
    ("autoencode", ["--seed", "-1"], "--seed: must be a whole number of at least 0, got -1"),
])
def test_unusable_options_are_refused_before_the_data_is_read(command, args, fragment, tmp_path):
    out = tmp_path / "m.npz"
    result = run(command, "--data", tmp_path / "no-such-folder", *args, "--out", out)
    assert_one_line_error(result, 2, fragment)
    assert not out.exists()


def test_parameter_count_matches_the_network():
    for hidden, conv in (([64], []), ([12, 7], [3, 4])):
        net = Network.create(1024, 36, hidden, "relu", conv)
        assert parameter_count(plan(36, hidden, "relu", conv)) == sum(p.size for p in net.params)


def test_autoencode_plot_of_a_class_the_valid_file_lacks_fails_before_training(nist_dir, tmp_path):
    X, Y = synthetic_split(2, 5)
    keep = Y[:, 7] == 0  # no H
    valid = write_split(tmp_path / "valid.mat", "valid", X[keep], Y[keep])
    result = run("autoencode", "--train", nist_dir / "nist36_train.mat", "--valid", valid, "--epochs", "1",
                 "--plot", tmp_path / "figs", "--out", tmp_path / "ae.npz")
    assert_one_line_error(result, 2, f"{valid}: has no images of class H to show (--classes H,3,U,8,Q)")
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == ["valid.mat"]


# ---------------------------------------------------------------- crafted model files


def arrays_of(path):
    with np.load(path, allow_pickle=False) as npz:
        return {k: npz[k] for k in npz.files}


def with_metadata(tiny_model, tmp_path, text=None, **changes):
    """``tiny_model`` with its metadata JSON replaced by ``text`` or updated by ``changes``."""
    arrays = arrays_of(tiny_model)
    meta = json.loads(str(arrays["metadata"]))
    meta.update(changes)
    arrays["metadata"] = np.array(text if text is not None else json.dumps(meta))
    path = tmp_path / "crafted.npz"
    np.savez(path, **arrays)
    return path


def deep_metadata(tiny_model, depth=100_000):
    meta = json.dumps({**json.loads(str(arrays_of(tiny_model)["metadata"])), "training": None})
    return meta.replace('"training": null', '"training": ' + "[" * depth + "]" * depth)


@pytest.mark.parametrize("case,fragment", [
    ("nested", "'metadata' nests lists or objects more than 16 deep"),
    ("task list", "metadata 'task' is ['classify']; expected a string"),
    ("long version", "metadata holds a number of 5000 characters (at most 30 expected)"),
    ("float version", "metadata 'version' is 1.5; expected a whole number"),
    ("version 0", "model format version 0 is not one ocr knows (1 to 2)"),
    ("non-ASCII classes", "metadata 'classes' is 'ÀBCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'; expected distinct printable ASCII characters, one per output"),
    ("repeated classes", "metadata 'classes' is 'AACDEFGHIJKLMNOPQRSTUVWXYZ0123456789'; expected distinct"),
    ("NaN", "metadata holds NaN; a model's metadata has only finite numbers"),
    ("training list", "metadata 'training' is [1, 2]; expected an object"),
    ("config list", "metadata 'training' 'config' is [1]; expected an object"),
    ("huge float", "metadata holds the number '1e999', too large for a float"),
])
def test_crafted_metadata_is_refused_in_one_line(case, fragment, tiny_model, tmp_path, nist_dir):
    classes = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    path = {
        "nested": lambda: with_metadata(tiny_model, tmp_path, deep_metadata(tiny_model)),
        "task list": lambda: with_metadata(tiny_model, tmp_path, task=["classify"]),
        "long version": lambda: with_metadata(tiny_model, tmp_path, json.dumps(
            {"format": "ocr-mlp", "version": 0}).replace("0}", "7" * 5000 + "}")),
        "float version": lambda: with_metadata(tiny_model, tmp_path, version=1.5),
        "version 0": lambda: with_metadata(tiny_model, tmp_path, version=0),
        "non-ASCII classes": lambda: with_metadata(tiny_model, tmp_path, classes="À" + classes[1:]),
        "repeated classes": lambda: with_metadata(tiny_model, tmp_path, classes="AA" + classes[2:]),
        "NaN": lambda: with_metadata(tiny_model, tmp_path, average_shifts=float("nan")),
        "training list": lambda: with_metadata(tiny_model, tmp_path, training=[1, 2]),
        "config list": lambda: with_metadata(tiny_model, tmp_path, training={"config": [1]}),
        "huge float": lambda: with_metadata(tiny_model, tmp_path, json.dumps(
            {"format": "ocr-mlp", "version": 2, "x": 0}).replace('"x": 0', '"x": 1e999')),
    }[case]()
    before = path.read_bytes()
    image = tmp_path / "page.png"
    Image.fromarray(np.full((60, 80), 255, np.uint8)).save(image)
    for args in (["evaluate", "--model", path, "--data", nist_dir], ["read", image, "--model", path],
                 ["train", "--data", nist_dir, "--init", path, "--out", tmp_path / "out.npz"]):
        assert_one_line_error(run(*args), 2, f"{path}: {fragment}")
    assert path.read_bytes() == before and not (tmp_path / "out.npz").exists()
    with pytest.raises(InputError):
        load_model(path)


def npz_with_header(path, tiny_model, name, shape, dtype="<f4"):
    """``tiny_model``'s arrays with ``name`` replaced by a member whose .npy header
    declares ``shape`` but holds only a few bytes (as a zip bomb of zeros would
    declare gigabytes in a few MB): loading it would fail, so a shape error proves
    that the header alone was checked."""
    arrays = arrays_of(tiny_model)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for key, array in arrays.items():
            with archive.open(f"{key}.npy", "w") as member:
                if key == name:
                    np.lib.format.write_array_header_1_0(
                        member, {"descr": dtype, "fortran_order": False, "shape": shape})
                    member.write(b"\0" * 64)
                else:
                    np.lib.format.write_array(member, array)
    return path


@pytest.mark.parametrize("shape,fragment", [
    ((1024, 1 << 20), "array 'W0' declares shape (1024, 1048576) of float32 (4.0 GB); a model holds at most 1.0 GB"),
    ((1024, 200_000), "array 'W0' has shape (1024, 200000); expected (1024, 16)"),  # 780 MB, never loaded
    ((10 ** 12, 10 ** 12), "array 'W0' declares shape (1000000000000, 1000000000000)"),
])
def test_array_sizes_are_checked_from_the_header_before_loading(shape, fragment, tiny_model, tmp_path, nist_dir):
    path = npz_with_header(tmp_path / "bomb.npz", tiny_model, "W0", shape)
    assert_one_line_error(run("evaluate", "--model", path, "--data", nist_dir), 2, f"{path}: {fragment}")


def test_a_huge_metadata_string_is_refused_before_it_is_loaded(tiny_model, tmp_path, nist_dir):
    path = npz_with_header(tmp_path / "meta.npz", tiny_model, "metadata", (), dtype="<U2000000")
    assert_one_line_error(run("evaluate", "--model", path, "--data", nist_dir), 2,
                          f"{path}: 'metadata' is 2000000 characters long; at most 1000000 expected")


def test_object_arrays_are_refused_from_the_header(tiny_model, tmp_path):
    path = npz_with_header(tmp_path / "evil.npz", tiny_model, "b0", (16,), dtype="|O")
    with pytest.raises(InputError, match="holds object arrays; refusing to unpickle them"):
        load_model(path)


def test_a_saved_model_still_round_trips(tmp_path):
    net = Network.create(1024, 37, [8], "relu", conv=[2])
    save_model(tmp_path / "m.npz", Model(net, new_metadata(net)))
    loaded = load_model(tmp_path / "m.npz")
    assert loaded.classes.endswith("~")
    for a, b in zip(net.params, loaded.net.params):
        np.testing.assert_array_equal(a, b)
