"""Shared fixtures: small synthetic nist36-layout files and a tiny trained model."""

import os
from pathlib import Path

import numpy as np
import pytest
from scipy.io import savemat

from ocr_cli.layout import CLASSES
from ocr_cli.net.data import load_dataset
from ocr_cli.net.model import save_model
from ocr_cli.net.train import TrainConfig, train

SHARED_NIST = Path(__file__).resolve().parents[2] / "shared" / "nist36"


@pytest.fixture(scope="session", autouse=True)
def one_blas_thread():
    """The suite's small products on one BLAS thread: spinning OpenBLAS threads make
    them many times slower when another process is busy (a training run beside CI)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        yield


def default_signals():
    """For ``subprocess.Popen(preexec_fn=...)``: Ctrl-C as a terminal delivers it, even
    when the suite itself runs where SIGINT is ignored (a job started with ``&`` or
    ``nohup``, whose children inherit the ignoring)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


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


@pytest.fixture(scope="session")
def nist_bank(real_nist):
    """A :class:`ocr_synth.pages.GlyphBank` of the real nist36_test characters."""
    from ocr_cli.net.data import split_file
    from ocr_synth.pages import GlyphBank

    return GlyphBank.from_file(split_file(real_nist, "test"))


def pattern_glyph(index):
    """Class ``index`` as an upright ``(32, 32)`` glyph (paper 1, ink 0): a stem and a
    foot (an L) with bars picked by the index's bits (3 across, 3 upright), 3 px
    strokes, so all 36 classes differ and survive cropping and rescaling. (Not a
    closed square: an empty box drawn on a page is a form's checkbox, taken out.)"""
    image = np.ones((32, 32))
    image[4:28, 4:7] = image[25:28, 4:28] = 0
    for bit, position in enumerate((10, 15, 20)):
        if (index + 1) >> bit & 1:
            image[position:position + 3, 4:28] = 0
        if (index + 1) >> (bit + 3) & 1:
            image[4:28, position:position + 3] = 0
    return image


@pytest.fixture(scope="session")
def pattern_bank():
    """A :class:`ocr_synth.pages.GlyphBank` with one pattern glyph per class."""
    from ocr_synth.pages import GlyphBank

    images = np.array([pattern_glyph(i).T.reshape(-1) for i in range(len(CLASSES))])
    return GlyphBank(images, np.eye(len(CLASSES)))


@pytest.fixture(scope="session")
def pattern_model(tmp_path_factory):
    """A small network that reads the pattern glyphs as the crop function renders them
    (with shifts of up to 2 px and pixel noise), saved to a file."""
    from ocr_cli.pipeline.crop import to_layout
    from ocr_cli.net.data import Dataset
    from ocr_cli.net.model import Model, new_metadata
    from ocr_cli.net.network import Network
    from ocr_cli.net.train import fit

    rng = np.random.default_rng(0)
    rendered = np.array([to_layout(1.0 - pattern_glyph(i)[4:28, 4:28]) for i in range(len(CLASSES))])
    copies = 40
    shifts = rng.integers(-2, 3, (len(CLASSES) * copies, 2))
    X = np.array([np.roll(rendered[i // copies], tuple(shift), axis=(0, 1)).T.reshape(-1) for i, shift in enumerate(shifts)])
    X = np.clip(X + rng.normal(0, 0.1, X.shape), 0, 1)
    Y = np.repeat(np.eye(len(CLASSES)), copies, axis=0)
    clean = Dataset(rendered.transpose(0, 2, 1).reshape(len(CLASSES), -1), np.eye(len(CLASSES)), ())
    net = Network.mlp([1024, 64, 36], "relu", seed=0)
    fit(net, Dataset(X, Y, ()), clean, TrainConfig(hidden=[64], epochs=15, lr=0.002, optimizer="adam"))
    path = tmp_path_factory.mktemp("models") / "patterns.npz"
    save_model(path, Model(net, new_metadata(net)))
    return path


@pytest.fixture(scope="session")
def tiny_model_loaded(tiny_model):
    """:func:`tiny_model`, loaded."""
    from ocr_cli.net.model import load_model

    return load_model(tiny_model)


@pytest.fixture
def read_only_folder(tmp_path):
    """A folder this process cannot create files in: permission bits, or, as root (who
    ignores them), sysfs, which refuses new files to everyone."""
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    candidates = [folder, Path("/sys")]
    try:
        for candidate in candidates:
            try:
                with open(candidate / ".probe", "x"):
                    pass
                (candidate / ".probe").unlink()
            except OSError:
                yield candidate
                return
        pytest.skip("no folder here refuses writes to this user")
    finally:
        folder.chmod(0o755)


class Found:
    """What ``find_letters`` found, as arrays: ``boxes (K, 4)`` ``[y1, x1, y2, x2]`` in
    the photo's pixels, ``line`` and ``word (K,)``, ``char_height``."""

    def __init__(self, page):
        from ocr_cli.output.formats import found_boxes

        rows = found_boxes(page)
        self.boxes = np.array([box for box, _, _ in rows], np.int64).reshape(-1, 4)
        self.line = np.array([line for _, line, _ in rows], np.int64)
        self.word = np.array([word for _, _, word in rows], np.int64)
        self.char_height = page.char_height

    def __len__(self):
        return len(self.boxes)


def find_letters(image):
    """:func:`ocr_cli.pipeline.reader.find_letters` of ``image`` (an array, a path or a
    decoded :class:`~ocr_cli.pipeline.images.Photo`) as :class:`Found` arrays."""
    from ocr_cli.pipeline.images import Photo
    from ocr_cli.pipeline.reader import find_letters as found, read_page

    return Found(read_page(image, None) if isinstance(image, Photo) else found(image))
