"""Training: mini-batches, the epoch loop, per-epoch history, and evaluation."""

import time
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from ocr_cli.augment import augment as augment_batch
from ocr_cli.data import provenance
from ocr_cli.errors import InputError
from ocr_cli.model import Model, load_model, new_metadata
from ocr_cli.network import Network
from ocr_cli.nn import accuracy, cross_entropy, smooth_labels, softmax_cross_entropy
from ocr_cli.optim import make_optimizer, step_decay


@dataclass
class TrainConfig:
    """Everything that decides a training run; stored in the model's metadata.

    The defaults are the course network: one hidden layer of 64 sigmoid units,
    plain mini-batch SGD on the summed cross-entropy.
    """

    hidden: list = field(default_factory=lambda: [64])
    activation: str = "sigmoid"
    conv: list = field(default_factory=list)  # filters of each convolution + pooling block
    kernel: int = 5
    epochs: int = 50
    batch_size: int = 32
    lr: float = 3e-3
    optimizer: str = "sgd"
    momentum: float = 0.0
    seed: int = 0
    augment: bool = False
    lr_step: int = 0  # every lr_step epochs the learning rate is multiplied by lr_factor (0: never)
    lr_factor: float = 0.5
    dropout: float = 0.0
    weight_decay: float = 0.0  # decoupled: every step W -= lr * weight_decay * W
    label_smoothing: float = 0.0
    patience: int = 0  # stop after this many epochs without a better valid accuracy, keep the best (0: never)
    init: str = ""  # a model file whose network (layers and weights) training starts from

    def command(self, train_paths, valid_path):
        """The ``ocr train`` command line that reproduces this run."""
        files = " ".join(f"--train {p}" for p in train_paths)
        options = {"--conv": ",".join(map(str, self.conv)), "--kernel": self.conv and self.kernel,
                   "--lr-step": self.lr_step, "--lr-factor": self.lr_step and self.lr_factor,
                   "--dropout": self.dropout, "--weight-decay": self.weight_decay,
                   "--label-smoothing": self.label_smoothing, "--patience": self.patience, "--init": self.init}
        return (
            f"ocr train {files} --valid {valid_path} --hidden {','.join(map(str, self.hidden))}"
            f" --activation {self.activation} --epochs {self.epochs} --batch-size {self.batch_size}"
            f" --lr {self.lr:g} --optimizer {self.optimizer} --momentum {self.momentum:g} --seed {self.seed}"
            + (" --augment" if self.augment else "")
            + "".join(f" {name} {value:g}" if isinstance(value, float) else f" {name} {value}"
                      for name, value in options.items() if value)
        )


@dataclass
class Run:
    """One training run: the model (with metadata), its per-epoch history, the epoch
    whose weights the model holds (the last, or the best on valid with early stopping)
    and the first-layer weights at initialisation (for the weights figure)."""

    config: TrainConfig
    model: Model
    history: list
    kept_epoch: int
    initial_weights: np.ndarray

    @property
    def final(self):
        """The history record of the epoch whose weights were kept."""
        return self.history[self.kept_epoch - 1]


def get_batches(n, batch_size, rng):
    """Random mini-batches of row indices covering ``range(n)`` exactly once."""
    order = rng.permutation(n)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def descend(net, optimizer, inputs, targets, loss):
    """One gradient step on a batch: forward, ``loss(outputs, targets) -> (value,
    doutputs)``, backward, update. Returns the loss value and the outputs."""
    outputs = net.forward(inputs, training=True)
    value, doutputs = loss(outputs, targets)
    net.backward(doutputs)
    optimizer.step(net.params, net.grads)
    return value, outputs


def classification_loss(label_smoothing):
    """Softmax cross-entropy against ``(1 - label_smoothing) * one-hot + ...`` targets."""
    def loss(logits, y):
        value, _, dlogits = softmax_cross_entropy(logits, smooth_labels(y, label_smoothing))
        return value, dlogits
    return loss


def train_epoch(net, optimizer, X, Y, batch_size, rng, augment=False, label_smoothing=0.0):
    """One pass over ``X: (N, D)``, ``Y: (N, C)`` (each batch randomly varied if
    ``augment``); returns (mean loss, accuracy) of the batches as they were seen."""
    total_loss, correct, loss = 0.0, 0, classification_loss(label_smoothing)
    for idx in get_batches(len(X), batch_size, rng):
        inputs = augment_batch(X[idx], rng, Y[idx].argmax(1)) if augment else X[idx]
        value, logits = descend(net, optimizer, inputs, Y[idx], loss)
        total_loss += value
        correct += int((logits.argmax(1) == Y[idx].argmax(1)).sum())
    return total_loss / len(X), correct / len(X)


def fit(net, train_set, valid_set, config, on_epoch=None):
    """Trains ``net`` in place for ``config.epochs`` (fewer with early stopping, which
    leaves the best epoch's weights in ``net``). Returns the history, one dict per epoch
    with train/valid loss (averaged over rows) and accuracy and seconds so far, and the
    number of the epoch whose weights ``net`` holds. ``on_epoch(record)`` is called
    after each epoch."""
    rng = np.random.default_rng(config.seed)
    optimizer = make_optimizer(config.optimizer, config.lr, config.momentum, config.weight_decay)
    X, valid_X = (data.X.astype(net.dtype, copy=False) for data in (train_set, valid_set))
    history, best, start = [], None, time.perf_counter()
    for epoch in range(1, config.epochs + 1):
        step_decay(optimizer, epoch, config.lr_step, config.lr_factor)
        train_loss, train_acc = train_epoch(net, optimizer, X, train_set.Y, config.batch_size, rng,
                                            config.augment, config.label_smoothing)
        valid = evaluate(net, valid_X, valid_set.Y)
        record = {"epoch": epoch, "lr": optimizer.lr, "train_loss": train_loss, "train_acc": train_acc,
                  "valid_loss": valid.loss, "valid_acc": valid.accuracy,
                  "seconds": time.perf_counter() - start}
        history.append(record)
        if on_epoch:
            on_epoch(record)
        if config.patience:
            if best is None or valid.accuracy > best[0]:
                best = (valid.accuracy, epoch, net.copy_params())
            elif epoch - best[1] >= config.patience:
                break
    if best is None:
        return history, len(history)
    net.set_params(best[2])
    return history, best[1]


ARCHITECTURE = ("hidden", "activation", "conv", "kernel", "dropout")  # the TrainConfig fields a network's layers fix


def start_network(config, n_inputs, n_classes):
    """The float32 network a run starts from and the run's config: a fresh network of
    ``config``'s layers, or, with ``config.init``, that model's network to go on
    training (fine-tuning), whose recorded layer options then replace ``config``'s."""
    if not config.init:
        return Network.create(n_inputs, n_classes, config.hidden, config.activation, config.conv,
                              config.kernel, config.dropout, config.seed, dtype=np.float32), config
    start = load_model(config.init)
    if len(start.classes) != n_classes:
        raise InputError(config.init, f"the model has {len(start.classes)} classes but the data {n_classes}")
    start.net.astype(np.float32)
    recorded = start.metadata.get("training", {}).get("config", {})
    return start.net, replace(config, **{name: recorded[name] for name in ARCHITECTURE if name in recorded})


def train(train_set, valid_set, config=None, on_epoch=None):
    """Trains a network (fresh, or ``config.init``'s) on ``train_set``
    (:class:`ocr_cli.data.Dataset`), watching ``valid_set``; returns a :class:`Run`
    whose model carries its metadata."""
    config = config or TrainConfig()
    net, config = start_network(config, train_set.X.shape[1], train_set.Y.shape[1])
    initial_weights = net.params[0].copy()
    history, kept_epoch = fit(net, train_set, valid_set, config, on_epoch)
    final = history[kept_epoch - 1]
    metadata = new_metadata(
        net,
        training={"command": config.command(train_set.paths, valid_set.paths[0]), "config": asdict(config),
                  "seconds": round(history[-1]["seconds"], 2), "epochs_run": len(history),
                  "kept_epoch": kept_epoch},
        metrics={"valid": {"accuracy": final["valid_acc"], "loss": final["valid_loss"]},
                 "train": {"accuracy": final["train_acc"], "loss": final["train_loss"]}},
        data=provenance(train=train_set.paths, valid=valid_set.paths, init=[config.init] if config.init else []),
    )
    return Run(config, Model(net, metadata), history, kept_epoch, initial_weights)


@dataclass
class Evaluation:
    """Accuracy, mean cross-entropy, per-class accuracy ``(C,)`` and confusion ``(C, C)``
    (rows: true class, columns: predicted)."""

    accuracy: float
    loss: float
    per_class: np.ndarray
    confusion: np.ndarray

    def most_confused(self, classes, top):
        """The ``top`` off-diagonal (true, predicted, count) triples, largest first."""
        off = self.confusion.copy()
        np.fill_diagonal(off, 0)
        order = np.argsort(off, axis=None, kind="stable")[::-1][:top]
        pairs = [(classes[i], classes[j], int(off[i, j])) for i, j in zip(*np.unravel_index(order, off.shape))]
        return [pair for pair in pairs if pair[2] > 0]


def evaluate(net, X, Y):
    """Scores a network (anything with ``predict_proba``) on ``X: (N, D)``, ``Y: (N, C)``."""
    probs = net.predict_proba(X)
    n_classes = Y.shape[1]
    confusion = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(confusion, (Y.argmax(1), probs.argmax(1)), 1)
    per_class = np.diag(confusion) / np.maximum(confusion.sum(1), 1)
    return Evaluation(accuracy(probs, Y), cross_entropy(probs, Y) / len(X), per_class, confusion)
