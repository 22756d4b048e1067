"""Reading accuracy on synthetic stress photos: whiteboards, dark desks, clutter, shadows,
faint pens, mixed sizes, turned pages, touching digits, wide spacing, punctuation,
diagrams, sticky notes, forms, and pages with nothing to read.

    python bench/bench_stress.py [--data ../shared/nist36] [--pages 30] [--model PATH]
                                 [--kinds plain shadow ...]

Composes --pages photos per kind (ocr_synth/stress.py :func:`stress_photo`) from
nist36_test glyphs (writers never trained on) and each kind's text
(:func:`stress_text`: note lines, phone numbers, punctuated lines, blocks...), with a
fixed seed per kind (so every run and model sees the same photos), and reads each with
``read_image`` and the English word list, as ``ocr read`` does (a form, whose truth is
its handwriting, as ``ocr read --handwriting-only`` does). Prints per kind the
character accuracy (1 - edit distance / length, on A-Z0-9 only, whitespace ignored),
the order-free character F1 (multisets of characters: what matters where blocks may be
read in another order), the layout accuracy (the same edit measure on the whole text,
where line breaks, single spaces and punctuation marks count), the marks read (of the
true . , : - ' /, those read, order-free; punctuation only), the characters found vs.
expected, the found characters whose box centre lies in no true box (old writing,
clutter, drawn boxes, printed labels... read as text), and the photos read empty; then
the mean over the kinds with text. Pages with nothing to read (lowercase, cursive,
no_text) have no accuracy: their row counts what was read where nothing should be.
"""

import argparse
import os
import statistics
from pathlib import Path

import numpy as np

from collections import Counter

from bench_read import accuracy, char_f1, characters, layout
from ocr_cli.net.data import split_file
from ocr_cli.net.model import load_model
from ocr_cli.pipeline.lexicon import english
from ocr_cli.pipeline.reader import read_image
from ocr_synth.pages import GlyphBank
from ocr_synth.stress import STRESS_KINDS, UNREADABLE_KINDS, stress_photo, stress_text

MARKS = ".,:-'/?!"  # the punctuation the photos draw


def outside(found, truth):
    """How many boxes of ``found: (n, 4)`` have their centre in none of ``truth: (K, 4)``."""
    if not len(found):
        return 0
    cy, cx = (found[:, 0] + found[:, 2]) / 2, (found[:, 1] + found[:, 3]) / 2
    y1, x1, y2, x2 = (v[None] for v in truth.T)
    inside = (y1 <= cy[:, None]) & (cy[:, None] < y2) & (x1 <= cx[:, None]) & (cx[:, None] < x2)
    return int((~inside.any(1)).sum())


def marks_read(text, truth):
    """How many of ``truth``'s punctuation marks ``text`` holds, order-free, and how
    many there are."""
    read, true = (Counter(c for c in t if c in MARKS) for t in (text, truth))
    return sum((read & true).values()), sum(true.values())


def read_kind(kind, bank, model, lexicon, pages, seed):
    """Per page ``(chars accuracy, F1, layout accuracy)``, and the totals of characters
    found, expected, found outside the true boxes, pages read empty, and marks read
    and true."""
    rng = np.random.default_rng(seed)
    scores, found, expected, stray, empty, marks = [], 0, 0, 0, 0, np.zeros(2, int)
    for _ in range(pages):
        photo = stress_photo(kind, stress_text(kind, rng), bank, rng)
        reading = read_image(photo.rgb, model, lexicon, printed=not photo.printed_text)
        text = reading.text()
        scores.append((accuracy(characters(text), characters(photo.text)),
                       char_f1(characters(text), characters(photo.text)), accuracy(layout(text), layout(photo.text))))
        marks += marks_read(text, photo.text)
        found += len(characters(text))
        expected += len(characters(photo.text))
        corners = [[top, left, top + height, left + width] for left, top, width, height in
                   (c.box for c in reading.characters)]
        stray += outside(np.array(corners, np.int64).reshape(-1, 4), photo.boxes)
        empty += not characters(text)
    return scores, found, expected, stray, empty, marks


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
    print(f"{'kind':<15} {'chars':>7} {'F1':>7} {'layout':>7} {'marks':>7} {'found/expected':>15} {'outside':>8} "
          f"{'empty':>6}")
    means = []
    for kind in args.kinds:
        seed = args.seed + STRESS_KINDS.index(kind)  # the same photos whichever kinds are picked
        scores, found, expected, stray, empty, marks = read_kind(kind, bank, model, lexicon, args.pages, seed)
        counts, empties = f"{found}/{expected}", f"{empty}/{args.pages}"
        marks = f"{marks[0] / marks[1]:.2%}" if marks[1] else "-"
        if kind in UNREADABLE_KINDS:  # nothing to read: only what was read anyway
            print(f"{kind:<15} {'-':>7} {'-':>7} {'-':>7} {marks:>7} {counts:>15} {stray:>8} {empties:>6}", flush=True)
            continue
        chars, f1, lines = (statistics.mean(column) for column in zip(*scores))
        means.append((chars, f1, lines))
        print(f"{kind:<15} {chars:>7.2%} {f1:>7.2%} {lines:>7.2%} {marks:>7} {counts:>15} {stray:>8} {empties:>6}",
              flush=True)
    if means:
        chars, f1, lines = (statistics.mean(column) for column in zip(*means))
        print(f"{'mean':<15} {chars:>7.2%} {f1:>7.2%} {lines:>7.2%}")


if __name__ == "__main__":
    main()
