"""``--chars SET``: the characters a run may read (``0123456789``, ``A-Z``, ``A-F0-9``).

The network's probabilities are limited to the set before the lattice chooses a path
and before word context: a class outside it scores nothing, the rest share what is
left (with "not a character", which stays), and a look-alike outside the set gives its
probability to its twin inside (a loop read as O is a 0 among digits). Word context and
the lexicon then choose among the set's characters only, and punctuation marks outside
it are not read. Orientation is judged with the whole network.
"""

from dataclasses import replace

import numpy as np

from ocr_cli.errors import InputError
from ocr_cli.layout import NOT_A_CHARACTER


def parse_chars(text, readable):
    """The characters ``text`` names, in the order of ``readable`` (the characters a run
    can read): characters and ranges ``X-Y`` (a ``-`` first or last is itself); an
    :class:`~ocr_cli.errors.InputError` for an empty set or a character not readable."""
    chars, i = [], 0
    while i < len(text):
        if i + 2 < len(text) and text[i + 1] == "-":
            low, high = text[i], text[i + 2]
            if ord(low) > ord(high):
                raise InputError("chars", f"range '{low}-{high}' runs backwards")
            chars += [chr(c) for c in range(ord(low), ord(high) + 1)]
            i += 3
        else:
            chars.append(text[i])
            i += 1
    unknown = sorted(set(c for c in chars if c not in readable), key=chars.index)
    if unknown:
        raise InputError("chars", f"{''.join(unknown)!r}: not among the characters the model reads ({readable})")
    if not chars:
        raise InputError("chars", "names no characters")
    return "".join(c for c in readable if c in chars)


def allowed_mask(chars, classes):
    """``(len(classes),)`` bool: which of ``classes`` are in ``chars``."""
    return np.array([c in chars for c in classes])


class RestrictedNetwork:
    """A network whose probabilities are limited to some classes (see the module's
    docstring); everything else is the network's own."""

    def __init__(self, net, classes, chars):
        from ocr_cli.pipeline.context import LOOK_ALIKES

        self.net, self.keep = net, allowed_mask(chars, classes) | np.array([c == NOT_A_CHARACTER for c in classes])
        self.folds = [(classes.index(a), classes.index(b)) for pair in LOOK_ALIKES for a, b in (pair, pair[::-1])
                      if a in chars and b in classes and b not in chars]

    def __getattr__(self, name):
        return getattr(self.net, name)

    def predict_proba(self, X):
        probs = np.array(self.net.predict_proba(X), copy=True)
        for inside, outside in self.folds:
            probs[:, inside] += probs[:, outside]
        probs[:, ~self.keep] = 0
        return probs / np.maximum(probs.sum(1, keepdims=True), 1e-12)


def restricted(model, chars):
    """``model`` (:class:`~ocr_cli.net.model.Model`) reading only ``chars``."""
    return replace(model, net=RestrictedNetwork(model.net, model.classes, chars))
