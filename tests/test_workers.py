"""Training's work on several threads (ocr_cli.net.workers): with one thread the layers
and Adam compute exactly what they computed before there were threads; with more, the
same arithmetic every time, whatever thread runs which part."""

import threading

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

from ocr_cli.net import workers as workers_module
from ocr_cli.net.layers import Conv2D, Dense, MaxPool
from ocr_cli.net.network import Network
from ocr_cli.net.nn import numerical_gradient, relative_error, softmax_cross_entropy
from ocr_cli.net.optim import Adam
from ocr_cli.net.workers import SERIAL, Workers, current, spans, working


@pytest.fixture
def small_parts(monkeypatch):
    """Work of a few numbers is shared out too, so that small layers are cut."""
    monkeypatch.setattr(workers_module, "MIN_PART", 4)


def test_spans_cut_a_range_in_order_into_near_equal_runs():
    assert spans(10, 3) == [(0, 3), (3, 6), (6, 10)]
    assert spans(2, 5) == [(0, 1), (1, 2)]
    assert spans(0, 2) == [(0, 0)]
    for n in range(0, 40):
        for parts in range(1, 6):
            runs = spans(n, parts)
            assert runs[0][0] == 0 and runs[-1][1] == n
            assert all(a[1] == b[0] for a, b in zip(runs, runs[1:]))
            assert max(b - a for a, b in runs) - min(b - a for a, b in runs) <= 1


def test_work_is_cut_by_its_size_and_the_thread_count_alone():
    two = Workers(2)
    try:
        assert two.spans(64, 10 ** 6) == [(0, 32), (32, 64)]
        assert two.spans(64, 10) == [(0, 64)]  # too small to share
        assert SERIAL.spans(64, 10 ** 6) == [(0, 64)]
    finally:
        two.close()


def test_map_returns_results_in_order_runs_on_several_threads_and_raises_errors():
    seen = set()

    def work(i):
        seen.add(threading.get_ident())
        return i * i

    with working(2) as workers:
        assert current() is workers and workers.threads == 2
        assert workers.map(work, range(50)) == [i * i for i in range(50)]

        def fail(i):
            if i == 3:
                raise ValueError("part 3")
            return i

        with pytest.raises(ValueError, match="part 3"):
            workers.map(fail, range(6))
    assert current() is SERIAL
    assert SERIAL.map(work, [1, 2]) == [1, 4]


# The layers' arithmetic before there were threads, as it was written then.

def old_conv_forward(layer, X):
    patches = sliding_window_view(X, (layer.size, layer.size), axis=(1, 2))
    n, h, w = patches.shape[:3]
    cols = patches.transpose(0, 1, 2, 4, 5, 3).reshape(n * h * w, -1)
    Z = cols @ layer.kernel_rows().reshape(len(layer.W), -1)
    Z += layer.b
    Z = Z.reshape(n, h, w, -1)
    return (np.maximum(Z, 0, out=Z) if layer.activation == "relu" else layer.f(Z)), cols


def old_conv_backward(layer, X, A, cols, dA):
    k, c = layer.size, layer.channels
    dZ = dA if layer.activation == "linear" else dA * layer.f_deriv(A)
    dZ = dZ.reshape(-1, layer.W.shape[1])
    dW = (cols.T @ dZ).reshape(k, k, c, -1).transpose(2, 0, 1, 3).reshape(layer.W.shape)
    db = np.ones(len(dZ), dZ.dtype) @ dZ
    n, height, width, _ = X.shape
    h, w = height - k + 1, width - k + 1
    dcols = np.matmul(dZ, layer.kernel_rows().reshape(k * k, c, -1).transpose(0, 2, 1))
    dX = np.zeros(X.shape, dtype=dcols.dtype)
    for offset, block in enumerate(dcols):
        dy, dx = divmod(offset, k)
        dX[:, dy:dy + h, dx:dx + w, :] += block.reshape(n, h, w, c)
    return dW, db, dX


def old_pool(X, dA):
    n, height, width, c = X.shape
    h, w = height // 2, width // 2
    windows = X[:, :2 * h, :2 * w].reshape(n, h, 2, w, 2, c)
    rows = np.maximum(windows[:, :, 0], windows[:, :, 1])
    A = np.maximum(rows[:, :, :, 0], rows[:, :, :, 1])
    dX = np.zeros(X.shape, dtype=dA.dtype)
    np.multiply(windows == A[:, :, None, :, None], dA[:, :, None, :, None], out=dX[:, :2 * h, :2 * w].reshape(windows.shape))
    return A, dX


def old_dense(layer, X, dA):
    A = X @ layer.W + layer.b
    A = np.maximum(A, 0, out=A) if layer.activation == "relu" else layer.f(A)
    dZ = dA if layer.activation == "linear" else dA * layer.f_deriv(A)
    return A, X.T @ dZ, np.ones(len(dZ), dZ.dtype) @ dZ, dZ @ layer.W.T


def equal(*pairs):
    return all(a.dtype == b.dtype and np.array_equal(a, b) for a, b in pairs)


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "linear"])
@pytest.mark.parametrize("shape", [(64, 14, 14, 32), (7, 13, 11, 3)])
def test_with_one_thread_layers_compute_what_they_did_before(activation, shape):
    rng = np.random.default_rng(len(activation))
    X = rng.standard_normal(shape).astype(np.float32)
    conv = Conv2D.xavier(shape[3], 16, 5, activation, rng)
    conv.W, conv.b = conv.W.astype(np.float32), rng.standard_normal(16).astype(np.float32)
    A = conv.forward(X)
    old_A, cols = old_conv_forward(conv, X)
    dA = rng.standard_normal(A.shape).astype(np.float32)
    dX = conv.backward(dA)
    assert equal((A, old_A), *zip((conv.dW, conv.db, dX), old_conv_backward(conv, X, old_A, cols, dA)))

    pool = MaxPool()
    P = pool.forward(A)
    dP = rng.standard_normal(P.shape).astype(np.float32)
    assert equal(*zip((P, pool.backward(dP)), old_pool(A, dP)))

    flat = P.reshape(len(P), -1)
    dense = Dense(rng.standard_normal((flat.shape[1], 40)).astype(np.float32), rng.standard_normal(40).astype(np.float32),
                  activation)
    out = dense.forward(flat)
    dout = rng.standard_normal(out.shape).astype(np.float32)
    dflat = dense.backward(dout)
    assert equal(*zip((out, dense.dW, dense.db, dflat), old_dense(dense, flat, dout)))


def test_adam_cut_into_parts_updates_each_number_as_on_whole_arrays(small_parts):
    """Adam's passes are elementwise: cut in any parts, every number is the same (with
    one thread, each array is one part: the passes as they were before threads)."""
    rng = np.random.default_rng(4)
    shapes = [(300, 70), (70,), (5, 5, 3)]
    params = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    runs = {}
    for threads in (1, 2, 3):
        adam, weights, moments = Adam(1e-2), [p.copy() for p in params], []
        with working(threads) as workers:
            assert len(workers.spans(300 * 70)) == threads
            for step in range(4):
                adam.step(weights, [np.random.default_rng(step).standard_normal(s).astype(np.float32) for s in shapes])
        runs[threads] = weights + adam.m + adam.v
    assert equal(*zip(runs[1], runs[2])) and equal(*zip(runs[1], runs[3]))


def test_on_two_threads_a_small_conv_network_has_correct_gradients(small_parts):
    rng = np.random.default_rng(3)
    net = Network.create(64, 3, hidden=[6], activation="tanh", conv=[2, 3], kernel=2, seed=4)
    X, Y = rng.random((5, 64)), np.eye(3)[[0, 2, 1, 1, 0]]
    with working(2):
        _, _, dlogits = softmax_cross_entropy(net.forward(X), Y)
        net.backward(dlogits)
        for param, grad in zip(net.params, net.grads):
            numeric = numerical_gradient(lambda: softmax_cross_entropy(net.forward(X), Y)[0], param)
            assert relative_error(grad, numeric) < 1e-6


def conv_run(threads, seed=0):
    """The weights after two epochs of a small conv network trained on ``threads``."""
    from ocr_cli.net.optim import make_optimizer
    from ocr_cli.net.train import Loop, classification_loss, run_epochs

    rng = np.random.default_rng(7)
    X = rng.random((96, 256)).astype(np.float32)
    Y = np.eye(5, dtype=np.float32)[rng.integers(0, 5, 96)]
    net = Network.create(256, 5, hidden=[32], activation="relu", conv=[4, 8], kernel=3, dropout=0.2, seed=seed,
                         dtype=np.float32)
    run_epochs(net, make_optimizer("adam", 1e-2), X, Y, classification_loss(0.1),
               Loop(epochs=2, batch_size=32, threads=threads), np.random.default_rng(seed))
    return net.params


def test_the_same_seed_and_threads_give_the_same_weights_every_time(small_parts):
    for threads in (1, 2, 3):
        first, second = conv_run(threads), conv_run(threads)
        assert equal(*zip(first, second)), threads
    one, two = conv_run(1), conv_run(2)
    for a, b in zip(one, two):  # the same training, summed in other orders at most
        np.testing.assert_allclose(a, b, atol=1e-3)
