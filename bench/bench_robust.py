"""Robustness: reading accuracy on each photo as is and transformed.

    python bench/bench_robust.py DIR [--model PATH]

For every NAME.jpg (or .png) in DIR with a NAME.txt beside it, reads the photo as is
and after each transform: rotated by -4 and +4 degrees, scaled x0.5 and x1.5, lit
unevenly (brightness falling linearly to 45% across the page), saved as JPEG quality 30,
and with Gaussian noise (sigma 8% of the range). Prints the character accuracy per
photo and transform, and each transform's cost in points against the original.
"""

import argparse
import io
import statistics
from pathlib import Path

import numpy as np
from PIL import Image

from bench_read import accuracy, characters
from ocr_cli.pipeline.images import load_image
from ocr_cli.net.model import load_model
from ocr_cli.pipeline.reader import read_image


def to_pil(gray):
    return Image.fromarray(np.round(np.clip(gray, 0, 1) * 255).astype(np.uint8))


def rotate(degrees):
    def transform(gray, rng):
        paper = float(np.median(gray))  # the corners the rotation uncovers are paper
        return np.asarray(to_pil(gray).rotate(degrees, Image.BILINEAR, expand=True, fillcolor=int(paper * 255))) / 255
    return transform


def scale(factor):
    def transform(gray, rng):
        height, width = gray.shape
        size = (round(width * factor), round(height * factor))
        return np.asarray(to_pil(gray).resize(size, Image.LANCZOS)) / 255
    return transform


def uneven_lighting(gray, rng):
    height, width = gray.shape
    ramp = np.add.outer(np.linspace(0, 1, height), np.linspace(0, 1, width)) / 2  # 0 at top left, 1 at bottom right
    return gray * (1.0 - 0.55 * ramp)


def jpeg(quality):
    def transform(gray, rng):
        buffer = io.BytesIO()
        to_pil(gray).save(buffer, "JPEG", quality=quality)
        return np.asarray(Image.open(buffer)) / 255
    return transform


def noise(sigma):
    def transform(gray, rng):
        return np.clip(gray + rng.normal(0, sigma, gray.shape), 0, 1)
    return transform


TRANSFORMS = {
    "original": lambda gray, rng: gray,
    "rotate -4": rotate(-4),
    "rotate +4": rotate(4),
    "scale x0.5": scale(0.5),
    "scale x1.5": scale(1.5),
    "uneven light": uneven_lighting,
    "jpeg q30": jpeg(30),
    "noise 8%": noise(0.08),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--model", type=Path, default=None)
    args = parser.parse_args()
    model = load_model(args.model)
    photos = sorted(p for p in args.folder.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png") and p.with_suffix(".txt").is_file())
    scores = {name: [] for name in TRANSFORMS}
    for photo in photos:
        gray = load_image(photo)
        truth = characters(photo.with_suffix(".txt").read_text())
        for name, transform in TRANSFORMS.items():
            image = transform(gray, np.random.default_rng(0)).astype(np.float32)
            scores[name].append(accuracy(characters(read_image(image, model).text()), truth))
    print(f"{'transform':<14}" + "".join(f"{p.stem[:12]:>13}" for p in photos) + f"{'mean':>9}{'cost':>8}")
    base = scores["original"]
    for name, row in scores.items():
        worst = max(b - r for b, r in zip(base, row))
        cells = "".join(f"{r:>13.2%}" for r in row)
        print(f"{name:<14}{cells}{statistics.mean(row):>9.2%}{100 * worst:>7.1f}p")
    print("cost: the largest drop in character accuracy on any photo, in points")


if __name__ == "__main__":
    main()
