"""How reading time and memory grow with the photo: one page at 1, 4, 12 and 48
megapixels.

    python bench/bench_scale.py PHOTO [--sizes 1,4,12,48] [--runs 3]

Resizes PHOTO (bicubic, JPEG quality 90) to each size in a temporary folder, then times
`ocr read` end to end in a fresh process (interpreter start, model load, decode, read,
print), --runs times per size, and takes the peak memory of each run from
resource.getrusage. Prints the median (min, max) seconds, seconds per megapixel, the
largest peak memory, and whether every size read the same text.
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image

OCR = Path(sys.executable).with_name("ocr")
# Runs one command and reports its wall time and its peak resident memory (ru_maxrss,
# kilobytes on Linux) as JSON on stderr; the text it read goes to stdout.
CHILD = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
seconds = time.perf_counter() - start
print(done.stdout, end="")
print(json.dumps({"seconds": seconds, "kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
                  "code": done.returncode, "stderr": done.stderr}), file=sys.stderr)
"""


def resized(photo, megapixels, folder):
    """``photo`` resized to about ``megapixels`` (aspect kept), saved as a JPEG."""
    with Image.open(photo) as image:
        factor = (megapixels * 1e6 / (image.width * image.height)) ** 0.5
        size = (round(image.width * factor), round(image.height * factor))
        path = folder / f"{photo.stem}_{megapixels}mp.jpg"
        image.convert("RGB").resize(size, Image.BICUBIC).save(path, quality=90)
    return path, size


def measure(path):
    done = subprocess.run([sys.executable, "-c", CHILD, str(OCR), "read", str(path)], capture_output=True, text=True)
    report = json.loads(done.stderr.strip().splitlines()[-1])
    if report["code"]:
        sys.exit(f"ocr read {path} failed: {report['stderr']}")
    return report["seconds"], report["kb"] / 1024, done.stdout


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("photo", type=Path)
    parser.add_argument("--sizes", default="1,4,12,48", help="megapixels, comma-separated")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    sizes = [float(s) for s in args.sizes.split(",")]
    print(f"{'MP':>4} {'pixels':>11} {'median s':>9} {'min':>6} {'max':>6} {'s/MP':>6} {'peak MB':>8}")
    texts = set()
    with tempfile.TemporaryDirectory() as folder:
        for megapixels in sizes:
            path, (width, height) = resized(args.photo, megapixels, Path(folder))
            measure(path)  # warm the file cache
            runs = [measure(path) for _ in range(args.runs)]
            seconds = [s for s, _, _ in runs]
            texts.update(text for _, _, text in runs)
            median = statistics.median(seconds)
            print(f"{megapixels:>4g} {f'{width}x{height}':>11} {median:>9.2f} {min(seconds):>6.2f} {max(seconds):>6.2f} "
                  f"{median / megapixels:>6.3f} {max(mb for _, mb, _ in runs):>8.0f}")
    print("same text at every size" if len(texts) == 1 else f"{len(texts)} different texts across sizes")


if __name__ == "__main__":
    main()
