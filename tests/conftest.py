"""Shared fixtures: small synthetic nist36-layout files and a tiny trained model."""

import os
from pathlib import Path

import numpy as np
import pytest
from scipy.io import savemat

from ocr_cli import CLASSES
from ocr_cli.data import load_dataset
from ocr_cli.model import save_model
from ocr_cli.train import TrainConfig, train

SHARED_NIST = Path(__file__).resolve().parents[2] / "shared" / "nist36"


def synthetic_split(n_per_class, seed, noise=0.25):
    """``X: (36 n, 1024)`` noisy copies of 36 fixed random prototypes (ink 0, paper 1),
    ``Y: (36 n, 36)`` one-hot uint8, grouped by class like the real files."""
    prototypes = np.random.default_rng(1234).random((len(CLASSES), 1024)) > 0.5
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(len(CLASSES)), n_per_class)
    X = np.clip(prototypes[labels] + rng.normal(0, noise, (len(labels), 1024)), 0, 1)
    return X, np.eye(len(CLASSES), dtype=np.uint8)[labels]


def write_split(path, split, X, Y):
    savemat(path, {f"{split}_data": X, f"{split}_labels": Y})
    return path


@pytest.fixture(scope="session")
def nist_dir(tmp_path_factory):
    """A folder with small synthetic nist36_{train,valid,test}.mat files."""
    folder = tmp_path_factory.mktemp("nist36")
    for seed, (split, n) in enumerate((("train", 8), ("valid", 3), ("test", 3))):
        write_split(folder / f"nist36_{split}.mat", split, *synthetic_split(n, seed))
    return folder


@pytest.fixture(scope="session")
def tiny_model(nist_dir, tmp_path_factory):
    """A model file trained for a few epochs on the synthetic data."""
    run = train(load_dataset(nist_dir / "nist36_train.mat"), load_dataset(nist_dir / "nist36_valid.mat"),
                TrainConfig(hidden=[16], epochs=5, batch_size=16, lr=0.05))
    path = tmp_path_factory.mktemp("models") / "tiny.npz"
    save_model(path, run.model)
    return path


@pytest.fixture(scope="session")
def real_nist():
    """The real nist36 folder ($OCR_DATA, else ../shared/nist36); skips when absent."""
    folder = Path(os.environ.get("OCR_DATA") or SHARED_NIST)
    if not (folder / "nist36_train.mat").is_file():
        pytest.skip(f"real nist36 data not found at {folder} (set OCR_DATA)")
    return folder
