"""Convolution, pooling, reshape, dropout, batch normalisation and contrast layers
against independent computations."""

import numpy as np
import pytest

from ocr_cli.net.layers import BatchNorm, Contrast, Conv2D, Dropout, MaxPool
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


@pytest.mark.parametrize("shape", [(6, 5), (3, 4, 3, 5)], ids=["dense", "image"])
def test_batch_norm_gradients_match_finite_differences(shape):
    rng = np.random.default_rng(6)
    layer = BatchNorm(rng.normal(size=shape[-1]), rng.normal(size=shape[-1]), np.zeros(shape[-1]), np.ones(shape[-1]))
    X, upstream = rng.normal(2.0, 3.0, size=shape), rng.normal(size=shape)

    def loss():
        return float((layer.forward(X, training=True) * upstream).sum())

    loss()
    dX = layer.backward(upstream)
    for array, grad in ((layer.W, layer.dW), (layer.b, layer.db), (X, dX)):
        assert relative_error(grad, numerical_gradient(loss, array)) < 1e-7
    # the running averages are parameters that no gradient moves
    assert not any(g.any() for g in layer.grads[2:])


def test_batch_norm_normalises_by_the_batch_while_training_and_by_running_averages_after():
    rng = np.random.default_rng(7)
    X = rng.normal([5.0, -2.0], [3.0, 0.5], size=(4000, 2))
    layer = BatchNorm.create({"type": "batchnorm", "channels": 2}, (2,), rng)
    out = layer.forward(X, training=True)
    np.testing.assert_allclose(out.mean(0), 0, atol=1e-9)
    np.testing.assert_allclose(out.std(0), 1, atol=1e-3)
    for _ in range(100):  # the running averages converge to the data's statistics
        layer.forward(X[rng.permutation(4000)[:200]], training=True)
    np.testing.assert_allclose(layer.mean, [5.0, -2.0], atol=0.15)
    np.testing.assert_allclose(layer.var, [9.0, 0.25], rtol=0.1)
    one = layer.forward(X[:1])  # not training: one row alone is normalised like the data
    np.testing.assert_allclose(one, (X[:1] - layer.mean) / np.sqrt(layer.var + layer.EPS), rtol=1e-9)


def test_network_with_batch_norm_and_contrast_gradient_check():
    rng = np.random.default_rng(8)
    net = Network.create(64, 3, hidden=[5], activation="tanh", conv=[2], kernel=3, seed=4, contrast=True,
                         batch_norm=True)
    assert [type(layer).__name__ for layer in net.layers] == [
        "Contrast", "Reshape", "Conv2D", "MaxPool", "BatchNorm", "Reshape", "Dense", "BatchNorm", "Dense"]
    X, Y = rng.random((6, 64)), np.eye(3)[[0, 2, 1, 1, 0, 2]]
    _, _, dlogits = softmax_cross_entropy(net.forward(X, training=True), Y)
    net.backward(dlogits)
    for param, grad in zip(net.params, net.grads):
        numeric = numerical_gradient(lambda: softmax_cross_entropy(net.forward(X, training=True), Y)[0], param)
        assert relative_error(grad, numeric) < 1e-6


def test_without_the_new_layers_a_network_is_the_one_made_before_them():
    old = Network.create(64, 3, hidden=[5], activation="relu", conv=[2], kernel=3, seed=4)
    new = Network.create(64, 3, hidden=[5], activation="relu", conv=[2], kernel=3, seed=4, contrast=True,
                         batch_norm=True)
    # the new layers draw no random numbers: every other layer starts from the same weights
    weighted = [layer for layer in new.layers if type(layer).__name__ in ("Conv2D", "Dense")]
    assert all(np.array_equal(a, b) for a, b in zip(old.params, [p for layer in weighted for p in layer.params]))


def test_batch_norm_and_contrast_are_layer_types_of_the_registry():
    from ocr_cli.net.network import plan_layers

    specs = plan_layers(["contrast", "conv size=3 filters=2", "maxpool", "batchnorm", "dense out=5", "batchnorm"], 3,
                        n_inputs=64)
    assert [s["type"] for s in specs] == ["contrast", "reshape", "conv", "maxpool", "batchnorm", "reshape", "dense",
                                          "batchnorm", "dense"]
    assert specs[4]["channels"] == 2 and specs[7]["channels"] == 5
    net = Network.from_specs(specs, shape=(64,))
    assert net.specs == specs


def test_contrast_makes_grey_ink_black_and_leaves_black_ink_and_blank_paper_alone():
    black = np.ones((1, 16))
    black[0, :4] = 0.0
    black[0, 4:6] = 0.5  # an anti-aliased edge
    grey = 1 - 0.4 * (1 - black)  # the same character in ink 0.6 grey
    blank = np.ones((1, 16))
    faint = 1 - 0.02 * (1 - black)  # paper noise, not ink: stretched at most 1 / MIN_RANGE fold
    out = Contrast().forward(np.concatenate([black, grey, blank, faint]))
    np.testing.assert_allclose(out[0], black[0])
    np.testing.assert_allclose(out[1], black[0])
    np.testing.assert_array_equal(out[2], blank[0])
    np.testing.assert_allclose(out[3], 1 - 0.02 / Contrast.MIN_RANGE * (1 - black[0]))
    images = Contrast().forward(np.concatenate([black, grey]).reshape(2, 4, 4, 1))  # images alike
    np.testing.assert_allclose(images.reshape(2, 16), [black[0], black[0]])
