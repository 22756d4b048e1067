"""Training data in the layout `ocr read` produces: glyphs photographed on pages, then cut.

    python models/make_page_crops.py GLYPHS.mat... --out FILE.mat [--pages 1000] [--seed 0]

Writes the glyphs of the GLYPHS files (nist36-layout .mat; the training splits only)
onto synthetic pages, photographs them (ocr_cli/synth.py), finds and crops the
characters with the reading pipeline and saves those crops with their labels as a
nist36-layout file with the keys train_data / train_labels, for `ocr train --train`.
The same files, pages and seed always give the same crops.
"""

import argparse
import sys
from pathlib import Path

import numpy as np
from scipy.io import savemat

from ocr_cli import CLASSES
from ocr_cli.data import concatenate, load_dataset
from ocr_cli.synth import RecordingBank, page_crops


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("glyphs", type=Path, nargs="+", help="nist36-layout .mat files of training glyphs")
    parser.add_argument("--out", type=Path, required=True, help="the .mat file to write")
    parser.add_argument("--pages", type=int, default=1000, help="pages to compose (about 30 characters each)")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    args = parser.parse_args(argv)
    glyphs = concatenate([load_dataset(path) for path in args.glyphs])
    X, labels = page_crops(RecordingBank(glyphs.X, glyphs.Y), np.random.default_rng(args.seed), args.pages)
    savemat(args.out, {"train_data": X.astype(np.float64), "train_labels": np.eye(len(CLASSES))[labels]})
    print(f"{args.out}: {len(X)} crops from {args.pages} pages", file=sys.stderr)


if __name__ == "__main__":
    main()
