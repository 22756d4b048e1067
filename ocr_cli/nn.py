"""The numpy network core: activations, a fully connected layer, softmax, loss, init.

Shapes follow the course: inputs ``X: (N, D)``, weights ``W: (D, H)``, biases ``b: (H,)``.
The network outputs logits; :func:`softmax_cross_entropy` turns them into a loss and
the gradient ``probs - y``.
"""

import numpy as np
from scipy.special import expit


# --- activations: each has f(z) and its derivative written in terms of a = f(z) ---

def sigmoid(z):
    """Logistic function; never overflows (``sigmoid(+-1000)`` is exactly 1 and 0)."""
    return expit(z)


def sigmoid_deriv(a):
    return a * (1.0 - a)


def tanh(z):
    return np.tanh(z)


def tanh_deriv(a):
    return 1.0 - a * a


def relu(z):
    return np.maximum(z, 0.0)


def relu_deriv(a):
    return (a > 0).astype(a.dtype)


def linear(z):
    return z


def linear_deriv(a):
    return np.ones_like(a)


ACTIVATIONS = {
    "sigmoid": (sigmoid, sigmoid_deriv),
    "tanh": (tanh, tanh_deriv),
    "relu": (relu, relu_deriv),
    "linear": (linear, linear_deriv),
}


# --- output, loss, metrics ---

def softmax(z):
    """Row-wise softmax. ``z: (N, C)`` -> ``(N, C)``; the row max is subtracted first."""
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def cross_entropy(probs, y):
    """Summed cross-entropy. ``probs, y: (N, C)``, ``y`` one-hot -> float."""
    picked = probs[np.arange(len(y)), y.argmax(axis=1)]
    return float(-np.log(np.maximum(picked, np.finfo(probs.dtype).tiny)).sum())


def softmax_cross_entropy(logits, y):
    """Loss and gradient of softmax + cross-entropy.

    ``logits, y: (N, C)`` -> ``(loss, probs, dlogits)`` where the loss is summed over
    rows and ``dlogits = probs - y``.
    """
    probs = softmax(logits)
    return cross_entropy(probs, y), probs, probs - y


def accuracy(probs, y):
    """Fraction of rows whose largest score is the labelled class. ``(N, C)`` -> float."""
    return float(np.mean(probs.argmax(axis=1) == y.argmax(axis=1)))


# --- layers ---

def xavier_uniform(n_in, n_out, rng):
    """``W: (n_in, n_out)`` uniform on +-sqrt(6 / (n_in + n_out)): Var = 2 / (n_in + n_out)."""
    limit = np.sqrt(6.0 / (n_in + n_out))
    return rng.uniform(-limit, limit, size=(n_in, n_out))


class Dense:
    """Fully connected layer ``A = f(X @ W + b)``.

    ``forward`` caches the input and output; ``backward`` takes ``dA: (N, H)``, stores
    ``dW: (D, H)`` and ``db: (H,)`` and returns ``dX: (N, D)``.
    """

    def __init__(self, W, b, activation="sigmoid"):
        self.W, self.b, self.activation = W, b, activation
        self.f, self.f_deriv = ACTIVATIONS[activation]

    @classmethod
    def xavier(cls, n_in, n_out, activation, rng):
        return cls(xavier_uniform(n_in, n_out, rng), np.zeros(n_out), activation)

    def forward(self, X):
        self.X = X
        self.A = self.f(X @ self.W + self.b)
        return self.A

    def backward(self, dA):
        dZ = dA * self.f_deriv(self.A)
        self.dW = self.X.T @ dZ
        self.db = dZ.sum(axis=0)
        return dZ @ self.W.T

    @property
    def params(self):
        return [self.W, self.b]

    @property
    def grads(self):
        return [self.dW, self.db]


class MLP:
    """A stack of :class:`Dense` layers whose last layer outputs logits (linear)."""

    def __init__(self, layers):
        self.layers = layers

    @classmethod
    def create(cls, sizes, activation="sigmoid", seed=0):
        """Xavier-initialised network, e.g. ``sizes=[1024, 64, 36]``: hidden layers use
        ``activation``, the output layer is linear (softmax is part of the loss)."""
        rng = np.random.default_rng(seed)
        acts = [activation] * (len(sizes) - 2) + ["linear"]
        return cls([Dense.xavier(i, o, a, rng) for i, o, a in zip(sizes, sizes[1:], acts)])

    @property
    def sizes(self):
        return [self.layers[0].W.shape[0]] + [layer.W.shape[1] for layer in self.layers]

    def forward(self, X):
        """``X: (N, D)`` -> logits ``(N, C)``."""
        for layer in self.layers:
            X = layer.forward(X)
        return X

    def backward(self, dlogits):
        """Back-propagates ``dlogits: (N, C)``; every layer stores its ``dW``, ``db``."""
        for layer in reversed(self.layers):
            dlogits = layer.backward(dlogits)

    def predict_proba(self, X, batch_size=4096):
        """Class probabilities ``(N, C)`` for ``X: (N, D)``, in batches to bound memory."""
        out = [softmax(self.forward(X[i:i + batch_size])) for i in range(0, len(X), batch_size)]
        return np.concatenate(out) if out else np.zeros((0, self.sizes[-1]))

    @property
    def params(self):
        return [p for layer in self.layers for p in layer.params]

    @property
    def grads(self):
        return [g for layer in self.layers for g in layer.grads]


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
