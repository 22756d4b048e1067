"""Reading accuracy on synthetic stress photos: whiteboards, dark desks, clutter, shadows,
faint pens, mixed sizes.

    python bench/bench_stress.py [--data ../shared/nist36] [--pages 30] [--model PATH]
                                 [--kinds plain shadow ...]

Composes --pages photos per kind (ocr_synth/stress.py :func:`stress_photo`) from
nist36_test glyphs (writers never trained on) and :func:`random_text` lines, with a
fixed seed per kind (so every run and model sees the same photos), and reads each with
``read_image`` and the English word list, as ``ocr read`` does. Prints per kind the
character accuracy (1 - edit distance / length, on A-Z0-9 only, whitespace ignored),
the layout accuracy (the same on the whole text, where line breaks and single spaces
count), the characters found vs. expected, the found characters whose box centre lies
in no true box (old writing, clutter, drawn boxes... read as text), and the photos read
empty; then the mean over kinds.
"""

import argparse
import os
import statistics
from pathlib import Path

import numpy as np

from bench_read import accuracy, characters, layout
from ocr_cli.net.data import split_file
from ocr_cli.pipeline.lexicon import english
from ocr_cli.net.model import load_model
from ocr_cli.pipeline.reader import read_image
from ocr_synth.pages import GlyphBank, random_text
from ocr_synth.stress import STRESS_KINDS, stress_photo


def outside(found, truth):
    """How many boxes of ``found: (n, 4)`` have their centre in none of ``truth: (K, 4)``."""
    if not len(found):
        return 0
    cy, cx = (found[:, 0] + found[:, 2]) / 2, (found[:, 1] + found[:, 3]) / 2
    y1, x1, y2, x2 = (v[None] for v in truth.T)
    inside = (y1 <= cy[:, None]) & (cy[:, None] < y2) & (x1 <= cx[:, None]) & (cx[:, None] < x2)
    return int((~inside.any(1)).sum())


def read_kind(kind, bank, model, lexicon, pages, seed):
    """Per page ``(chars accuracy, layout accuracy)``, and the totals of characters
    found, expected, found outside the true boxes, and pages read empty."""
    rng = np.random.default_rng(seed)
    scores, found, expected, stray, empty = [], 0, 0, 0, 0
    for _ in range(pages):
        photo = stress_photo(kind, random_text(rng), bank, rng)
        reading = read_image(photo.rgb, model, lexicon)
        text = reading.text()
        scores.append((accuracy(characters(text), characters(photo.text)), accuracy(layout(text), layout(photo.text))))
        found += len(characters(text))
        expected += len(characters(photo.text))
        corners = [[top, left, top + height, left + width] for left, top, width, height in
                   (c.box for c in reading.characters)]
        stray += outside(np.array(corners, np.int64).reshape(-1, 4), photo.boxes)
        empty += not characters(text)
    return scores, found, expected, stray, empty


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("OCR_DATA", "../shared/nist36")))
    parser.add_argument("--pages", type=int, default=30, help="photos per kind")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--model", type=Path, default=None, help="model file (default: the shipped one)")
    parser.add_argument("--kinds", nargs="+", choices=STRESS_KINDS, default=list(STRESS_KINDS))
    args = parser.parse_args()
    model = load_model(args.model)
    lexicon = english(model.classes)
    bank = GlyphBank.from_file(split_file(args.data, "test"))
    print(f"{'kind':<14} {'chars':>7} {'layout':>7} {'found/expected':>15} {'outside':>8} {'empty':>6}")
    means = []
    for kind in args.kinds:
        seed = args.seed + STRESS_KINDS.index(kind)  # the same photos whichever kinds are picked
        scores, found, expected, stray, empty = read_kind(kind, bank, model, lexicon, args.pages, seed)
        chars, lines = (statistics.mean(column) for column in zip(*scores))
        means.append((chars, lines))
        counts = f"{found}/{expected}"
        print(f"{kind:<14} {chars:>7.2%} {lines:>7.2%} {counts:>15} {stray:>8} {f'{empty}/{args.pages}':>6}", flush=True)
    if means:
        chars, lines = (statistics.mean(column) for column in zip(*means))
        print(f"{'mean':<14} {chars:>7.2%} {lines:>7.2%}")


if __name__ == "__main__":
    main()
