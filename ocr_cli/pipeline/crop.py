"""Cutting each found character into the network's input layout (:mod:`ocr_cli.layout`):
its own ink, at the working scale, placed and stroke-corrected as the training data is."""

import numpy as np
from . import ndi

from ocr_cli.layout import PIXELS, rows, tight, to_layout

# Pen pressure varies: this percentile of a character's stroke pixels counts as full ink.
FULL_INK_PERCENTILE = 90


def character_ink(working, box, members):
    """Ink darkness of the character in ``box`` (working pixels) made of the components
    ``members`` (:class:`ocr_cli.pipeline.segment.Working` labels), cut to its box,
    keeping only its own components (grown by one pixel for their anti-aliased edges) so
    that a neighbour reaching into the box does not leak in; scaled so strokes reach 1."""
    y1, x1, y2, x2 = box
    region = (slice(max(y1 - 1, 0), y2 + 1), slice(max(x1 - 1, 0), x2 + 1))
    own = np.isin(working.labels[region], members)
    ink = working.ink[region] * ndi.binary_dilation(own, structure=np.ones((3, 3)))
    core = ink[own]
    full = np.percentile(core, FULL_INK_PERCENTILE) if core.size else 1.0
    return tight(np.clip(ink / max(full, 1e-6), 0.0, 1.0))


def crop(working, characters):
    """``characters`` (:class:`ocr_cli.pipeline.records.Characters`) with their crops:
    ``(K, PIXELS)`` network inputs cut from ``working``."""
    crops = np.ones((len(characters), PIXELS), np.float32)
    for k, (box, members) in enumerate(zip(characters.boxes, characters.members)):
        crops[k] = rows(to_layout(character_ink(working, box, members)))[0]
    return characters.replace(crops=crops)
