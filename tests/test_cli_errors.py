"""Every kind of bad input, through the CLI: the exit code, one line on stderr naming the
file and the problem, no traceback, and no file changed but the intended output."""

import errno
import hashlib
import io
import json
import os
import pickle
import signal
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from conftest import default_signals, synthetic_split
from PIL import Image
from scipy.io import savemat
from typer.testing import CliRunner

from ocr_cli.cli import app
from ocr_cli.net.model import load_model
from ocr_synth.pages import compose_page, photograph

runner = CliRunner()
LINES = ["CALL 42 NOW", "B7 IS OK"]


def run(*args):
    return runner.invoke(app, [str(a) for a in args], env={"OCR_DATA": None})


def snapshot(folder):
    """``{path: sha256}`` of every file under ``folder``."""
    return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in Path(folder).rglob("*") if p.is_file()}


def assert_fails(result, code, *fragments):
    """Exit ``code``, nothing on stdout, one ``ocr: error:`` line holding ``fragments``."""
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ocr: error: "), result.stderr
    for fragment in fragments:
        assert str(fragment) in lines[0]
    assert result.stdout == ""


# ---------------------------------------------------------------- images


@pytest.fixture(scope="module")
def page(pattern_bank):
    return compose_page(LINES, pattern_bank, np.random.default_rng(5), char_height=40)


@pytest.fixture(scope="module")
def photo(page):
    """The page as an RGB phone photo: (H, W, 3) uint8."""
    return photograph(page.image, np.random.default_rng(6))


def png_header(width, height):
    """A valid PNG that declares ``width`` x ``height`` pixels but holds almost no data."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 16)) + chunk(b"IEND", b"")


def jpeg_bytes(rgb):
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


BAD_IMAGES = {
    "missing.jpg": (None, "no such file"),
    "folder.jpg": ("dir", "is a folder that holds no images"),
    "empty.jpg": (lambda photo: b"", "not an image file (unknown or damaged format)"),
    "text.jpg": (lambda photo: b"shopping list: milk, eggs\n", "not an image file (unknown or damaged format)"),
    "truncated.jpg": (lambda photo: jpeg_bytes(photo)[:len(jpeg_bytes(photo)) // 2], "cannot decode image"),
    "bomb.png": (lambda photo: png_header(30000, 30000), "image is larger than PIL opens safely"),
    "huge.png": (lambda photo: png_header(16000, 10000), "image is 16000x10000 pixels; the most ocr reads is 150 megapixels"),
}


@pytest.mark.parametrize("command", ["read", "find-letters"])
@pytest.mark.parametrize("name", BAD_IMAGES)
def test_bad_image_files(name, command, photo, pattern_model, tmp_path):
    make, problem = BAD_IMAGES[name]
    path = tmp_path / name
    if make == "dir":
        path.mkdir()
    elif make is not None:
        path.write_bytes(make(photo))
    before = snapshot(tmp_path)
    extra = ["--model", pattern_model] if command == "read" else []
    assert_fails(run(command, path, *extra), 2, f"{path}: {problem}")
    assert snapshot(tmp_path) == before


def save(tmp_path, name, array, **options):
    path = tmp_path / name
    Image.fromarray(array).save(path, **options)
    return path


def test_tiny_blank_and_black_images_read_as_no_text(pattern_model, tmp_path):
    for name, array in {"one.png": np.zeros((1, 1), np.uint8), "white.png": np.full((300, 400), 235, np.uint8),
                        "black.png": np.zeros((300, 400), np.uint8)}.items():
        result = run("read", save(tmp_path, name, array), "--model", pattern_model)
        assert result.exit_code == 0 and result.stdout == "" and result.stderr == "", (name, result.output)


def test_image_kinds_all_read_the_same_text(page, photo, pattern_model, tmp_path):
    grey = np.asarray(Image.fromarray(photo).convert("L"))
    ink = 255 - grey  # darkness as opacity: black strokes on a transparent sheet
    rgba = np.dstack([np.zeros_like(grey)] * 3 + [ink])
    upright = Image.fromarray(photo)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    turned = tmp_path / "exif.jpg"
    upright.rotate(90, expand=True).save(turned, quality=92, exif=exif)
    files = [save(tmp_path, "rgba.png", rgba), save(tmp_path, "grey16.png", grey.astype(np.uint16) * 257),
             tmp_path / "palette.gif", turned]
    upright.convert("P", palette=Image.ADAPTIVE).save(files[2])
    assert Image.open(files[1]).mode.startswith("I;16") and Image.open(files[2]).mode == "P"
    for path in files:
        result = run("read", path, "--model", pattern_model, "--no-lexicon")
        assert result.exit_code == 0 and result.stdout == page.text + "\n", (path.name, result.output)


# ---------------------------------------------------------------- batches


def test_a_bad_file_in_a_batch_is_reported_and_the_rest_read(page, photo, pattern_model, tmp_path):
    good = save(tmp_path, "a.png", photo)
    other = save(tmp_path, "c.png", photo)
    bad = tmp_path / "b.jpg"
    bad.write_text("not a picture")
    result = run("read", good, bad, other, "--model", pattern_model)
    assert result.exit_code == 1
    assert result.stdout == f"==> {good} <==\n{page.text}\n==> {other} <==\n{page.text}\n"
    assert result.stderr.strip() == f"ocr: error: {bad}: not an image file (unknown or damaged format)"
    as_json = run("read", good, bad, other, "--model", pattern_model, "--format", "json")
    assert as_json.exit_code == 1
    entries = json.loads(as_json.stdout)
    assert [e["text"] for e in (entries[0], entries[2])] == [page.text] * 2
    assert entries[1] == {"file": str(bad), "error": f"{bad}: not an image file (unknown or damaged format)"}


# ---------------------------------------------------------------- data files


X, Y = synthetic_split(1, 0)


def with_nan(values):
    values = values.astype(float)
    values[0, 0] = np.nan
    return values


BAD_DATA = {
    "no keys": ({"images": X}, "no '<split>_data' and '<split>_labels' key pair"),
    "1023 columns": ({"train_data": X[:, :1023], "train_labels": Y}, "'train_data' has shape (36, 1023); expected (N, 1024)"),
    "NaN": ({"train_data": with_nan(X), "train_labels": Y}, "'train_data' holds NaN or infinite values"),
    "inf": ({"train_data": np.where(X > 0.99, np.inf, X), "train_labels": Y}, "'train_data' holds NaN or infinite values"),
    "not one-hot": ({"train_data": X, "train_labels": Y + np.eye(36)[::-1]}, "'train_labels' is not one-hot"),
    "35 classes": ({"train_data": X, "train_labels": Y[:, :35]}, "'train_labels' has shape (36, 35); expected (36, 36)"),
    "fewer labels": ({"train_data": X, "train_labels": Y[:30]}, "'train_labels' has shape (30, 36); expected (36, 36)"),
    "empty file": (b"", "not a readable .mat file"),
    "not a .mat": (b"A,B,C\n1,2,3\n", "not a readable .mat file"),
    "truncated": (lambda: truncated_mat(), "is truncated or damaged: a variable runs to byte"),
}


def truncated_mat():
    """A whole file's first half: scipy lists the variables it finds before the end."""
    whole = io.BytesIO()
    savemat(whole, {"train_data": X, "train_labels": Y}, do_compression=True)
    return whole.getvalue()[:len(whole.getvalue()) // 2]


@pytest.mark.parametrize("case", BAD_DATA)
def test_bad_data_files(case, nist_dir, tmp_path):
    content, problem = BAD_DATA[case]
    path = tmp_path / "data.mat"
    content = content() if callable(content) else content
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        savemat(path, content)
    before = snapshot(tmp_path)
    out = tmp_path / "m.npz"
    trained = run("train", "--train", path, "--valid", nist_dir / "nist36_valid.mat", "--epochs", "1", "--out", out)
    assert_fails(trained, 2, f"{path}: {problem}")
    assert_fails(run("evaluate", "--model", out, "--test", path), 2, "no such file")  # nothing was saved
    assert snapshot(tmp_path) == before


def test_bad_test_file_for_evaluate_and_confusion(tiny_model, tmp_path):
    path = tmp_path / "test.mat"
    savemat(path, BAD_DATA["NaN"][0])
    for command in ("evaluate", "confusion"):
        assert_fails(run(command, "--model", tiny_model, "--test", path), 2, f"{path}: 'train_data' holds NaN")


# ---------------------------------------------------------------- model files


class Booby:
    """Unpickling this creates a file: proof that a loader unpickled."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (Path(self.marker),))


def tamper(source, target, change):
    arrays = dict(np.load(source, allow_pickle=False))
    change(arrays)
    np.savez(target, **arrays)


def future(arrays):
    metadata = json.loads(str(arrays["metadata"]))
    metadata["version"] = 99
    arrays["metadata"] = np.array(json.dumps(metadata))


BAD_MODELS = {
    "truncated": (lambda src, dst: dst.write_bytes(src.read_bytes()[:len(src.read_bytes()) // 2]), "not a readable model file"),
    "wrong shape": (lambda src, dst: tamper(src, dst, lambda a: a.update(W0=a["W0"][:, :5])), "array 'W0' has shape (1024, 5); expected (1024, 16)"),
    "no metadata": (lambda src, dst: tamper(src, dst, lambda a: a.pop("metadata")), "no 'metadata' in the model file"),
    "future version": (lambda src, dst: tamper(src, dst, future), "model format version 99 is newer than this ocr reads"),
    "empty": (lambda src, dst: dst.write_bytes(b""), "not a readable model file"),
    "encrypted member": (lambda src, dst: zip_member_patched(src, dst, flags=1),
                         "not a readable model file (an array in it is encrypted)"),
    "unknown compression": (lambda src, dst: zip_member_patched(src, dst, method=99),
                            "not a readable model file (an array in it is compressed by a method zip does not support"),
}


def zip_member_patched(source, target, flags=0, method=None):
    """``source`` with its first member's zip headers (local and central) marked with
    the ``flags`` bits (1: encrypted) or the compression ``method``."""
    content = bytearray(source.read_bytes())
    for signature, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = content.find(signature)
        content[at + flag_at] |= flags
        if method is not None:
            content[at + flag_at + 2:at + flag_at + 4] = struct.pack("<H", method)
    target.write_bytes(bytes(content))


@pytest.mark.parametrize("case", BAD_MODELS)
def test_bad_model_files(case, tiny_model, nist_dir, photo, tmp_path):
    make, problem = BAD_MODELS[case]
    path = tmp_path / "model.npz"
    make(tiny_model, path)
    image = save(tmp_path, "photo.png", photo)
    before = snapshot(tmp_path)
    assert_fails(run("read", image, "--model", path), 2, f"{path}: {problem}")
    assert_fails(run("evaluate", "--model", path, "--data", nist_dir), 2, f"{path}: {problem}")
    assert snapshot(tmp_path) == before


def test_object_arrays_in_a_model_are_refused_never_unpickled(tiny_model, photo, tmp_path):
    marker = tmp_path / "unpickled"
    arrays = dict(np.load(tiny_model, allow_pickle=False))
    arrays["W0"] = np.array([Booby(marker)], dtype=object)
    path = tmp_path / "evil.npz"
    np.savez(path, **arrays)
    assert pickle.loads(pickle.dumps(Booby(tmp_path / "works"))) is None and (tmp_path / "works").exists()
    assert_fails(run("read", save(tmp_path, "photo.png", photo), "--model", path), 2,
                 f"{path}: holds object arrays; refusing to unpickle them")
    assert not marker.exists()


# ---------------------------------------------------------------- the output of train


def test_train_output_in_a_missing_folder_fails_before_training(nist_dir, tmp_path):
    out = tmp_path / "no" / "such" / "m.npz"
    result = run("train", "--data", nist_dir, "--epochs", "1", "--out", out)
    assert_fails(result, 2, f"{out}: folder '{out.parent}' does not exist")
    assert "epoch" not in result.stderr


def test_train_output_in_a_read_only_folder_fails_before_training(nist_dir, read_only_folder):
    out = read_only_folder / "m.npz"
    result = run("train", "--data", nist_dir, "--epochs", "1", "--out", out)
    assert_fails(result, 2, f"{out}: folder '{read_only_folder}' is not writable")
    assert "epoch" not in result.stderr and not out.exists()


def ocr_process(*args, code="from ocr_cli.cli import app; app()"):
    """``ocr ARGS`` (after ``code``'s set-up) in a new Python process, pipes open."""
    return subprocess.Popen([sys.executable, "-c", code, *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "OCR_DATA": ""},
                            preexec_fn=default_signals)


def test_ctrl_c_during_training_ends_cleanly_and_writes_nothing(nist_dir, tmp_path):
    out = tmp_path / "m.npz"
    process = ocr_process("train", "--data", nist_dir, "--hidden", "16", "--epochs", "100000", "--out", out)
    first = process.stderr.readline()
    assert "epoch 1/100000" in first, first
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    assert stderr.strip().splitlines()[-1] == "ocr: interrupted" and "Traceback" not in stderr
    assert stdout == "" and os.listdir(tmp_path) == []


INTERRUPTED_WHILE_IMPORTING = """
import os, signal, sys
class Interrupt:  # Ctrl-C arrives while the command line's modules are imported
    def find_spec(self, name, path=None, target=None):
        if name == "MODULE":
            os.kill(os.getpid(), signal.SIGINT)
        return None
sys.meta_path.insert(0, Interrupt())
from ocr_cli.entry import main
main()
"""


# typer: the command line's modules imported; typer._click.decorators: imported by typer's
# click while it makes the read command's context (typer itself turns a Ctrl-C there into a
# silent exit 130). A module not imported at all would leave the command to run: exit 0.
@pytest.mark.parametrize("module", ["typer", "typer._click.decorators"])
def test_ctrl_c_while_the_command_line_is_imported_ends_cleanly(photo, pattern_model, tmp_path, module):
    image = tmp_path / "page.png"
    Image.fromarray(photo).save(image)
    process = ocr_process("read", image, "-m", pattern_model, code=INTERRUPTED_WHILE_IMPORTING.replace("MODULE", module))
    stdout, stderr = process.communicate(timeout=60)
    assert (process.returncode, stderr, stdout) == (130, "ocr: interrupted\n", "")


HALF_WRITE = """
import sys, time, numpy as np
real_savez = np.savez
def slow_savez(f, **arrays):  # writes half the model, says so, and waits to be killed
    import io
    buffer = io.BytesIO()
    real_savez(buffer, **arrays)
    f.write(buffer.getvalue()[:len(buffer.getvalue()) // 2])
    f.flush()
    print("half written", flush=True)
    time.sleep(120)
np.savez = slow_savez
from ocr_cli.cli import app
app()
"""


def test_sigkill_while_writing_the_model_leaves_the_old_one_whole(nist_dir, tiny_model, tmp_path):
    out = tmp_path / "m.npz"
    out.write_bytes(tiny_model.read_bytes())
    process = ocr_process("train", "--data", nist_dir, "--hidden", "16", "--epochs", "1", "--out", out, "--force",
                          code=HALF_WRITE)
    assert process.stdout.readline().strip() == "half written"
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=60)
    assert process.returncode == -signal.SIGKILL
    assert out.read_bytes() == tiny_model.read_bytes()
    load_model(out)


@pytest.mark.parametrize("signame, code", [("SIGTERM", 143), ("SIGHUP", 129), ("SIGINT", 130)])
def test_a_signal_while_writing_the_model_leaves_the_old_one_and_no_temporary_file(nist_dir, tiny_model, tmp_path,
                                                                                   signame, code):
    out = tmp_path / "m.npz"
    out.write_bytes(tiny_model.read_bytes())
    process = ocr_process("train", "--data", nist_dir, "--hidden", "16", "--epochs", "1", "--out", out, "--force",
                          code=HALF_WRITE)
    assert process.stdout.readline().strip() == "half written"
    process.send_signal(getattr(signal, signame))
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == code, stderr
    assert stderr.strip().splitlines()[-1] == "ocr: interrupted" and "Traceback" not in stderr
    assert os.listdir(tmp_path) == ["m.npz"] and out.read_bytes() == tiny_model.read_bytes()


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("redirect, code, message", [
    (">/dev/full", 1, "ocr: error: standard output: no space left on device"),
    (">&-", 2, "ocr: error: standard output: closed; the results would be lost (redirect it to a file)"),
])
def test_results_that_cannot_be_written_to_stdout_are_an_error_not_lost(photo, pattern_model, tmp_path, redirect,
                                                                        code, message):
    import shlex

    image = tmp_path / "page.png"
    Image.fromarray(photo).save(image)
    command = shlex.join([sys.executable, "-m", "ocr_cli", "read", str(image), "-m", str(pattern_model)])
    result = subprocess.run(["bash", "-c", f"{command} {redirect}"], capture_output=True, text=True, timeout=60)
    assert result.returncode == code and result.stderr == message + "\n"


@pytest.mark.parametrize("error, message", [
    (ConnectionResetError(errno.ECONNRESET, "Connection reset by peer"), "connection reset by peer (ConnectionResetError)"),
    (OSError(errno.EIO, "Input/output error", "d/nist36_test.mat"), "d/nist36_test.mat: input/output error"),
])
def test_an_os_error_of_no_file_is_not_blamed_on_standard_output(monkeypatch, tiny_model, nist_dir, error, message):
    from ocr_cli.net import data

    def failing(*args, **kwargs):
        raise error

    monkeypatch.setattr(data, "load_dataset", failing)
    assert_fails(run("evaluate", "--model", tiny_model, "--data", nist_dir), 1, f"ocr: error: {message}")


def test_an_os_error_raised_writing_results_names_standard_output():
    from ocr_cli.console import os_failure

    def write(file):  # as click's echo holds it
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError) as info:
        write(sys.stdout)
    assert os_failure(info.value) == "standard output: no space left on device"


def test_a_model_whose_outputs_overflow_is_an_error_with_one_warning_line(photo, pattern_model, tmp_path):
    arrays = dict(np.load(pattern_model, allow_pickle=False))
    for name in arrays:
        if name.startswith("W"):
            arrays[name] = (arrays[name].astype(np.float64) * 3e37).astype(np.float32)  # relu: inf, then NaN
    huge = tmp_path / "huge.npz"
    np.savez(huge, **arrays)
    image = tmp_path / "page.png"
    Image.fromarray(photo).save(image)
    result = run("read", image, "--model", huge)
    assert result.exit_code == 1
    error, warning = result.stderr.splitlines()
    assert error == "ocr: error: model: its outputs overflow (not finite numbers): its weights are too large to read with"
    assert warning.startswith("ocr: warning: RuntimeWarning: overflow encountered")
