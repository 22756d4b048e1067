"""Wall time of training, against PyTorch on the same machine in the same run.

    python bench/bench_train.py [DATA_DIR] [--runs 3] [--torch-python PATH] [--threads 2]
                                [--no-loaded] [--only course|cnn|cnn-augment]

DATA_DIR defaults to $OCR_DATA, else ../shared/nist36. Three workloads, each run in a
fresh process, median of --runs:

- course: the course network (``ocr train`` defaults: 1024-64 sigmoid-36, SGD, batch 32,
  50 epochs) on nist36_train; seconds of training after the data is loaded, and the
  final valid accuracy. Reference: ``../shared/reference/torch_course.py``.
- cnn: one epoch of the default model's architecture (conv 5x5 32 and 64 with 2x2 max
  pooling, dense 256 and 512 relu, dropout 0.4, Adam 1e-3, batch 64, label smoothing
  0.1) on nist36_train + nist36_extra (34,500 rows), no augmentation; seconds of the
  whole process (imports and data loading included, as the reference measures).
  Reference: ``../shared/reference/torch_cnn_epoch.py``.
- cnn-augment: the same epoch with ``--augment`` (no reference).

Ours trains on ``--threads`` threads (``ocr train --threads``; 2 by default, as the
references use 2: a fixed count, whose weights are the same on every run; 0: the idle
cores, every epoch). The workloads import the ``ocr_cli`` of the checkout this script
is in, not whichever one is installed.

With ``--torch-python`` (an interpreter that has torch, numpy and scipy; see the
reference folder's README) the references run interleaved with ours and the ratios
(ours / PyTorch) are printed. Each line says the CPU seconds other processes used
during its runs (at most, over the runs; from ``/proc/stat``): on a shared machine a
run beside a busy process is not a run alone (PyTorch's spinning threads then take
several times longer); ``--idle`` waits before each run until the cores are idle. Then, unless ``--no-loaded``, our workloads again while a
second training (a loop of the cnn workload) runs beside them: the loaded case, with
its ratio to the unloaded time.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT.parent / "shared" / "reference"
TORCH_SCRIPTS = {"course": "torch_course.py", "cnn": "torch_cnn_epoch.py"}
CNN = dict(conv=[32, 64], kernel=5, hidden=[256, 512], activation="relu", dropout=0.4, optimizer="adam",
           lr=1e-3, batch_size=64, label_smoothing=0.1, epochs=1)


def worker(kind, data, threads):
    """Runs one workload in this process and prints ``{"seconds", "valid"}`` as JSON;
    ``loop``: cnn epochs until killed (the second training of the loaded case)."""
    start = time.perf_counter()
    sys.path.insert(0, str(ROOT))  # this checkout's ocr_cli (the script's own folder comes first otherwise)
    from ocr_cli.net.data import concatenate, load_dataset
    from ocr_cli.net.train import TrainConfig, train

    valid = load_dataset(data / "nist36_valid.mat")
    if kind == "course":
        train_set = load_dataset(data / "nist36_train.mat")
        start = time.perf_counter()  # the reference times the course network after loading
        config = TrainConfig(threads=threads)
    else:
        train_set = concatenate([load_dataset(data / f"nist36_{s}.mat") for s in ("train", "extra")])
        config = TrainConfig(**CNN, augment=kind == "cnn-augment", threads=threads)  # loop: the plain cnn
    run = train(train_set, valid, config)
    while kind == "loop":
        train(train_set, valid, config)
    print(json.dumps({"seconds": time.perf_counter() - start, "valid": run.final["valid_acc"]}))


def busy_jiffies():
    """The machine's busy time so far (``/proc/stat``, jiffies of every core), or None."""
    sys.path.insert(0, str(ROOT))
    from ocr_cli.cores import IdleCores

    now = IdleCores.sample()
    return None if now is None else now[0]


def elsewhere(command):
    """Runs ``command`` and returns its stdout and the CPU seconds other processes
    (not it, nor its children) used meanwhile: how busy the machine was beside the run
    (None where ``/proc/stat`` cannot be read)."""
    import resource

    before, children = busy_jiffies(), resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    after, done = busy_jiffies(), resource.getrusage(resource.RUSAGE_CHILDREN)
    if before is None or after is None:
        return out, None
    own = done.ru_utime + done.ru_stime - children.ru_utime - children.ru_stime
    return out, max(0.0, (after - before) / os.sysconf("SC_CLK_TCK") - own)


def wait_for_idle(limit=600):
    """Waits (at most ``limit`` seconds) until other processes leave every core idle."""
    sys.path.insert(0, str(ROOT))
    from ocr_cli.cores import IdleCores

    meter, start = IdleCores(), time.monotonic()
    while time.monotonic() - start < limit:
        time.sleep(0.5)
        if meter() >= (os.cpu_count() or 1):
            return


def ours(kind, data, threads):
    out, others = elsewhere([sys.executable, __file__, str(data), "--worker", kind, "--threads", str(threads)])
    return {**json.loads(out.strip().splitlines()[-1]), "others": others}


def theirs(kind, data, python):
    out, others = elsewhere([python, str(REFERENCE / TORCH_SCRIPTS[kind]), str(data)])
    words = out.strip().splitlines()[-1].split()  # "torch ... 12.34 s ... valid 0.7290"
    return {"seconds": float(words[words.index("s") - 1]), "valid": float(words[-1]), "others": others}


def summary(label, results):
    seconds = [r["seconds"] for r in results]
    valid = statistics.median(r["valid"] for r in results)
    others = [r["others"] for r in results if r.get("others") is not None]
    beside = f"  others' CPU {max(others):.1f} s at most" if others else ""
    print(f"  {label:<28} median {statistics.median(seconds):7.2f} s  (min {min(seconds):.2f}, max {max(seconds):.2f})"
          f"  valid {valid:.2%}{beside}", flush=True)
    return statistics.median(seconds)


def measure(kinds, args, loaded=False):
    """Median seconds per workload (ours, and PyTorch's unless loaded)."""
    medians = {}
    for kind in kinds:
        mine, reference = [], []
        for _ in range(args.runs):
            if getattr(args, "idle", False) and not loaded:
                wait_for_idle()
            mine.append(ours(kind, args.data, args.threads))
            if args.torch_python and kind in TORCH_SCRIPTS and not loaded:
                if getattr(args, "idle", False):
                    wait_for_idle()
                reference.append(theirs(kind, args.data, args.torch_python))
        medians[kind] = summary(f"{kind} (ocr)", mine)
        if reference:
            medians[f"{kind} torch"] = summary(f"{kind} (PyTorch)", reference)
            print(f"  {kind}: ocr / PyTorch = {medians[kind] / medians[f'{kind} torch']:.2f}", flush=True)
    return medians


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_dir = os.environ.get("OCR_DATA") or ROOT.parent / "shared" / "nist36"
    parser.add_argument("data", nargs="?", type=Path, default=Path(default_dir))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2,
                        help="threads for ocr (ocr train --threads; default 2, as PyTorch's; 0: the idle cores)")
    parser.add_argument("--torch-python", metavar="PATH", help="a Python interpreter with torch installed")
    parser.add_argument("--no-loaded", action="store_true", help="skip the runs beside a second training")
    parser.add_argument("--idle", action="store_true",
                        help="before each unloaded run, wait (up to 10 minutes) until other processes leave the cores idle")
    parser.add_argument("--only", choices=["course", "cnn", "cnn-augment"], action="append")
    parser.add_argument("--worker", choices=["course", "cnn", "cnn-augment", "loop"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args.worker, args.data, args.threads)
    kinds = args.only or ["course", "cnn", "cnn-augment"]
    print(f"{os.cpu_count()} cores; ocr on {args.threads or 'the idle cores as'} thread(s); PyTorch: "
          f"{args.torch_python or 'not given'}; {args.runs} runs each", flush=True)
    print("unloaded:", flush=True)
    alone = measure(kinds, args)
    if args.no_loaded:
        return
    print("loaded (a second training, the cnn epoch in a loop, runs beside):", flush=True)
    load = subprocess.Popen([sys.executable, __file__, str(args.data), "--worker", "loop", "--threads", str(args.threads)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(5)  # let it load its data and start training
        beside = measure(kinds, args, loaded=True)
    finally:
        load.kill()
    for kind in kinds:
        print(f"  {kind}: loaded / unloaded = {beside[kind] / alone[kind]:.2f}")


if __name__ == "__main__":
    main()
