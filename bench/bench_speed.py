"""Every speed figure of the speed issue in one run, each beside its reference measured
in the same run: start-up, one photo read in its own process against Tesseract (1 MP and
12 MP), a batch of photos in one process against Tesseract one process per photo, and
one epoch of training against PyTorch.

    python bench/bench_speed.py [--runs 5] [--photo sample_images/page_4.jpg]
                                [--batch 40] [--torch-python PATH] [--no-training]

One-shot reading: `ocr read PHOTO` and `tesseract PHOTO stdout --psm 6` alternate (A B
A B ...), --runs pairs, medians (a busy machine slows both alike); the 12 MP photo is
--photo resized (bench_scale.py's `resized`). Batch: --batch photos (the sample pages,
repeated as copies under other names) read by one `ocr read`, against the sum of one
Tesseract process per photo, once each. Training: bench_train.py's course network and
default CNN epoch (its `measure`, --runs runs each; ocr on 2 threads, as the references),
against the PyTorch references of
../shared/reference/ when --torch-python names an interpreter with torch. A reference
that is not installed is left out.
"""

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_scale import resized
from bench_startup import wall_time

OCR = Path(sys.executable).with_name("ocr")
REPO = Path(__file__).resolve().parents[1]
TESSERACT = shutil.which("tesseract")


def timed(command):
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def paired(photo, runs):
    """Median seconds of `ocr read photo` and of Tesseract on it (None without it), alternating."""
    ours, theirs = [], []
    for _ in range(runs):
        ours.append(timed([str(OCR), "read", str(photo)]))
        if TESSERACT:
            theirs.append(timed([TESSERACT, str(photo), "stdout", "--psm", "6"]))
    return statistics.median(ours), statistics.median(theirs) if theirs else None


def line(label, ours, theirs, reference):
    ratio = f"  ratio {ours / theirs:.2f}x" if theirs else f"  ({reference} not installed)"
    mine = f"{ours:7.2f} s"
    print(f"{label:<34} ocr {mine}" + (f"  {reference} {theirs:7.2f} s" if theirs else "") + ratio, flush=True)


def batch(count, folder):
    """Seconds of one `ocr read` of ``count`` photos, and the sum of one Tesseract per photo."""
    pages = sorted((REPO / "sample_images").glob("*.jpg"))
    photos = []
    for k in range(count):
        path = folder / f"batch_{k:03d}.jpg"
        shutil.copyfile(pages[k % len(pages)], path)
        photos.append(path)
    ours = timed([str(OCR), "read", *map(str, photos)])
    theirs = sum(timed([TESSERACT, str(p), "stdout", "--psm", "6"]) for p in photos) if TESSERACT else None
    return ours, theirs


def training(args):
    import bench_train

    options = argparse.Namespace(data=args.data, runs=args.runs, threads=2, torch_python=args.torch_python)
    medians = bench_train.measure(["course", "cnn"], options)
    for kind in ("course", "cnn"):
        line(f"one training run: {kind}", medians[kind], medians.get(f"{kind} torch"), "PyTorch")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--photo", type=Path, default=REPO / "sample_images" / "page_4.jpg",
                        help="the photo resized to 12 MP")
    parser.add_argument("--batch", type=int, default=40)
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "nist36")
    parser.add_argument("--torch-python", metavar="PATH", help="a Python interpreter with torch installed")
    parser.add_argument("--no-training", action="store_true")
    args = parser.parse_args()

    help_runs = [wall_time([str(OCR), "--help"]) for _ in range(args.runs)]
    print(f"{'start-up: ocr --help':<34} ocr {statistics.median(help_runs):7.2f} s", flush=True)
    line("one photo: sample_images/page_1.jpg", *paired(REPO / "sample_images" / "page_1.jpg", args.runs), "tesseract")
    with tempfile.TemporaryDirectory() as tmp:
        big, size = resized(args.photo, 12, Path(tmp))
        line(f"one photo: {args.photo.stem} {size[0]}x{size[1]}", *paired(big, args.runs), "tesseract")
        line(f"batch: {args.batch} photos, one process", *batch(args.batch, Path(tmp)), "tesseract")
    if not args.no_training:
        training(args)


if __name__ == "__main__":
    main()
