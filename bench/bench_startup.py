"""Wall time of starting the CLI: `ocr --help` and `ocr read --help`, each in a fresh
process.

    python bench/bench_startup.py [--runs 5]

Prints the median, min and max seconds of each command, and which heavy modules (numpy,
scipy, skimage, matplotlib) `ocr --help` imported (none should be).
"""

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

OCR = Path(sys.executable).with_name("ocr")  # the installed entry point, as a user runs it
PROBE = ("import sys; from ocr_cli.cli import app; sys.argv = ['ocr', '--help']\n"
         "try:\n    app()\nexcept SystemExit:\n    pass\n"
         "print(sorted({m.split('.')[0] for m in sys.modules} & {'numpy', 'scipy', 'skimage', 'matplotlib'}), file=sys.stderr)")


def wall_time(command):
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"{'command':<18} {'median s':>9} {'min':>7} {'max':>7}")
    for command in (["--help"], ["read", "--help"]):
        wall_time([OCR, *command])  # warm the file cache once
        seconds = [wall_time([OCR, *command]) for _ in range(args.runs)]
        print(f"{'ocr ' + ' '.join(command):<18} {statistics.median(seconds):>9.3f} {min(seconds):>7.3f} {max(seconds):>7.3f}")
    heavy = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True).stderr.strip()
    print(f"heavy modules imported by ocr --help: {heavy}")


if __name__ == "__main__":
    main()
