"""ocr: read hand-printed capitals and digits with a small numpy network.

The Python API behind the ``ocr`` command::

    import ocr_cli
    page = ocr_cli.read("note.jpg")      # a path, bytes, a binary file, a PIL image, an array
    print(page.text(), ocr_cli.__version__)

    from ocr_cli import load_model, train, evaluate, find_letters, read_image

The package, by layer (a module imports only from its own layer and those above it in
this list)::

    errors, layout, files, cores      the project's errors; the network's input layout and
                                      class lists; paths written; the machine's cores
    net/                              the numpy network and its training: activations,
                                      layers, network, optimisers, data files, model
                                      files, the training loop, checkpoints
    pipeline/                         reading a page, stage by stage (reader.py lists them)
    output/                           what is shown: formats, figures, tables, streaming
    inputs, batch, entry, console,    the command line: its inputs, many files at once,
    cli, api                          its entry point, errors and signals, the commands;
                                      and the Python API (read, read_pages, read_many)

Names are imported on first use, so ``ocr --help`` does not pay for numpy and scipy.
"""

from importlib import import_module

_API = {
    "read": "ocr_cli.api",
    "read_pages": "ocr_cli.api",
    "read_many": "ocr_cli.api",
    "CLASSES": "ocr_cli.layout",
    "NOT_A_CHARACTER": "ocr_cli.layout",
    "InputError": "ocr_cli.errors",
    "OcrError": "ocr_cli.errors",
    "load_model": "ocr_cli.net.model",
    "save_model": "ocr_cli.net.model",
    "train": "ocr_cli.net.train",
    "evaluate": "ocr_cli.net.metrics",
    "find_letters": "ocr_cli.pipeline.reader",
    "read_image": "ocr_cli.pipeline.reader",
    "Page": "ocr_cli.pipeline.records",
}

__all__ = [*_API, "__version__"]


def version():
    """The installed package's version ("unknown" when run from a checkout that is not installed)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("ocr-cli")
    except PackageNotFoundError:
        return "unknown"


def __getattr__(name):
    if name == "__version__":
        return version()
    if name in _API:
        return getattr(import_module(_API[name]), name)
    raise AttributeError(f"module 'ocr_cli' has no attribute {name!r}")
