"""The course's second network: an autoencoder that squeezes a 32x32 character through
32 numbers and back, its PCA baseline, and PSNR to compare them.

The autoencoder is a :class:`ocr_cli.net.network.Network` (1024 -> 32 relu -> 32 relu ->
32 relu -> 1024 sigmoid, Xavier init) trained on the total squared error with SGD and
momentum, by the classifier's training loop (:func:`ocr_cli.net.train.run_epochs`).
"""

import time
from dataclasses import asdict, dataclass, field

import numpy as np

from ocr_cli.net.layers import Weighted
from ocr_cli.net.network import Network, check_size, plan
from ocr_cli.net.nn import squared_error
from ocr_cli.net.optim import SGD, check_hyperparameters
from ocr_cli.net.train import Loop, check_seed, run_epochs


@dataclass
class AutoencoderConfig:
    """The course's defaults: 100 epochs of batches of 36, lr 3e-5 x0.9 every 20
    epochs, momentum 0.9."""

    hidden: list = field(default_factory=lambda: [32, 32, 32])
    epochs: int = 100
    batch_size: int = 36
    lr: float = 3e-5
    momentum: float = 0.9
    lr_step: int = 20
    lr_factor: float = 0.9
    seed: int = 0


def check_config(config, n_inputs=1024):
    """Refuses (an :class:`~ocr_cli.errors.InputError` naming the option) settings
    that cannot train: a learning rate that is not a finite number above 0, momentum
    outside [0, 1), a learning-rate factor outside (0, 1], a negative seed, layers too
    large to hold."""
    check_hyperparameters(config.lr, config.momentum, 0.0, config.lr_factor)
    check_seed(config.seed)
    check_size(specs(n_inputs, config))


def specs(n_inputs, config):
    """The layers of an autoencoder of ``n_inputs`` pixels with ``config.hidden`` relu
    layers and a sigmoid output."""
    return plan(n_inputs, config.hidden, "relu", output="sigmoid", n_inputs=n_inputs)


def check_examples(dataset, chosen, plot=True):
    """With ``plot``: refuses a ``dataset`` that has no image of some class in
    ``chosen`` (the classes the reconstruction figure shows), before any training."""
    from ocr_cli.errors import InputError

    if not plot:
        return
    present = {dataset.named().classes[i] for i in np.flatnonzero(dataset.Y.sum(0))}
    missing = [c for c in chosen if c not in present]
    if missing:
        raise InputError(dataset.paths[0], f"has no images of class{'es' * (len(missing) > 1)} {', '.join(missing)} to show "
                                           f"({{classes}} {','.join(chosen)})")


def create(n_inputs, config):
    """A fresh autoencoder of ``n_inputs`` pixels with ``config.hidden`` relu layers."""
    return Network.from_specs(specs(n_inputs, config), config.seed, shape=(n_inputs,))


def train_autoencoder(X, config=None, on_epoch=None):
    """Trains a fresh autoencoder to reproduce ``X: (N, D)`` (values 0..1). Returns the
    network and the history: per epoch the learning rate, ``train_loss`` (total
    squared error averaged over the rows) and seconds so far; ``on_epoch(record)``
    after each."""
    config = config or AutoencoderConfig()
    net = create(X.shape[1], config)
    loop = Loop(config.epochs, config.batch_size, config.lr_step, config.lr_factor)
    history, _ = run_epochs(net, SGD(config.lr, config.momentum), X, X, squared_error, loop,
                            np.random.default_rng(config.seed), on_epoch)
    return net, history


def psnr(images, reconstructions):
    """Peak signal-to-noise ratio of each image against its reconstruction, data range 1
    (``skimage.metrics.peak_signal_noise_ratio``); ``inf`` for a perfect one.
    ``images, reconstructions: (N, D)`` -> ``(N,)`` decibels."""
    from skimage.metrics import peak_signal_noise_ratio

    return np.array([np.inf if np.array_equal(a, b) else peak_signal_noise_ratio(a, b, data_range=1.0)
                     for a, b in zip(np.asarray(images, np.float64), np.asarray(reconstructions, np.float64))])


@dataclass
class PCA:
    """The ``k`` principal directions ``components: (k, D)`` of data centred on
    ``mean: (D,)``; a row is compressed to ``k`` numbers and back."""

    mean: np.ndarray
    components: np.ndarray

    @classmethod
    def fit(cls, X, k):
        """The top ``k`` right singular vectors of ``X: (N, D)`` minus its mean."""
        mean = X.mean(axis=0)
        _, _, vt = np.linalg.svd(X - mean, full_matrices=False)
        return cls(mean, vt[:k])

    def reconstruct(self, X):
        """``X: (N, D)`` projected on the components and back -> ``(N, D)``."""
        return self.mean + (X - self.mean) @ self.components.T @ self.components

    @property
    def n_params(self):
        return self.mean.size + self.components.size


def code_size(net):
    """The narrowest hidden layer of an autoencoder: how many numbers an image becomes."""
    return min(layer.W.shape[1] for layer in net.layers[:-1] if isinstance(layer, Weighted))


def row(method, code, parameters, images, rebuilt, seconds):
    """One line of the comparison: mean PSNR of ``rebuilt`` against ``images``."""
    return {"method": method, "code": int(code), "parameters": int(parameters),
            "psnr": float(psnr(images, rebuilt).mean()), "seconds": seconds}


def pca_baseline(train_X, test_X, k):
    """PCA with ``k`` components fitted on ``train_X``, measured on ``test_X``: its
    :func:`row` and its projection matrix's shape and rank."""
    start = time.perf_counter()
    basis = PCA.fit(train_X, k)
    rebuilt = basis.reconstruct(test_X)
    projection = basis.components.T  # (D, k): a centred image times it is the code
    return (row("PCA", k, basis.n_params, test_X, rebuilt, time.perf_counter() - start),
            {"shape": list(projection.shape), "rank": int(np.linalg.matrix_rank(projection))})


def autoencoder_row(net, test_X, seconds=None):
    """The :func:`row` of the autoencoder ``net`` on ``test_X`` (trained in ``seconds``)."""
    return row("autoencoder", code_size(net), sum(p.size for p in net.params), test_X, net.predict(test_X), seconds)


def examples(labels, classes, chosen, per_class=2):
    """Row indices of the first ``per_class`` images of each class in ``chosen``
    (``labels: (N,)`` class indices into ``classes``)."""
    return [i for c in chosen for i in np.flatnonzero(labels == classes.index(c))[:per_class]]


def as_model(net, config, train_set, valid_set, history, valid_psnr, command=None):
    """The trained ``net`` as a :class:`ocr_cli.net.model.Model` whose metadata says how it
    was made (``command`` as its user typed it, config, seconds, data checksums) and
    its validation PSNR."""
    from ocr_cli.net.data import provenance
    from ocr_cli.net.model import Model, new_metadata

    training = {"command": command, "config": asdict(config),
                "seconds": round(history[-1]["seconds"], 2)}
    return Model(net, new_metadata(net, task="autoencode", training=training,
                                   data=provenance(train=train_set.paths, valid=valid_set.paths),
                                   metrics={"valid": {"psnr": valid_psnr}}))
