"""Evaluation of a classifier: accuracy, mean cross-entropy, per-class accuracy and the
confusion matrix."""

from dataclasses import dataclass

import numpy as np

from ocr_cli.nn import cross_entropy


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
    """Scores a network (anything with ``predict_proba``) on ``X: (N, D)``, ``Y: (N, C)``;
    a network with more outputs than ``Y`` has columns (one for "not a character") is
    scored on ``Y`` widened with zero columns: reading a character as junk is an error."""
    probs = net.predict_proba(X)
    n_classes = probs.shape[1]
    Y = np.pad(Y, ((0, 0), (0, max(n_classes - Y.shape[1], 0))))
    confusion = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(confusion, (Y.argmax(1), probs.argmax(1)), 1)
    per_class = np.diag(confusion) / np.maximum(confusion.sum(1), 1)
    return Evaluation(accuracy(probs, Y), cross_entropy(probs, Y) / len(X), per_class, confusion)
