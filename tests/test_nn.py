"""The network core against independent computations."""

import warnings

import numpy as np
import pytest

from ocr_cli.net.layers import Dense
from ocr_cli.net.network import Network
from ocr_cli.net.metrics import accuracy
from ocr_cli.net.activations import ACTIVATIONS, sigmoid
from ocr_cli.net.nn import (cross_entropy, numerical_gradient, relative_error, smooth_labels, softmax,
                            softmax_cross_entropy, xavier_uniform)


def summed_loss(net, X, Y):
    return softmax_cross_entropy(net.forward(X), Y)[0]


@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
def test_gradient_check_two_hidden_layers(activation):
    rng = np.random.default_rng(0)
    net = Network.mlp([6, 5, 4, 3], activation, seed=1)
    X = rng.normal(size=(7, 6))
    Y = np.eye(3)[rng.integers(0, 3, 7)]
    _, _, dlogits = softmax_cross_entropy(net.forward(X), Y)
    net.backward(dlogits)
    for param, grad in zip(net.params, net.grads):
        numeric = numerical_gradient(lambda: summed_loss(net, X, Y), param)
        assert relative_error(grad, numeric) < 1e-6


def test_dense_backward_returns_input_gradient():
    rng = np.random.default_rng(2)
    layer = Dense(rng.normal(size=(4, 3)), rng.normal(size=3), "tanh")
    X, upstream = rng.normal(size=(5, 4)), rng.normal(size=(5, 3))
    layer.forward(X)
    dX = layer.backward(upstream)
    numeric = numerical_gradient(lambda: float((layer.forward(X) * upstream).sum()), X)
    assert relative_error(dX, numeric) < 1e-7


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "linear"])
def test_activation_derivatives_match_finite_differences(name):
    f, f_deriv = ACTIVATIONS[name]
    z = np.array([-2.3, -0.7, 0.4, 1.9])  # away from relu's kink
    eps = 1e-6
    numeric = (f(z + eps) - f(z - eps)) / (2 * eps)
    np.testing.assert_allclose(f_deriv(f(z)), numeric, rtol=1e-6, atol=1e-9)


def test_sigmoid_saturates_exactly_without_warnings():
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        out = sigmoid(np.array([-1000.0, 0.0, 1000.0]))
    assert out.tolist() == [0.0, 0.5, 1.0]


def test_softmax_is_invariant_to_adding_a_constant():
    z = np.random.default_rng(3).normal(size=(4, 6))
    np.testing.assert_allclose(softmax(z), softmax(z + 123.4), rtol=1e-12)
    np.testing.assert_allclose(softmax(z).sum(axis=1), 1.0)
    huge = softmax(np.array([[1000.0, 0.0, -1000.0]]))
    assert np.isfinite(huge).all() and huge[0, 0] == 1.0


def test_cross_entropy_and_gradient_match_direct_formula():
    rng = np.random.default_rng(4)
    logits, Y = rng.normal(size=(5, 4)), np.eye(4)[[0, 3, 1, 1, 2]]
    loss, probs, dlogits = softmax_cross_entropy(logits, Y)
    direct = sum(-(logits[i, c] - np.log(np.exp(logits[i]).sum())) for i, c in enumerate([0, 3, 1, 1, 2]))
    assert loss == pytest.approx(direct, rel=1e-12)
    np.testing.assert_allclose(dlogits, probs - Y)
    assert cross_entropy(np.eye(3), np.eye(3)) == 0.0
    soft = smooth_labels(Y, 0.2)
    np.testing.assert_allclose(soft.sum(1), 1.0)
    assert soft.max() == pytest.approx(0.85) and soft.min() == pytest.approx(0.05)
    assert softmax_cross_entropy(logits, soft)[0] == pytest.approx(-(soft * np.log(probs)).sum(), rel=1e-12)
    assert accuracy(np.eye(3)[[0, 1, 1]], np.eye(3)) == pytest.approx(2 / 3)


def test_xavier_uniform_variance_and_zero_biases():
    rng = np.random.default_rng(5)
    W = xavier_uniform(1024, 512, rng)
    assert W.shape == (1024, 512)
    assert abs(W.var() - 2 / (1024 + 512)) / (2 / (1024 + 512)) < 0.10
    assert abs(W.mean()) < 1e-3
    layer = Dense.xavier(30, 20, "relu", rng)
    assert not layer.b.any() and layer.b.shape == (20,)


def test_mlp_shapes_and_batched_prediction():
    net = Network.mlp([1024, 64, 36], "sigmoid", seed=0)
    assert [(l.W.shape, l.b.shape) for l in net.layers] == [((1024, 64), (64,)), ((64, 36), (36,))]
    assert [l.activation for l in net.layers] == ["sigmoid", "linear"]
    X = np.random.default_rng(6).random((10, 1024))
    np.testing.assert_allclose(net.predict_proba(X, batch_size=3), softmax(net.forward(X)))
    assert net.predict_proba(X[:0]).shape == (0, 36)
