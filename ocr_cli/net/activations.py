"""Activations, each ``f(z)`` and its derivative written in terms of ``a = f(z)``, and
:data:`ACTIVATIONS`, their registry, from which the command line takes its choices.
numpy is imported inside the functions, so that the command line reads the registry
without loading numpy at start-up.
"""


def sigmoid(z):
    """Logistic function; never overflows (``sigmoid(+-1000)`` is exactly 1 and 0)."""
    from scipy.special import expit

    return expit(z)


def sigmoid_deriv(a):
    return a * (1.0 - a)


def tanh(z):
    import numpy as np

    return np.tanh(z)


def tanh_deriv(a):
    return 1.0 - a * a


def relu(z):
    import numpy as np

    return np.maximum(z, 0.0)


def relu_deriv(a):
    return a > 0  # a boolean mask: dA * mask stays in dA's dtype, with no float copy


def linear(z):
    return z


def linear_deriv(a):
    import numpy as np

    return np.ones_like(a)


# Every activation by name: ``(f, f')`` with ``f'`` written in terms of ``a = f(z)``. A
# new one is a pair of functions here and an entry.
ACTIVATIONS = {
    "sigmoid": (sigmoid, sigmoid_deriv),
    "tanh": (tanh, tanh_deriv),
    "relu": (relu, relu_deriv),
    "linear": (linear, linear_deriv),
}


# The activations a hidden layer may use (``linear`` is an output's: softmax belongs to the loss).
HIDDEN = tuple(name for name in ACTIVATIONS if name != "linear")
