"""Wall time of training the course network (the `ocr train` defaults) for 50 epochs.

    python bench/bench_train.py [DATA_DIR] [--runs 3]

DATA_DIR defaults to $OCR_DATA, else ../shared/nist36. Prints each run, then the median
(min, max) seconds, epochs per second and the final valid accuracy.
"""

import argparse
import os
import statistics
import time
from pathlib import Path

from ocr_cli.data import load_dataset
from ocr_cli.train import TrainConfig, train


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_dir = os.environ.get("OCR_DATA") or Path(__file__).resolve().parents[2] / "shared" / "nist36"
    parser.add_argument("data", nargs="?", type=Path, default=Path(default_dir))
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    train_set = load_dataset(args.data / "nist36_train.mat")
    valid_set = load_dataset(args.data / "nist36_valid.mat")
    config = TrainConfig()
    print(f"course network {config.hidden} {config.activation}, {config.epochs} epochs, "
          f"batch {config.batch_size}, lr {config.lr:g}, {len(train_set.X)} training rows")
    seconds, accuracies = [], []
    for i in range(args.runs):
        start = time.perf_counter()
        run = train(train_set, valid_set, config)
        seconds.append(time.perf_counter() - start)
        accuracies.append(run.final["valid_acc"])
        print(f"run {i + 1}: {seconds[-1]:.2f} s, valid accuracy {accuracies[-1]:.2%}")
    median = statistics.median(seconds)
    print(f"median {median:.2f} s (min {min(seconds):.2f}, max {max(seconds):.2f}) for {config.epochs} epochs: "
          f"{config.epochs / median:.1f} epochs/s; valid accuracy {statistics.median(accuracies):.2%}")


if __name__ == "__main__":
    main()
