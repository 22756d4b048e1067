"""Layers, and :data:`LAYERS`, the registry of their types by the name a model file
gives them. Each layer owns its whole contract:

- ``forward(X, training)`` (caches what backward needs) and ``backward(dA,
  input_grad=True) -> dX`` (stores the gradients of its parameters; the network's
  first weighted layer skips ``dX``, which nothing uses);
- ``params`` and ``grads`` (lists of arrays, possibly empty), and ``param_names``, the
  names a model file gives ``params`` (``W{i}``, ``b{i}``, ...);
- ``spec()``: a JSON-able description (``{"type": "dense", "in": 1024, ...}``), and
  back from it, for inputs of a given per-row shape: ``output_shape(spec, shape)``
  (None if the spec does not fit), ``weight_shapes(spec, shape)``, ``create(spec,
  shape, rng)`` (fresh, Xavier-initialised weights) and ``build(spec, shape, weights)``
  (weights as a model file holds them);
- ``held(spec, shape, training)``: how many numbers per row its forward pass keeps
  (output and caches), from which the memory a batch needs is known before it runs.

Image layers work on channels-last batches ``(N, H, W, C)``; :class:`Reshape` turns the
flat ``(N, 1024)`` rows into ``(N, 32, 32, 1)`` images and back. A new layer type is a
class here and an entry in :data:`LAYERS`.
"""

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ocr_cli.net.activations import ACTIVATIONS
from ocr_cli.net.nn import xavier_uniform


def positive_int(value):
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


class Layer:
    """A layer without weights whose output has its input's shape (override what differs)."""

    kind = ""  # the spec's "type"
    rank = None  # the rank of the rows it takes: 1 flat, 3 images (H, W, C); None: any
    params, grads = [], []
    param_names = ("W", "b")  # a model file's arrays of the params, numbered by the layer's index

    @staticmethod
    def complete(spec, shape, activation):
        """``spec`` as a user writes it (``{"type": "conv", "size": 5, "filters": 32}``)
        with what follows from its input ``shape`` and the network's ``activation``."""
        return spec

    def spec(self):
        """``{"type": "maxpool"}`` and the like; layers with settings add them."""
        return {"type": self.kind}

    @staticmethod
    def output_shape(spec, shape):
        return shape

    @staticmethod
    def weight_shapes(spec, shape):
        """The shapes of the params (``W`` and ``b``) for inputs of ``shape`` (none: ``[]``)."""
        return []

    @classmethod
    def held(cls, spec, shape, training=False):
        """How many numbers per row of ``shape`` the forward pass keeps until the next
        batch (its output and what ``backward`` needs; ``training``: with dropout's
        masks): one output, by default."""
        return math.prod(cls.output_shape(spec, shape))

    @classmethod
    def build(cls, spec, shape, weights):
        return cls()

    @classmethod
    def create(cls, spec, shape, rng):
        return cls.build(spec, shape, [])

    def __repr__(self):
        settings = ", ".join(f"{k}={v}" for k, v in self.spec().items() if k != "type")
        return f"{type(self).__name__}({settings})"


def column_sums(dZ):
    """``dZ: (N, F)`` summed over rows, as one matrix-vector product (four times faster
    than ``dZ.sum(axis=0)`` for the many rows of a convolution)."""
    return np.ones(len(dZ), dZ.dtype) @ dZ


class Weighted(Layer):
    """A layer with weights ``W``, biases ``b`` and ``A = f(Z)``: ``backward`` turns
    ``dA`` into ``dZ`` via f's derivative and stores ``dW``, ``db``. Xavier-initialised
    when created (fan-in and fan-out from :meth:`fans`), biases zero."""

    def __init__(self, W, b, activation):
        self.W, self.b, self.activation = W, b, activation
        self.f, self.f_deriv = ACTIVATIONS[activation]

    @classmethod
    def create(cls, spec, shape, rng):
        (w_shape, b_shape), (fan_in, fan_out) = cls.weight_shapes(spec, shape), cls.fans(spec, shape)
        return cls.build(spec, shape, [xavier_uniform(fan_in, fan_out, rng, shape=w_shape), np.zeros(b_shape)])

    @property
    def params(self):
        return [self.W, self.b]

    @property
    def grads(self):
        return [self.dW, self.db]

    @classmethod
    def held(cls, spec, shape, training=False):
        # A: relu overwrites Z in place, other activations make a second array beside it
        return math.prod(cls.output_shape(spec, shape)) * (1 if spec["activation"] in ("relu", "linear") else 2)

    def activate(self, Z):
        """``f(Z)``; ``Z`` is this layer's own fresh product, so relu may overwrite it."""
        self.A = np.maximum(Z, 0, out=Z) if self.activation == "relu" else self.f(Z)
        return self.A

    def to_preactivation(self, dA):
        return dA if self.activation == "linear" else dA * self.f_deriv(self.A)


class Dense(Weighted):
    """Fully connected layer ``A = f(X @ W + b)``; ``X: (N, D)``, ``W: (D, H)``,
    ``b: (H,)``, ``A: (N, H)``. ``backward(dA: (N, H))`` stores ``dW``, ``db`` and
    returns ``dX: (N, D)``."""

    kind, rank = "dense", 1

    @staticmethod
    def complete(spec, shape, activation):
        return {"activation": activation, **spec, "in": shape[0]}

    @classmethod
    def xavier(cls, n_in, n_out, activation, rng):
        return cls.create({"type": "dense", "in": n_in, "out": n_out, "activation": activation}, (n_in,), rng)

    @staticmethod
    def output_shape(spec, shape):
        fits = (len(shape) == 1 and spec.get("in") == shape[0] and positive_int(spec.get("out"))
                and spec.get("activation") in ACTIVATIONS)
        return (spec["out"],) if fits else None

    @staticmethod
    def weight_shapes(spec, shape):
        return [(shape[0], spec["out"]), (spec["out"],)]

    @staticmethod
    def fans(spec, shape):
        return shape[0], spec["out"]

    @classmethod
    def build(cls, spec, shape, weights):
        return cls(*weights, spec["activation"])

    def forward(self, X, training=False):
        self.X = X
        return self.activate(X @ self.W + self.b)

    def backward(self, dA, input_grad=True):
        dZ = self.to_preactivation(dA)
        self.dW = self.X.T @ dZ
        self.db = column_sums(dZ)
        return dZ @ self.W.T if input_grad else None

    def spec(self):
        return {"type": "dense", "in": self.W.shape[0], "out": self.W.shape[1], "activation": self.activation}


class Conv2D(Weighted):
    """'Valid' convolution (no padding, stride 1) by im2col: every ``k x k x C`` patch
    becomes a row, so the layer is one matrix product like :class:`Dense`.

    ``X: (N, H, W, C)`` -> ``A: (N, H-k+1, W-k+1, F)``; ``W: (k*k*C, F)`` with rows in
    (C, ky, kx) order, as model files hold it, ``b: (F,)``. The patches are unrolled in
    (ky, kx, C) order, where channels are contiguous (five times faster to copy than
    (C, ky, kx) for 32 channels), so each step permutes the small ``W`` to match.
    """

    kind, rank = "conv", 3

    @staticmethod
    def complete(spec, shape, activation):
        return {"activation": activation, **spec, "channels": shape[2]}

    def __init__(self, W, b, size, activation):
        super().__init__(W, b, activation)
        self.size = size

    @classmethod
    def xavier(cls, channels, filters, size, activation, rng):
        spec = {"type": "conv", "size": size, "channels": channels, "filters": filters, "activation": activation}
        return cls.create(spec, (size, size, channels), rng)

    @staticmethod
    def output_shape(spec, shape):
        size = spec.get("size")
        fits = (len(shape) == 3 and spec.get("channels") == shape[2] and positive_int(size)
                and size <= min(shape[:2]) and positive_int(spec.get("filters")) and spec.get("activation") in ACTIVATIONS)
        return (shape[0] - size + 1, shape[1] - size + 1, spec["filters"]) if fits else None

    @staticmethod
    def weight_shapes(spec, shape):
        return [(spec["size"] ** 2 * shape[2], spec["filters"]), (spec["filters"],)]

    @classmethod
    def held(cls, spec, shape, training=False):
        out = cls.output_shape(spec, shape)
        return super().held(spec, shape, training) + out[0] * out[1] * spec["size"] ** 2 * shape[2]  # and im2col's rows

    @staticmethod
    def fans(spec, shape):
        # fan-in k*k*C and fan-out k*k*F, as for a dense layer seen from one pixel
        return spec["size"] ** 2 * shape[2], spec["size"] ** 2 * spec["filters"]

    @classmethod
    def build(cls, spec, shape, weights):
        return cls(*weights, spec["size"], spec["activation"])

    @property
    def channels(self):
        return self.W.shape[0] // self.size ** 2

    def kernel_rows(self):
        """``W`` as ``(k, k, C, F)``: its rows in the patches' (ky, kx, C) order."""
        k, c = self.size, self.channels
        return self.W.reshape(c, k, k, -1).transpose(1, 2, 0, 3)

    def forward(self, X, training=False):
        self.in_shape = X.shape
        patches = sliding_window_view(X, (self.size, self.size), axis=(1, 2))  # (N, H', W', C, k, k) view
        n, h, w = patches.shape[:3]
        self.cols = patches.transpose(0, 1, 2, 4, 5, 3).reshape(n * h * w, -1)  # the one copy: (N H' W', k k C)
        Z = self.cols @ self.kernel_rows().reshape(len(self.W), -1)
        Z += self.b
        return self.activate(Z.reshape(n, h, w, -1))

    def backward(self, dA, input_grad=True):
        k, c = self.size, self.channels
        dZ = self.to_preactivation(dA).reshape(-1, self.W.shape[1])
        self.dW = (self.cols.T @ dZ).reshape(k, k, c, -1).transpose(2, 0, 1, 3).reshape(self.W.shape)
        self.db = column_sums(dZ)
        if not input_grad:
            return None
        n, height, width, _ = self.in_shape
        h, w = height - k + 1, width - k + 1
        # one (N H' W', C) block per kernel offset, each contiguous: (k k, N H' W', C)
        dcols = np.matmul(dZ, self.kernel_rows().reshape(k * k, c, -1).transpose(0, 2, 1))
        dX = np.zeros(self.in_shape, dtype=dcols.dtype)
        for offset, block in enumerate(dcols):  # col2im: each offset adds back one shifted image
            dy, dx = divmod(offset, k)
            dX[:, dy:dy + h, dx:dx + w, :] += block.reshape(n, h, w, c)
        return dX

    def spec(self):
        return {"type": "conv", "size": self.size, "channels": self.channels,
                "filters": self.W.shape[1], "activation": self.activation}


class MaxPool(Layer):
    """2x2 max pooling, stride 2: ``(N, H, W, C)`` -> ``(N, H//2, W//2, C)`` (an odd last
    row or column is dropped). The gradient goes to the maximum of each window."""

    kind, rank = "maxpool", 3

    @staticmethod
    def output_shape(spec, shape):
        return (shape[0] // 2, shape[1] // 2, shape[2]) if len(shape) == 3 and min(shape[:2]) >= 2 else None

    @classmethod
    def held(cls, spec, shape, training=False):
        return math.prod(cls.output_shape(spec, shape)) + math.prod(shape) // 2  # and the maximum of row pairs

    def forward(self, X, training=False):
        n, height, width, c = X.shape
        h, w = height // 2, width // 2
        self.in_shape = X.shape
        self.windows = X[:, :2 * h, :2 * w].reshape(n, h, 2, w, 2, c)
        # The maximum of the two rows, then of the two columns: three times faster than
        # a reduction over both (strided) axes.
        rows = np.maximum(self.windows[:, :, 0], self.windows[:, :, 1])
        self.A = np.maximum(rows[:, :, :, 0], rows[:, :, :, 1])
        return self.A

    def backward(self, dA, input_grad=True):
        is_max = self.windows == self.A[:, :, None, :, None]
        dX = np.zeros(self.in_shape, dtype=dA.dtype)
        n, h, _, w, _, c = is_max.shape
        windows = dX[:, :2 * h, :2 * w].reshape(n, h, 2, w, 2, c)  # splitting axes: a view into dX
        np.multiply(is_max, dA[:, :, None, :, None], out=windows)
        return dX


class Reshape(Layer):
    """Reshapes each row: ``(N, *from) -> (N, *shape)``, e.g. 1024 pixels to (32, 32, 1)."""

    kind = "reshape"

    def __init__(self, shape):
        self.shape = tuple(shape)

    @staticmethod
    def output_shape(spec, shape):
        target = spec.get("shape")
        fits = isinstance(target, list) and all(map(positive_int, target)) and math.prod(target) == math.prod(shape)
        return tuple(target) if fits else None

    @classmethod
    def held(cls, spec, shape, training=False):
        return 0  # a view of its input

    @classmethod
    def build(cls, spec, shape, weights):
        return cls(spec["shape"])

    def forward(self, X, training=False):
        self.in_shape = X.shape
        return X.reshape(len(X), *self.shape)

    def backward(self, dA, input_grad=True):
        return dA.reshape(self.in_shape)

    def spec(self):
        return {"type": "reshape", "shape": list(self.shape)}


class Dropout(Layer):
    """Inverted dropout: while training, zeroes each unit with probability ``rate`` and
    scales the rest by ``1 / (1 - rate)``; the identity otherwise."""

    def __init__(self, rate, seed=0):
        """``seed``: an int or a sequence (e.g. ``(seed, layer index)``, so that every
        dropout layer of a network draws its own masks)."""
        self.rate = rate
        self.rng = np.random.default_rng(seed)
        self.mask = None

    kind = "dropout"

    @staticmethod
    def output_shape(spec, shape):
        rate = spec.get("rate")
        return shape if isinstance(rate, (int, float)) and not isinstance(rate, bool) and 0 <= rate < 1 else None

    @classmethod
    def held(cls, spec, shape, training=False):
        return 2 * math.prod(shape) if training else 0  # the mask and the output; else its input itself

    @classmethod
    def build(cls, spec, shape, weights):
        return cls(spec["rate"])

    def forward(self, X, training=False):
        if not training or self.rate == 0:
            self.mask = None
            return X
        keep = self.rng.random(X.shape, dtype=np.float32) >= self.rate
        self.mask = keep.astype(X.dtype)
        self.mask *= 1 / (1 - self.rate)
        return X * self.mask

    def backward(self, dA, input_grad=True):
        return dA if self.mask is None else dA * self.mask

    def spec(self):
        return {"type": "dropout", "rate": self.rate}


class Contrast(Layer):
    """Stretches each image's contrast so that its darkest pixel is full ink: darkness
    ``1 - x`` divided by the image's largest darkness (at least :data:`MIN_RANGE`),
    paper (1) staying paper. No weights.

    Why: the reading pipeline scales every crop's firm strokes to full ink, but scans
    and other sources give grey or faint ink (the darkest pixel of half of
    otherpens36's scanned characters is 0.21 grey; nist36's is 0), which a network
    trained on black ink reads worse. Inside the model the stretch is applied alike in
    training, evaluation and reading, by whatever reads the model file.

    ``backward`` treats the scale as a constant: the layer comes first, so its input
    gradient would only flow into the data, which nothing learns from."""

    kind = "contrast"
    MIN_RANGE = 0.1  # darkness: an image fainter than this (blank paper) is stretched at most tenfold

    def forward(self, X, training=False):
        darkness = 1.0 - X
        largest = darkness.reshape(len(X), -1).max(axis=1, initial=0.0)
        self.scale = (1.0 / np.maximum(largest, self.MIN_RANGE)).astype(X.dtype).reshape(-1, *[1] * (X.ndim - 1))
        return 1.0 - darkness * self.scale

    def backward(self, dA, input_grad=True):
        return dA * self.scale


class BatchNorm(Layer):
    """Batch normalisation (Ioffe & Szegedy, 2015) over the last axis (the channels of
    images ``(N, H, W, C)`` or the units of rows ``(N, D)``): while training, each
    channel is centred and scaled by the batch's mean and variance, then multiplied by
    ``W`` (gamma) and shifted by ``b`` (beta); the running averages ``mean`` and
    ``var`` (momentum :data:`MOMENTUM`) stand in for the batch's otherwise.

    Why the running averages are params (with zero gradients, which leave them
    unchanged under SGD and Adam; vectors get no weight decay): model files,
    checkpoints and the best epoch's weights then hold them with no special case. The
    layer updates them itself in ``forward``. A new layer starts as the identity
    (gamma 1, beta 0) and draws no random numbers, so the other layers of a network get
    the same initial weights with or without it."""

    kind = "batchnorm"
    param_names = ("W", "b", "mean", "var")
    MOMENTUM = 0.9  # running = MOMENTUM * running + (1 - MOMENTUM) * batch
    EPS = 1e-5  # added to the variance: a channel that never varies is not divided by 0

    def __init__(self, W, b, mean, var):
        self.W, self.b, self.mean, self.var = W, b, mean, var

    @staticmethod
    def complete(spec, shape, activation):
        return {**spec, "channels": shape[-1]}

    @staticmethod
    def output_shape(spec, shape):
        return shape if positive_int(spec.get("channels")) and spec["channels"] == shape[-1] else None

    @staticmethod
    def weight_shapes(spec, shape):
        return [(spec["channels"],)] * 4

    @classmethod
    def held(cls, spec, shape, training=False):
        return 2 * math.prod(shape)  # the normalised input and the output

    @classmethod
    def build(cls, spec, shape, weights):
        return cls(*weights)

    @classmethod
    def create(cls, spec, shape, rng):
        ones, zeros = np.ones(spec["channels"]), np.zeros(spec["channels"])
        return cls(ones.copy(), zeros.copy(), zeros.copy(), ones.copy())

    @property
    def params(self):
        return [self.W, self.b, self.mean, self.var]

    @property
    def grads(self):
        return [self.dW, self.db, np.zeros_like(self.mean), np.zeros_like(self.var)]

    def forward(self, X, training=False):
        flat = X.reshape(-1, X.shape[-1])
        if training:
            mean, var = flat.mean(axis=0), flat.var(axis=0)
            self.mean *= self.MOMENTUM
            self.mean += (1 - self.MOMENTUM) * mean
            self.var *= self.MOMENTUM
            self.var += (1 - self.MOMENTUM) * var * len(flat) / max(len(flat) - 1, 1)  # the unbiased variance
        else:
            mean, var = self.mean, self.var
        self.inv = (1.0 / np.sqrt(var + self.EPS)).astype(X.dtype)
        self.xhat = (flat - mean.astype(X.dtype)) * self.inv
        return (self.xhat * self.W + self.b).reshape(X.shape)

    def backward(self, dA, input_grad=True):
        flat = dA.reshape(-1, dA.shape[-1])
        self.db = column_sums(flat)
        self.dW = column_sums(flat * self.xhat)
        if not input_grad:
            return None
        n = len(flat)
        dxhat = flat * self.W
        dX = self.inv / n * (n * dxhat - column_sums(dxhat) - self.xhat * column_sums(dxhat * self.xhat))
        return dX.reshape(dA.shape)

    def spec(self):
        return {"type": "batchnorm", "channels": int(self.W.shape[0])}


# Every layer type by the name its spec gives ("type"); files of format version 1 hold
# dense layers only, without a type.
LAYERS = {layer.kind: layer for layer in (Dense, Conv2D, MaxPool, Reshape, Dropout, Contrast, BatchNorm)}
# The names of every array a layer may keep in a model file (``W3``, ``mean7``, ...).
PARAM_NAMES = tuple(dict.fromkeys(name for layer in LAYERS.values() for name in layer.param_names))


def layer_type(spec):
    """The class of the layer ``spec`` describes, or None."""
    return LAYERS.get(spec.get("type", "dense")) if isinstance(spec, dict) else None
