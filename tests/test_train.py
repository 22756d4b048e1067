"""Batches, optimisers, the training loop and evaluation."""

import json

import numpy as np
import pytest

from ocr_cli.net.data import Dataset
from ocr_cli.net.network import Network
from ocr_cli.net.optim import SGD, Adam
from ocr_cli.net.metrics import evaluate
from ocr_cli.net.train import TrainConfig, balanced_order, fit


def test_balanced_order_caps_every_class_at_the_median_and_varies_by_epoch():
    labels = np.repeat([0, 1, 2, 3], [5, 20, 40, 100])  # median count 30
    rng = np.random.default_rng(0)
    first, second = balanced_order(labels, rng), balanced_order(labels, rng)
    for order in (first, second):
        assert np.bincount(labels[order]).tolist() == [5, 20, 30, 30]
        assert len(set(order.tolist())) == len(order)  # no row twice
    assert set(first[labels[first] == 3]) != set(second[labels[second] == 3])  # new rows each epoch
    assert np.bincount(labels[balanced_order(labels, rng, cap=10)]).tolist() == [5, 10, 10, 10]


def test_sgd_step_and_momentum_rule():
    w, g = np.array([1.0, -2.0]), np.array([0.5, 1.0])
    SGD(lr=0.1).step([w], [g])
    np.testing.assert_allclose(w, [0.95, -2.1])
    # Momentum on f(w) = w^2 / 2 (gradient w): M = 0.9 M - lr g; w += M, from M = 0.
    w, opt, m, expected = np.array([4.0]), SGD(lr=0.1, momentum=0.9), 0.0, 4.0
    for _ in range(5):
        m = 0.9 * m - 0.1 * expected
        expected += m
        opt.step([w], [w.copy()])
        assert w[0] == pytest.approx(expected, rel=1e-12)


def test_adam_first_step_moves_by_lr_against_the_gradient_sign():
    w = np.array([1.0, 1.0, 1.0])
    Adam(lr=0.01).step([w], [np.array([3.0, -0.2, 50.0])])
    np.testing.assert_allclose(w, [0.99, 1.01, 0.99], rtol=1e-6)


def test_weight_decay_shrinks_weight_matrices_not_biases():
    for optimizer in (SGD(lr=0.1, weight_decay=0.5), Adam(lr=0.1, weight_decay=0.5)):
        W, b = np.ones((2, 3)), np.ones(3)
        optimizer.step([W, b], [np.zeros_like(W), np.zeros_like(b)])
        np.testing.assert_allclose(W, 0.95)
        np.testing.assert_array_equal(b, 1.0)


def four_blobs(n, seed):
    """A synthetic 4-class problem: Gaussian blobs around the corners of a square."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 4, n)
    centres = np.array([[2, 2], [-2, 2], [-2, -2], [2, -2]], dtype=float)
    return Dataset(centres[labels] + rng.normal(0, 0.6, (n, 2)), np.eye(4)[labels], ())


@pytest.mark.parametrize("optimizer,lr,momentum", [("sgd", 0.05, 0.0), ("sgd", 0.01, 0.9), ("adam", 0.01, 0.0)])
def test_tiny_net_learns_four_classes(optimizer, lr, momentum):
    train_set, valid_set = four_blobs(400, 0), four_blobs(200, 1)
    net = Network.mlp([2, 8, 4], "tanh", seed=0)
    config = TrainConfig(hidden=[8], epochs=30, batch_size=16, lr=lr, optimizer=optimizer, momentum=momentum)
    history, _ = fit(net, train_set, valid_set, config)
    assert len(history) == 30
    assert history[-1]["valid_acc"] >= 0.95
    assert history[-1]["train_loss"] < history[0]["train_loss"]


def test_same_seed_gives_identical_weights_other_seed_does_not():
    train_set, valid_set = four_blobs(200, 0), four_blobs(50, 1)

    def weights(seed):
        net = Network.mlp([2, 8, 4], "sigmoid", seed=seed)
        fit(net, train_set, valid_set, TrainConfig(hidden=[8], epochs=3, lr=0.05, seed=seed))
        return np.concatenate([p.ravel() for p in net.params])

    assert np.array_equal(weights(7), weights(7))
    assert not np.array_equal(weights(7), weights(8))


def test_evaluate_matches_a_direct_count():
    rng = np.random.default_rng(9)
    X, labels = rng.normal(size=(60, 5)), rng.integers(0, 3, 60)
    net = Network.mlp([5, 4, 3], "relu", seed=2)
    result = evaluate(net, X, np.eye(3)[labels])
    predicted = net.predict_proba(X).argmax(1)
    assert result.accuracy == pytest.approx(np.mean(predicted == labels))
    for t in range(3):
        for p in range(3):
            assert result.confusion[t, p] == np.sum((labels == t) & (predicted == p))
    assert result.per_class[1] == pytest.approx(np.mean(predicted[labels == 1] == 1))
    pairs = result.most_confused("abc", top=2)
    off = result.confusion * (1 - np.eye(3, dtype=int))
    assert [c for _, _, c in pairs] == sorted(off.ravel(), reverse=True)[:len(pairs)]


def test_course_network_learns_a_slice_of_the_real_data(real_nist):
    from ocr_cli.net.data import load_dataset
    from ocr_cli.net.train import train

    full_train = load_dataset(real_nist / "nist36_train.mat")
    full_valid = load_dataset(real_nist / "nist36_valid.mat")
    every_fourth = [Dataset(d.X[::4], d.Y[::4], d.paths) for d in (full_train, full_valid)]
    run = train(*every_fourth, TrainConfig(epochs=8, lr=0.01))
    # 36 classes (chance 2.8%); 8 epochs on a quarter of the rows measured 52-54% over seeds.
    assert run.final["valid_acc"] > 0.45
    assert run.history[-1]["train_loss"] < run.history[0]["train_loss"]


def test_learning_rate_steps_down_on_schedule():
    train_set, valid_set = four_blobs(64, 0), four_blobs(16, 1)
    net = Network.mlp([2, 4, 4], "tanh", seed=0)
    config = TrainConfig(hidden=[4], epochs=7, lr=0.1, lr_step=3, lr_factor=0.5)
    history, _ = fit(net, train_set, valid_set, config)
    assert [r["lr"] for r in history] == [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025]


def test_early_stopping_keeps_the_best_valid_epoch():
    train_set, valid_set = four_blobs(40, 0), four_blobs(300, 1)
    net = Network.mlp([2, 16, 4], "tanh", seed=0)
    config = TrainConfig(hidden=[16], epochs=60, batch_size=4, lr=0.3, patience=3)
    history, kept = fit(net, train_set, valid_set, config)
    accuracies = [r["valid_acc"] for r in history]
    assert kept == int(np.argmax(accuracies)) + 1  # the first epoch with the best valid accuracy
    assert len(history) == min(kept + 3, 60)
    assert evaluate(net, valid_set.X, valid_set.Y).accuracy == accuracies[kept - 1]


def test_every_dropout_layer_draws_its_own_masks():
    net = Network.create(16, 4, hidden=[16, 16], activation="relu", dropout=0.5, seed=0)
    first, second = [layer for layer in net.layers if type(layer).__name__ == "Dropout"]
    ones = np.ones((8, 16), np.float32)
    assert not np.array_equal(first.forward(ones, training=True), second.forward(ones, training=True))


def test_an_unknown_optimizer_is_refused():
    from ocr_cli.net.optim import make_optimizer

    with pytest.raises(ValueError, match="unknown optimizer 'rmsprop'"):
        make_optimizer("rmsprop", 0.1)


def test_float32_training_matches_float64_on_a_tiny_network():
    from ocr_cli.net.optim import make_optimizer
    from ocr_cli.net.train import Loop, classification_loss, run_epochs

    train_set = four_blobs(30, 0)
    nets = [Network.create(2, 4, hidden=[8], activation="tanh", seed=0, dtype=dtype)
            for dtype in (np.float64, np.float32)]
    for net in nets:
        run_epochs(net, make_optimizer("adam", 0.01), train_set.X, train_set.Y, classification_loss(0.0),
                   Loop(epochs=5, batch_size=10), np.random.default_rng(0))
    assert nets[1].dtype == np.float32 and all(g.dtype == np.float32 for g in nets[1].grads)
    for p64, p32 in zip(nets[0].params, nets[1].params):
        np.testing.assert_allclose(p32, p64, atol=1e-4)


def threads_per_epoch(threads):
    """The threads in force while each epoch trained, seen from its validation (which
    runs inside the epoch's limits): ``(workers, BLAS threads of each BLAS library)``,
    and those the history records."""
    from threadpoolctl import threadpool_info

    from ocr_cli.net.optim import make_optimizer
    from ocr_cli.net.train import Loop, classification_loss, run_epochs
    from ocr_cli.net.workers import current

    train_set, seen = four_blobs(10, 0), []

    def validate():
        seen.append((current().threads, [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]))
        return {}

    history, _ = run_epochs(Network.mlp([2, 4, 4], "tanh"), make_optimizer("sgd", 0.1), train_set.X, train_set.Y,
                            classification_loss(0.0), Loop(epochs=2, batch_size=8, validate=validate, threads=threads),
                            np.random.default_rng(0))
    return seen, [record["threads"] for record in history]


def test_training_runs_on_the_threads_asked_for_by_default_one():
    """Each epoch's numpy work on ``threads`` workers (:mod:`ocr_cli.net.workers`),
    BLAS on one thread inside them: the workers share the products out themselves."""
    import os

    from ocr_cli.net.train import Loop
    from ocr_cli.net.workers import current

    assert TrainConfig().threads == Loop(1, 1).threads == 1
    two = min(2, os.cpu_count())
    for threads in (1, two):
        seen, recorded = threads_per_epoch(threads)
        assert recorded == [threads, threads]
        assert len(seen) == 2 and all(workers == threads and blas and set(blas) == {1} for workers, blas in seen), seen
    assert current().threads == 1  # and none after training


def busy_processes(count):
    import subprocess
    import sys

    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]


def test_beside_busy_processes_threads_0_takes_only_the_idle_cores():
    import os

    from ocr_cli.cores import IdleCores

    busy = busy_processes(os.cpu_count())
    try:
        meter = IdleCores()
        assert meter() == 1  # every core busy elsewhere
        seen, recorded = threads_per_epoch(0)
        assert recorded == [1, 1] and all(workers == 1 and set(blas) == {1} for workers, blas in seen)
    finally:
        for process in busy:
            process.kill()
            process.wait()


def trained_weights(folder, name, *options, busy=0):
    """The arrays of the model that ``ocr train`` (a process of its own) saves from
    the small synthetic files in ``folder``, with ``busy`` processes spinning beside it."""
    import subprocess
    import sys

    spinning = busy_processes(busy)
    try:
        out = folder.parent / f"{name}.npz"
        done = subprocess.run([sys.executable, "-m", "ocr_cli", "train", "--data", str(folder), "--hidden", "256,128",
                               "--activation", "relu", "--batch-size", "96", "--epochs", "3", "--optimizer", "adam", "--lr", "0.001",
                               "--out", str(out), *options], capture_output=True, text=True, timeout=300)
    finally:
        for process in spinning:
            process.kill()
            process.wait()
    assert done.returncode == 0, done.stderr
    with np.load(out) as arrays:
        recorded = json.loads(str(arrays["metadata"]))["training"]["config"]
        return {name: arrays[name] for name in arrays.files if name != "metadata"}, recorded["threads"]


def test_the_same_command_gives_the_same_weights_beside_two_busy_processes(nist_dir):
    """Layers wide enough for BLAS to share a product between threads: its sums then
    depend on the thread count, which by default is fixed, not taken from the load."""
    (alone, threads), (beside, threads_beside) = trained_weights(nist_dir, "alone"), trained_weights(nist_dir, "beside", busy=2)
    assert threads == threads_beside == 1  # recorded in the model
    assert alone.keys() == beside.keys()
    for name in alone:
        assert np.array_equal(alone[name], beside[name]), name


def test_a_loaded_network_drops_out_with_the_runs_seed(tmp_path):
    """``--init``: the loaded model's dropout layers draw their masks from the new
    run's seed, each layer its own, as a new network of the same seed does."""
    from ocr_cli.net.layers import Dropout
    from ocr_cli.net.model import Model, new_metadata, save_model
    from ocr_cli.layout import CLASSES
    from ocr_cli.net.train import start_network

    path = tmp_path / "dropout.npz"
    fresh = Network.create(1024, 36, hidden=[8, 8], activation="relu", dropout=0.5, seed=0)
    save_model(path, Model(fresh, new_metadata(fresh)))
    ones = np.ones((6, 8), np.float32)

    def masks(net):
        return [layer.forward(ones, training=True) for layer in net.layers if isinstance(layer, Dropout)]

    def loaded(seed):
        return masks(start_network(TrainConfig(init=str(path), seed=seed), CLASSES)[0])

    first, again, other = loaded(1), loaded(1), loaded(2)
    assert len(first) == 2 and not np.array_equal(first[0], first[1])
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not any(np.array_equal(a, b) for a, b in zip(first, other))
    new = masks(Network.create(1024, 36, hidden=[8, 8], activation="relu", dropout=0.5, seed=1))
    assert all(np.array_equal(a, b) for a, b in zip(first, new))


def test_letter_forms_without_augmentation_draw_only_the_forms():
    from ocr_cli.layout import CLASSES
    from ocr_cli.net.train import augmentation

    X = np.ones((36 * 4, 1024), np.float32)
    X.reshape(-1, 32, 32)[:, 14:18, 4:28] = 0.0  # (stored transposed) an upright vertical bar
    Y = np.repeat(np.eye(36, dtype=np.float32), 4, axis=0)
    out = augmentation(TrainConfig(forms=True))(X, Y, np.random.default_rng(0))
    changed = {CLASSES[i // 4] for i in np.flatnonzero((out != X).any(axis=1))}
    assert changed and changed <= set("I1Z7J0")  # only the classes with forms, nothing else moved


def test_contrast_goes_in_front_of_a_model_trained_without_it(tiny_model):
    from ocr_cli.layout import CLASSES
    from ocr_cli.net.layers import Contrast
    from ocr_cli.net.train import start_network

    plain = TrainConfig(init=str(tiny_model))
    net, config, _ = start_network(plain, CLASSES)
    assert not isinstance(net.layers[0], Contrast) and not config.contrast and not config.batch_norm
    net, config, _ = start_network(TrainConfig(init=str(tiny_model), contrast=True), CLASSES)
    assert isinstance(net.layers[0], Contrast) and config.contrast and len(net.layers) == 3
