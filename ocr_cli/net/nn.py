"""The numpy core's functions: activations, softmax, losses, init, gradient check.

Shapes follow the course: inputs ``X: (N, D)``, weights ``W: (D, H)``, biases ``b: (H,)``.
Layers live in :mod:`ocr_cli.net.layers`, the network in :mod:`ocr_cli.net.network`. A network
outputs logits; :func:`softmax_cross_entropy` turns them into a loss and the gradient
``probs - y``.
"""

import numpy as np


# --- output and losses ---

def softmax(z):
    """Row-wise softmax. ``z: (N, C)`` -> ``(N, C)``; the row max is subtracted first."""
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def cross_entropy(probs, y):
    """Summed cross-entropy ``-sum(y * log(probs))``. ``probs, y: (N, C)``; ``y`` one-hot
    or soft (rows summing to 1) -> float."""
    return float(-(y * np.log(np.maximum(probs, np.finfo(probs.dtype).tiny))).sum())


def smooth_labels(y, amount):
    """Label smoothing: ``(1 - amount) * y + amount / C`` for ``y: (N, C)``."""
    return y * (1.0 - amount) + amount / y.shape[1] if amount else y


def softmax_cross_entropy(logits, y):
    """Loss and gradient of softmax + cross-entropy.

    ``logits, y: (N, C)`` -> ``(loss, probs, dlogits)`` where the loss is summed over
    rows and ``dlogits = probs - y`` (``y`` one-hot or soft).
    """
    probs = softmax(logits)
    return cross_entropy(probs, y), probs, probs - y.astype(probs.dtype, copy=False)


def squared_error(outputs, targets):
    """Total squared error ``sum((outputs - targets)**2)`` and its gradient
    ``2 * (outputs - targets)``. ``outputs, targets: (N, D)`` -> ``(loss, doutputs)``."""
    diff = outputs - targets
    return float((diff * diff).sum()), 2.0 * diff


# --- initialisation and gradient checking ---

def xavier_uniform(n_in, n_out, rng, shape=None):
    """Weights uniform on +-sqrt(6 / (n_in + n_out)), so Var = 2 / (n_in + n_out);
    ``shape`` defaults to ``(n_in, n_out)``."""
    limit = np.sqrt(6.0 / (n_in + n_out))
    return rng.uniform(-limit, limit, size=shape or (n_in, n_out))


def numerical_gradient(f, x, eps=1e-6):
    """Central-difference gradient of the scalar ``f()`` with respect to array ``x``,
    which is perturbed in place and restored. Returns an array shaped like ``x``."""
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        original = x[i]
        x[i] = original + eps
        plus = f()
        x[i] = original - eps
        minus = f()
        x[i] = original
        grad[i] = (plus - minus) / (2 * eps)
    return grad


def relative_error(a, b):
    """``||a - b|| / (||a|| + ||b||)``, 0 when both are zero."""
    scale = np.linalg.norm(a) + np.linalg.norm(b)
    return float(np.linalg.norm(a - b) / scale) if scale else 0.0
