"""How well lines of print are told from handwriting (ocr_cli/pipeline/printed.py).

    python bench/bench_printed.py [--data ../shared/nist36] [--pages 10] [PHOTO_DIR]

1. Synthetic pages of bench_stress.py's kinds (nist36_test glyphs written by hand; the
   forms' title and labels printed in DejaVu fonts, their true place known): per kind,
   lines of print found as print (of how many) and handwritten lines taken for print
   (of how many). A line is print when most of its characters' centres lie in the
   box of a printed letter.
2. The forms read as they are and with ``printed=False`` (``--handwriting-only``),
   against their handwriting: characters read (bench_stress.py's measure).
3. With PHOTO_DIR (e.g. ../shared/photos): per photo, the lines taken for print (every
   line of a photo of hand printing should be handwriting).
"""

import argparse
import os
import statistics
from pathlib import Path

import numpy as np

from bench_read import accuracy, characters
from ocr_cli.net.data import split_file
from ocr_cli.net.model import load_model
from ocr_cli.pipeline.images import Photo, load_photo
from ocr_cli.pipeline.lexicon import english
from ocr_cli.pipeline.reader import read_page
from ocr_synth.pages import GlyphBank
from ocr_synth.stress import STRESS_KINDS, stress_photo, stress_text

KINDS = ("form", "plain", "notes", "diagram", "mixed_sizes", "wide_spacing", "cluttered", "rotated")
GROW = 2  # px: a printed letter's box centre may sit just off its antialiased ink


def truth_of(line, printed_boxes):
    """Whether most of ``line``'s characters have their centre in a printed letter's box
    (``printed_boxes: (P, 4)`` ``[y1, x1, y2, x2]``, grown by :data:`GROW`)."""
    if printed_boxes is None or not len(printed_boxes):
        return False
    y1, x1, y2, x2 = (printed_boxes[:, i, None] + (GROW if i > 1 else -GROW) for i in range(4))
    centres = np.array([(c.box[1] + c.box[3] / 2, c.box[0] + c.box[2] / 2) for w in line.words for c in w.characters])
    inside = ((y1 <= centres[:, 0]) & (centres[:, 0] < y2) & (x1 <= centres[:, 1]) & (centres[:, 1] < x2)).any(0)
    return bool(len(inside)) and inside.mean() > 0.5


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("photos", nargs="?", type=Path)
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("OCR_DATA", "../shared/nist36")))
    parser.add_argument("--pages", type=int, default=10, help="pages per kind")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    model = load_model(None)
    lexicon = english(model.classes)
    bank = GlyphBank.from_file(split_file(args.data, "test"))
    print(f"{'kind':<14} {'print found':>14} {'hand taken for print':>22}")
    forms = []
    for kind in KINDS:
        rng = np.random.default_rng(args.seed + STRESS_KINDS.index(kind))
        found = [0, 0]
        mistaken = [0, 0]
        for _ in range(args.pages):
            photo = stress_photo(kind, stress_text(kind, rng), bank, rng)
            page = read_page(Photo.of(photo.rgb), model, lexicon)
            for line in page.lines:
                if truth_of(line, photo.printed_boxes):
                    found[0] += line.printed
                    found[1] += 1
                else:
                    mistaken[0] += line.printed
                    mistaken[1] += 1
            if kind == "form":
                hand = read_page(Photo.of(photo.rgb), model, lexicon, printed=False)
                forms.append([accuracy(characters(p.text()), characters(photo.text)) for p in (page, hand)])
        print(f"{kind:<14} {found[0]:>6} of {found[1]:<5} {mistaken[0]:>12} of {mistaken[1]:<6}", flush=True)
    if forms:
        whole, hand = (statistics.mean(column) for column in zip(*forms))
        print(f"form pages, characters read against the handwriting: as they are {whole:.2%}, "
              f"printed=False {hand:.2%}")
    if args.photos:
        for path in sorted(p for p in args.photos.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png")):
            page = read_page(load_photo(path), model, lexicon)
            taken = [line.text() for line in page.lines if line.printed]
            print(f"{path.name:<28} lines {len(page.lines):>3}  taken for print {len(taken):>2}  {' / '.join(taken)}")


if __name__ == "__main__":
    main()
