"""Reading accuracy on turned photos: every sample page at several angles.

    python bench/bench_rotate.py [DIR] [--model PATH] [--angles -23 -7 9 31 90 180 270]

For every page_*.jpg in DIR (default: sample_images) with a .txt beside it, turns the
pixels counter-clockwise by each angle with Pillow (bicubic, the canvas grown to hold
the page and filled with the paper's colour, estimated as the median colour of the
photo's outer strip; no EXIF orientation is written or read) and reads the result as
``ocr read`` does (English word list). Prints the character accuracy (1 - edit
distance / length, on A-Z0-9 only, whitespace ignored) per page and angle, the page
as it is for reference, and per angle the mean and the minimum over pages; then the
mean and minimum over all turned reads.
"""

import argparse
import statistics
from pathlib import Path

import numpy as np
from PIL import Image

from bench_read import accuracy, characters
from ocr_cli.pipeline.lexicon import english
from ocr_cli.net.model import load_model
from ocr_cli.pipeline.reader import read_image

REPO = Path(__file__).resolve().parents[1]
ANGLES = (-23, -7, 9, 31, 90, 180, 270)  # degrees: slants either way, small and large, and the right angles
BORDER = 0.03  # the outer strip whose median colour is the paper's, as a share of each side


def paper_colour(rgb):
    """(3,) uint8: the median colour of ``rgb``'s outer strip (:data:`BORDER` of each
    side), where a photo of a note shows paper."""
    h, w = rgb.shape[:2]
    band = max(1, round(BORDER * min(h, w)))
    strip = np.concatenate([rgb[:band].reshape(-1, 3), rgb[-band:].reshape(-1, 3),
                            rgb[:, :band].reshape(-1, 3), rgb[:, -band:].reshape(-1, 3)])
    return np.median(strip, axis=0).astype(np.uint8)


def turned(rgb, degrees):
    """``rgb`` turned counter-clockwise by ``degrees`` on a canvas of its paper colour."""
    if degrees % 360 == 0:
        return rgb
    image = Image.fromarray(rgb).rotate(degrees, Image.BICUBIC, expand=True, fillcolor=tuple(int(c) for c in paper_colour(rgb)))
    return np.asarray(image)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, nargs="?", default=REPO / "sample_images")
    parser.add_argument("--model", type=Path, default=None, help="model file (default: the shipped one)")
    parser.add_argument("--angles", type=float, nargs="+", default=list(ANGLES))
    args = parser.parse_args()
    model = load_model(args.model)
    lexicon = english(model.classes)
    pages = sorted(p for p in args.folder.glob("page_*.jpg") if p.with_suffix(".txt").is_file())
    angles = [0.0] + [a for a in args.angles if a % 360]
    print(f"{'page':<12}" + "".join(f"{f'{a:g}':>9}" for a in angles))
    table = []
    for page in pages:
        rgb = np.asarray(Image.open(page).convert("RGB"))
        truth = characters(page.with_suffix(".txt").read_text())
        row = [accuracy(characters(read_image(turned(rgb, a), model, lexicon).text()), truth) for a in angles]
        table.append(row)
        print(f"{page.name:<12}" + "".join(f"{v:>9.2%}" for v in row), flush=True)
    if table:
        columns = list(zip(*table))
        print(f"{'mean':<12}" + "".join(f"{statistics.mean(c):>9.2%}" for c in columns))
        print(f"{'min':<12}" + "".join(f"{min(c):>9.2%}" for c in columns))
        turned_reads = [v for c in columns[1:] for v in c]
        if turned_reads:
            print(f"turned: mean {statistics.mean(turned_reads):.2%}, min {min(turned_reads):.2%} "
                  f"({len(turned_reads)} reads; the 0 column is the page as it is)")


if __name__ == "__main__":
    main()
