"""Adds ``widest`` (how wide each class is drawn at most, :func:`ocr_cli.layout.widest`)
to the metadata of a model trained before ``ocr train`` kept it, measured on the
training files the model's metadata names (looked up in ``--data`` by name, checked
against their recorded sha256); files of pen strokes are left out, as ``ocr train``
leaves them out (their rows are drawn anew each epoch: there is no one image to measure).

    python models/add_widest.py ocr_cli/models/default.npz --data ../shared/nist36
"""

import argparse
import hashlib
import os
from pathlib import Path

import numpy as np

from ocr_cli import layout
from ocr_cli.net.data import concatenate, is_strokes, load_dataset
from ocr_cli.net.model import load_model, save_model


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("OCR_DATA", "../shared/nist36")))
    args = parser.parse_args()
    model = load_model(args.model)
    files = []
    for entry in model.metadata["data"]["train"]:
        path = args.data / Path(entry["file"]).name
        if is_strokes(path):
            continue
        if hashlib.sha256(path.read_bytes()).hexdigest() != entry["sha256"]:
            raise SystemExit(f"{path}: not the file the model was trained on")
        files.append(path)
    data = concatenate([load_dataset(f) for f in files]).aligned(model.classes)[0]
    model.metadata["widest"] = layout.widest(data.X, data.Y.argmax(1), model.classes)
    save_model(args.model, model, force=True)
    print(model.metadata["widest"])


if __name__ == "__main__":
    main()
