"""Unseen pens and hands: how well models read the crops the pipeline cuts from photos
of pages written by other writers with other pens.

    python bench/bench_pens.py [--data ../shared/nist36] [--pages 30] [--model PATH ...]

Composes --pages pages per pen from nist36_test glyphs (writers never trained on;
fixed seed, so every model sees the same pages) and photographs them
(ocr_synth/pages.py): ``plain`` (the glyphs as scanned), ``thin`` (strokes eroded to a
fine pen's), ``faint`` (ink barely darker than paper), ``broken`` (a pen that skips)
and ``fine+dry`` (thin and broken, faint ink). Each page is segmented and cropped as
``ocr read`` does; every found box that covers one true character (intersection over
union >= 0.5) gives a crop, classified (no word context, no lexicon) by each --model
(default: the shipped one). Printed per pen: the share of characters found so, and
each model's accuracy on their crops; then the per-class accuracy of the look-alike
classes over all pens.
"""

import argparse
import os
from pathlib import Path

import numpy as np

from ocr_cli.layout import CLASSES
from ocr_cli.net.data import split_file
from ocr_cli.pipeline.images import to_gray
from ocr_cli.net.model import load_model
from ocr_cli.pipeline.reader import cut
from ocr_synth.pages import (FAINT_INK, INK_DARKNESS, RecordingBank, broken_pen, compose_page, fine_dry_pen,
                             photograph, random_text, thin_pen)

PENS = {  # name: (glyph pen, ink darkness of the photo)
    "plain": (None, INK_DARKNESS),
    "thin": (thin_pen, INK_DARKNESS),
    "faint": (None, FAINT_INK),
    "broken": (broken_pen, INK_DARKNESS),
    "fine+dry": (fine_dry_pen, FAINT_INK),
}
LOOK_ALIKES = "O0D6GI1758S4J29Z"  # the classes the issue names as confused with each other


def iou(a, b):
    """Intersection over union of boxes ``[y1, x1, y2, x2]``: ``a: (n, 4)``, ``b: (m, 4)`` -> ``(n, m)``."""
    a, b = np.asarray(a, float)[:, None], np.asarray(b, float)[None]
    h = np.clip(np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]), 0, None)
    w = np.clip(np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]), 0, None)
    area = lambda box: (box[..., 2] - box[..., 0]) * (box[..., 3] - box[..., 1])
    return h * w / (area(a) + area(b) - h * w)


def pen_crops(test_path, pen, ink, n_pages, seed):
    """Crops ``(N, 1024)`` of the found boxes that match a true character, their true
    labels ``(N,)``, and the number of true characters."""
    bank = RecordingBank.from_file(test_path)
    rng = np.random.default_rng(seed)
    crops, labels, total = [], [], 0
    for _ in range(n_pages):
        bank.used = []
        page = compose_page(random_text(rng), bank, rng, char_height=int(rng.uniform(50, 90)), pen=pen)
        truth = np.array([label for label, _ in bank.used])
        boxes, cut_crops = cut(to_gray(photograph(page.image, rng, ink=ink)))  # no tilt: page boxes hold
        total += len(truth)
        if not len(boxes):
            continue
        overlap = iou(page.boxes, boxes)
        found = np.flatnonzero(overlap.max(1) >= 0.5)
        crops.append(cut_crops[overlap[found].argmax(1)])
        labels.append(truth[found])
    if not crops:
        return np.zeros((0, 1024), np.float32), np.zeros(0, int), total
    return np.concatenate(crops), np.concatenate(labels), total


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("OCR_DATA", "../shared/nist36")))
    parser.add_argument("--pages", type=int, default=30, help="pages per pen")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--model", type=Path, action="append", help="model file (repeat to compare)")
    args = parser.parse_args()
    paths = args.model or [None]
    models = [load_model(p) for p in paths]
    names = [Path(p).name if p else "shipped" for p in paths]
    print(f"{'pen':<10} {'found':>13} " + " ".join(f"{n:>16}" for n in names))
    predictions, truths = [[] for _ in models], []
    for i, (pen_name, (pen, ink)) in enumerate(PENS.items()):
        crops, labels, total = pen_crops(split_file(args.data, "test"), pen, ink, args.pages, args.seed + i)
        truths.append(labels)
        cells = []
        for model, store in zip(models, predictions):
            store.append(model.predict_proba(crops).argmax(1) if len(crops) else labels)
            cells.append(f"{np.mean(store[-1] == labels):16.2%}" if len(labels) else f"{'-':>16}")
        print(f"{pen_name:<10} {len(labels):>5}/{total:<5} " + " ".join(cells), flush=True)
    truth = np.concatenate(truths)
    overall = [np.concatenate(p) for p in predictions]
    print(f"{'all':<10} {len(truth):>5}{'':<8} " + " ".join(f"{np.mean(p == truth):16.2%}" for p in overall))
    print("\nper-class accuracy of the look-alikes, all pens:")
    print(f"{'class':<6} {'n':>5} " + " ".join(f"{n:>16}" for n in names))
    for char in LOOK_ALIKES:
        mask = truth == CLASSES.index(char)
        print(f"{char:<6} {mask.sum():>5} " + " ".join(f"{np.mean(p[mask] == truth[mask]):16.2%}" for p in overall))


if __name__ == "__main__":
    main()
