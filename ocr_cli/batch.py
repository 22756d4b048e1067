"""Running one piece of work over many files: in this process or in worker processes,
with the results in input order and each file's error kept beside it."""

import os

from ocr_cli.errors import OcrError

_work = None  # a worker process's copy of the work, set once when the worker starts
# numpy's BLAS thread pool sizes (OpenBLAS, MKL, OpenMP builds).
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS")


def one_thread_per_process():
    """Asks numpy's BLAS for a single thread, unless the user chose a number; only
    effective before numpy is imported. When processes share out the cores, more
    threads only fight over them (OpenBLAS threads spin while they wait)."""
    for name in THREAD_VARIABLES:
        os.environ.setdefault(name, "1")


def attempt(work, path):
    """``(work(path), None)``, or ``(None, error)`` if the file fails with one of the
    project's errors (running out of memory on it counts as one)."""
    try:
        return work(path), None
    except OcrError as exc:
        return None, exc
    except MemoryError:
        return None, OcrError(f"{path}: out of memory while reading it")


def _install(work):
    global _work
    _work = work


def _attempt_installed(path):
    return attempt(_work, path)


def run_all(work, paths, jobs=1):
    """``[(path, result, error)]`` for every path, in order. With ``jobs`` > 1 the files
    are shared out to that many processes, each of which receives ``work`` once when it
    starts (inherited where processes fork, else pickled), so whatever it loads on first
    use (a model) is loaded at most once per process."""
    jobs = max(1, min(jobs, len(paths)))
    if jobs == 1:
        outcomes = [attempt(work, path) for path in paths]
    else:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(jobs, initializer=_install, initargs=(work,)) as pool:
            outcomes = list(pool.map(_attempt_installed, paths))
    return [(path, result, error) for path, (result, error) in zip(paths, outcomes)]
