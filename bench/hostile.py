"""Every hostile case of the README's bad-input table, reproduced: the exact command, its
exit code, its one-line message, its peak memory and the files it changed.

    python bench/hostile.py [--data ../shared/nist36] [--only SUBSTRING]

Prepares a temporary folder once: `d/`, the nist36 train/valid/test files of --data
(default $OCR_DATA, else ../shared/nist36) cut to 1000/300/300 evenly spaced rows (all
36 classes); `m.npz`, a tiny model (`ocr train --data d --hidden 16 --epochs 1`);
`scan.png` and `scan.jpg` from sample_images/page_1.jpg; lists of 40 and 60 images.
Then runs each case (--only: those whose name or command holds SUBSTRING) in that
folder, after making its crafted input (a zip bomb, a 10^6-row .mat, a FIFO, a device
node, crafted model metadata, ...; made when a chosen case needs it). Each command runs as
`/usr/bin/time -f %M ocr ...` in a fresh process (shell features through `bash -c`),
with OPENBLAS_NUM_THREADS=1, without OCR_DATA/OCR_MODEL unless the case sets them, stdin
empty, and a timeout (60 s; 120 s for the slow ones). Signal cases send SIGTERM/SIGHUP to
the ocr process itself after its first output line and list the worker processes (from
/proc) that outlive it.

Prints a Markdown table, one row per case: the command (paths relative to the temporary
folder), the exit code, the first `ocr:` line of stderr (else its first line; truncated
to 110 characters; how many other lines follow; then notes such as the worker processes
seen or the line that says what was written), the peak resident memory in MB
(/usr/bin/time's maximum RSS: of the largest single process, ocr or one of its workers,
not their sum), and the
files created, modified or deleted in the folder other than the case's intended outputs
(`none` if nothing; each entry compared by size and sha256, FIFOs and devices by type).
Below the table: the rows whose exit code or message disagree with the README, that
print a traceback, or that changed files. Takes about five minutes on two cores.
"""

import argparse
import fnmatch
import hashlib
import io
import json
import os
import selectors
import shlex
import shutil
import signal
import stat
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import scipy.io
import scipy.sparse
from PIL import Image

OCR = Path(sys.executable).with_name("ocr")
REPO = Path(__file__).resolve().parents[1]
DEFAULT_MODEL = REPO / "ocr_cli" / "models" / "default.npz"
PAGE = REPO / "sample_images" / "page_1.jpg"
TIME = "/usr/bin/time"
CORES = len(os.sched_getaffinity(0))
ODD_NAME = "a\nb\tc\x1b[31m.jpg"  # a newline, a tab and a terminal escape
NOBODY = "setpriv --reuid=65534 --regid=65534 --clear-groups"
WIDTH = 110  # characters of the message shown


class Skip(Exception):
    """Raised by a set-up that cannot make its input here."""


@dataclass
class Case:
    name: str
    command: list | str  # ocr's arguments, or a bash command line calling `ocr`
    setup: Callable | None = None  # makes the crafted input in the folder; may return a clean-up
    expect: tuple = (2, None)  # README: exit code and a fragment of stderr (None: any, "": none)
    also: tuple = ()  # other acceptable (exit, fragment) pairs
    creates: tuple = ()  # glob patterns of the files the case is meant to write
    env: dict = field(default_factory=dict)
    timeout: int = 60
    during: Callable | None = None  # (process) -> after(); after() -> (note, ok)
    note: Callable | None = None  # (folder, stdout, stderr) -> (note, ok)


# ---------------------------------------------------------------- the base folder


def cut_data(real, folder):
    """``d/nist36_{train,valid,test}.mat``: 1000/300/300 evenly spaced rows of ``real``'s."""
    (folder / "d").mkdir()
    for split, rows in (("train", 1000), ("valid", 300), ("test", 300)):
        mat = scipy.io.loadmat(real / f"nist36_{split}.mat")
        X, Y = mat[f"{split}_data"], mat[f"{split}_labels"]
        keep = np.linspace(0, len(X) - 1, rows).astype(int)
        scipy.io.savemat(folder / "d" / f"nist36_{split}.mat", {f"{split}_data": X[keep], f"{split}_labels": Y[keep]},
                         do_compression=True)


def prepare(folder, real):
    cut_data(real, folder)
    subprocess.run([OCR, "train", "--data", "d", "--hidden", "16", "--epochs", "1", "--out", "m.npz"], cwd=folder,
                   env=environment(), check=True, capture_output=True, timeout=120)
    shutil.copy(PAGE, folder / "scan.jpg")
    Image.open(PAGE).save(folder / "scan.png")
    (folder / "list40.txt").write_text("scan.jpg\n" * 40)
    (folder / "list60.txt").write_text("scan.jpg\n" * 60)
    baseline = subprocess.run([OCR, "read", "scan.png"], cwd=folder, env=environment(), capture_output=True,
                              text=True, timeout=60)
    return baseline.stdout


def environment(extra=None):
    env = {k: v for k, v in os.environ.items() if k not in ("OCR_DATA", "OCR_MODEL")}
    env.update(OPENBLAS_NUM_THREADS="1", PATH=f"{OCR.parent}{os.pathsep}{env.get('PATH', '')}", **(extra or {}))
    return env


def load_split(path):
    mat = scipy.io.loadmat(path)
    split = next(k[:-5] for k in mat if k.endswith("_data"))
    return mat[f"{split}_data"], mat[f"{split}_labels"]


# ---------------------------------------------------------------- memory


def dots_page(folder):
    """The 17,700-dot page: 6x6 black squares at random places on 4000x4000 (about 90 KB)."""
    rng = np.random.default_rng(0)
    image = np.full((4000, 4000), 255, np.uint8)
    for y, x in rng.integers(0, 3994, (17_700, 2)):
        image[y:y + 6, x:x + 6] = 0
    Image.fromarray(image).save(folder / "dots.png", optimize=True)


def zip_bomb_model(folder):
    """The tiny model ``m.npz`` with 'W1' replaced by a member of compressed zeros whose
    header declares (1024, 2^20) float32: 4 GiB of zeros, really written (deflated to ~19 MB)."""
    with np.load(folder / "m.npz", allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    zeros = bytes(1 << 24)
    with zipfile.ZipFile(folder / "bomb.npz", "w", zipfile.ZIP_DEFLATED, compresslevel=2) as archive:
        for key, array in arrays.items():
            if key != "W1":
                with archive.open(f"{key}.npy", "w") as member:
                    np.lib.format.write_array(member, array)
                continue
            with archive.open("W1.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array_header_2_0(
                    member, {"descr": "<f4", "fortran_order": False, "shape": (1024, 1 << 20)})
                for _ in range((1024 << 22) // len(zeros)):
                    member.write(zeros)


def million_rows_mat(folder):
    """10^6 rows of zeros (uint8) and one-hot labels: 1 GB of data in a 1 MB .mat."""
    labels = np.zeros((10 ** 6, 36), np.uint8)
    labels[:, 0] = 1
    scipy.io.savemat(folder / "rows.mat", {"train_data": np.zeros((10 ** 6, 1024), np.uint8),
                                           "train_labels": labels}, do_compression=True)


def rgba_png(folder):
    """12000x12000 RGBA, white but for one black bar (about 580 KB)."""
    image = Image.new("RGBA", (12000, 12000), (255, 255, 255, 255))
    image.paste((0, 0, 0, 255), (5000, 5000, 5100, 5040))
    image.save(folder / "big.png", optimize=True)


def wide_png(folder):
    Image.new("L", (10 ** 8, 1), 255).save(folder / "wide.png", optimize=True)


def zero_rows_mat(folder):
    """262,144 rows of zeros (doubles) and one-hot labels, the most rows a file may hold:
    2 GB stored and 1 GB as float32 in a 2 MB .mat."""
    if (folder / "zeros.mat").exists():
        return
    labels = np.zeros((262_144, 36))
    labels[:, 0] = 1
    scipy.io.savemat(folder / "zeros.mat", {"test_data": np.zeros((262_144, 1024)), "test_labels": labels},
                     do_compression=True)


def wide_model(name, filters):
    """A model of a 1x1 convolution of ``filters`` filters, one back to one channel and a
    dense output (tests/test_limits.py): 180 KB for 2,000 filters, whose activations
    take 16 MB per row."""
    def setup(folder):
        layers = [{"type": "reshape", "shape": [32, 32, 1]},
                  {"type": "conv", "size": 1, "channels": 1, "filters": filters, "activation": "relu"},
                  {"type": "conv", "size": 1, "channels": filters, "filters": 1, "activation": "relu"},
                  {"type": "reshape", "shape": [1024]}, {"type": "dense", "in": 1024, "out": 36, "activation": "linear"}]
        rng = np.random.default_rng(0)
        arrays = {"W1": rng.normal(0, 0.1, (1, filters)), "b1": np.zeros(filters), "W2": rng.normal(0, 0.01, (filters, 1)),
                  "b2": np.zeros(1), "W4": rng.normal(0, 0.01, (1024, 36)), "b4": np.zeros(36)}
        metadata = {"format": "ocr-mlp", "version": 2, "task": "classify",
                    "classes": "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", "layers": layers}
        np.savez(folder / name, metadata=np.array(json.dumps(metadata)),
                 **{k: v.astype(np.float32) for k, v in arrays.items()})
    return setup


def declaring_mat(folder):
    """A .mat whose headers declare 'train_data' of 10^9 x 10^9 (tests/test_inputs.py)."""
    buffer = io.BytesIO()
    scipy.io.savemat(buffer, {"train_data": np.ones((7, 11), np.uint8), "train_labels": np.zeros((7, 36), np.uint8)})
    content = buffer.getvalue()
    for old, new in (((7, 11), (10 ** 9, 10 ** 9)), ((7, 36), (10 ** 9, 36))):
        content = content.replace(struct.pack("<ii", *old), struct.pack("<ii", *new), 1)
    (folder / "huge.mat").write_bytes(content)


# ---------------------------------------------------------------- outputs and special files


def existing_files(folder):
    Image.new("L", (8, 8), 255).save(folder / "existing.png")
    (folder / "afile").write_text("a regular file\n")
    (folder / "adir").mkdir(exist_ok=True)


def fifo(name):
    def setup(folder):
        if not (folder / name).exists():
            os.mkfifo(folder / name)
    return setup


def char_device(folder):
    """A device node like /dev/null (1, 3), made in the folder: a write case never points at
    the real /dev/null."""
    if not (folder / "nulldev").exists():
        try:
            os.mknod(folder / "nulldev", stat.S_IFCHR | 0o666, os.makedev(1, 3))
        except PermissionError:
            raise Skip("skipped (mknod needs root)")


def linked_outputs(folder):
    """``victim.txt``; ``out/scan.txt`` a link to it, ``dangling/scan.txt`` a link to
    ``planted.txt`` (not there), ``figlink.png`` a link to it; ``figs/`` a folder."""
    (folder / "victim.txt").write_text("the victim's text\n")
    for link, target in (("out/scan.txt", "../victim.txt"), ("dangling/scan.txt", "../planted.txt"),
                         ("figlink.png", "victim.txt")):
        (folder / link).parent.mkdir(exist_ok=True)
        if not os.path.lexists(folder / link):
            (folder / link).symlink_to(target)
    (folder / "figs").mkdir(exist_ok=True)


def full_disk(folder):
    """``full/``: a 64 KB tmpfs with 4 KB left (needs root to mount); the clean-up unmounts
    it and puts the filler back as a plain file, so that the folder is as before the case
    (the table shows what the case changed, not the unmounting)."""
    full, filler = folder / "full", bytes(60 * 1024)
    full.mkdir(exist_ok=True)
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(full)], capture_output=True).returncode:
        raise Skip("skipped (mounting a tmpfs needs root)")
    (full / "filler").write_bytes(filler)

    def cleanup():
        subprocess.run(["umount", str(full)], capture_output=True)
        (full / "filler").write_bytes(filler)
    return cleanup


def good_model(folder):
    shutil.copy(folder / "m.npz", folder / "good.npz")


def symlink_loop(folder):
    if not os.path.lexists(folder / "loop1"):
        (folder / "loop1").symlink_to("loop2")
        (folder / "loop2").symlink_to("loop1")


def chmod_batch(folder):
    """a.jpg, bad.jpg (mode 000) and c.jpg; the folder opened to other users for the run."""
    if os.geteuid() == 0 and not shutil.which("setpriv"):
        raise Skip("skipped (root)")
    for name in ("a.jpg", "bad.jpg", "c.jpg"):
        shutil.copy(folder / "scan.jpg", folder / name)
    (folder / "bad.jpg").chmod(0)
    mode = folder.stat().st_mode
    folder.chmod(0o755)
    return lambda: folder.chmod(stat.S_IMODE(mode))


def odd_name(folder):
    shutil.copy(folder / "scan.jpg", folder / ODD_NAME)


# ---------------------------------------------------------------- data files


def small_split(folder):
    return load_split(folder / "d" / "nist36_test.mat")


def sparse_mat(folder):
    X, Y = small_split(folder)
    scipy.io.savemat(folder / "sparse.mat", {"train_data": scipy.sparse.csc_matrix(X), "train_labels": Y})


def complex_mat(folder):
    X, Y = small_split(folder)
    scipy.io.savemat(folder / "complex.mat", {"train_data": X + 1j, "train_labels": Y})


def edge_mat(folder):
    X, Y = small_split(folder)
    X = X.astype(np.float32)
    X[0, 0] = np.float32(1.0000001)
    scipy.io.savemat(folder / "edge.mat", {"train_data": X, "train_labels": Y})


def mixed_mat(folder):
    X, Y = small_split(folder)
    scipy.io.savemat(folder / "mixed.mat", {"train_data": X, "train_labels": Y, "valid_data": X, "valid_labels": Y})


def valid_without_h(folder):
    X, Y = load_split(folder / "d" / "nist36_valid.mat")
    keep = Y.argmax(1) != 7  # H
    scipy.io.savemat(folder / "noH.mat", {"valid_data": X[keep], "valid_labels": Y[keep]})


# ---------------------------------------------------------------- models


def arrays_of(path):
    with np.load(path, allow_pickle=False) as npz:
        return {k: npz[k] for k in npz.files}


def crafted_model(name, text=None, **changes):
    """m.npz with its metadata replaced by ``text(meta)`` or updated by ``changes``
    (tests/test_training_guards.py)."""
    def setup(folder):
        arrays = arrays_of(folder / "m.npz")
        meta = json.loads(str(arrays["metadata"]))
        meta.update(changes)
        arrays["metadata"] = np.array(text(meta) if text else json.dumps(meta))
        np.savez(folder / name, **arrays)
    return setup


def nested(meta, depth=100_000):
    return json.dumps({**meta, "training": None}).replace('"training": null', '"training": ' + "[" * depth + "]" * depth)


def long_version(meta):
    return json.dumps({**meta, "version": 0}).replace('"version": 0', '"version": ' + "7" * 5000)


def overflow_model(folder):
    """m.npz made relu with every weight x 3e37 (tests/test_cli_errors.py)."""
    arrays = arrays_of(folder / "m.npz")
    for name in arrays:
        if name.startswith("W"):
            arrays[name] = (arrays[name].astype(np.float64) * 3e37).astype(np.float32)
    meta = json.loads(str(arrays["metadata"]))
    for layer in meta["layers"]:
        if layer.get("activation") not in (None, "linear"):
            layer["activation"] = "relu"
    arrays["metadata"] = np.array(json.dumps(meta))
    np.savez(folder / "overflow.npz", **arrays)


def reclass(source, target, classes):
    """Writes to ``target`` the model ``source`` with the outputs ``classes`` (by
    character; a class it lacks gets zero weights), its last layer's columns moved to
    match (tests/test_model_classes.py uses it too)."""
    arrays = arrays_of(source)
    meta = json.loads(str(arrays["metadata"]))
    last = max(int(k[1:]) for k in arrays if k.startswith("W"))
    W, b = arrays[f"W{last}"], arrays[f"b{last}"]
    columns = [meta["classes"].find(c) for c in classes]
    arrays[f"W{last}"] = np.stack([W[:, i] if i >= 0 else np.zeros(len(W), W.dtype) for i in columns], 1)
    arrays[f"b{last}"] = np.array([b[i] if i >= 0 else 0 for i in columns], b.dtype)
    meta["layers"][-1]["out"] = len(classes)
    arrays["metadata"] = np.array(json.dumps({**meta, "classes": classes}))
    np.savez(target, **arrays)
    return target


def reclassed(name, classes):
    """The shipped model with the outputs ``classes`` (:func:`reclass`)."""
    return lambda folder: reclass(DEFAULT_MODEL, folder / name, classes) and None


PERMUTED = "".join(np.random.default_rng(1).permutation(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")))


def long_double_model(folder):
    """m.npz with 'W0' as long doubles, one of them 1e4000: finite, but inf as float32."""
    arrays = arrays_of(folder / "m.npz")
    arrays["W0"] = arrays["W0"].astype(np.longdouble)
    arrays["W0"][0, 0] = np.longdouble("1e4000")
    np.savez(folder / "longdouble.npz", **arrays)


def labels_37(folder):
    """d/nist36_test.mat with a 37th label column (not a character) and 100 blank rows of it."""
    X, Y = small_split(folder)
    Y37 = np.zeros((len(Y) + 100, 37), np.uint8)
    Y37[:len(Y), :36], Y37[len(Y):, 36] = Y, 1
    scipy.io.savemat(folder / "labels37.mat", {"test_data": np.concatenate([X, np.ones((100, 1024))]),
                                               "test_labels": Y37}, do_compression=True)


def digits_named(folder):
    """digits_{train,valid}.mat: the digit rows of d/, 10 label columns named by '<split>_classes'."""
    for split in ("train", "valid"):
        X, Y = load_split(folder / "d" / f"nist36_{split}.mat")
        digits = Y.argmax(1) >= 26
        scipy.io.savemat(folder / f"digits_{split}.mat", {f"{split}_data": X[digits], f"{split}_labels": Y[digits][:, 26:],
                                                          f"{split}_classes": "0123456789"})


def same_as(*command):
    """The first line of stdout holding 'accuracy' is the same as ``ocr COMMAND``'s."""
    def note(folder, stdout, stderr):
        other = subprocess.run([OCR, *command], cwd=folder, env=environment(), capture_output=True, text=True,
                               timeout=120).stdout
        line = lambda text: next((l.strip() for l in text.splitlines() if "accuracy" in l), "")
        return f"stdout: {line(stdout)} (`ocr {' '.join(command)}`: {line(other)})", line(stdout) == line(other)
    return note


# ---------------------------------------------------------------- images


def float_tiff(folder):
    grey = np.asarray(Image.open(folder / "scan.png").convert("L"))
    Image.fromarray(grey.astype(np.float32), "F").save(folder / "float.tif")


def exif_jpeg(folder):
    broken_exif = (b"Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08\x00\x05\x01\x12\x00\x03\xff\xff\xff\xff"
                   b"\x00\x06\x00\x00\xde\xad\xbe\xef")
    Image.open(folder / "scan.png").save(folder / "exif.jpg", quality=95, exif=broken_exif)


def int32_tiff(folder):
    """scan.png's grey as 32-bit integers of 0..2^31 (each level x 2^23)."""
    grey = np.asarray(Image.open(folder / "scan.png").convert("L")).astype(np.int32)
    Image.fromarray(grey * 8_388_608, "I").save(folder / "int32.tif", compression="tiff_deflate")


def hot_tiff(folder):
    """scan.png's grey as float32 0..255 with one pixel of 3e38."""
    grey = np.asarray(Image.open(folder / "scan.png").convert("L")).astype(np.float32)
    grey[0, 0] = 3e38
    Image.fromarray(grey, "F").save(folder / "hot.tif", compression="tiff_deflate")


def one_bit_png(folder):
    """15000x10000 1-bit, white but for one black bar (about 31 KB)."""
    image = Image.new("1", (15000, 10000), 1)
    image.paste(0, (5000, 5000, 5100, 5040))
    image.save(folder / "bit1.png", optimize=True)


def sixteen_bit_png(folder):
    """15000x10000 16-bit grey, white but for one black bar (about 316 KB)."""
    grey = np.full((10000, 15000), 65535, np.uint16)
    grey[5000:5040, 5000:5100] = 0
    Image.fromarray(grey).save(folder / "grey16.png")


def palette_png(folder):
    """12000x12000 palette PNG with a transparent colour (about 170 KB)."""
    image = Image.new("L", (12000, 12000), 250)
    image.paste(0, (5000, 5000, 5100, 5040))
    image = image.convert("P")
    image.info["transparency"] = 3
    image.save(folder / "palette.png")


def odd_lists(folder):
    """``nonutf8.txt`` (a 0xff byte on line 2), ``nul.txt`` (a NUL byte on line 2)."""
    (folder / "nonutf8.txt").write_bytes(b"scan.png\n\xff\xfe.png\n")
    (folder / "nul.txt").write_bytes(b"scan.png\nsc\x00an.png\n")


def stdin_namesake(folder):
    """``sub/stdin.png``: a file whose figure would take the name standard input's takes."""
    (folder / "sub").mkdir(exist_ok=True)
    shutil.copy(folder / "scan.png", folder / "sub" / "stdin.png")


def half_mat(folder):
    content = (folder / "d" / "nist36_test.mat").read_bytes()
    (folder / "half.mat").write_bytes(content[:len(content) // 2])


def zip_flagged(name, flags=0, method=None):
    """m.npz with its first member's zip headers marked encrypted (``flags`` 1) or
    compressed by an unknown ``method`` (tests/test_cli_errors.py)."""
    def setup(folder):
        content = bytearray((folder / "m.npz").read_bytes())
        for signature, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
            at = content.find(signature)
            content[at + flag_at] |= flags
            if method is not None:
                content[at + flag_at + 2:at + flag_at + 4] = struct.pack("<H", method)
        (folder / name).write_bytes(bytes(content))
    return setup


def silent_listener(folder):
    """A socket of this process that listens on a free port (``silent.port``) and never
    answers; the clean-up closes it."""
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    (folder / "silent.port").write_text(str(listener.getsockname()[1]))
    return listener.close


def http_server(folder):
    """An HTTP server of this process on a free port (``http.port``), in a thread; the
    clean-up stops it."""
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):  # (its log would interleave with the progress lines)
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    (folder / "http.port").write_text(str(server.server_address[1]))

    def cleanup():
        server.shutdown()
        server.server_close()
    return cleanup


# ---------------------------------------------------------------- processes


def children_of(pid):
    """Live (not zombie) processes whose parent is ``pid``, from /proc."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry))
    return found


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def first_line(process, stream, deadline=60):
    """Reads both pipes until ``stream`` ('stdout' or 'stderr') holds a whole line (or
    ends); keeps what was read in ``process.early`` for run_case."""
    selector = selectors.DefaultSelector()
    for name in ("stdout", "stderr"):
        selector.register(getattr(process, name), selectors.EVENT_READ, name)
    end = time.monotonic() + deadline
    while b"\n" not in process.early[stream] and time.monotonic() < end:
        for key, _ in selector.select(timeout=1):
            chunk = os.read(key.fileobj.fileno(), 65536)
            process.early[key.data] += chunk
            if not chunk:
                selector.unregister(key.fileobj)
                if key.data == stream:
                    end = 0
    selector.close()


def ocr_pid(process):
    """The ocr process: the child of /usr/bin/time."""
    for _ in range(100):
        children = children_of(process.pid)
        if children:
            return children[0]
        time.sleep(0.05)
    return process.pid


def signal_at_first_line(signum, stream="stdout"):
    """Sends ``signum`` to ocr after its first ``stream`` line; afterwards, the worker
    processes it had then that are still alive (none are expected)."""
    def during(process):
        first_line(process, stream)
        line = process.early[stream].decode(errors="replace").split("\n")[0]
        pid = ocr_pid(process)
        workers = children_of(pid)
        os.kill(pid, signum)

        def after():
            time.sleep(0.5)
            left = [w for w in workers if alive(w)]
            seen = f"{signal.Signals(signum).name} after the {stream} line '{printable(line)[:40]}…'"
            if not workers:
                return seen, True
            return f"{seen}; {len(workers)} workers then, {len(left)} left after", not left
        return after
    return during


# SIGINT this long after the ocr process exists: past Python's own start (which no code
# of ocr's can guard), while the command line's modules are still imported.
EARLY_SIGINT = 0.05


def sigint_at_start(process):
    """SIGINT to ocr :data:`EARLY_SIGINT` seconds after its process exists."""
    pid = ocr_pid(process)
    time.sleep(EARLY_SIGINT)
    os.kill(pid, signal.SIGINT)
    return lambda: (f"SIGINT {EARLY_SIGINT * 1000:.0f} ms after the process started", True)


def count_workers(process):
    first_line(process, "stdout")
    workers = children_of(ocr_pid(process))
    return lambda: (f"{len(workers)} worker processes at the first line ({CORES} cores)", 0 < len(workers) <= CORES)


# ---------------------------------------------------------------- notes


def output_line(fragment):
    """The first line of stdout, else of stderr, holding ``fragment``."""
    def note(folder, stdout, stderr):
        for name, text in (("stdout", stdout), ("stderr", stderr)):
            lines = [line for line in text.splitlines() if fragment in line]
            if lines:
                return f"{name}: {printable(lines[0])}", True
        return f"no line says {fragment!r}", False
    return note


def second_line(prefix):
    def note(folder, stdout, stderr):
        lines = stderr.strip().splitlines()
        line = printable(lines[1]) if len(lines) > 1 else ""
        return f"then: {line[:50]}…", len(lines) == 2 and line.startswith(prefix)
    return note


def batch_read(folder, stdout, stderr):
    read = [name for name in ("a.jpg", "c.jpg") if f"==> {name} <==" in stdout]
    return f"read: {', '.join(read) or 'neither a.jpg nor c.jpg'}", len(read) == 2


def same_text(baseline):
    def note(folder, stdout, stderr):
        same = stdout.strip() == baseline.strip()
        return ("same text as scan.png" if same else "text differs from scan.png's"), same
    return note


def text_lines(folder, stdout, stderr):
    lines = stdout.strip().splitlines()
    return (f"stdout: {len(lines)} lines" if lines else "stdout: no text"), True


def odd_header(folder, stdout, stderr):
    headers = [line for line in stdout.splitlines() if line.startswith("==> ")]
    shown = [line for line in headers if "scan.jpg" not in line]
    escaped = r"a\nb\tc\x1b[31m.jpg"
    return (f"stdout header: {printable(shown[0])}" if shown else "no header for the odd name",
            bool(shown) and escaped in shown[0])


def leftovers(name):
    """Notes the files in ``name`` other than the filler of :func:`full_disk`: none may be
    a torn result or a temporary file."""
    def note(folder, stdout, stderr):
        left = sorted(p.name for p in (folder / name).iterdir() if p.name != "filler")
        return (f"{name}/ holds {', '.join(left)}" if left else f"nothing left in {name}/"), not left
    return note


def whole_figures(name):
    """Notes whether every PNG in ``name`` opens whole and no temporary file is there."""
    def note(folder, stdout, stderr):
        files = sorted((folder / name).iterdir()) if (folder / name).is_dir() else []
        torn = [p.name for p in files if p.suffix != ".png" or not whole_png(p)]
        return (f"{len(files) - len(torn)} whole figures" + (f"; torn or temporary: {', '.join(torn)}" if torn else ""),
                not torn)
    return note


def whole_png(path):
    try:
        with Image.open(path) as image:
            image.load()
        return True
    except Exception:  # noqa: BLE001 - any failure to decode is a torn file
        return False


def nothing_at(path):
    return lambda folder, stdout, stderr: (f"{path} exists" if os.path.lexists(path) else f"no {path}",
                                           not os.path.lexists(path))


# ---------------------------------------------------------------- the cases


def cases(data, baseline):
    d_args = ["--model", "m.npz", "--data", "d"]
    interrupted = (143, "ocr: interrupted")
    exists = "already exists; pass --force to overwrite it"
    return [
        Case("control: the sample page", ["read", "scan.png"], expect=(0, ""), note=text_lines),

        Case("memory: 17,700 solid dots on 4000x4000", ["read", "dots.png"], dots_page, (0, None),
             also=((2, "not a page of text"),), note=text_lines),
        Case("memory: model of compressed zeros declaring 4 GB", ["evaluate", "--model", "bomb.npz", "--data", "d"], zip_bomb_model,
             (2, "array 'W1' declares shape (1024, 1048576) of float32 (4.0 GB); a model holds at most 1.0 GB")),
        Case("memory: 1 MB .mat of 10^6 rows", ["evaluate", "--model", "m.npz", "--test", "rows.mat"], million_rows_mat,
             (2, "'train_data' has 1,000,000 rows, 3.8 GiB as float32; the most ocr loads is 262,144 rows (1 GiB)")),
        Case("memory: 2 MB .mat of 262,144 zero rows (evaluate)", ["evaluate", "--model", "m.npz", "--test", "zeros.mat"],
             zero_rows_mat, (0, ""), note=output_line("accuracy")),
        Case("memory: 2 MB .mat of 262,144 zero rows (train)",
             ["train", "--train", "zeros.mat", "--data", "d", "--hidden", "16", "--out", "z.npz"], zero_rows_mat,
             (2, "zeros.mat: training on 262,144 rows holds them twice (as loaded and each epoch shuffled): with the "
                 "validation rows 2.1 GB, over the 1.5 GB memory budget")),
        Case("memory: 180 KB model, a 1x1 conv of 2,000 filters (evaluate)",
             ["evaluate", "--model", "wide.npz", "--data", "d"], wide_model("wide.npz", 2000), (0, ""),
             note=output_line("accuracy")),
        Case("memory: 180 KB model, a 1x1 conv of 2,000 filters (read)", ["read", "scan.png", "--model", "wide.npz"],
             wide_model("wide.npz", 2000), (0, None), note=text_lines),
        Case("memory: model of which one row needs 1.6 GB", ["evaluate", "--model", "wider.npz", "--data", "d"],
             wide_model("wider.npz", 200_000), (2, "one row through its layers needs 1.6 GB of activations, over the "
                                                   "375 MB a batch may take")),
        Case("memory: training batch over the budget",
             ["train", "--data", "d", "--layer", "conv size=1 filters=2000", "--batch-size", "64", "--out", "wb.npz"],
             expect=(2, "--batch-size: a batch of 64 rows through these layers needs 2.4 GB of activations and "
                        "gradients")),
        Case("memory: OCR_MEMORY=lots", ["evaluate", "--model", "m.npz", "--data", "d"], env={"OCR_MEMORY": "lots"},
             expect=(2, "$OCR_MEMORY: 'lots' is not a memory budget of at least 100 MB (e.g. 1.5G, 800M)")),
        Case("memory: 12000x12000 RGBA PNG", ["read", "big.png"], rgba_png,
             (2, "image is 12000x12000 pixels of RGBA, 576 MB decoded; the most ocr decodes is 450 MB")),
        Case("memory: 1 x 10^8 PNG", ["read", "wide.png"], wide_png,
             (2, "image is 100000000x1 pixels, 100000000 times as wide as it is tall; the most ocr reads is 100 times")),

        Case("outputs: --plot is the input", ["read", "scan.png", "--plot", "scan.png"],
             expect=(2, "is one of the inputs; refusing to overwrite it"), also=((2, exists),)),
        Case("outputs: --plot is the input, --force", ["read", "scan.png", "--plot", "scan.png", "--force"],
             expect=(2, "is one of the inputs; refusing to overwrite it")),
        Case("outputs: find-letters figure exists", ["find-letters", "scan.png", "--plot", "existing.png"],
             existing_files, (2, exists)),
        Case("outputs: confusion figure exists", ["confusion", *d_args, "--plot", "existing.png"], existing_files,
             (2, exists)),
        Case("outputs: read figure exists", ["read", "scan.png", "--plot", "existing.png"], existing_files, (2, exists)),
        Case("outputs: train --out is the train file",
             ["train", "--train", "d/nist36_train.mat", "--valid", "d/nist36_valid.mat", "--out", "d/nist36_train.mat",
              "--force"], expect=(2, "is one of the inputs; refusing to overwrite it")),
        Case("outputs: train --out is a FIFO", ["train", "--data", "d", "--out", "fifo.npz", "--force"],
             fifo("fifo.npz"), (2, "is a named pipe (FIFO), not a regular file; refusing to replace it")),
        Case("outputs: train --out is a device node (1, 3)", ["train", "--data", "d", "--out", "nulldev", "--force"],
             char_device, (2, "is a device, not a regular file; refusing to replace it")),

        Case("writes: -o holds a link to a file outside, --force", ["read", "scan.png", "-o", "out", "--force"],
             linked_outputs, (2, "out/scan.txt: is a symbolic link (to '../victim.txt'); refusing to write through it")),
        Case("writes: -o holds a dangling link", ["read", "scan.png", "-o", "dangling"], linked_outputs,
             (2, "is a symbolic link (to '../planted.txt'); refusing to write through it"),
             note=nothing_at("planted.txt")),
        Case("writes: --plot is a link, --force", ["find-letters", "scan.png", "--plot", "figlink.png", "--force"],
             linked_outputs, (2, "figlink.png: is a symbolic link (to 'victim.txt'); refusing to write through it")),
        Case("writes: --plot and --crops one file", ["find-letters", "scan.png", "--plot", "same.png", "--crops",
                                                     "same.png"],
             expect=(2, "same.png: is also another output of this command; give each output its own name")),
        Case("writes: train --out inside its --plot folder", ["train", "--data", "d", "--epochs", "1", "--out",
                                                              "figs/loss.png", "--plot", "figs"], linked_outputs,
             (2, "figs/loss.png: is also another output of this command")),
        Case("writes: autoencode --out inside its --plot folder",
             ["autoencode", "--data", "d", "--epochs", "1", "--out", "figs/ae_loss.png", "--plot", "figs"],
             linked_outputs, (2, "figs/ae_loss.png: is also another output of this command")),
        Case("writes: train --out q --plot q", ["train", "--data", "d", "--epochs", "1", "--out", "q", "--plot", "q"],
             expect=(2, "q: is also another output of this command")),
        Case("writes: two read -o same at once",
             "ocr read scan.png -o same & ocr read scan.png -o same; b=$?; wait $!; a=$?; exit $((a > b ? a : b))",
             expect=(1, "changed while this command ran"), also=((2, exists),), creates=("same", "same/scan.txt")),
        Case("writes: two train --out same.npz at once",
             "ocr train --data d --epochs 40 --out same.npz & ocr train --data d --epochs 40 --out same.npz; b=$?; "
             "wait $!; a=$?; exit $((a > b ? a : b))",
             expect=(1, "changed while this command ran"), also=((2, exists),), creates=("same.npz",)),
        Case("writes: read -o on a full disk", ["read", "@list40.txt", "-o", "full", "--format", "hocr"], full_disk,
             (1, "cannot write the result (no space left on device)"), note=leftovers("full")),
        Case("writes: SIGTERM during read -j 2 --plot DIR", ["read", "@list40.txt", "-j", "2", "--plot", "sigfigs"],
             expect=interrupted, creates=("sigfigs", "sigfigs/*.png"), during=signal_at_first_line(signal.SIGTERM),
             note=whole_figures("sigfigs")),

        Case("models: fine-tune the shipped model on the real data",
             ["train", "--data", str(data), "--init", str(DEFAULT_MODEL), "--epochs", "1", "--out", "ft.npz"],
             expect=(0, None), creates=("ft.npz",), timeout=120, note=output_line("valid accuracy")),
        Case("models: diverging fine-tune keeps the old --out",
             ["train", "--data", "d", "--init", "m.npz", "--epochs", "1", "--optimizer", "sgd", "--lr",
              "1000", "--out", "good.npz", "--force"], good_model,
             (1, "lr 1000: training diverged in epoch 1"), timeout=120),
        Case("models: --lr nan", ["train", "--data", "d", "--lr", "nan", "--out", "lr.npz"],
             expect=(2, "--lr: must be a finite number above 0, got nan")),
        Case("models: --lr inf", ["train", "--data", "d", "--lr", "inf", "--out", "lr.npz"],
             expect=(2, "--lr: must be a finite number above 0, got inf")),
        Case("models: --weight-decay inf", ["train", "--data", "d", "--weight-decay", "inf", "--out", "wd.npz"],
             expect=(2, "--weight-decay: must be a finite number of at least 0, got inf")),
        Case("models: autoencode --lr inf", ["autoencode", "--data", "d", "--lr", "inf", "--out", "ae.npz"],
             expect=(2, "--lr: must be a finite number above 0, got inf")),

        Case("inputs: 31 KB 1-bit PNG of 15000x10000", ["read", "bit1.png"], one_bit_png, (0, ""), timeout=120),
        Case("inputs: 316 KB 16-bit PNG of 15000x10000", ["read", "grey16.png"], sixteen_bit_png, (0, ""),
             timeout=120),
        Case("inputs: 12000x12000 palette PNG with transparency", ["read", "palette.png"], palette_png, (0, ""),
             timeout=120),
        Case("inputs: 32-bit integer TIFF (0..2^31)", ["read", "int32.tif"], int32_tiff, (0, ""),
             note=same_text(baseline)),
        Case("inputs: float TIFF with one 3e38 pixel", ["read", "hot.tif"], hot_tiff, (0, ""), note=same_text(baseline)),
        Case("inputs: @LIST with a byte that is not UTF-8", ["read", "@nonutf8.txt"], odd_lists,
             (2, "nonutf8.txt: line 2 is not UTF-8 text (byte 0xff); a list names one image per line in UTF-8")),
        Case("inputs: @LIST with a NUL byte", ["read", "@nul.txt"], odd_lists,
             (2, "nul.txt: line 2 holds a NUL byte, which no file name can hold")),
        Case("inputs: @LIST with a NUL byte, -o", ["read", "@nul.txt", "-o", "nulout"], odd_lists,
             (2, "nul.txt: line 2 holds a NUL byte")),
        Case("inputs: @LIST with a NUL byte, find-letters --plot", ["find-letters", "@nul.txt", "--plot", "nulfigs"],
             odd_lists, (2, "nul.txt: line 2 holds a NUL byte")),
        Case("inputs: @/dev/stdin", "echo scan.png | ocr read @/dev/stdin", expect=(0, ""), note=same_text(baseline)),
        Case("inputs: standard input named twice", "ocr read - - < scan.png",
             expect=(2, "-: standard input is named twice; it can be read once")),
        Case("inputs: - and sub/stdin.png, --plot DIR", "ocr read - sub/stdin.png --plot stdinfigs < scan.png",
             stdin_namesake, (2, "would hold the figures of both '-' and 'sub/stdin.png'")),
        Case("inputs: truncated .mat", ["evaluate", "--model", "m.npz", "--test", "half.mat"], half_mat,
             (2, "half.mat: is truncated or damaged: a variable runs to byte")),
        Case("inputs: model member encrypted", ["evaluate", "--model", "encrypted.npz", "--data", "d"],
             zip_flagged("encrypted.npz", flags=1), (2, "not a readable model file (an array in it is encrypted)")),
        Case("inputs: model member of an unknown compression method", ["read", "scan.png", "--model", "method.npz"],
             zip_flagged("method.npz", method=99),
             (2, "not a readable model file (an array in it is compressed by a method zip does not support")),
        Case("inputs: train --seed -1", ["train", "--data", "d", "--seed", "-1", "--out", "s.npz"],
             expect=(2, "--seed: must be a whole number of at least 0, got -1")),
        Case("inputs: autoencode --seed -1", ["autoencode", "--data", "d", "--seed", "-1", "--out", "s.npz"],
             expect=(2, "--seed: must be a whole number of at least 0, got -1")),
        Case("inputs: --scheduler foo://bar", ["read", "scan.png", "--scheduler", "foo://bar"],
             expect=(2, "--scheduler: 'foo://bar' is not a scheduler address (unknown scheme 'foo'")),
        Case("inputs: --scheduler 'not an address'", ["read", "scan.png", "--scheduler", "not an address"],
             expect=(2, "--scheduler: 'not an address' is not a scheduler address")),
        Case("inputs: --scheduler ws://", ["read", "scan.png", "--scheduler", "ws://"],
             expect=(2, "--scheduler: 'ws://' is not a scheduler address")),
        Case("inputs: --scheduler ''", ["read", "scan.png", "--scheduler", ""],
             expect=(2, "--scheduler: '' is not a scheduler address")),
        Case("inputs: --scheduler at a silent listener", "ocr read scan.png --scheduler tcp://127.0.0.1:$(cat silent.port)",
             silent_listener, (1, "no answer within 11 s")),
        Case("inputs: --scheduler at an HTTP server", "ocr read scan.png --scheduler tcp://127.0.0.1:$(cat http.port)",
             http_server, (1, "no answer within 11 s")),
        Case("inputs: SIGINT as ocr starts", ["read", "scan.png"], expect=(130, "ocr: interrupted"),
             also=((130, ""),),  # (still in Python's own start, before any code of ocr's: ended as the shell ends it)
             during=sigint_at_start),

        Case("processes: SIGTERM during read -j 2", ["read", "@list40.txt", "-j", "2"], expect=interrupted,
             during=signal_at_first_line(signal.SIGTERM)),
        Case("processes: SIGHUP during read -j 2", ["read", "@list40.txt", "-j", "2"], expect=(129, "ocr: interrupted"),
             during=signal_at_first_line(signal.SIGHUP)),
        Case("processes: --jobs 1000 on 60 files", ["read", "@list60.txt", "--jobs", "1000"], expect=(0, None),
             timeout=120, during=count_workers),
        Case("processes: SIGTERM during train", ["train", "--data", "d", "--hidden", "16", "--epochs", "100000",
                                                 "--out", "t.npz"],
             expect=interrupted, timeout=120, during=signal_at_first_line(signal.SIGTERM, "stderr")),

        Case("tracebacks: figure in a missing folder", ["read", "scan.png", "--plot", "missing/x.png"],
             expect=(2, "folder 'missing' does not exist")),
        Case("tracebacks: figure under a file", ["read", "scan.png", "--plot", "afile/x.png"], existing_files,
             (2, "'afile' is not a folder")),
        Case("tracebacks: figure as .txt", ["confusion", *d_args, "--plot", "c.txt"],
             expect=(2, "cannot write a figure as '.txt'; name a png, pdf, svg")),
        Case("tracebacks: figure on a read-only file system", ["find-letters", "scan.png", "--plot", "/sys/x.png"],
             expect=(2, "is not writable"), note=nothing_at("/sys/x.png")),
        Case("tracebacks: MPLBACKEND=NoSuchBackend",
             ["train", "--data", "d", "--epochs", "1", "--plot", "figs", "--out", "t2.npz"],
             env={"MPLBACKEND": "NoSuchBackend"},
             expect=(2, "cannot draw figures: matplotlib rejects MPLBACKEND='NoSuchBackend' (unset it or set it to Agg)")),
        Case("tracebacks: --hidden 10^20", ["train", "--data", "d", "--hidden", "100000000000000000000"],
             expect=(2, "--hidden: these layers would have 1.06e+23 weights (3.95e+14 GB) as float32")),
        Case("tracebacks: --conv 1e20", ["train", "--data", "d", "--conv", "1e20"],
             expect=(2, "--conv: expected whole numbers, got ['1e20']")),
        Case("tracebacks: sparse .mat", ["evaluate", "--model", "m.npz", "--test", "sparse.mat"], sparse_mat,
             (2, "'train_data' is a sparse matrix; save it as a full array (full() in MATLAB, .toarray() in scipy)")),
        Case("tracebacks: autoencode --plot, valid without H",
             ["autoencode", "--train", "d/nist36_train.mat", "--valid", "noH.mat", "--plot", "aefig", "--out",
              "ae2.npz"], valid_without_h, (2, "noH.mat: has no images of class H to show (--classes H,3,U,8,Q)")),
        Case("tracebacks: read > /dev/full", "ocr read scan.png > /dev/full",
             expect=(1, "ocr: error: standard output: no space left on device")),
        Case("tracebacks: evaluate > /dev/full", "ocr evaluate --model m.npz --data d > /dev/full",
             expect=(1, "ocr: error: standard output: no space left on device")),
        Case("tracebacks: metadata nested 100,000 deep", ["evaluate", "--model", "deep.npz", "--data", "d"],
             crafted_model("deep.npz", nested), (2, "'metadata' nests lists or objects more than 16 deep")),
        Case("tracebacks: metadata task is a list", ["evaluate", "--model", "task.npz", "--data", "d"],
             crafted_model("task.npz", task=["classify"]), (2, "metadata 'task' is ['classify']; expected a string")),
        Case("tracebacks: 5000-digit version", ["evaluate", "--model", "digits.npz", "--data", "d"],
             crafted_model("digits.npz", long_version),
             (2, "metadata holds a number of 5000 characters (at most 30 expected)")),
        Case("tracebacks: non-ASCII classes (evaluate)", ["evaluate", "--model", "accent.npz", "--data", "d"],
             crafted_model("accent.npz", classes="ÀBCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
             (2, "metadata 'classes' is 'ÀBCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'; expected distinct printable ASCII characters")),
        Case("tracebacks: non-ASCII classes (read)", ["read", "scan.png", "--model", "accent.npz"],
             crafted_model("accent.npz", classes="ÀBCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
             (2, "metadata 'classes' is 'ÀBCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'; expected distinct printable ASCII characters")),

        Case("misleading: chmod 000 file in a batch (as nobody)",
             f"{NOBODY} ocr read a.jpg bad.jpg c.jpg" if os.geteuid() == 0 else "ocr read a.jpg bad.jpg c.jpg",
             chmod_batch, (1, "bad.jpg: permission denied"), note=batch_read),
        Case("misleading: FIFO as image", ["read", "fifo"], fifo("fifo"),
             (2, "fifo: is a FIFO, not a file (pass - to read an image from standard input)")),
        Case("misleading: /dev/zero as image", ["read", "/dev/zero"], expect=(2, "is a device, not a file")),
        Case("misleading: /dev/urandom as image", ["read", "/dev/urandom"], expect=(2, "is a device, not a file")),
        Case("misleading: /dev/null as image", ["read", "/dev/null"], expect=(2, "is a device, not a file")),
        Case("misleading: piped /dev/stdin as image", "cat scan.jpg | ocr read /dev/stdin",
             expect=(2, "/dev/stdin: is a pipe, not a file (pass - to read an image from standard input)")),
        Case("misleading: symlink loop as image", ["read", "loop1"], symlink_loop,
             (2, "loop1: is a symlink loop, not a file")),
        Case("misleading: FIFO as --test data", ["evaluate", "--model", "m.npz", "--test", "fifo"], fifo("fifo"),
             (2, "fifo: is a FIFO, not a file")),
        Case("misleading: /dev/zero as --test data", ["evaluate", "--model", "m.npz", "--test", "/dev/zero"],
             expect=(2, "/dev/zero: is a device, not a file")),
        Case("misleading: FIFO as --model", ["read", "scan.png", "--model", "fifo"], fifo("fifo"),
             (2, "fifo: is a FIFO, not a file")),
        Case("misleading: /dev/zero as --model", ["read", "scan.png", "--model", "/dev/zero"],
             expect=(2, "/dev/zero: is a device, not a file")),
        Case("misleading: .mat header declaring 10^9 x 10^9", ["evaluate", "--model", "m.npz", "--test", "huge.mat"],
             declaring_mat,
             (2, "'train_data' has shape (1000000000, 1000000000); expected (N, 1024) rows of 32x32 images")),
        Case("misleading: metadata version 1.5", ["evaluate", "--model", "v15.npz", "--data", "d"],
             crafted_model("v15.npz", version=1.5), (2, "metadata 'version' is 1.5; expected a whole number")),
        Case("misleading: data reaching 1.0000001", ["evaluate", "--model", "m.npz", "--test", "edge.mat"], edge_mat,
             (0, None), note=output_line("accuracy")),
        Case("misleading: .mat with two key pairs", ["evaluate", "--model", "m.npz", "--test", "mixed.mat"], mixed_mat,
             (2, "holds several splits (train, valid), none of them 'test' (the split it is read as); ocr reads one "
                 "'<split>_data'/'<split>_labels' pair per file")),
        Case("misleading: confusion --plot without an extension", ["confusion", *d_args, "--plot", "dir"],
             expect=(0, "wrote dir.png"), creates=("dir.png",)),
        Case("misleading: confusion --plot names a directory", ["confusion", *d_args, "--plot", "adir"],
             existing_files, (2, "is a directory; give a file name for the figure")),
        Case("misleading: OCR_DATA names a file", ["evaluate", "--model", "m.npz"],
             env={"OCR_DATA": "d/nist36_test.mat"},
             expect=(2, "is a file, not a folder; --data (or $OCR_DATA) names the folder holding "
                        "nist36_{train,valid,test}.mat")),
        Case("misleading: float32 TIFF of 0..255", ["read", "float.tif"], float_tiff, (0, ""),
             note=same_text(baseline)),
        Case("misleading: stdout closed", "ocr read scan.png >&-",
             expect=(2, "ocr: error: standard output: closed; the results would be lost (redirect it to a file)")),

        Case("noise: JPEG with a corrupt EXIF block", ["read", "exif.jpg"], exif_jpeg, (0, ""), note=text_lines),
        Case("noise: complex .mat", ["evaluate", "--model", "m.npz", "--test", "complex.mat"], complex_mat,
             (2, "'train_data' holds complex numbers; expected real values")),
        Case("models: shipped model, classes permuted (evaluate)", ["evaluate", "--model", "perm.npz", "--data", "d"],
             reclassed("perm.npz", PERMUTED), (0, ""),
             note=same_as("evaluate", "--model", str(DEFAULT_MODEL), "--data", "d")),
        Case("models: shipped model, classes permuted (confusion)", ["confusion", "--model", "perm.npz", "--data", "d"],
             reclassed("perm.npz", PERMUTED), (0, ""),
             note=same_as("confusion", "--model", str(DEFAULT_MODEL), "--data", "d")),
        Case("models: shipped model, classes permuted (read)", ["read", "scan.png", "--model", "perm.npz"],
             reclassed("perm.npz", PERMUTED), (0, ""), note=same_text(baseline)),
        Case("models: shipped model, classes permuted (train --init)",
             ["train", "--data", "d", "--init", "perm.npz", "--epochs", "1", "--out", "ft.npz"],
             reclassed("perm.npz", PERMUTED), (0, "fine-tuning perm.npz with adam"), creates=("ft.npz",),
             note=output_line("saved ft.npz")),
        Case("models: digits-only model (evaluate)", ["evaluate", "--model", "digits.npz", "--data", "d"],
             reclassed("digits.npz", "0123456789"), (0, "rows of classes the model does not read left out"),
             note=output_line("accuracy")),
        Case("models: digits-only model (confusion)", ["confusion", "--model", "digits.npz", "--data", "d"],
             reclassed("digits.npz", "0123456789"), (0, "rows of classes the model does not read left out"),
             note=output_line("accuracy")),
        Case("models: digits-only model (read)", ["read", "scan.png", "--model", "digits.npz"],
             reclassed("digits.npz", "0123456789"), (0, None), note=text_lines),
        Case("models: one-class model 'A' (evaluate)", ["evaluate", "--model", "a.npz", "--data", "d"],
             reclassed("a.npz", "A"), (0, "rows of classes the model does not read left out"),
             note=output_line("accuracy")),
        Case("models: one-class model 'A' (read)", ["read", "scan.png", "--model", "a.npz"], reclassed("a.npz", "A"),
             (0, ""), note=text_lines),
        Case("models: only 'not a character' (evaluate)", ["evaluate", "--model", "junk.npz", "--data", "d"],
             reclassed("junk.npz", "~"), (2, "holds no rows of the model's classes (~)")),
        Case("models: only 'not a character' (read)", ["read", "scan.png", "--model", "junk.npz"],
             reclassed("junk.npz", "~"), (2, "the model reads no characters: its only class is '~' (not a character)")),
        Case("models: 37-column labels, 36-class model", ["evaluate", "--model", "m.npz", "--test", "labels37.mat"],
             labels_37, (0, "100 rows of classes the model does not read left out"), note=output_line("accuracy")),
        Case("models: data naming 10 classes (train)",
             ["train", "--train", "digits_train.mat", "--valid", "digits_valid.mat", "--hidden", "16", "--epochs", "5",
              "--out", "dg.npz"],
             digits_named, (0, None), creates=("dg.npz",), note=output_line("saved dg.npz")),
        Case("models: long-double weights of 1e4000", ["evaluate", "--model", "longdouble.npz", "--data", "d"],
             long_double_model, (2, "array 'W0' holds 1e+4000, too large for the float32 a network computes in")),
        Case("noise: relu model with weights x 3e37", ["read", "scan.png", "--model", "overflow.npz"], overflow_model,
             (1, "ocr: error: model: its outputs overflow (not finite numbers): its weights are too large to read with"),
             note=second_line("ocr: warning: RuntimeWarning: overflow")),
        Case("noise: unknown option", ["read", "--bogus"], expect=(2, "(see 'ocr read -h')")),
        Case("noise: unknown command", ["trian"],
             expect=(2, "ocr: error: No such command 'trian'. Did you mean 'train'? (see 'ocr -h')")),
        Case("noise: file name with a newline, a tab and an ESC", ["read", "scan.jpg", ODD_NAME], odd_name, (0, ""),
             note=odd_header),
    ]


# ---------------------------------------------------------------- measuring


def snapshot(folder, cache={}):
    """``{relative path: (size, sha256) or (file type, ...)}`` of everything under ``folder``
    (symlinks and special files by type, never opened)."""
    found = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = os.path.join(root, name)
            info = os.lstat(path)
            key = os.path.relpath(path, folder)
            if stat.S_ISREG(info.st_mode):
                stamp = (path, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)
                if stamp not in cache:
                    digest = hashlib.sha256()
                    with open(path, "rb") as handle:
                        for block in iter(lambda: handle.read(1 << 20), b""):
                            digest.update(block)
                    cache[stamp] = digest.hexdigest()
                found[key] = (info.st_size, cache[stamp])
            elif stat.S_ISDIR(info.st_mode):
                found[key] = ("folder",)
            elif stat.S_ISLNK(info.st_mode):
                found[key] = ("symlink", os.readlink(path))
            elif stat.S_ISFIFO(info.st_mode):
                found[key] = ("FIFO",)
            elif stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode):
                found[key] = ("device", info.st_rdev)
            else:
                found[key] = ("other", stat.S_IFMT(info.st_mode))
    return found


def changes(before, after, creates):
    """(unexpected changes, intended outputs written), and removes every new entry."""
    intended = lambda path: any(fnmatch.fnmatch(path, pattern) for pattern in creates)
    created = sorted(set(after) - set(before))
    changed = [f"created {p}{'/ (a folder)' * (after[p] == ('folder',))}" for p in created if not intended(p)]
    changed += [f"modified {p}" for p in sorted(set(before) & set(after)) if before[p] != after[p] and not intended(p)]
    changed += [f"deleted {p}" for p in sorted(set(before) - set(after))]
    return changed, [p for p in created if intended(p)]


def remove_new(folder, before, after):
    """Back to the prepared state for the next case: what the case created goes."""
    for path in sorted(set(after) - set(before), key=len, reverse=True):
        full = folder / path
        if full.is_dir() and not full.is_symlink():
            shutil.rmtree(full, ignore_errors=True)
        elif os.path.lexists(full):
            full.unlink()


def shown(case, data):
    """The command as a user would type it in the folder."""
    if isinstance(case.command, str):
        line = case.command
    else:
        line = " ".join(["ocr", *map(quoted, case.command)])
    return " ".join([*(f"{k}={quoted(v)}" for k, v in case.env.items()), line])


def quoted(arg):
    if arg.isprintable():
        return shlex.quote(arg)
    return "$'" + printable(arg).replace("'", "\\'") + "'"


def printable(text):
    return "".join(c if c.isprintable() else {"\n": "\\n", "\t": "\\t"}.get(c, f"\\x{ord(c):02x}") for c in text)


def default_signals():
    """Ctrl-C for each case as a terminal delivers it, even when this script runs where
    SIGINT is ignored (started with ``&`` or ``nohup``: its children inherit the ignoring,
    and a program started so rightly keeps ignoring Ctrl-C)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def run_case(case, folder, scratch):
    """Runs ``case`` in ``folder``: a dict of the table's cells and whether it agrees."""
    cleanup = None
    if case.setup:
        try:
            cleanup = case.setup(folder)
        except Skip as skip:
            return {"exit": str(skip), "message": "", "peak": "-", "files": "-", "problems": []}
    before = snapshot(folder)
    peak_file = scratch / "peak.txt"
    command = ["bash", "-c", case.command] if isinstance(case.command, str) else [str(OCR), *case.command]
    start = time.monotonic()
    process = subprocess.Popen([TIME, "-o", str(peak_file), "-f", "%M", *command], cwd=folder,
                               env=environment(case.env), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, start_new_session=True, preexec_fn=default_signals)
    process.early = {"stdout": b"", "stderr": b""}
    after = case.during(process) if case.during else None
    try:
        stdout, stderr = process.communicate(timeout=case.timeout)
        code = process.returncode
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # the process group this run started
        stdout, stderr = process.communicate()
        code = f"timeout ({case.timeout} s)"
    seconds = time.monotonic() - start
    stdout = (process.early["stdout"] + stdout).decode(errors="replace")
    stderr = (process.early["stderr"] + stderr).decode(errors="replace")
    notes = []
    if after:
        notes.append(after())
    if case.note:
        notes.append(case.note(folder, stdout, stderr))
    if cleanup:
        cleanup()
    final = snapshot(folder)
    changed, written = changes(before, final, case.creates)
    remove_new(folder, before, final)

    timing = peak_file.read_text().split() if peak_file.exists() else []
    peak = f"{int(timing[-1]) / 1024:.0f}" if timing and timing[-1].isdigit() else "-"
    if "signal" in timing:  # "Command terminated by signal N"
        code = f"signal {timing[timing.index('signal') + 1]}"
    lines = stderr.strip().splitlines()
    errors = [line for line in lines if line.startswith("ocr: ")]
    message = errors[0] if errors else (lines[0] if lines else "(empty)")
    message = printable(message)
    if len(message) > WIDTH:
        message = message[:WIDTH - 1] + "…"
    if len(lines) > 1:
        message += f" (+{len(lines) - 1} more line{'s' * (len(lines) > 2)})"
    message = " · ".join([message, *(note for note, _ in notes)])

    problems = []
    accepted = [case.expect, *case.also]
    if not any(code == exit and (fragment is None or (stderr == "" if fragment == "" else fragment in stderr))
               for exit, fragment in accepted):
        wanted = "no stderr" if case.expect[1] == "" else f"'{case.expect[1]}'" if case.expect[1] else "any message"
        got = f"exit {code}" if code != case.expect[0] else f"a message without it ('{printable(lines[0] if lines else '')}')"
        problems.append(f"README: exit {case.expect[0]}, {wanted}; got {got}")
    if "Traceback" in stderr:
        problems.append("prints a traceback")
    problems += [note for note, ok in notes if not ok]
    if changed:
        problems.append("files changed: " + ", ".join(changed))
    files = ", ".join(printable(c) for c in changed) if changed else "none"
    if written and not changed:
        files += f" (wrote {', '.join(written)} as asked)"
    return {"exit": str(code), "message": message, "peak": peak, "files": files, "problems": problems,
            "seconds": seconds}


def cell(text):
    return text.replace("|", "\\|")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("OCR_DATA") or "../shared/nist36"),
                        help="folder with the real nist36_{train,valid,test}.mat")
    parser.add_argument("--only", default="", help="run only the cases whose name or command holds this")
    args = parser.parse_args()
    data = args.data.resolve()
    if not (data / "nist36_train.mat").is_file():
        sys.exit(f"no nist36_train.mat in {data} (pass --data or set OCR_DATA)")
    with tempfile.TemporaryDirectory() as work, tempfile.TemporaryDirectory() as scratch:
        folder = Path(work)
        print(f"preparing {folder} ...", file=sys.stderr)
        baseline = prepare(folder, data)
        chosen = [c for c in cases(data, baseline) if args.only in c.name or args.only in shown(c, data)]
        rows = []
        for number, case in enumerate(chosen, 1):
            print(f"[{number}/{len(chosen)}] {case.name} ...", end=" ", file=sys.stderr, flush=True)
            result = run_case(case, folder, Path(scratch))
            print(f"exit {result['exit']} ({result.get('seconds', 0):.1f} s)", file=sys.stderr, flush=True)
            rows.append((case, result))
    print(f"Hostile inputs of the README's bad-input table, run by `bench/hostile.py` with OPENBLAS_NUM_THREADS=1 "
          f"in a fresh temporary folder (d/ = {data} cut to 1000/300/300 rows; m.npz = "
          f"`ocr train --data d --hidden 16 --epochs 1`).\n")
    print("| case | command | exit | stderr (first line, truncated to ~110 chars) | peak MB | files changed |")
    print("|---|---|---|---|---|---|")
    for case, result in rows:
        print(f"| {cell(case.name)} | `{cell(shown(case, data))}` | {result['exit']} | {cell(result['message'])} "
              f"| {result['peak']} | {cell(result['files'])} |")
    disagreements = [(case, result) for case, result in rows if result["problems"]]
    print("\nDisagreements with the README:" + ("" if disagreements else " none."))
    for case, result in disagreements:
        print(f"- {case.name}: {'; '.join(result['problems'])}")


if __name__ == "__main__":
    main()
