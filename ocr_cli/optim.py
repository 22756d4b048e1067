"""Optimisers: each ``step(params, grads)`` updates a list of arrays in place."""

import numpy as np


class SGD:
    """Mini-batch SGD with optional momentum: ``M = momentum * M - lr * g; W += M``.

    With ``momentum=0`` this is plain SGD (``W -= lr * g``). Accumulators start at zero.
    """

    def __init__(self, lr, momentum=0.0):
        self.lr, self.momentum = lr, momentum
        self.velocity = None

    def step(self, params, grads):
        if self.velocity is None:
            self.velocity = [np.zeros_like(p) for p in params]
        for p, g, m in zip(params, grads, self.velocity):
            m *= self.momentum
            m -= self.lr * g
            p += m


class Adam:
    """Adam (Kingma & Ba, 2015) with bias-corrected first and second moments."""

    def __init__(self, lr, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.t, self.m, self.v = 0, None, None

    def step(self, params, grads):
        if self.m is None:
            self.m = [np.zeros_like(p) for p in params]
            self.v = [np.zeros_like(p) for p in params]
        self.t += 1
        correct1 = 1 - self.beta1 ** self.t
        correct2 = 1 - self.beta2 ** self.t
        for p, g, m, v in zip(params, grads, self.m, self.v):
            m *= self.beta1
            m += (1 - self.beta1) * g
            v *= self.beta2
            v += (1 - self.beta2) * g * g
            p -= self.lr * (m / correct1) / (np.sqrt(v / correct2) + self.eps)


def make_optimizer(name, lr, momentum=0.0):
    """``name`` is ``"sgd"`` (uses ``momentum``) or ``"adam"``."""
    return SGD(lr, momentum) if name == "sgd" else Adam(lr)
