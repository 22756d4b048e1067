"""A network: a stack of layers (:mod:`ocr_cli.net.layers`) whose last layer outputs logits.

A network is described by its layers' specs (:func:`plan` makes them from the training
options); :func:`walk` follows a row's shape through them, once, for creating a
network, loading one from a file and counting its weights alike.
"""

import math

import numpy as np

from ocr_cli.errors import InputError
from ocr_cli.layout import PIXELS
from ocr_cli.net.layers import Dropout, layer_type
from ocr_cli.net.nn import softmax

MAX_PARAMETER_BYTES = 1 << 30  # float32 weights of the largest network ocr creates: 268 million


def plan(n_classes, hidden=(64,), activation="sigmoid", conv=(), kernel=5, dropout=0.0, output="linear",
         n_inputs=PIXELS, contrast=False, batch_norm=False):
    """The layer specs of a network for rows of ``n_inputs`` pixels (square images):
    ``conv`` convolution blocks (a ``kernel`` x ``kernel`` valid convolution with
    ``conv[i]`` filters, then 2x2 max pooling) on the image first, then dense layers of
    ``hidden`` sizes, each followed by dropout of rate ``dropout`` if it is not 0, all
    with ``activation``; the output layer of ``n_classes`` has ``output`` (linear for a
    classifier: softmax belongs to the loss). ``contrast``: a
    :class:`~ocr_cli.net.layers.Contrast` layer first; ``batch_norm``: a
    :class:`~ocr_cli.net.layers.BatchNorm` after every hidden layer (after a
    convolution block's pooling: the same normalisation on a quarter of the values, a
    training step 5% slower than without it instead of 45%). Sizes follow from the
    specs; a block that leaves no image is an :class:`InputError` naming ``conv``."""
    side, specs = int(round(math.sqrt(n_inputs))), [{"type": "contrast"}] if contrast else []
    norm = (lambda channels: [{"type": "batchnorm", "channels": channels}]) if batch_norm else (lambda channels: [])
    if conv:
        shape = (side, side, 1)
        specs.append({"type": "reshape", "shape": [side, side, 1]})
        for filters in conv:
            specs += [{"type": "conv", "size": kernel, "channels": shape[2], "filters": filters,
                       "activation": activation}, {"type": "maxpool"}, *norm(filters)]
            shape = walk(specs[-2 - bool(batch_norm):], shape, lambda *_: InputError(
                "conv", f"{len(conv)} blocks of {kernel}x{kernel} convolution and pooling shrink a {side}x{side} "
                        f"image to nothing"))[-1][3]
        n_inputs = math.prod(shape)
        specs.append({"type": "reshape", "shape": [n_inputs]})
    for size in hidden:
        specs += [{"type": "dense", "in": n_inputs, "out": size, "activation": activation}, *norm(size)]
        if dropout:
            specs.append({"type": "dropout", "rate": dropout})
        n_inputs = size
    specs.append({"type": "dense", "in": n_inputs, "out": n_classes, "activation": output})
    return specs


def parse_layer(text):
    """A layer as a user writes it, ``"type key=value ..."`` (``"conv size=5
    filters=32"``, ``"maxpool"``, ``"dropout rate=0.4"``) -> its spec; values are whole
    numbers, numbers or words."""
    def value(word):
        for kind in (int, float):
            try:
                return kind(word)
            except ValueError:
                pass
        return word

    words = text.split()
    if not words or any("=" not in w or w.startswith("=") for w in words[1:]):
        raise InputError("layers", f"expected 'type key=value ...', got {text!r}")
    return {"type": words[0], **{k: value(v) for k, v in (w.split("=", 1) for w in words[1:])}}


def plan_layers(layers, n_classes, activation="relu", n_inputs=PIXELS):
    """The layer specs of a network given layer by layer (``layers``: texts for
    :func:`parse_layer`, the hidden layers in order; any type of
    :data:`ocr_cli.net.layers.LAYERS`), each completed from its input (a dense layer's
    inputs, a convolution's channels) with ``activation`` where it names none;
    reshapes between flat rows and square images are put where a layer needs the
    other; the output layer of ``n_classes`` follows. A layer that is unknown or does
    not fit its input is an :class:`InputError` naming ``layers``."""
    from ocr_cli.net.layers import LAYERS

    side = int(round(math.sqrt(n_inputs)))
    shape, specs = (n_inputs,), []

    def add(spec):
        nonlocal shape
        shape = walk([spec], shape, lambda spec, i, at: InputError(
            "layers", f"{spec} does not fit its input {at}"))[-1][3]
        specs.append(spec)

    for text in [*layers, f"dense out={n_classes} activation=linear"]:
        spec = parse_layer(text)
        kind = LAYERS.get(spec["type"])
        if kind is None:
            raise InputError("layers", f"unknown layer type {spec['type']!r}; one of {', '.join(LAYERS)}")
        if kind.rank == 3 and len(shape) == 1:
            add({"type": "reshape", "shape": [side, side, 1]})
        if kind.rank == 1 and len(shape) == 3:
            add({"type": "reshape", "shape": [math.prod(shape)]})
        add(kind.complete(spec, shape, activation))
    return specs


def walk(specs, shape=(PIXELS,), misfit=None):
    """``[(layer class, spec, input shape, output shape)]`` of ``specs`` for rows of
    ``shape``; a spec that is malformed or does not fit its input is
    ``misfit(spec, index, input shape)`` (an exception to raise; by default a ``ValueError``)."""
    steps = []
    for i, spec in enumerate(specs):
        kind = layer_type(spec)
        out = kind.output_shape(spec, shape) if kind is not None else None
        if out is None or not all(side >= 1 for side in out):
            raise misfit(spec, i, shape) if misfit else ValueError(f"layer {i} does not fit its input {shape}: {spec}")
        steps.append((kind, spec, shape, out))
        shape = out
    return steps


def parameter_count(specs, shape=(PIXELS,)):
    """How many weights and biases ``specs`` hold, counted without making them."""
    return sum(math.prod(s) for kind, spec, at, _ in walk(specs, shape) for s in kind.weight_shapes(spec, at))


def check_size(specs, option="hidden"):
    """Refuses (an :class:`InputError` naming ``option``) layers whose float32
    weights would take more than :data:`MAX_PARAMETER_BYTES`, before anything is
    allocated."""
    count = parameter_count(specs)
    if count * 4 > MAX_PARAMETER_BYTES:
        size = count * 4 / 2 ** 30
        words = f"{count:,} weights ({size:,.1f} GB)" if count < 10 ** 15 else f"{count:.3g} weights ({size:.3g} GB)"
        raise InputError(option, f"these layers would have {words} as float32; ocr trains networks of at most "
                                 f"{MAX_PARAMETER_BYTES // 2 ** 30} GB of weights")


# Backward passes hold about as much again as the forward pass kept: each layer's
# gradient beside its cached input and output.
BACKWARD = 2


def row_bytes(specs, itemsize=4, training=False, shape=(PIXELS,)):
    """The bytes one row takes through the layers ``specs`` (in numbers of
    ``itemsize`` bytes): its input and what every layer keeps
    (:meth:`~ocr_cli.net.layers.Layer.held`), :data:`BACKWARD` times that when
    ``training``."""
    held = math.prod(shape) + sum(kind.held(spec, at, training) for kind, spec, at, _ in walk(specs, shape))
    return held * itemsize * (BACKWARD if training else 1)


def batch_bytes(specs, rows, itemsize=4, training=False, shape=(PIXELS,)):
    """The bytes a batch of ``rows`` takes through ``specs``: :func:`row_bytes` of each
    row, and when ``training`` the gradients of the weights."""
    weights = parameter_count(specs, shape) * itemsize if training else 0
    return rows * row_bytes(specs, itemsize, training, shape) + weights


def batch_rows(specs, itemsize=4, wanted=None, training=False, where="model", shape=(PIXELS,)):
    """How many rows a batch through ``specs`` may hold within
    :func:`ocr_cli.memory.batch_budget` (at most ``wanted``, :func:`batch_bytes`); a
    network of which not even one row fits is an :class:`InputError` naming
    ``where``, and so is a training batch of ``wanted`` rows that does not fit (a
    smaller one gives other weights: it is refused, not shrunk)."""
    from ocr_cli.memory import batch_budget, readable, share_words

    fixed, per_row = batch_bytes(specs, 0, itemsize, training, shape), row_bytes(specs, itemsize, training, shape)
    fits = (batch_budget() - fixed) // per_row
    needs = "activations and gradients" if training else "activations"
    if fits < 1:
        raise InputError(where, f"one row through its layers needs {readable(fixed + per_row)} of {needs}, over "
                                f"{share_words(batch_budget(), 'a batch')}")
    if training and wanted is not None and wanted > fits:
        raise InputError("batch_size", f"a batch of {wanted} rows through these layers needs "
                                       f"{readable(fixed + wanted * per_row)} of {needs}, over "
                                       f"{share_words(batch_budget(), 'a batch')}: give {{batch_size}} {fits} or less")
    return fits if wanted is None else min(wanted, fits)


class Network:
    """``forward(X: (N, D)) -> logits (N, C)``; ``backward(dlogits)`` fills every
    layer's gradients; ``params`` and ``grads`` list all of them in the same order.
    ``print(net)`` shows its layers, their output shapes and weights."""

    def __init__(self, layers, input_shape=(PIXELS,)):
        self.layers = layers
        self.input_shape = tuple(input_shape)

    @classmethod
    def from_specs(cls, specs, seed=0, dtype=np.float64, shape=(PIXELS,)):
        """A fresh network of ``specs`` (see :func:`plan`), Xavier-initialised from
        ``seed``, each dropout layer drawing its own masks."""
        rng = np.random.default_rng(seed)
        net = cls([kind.create(spec, at, rng) for kind, spec, at, _ in walk(specs, shape)], shape)
        net.astype(dtype)
        net.seed_dropout(seed)
        return net

    @classmethod
    def create(cls, n_inputs, n_classes, hidden=(64,), activation="sigmoid", conv=(), kernel=5,
               dropout=0.0, seed=0, dtype=np.float64, output="linear", contrast=False, batch_norm=False):
        """:meth:`from_specs` of :func:`plan` (see there for the options)."""
        specs = plan(n_classes, hidden, activation, conv, kernel, dropout, output, n_inputs, contrast, batch_norm)
        return cls.from_specs(specs, seed, dtype, (n_inputs,))

    @classmethod
    def mlp(cls, sizes, activation="sigmoid", seed=0):
        """Fully connected network, e.g. ``sizes=[1024, 64, 36]``."""
        return cls.create(sizes[0], sizes[-1], sizes[1:-1], activation, seed=seed)

    def seed_dropout(self, seed):
        """Gives each dropout layer its own random masks from ``seed``: layer ``i``
        draws from ``(seed, i)``, for a new network and a loaded one alike."""
        for i, layer in enumerate(self.layers):
            if isinstance(layer, Dropout):
                layer.rng = np.random.default_rng((seed, i))

    def astype(self, dtype):
        """Converts every parameter to ``dtype`` in place (float32 trains twice as fast)."""
        for layer in self.layers:
            for name in layer.param_names[:len(layer.params)]:
                setattr(layer, name, getattr(layer, name).astype(dtype))

    @property
    def dtype(self):
        return self.params[0].dtype

    @property
    def specs(self):
        return [layer.spec() for layer in self.layers]

    @property
    def n_outputs(self):
        return walk(self.specs, self.input_shape)[-1][3][0]

    def forward(self, X, training=False):
        """``X: (N, D)`` -> logits ``(N, C)``; ``training`` switches dropout on."""
        for layer in self.layers:
            X = layer.forward(X, training)
        return X

    def backward(self, dlogits):
        """Back-propagates ``dlogits: (N, C)``; every layer stores its gradients. The
        first weighted layer computes no gradient for its input, the data."""
        first = next(i for i, layer in enumerate(self.layers) if layer.params)
        for layer in self.layers[:first:-1]:
            dlogits = layer.backward(dlogits)
        self.layers[first].backward(dlogits, input_grad=False)

    def predict(self, X, batch_size=256):
        """The outputs ``(N, C)`` for ``X: (N, D)``, in batches to bound memory (a
        convolution unrolls each image into one row per output pixel): of
        ``batch_size`` rows, fewer if the layers' activations need it
        (:func:`batch_rows`)."""
        batch_size = batch_rows(self.specs, self.dtype.itemsize, batch_size, shape=self.input_shape)
        X = X.astype(self.dtype, copy=False)
        out = [self.forward(X[i:i + batch_size]) for i in range(0, len(X), batch_size)]
        return np.concatenate(out) if out else np.zeros((0, self.n_outputs), self.dtype)

    def predict_proba(self, X, batch_size=256):
        """Class probabilities ``(N, C)`` for ``X: (N, D)``."""
        return softmax(self.predict(X, batch_size))

    @property
    def params(self):
        return [p for layer in self.layers for p in layer.params]

    @property
    def grads(self):
        return [g for layer in self.layers for g in layer.grads]

    def copy_params(self):
        return [p.copy() for p in self.params]

    def set_params(self, values):
        for p, value in zip(self.params, values):
            p[...] = value

    def __repr__(self):
        rows = [f"input {self.input_shape}"]
        for layer, (kind, spec, at, out) in zip(self.layers, walk(self.specs, self.input_shape)):
            count = sum(p.size for p in layer.params)
            rows.append(f"{layer!r:<58} -> {out}" + (f"  {count:,} weights" if count else ""))
        rows.append(f"{sum(p.size for p in self.params):,} weights in all")
        return "\n".join(rows)

