"""The memory budget: how much memory the work of one command may take, checked before
the work starts from what it will need (a batch's activations through a model's
layers, the rows of a data file), so that a small crafted input is refused or worked
in smaller pieces instead of taking gigabytes.

The budget is :data:`DEFAULT_BUDGET` (the product's bound: any input under 10 MB is
read, trained on or refused in under 1.5 GB); ``$OCR_MEMORY`` changes it (``3G``,
``800M``, a number of bytes). The modules that know what their work needs ask for
it (:func:`budget`) or the share of it that work may take (:func:`batch_budget`,
:func:`data_budget`) and word a refusal with :func:`budget_words` or :func:`share_words`.
"""

import os
import re

from ocr_cli.errors import InputError

DEFAULT_BUDGET = 1_500_000_000  # bytes: the product's bound on any command's peak
VARIABLE = "OCR_MEMORY"
# A budget below this cannot hold the interpreter and libraries a command starts with.
LEAST = 100_000_000
# The share of the budget one batch of activations through a model may take: the rest
# holds the data, the model's weights, the page being read and the interpreter.
BATCH_SHARE = 0.25
UNITS = {"": 1, "K": 10 ** 3, "M": 10 ** 6, "G": 10 ** 9, "T": 10 ** 12}
SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)B?\s*", re.IGNORECASE)


def parse_size(text):
    """``"1.5G"`` -> 1500000000 bytes (units K, M, G, T of 1000; a plain number is
    bytes); None if ``text`` is not such a size."""
    match = SIZE.fullmatch(text)
    return int(float(match[1]) * UNITS[match[2].upper()]) if match else None


def budget():
    """The memory budget in bytes: ``$OCR_MEMORY`` if set, else :data:`DEFAULT_BUDGET`;
    an unusable value is an :class:`InputError` naming the variable."""
    text = os.environ.get(VARIABLE, "").strip()
    if not text:
        return DEFAULT_BUDGET
    size = parse_size(text)
    if size is None or size < LEAST:
        raise InputError(f"${VARIABLE}", f"{text!r} is not a memory budget of at least {readable(LEAST)} "
                                         f"(e.g. 1.5G, 800M)")
    return size


def batch_budget():
    """The bytes one batch of activations may take: :data:`BATCH_SHARE` of the budget."""
    return int(budget() * BATCH_SHARE)


def data_budget():
    """The bytes loading data may take: the budget less a batch's share."""
    return budget() - batch_budget()


def readable(n):
    """``1.5 GB``, ``375 MB``: bytes in the units of the budget (1000s)."""
    return f"{n / 1e9:,.1f} GB" if n >= 1e9 else f"{n / 1e6:,.0f} MB"


def budget_words():
    """``the 1.5 GB memory budget ($OCR_MEMORY sets it)``, for refusals."""
    return f"the {readable(budget())} memory budget (${VARIABLE} sets it)"


def share_words(allowed, what):
    """``the 375 MB a batch may take (25% of the 1.5 GB memory budget; ...)``, for
    refusals of work that may take ``allowed`` bytes of the budget."""
    return (f"the {readable(allowed)} {what} may take ({allowed / budget():.0%} of the {readable(budget())} "
            f"memory budget; ${VARIABLE} sets it)")
