"""The autoencoder, its PCA baseline and PSNR; `ocr autoencode` through CliRunner."""

import json
import shlex
import warnings

import numpy as np
import pytest
from typer.testing import CliRunner

from ocr_cli.net.autoencoder import PCA, AutoencoderConfig, code_size, create, psnr, train_autoencoder
from ocr_cli.cli import app
from ocr_cli.net.model import load_model
from ocr_cli.net.nn import numerical_gradient, relative_error, squared_error
from ocr_cli.net.optim import SGD

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args], env={"OCR_DATA": None})


def test_autoencoder_gradients_match_finite_differences():
    rng = np.random.default_rng(0)
    net = create(16, AutoencoderConfig(hidden=[5, 3, 5], seed=1))
    assert [layer.activation for layer in net.layers] == ["relu", "relu", "relu", "sigmoid"]
    for layer in net.layers:  # away from relu's kink: zero biases after an all-dead layer sit on it
        layer.b[...] = rng.uniform(0.05, 0.2, layer.b.shape)
    X = rng.random((4, 16))
    _, dout = squared_error(net.forward(X), X)
    net.backward(dout)
    for param, grad in zip(net.params, net.grads):
        numeric = numerical_gradient(lambda: squared_error(net.forward(X), X)[0], param)
        assert relative_error(grad, numeric) < 1e-6


def test_squared_error_is_the_total_over_pixels():
    loss, grad = squared_error(np.array([[1.0, 2.0], [0.0, 0.5]]), np.array([[0.0, 2.0], [1.0, 0.0]]))
    assert loss == pytest.approx(1 + 0 + 1 + 0.25)
    np.testing.assert_allclose(grad, [[2.0, 0.0], [-2.0, 1.0]])


def test_momentum_follows_its_update_rule_on_a_quadratic():
    # f(w) = 2 (w - 3)^2, gradient 4 (w - 3); the rule: M = 0.9 M - lr g; w += M, M starts at 0
    w, lr = np.array([10.0]), 0.05
    optimizer, expected_w, velocity = SGD(lr, momentum=0.9), 10.0, 0.0
    for _ in range(500):
        optimizer.step([w], [4 * (w - 3)])
        velocity = 0.9 * velocity - lr * 4 * (expected_w - 3)
        expected_w += velocity
        assert w[0] == pytest.approx(expected_w, abs=1e-12)
    assert w[0] == pytest.approx(3.0, abs=1e-6)


def test_psnr_of_a_perfect_reconstruction_is_infinite_without_warnings():
    images = np.random.default_rng(0).random((3, 16))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isinf(psnr(images, images)).all()


def test_psnr_of_a_known_error_matches_the_formula():
    images = np.full((2, 16), 0.5)
    assert psnr(images, images + 0.1) == pytest.approx([20.0, 20.0])  # 10 log10(1 / 0.01)
    rng = np.random.default_rng(1)
    a, b = rng.random((5, 64)), rng.random((5, 64))
    np.testing.assert_allclose(psnr(a, b), 10 * np.log10(1 / ((a - b) ** 2).mean(1)))


def test_pca_with_k_components_rebuilds_rank_k_data_exactly():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(50, 3)) @ rng.normal(size=(3, 20)) + rng.normal(size=20)  # rank 3 around a mean
    np.testing.assert_allclose(PCA.fit(X, 3).reconstruct(X), X, atol=1e-10)
    assert np.abs(PCA.fit(X, 2).reconstruct(X) - X).max() > 1e-3
    assert PCA.fit(X, 3).n_params == 20 + 3 * 20


def test_training_lowers_the_reconstruction_error_the_same_way_every_time():
    X = np.random.default_rng(3).random((60, 16)) > 0.5
    config = AutoencoderConfig(hidden=[8, 4, 8], epochs=30, batch_size=10, lr=0.01, lr_step=10, lr_factor=0.5)
    net, history = train_autoencoder(X.astype(float), config)
    assert history[-1]["train_loss"] < 0.8 * history[0]["train_loss"]
    assert [r["lr"] for r in history][::10] == pytest.approx([0.01, 0.005, 0.0025])
    again, _ = train_autoencoder(X.astype(float), config)
    assert all(np.array_equal(p, q) for p, q in zip(net.params, again.params))
    assert code_size(net) == 4


def test_autoencode_command_trains_compares_saves_and_reloads(nist_dir, tmp_path):
    out, figures = tmp_path / "ae.npz", tmp_path / "figs"
    result = run("autoencode", "--data", nist_dir, "--epochs", "3", "--lr", "1e-3", "--classes", "H,3",
                 "--out", out, "--plot", figures, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    pca, ae = report["rows"]
    assert (pca["method"], pca["code"], pca["parameters"]) == ("PCA", 32, 1024 + 32 * 1024)
    assert report["pca"] == {"shape": [1024, 32], "rank": 32}
    assert (ae["method"], ae["code"], ae["parameters"]) == ("autoencoder", 32, 2 * (1024 * 32 + 32 * 32) + 32 * 3 + 1024)
    assert len(report["history"]) == 3 and ae["seconds"] > 0
    assert {p.name for p in figures.iterdir()} == {"ae_loss.png", "ae_reconstructions.png"}
    saved = load_model(out, task="autoencode")
    assert saved.metadata["task"] == "autoencode" and saved.metadata["training"]["config"]["epochs"] == 3
    assert saved.metadata["training"]["command"] == shlex.join(  # as typed, not rebuilt from the config
        ["ocr", "autoencode", "--data", str(nist_dir), "--epochs", "3", "--lr", "1e-3", "--classes", "H,3",
         "--out", str(out), "--plot", str(figures), "--json"])
    again = run("autoencode", "--model", out, "--eval", nist_dir / "nist36_valid.mat", "--json")
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["rows"][0]["psnr"] == pytest.approx(ae["psnr"])


def test_autoencode_errors(nist_dir, tiny_model, tmp_path):
    def fails(result, fragment):
        assert result.exit_code == 2, result.output
        assert result.stderr.startswith("ocr: error: ") and fragment in result.stderr and "Traceback" not in result.output

    fails(run("autoencode", "--data", nist_dir, "--eval", nist_dir / "nist36_test.mat"), "--eval: measures a saved autoencoder")
    fails(run("autoencode", "--data", nist_dir, "--classes", "H,ä"), "--classes: expected a comma list of A-Z, 0-9")
    fails(run("autoencode", "--model", tiny_model, "--data", nist_dir), "is a character classifier, not an autoencoder")
    ae = tmp_path / "ae.npz"
    assert run("autoencode", "--data", nist_dir, "--epochs", "1", "--out", ae).exit_code == 0
    fails(run("read", nist_dir / "nist36_test.mat", "--model", ae), f"{ae}: is an autoencoder, not a character classifier")
    fails(run("autoencode", "--model", ae, "--data", nist_dir, "--out", tmp_path / "copy.npz"), "--out: saves a trained")
