"""Makes the project's sample photos: synthetic hand-printed notes with transcripts.

    python sample_images/make_samples.py [--data nist36_test.mat] [--out sample_images]
                                         [--count 5] [--seed 0] [--strings]

Each page ``page_<i>.jpg`` is composed from glyphs of the nist36 test split (never used
for training) and photographed synthetically; ``page_<i>.txt`` is its transcript.
The same seed always gives the same pages.
"""

import argparse
import os
from pathlib import Path

import numpy as np

from ocr_synth.pages import GlyphBank, compose_page, photograph, random_strings, random_text, save_jpeg

REPO = Path(__file__).resolve().parents[1]
CHAR_HEIGHT = (50, 90)  # pixels: a phone photo of a note, near to far
PAGE_WIDTH = (1600, 2400)  # pixels, before the tilt widens it
PAGE_ASPECT = (0.6, 0.8)  # height / width: a photo's frame, whatever the text leaves blank
TILT = 2.0  # degrees either way: a hand-held camera is never quite square
JPEG_QUALITY = 85  # a phone's usual setting


def default_data():
    """``$OCR_DATA/nist36_test.mat``, else the shared copy beside the repository."""
    folder = os.environ.get("OCR_DATA")
    return Path(folder) / "nist36_test.mat" if folder else REPO.parent / "shared" / "nist36" / "nist36_test.mat"


def make_page(bank, rng, text=random_text):
    """One photographed page of ``text(rng)`` lines: ``(rgb: (H, W, 3) uint8, text)``."""
    char_height = int(rng.integers(CHAR_HEIGHT[0], CHAR_HEIGHT[1] + 1))
    width = int(rng.integers(PAGE_WIDTH[0], PAGE_WIDTH[1] + 1))
    height = int(width * rng.uniform(*PAGE_ASPECT))
    page = compose_page(text(rng), bank, rng, char_height=char_height, width=width, height=height)
    rgb = photograph(page.image, rng, rotation_deg=rng.uniform(-TILT, TILT))
    return rgb, page.text


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=default_data(), help="nist36-layout .mat file of glyphs")
    parser.add_argument("--out", type=Path, default=REPO / "sample_images", help="output folder")
    parser.add_argument("--count", type=int, default=5, help="number of pages")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    parser.add_argument("--strings", action="store_true",
                        help="random strings of letters and digits instead of note-like words")
    args = parser.parse_args(argv)

    bank = GlyphBank.from_file(args.data)
    rng = np.random.default_rng(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    for i in range(args.count):
        rgb, text = make_page(bank, rng, random_strings if args.strings else random_text)
        jpg, txt = args.out / f"page_{i + 1}.jpg", args.out / f"page_{i + 1}.txt"
        save_jpeg(rgb, jpg, quality=JPEG_QUALITY)
        txt.write_text(text + "\n")
        print(f"{jpg}  {rgb.shape[1]}x{rgb.shape[0]}  {jpg.stat().st_size // 1024} KB  "
              f"{len(text.splitlines())} lines, {len(''.join(text.split()))} characters")


if __name__ == "__main__":
    main()
