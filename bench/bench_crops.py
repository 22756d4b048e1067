"""Do the crops `ocr read` makes look like the training data? Distribution check.

    python bench/bench_crops.py DIR [--data ../shared/nist36]

For the training images (nist36_train.mat) and for every crop made from the photos in
DIR, prints the 10th / 50th / 90th percentiles of: ink fraction (share of the 32x32
pixels darker than 0.5), stroke width (ink area / skeleton length, px), the long side of
the character's ink box (px) and the distance of the ink's centre of mass from the
image centre (px). The crop step (ocr_cli/crop.py) is tuned to make the rows agree.
"""

import argparse
import os
from pathlib import Path

import numpy as np

from ocr_cli.crop import crop_letters, stroke_width
from ocr_cli.data import load_dataset, split_file
from ocr_cli.images import load_image
from ocr_cli.segment import find_letters

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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("OCR_DATA", "../shared/nist36")))
    parser.add_argument("--samples", type=int, default=3000, help="training images to measure")
    args = parser.parse_args()
    train = load_dataset(split_file(args.data, "train"))
    picks = np.random.default_rng(0).choice(len(train.X), min(args.samples, len(train.X)), replace=False)
    photos = sorted(p for p in args.folder.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    crops = np.concatenate([crop_letters(find_letters(load_image(p))) for p in photos])
    sources = {f"train ({len(picks)})": measure(train.X[picks]), f"crops ({len(crops)})": measure(crops)}
    print(f"{'measure':<14} {'source':<14} {'p10':>6} {'p50':>6} {'p90':>6}")
    for name in MEASURES:
        for source, values in sources.items():
            p10, p50, p90 = np.percentile(values[name], [10, 50, 90])
            print(f"{name:<14} {source:<14} {p10:6.3f} {p50:6.3f} {p90:6.3f}")


if __name__ == "__main__":
    main()
