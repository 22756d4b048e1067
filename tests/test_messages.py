"""Messages: standard input is '-' in every output; a scheduler that cannot be reached is named."""

import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from ocr_cli.batch import SCHEDULER_TIMEOUT, connect
from ocr_cli.errors import OcrError


def test_standard_input_is_named_dash_in_every_output(pattern_model, tmp_path):
    image = tmp_path / "blank.png"
    Image.fromarray(np.full((120, 200), 230, np.uint8)).save(image)
    for form, named in (("json", '"file": "-"'), ("hocr", 'image &quot;-&quot;'), ("alto", "<fileName>-</fileName>")):
        with open(image, "rb") as stdin:
            done = subprocess.run([sys.executable, "-m", "ocr_cli", "read", "-", "-m", str(pattern_model), "-f", form],
                                  stdin=stdin, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert named in done.stdout.replace("'", '"') and "ocr-stdin" not in done.stdout, done.stdout[:400]
    with open(tmp_path / "bad.jpg", "wb") as bad:
        bad.write(b"not an image")
    with open(tmp_path / "bad.jpg", "rb") as stdin:
        done = subprocess.run([sys.executable, "-m", "ocr_cli", "read", "-", "-m", str(pattern_model)],
                              stdin=stdin, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stderr == "ocr: error: -: not an image file (unknown or damaged format)\n"


def test_a_scheduler_that_cannot_be_reached_is_named_within_the_timeout():
    calls = []

    def unreachable(address, timeout):
        calls.append(timeout)
        raise OSError(f"Timed out trying to connect to {address} after {timeout} s")

    with pytest.raises(OcrError, match=r"^scheduler tcp://127.0.0.1:1: cannot connect within 10 s \(Timed out"):
        connect(unreachable, "tcp://127.0.0.1:1")
    assert calls == [SCHEDULER_TIMEOUT] and SCHEDULER_TIMEOUT <= 10
