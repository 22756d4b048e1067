"""Running work over many files, in this process, in worker processes or on a cluster."""

import os

import numpy as np
import pytest

from ocr_cli.batch import run_all
from ocr_cli.errors import InputError


SETUPS = []  # the process of every set-up of a CountingWork, in that process


class CountingWork:
    """Sets itself up on its first file (as a reader loads its model) and returns, per
    file, the process it ran in and how often a CountingWork was set up in that process
    so far; fails on the file named ``bad``. Sent to a worker per file instead of once
    per worker, it would be set up again for every file."""

    def __init__(self):
        self.ready = False

    def __getstate__(self):
        return {"ready": False}  # what a worker receives: nothing set up yet

    def __call__(self, path):
        if not self.ready:
            SETUPS.append(os.getpid())
            self.ready = True
        if path == "bad":
            raise InputError(path, "bad on purpose")
        return os.getpid(), SETUPS.count(os.getpid()), path


PATHS = ["a", "bad", "c", "d", "e", "f"]


def test_in_this_process_results_keep_their_order_and_errors_their_place():
    results = run_all(CountingWork(), PATHS, jobs=1)
    assert [path for path, _, _ in results] == PATHS
    assert [r[2] for _, r, e in results if e is None] == ["a", "c", "d", "e", "f"]
    assert {r[0] for _, r, _ in results if r} == {os.getpid()}
    error = results[1][2]
    assert isinstance(error, InputError) and str(error) == "bad: bad on purpose"


class DyingWork:
    """Kills the process it runs in on the file named ``poison`` (as the kernel's
    out-of-memory killer would); returns the path otherwise."""

    def __call__(self, path):
        import signal

        if path == "poison":
            os.kill(os.getpid(), signal.SIGKILL)
        return path


def test_a_killed_worker_costs_only_its_file_and_the_others_are_read():
    paths = ["a", "b", "poison", "c", "d", "e"]
    results = run_all(DyingWork(), paths, jobs=2)
    assert [path for path, _, _ in results] == paths
    assert [r for _, r, e in results if e is None] == ["a", "b", "c", "d", "e"]
    (error,) = [e for _, _, e in results if e is not None]
    assert str(error) == "poison: the process reading it was killed (out of memory?)" and error.exit_code == 1


def children_of(pid):
    """Process ids whose parent is ``pid`` (from /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/stat") as stat:
                if int(stat.read().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry))
        except (OSError, ValueError, IndexError):
            continue
    return found


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="needs /proc to find the workers")
@pytest.mark.parametrize("signame, code", [("SIGTERM", 143), ("SIGHUP", 129)])
def test_sigterm_and_sighup_end_the_workers_and_keep_what_was_printed(photo_files, pattern_model, tmp_path, signame,
                                                                        code):
    import signal
    import subprocess
    import sys
    import time

    listed = tmp_path / "thirty.txt"
    listed.write_text(f"{photo_files[0]}\n" * 30)
    process = subprocess.Popen([sys.executable, "-m", "ocr_cli", "read", f"@{listed}", "-m", str(pattern_model),
                                "-j", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = process.stdout.readline()  # the workers are reading
    workers = children_of(process.pid)
    assert first.startswith("==> ") and workers
    process.send_signal(getattr(signal, signame))
    out, err = process.communicate(timeout=60)
    assert process.returncode == code, err
    assert "of 30 files not read" in err and "Traceback" not in err
    time.sleep(0.5)
    assert [pid for pid in workers if os.path.exists(f"/proc/{pid}") and
            open(f"/proc/{pid}/stat").read().split(")")[1].split()[0] != "Z"] == []


def test_worker_processes_set_up_once_each_and_return_in_input_order():
    results = run_all(CountingWork(), PATHS, jobs=2)
    assert [path for path, _, _ in results] == PATHS
    assert [r[2] for _, r, e in results if e is None] == ["a", "c", "d", "e", "f"]
    pids = {r[0] for _, r, _ in results if r}
    assert os.getpid() not in pids and 1 <= len(pids) <= 2
    assert all(r[1] == 1 for _, r, _ in results if r)  # set up once per process, not per file
    error = results[1][2]
    assert isinstance(error, InputError) and (error.path, error.problem) == ("bad", "bad on purpose")


def test_an_interrupted_pool_ends_its_own_thread_before_the_interruption_goes_on():
    """Python's exit wakes a pool's own thread through a pipe that thread closes once it
    sees its workers gone: the two at once ended an interrupted run with "Exception
    ignored ... Bad file descriptor". The interrupted block now waits for that thread."""
    from ocr_cli.batch import worker_pool

    with pytest.raises(KeyboardInterrupt):
        with worker_pool(CountingWork(), 2) as pool:
            assert pool.submit(_attempt_in_worker, "a").result()[1] is None  # the workers are up
            manager = pool._executor_manager_thread
            raise KeyboardInterrupt
    assert not manager.is_alive()


def _attempt_in_worker(path):
    from ocr_cli.batch import _attempt_installed

    return _attempt_installed(path)


@pytest.fixture(scope="module")
def photo_files(pattern_bank, tmp_path_factory):
    """Three photographed pages of pattern glyphs and a file that is not an image."""
    from PIL import Image

    from ocr_synth.pages import compose_page, photograph

    folder = tmp_path_factory.mktemp("pages")
    rng = np.random.default_rng(21)
    paths = []
    for k, lines in enumerate((["AB CD"], ["EF 12", "GH"], ["IJ KL MN"])):
        page = compose_page(lines, pattern_bank, rng, char_height=40)
        paths.append(folder / f"page{k}.jpg")
        Image.fromarray(photograph(page.image, rng)).save(paths[-1], quality=90)
    paths.append(folder / "notes.txt")
    paths[-1].write_text("not an image")
    return paths


def test_a_dask_cluster_of_two_workers_reads_as_one_process_does(photo_files, pattern_model):
    distributed = pytest.importorskip("distributed")
    from typer.testing import CliRunner

    from ocr_cli.cli import app

    runner = CliRunner()
    files = [str(p) for p in photo_files]
    here = runner.invoke(app, ["read", *files, "-m", str(pattern_model), "-j", "1", "--json"])
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        there = runner.invoke(app, ["read", *files, "-m", str(pattern_model), "--json",
                                    "--scheduler", cluster.scheduler_address])
    assert here.exit_code == there.exit_code == 1  # the text file is reported, the photos are read
    assert there.stdout == here.stdout and '"text": "AB CD"' in there.stdout
