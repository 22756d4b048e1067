"""Evaluation of a classifier: accuracy, mean cross-entropy, per-class accuracy and the
confusion matrix."""

from dataclasses import dataclass

import numpy as np

from ocr_cli.net.nn import cross_entropy


def accuracy(probs, y):
    """Fraction of rows whose largest score is the labelled class. ``(N, C)`` -> float."""
    return float(np.mean(probs.argmax(axis=1) == y.argmax(axis=1)))


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
    """Scores a network (anything with ``predict_proba``) on ``X: (N, D)``, ``Y: (N, C)``,
    whose columns are the network's outputs (see :func:`score` for data of other
    classes)."""
    probs = net.predict_proba(X)
    n_classes = probs.shape[1]
    if Y.shape[1] != n_classes:
        raise ValueError(f"labels of {Y.shape[1]} columns for a network of {n_classes} outputs")
    confusion = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(confusion, (Y.argmax(1), probs.argmax(1)), 1)
    per_class = np.diag(confusion) / np.maximum(confusion.sum(1), 1)
    return Evaluation(accuracy(probs, Y), cross_entropy(probs, Y) / len(X), per_class, confusion)


def score(model, dataset):
    """:func:`evaluate` of ``model`` (its ``classes`` name its outputs) on ``dataset``
    (:class:`ocr_cli.net.data.Dataset`), its labels matched to the model's classes by
    character: reading a character as another, or as "not a character", is an error.
    Returns the :class:`Evaluation` and how many rows, of classes the model does not
    have, were left out."""
    from ocr_cli.errors import InputError

    aligned, left_out = dataset.aligned(model.classes)
    if not len(aligned.X):
        raise InputError(dataset.paths[0] if dataset.paths else "data",
                         f"holds no rows of the model's classes ({model.classes})")
    return evaluate(model, aligned.X, aligned.Y), left_out
