"""Training crops for the "not a character" output, cut by the reading pipeline's own lattice.

    python models/make_lattice_crops.py OUT.mat [--data ../shared/nist36] [--pages 2000] [--seed 0]

Makes synthetic photos of every upright stress kind (ocr_synth/stress.py: plain pages,
whiteboards with old writing, sheets on desks and in clutter, shadows, thin and faint
pens, mixed sizes, digits that touch, wide spacing, punctuation, diagrams, walls of
notes, scenes with no text) from nist36_train and nist36_extra glyphs (never valid or
test), finds their marks and cuts every candidate character the lattice would try
(:mod:`ocr_cli.pipeline.lattice`: each atom alone, marks whole, runs of pieces), exactly
as ``ocr read`` does, and labels each by its overlap with the true character boxes:

- a candidate that covers one character (intersection over union >= MATCH) keeps that
  character's class;
- one that holds no character well (intersection over union under APART with every
  one): half a letter, a piece of a box, an arrow, clutter, a speck, or one that holds
  most (COVERS) of two characters or more (two digits that touch), is "not a
  character";
- the rest, and candidates on punctuation, are left out.

The network then learns to tell a whole character from what segmentation proposes
around it, which is what the lattice asks of it. Writes ``junk_data`` (N, 1024) and
``junk_labels`` (N, 37) in the nist36 layout (the 37th column: not a character), and
prints the counts per kind.
"""

import argparse
import os
from pathlib import Path

import numpy as np
from scipy.io import savemat

from ocr_cli.layout import CLASSES
from ocr_cli.net.data import concatenate, load_dataset
from ocr_cli.pipeline.images import Photo
from ocr_cli.pipeline.lattice import atoms_of, candidates_of
from ocr_cli.pipeline.segment import segment
from ocr_synth.pages import GlyphBank
from ocr_synth.stress import stress_photo, stress_text

MATCH = 0.6  # intersection over union for a candidate to count as the character it covers
APART = 0.3  # under this with every character: it is none of them
COVERS = 0.6  # a candidate holding this share of the box of two characters or more is neither
# The kinds drawn, upright ones (a turned page's boxes hold their characters loosely) and
# none of printed or lower-case writing, whose letters are characters of another kind.
KINDS = ("plain", "whiteboard", "dark_surround", "cluttered", "shadow", "thin_faint", "mixed_sizes", "touching",
         "wide_spacing", "punctuation", "diagram", "notes", "deep_shadow", "erased_bridges", "faint_gradient", "no_text")
# Not-a-character candidates kept per character candidate, at most: enough to learn the
# class without drowning the characters.
MOST_JUNK = 1.5


def overlaps(a, b):
    """Intersection over union of boxes ``a: (n, 4)`` and ``b: (m, 4)``: ``(n, m)``."""
    a, b = np.asarray(a, float)[:, None], np.asarray(b, float)[None]
    h = np.clip(np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]), 0, None)
    w = np.clip(np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]), 0, None)
    area_a = (a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1])
    area_b = (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])
    return h * w / np.maximum(area_a + area_b - h * w, 1)


def covered(a, b):
    """The share of each box of ``b: (m, 4)`` inside each box of ``a: (n, 4)``: ``(n, m)``."""
    a, b = np.asarray(a, float)[:, None], np.asarray(b, float)[None]
    h = np.clip(np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]), 0, None)
    w = np.clip(np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]), 0, None)
    return h * w / np.maximum((b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1]), 1)


def page_crops(kind, bank, rng):
    """Crops ``(n, 1024)`` of the lattice's candidates on one photo of ``kind`` and their
    class indices ``(n,)`` (36: not a character)."""
    photo = stress_photo(kind, stress_text(kind, rng), bank, rng)
    working, marks = segment(Photo.of(photo.rgb).surveyed())
    candidates, cropped = candidates_of(working, *atoms_of(working, marks))
    if not len(cropped):
        return np.zeros((0, 1024), np.float32), np.zeros(0, int)
    found = working.photo_boxes(cropped.boxes)
    chars = [c for c in photo.text if not c.isspace()]
    if not len(photo.boxes):
        return cropped.crops, np.full(len(cropped), len(CLASSES))
    iou = overlaps(found, photo.boxes)
    best = iou.argmax(1)
    is_class = np.array([chars[b] in CLASSES for b in best])
    several = (covered(found, photo.boxes) >= COVERS).sum(1) >= 2
    labels = np.where(iou.max(1) >= MATCH, [CLASSES.index(chars[b]) if c else -1 for b, c in zip(best, is_class)],
                      np.where((iou.max(1) < APART) | several, len(CLASSES), -1))
    keep = labels >= 0
    return cropped.crops[keep], labels[keep]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("OCR_DATA", "../shared/nist36")))
    parser.add_argument("--pages", type=int, default=2000, help="photos in all, shared out among the kinds")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.out.exists():
        raise SystemExit(f"{args.out}: already exists")
    data = concatenate([load_dataset(args.data / f"nist36_{split}.mat") for split in ("train", "extra")])
    bank, rng = GlyphBank(data.X, data.Y), np.random.default_rng(args.seed)
    crops, labels = [], []
    for n in range(args.pages):
        kind = KINDS[n % len(KINDS)]
        X, y = page_crops(kind, bank, rng)
        junk = np.flatnonzero(y == len(CLASSES))
        most = int(MOST_JUNK * max((y < len(CLASSES)).sum(), 4))
        if len(junk) > most:  # the page's junk thinned at random
            drop = rng.choice(junk, len(junk) - most, replace=False)
            keep = np.setdiff1d(np.arange(len(y)), drop)
            X, y = X[keep], y[keep]
        crops.append(X)
        labels.append(y)
        if (n + 1) % 50 == 0 or n + 1 == args.pages:  # saved as it goes: a stop loses at most 50 pages
            X, y = np.concatenate(crops), np.concatenate(labels)
            save(args.out, X, y)
            print(f"{n + 1} pages: {len(X)} crops, {int((y == len(CLASSES)).sum())} not characters, "
                  f"{int((y < len(CLASSES)).sum())} characters", flush=True)


def save(path, X, y):
    """Writes the crops and labels to ``path`` (a temporary file, then a rename)."""
    partial = path.with_name(path.name + ".partial.mat")
    savemat(partial, {"junk_data": X, "junk_labels": np.eye(len(CLASSES) + 1, dtype=np.uint8)[y]}, do_compression=True)
    os.replace(partial, path)


if __name__ == "__main__":
    main()
