"""Convolution, pooling, reshape and dropout layers against independent computations."""

import numpy as np

from ocr_cli.net.layers import Conv2D, Dropout, MaxPool
from ocr_cli.net.network import Network
from ocr_cli.net.nn import numerical_gradient, relative_error, softmax_cross_entropy


def direct_convolution(X, W, b, size):
    """Cross-correlation by explicit loops: ``X: (N, H, W, C)``, ``W: (C*k*k, F)``."""
    n, height, width, channels = X.shape
    kernels = W.reshape(channels, size, size, -1)
    out = np.zeros((n, height - size + 1, width - size + 1, W.shape[1]))
    for y in range(out.shape[1]):
        for x in range(out.shape[2]):
            patch = X[:, y:y + size, x:x + size, :]  # (N, k, k, C)
            out[:, y, x] = np.einsum("nijc,cijf->nf", patch, kernels) + b
    return out


def test_convolution_matches_explicit_loops():
    rng = np.random.default_rng(0)
    X, W, b = rng.normal(size=(2, 7, 6, 3)), rng.normal(size=(3 * 9, 4)), rng.normal(size=4)
    out = Conv2D(W, b, 3, "linear").forward(X)
    assert out.shape == (2, 5, 4, 4)
    np.testing.assert_allclose(out, direct_convolution(X, W, b, 3), rtol=1e-12)


def test_convolution_gradients_match_finite_differences():
    rng = np.random.default_rng(1)
    layer = Conv2D(rng.normal(size=(2 * 4, 3)), rng.normal(size=3), 2, "tanh")
    X, upstream = rng.normal(size=(2, 5, 4, 2)), rng.normal(size=(2, 4, 3, 3))

    def loss():
        return float((layer.forward(X) * upstream).sum())

    loss()
    dX = layer.backward(upstream)
    for array, grad in ((layer.W, layer.dW), (layer.b, layer.db), (X, dX)):
        assert relative_error(grad, numerical_gradient(loss, array)) < 1e-7


def test_max_pool_takes_window_maxima_and_routes_gradients_to_them():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(2, 5, 4, 3))  # an odd height: the last row is dropped
    pool = MaxPool()
    out = pool.forward(X)
    assert out.shape == (2, 2, 2, 3)
    for y in range(2):
        for x in range(2):
            np.testing.assert_array_equal(out[:, y, x], X[:, 2 * y:2 * y + 2, 2 * x:2 * x + 2].max(axis=(1, 2)))
    upstream = rng.normal(size=out.shape)
    dX = pool.backward(upstream)
    numeric = numerical_gradient(lambda: float((pool.forward(X) * upstream).sum()), X)
    assert relative_error(dX, numeric) < 1e-7
    assert not dX[:, 4].any()


def test_small_convolutional_network_gradient_check():
    rng = np.random.default_rng(3)
    net = Network.create(64, 3, hidden=[5], activation="tanh", conv=[2, 3], kernel=2, seed=4)
    X, Y = rng.random((4, 64)), np.eye(3)[[0, 2, 1, 1]]
    _, _, dlogits = softmax_cross_entropy(net.forward(X), Y)
    net.backward(dlogits)
    assert [type(layer).__name__ for layer in net.layers] == [
        "Reshape", "Conv2D", "MaxPool", "Conv2D", "MaxPool", "Reshape", "Dense", "Dense"]
    for param, grad in zip(net.params, net.grads):
        numeric = numerical_gradient(lambda: softmax_cross_entropy(net.forward(X), Y)[0], param)
        assert relative_error(grad, numeric) < 1e-6


def test_dropout_scales_while_training_and_is_the_identity_otherwise():
    X = np.ones((200, 50))
    layer = Dropout(0.25, seed=0)
    np.testing.assert_array_equal(layer.forward(X), X)
    out = layer.forward(X, training=True)
    assert abs((out == 0).mean() - 0.25) < 0.02
    np.testing.assert_allclose(np.unique(out), [0.0, 1 / 0.75])
    upstream = np.arange(X.size, dtype=float).reshape(X.shape)
    np.testing.assert_array_equal(layer.backward(upstream), upstream * out)


def test_network_dropout_only_while_training():
    net = Network.create(16, 3, hidden=[40, 40], activation="relu", dropout=0.5, seed=0)
    X = np.random.default_rng(5).random((6, 16))
    np.testing.assert_array_equal(net.forward(X), net.forward(X))
    assert not np.allclose(net.forward(X, training=True), net.forward(X))
