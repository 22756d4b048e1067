"""A network: a stack of layers (:mod:`ocr_cli.layers`) whose last layer outputs logits."""

import numpy as np

from ocr_cli.layers import Conv2D, Dense, Dropout, MaxPool, Reshape, Weighted, pooled_side
from ocr_cli.nn import softmax


def parameter_count(n_inputs, n_outputs, hidden=(64,), conv=(), kernel=5):
    """How many weights and biases :meth:`Network.create` would make for these
    layers, computed without making them (Python integers: any size is exact)."""
    side, channels, count = int(round(n_inputs ** 0.5)), 1, 0
    if conv:
        for filters in conv:
            count += kernel * kernel * channels * filters + filters
            side, channels = pooled_side(side, kernel), filters
        n_inputs = side * side * channels
    for size in [*hidden, n_outputs]:
        count += n_inputs * size + size
        n_inputs = size
    return count


MAX_PARAMETER_BYTES = 1 << 30  # float32 weights of the largest network ocr creates: 268 million


def check_network_size(n_inputs, n_outputs, hidden=(64,), conv=(), kernel=5, option=None):
    """Refuses (an :class:`~ocr_cli.errors.InputError` naming ``option``, by default
    ``hidden`` or ``hidden/conv``) layers whose float32 weights would take more
    than :data:`MAX_PARAMETER_BYTES`, before anything is allocated."""
    from ocr_cli.errors import InputError

    count = parameter_count(n_inputs, n_outputs, hidden, conv, kernel)
    if count * 4 > MAX_PARAMETER_BYTES:
        size = count * 4 / 2 ** 30
        words = f"{count:,} weights ({size:,.1f} GB)" if count < 10 ** 15 else f"{count:.3g} weights ({size:.3g} GB)"
        raise InputError(option or ("hidden/conv" if conv else "hidden"),
                         f"these layers would have {words} as float32; ocr trains networks of at most "
                         f"{MAX_PARAMETER_BYTES // 2 ** 30} GB of weights")


class Network:
    """``forward(X: (N, D)) -> logits (N, C)``; ``backward(dlogits)`` fills every
    layer's gradients; ``params`` and ``grads`` list all of them in the same order."""

    def __init__(self, layers):
        self.layers = layers

    @classmethod
    def create(cls, n_inputs, n_classes, hidden=(64,), activation="sigmoid", conv=(), kernel=5,
               dropout=0.0, seed=0, dtype=np.float64, output="linear"):
        """Xavier-initialised network for ``(N, n_inputs)`` rows of square images.

        ``conv`` gives the filter counts of convolution blocks (``kernel`` x ``kernel``
        valid convolution, then 2x2 max pooling) applied to the image first; ``hidden``
        the sizes of the fully connected layers after them, each followed by dropout of
        rate ``dropout`` if it is not 0. Hidden layers use ``activation``; the output
        layer ``output`` (linear for a classifier: softmax belongs to the loss).
        """
        rng = np.random.default_rng(seed)
        layers, side, channels = [], int(round(np.sqrt(n_inputs))), 1
        if conv:
            layers.append(Reshape((side, side, 1)))
            for filters in conv:
                layers += [Conv2D.xavier(channels, filters, kernel, activation, rng), MaxPool()]
                side, channels = pooled_side(side, kernel), filters
            n_inputs = side * side * channels
            layers.append(Reshape((n_inputs,)))
        for size in hidden:
            layers.append(Dense.xavier(n_inputs, size, activation, rng))
            if dropout:
                layers.append(Dropout(dropout))
            n_inputs = size
        layers.append(Dense.xavier(n_inputs, n_classes, output, rng))
        net = cls(layers)
        net.astype(dtype)
        net.seed_dropout(seed)
        return net

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
            if isinstance(layer, Weighted):
                layer.W, layer.b = layer.W.astype(dtype), layer.b.astype(dtype)

    @property
    def dtype(self):
        return self.params[0].dtype

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
        convolution unrolls each image into one row per output pixel)."""
        X = X.astype(self.dtype, copy=False)
        out = [self.forward(X[i:i + batch_size]) for i in range(0, len(X), batch_size)]
        return np.concatenate(out) if out else np.zeros((0, self.layers[-1].W.shape[1]), self.dtype)

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
