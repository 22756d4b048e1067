"""How often the "cannot read this page" warning fires, per source of pages.

    python bench/bench_warning.py [--data ../shared/nist36] [--photos ../shared/photos]
                                  [--pages 10] [--model PATH]

Reads, as ``ocr read`` does, pages that must never warn (the sample pages, real photos
of hand printing given with ``--photos``, synthetic stress pages of hand-printed
capitals: plain, whiteboard, shadow, rotated) and pages that should (lower-case print,
cursive, scenes with no text: ``ocr_synth``'s unreadable kinds), and prints per source
the pages read, how many warned, and the median confidences the warning is decided on
(:func:`ocr_cli.pipeline.reader.legibility`, threshold ``LEGIBLE``).
"""

import argparse
import os
import statistics
from pathlib import Path

import numpy as np

from ocr_cli.net.data import split_file
from ocr_cli.net.model import load_model
from ocr_cli.pipeline.lexicon import english
from ocr_cli.pipeline.reader import LEGIBLE, LEAST_READ, PUNCTUATION, read_image
from ocr_synth.pages import GlyphBank
from ocr_synth.stress import stress_photo, stress_text

READABLE = ("plain", "whiteboard", "shadow", "rotated")
UNREADABLE = ("lowercase", "cursive", "no_text")


def median_confidence(page):
    """The median confidence of the characters the network read on ``page`` (what the
    warning is decided on), or None when there are too few."""
    found = [c.confidence for b in page.blocks for line in b.lines for w in line.words for c in w.characters
             if c.text not in PUNCTUATION]
    return statistics.median(found) if len(found) >= LEAST_READ else None


def row(name, pages):
    """``name``, pages, warned, and the min / median / max of their median confidences."""
    confidences = [c for _, c in pages if c is not None]
    warned = sum(w for w, _ in pages)
    spread = (f"{min(confidences):.2f} {statistics.median(confidences):.2f} {max(confidences):.2f}"
              if confidences else "-")
    return f"{name:<22} {len(pages):>5} {warned:>6}   {spread}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("OCR_DATA", "../shared/nist36")))
    parser.add_argument("--photos", type=Path, default=None, help="a folder of real photos of hand printing")
    parser.add_argument("--pages", type=int, default=10, help="synthetic pages per kind")
    parser.add_argument("--model", type=Path, default=None)
    args = parser.parse_args()
    model = load_model(args.model)
    lexicon = english(model.classes)
    read = lambda image: read_image(image, model, lexicon)
    judged = lambda page: (page.warning is not None, median_confidence(page))
    print(f"warning when the median confidence is under {LEGIBLE} (over at least {LEAST_READ} characters)")
    print(f"{'source':<22} {'pages':>5} {'warned':>6}   confidence min median max")
    samples = sorted(Path(__file__).resolve().parents[1].joinpath("sample_images").glob("*.jpg"))
    print(row("sample_images", [judged(read(p)) for p in samples]))
    if args.photos:
        photos = sorted(p for p in args.photos.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
        results = [judged(read(p)) for p in photos]
        print(row(f"{args.photos.name} (real)", results))
        print("  warned: " + (", ".join(p.stem for p, (w, _) in zip(photos, results) if w) or "none"))
    bank = GlyphBank.from_file(split_file(args.data, "test"))
    for kind in READABLE + UNREADABLE:
        rng = np.random.default_rng(sum(map(ord, kind)))
        pages = [judged(read(stress_photo(kind, stress_text(kind, rng), bank, rng).rgb)) for _ in range(args.pages)]
        print(row(kind + (" (no capitals)" if kind in UNREADABLE else ""), pages))


if __name__ == "__main__":
    main()
