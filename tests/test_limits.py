"""Work that could grow without bound stays bounded: each case runs ``ocr`` in a
subprocess under an address-space limit, so that a regression fails fast instead of
eating the machine."""

import os
import resource
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image
from scipy.io import savemat

GB = 1024 ** 3


def run_limited(args, limit, timeout=120, env=None):
    """``python -m ocr_cli ARGS`` with at most ``limit`` bytes of address space (and
    the variables ``env`` besides the test's own)."""
    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", **(env or {}))  # each BLAS thread reserves its own buffers
    return subprocess.run([sys.executable, "-m", "ocr_cli", *map(str, args)], capture_output=True, text=True,
                          preexec_fn=cap, env=env, timeout=timeout)


def test_a_page_of_seventeen_thousand_dots_reads_no_text_in_bounded_memory(tmp_path):
    rng = np.random.default_rng(0)
    image = np.full((4000, 4000), 255, np.uint8)
    for y, x in rng.integers(0, 3994, (17_700, 2)):
        image[y:y + 6, x:x + 6] = 0
    Image.fromarray(image).save(tmp_path / "dots.png", optimize=True)  # about 90 KB
    result = run_limited(["read", tmp_path / "dots.png"], 2 * GB)
    assert result.stdout == "" and "Traceback" not in result.stderr
    if result.returncode:  # refused as a whole, or read as what it is: no text
        assert result.returncode == 2 and result.stderr.count("\n") == 1
        assert result.stderr.startswith(f"ocr: error: {tmp_path / 'dots.png'}: not a page of text: ")
        assert result.stderr.rstrip().endswith("marks are solid dots")


# ---------------------------------------------------------------- the memory budget: a model's activations


def wide_model(path, filters, rows_of=1024):
    """A model of a 1x1 convolution of ``filters`` filters, a second one back to one
    channel and a dense output: a few hundred KB of weights whose activations take
    ``filters`` x 8 KB per row (a 180 KB file of 2,000 filters made evaluate peak at
    2.5 GB before batches were bounded by the budget)."""
    from ocr_cli.net.model import Model, new_metadata, save_model
    from ocr_cli.net.network import Network

    specs = [{"type": "reshape", "shape": [32, 32, 1]},
             {"type": "conv", "size": 1, "channels": 1, "filters": filters, "activation": "relu"},
             {"type": "conv", "size": 1, "channels": filters, "filters": 1, "activation": "relu"},
             {"type": "reshape", "shape": [rows_of]}, {"type": "dense", "in": rows_of, "out": 36, "activation": "linear"}]
    net = Network.from_specs(specs, seed=0, dtype=np.float32)
    save_model(path, Model(net, new_metadata(net)))
    return path


def test_a_model_of_wide_activations_is_evaluated_in_batches_that_fit(tmp_path, nist_dir):
    model = wide_model(tmp_path / "wide.npz", 2000)  # 16 MB per row: 108 test rows in one batch would take 1.7 GB
    result = run_limited(["evaluate", "--model", model, "--data", nist_dir], GB, env={"OCR_MEMORY": "400M"})
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert "accuracy" in result.stdout


def test_a_model_not_one_row_of_which_fits_is_refused_on_load(tmp_path, nist_dir):
    model = wide_model(tmp_path / "wider.npz", 200_000)  # 1.6 GB per row
    Image.new("L", (64, 64), 255).save(tmp_path / "blank.png")
    for args in (["evaluate", "--model", model, "--data", nist_dir], ["read", tmp_path / "blank.png", "--model", model]):
        result = run_limited(args, 2 * GB)
        assert result.returncode == 2 and result.stdout == "", result.stderr
        assert result.stderr == (f"ocr: error: {model}: one row through its layers needs 1.6 GB of activations, over "
                                 f"the 375 MB a batch may take (25% of the 1.5 GB memory budget; $OCR_MEMORY sets "
                                 f"it)\n")


def test_a_training_batch_over_the_budget_is_refused_before_the_data_is_read(tmp_path):
    result = run_limited(["train", "--data", tmp_path / "none", "--layer", "conv size=1 filters=2000",
                          "--batch-size", "64", "--out", tmp_path / "m.npz"], 2 * GB)
    assert result.returncode == 2 and not (tmp_path / "m.npz").exists()
    assert result.stderr == ("ocr: error: --batch-size: a batch of 64 rows through these layers needs 2.4 GB of "
                             "activations and gradients, over the 375 MB a batch may take (25% of the 1.5 GB memory "
                             "budget; $OCR_MEMORY sets it): give --batch-size 2 or less\n")


@pytest.mark.parametrize("value", ["lots", "10M", "-1G"])
def test_an_unusable_budget_is_one_line(value, tmp_path, nist_dir, tiny_model):
    result = run_limited(["evaluate", "--model", tiny_model, "--data", nist_dir], 2 * GB, env={"OCR_MEMORY": value})
    assert result.returncode == 2
    assert result.stderr == (f"ocr: error: $OCR_MEMORY: {value!r} is not a memory budget of at least 100 MB "
                             f"(e.g. 1.5G, 800M)\n")


@pytest.mark.parametrize("layers", [
    [{"type": "reshape", "shape": [32, 32, 1]},
     {"type": "conv", "size": 5, "channels": 1, "filters": 16, "activation": "relu"}, {"type": "maxpool"},
     {"type": "batchnorm", "channels": 16}, {"type": "reshape", "shape": [14 * 14 * 16]},
     {"type": "dense", "in": 14 * 14 * 16, "out": 36, "activation": "linear"}],
    [{"type": "reshape", "shape": [32, 32, 1]},
     {"type": "conv", "size": 1, "channels": 1, "filters": 200, "activation": "relu"},
     {"type": "conv", "size": 3, "channels": 200, "filters": 8, "activation": "tanh"},
     {"type": "reshape", "shape": [30 * 30 * 8]}, {"type": "dropout", "rate": 0.5},
     {"type": "dense", "in": 30 * 30 * 8, "out": 36, "activation": "linear"}],
    [{"type": "contrast"}, {"type": "dense", "in": 1024, "out": 512, "activation": "sigmoid"},
     {"type": "dense", "in": 512, "out": 36, "activation": "linear"}],
])
def test_the_activations_a_batch_is_said_to_need_bound_what_it_takes(layers):
    """What :func:`batch_bytes` says a batch needs is at least what the forward pass
    (and a training step) allocates at its peak, and not many times more."""
    import tracemalloc

    from ocr_cli.net.network import Network, batch_bytes
    from ocr_cli.net.nn import softmax_cross_entropy

    net = Network.from_specs(layers, seed=0, dtype=np.float32)
    X = np.random.default_rng(0).random((64, 1024), dtype=np.float32)
    T = np.eye(36, dtype=np.float32)[np.arange(64) % 36]
    for training in (False, True):
        net.forward(X[:2], training)  # caches of another size, freed below
        tracemalloc.start()
        outputs = net.forward(X, training)
        if training:
            net.backward(softmax_cross_entropy(outputs, T)[2])
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        said = batch_bytes(layers, len(X), 4, training)
        assert peak <= said < 4 * peak, (training, peak, said)


# ---------------------------------------------------------------- the memory budget: data rows


def zero_rows(path, rows, dtype=np.float64):
    labels = np.zeros((rows, 36), np.uint8)
    labels[:, 0] = 1
    savemat(path, {"test_data": np.zeros((rows, 1024), dtype), "test_labels": labels}, do_compression=True)
    return path


def test_rows_are_read_straight_into_float32(tmp_path, tiny_model):
    """40,000 rows of doubles (320 KB compressed): 164 MB as float32, and another 328 MB
    as stored if they were loaded as stored first (which needed more than 700 MB)."""
    path = zero_rows(tmp_path / "zeros.mat", 40_000)
    result = run_limited(["evaluate", "--model", tiny_model, "--test", path], 700 * 2 ** 20)
    assert result.returncode == 0 and "40000 samples" in result.stdout, result.stderr


def test_training_rows_held_twice_over_the_budget_are_refused(tmp_path, nist_dir):
    path = zero_rows(tmp_path / "zeros.mat", 40_000)
    result = run_limited(["train", "--train", path, "--data", nist_dir, "--hidden", "4", "--out", tmp_path / "m.npz"],
                         2 * GB, env={"OCR_MEMORY": "300M"})
    assert result.returncode == 2 and not (tmp_path / "m.npz").exists()
    assert result.stderr == (f"ocr: error: {path}: training on 40,000 rows holds them twice (as loaded and each epoch "
                             f"shuffled): with the validation rows 328 MB, over the 300 MB memory budget ($OCR_MEMORY "
                             f"sets it)\n")
