"""Layers. Each has ``forward(X, training)`` (caches what backward needs),
``backward(dA) -> dX`` (stores the gradients of its parameters), ``params`` and
``grads`` (lists of arrays, possibly empty) and ``spec()`` (a JSON-able description;
:func:`ocr_cli.model.load_model` rebuilds the layer from it).

Image layers work on channels-last batches ``(N, H, W, C)``; :class:`Reshape` turns the
flat ``(N, 1024)`` rows into ``(N, 32, 32, 1)`` images and back.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ocr_cli.nn import ACTIVATIONS, xavier_uniform


class Layer:
    params, grads = [], []

    def spec(self):
        """``{"type": "maxpool"}`` and the like; layers with settings add them."""
        return {"type": type(self).__name__.lower()}


class Weighted(Layer):
    """A layer with weights ``W``, biases ``b`` and ``A = f(Z)``: ``backward`` turns
    ``dA`` into ``dZ`` via f's derivative and stores ``dW``, ``db``."""

    def __init__(self, W, b, activation):
        self.W, self.b, self.activation = W, b, activation
        self.f, self.f_deriv = ACTIVATIONS[activation]

    @property
    def params(self):
        return [self.W, self.b]

    @property
    def grads(self):
        return [self.dW, self.db]

    def activate(self, Z):
        self.A = self.f(Z)
        return self.A

    def to_preactivation(self, dA):
        return dA * self.f_deriv(self.A)


class Dense(Weighted):
    """Fully connected layer ``A = f(X @ W + b)``; ``X: (N, D)``, ``W: (D, H)``,
    ``b: (H,)``, ``A: (N, H)``. ``backward(dA: (N, H))`` stores ``dW``, ``db`` and
    returns ``dX: (N, D)``."""

    @classmethod
    def xavier(cls, n_in, n_out, activation, rng):
        return cls(xavier_uniform(n_in, n_out, rng), np.zeros(n_out), activation)

    def forward(self, X, training=False):
        self.X = X
        return self.activate(X @ self.W + self.b)

    def backward(self, dA):
        dZ = self.to_preactivation(dA)
        self.dW = self.X.T @ dZ
        self.db = dZ.sum(axis=0)
        return dZ @ self.W.T

    def spec(self):
        return {"type": "dense", "in": self.W.shape[0], "out": self.W.shape[1], "activation": self.activation}


def pooled_side(side, kernel):
    """Image side after a ``kernel`` x ``kernel`` valid convolution and 2x2 pooling."""
    return (side - kernel + 1) // 2


class Conv2D(Weighted):
    """'Valid' convolution (no padding, stride 1) by im2col: every ``k x k x C`` patch
    becomes a row, so the layer is one matrix product like :class:`Dense`.

    ``X: (N, H, W, C)`` -> ``A: (N, H-k+1, W-k+1, F)``; ``W: (k*k*C, F)`` with rows in
    (C, ky, kx) order, ``b: (F,)``.
    """

    def __init__(self, W, b, size, activation):
        super().__init__(W, b, activation)
        self.size = size

    @classmethod
    def xavier(cls, channels, filters, size, activation, rng):
        # fan-in k*k*C and fan-out k*k*F, as for a dense layer seen from one pixel
        fan_in, fan_out = size * size * channels, size * size * filters
        W = xavier_uniform(fan_in, fan_out, rng, shape=(fan_in, filters))
        return cls(W, np.zeros(filters), size, activation)

    def forward(self, X, training=False):
        self.in_shape = X.shape
        patches = sliding_window_view(X, (self.size, self.size), axis=(1, 2))  # (N, H', W', C, k, k)
        n, h, w = patches.shape[:3]
        self.cols = patches.reshape(n * h * w, -1)
        return self.activate((self.cols @ self.W + self.b).reshape(n, h, w, -1))

    def backward(self, dA):
        dZ = self.to_preactivation(dA).reshape(-1, self.W.shape[1])
        self.dW = self.cols.T @ dZ
        self.db = dZ.sum(axis=0)
        n, height, width, channels = self.in_shape
        h, w = height - self.size + 1, width - self.size + 1
        dcols = (dZ @ self.W.T).reshape(n, h, w, channels, self.size, self.size)
        dX = np.zeros(self.in_shape, dtype=dcols.dtype)
        for dy in range(self.size):  # col2im: each kernel offset adds back one shifted image
            for dx in range(self.size):
                dX[:, dy:dy + h, dx:dx + w, :] += dcols[..., dy, dx]
        return dX

    def spec(self):
        return {"type": "conv", "size": self.size, "channels": self.W.shape[0] // self.size ** 2,
                "filters": self.W.shape[1], "activation": self.activation}


class MaxPool(Layer):
    """2x2 max pooling, stride 2: ``(N, H, W, C)`` -> ``(N, H//2, W//2, C)`` (an odd last
    row or column is dropped). The gradient goes to the maximum of each window."""

    def forward(self, X, training=False):
        n, height, width, c = X.shape
        h, w = height // 2, width // 2
        self.in_shape = X.shape
        self.windows = X[:, :2 * h, :2 * w].reshape(n, h, 2, w, 2, c)
        self.A = self.windows.max(axis=(2, 4))
        return self.A

    def backward(self, dA):
        is_max = self.windows == self.A[:, :, None, :, None]
        dX = np.zeros(self.in_shape, dtype=dA.dtype)
        n, h, _, w, _, c = is_max.shape
        dX[:, :2 * h, :2 * w] = (is_max * dA[:, :, None, :, None]).reshape(n, 2 * h, 2 * w, c)
        return dX


class Reshape(Layer):
    """Reshapes each row: ``(N, *from) -> (N, *shape)``, e.g. 1024 pixels to (32, 32, 1)."""

    def __init__(self, shape):
        self.shape = tuple(shape)

    def forward(self, X, training=False):
        self.in_shape = X.shape
        return X.reshape(len(X), *self.shape)

    def backward(self, dA):
        return dA.reshape(self.in_shape)

    def spec(self):
        return {"type": "reshape", "shape": list(self.shape)}


class Dropout(Layer):
    """Inverted dropout: while training, zeroes each unit with probability ``rate`` and
    scales the rest by ``1 / (1 - rate)``; the identity otherwise."""

    def __init__(self, rate, seed=0):
        self.rate = rate
        self.rng = np.random.default_rng(seed)
        self.mask = None

    def forward(self, X, training=False):
        if not training or self.rate == 0:
            self.mask = None
            return X
        self.mask = (self.rng.random(X.shape) >= self.rate).astype(X.dtype) / (1 - self.rate)
        return X * self.mask

    def backward(self, dA):
        return dA if self.mask is None else dA * self.mask

    def spec(self):
        return {"type": "dropout", "rate": self.rate}
