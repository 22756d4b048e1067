"""``python -m ocr_cli``: the ``ocr`` command."""

from ocr_cli.cli import app

app(prog_name="ocr")
