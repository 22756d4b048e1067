"""The ``ocr`` command's entry point (``ocr`` and ``python -m ocr_cli``).

Ctrl-C reaches a command through :func:`ocr_cli.console.reports_errors`, which ends it
with ``ocr: interrupted`` and exit 130. Before that, while the command line's modules
are imported (typer, rich: the first tenth of a second or so), Python's own handler
would raise ``KeyboardInterrupt`` out of an import: a traceback, and death by SIGINT.
This module imports nothing itself but ``sys`` (not even ``signal``, whose import takes
milliseconds), so that the same line and code cover that window too; what remains is
Python's own start, before any of ocr's code runs.
"""

import sys

# The shell's code for a process ended by Ctrl-C (128 + SIGINT): console.INTERRUPTED,
# which this module cannot import before it catches Ctrl-C (console imports typer).
INTERRUPTED = 130


def main():
    """Runs the ``ocr`` command line."""
    try:
        from ocr_cli.cli import app

        app(prog_name="ocr")  # (a command's own Ctrl-C is its own; this catches it while typer builds it)
    except KeyboardInterrupt:
        sys.stderr.write("ocr: interrupted\n")
        sys.exit(INTERRUPTED)
