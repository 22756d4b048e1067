"""Bad input files are named and refused in one line, in bounded memory: special files
(FIFOs, devices, pipes, symlink loops), unreadable files in a batch, small files that
declare huge arrays or images, and data or images on an unexpected scale."""

import io
import os
import resource
import struct
import subprocess
import sys
import warnings
import zlib

import numpy as np
import pytest
import scipy.sparse
from conftest import synthetic_split
from PIL import Image
from scipy.io import savemat
from typer.testing import CliRunner

from ocr_cli.batch import attempt
from ocr_cli.cli import app
from ocr_cli.errors import InputError, existing_file

runner = CliRunner()
X, Y = synthetic_split(1, 0)  # (36, 1024) in 0..1, (36, 36) one-hot
LIMIT = 1 << 30  # address space of a limited subprocess: ocr needs ~0.6 GB; a regression fails fast


def run(*args, **kwargs):
    return runner.invoke(app, [str(a) for a in args], env={"OCR_DATA": None}, **kwargs)


def one_line(stderr):
    """The single ``ocr: error: ...`` line of ``stderr`` (asserting there is only it)."""
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ocr: error: ") and "Traceback" not in stderr, stderr
    return lines[0]


def assert_refused(result, message, code=2):
    assert result.exit_code == code, result.output
    assert one_line(result.stderr) == f"ocr: error: {message}"


def limited():
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT, LIMIT))


def ocr(*args, stdin=subprocess.DEVNULL, limit=True, env=None):
    """``ocr ARGS`` in a new process (1 GiB of address space, 60 s at most): (code, stderr)."""
    done = subprocess.run([sys.executable, "-c", "from ocr_cli.cli import app; app()", *map(str, args)],
                          stdin=stdin, capture_output=True, text=True, timeout=60,
                          preexec_fn=limited if limit else None,
                          env={**os.environ, "OCR_DATA": "", "OPENBLAS_NUM_THREADS": "1", **(env or {})})
    return done.returncode, done.stderr


@pytest.fixture(scope="module")
def photo(tmp_path_factory):
    """A small grey PNG with two dark blocks (something to find)."""
    image = np.full((60, 200), 230, np.uint8)
    image[20:40, 20:30] = image[20:40, 60:70] = 10
    path = tmp_path_factory.mktemp("photo") / "photo.png"
    Image.fromarray(image).save(path)
    return path


# ---------------------------------------------------------------- special files


def special_files(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    (tmp_path / "loop1").symlink_to(tmp_path / "loop2")
    (tmp_path / "loop2").symlink_to(tmp_path / "loop1")
    (tmp_path / "dangling").symlink_to(tmp_path / "gone")
    return {fifo: "is a FIFO, not a file", "/dev/zero": "is a device, not a file",
            "/dev/urandom": "is a device, not a file", "/dev/null": "is a device, not a file",
            tmp_path / "loop1": "is a symlink loop, not a file",
            tmp_path / "dangling": f"is a broken symlink (to '{tmp_path / 'gone'}', which does not exist)"}


IMAGE_HINT = " (pass - to read an image from standard input)"


def test_existing_file_says_what_a_special_file_is(tmp_path):
    for path, problem in special_files(tmp_path).items():
        with pytest.raises(InputError) as info:
            existing_file(path, "a model file")
        assert str(info.value) == f"{path}: {problem}"
    with pytest.raises(InputError) as info:
        existing_file(tmp_path / "fifo", "an image")
    assert str(info.value) == f"{tmp_path / 'fifo'}: is a FIFO, not a file{IMAGE_HINT}"


def test_special_files_as_image_data_and_model_never_hang(tmp_path, photo, tiny_model, pattern_model):
    """In new processes, so that a read that blocks on the FIFO fails by its timeout."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for args, problem in ((["read", fifo, "--model", pattern_model], "is a FIFO, not a file" + IMAGE_HINT),
                          (["evaluate", "--model", tiny_model, "--test", fifo], "is a FIFO, not a file"),
                          (["read", photo, "--model", fifo], "is a FIFO, not a file")):
        code, stderr = ocr(*args, limit=False)
        assert code == 2 and one_line(stderr) == f"ocr: error: {fifo}: {problem}", stderr


@pytest.mark.parametrize("role", ["image", "data", "model"])
def test_devices_and_symlinks_as_image_data_and_model(role, tmp_path, photo, tiny_model, pattern_model):
    for path, problem in special_files(tmp_path).items():
        if "FIFO" in problem:
            continue  # test_special_files_as_image_data_and_model_never_hang
        args = {"image": ["read", path, "--model", pattern_model], "data": ["evaluate", "--model", tiny_model, "--test", path],
                "model": ["read", photo, "--model", path]}[role]
        hint = IMAGE_HINT if role == "image" and "FIFO" in problem else ""
        assert_refused(run(*args), f"{path}: {problem}{hint}")


def test_piped_dev_stdin_is_named_a_pipe_and_dash_still_reads_stdin(photo, pattern_model):
    process = subprocess.run([sys.executable, "-c", "from ocr_cli.cli import app; app()", "read", "/dev/stdin",
                              "--model", str(pattern_model)], input=photo.read_bytes(), capture_output=True, timeout=60)
    assert process.returncode == 2
    assert one_line(process.stderr.decode()) == f"ocr: error: /dev/stdin: is a pipe, not a file{IMAGE_HINT}"
    piped = run("find-letters", "-", input=photo.read_bytes())
    assert piped.exit_code == 0 and "2 characters" in piped.stdout, piped.output


def test_dash_as_a_model_or_data_file_is_refused(photo, tiny_model):
    assert_refused(run("read", photo, "--model", "-"), "-: standard input cannot be read as a model file; name a file")
    assert_refused(run("evaluate", "--model", tiny_model, "--test", "-"),
                   "-: standard input cannot be read as a .mat file; name a file")


@pytest.mark.parametrize("content,problem", [
    (b"photo.png\n\xff\xfe.png\n", "line 2 is not UTF-8 text (byte 0xff); a list names one image per line in UTF-8"),
    (b"photo.png\nph\x00oto.png\n", "line 2 holds a NUL byte, which no file name can hold"),
])
def test_a_list_that_is_not_text_is_refused_before_anything_is_made(content, problem, photo, pattern_model, tmp_path):
    listing = tmp_path / "list.txt"
    listing.write_bytes(content)
    for args in (["read"], ["read", "-o", tmp_path / "out"], ["find-letters", "--plot", tmp_path / "figs"]):
        assert_refused(run(*args, f"@{listing}", "--model", pattern_model), f"{listing}: {problem}")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["list.txt"]
    assert_refused(run("read", "@/dev/stdin", "--model", pattern_model, input=content), f"/dev/stdin: {problem}")


def test_a_list_on_standard_input_is_read(photo, pattern_model):
    for name in ("@/dev/stdin", "@-"):
        listed = run("find-letters", name, "--model", pattern_model, input=f"{photo}\n".encode())
        assert listed.exit_code == 0 and "2 characters" in listed.stdout, listed.output


def test_standard_input_is_read_once_and_named_dash_in_messages(photo, pattern_model, tmp_path):
    for twice in (["-", "-"], ["-", "@-"], ["@/dev/stdin", "-"]):
        assert_refused(run("read", *twice, "--model", pattern_model, input=photo.read_bytes()),
                       f"{twice[1]}: standard input is named twice; it can be read once")
    other = tmp_path / "sub" / "stdin.png"
    other.parent.mkdir()
    other.write_bytes(photo.read_bytes())
    figures = tmp_path / "figs"
    assert_refused(run("read", "-", other, "--plot", figures, "--model", pattern_model, input=photo.read_bytes()),
                   f"{figures / 'stdin_read.png'}: would hold the figures of both '-' and '{other}'")


# ---------------------------------------------------------------- unreadable files in a batch


@pytest.fixture
def denied(monkeypatch):
    """Files whose opening fails with EACCES, as chmod 000 does for anyone but root."""
    refused = set()
    real_open = os.open

    def fake_open(path, flags, *args, **kwargs):
        if str(path) in refused:
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", fake_open)
    return refused


def batch_of_three(tmp_path, photo):
    paths = [tmp_path / name for name in ("a.png", "bad.png", "c.png")]
    for path in paths:
        path.write_bytes(photo.read_bytes())
    return paths


def test_an_unreadable_file_in_a_batch_is_named_and_the_rest_read(tmp_path, photo, denied):
    a, bad, c = batch_of_three(tmp_path, photo)
    denied.add(str(bad))
    result = run("find-letters", a, bad, c)
    assert result.exit_code == 1, result.output
    assert one_line(result.stderr) == f"ocr: error: {bad}: permission denied"
    assert f"{a}: 2 characters" in result.stdout and f"{c}: 2 characters" in result.stdout
    single = run("find-letters", bad)
    assert_refused(single, f"{bad}: permission denied")


def test_click_does_not_stop_a_batch_over_one_unreadable_file(tmp_path, photo, denied, monkeypatch):
    a, bad, c = batch_of_three(tmp_path, photo)
    denied.add(str(bad))
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode, **kw: str(path) != str(bad) and real_access(path, mode, **kw))
    result = run("find-letters", a, bad, c)
    assert result.exit_code == 1 and one_line(result.stderr) == f"ocr: error: {bad}: permission denied"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permission bits")
def test_a_chmod_000_file_in_a_batch(tmp_path, photo):
    a, bad, c = batch_of_three(tmp_path, photo)
    bad.chmod(0)
    code, stderr = ocr("find-letters", a, bad, c)
    assert code == 1 and one_line(stderr) == f"ocr: error: {bad}: permission denied"


def test_os_errors_while_reading_one_file_fail_that_file_alone():
    def work(path):
        raise PermissionError(13, "Permission denied", path)

    result, error = attempt(work, "x.png")
    assert result is None and isinstance(error, InputError) and str(error) == "x.png: permission denied"
    result, error = attempt(lambda path: (_ for _ in ()).throw(OSError(5, "Input/output error")), "y.png")
    assert error.exit_code == 1 and str(error) == "y.png: input/output error"


# ---------------------------------------------------------------- memory: .mat files


def declaring(path, rows, columns=1024):
    """A .mat file whose headers declare ``train_data`` of ``rows`` x ``columns`` (and
    ``train_labels`` of ``rows`` x 36) while holding a few bytes: the dimensions of a
    small uncompressed file, rewritten."""
    buffer = io.BytesIO()
    savemat(buffer, {"train_data": np.ones((7, 11), np.uint8), "train_labels": np.zeros((7, 36), np.uint8)})
    content = buffer.getvalue()
    for old, new in (((7, 11), (rows, columns)), ((7, 36), (rows, 36))):
        content = content.replace(struct.pack("<ii", *old), struct.pack("<ii", *new), 1)
    path.write_bytes(content)
    return path


@pytest.mark.parametrize("rows,columns,problem", [
    (10 ** 6, 1024, "'train_data' has 1,000,000 rows, 3.8 GiB as float32; the most ocr loads is 262,144 rows (1 GiB)"),
    (10 ** 9, 10 ** 9, "'train_data' has shape (1000000000, 1000000000); expected (N, 1024) rows of 32x32 images"),
    (262_144, 1024, "'train_data' has 262,144 rows of uint8: loading them takes 1.4 GB (as stored and as float32), "
                    "over the 1.1 GB data may take (75% of the 1.5 GB memory budget; $OCR_MEMORY sets it)"),
])
def test_huge_declared_data_is_refused_from_the_headers(rows, columns, problem, tmp_path, tiny_model):
    path = declaring(tmp_path / "huge.mat", rows, columns)
    code, stderr = ocr("evaluate", "--model", tiny_model, "--test", path)
    assert code == 2 and one_line(stderr) == f"ocr: error: {path}: {problem}", stderr


def test_only_the_chosen_pair_is_loaded(tmp_path, tiny_model):
    """A huge other variable beside a good pair is never loaded."""
    good = tmp_path / "good.mat"
    savemat(good, {"test_data": X, "test_labels": Y})
    junk = declaring(tmp_path / "junk.mat", 10 ** 9, 10 ** 9).read_bytes()[128:]
    junk = junk.replace(b"train_data", b"big_array1").replace(b"train_labels", b"big_array2xx")
    (tmp_path / "both.mat").write_bytes(good.read_bytes() + junk)
    code, stderr = ocr("evaluate", "--model", tiny_model, "--test", tmp_path / "both.mat")
    assert code == 0 and "Traceback" not in stderr, stderr


def mat(tmp_path, name, **variables):
    path = tmp_path / name
    savemat(path, variables)
    return path


def test_values_a_rounding_error_over_1_are_accepted(tmp_path, tiny_model):
    edge = X.astype(np.float32)
    edge[0, 0] = np.float32(1.0000001)
    assert run("evaluate", "--model", tiny_model, "--test", mat(tmp_path, "edge.mat", train_data=edge,
                                                                    train_labels=Y)).exit_code == 0


@pytest.mark.parametrize("high,shown", [(np.float32(1.001), "1.001"), (1.0000123, "1.0000123"), (np.uint8(255), "255")])
def test_values_out_of_range_print_their_span(high, shown, tmp_path, tiny_model):
    data = X.astype(np.asarray(high).dtype)
    data[0, 0] = high
    path = mat(tmp_path, "over.mat", train_data=data, train_labels=Y)
    assert_refused(run("evaluate", "--model", tiny_model, "--test", path),
                   f"{path}: 'train_data' values span 0..{shown}; expected 0..1 (ink 0, paper 1)")


def test_several_pairs_pick_the_one_named_like_the_file_or_say_what_to_do(tmp_path, tiny_model):
    pairs = dict(train_data=X, train_labels=Y, valid_data=X, valid_labels=Y)
    assert run("evaluate", "--model", tiny_model, "--test", mat(tmp_path, "nist36_valid.mat", **pairs)).exit_code == 0
    path = mat(tmp_path, "mixed.mat", **pairs)
    assert_refused(run("evaluate", "--model", tiny_model, "--test", path),
                   f"{path}: holds several splits (train, valid), none of them 'test' (the split it is read as); "
                   "ocr reads one '<split>_data'/'<split>_labels' pair per file: save each pair in its own file")
    from ocr_cli.net.data import load_dataset

    assert load_dataset(path, prefer="valid").X.shape == (36, 1024)
    with pytest.raises(InputError, match=r"several splits \(train, valid\), none of them 'test'"):
        load_dataset(path, prefer="test")


def test_ocr_data_naming_a_file(tmp_path, tiny_model):
    path = tmp_path / "nist36_test.mat"
    savemat(path, {"test_data": X, "test_labels": Y})
    result = runner.invoke(app, ["evaluate", "--model", str(tiny_model)], env={"OCR_DATA": str(path)})
    assert_refused(result, f"{path}: is a file, not a folder; --data (or $OCR_DATA) names the folder holding "
                           "nist36_{train,valid,test}.mat")
    result = runner.invoke(app, ["evaluate", "--model", str(tiny_model)], env={"OCR_DATA": str(tmp_path / "none")})
    assert_refused(result, f"{tmp_path / 'none'}: no such data directory")


def test_complex_and_sparse_data_are_refused_in_one_line(tmp_path, tiny_model):
    path = mat(tmp_path, "complex.mat", train_data=X + 1j, train_labels=Y)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = run("evaluate", "--model", tiny_model, "--test", path)
    assert_refused(result, f"{path}: 'train_data' holds complex numbers; expected real values")
    assert not caught, [str(w.message) for w in caught]
    path = mat(tmp_path, "sparse.mat", train_data=X, train_labels=scipy.sparse.csc_matrix(Y.astype(float)))
    assert_refused(run("evaluate", "--model", tiny_model, "--test", path),
                   f"{path}: 'train_labels' is a sparse matrix; save it as a full array (full() in MATLAB, "
                   ".toarray() in scipy)")
    path = mat(tmp_path, "text.mat", train_data="hello", train_labels=Y)
    assert_refused(run("evaluate", "--model", tiny_model, "--test", path),
                   f"{path}: 'train_data' is a MATLAB char; expected an array of numbers")


# ---------------------------------------------------------------- memory: images


def png_declaring(path, width, height, colour=0):
    """A valid PNG that declares ``width`` x ``height`` (colour type 0 grey, 6 RGBA) but
    holds almost no data."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, colour, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 16))
                     + chunk(b"IEND", b""))
    return path


@pytest.mark.parametrize("width,height,colour,problem", [
    (12000, 12000, 6, "image is 12000x12000 pixels of RGBA, 576 MB decoded; the most ocr decodes is 450 MB"),
    (10 ** 8, 1, 0, "image is 100000000x1 pixels, 100000000 times as wide as it is tall; the most ocr reads is 100 times"),
    (200, 60000, 0, "image is 200x60000 pixels, 300 times as tall as it is wide; the most ocr reads is 100 times"),
])
def test_huge_or_absurd_images_are_refused_from_the_header(width, height, colour, problem, tmp_path, pattern_model):
    path = png_declaring(tmp_path / "big.png", width, height, colour)
    code, stderr = ocr("read", path, "--model", pattern_model)
    assert code == 2 and one_line(stderr) == f"ocr: error: {path}: {problem}", stderr


def test_a_float_tiff_of_0_to_255_reads_like_its_8_bit_twin(tmp_path, photo):
    grey = np.asarray(Image.open(photo))
    Image.fromarray(grey.astype(np.float32), "F").save(tmp_path / "float.tif")
    as_float, as_bytes = run("find-letters", tmp_path / "float.tif"), run("find-letters", photo)
    assert as_float.exit_code == 0 and as_float.stderr == ""
    assert as_float.stdout.split("\n", 1)[1] == as_bytes.stdout.split("\n", 1)[1] and "2 characters" in as_float.stdout
    from ocr_cli.pipeline.images import to_gray

    np.testing.assert_allclose(to_gray(grey.astype(np.float64) * 257), grey / 255, atol=1e-6)  # 0..65535
    np.testing.assert_allclose(to_gray(np.array([[-1000.0, 1000.0]])), [[0, 1]])  # its own span


def test_a_jpeg_with_a_corrupt_exif_block_reads_without_warnings(tmp_path, photo):
    broken_exif = (b"Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08\x00\x05\x01\x12\x00\x03\xff\xff\xff\xff"
                   b"\x00\x06\x00\x00\xde\xad\xbe\xef")
    path = tmp_path / "exif.jpg"
    Image.open(photo).save(path, quality=95, exif=broken_exif)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = run("find-letters", path)
    assert result.exit_code == 0 and result.stderr == "" and "2 characters" in result.stdout, result.output
    assert not caught, [str(w.message) for w in caught]
    code, stderr = ocr("find-letters", path)  # nor in a real process, where they would reach stderr
    assert code == 0 and stderr == ""
