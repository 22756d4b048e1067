"""Optimisers: each ``step(params, grads)`` updates a list of arrays in place, and
:data:`OPTIMIZERS`, their registry, from which the command line takes its choices
(numpy is imported where it is used, so that reading the registry does not load it)."""

import math

from ocr_cli.errors import InputError


def check_hyperparameters(lr, momentum=0.0, weight_decay=0.0, lr_factor=0.5):
    """Refuses settings no optimiser trains with (an :class:`InputError` naming the
    parameter): ``lr`` a finite number above 0, ``momentum`` in [0, 1), ``weight_decay``
    finite, at least 0 and with ``lr * weight_decay < 1`` (each step keeps ``1 - lr *
    weight_decay`` of every weight), ``lr_factor`` in (0, 1]."""
    def number(value):
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)

    if not (number(lr) and lr > 0):
        raise InputError("lr", f"must be a finite number above 0, got {lr!r}")
    if not (number(momentum) and 0 <= momentum < 1):
        raise InputError("momentum", f"must be at least 0 and below 1, got {momentum!r}")
    if not (number(weight_decay) and weight_decay >= 0):
        raise InputError("weight_decay", f"must be a finite number of at least 0, got {weight_decay!r}")
    if lr * weight_decay >= 1:
        raise InputError("weight_decay", f"{weight_decay:g} at lr {lr:g} would scale every weight by "
                                          f"{1 - lr * weight_decay:g} each step; lr x weight decay must stay below 1")
    if not (number(lr_factor) and 0 < lr_factor <= 1):
        raise InputError("lr_factor", f"must be above 0 and at most 1, got {lr_factor!r}")


def decay_weights(params, lr, weight_decay):
    """Decoupled weight decay (Loshchilov & Hutter): shrinks weight matrices (not
    biases) by ``lr * weight_decay`` after a step."""
    if weight_decay:
        for p in params:
            if p.ndim > 1:
                p *= 1.0 - lr * weight_decay


class SGD:
    """Mini-batch SGD with optional momentum: ``M = momentum * M - lr * g; W += M``.

    With ``momentum=0`` this is plain SGD (``W -= lr * g``). Accumulators start at zero.
    """

    def __init__(self, lr, momentum=0.0, weight_decay=0.0):
        self.lr, self.momentum, self.weight_decay = lr, momentum, weight_decay
        self.velocity = None

    def state(self):
        """``(numbers, arrays)``: what a checkpoint keeps to go on exactly."""
        return {"lr": self.lr}, list(self.velocity or [])

    def restore(self, numbers, arrays):
        """Takes back a :meth:`state`."""
        self.lr, self.velocity = numbers["lr"], [a.copy() for a in arrays] or None

    def step(self, params, grads):
        import numpy as np

        if self.velocity is None:
            self.velocity = [np.zeros_like(p) for p in params]  # without momentum: scratch for lr * g
        for p, g, m in zip(params, grads, self.velocity):
            if self.momentum:
                m *= self.momentum
                m -= self.lr * g
                p += m
            else:  # W -= lr * g, with no allocation
                np.multiply(g, self.lr, out=m)
                p -= m
        decay_weights(params, self.lr, self.weight_decay)


class Adam:
    """Adam (Kingma & Ba, 2015) with bias-corrected first and second moments."""

    def __init__(self, lr, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):
        self.lr, self.beta1, self.beta2, self.eps, self.weight_decay = lr, beta1, beta2, eps, weight_decay
        self.t, self.m, self.v = 0, None, None

    def state(self):
        """``(numbers, arrays)``: what a checkpoint keeps to go on exactly (the
        moments, first ``m`` then ``v``)."""
        return {"lr": self.lr, "t": self.t}, [*(self.m or []), *(self.v or [])]

    def restore(self, numbers, arrays):
        """Takes back a :meth:`state`."""
        self.lr, self.t = numbers["lr"], numbers["t"]
        if arrays:
            import numpy as np

            half = len(arrays) // 2
            self.m, self.v = [a.copy() for a in arrays[:half]], [a.copy() for a in arrays[half:]]
            self.work = [np.zeros_like(a) for a in self.m]

    def step(self, params, grads):
        import numpy as np

        from ocr_cli.net.workers import current

        if self.m is None:
            self.m = [np.zeros_like(p) for p in params]
            self.v = [np.zeros_like(p) for p in params]
            self.work = [np.zeros_like(p) for p in params]  # scratch: no allocation per step
        self.t += 1
        correct1 = 1 - self.beta1 ** self.t
        correct2 = 1 - self.beta2 ** self.t
        # p -= lr * (m / correct1) / (sqrt(v / correct2) + eps), written as
        # p -= step * m / (sqrt(v) + eps * sqrt(correct2)), in place
        step = self.lr * np.sqrt(correct2) / correct1
        eps = self.eps * np.sqrt(correct2)

        def update(part):  # each number by the same operations, whatever the spans
            i, a, b = part
            arrays = params[i], grads[i], self.m[i], self.v[i], self.work[i]
            p, g, m, v, work = arrays if a is None else (array.reshape(-1)[a:b] for array in arrays)
            m *= self.beta1
            np.multiply(g, 1 - self.beta1, out=work)
            m += work
            v *= self.beta2
            np.multiply(g, g, out=work)
            work *= 1 - self.beta2
            v += work
            np.sqrt(v, out=work)
            work += eps
            np.divide(m, work, out=work)
            work *= step
            p -= work

        workers, parts = current(), []
        for i, p in enumerate(params):
            flat = all(a.flags.c_contiguous for a in (p, self.m[i], self.v[i], self.work[i]))  # spans are views
            parts += [(i, a, b) for a, b in workers.spans(p.size)] if flat else [(i, None, None)]
        workers.map(update, parts)
        decay_weights(params, self.lr, self.weight_decay)


def step_decay(optimizer, epoch, step, factor):
    """Multiplies ``optimizer.lr`` by ``factor`` at the start of epochs ``step + 1``,
    ``2 * step + 1``, ... (epochs count from 1; ``step`` 0: never)."""
    if step and epoch > 1 and (epoch - 1) % step == 0:
        optimizer.lr *= factor


# Every optimiser by name: a function of ``(lr, momentum, weight_decay)`` that makes one.
# A new optimiser is a class here and an entry.
OPTIMIZERS = {
    "sgd": lambda lr, momentum, weight_decay: SGD(lr, momentum, weight_decay),
    "adam": lambda lr, momentum, weight_decay: Adam(lr, weight_decay=weight_decay),  # (its own momentum: beta1)
}


def make_optimizer(name, lr, momentum=0.0, weight_decay=0.0):
    """The optimiser :data:`OPTIMIZERS` names ``name`` (anything else is a
    ``ValueError``); unusable settings are an :class:`InputError`
    (:func:`check_hyperparameters`)."""
    check_hyperparameters(lr, momentum, weight_decay)
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; expected one of {', '.join(OPTIMIZERS)}")
    return OPTIMIZERS[name](lr, momentum, weight_decay)
