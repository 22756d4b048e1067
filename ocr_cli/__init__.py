"""ocr: read hand-printed capitals and digits with a small numpy network.

The Python API behind the ``ocr`` command::

    from ocr_cli import load_model, train, evaluate, find_letters, read_image

Names are imported on first use, so ``ocr --help`` does not pay for numpy and scipy.
"""

from importlib import import_module

CLASSES = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
# A model may have one more output, after the 36: "not a character" (a fragment, two
# letters, a speck, an edge or a box line that segmentation cut); reading drops them.
NOT_A_CHARACTER = "~"

_API = {
    "InputError": "ocr_cli.errors",
    "OcrError": "ocr_cli.errors",
    "load_model": "ocr_cli.model",
    "save_model": "ocr_cli.model",
    "train": "ocr_cli.train",
    "evaluate": "ocr_cli.metrics",
    "find_letters": "ocr_cli.segment",
    "read_image": "ocr_cli.reader",
}

__all__ = ["CLASSES", *_API]


def __getattr__(name):
    if name in _API:
        return getattr(import_module(_API[name]), name)
    raise AttributeError(f"module 'ocr_cli' has no attribute {name!r}")
