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
from functools import partial

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ocr_cli.net.activations import ACTIVATIONS
from ocr_cli.net.nn import xavier_uniform
from ocr_cli.net.workers import current, spans


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


# A product's multiply-add costs about this share of an elementwise pass over one
# number (a product runs at 30-40 G multiply-adds a second on one core, a pass at
# 1-4 G numbers): the size of work by which products are cut (:meth:`Workers.spans`).
PRODUCT_SHARE = 64


# Elementwise passes over a batch run over a few images at a time, about this many
# numbers of an array (256 kB of float32), which stay in the core's cache from one pass
# to the next.
CACHE_PART = 65_536
# With several threads, products too run over a few images at a time, about this many
# numbers of their input: enough rows for BLAS to run at full speed.
PRODUCT_PART = 16 * CACHE_PART


def chunks(span, size, numbers=CACHE_PART):
    """``(start, stop)`` runs of about ``numbers`` numbers (at least one row each) that
    cover the rows ``span`` of ``size`` numbers each, in order."""
    a, b = span
    step = max(1, numbers // max(size, 1))
    return [(i, min(i + step, b)) for i in range(a, b, step)] or [span]


def product_spans(workers, span, size):
    """The runs of rows ``span`` (``size`` numbers each) whose products a layer makes
    one by one: the whole span with one thread (one product for the batch, its
    arithmetic as before threads), else :data:`PRODUCT_PART` numbers at a time."""
    return [span] if workers.threads == 1 else chunks(span, size, PRODUCT_PART)


def product_parts(workers, n, size):
    """The runs of a batch of ``n`` images (``size`` numbers each) whose products a
    layer makes one by one, in order: :func:`product_spans` of each thread's span
    (:meth:`~ocr_cli.net.workers.Workers.spans`). The threads take them as they come
    free, so that a thread slowed by another process takes fewer."""
    return [part for span in workers.spans(n, size) for part in product_spans(workers, span, size)]


def reused(owner, name, shape, dtype, keep=True):
    """``owner``'s array ``name`` if it has ``shape`` and ``dtype`` (its values are
    whatever it held), else a new one kept there: scratch that each batch of a
    training run, all of one size, overwrites rather than allocates (a fresh array of
    a few MB costs its pages' faults, every batch). ``keep`` False: a new array, not
    kept (a forward pass outside training, whose output its caller may hold)."""
    if not keep:
        return np.empty(shape, dtype)
    array = getattr(owner, name, None)
    if array is None or array.shape != shape or array.dtype != dtype:
        array = np.empty(shape, dtype)
        setattr(owner, name, array)
    return array


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

    def preactivation(self, dA, A, parts):
        """:meth:`to_preactivation` of rows ``dA`` with outputs ``A``, by ``parts``
        (``(start, stop)`` runs of rows) on the workers: each number as the whole
        product would give it."""
        if self.activation == "linear":
            return dA
        dZ = np.empty(dA.shape, np.result_type(dA, self.f_deriv(A[:0])))

        def rows(span):
            np.multiply(dA[span[0]:span[1]], self.f_deriv(A[span[0]:span[1]]), out=dZ[span[0]:span[1]])

        current().map(rows, parts)
        return dZ


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

    def spans(self, n):
        """How the rows of a batch of ``n`` are cut for the workers: by the multiply-adds
        of the product, each worth about :data:`PRODUCT_SHARE` of an elementwise number."""
        return current().spans(n, self.W.size // PRODUCT_SHARE)

    def forward(self, X, training=False):
        self.X = X
        Z = np.empty((len(X), self.W.shape[1]), np.result_type(X, self.W, self.b))

        def rows(span):
            np.matmul(X[span[0]:span[1]], self.W, out=Z[span[0]:span[1]])
            Z[span[0]:span[1]] += self.b

        current().map(rows, self.spans(len(X)))
        return self.activate(Z)

    def backward(self, dA, input_grad=True):
        """``dW`` by parts of its rows (each the product of some columns of ``X``),
        ``dX`` by parts of the batch's rows."""
        parts = self.spans(len(dA))
        dZ = self.preactivation(dA, self.A, parts)
        self.db = column_sums(dZ)
        self.dW = np.empty(self.W.shape, np.result_type(self.X, dZ))
        columns = spans(len(self.W), len(parts))
        if input_grad:
            dX = np.empty((len(dZ), len(self.W)), np.result_type(dZ, self.W))

        def part(i):
            if i < len(columns):
                a, b = columns[i]
                np.matmul(self.X[:, a:b].T, dZ, out=self.dW[a:b])
            if input_grad:
                a, b = parts[i]
                np.matmul(dZ[a:b], self.W.T, out=dX[a:b])

        current().map(part, range(max(len(columns), len(parts) if input_grad else 0)))
        return dX if input_grad else None

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
        k, c = self.size, X.shape[3]
        n, height, width, _ = self.in_shape = X.shape
        h, w = height - k + 1, width - k + 1
        pixels, filters = h * w, self.W.shape[1]
        patches = sliding_window_view(X, (k, k), axis=(1, 2)).transpose(0, 1, 2, 4, 5, 3)  # (N, H', W', k, k, C) view
        kernel = self.kernel_rows().reshape(len(self.W), -1)
        self.cols = reused(self, "cols", (n * pixels, len(self.W)), X.dtype)  # (N H' W', k k C)
        Z = reused(self, "Z", (n * pixels, filters), np.result_type(X, kernel), keep=training)
        workers = current()

        def images(part):
            # im2col and the product of a few images at a time, then their bias and
            # relu while in cache (one thread: one product, as before threads)
            a, b = part
            rows = slice(a * pixels, b * pixels)
            np.copyto(self.cols[rows].reshape(b - a, h, w, k, k, c), patches[a:b])
            np.matmul(self.cols[rows], kernel, out=Z[rows])
            for ca, cb in chunks(part, pixels * filters):
                block = Z[ca * pixels:cb * pixels]
                block += self.b
                if self.activation == "relu":
                    np.maximum(block, 0, out=block)

        workers.map(images, product_parts(workers, n, pixels * len(self.W)))
        Z = Z.reshape(n, h, w, -1)
        self.A = Z if self.activation in ("relu", "linear") else self.f(Z)
        return self.A

    def backward(self, dA, input_grad=True):
        """``dZ`` by parts of the batch's images, then at once: each thread's span's
        share of ``dW`` (the shares then summed in order; one thread: the whole
        product, as before threads) and ``dX`` by parts (the gradients of their
        patches, then col2im, every kernel offset adding back one shifted image)."""
        k, c = self.size, self.channels
        n, height, width, _ = self.in_shape
        h, w = height - k + 1, width - k + 1
        pixels, filters = h * w, self.W.shape[1]
        workers = current()
        dA, A = dA.reshape(-1, filters), self.A.reshape(-1, filters)
        linear = self.activation == "linear"
        dZ = dA if linear else reused(self, "dZ", dA.shape, np.result_type(dA, self.f_deriv(A[:0])))
        spans, parts = workers.spans(n, pixels * len(self.W)), product_parts(workers, n, pixels * len(self.W))
        shares = reused(self, "shares", (len(spans), len(self.W), filters), np.result_type(self.cols, dZ))
        if input_grad:
            # one (N H' W', C) block per kernel offset, each contiguous: (k k, N H' W', C)
            back = self.kernel_rows().reshape(k * k, c, -1).transpose(0, 2, 1)
            dcols = np.empty((k * k, n * pixels, c), np.result_type(dZ, back))
            dX = reused(self, "dX", self.in_shape, dcols.dtype)

        def preactivation(part):
            for a, b in chunks(part, pixels * filters):
                rows = slice(a * pixels, b * pixels)
                np.multiply(dA[rows], self.f_deriv(A[rows]), out=dZ[rows])

        def share(i):  # the products of one thread's span, as before parts were taken as they come
            rows = slice(spans[i][0] * pixels, spans[i][1] * pixels)
            np.matmul(self.cols[rows].T, dZ[rows], out=shares[i])

        def gradient(part):
            a, b = part
            np.matmul(dZ[a * pixels:b * pixels], back, out=dcols[:, a * pixels:b * pixels])
            for ca, cb in chunks(part, height * width * c):  # col2im, a few images at a time
                part_dX = dX[ca:cb]
                part_dX[...] = 0
                for offset, block in enumerate(dcols[:, ca * pixels:cb * pixels]):
                    dy, dx = divmod(offset, k)
                    part_dX[:, dy:dy + h, dx:dx + w, :] += block.reshape(cb - ca, h, w, c)

        if not linear:
            workers.map(preactivation, parts)
        jobs = [partial(share, i) for i in range(len(spans))] + [partial(gradient, part) for part in parts if input_grad]
        workers.map(lambda job: job(), jobs)  # the shares first: the longest jobs
        for share in shares[1:]:
            shares[0] += share
        self.dW = shares[0].reshape(k, k, c, -1).transpose(2, 0, 1, 3).reshape(self.W.shape)
        self.db = column_sums(dZ)
        return dX if input_grad else None

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
        self.windows = X[:, :2 * h, :2 * w].reshape(n, h, 2, w, 2, c)  # splitting axes: a view into X
        self.A = reused(self, "A", (n, h, w, c), X.dtype, keep=training)
        pairs = reused(self, "pairs", (n, h, w, 2, c), X.dtype, keep=training)

        def images(span):
            # The maximum of the two rows, then of the two columns: three times faster
            # than a reduction over both (strided) axes.
            a, b = span
            np.maximum(self.windows[a:b, :, 0], self.windows[a:b, :, 1], out=pairs[a:b])
            np.maximum(pairs[a:b, :, :, 0], pairs[a:b, :, :, 1], out=self.A[a:b])

        workers = current()
        workers.map(images, workers.spans(n, height * width * c))
        return self.A

    def backward(self, dA, input_grad=True):
        n, h, _, w, _, c = self.windows.shape
        dX = reused(self, "dX", self.in_shape, dA.dtype)
        is_max = reused(self, "is_max", self.windows.shape, bool)
        edges = self.in_shape[1] > 2 * h or self.in_shape[2] > 2 * w  # an odd last row or column: no gradient

        def images(span):
            a, b = span
            np.equal(self.windows[a:b], self.A[a:b, :, None, :, None], out=is_max[a:b])
            if edges:
                dX[a:b] = 0
            windows = dX[a:b, :2 * h, :2 * w].reshape(b - a, h, 2, w, 2, c)  # splitting axes: a view into dX
            np.multiply(is_max[a:b], dA[a:b, :, None, :, None], out=windows)

        workers = current()
        workers.map(images, workers.spans(n, math.prod(self.in_shape[1:])))
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
