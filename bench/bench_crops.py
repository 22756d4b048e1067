"""Do the crops `ocr read` makes look like the training data, and read as well?

    python bench/bench_crops.py DIR [--data ../shared/nist36] [--pages 40] [--model PATH]

1. For the training images (nist36_train.mat) and for every crop made from the photos
   in DIR, prints the 10th / 50th / 90th percentiles of: ink fraction (share of the
   32x32 pixels darker than 0.5), stroke width (ink area / skeleton length, px), the
   long side of the character's ink box (px) and the distance of the ink's centre of
   mass from the image centre (px).
2. Composes --pages pages from nist36_valid glyphs (ocr_synth/pages.py) and prints the
   model's accuracy on those glyphs read directly from the file, and through the
   pipeline (find, crop, classify; no word context) on the clean page and on its
   simulated phone photo: the accuracy the crop step loses.
"""

import argparse
import os
from pathlib import Path

import numpy as np

from ocr_cli.layout import stroke_width
from ocr_cli.net.data import load_dataset, split_file
from ocr_cli.pipeline.images import load_image, to_gray
from ocr_cli.net.model import load_model
from ocr_cli.pipeline.reader import cut
from ocr_synth.pages import RecordingBank, compose_page, photograph, random_text

MEASURES = ("ink fraction", "stroke width", "long side", "centre offset")


def measure(rows):
    """``rows: (N, 1024)`` in the network layout -> ``{measure: (N,) values}``."""
    values = {name: [] for name in MEASURES}
    for row in rows:
        ink = row.reshape(32, 32) < 0.5
        ys, xs = np.nonzero(ink)
        if not len(ys):
            continue
        values["ink fraction"].append(ink.mean())
        values["stroke width"].append(stroke_width(ink))
        values["long side"].append(max(np.ptp(ys), np.ptp(xs)) + 1)
        values["centre offset"].append(np.hypot(ys.mean() - 15.5, xs.mean() - 15.5))
    return {name: np.array(v) for name, v in values.items()}


def crop_loss(valid_path, model, n_pages, seed=0):
    """Accuracy on the glyphs of ``n_pages`` composed pages: direct, clean page, photo,
    over the pages where every character was found on both; and that page count."""
    bank = RecordingBank.from_file(valid_path)
    rng = np.random.default_rng(seed)
    correct, total, found = np.zeros(3), 0, 0
    for _ in range(n_pages):
        bank.used = []
        page = compose_page(random_text(rng), bank, rng, char_height=int(rng.uniform(50, 90)))
        labels = np.array([label for label, _ in bank.used])
        inputs = [np.stack([image.T.reshape(-1) for _, image in bank.used])]  # the stored layout
        for image in (page.image, photograph(page.image, rng, rng.uniform(-2, 2))):
            boxes, crops = cut(to_gray(image))
            inputs.append(crops if len(boxes) == len(labels) else None)
        if any(X is None for X in inputs):
            continue
        correct += [(model.predict_proba(X).argmax(1) == labels).sum() for X in inputs]
        total, found = total + len(labels), found + 1
    return correct / max(total, 1), total, found


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("OCR_DATA", "../shared/nist36")))
    parser.add_argument("--samples", type=int, default=3000, help="training images to measure")
    parser.add_argument("--pages", type=int, default=40, help="pages composed from nist36_valid glyphs")
    parser.add_argument("--model", type=Path, default=None)
    args = parser.parse_args()
    train = load_dataset(split_file(args.data, "train"))
    picks = np.random.default_rng(0).choice(len(train.X), min(args.samples, len(train.X)), replace=False)
    photos = sorted(p for p in args.folder.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    crops = np.concatenate([cut(load_image(p))[1] for p in photos])
    sources = {f"train ({len(picks)})": measure(train.X[picks]), f"crops ({len(crops)})": measure(crops)}
    print(f"{'measure':<14} {'source':<14} {'p10':>6} {'p50':>6} {'p90':>6}")
    for name in MEASURES:
        for source, values in sources.items():
            p10, p50, p90 = np.percentile(values[name], [10, 50, 90])
            print(f"{name:<14} {source:<14} {p10:6.3f} {p50:6.3f} {p90:6.3f}")
    (direct, clean, photo), total, found = crop_loss(split_file(args.data, "valid"), load_model(args.model), args.pages)
    print(f"\n{total} nist36_valid glyphs on the {found} of {args.pages} pages where all were found "
          f"(clean and photographed), read without word context:")
    print(f"direct from the file {direct:.2%}   cropped from the clean page {clean:.2%}   "
          f"cropped from its photo {photo:.2%}")


if __name__ == "__main__":
    main()
