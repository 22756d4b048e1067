"""The machine's cores: how many this process may use, how many other processes leave
idle, and one BLAS thread per process when processes share the cores out."""

import os
import time

# numpy's BLAS thread pool sizes (OpenBLAS, MKL, OpenMP builds).
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS")


def usable_cores():
    """The cores this process may run on (its affinity), else all of the machine's."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def one_thread_per_process():
    """Asks numpy's BLAS for a single thread, unless the user chose a number; only
    effective before numpy is imported. When processes share out the cores, more
    threads only fight over them (OpenBLAS threads spin while they wait)."""
    for name in THREAD_VARIABLES:
        os.environ.setdefault(name, "1")


class IdleCores:
    """Calling it gives the number of cores that other processes left idle since the
    last look (at least 1): the machine's busy time (``/proc/stat``) less this
    process's own CPU time, over the wall time between looks. The first call looks
    over a tenth of a second; later calls look again once a tenth of a second has
    passed and otherwise repeat the last answer. Where ``/proc/stat`` cannot be
    read: 1."""

    def __init__(self):
        self.cores = os.cpu_count() or 1
        self.last, self.answer = self.sample(), None

    @staticmethod
    def sample():
        """``(busy jiffies, all jiffies, own CPU seconds)`` now, or None."""
        try:
            with open("/proc/stat") as stat:
                ticks = [int(v) for v in stat.readline().split()[1:9]]
        except (OSError, ValueError):
            return None
        idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle and waiting for I/O
        own = os.times()
        return sum(ticks) - idle, sum(ticks), own.user + own.system

    def __call__(self):
        now = self.sample()
        if now is None or self.last is None:
            return 1
        enough = 10 * self.cores  # jiffies: a tenth of a second on every core at 100 Hz
        if now[1] - self.last[1] < enough:
            if self.answer is not None:
                return self.answer
            time.sleep(0.1)
            now = self.sample()
        (busy0, all0, own0), (busy1, all1, own1) = self.last, now
        self.last = now
        seconds = (all1 - all0) / self.cores / os.sysconf("SC_CLK_TCK")
        others = self.cores * (busy1 - busy0) / max(all1 - all0, 1) - (own1 - own0) / max(seconds, 1e-9)
        # Another process busy for more than a quarter of a core takes that core.
        self.answer = int(min(self.cores, max(1, self.cores - max(others, 0.0) + 0.25)))
        return self.answer

