"""Wall time of training: the course network for 50 epochs, and one epoch of the
shipped default model's configuration.

    python bench/bench_train.py [DATA_DIR] [--runs 3] [--default-runs 3]

DATA_DIR defaults to $OCR_DATA, else ../shared/nist36. Prints each run, then the median
(min, max) seconds, epochs per second and the final valid accuracy; then the seconds
of one epoch with models/default.npz's recorded config (layers, augmentation, batch)
on the training files it names, found in DATA_DIR (--default-runs 0 skips it).
"""

import argparse
import os
import statistics
import time
from pathlib import Path

from ocr_cli.data import concatenate, load_dataset
from ocr_cli.model import load_model
from ocr_cli.train import TrainConfig, train


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_dir = os.environ.get("OCR_DATA") or Path(__file__).resolve().parents[2] / "shared" / "nist36"
    parser.add_argument("data", nargs="?", type=Path, default=Path(default_dir))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--default-runs", type=int, default=3, help="epochs of the default model to time (0: skip)")
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
    if args.default_runs:
        default_model_epoch(args.data, valid_set, args.default_runs)


def default_model_epoch(data_dir, valid_set, runs):
    """Seconds of one training epoch of the shipped model's configuration."""
    metadata = load_model().metadata
    recorded = {k: v for k, v in metadata["training"]["config"].items() if k in TrainConfig.__dataclass_fields__}
    config = TrainConfig(**dict(recorded, epochs=1, patience=0, init=""))
    train_set = concatenate([load_dataset(data_dir / Path(entry["file"]).name) for entry in metadata["data"]["train"]])
    print(f"\ndefault model: conv {config.conv} k{config.kernel}, hidden {config.hidden} {config.activation}, "
          f"augment {config.augment}, batch {config.batch_size}, {len(train_set.X)} training rows, 1 epoch")
    seconds = []
    for i in range(runs):
        start = time.perf_counter()
        train(train_set, valid_set, config)
        seconds.append(time.perf_counter() - start)
        print(f"run {i + 1}: {seconds[-1]:.1f} s")
    print(f"median {statistics.median(seconds):.1f} s per epoch (min {min(seconds):.1f}, max {max(seconds):.1f})")


if __name__ == "__main__":
    main()
