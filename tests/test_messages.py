"""Messages: standard input is '-' in every output; a scheduler that cannot be reached,
does not answer or is not an address is named, in bounded time."""

import re
import socket
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from ocr_cli import batch
from ocr_cli.batch import SCHEDULER_TIMEOUT, connect
from ocr_cli.errors import OcrError


@pytest.fixture
def photo_file(tmp_path):
    path = tmp_path / "blank.png"
    Image.fromarray(np.full((40, 60), 230, np.uint8)).save(path)
    return path


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


def test_a_scheduler_that_cannot_be_reached_is_named_within_the_timeout(monkeypatch):
    distributed = pytest.importorskip("distributed")
    monkeypatch.setattr(batch, "SCHEDULER_TIMEOUT", 0.3)  # nothing listens on port 1: refused at once, retried until then
    with pytest.raises(OcrError, match=r"^scheduler tcp://127.0.0.1:1: cannot connect within 0.3 s \(Timed out"):
        connect(distributed.Client, "tcp://127.0.0.1:1")
    assert batch.SCHEDULER_TIMEOUT <= SCHEDULER_TIMEOUT <= 10


def test_a_listener_that_never_answers_as_a_scheduler_is_named_not_waited_on(monkeypatch):
    """A socket that accepts and stays silent (as an HTTP server does, waiting for a
    request): dask's own handshake would wait for ever."""
    distributed = pytest.importorskip("distributed")
    monkeypatch.setattr(batch, "SCHEDULER_TIMEOUT", 0.3)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        address = f"tcp://127.0.0.1:{silent.getsockname()[1]}"
        with pytest.raises(OcrError) as info:
            connect(distributed.Client, address)
    # a machine too busy to connect within 0.3 s says so instead: either way the scheduler is named
    assert re.match(rf"^scheduler {address}: (no answer within 1.3 s|cannot connect within 0.3 s)", str(info.value))


@pytest.mark.parametrize("address,problem", [
    ("foo://bar", "unknown scheme 'foo'"), ("not an address", "missing port number in address 'not an address'"),
    ("ws://", "missing port number"), ("", "missing port number"), ("tcp://:8786", "no host"),
])
def test_a_scheduler_address_that_is_not_one_is_refused(address, problem, photo_file):
    pytest.importorskip("distributed")
    from typer.testing import CliRunner

    from ocr_cli.cli import app

    result = CliRunner().invoke(app, ["read", str(photo_file), "--scheduler", address])
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    assert result.stderr.startswith(f"ocr: error: --scheduler: {address!r} is not a scheduler address ({problem}")
    assert len(result.stderr.splitlines()) == 1
