"""``python -m ocr_cli``: the ``ocr`` command."""

from ocr_cli.entry import main

main()
