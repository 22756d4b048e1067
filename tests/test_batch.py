"""Running work over many files, in this process or in worker processes."""

import os

from ocr_cli.batch import run_all
from ocr_cli.errors import InputError


class CountingWork:
    """Returns, per file, the process it ran in and how often that process set it up;
    fails on the file named ``bad``."""

    def __init__(self):
        self.setups = 0

    def __getstate__(self):
        return {"setups": 0}  # what a worker receives: nothing set up yet

    def __call__(self, path):
        if not self.setups:
            self.setups += 1
        if path == "bad":
            raise InputError(path, "bad on purpose")
        return os.getpid(), self.setups, path


PATHS = ["a", "bad", "c", "d", "e", "f"]


def test_in_this_process_results_keep_their_order_and_errors_their_place():
    results = run_all(CountingWork(), PATHS, jobs=1)
    assert [path for path, _, _ in results] == PATHS
    assert [r[2] for _, r, e in results if e is None] == ["a", "c", "d", "e", "f"]
    assert {r[0] for _, r, _ in results if r} == {os.getpid()}
    error = results[1][2]
    assert isinstance(error, InputError) and str(error) == "bad: bad on purpose"


def test_worker_processes_set_up_once_each_and_return_in_input_order():
    results = run_all(CountingWork(), PATHS, jobs=2)
    assert [path for path, _, _ in results] == PATHS
    assert [r[2] for _, r, e in results if e is None] == ["a", "c", "d", "e", "f"]
    pids = {r[0] for _, r, _ in results if r}
    assert os.getpid() not in pids and 1 <= len(pids) <= 2
    assert all(r[1] == 1 for _, r, _ in results if r)  # set up once per process, not per file
    error = results[1][2]
    assert isinstance(error, InputError) and (error.path, error.problem) == ("bad", "bad on purpose")
