"""Reading many files at once: `ocr read --jobs N` against `--jobs 1`.

    python bench/bench_jobs.py DIR [--count 20] [--jobs 2] [--runs 3] [--megapixels MP]

Copies the photos of DIR (cycling through them; resized to about MP megapixels if
given, as a phone's 12) to --count files in a temporary folder, then times `ocr read` of all of them with --jobs 1 and with --jobs N, --runs
times each, in fresh processes. Prints the median (min, max) seconds of each, the
speed-up, and whether both printed the same output.
"""

import argparse
import itertools
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

OCR = Path(sys.executable).with_name("ocr")


def timed(command):
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return time.perf_counter() - start, done.stdout


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--megapixels", type=float, default=None, help="resize every photo to about this size")
    args = parser.parse_args()
    photos = sorted(p for p in args.folder.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    with tempfile.TemporaryDirectory() as folder:
        files = []
        for i, photo in zip(range(args.count), itertools.cycle(photos)):
            files.append(Path(folder) / f"{i:03d}_{photo.stem}{'.jpg' if args.megapixels else photo.suffix}")
            if args.megapixels:
                with Image.open(photo) as image:
                    factor = (args.megapixels * 1e6 / (image.width * image.height)) ** 0.5
                    size = (round(image.width * factor), round(image.height * factor))
                    image.convert("RGB").resize(size, Image.BICUBIC).save(files[-1], quality=90)
            else:
                shutil.copy(photo, files[-1])
        size = f", resized to {args.megapixels:g} MP" if args.megapixels else ""
        print(f"{len(files)} photos (from {len(photos)} in {args.folder}{size})")
        print(f"{'jobs':>4} {'median s':>9} {'min':>6} {'max':>6}")
        medians, outputs = {}, {}
        for jobs in (1, args.jobs):
            runs = [timed([str(OCR), "read", *map(str, files), "--jobs", str(jobs)]) for _ in range(args.runs)]
            seconds = [s for s, _ in runs]
            medians[jobs], outputs[jobs] = statistics.median(seconds), {text for _, text in runs}
            print(f"{jobs:>4} {medians[jobs]:>9.2f} {min(seconds):>6.2f} {max(seconds):>6.2f}")
    print(f"speed-up with --jobs {args.jobs}: {medians[1] / medians[args.jobs]:.2f}x; "
          f"{'same output' if outputs[1] == outputs[args.jobs] and len(outputs[1]) == 1 else 'DIFFERENT OUTPUT'}")


if __name__ == "__main__":
    main()
