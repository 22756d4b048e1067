"""Finds the mislabelled and broken characters of unipen36 and writes the drop list.

    python models/clean_unipen.py --model MODEL [--data ../shared/nist36]
                                  [--out models/unipen36_dropped.txt] [--show DIR]

UNIPEN's collectors checked the labels of a third of its characters (``unipen_quality``
``OK``); the rest (``?``) hold lone strokes of cut-off characters (a ``|`` labelled A,
B, H, K, X or Y; an L labelled E or 4), lower-case letters (``a`` under A, ``g``
under G) and plain mistakes. A model that has read many writers but was trained on
none of these rows' labels finds them: a row is *flagged* where MODEL gives its label
under :data:`DOUBT` and another class over :data:`SURE`. Looking at every flagged row
(``--show`` draws them, grouped by label and reading) showed most to be broken or
wrong, but some pairs to be real forms that NIST lacks and other hands use: those in
:data:`LEGITIMATE` are kept, every other flagged row is dropped.

MODEL must not have learnt the wrong labels by heart (it would no longer flag them).
The model that made ``models/unipen36_dropped.txt`` (r01, epoch 4, of the work on
issue 19) went on from the shipped default for four epochs over nist36 train and
extra, emnist36 and unipen36 without its held-out writers (``ocr train --init ...
--hold-out-writers --balance --augment``, Adam 3e-4, label smoothing): far from
memorising single rows (85% training accuracy), and the held-out writers' rows it
never saw. The list names the model and its SHA-256 in its header.
"""

import argparse
import os
from pathlib import Path

import numpy as np

from ocr_cli.layout import CLASSES
from ocr_cli.net.data import load_dataset, sha256
from ocr_cli.net.model import load_model

# A row is flagged when the model gives its label less than DOUBT and another class
# more than SURE: at these, 663 of 44,022 rows, few enough to look at one by one, and
# the ones looked at were nearly all broken or wrong (or in LEGITIMATE).
DOUBT = 0.05
SURE = 0.5
# (label, reading) pairs that are real forms, looked at one by one and kept:
LEGITIMATE = {
    ("1", "7"), ("1", "L"), ("1", "2"), ("1", "Z"),  # the European 1 with a long flag, a 1 with a foot
    ("7", "Z"), ("7", "2"), ("7", "T"),  # crossed and curled 7s
    ("9", "7"),  # a 9 with a tiny loop
    ("T", "J"), ("Z", "2"), ("Z", "3"), ("S", "8"), ("J", "8"), ("J", "9"),  # cursive capitals: T, Z, S, J
    ("L", "2"), ("L", "X"), ("L", "Z"), ("F", "Z"), ("F", "Y"), ("F", "7"), ("F", "8"),  # cursive L and F
    ("0", "Q"), ("0", "9"), ("0", "4"), ("0", "6"), ("0", "D"),  # slashed zeros, open zeros
    ("I", "J"), ("I", "T"),  # an I with serifs
    ("2", "Z"), ("2", "7"),  # 2s written flat or with a hook
}


def flagged(probs, labels):
    """Rows whose label MODEL doubts while it is sure of another class."""
    rows = np.arange(len(labels))
    return np.flatnonzero((probs[rows, labels] < DOUBT) & (probs.max(1) > SURE))


def show(X, rows, labels, readings, path):
    """A PNG of ``rows`` (grouped by label, then reading), captioned ``row:label>reading``."""
    from PIL import Image, ImageDraw

    cols, cell, caption = 20, 96, 14
    image = Image.new("L", (cols * cell, -(-len(rows) // cols) * (cell + caption)), 255)
    draw = ImageDraw.Draw(image)
    for k, i in enumerate(rows):
        x, y = (k % cols) * cell, (k // cols) * (cell + caption)
        tile = Image.fromarray((X[i].reshape(32, 32).T * 255).astype(np.uint8)).resize((cell, cell))
        image.paste(tile, (x, y + caption))
        draw.text((x + 2, y), f"{i}:{CLASSES[labels[i]]}>{CLASSES[readings[i]]}", fill=0)
    image.save(path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("OCR_DATA", "../shared/nist36")))
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "unipen36_dropped.txt")
    parser.add_argument("--show", type=Path, help="folder for PNGs of the dropped and the kept flagged rows")
    args = parser.parse_args()
    path = args.data / "unipen36_train.mat"
    data = load_dataset(path)
    model = load_model(args.model)
    probs = model.net.predict_proba(data.X)  # one pass, no test-time shifts: a row as it is
    labels, readings = data.Y.argmax(1), probs.argmax(1)
    rows = flagged(probs, labels)
    rows = rows[np.lexsort((readings[rows], labels[rows]))]
    legitimate = np.array([(CLASSES[labels[i]], CLASSES[readings[i]]) in LEGITIMATE for i in rows], bool)
    dropped = np.sort(rows[~legitimate])
    lines = [f"# Rows of unipen36 (unipen36_train.mat and unipen36_strokes.json.gz) left out of training:",
             f"# flagged by {args.model.name} (SHA-256 {sha256(args.model)[:16]}...): label under {DOUBT:g}, "
             f"another class over {SURE:g};",
             f"# {len(rows)} flagged, {legitimate.sum()} kept as real forms (models/clean_unipen.py LEGITIMATE), "
             f"{len(dropped)} dropped.",
             "# made by: python models/clean_unipen.py --model MODEL (see its docstring)"]
    lines += [f"unipen36 {i}  # {CLASSES[labels[i]]} read as {CLASSES[readings[i]]} ({probs[i].max():.2f})"
              for i in dropped]
    args.out.write_text("\n".join(lines) + "\n")
    print(f"{len(rows)} flagged, {legitimate.sum()} kept, {len(dropped)} dropped -> {args.out}")
    if args.show:
        args.show.mkdir(parents=True, exist_ok=True)
        for name, chosen in (("dropped", rows[~legitimate]), ("kept", rows[legitimate])):
            for page in range(0, len(chosen), 200):
                show(data.X, chosen[page:page + 200], labels, readings, args.show / f"{name}_{page // 200}.png")


if __name__ == "__main__":
    main()
