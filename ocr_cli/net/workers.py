"""The threads training's numpy work runs on, and how that work is cut into parts.

numpy releases the GIL in its loops and BLAS calls, so the parts of one layer's work
(the images of a batch, the columns of a weight gradient, the spans of an optimiser's
arrays) run at once on a small thread pool. :func:`working` sets the pool for a block
of code (:func:`ocr_cli.net.train.run_epochs` sets one per epoch, of the run's
``threads``); layers and optimisers ask :func:`current` for it. Outside such a block,
and with one thread (the default), every part runs in order in the calling thread.

The same seed and thread count give the same weights, whatever the machine's load:
how work is cut is decided by its size and the thread count alone
(:meth:`Workers.spans`), never by timing; each part is computed by the same operations
whichever thread runs it; no result depends on the order in which parts finish. With
one thread, the layers do the arithmetic they did before there were threads (whole
products; an elementwise pass cut into parts computes each number as before).

The pool's threads wait on a lock, not spinning as BLAS threads do, so a thread that
another process keeps from its core costs that core's share of the work, not a
stall of every product (training beside a busy process with two OpenBLAS threads was
20 to 30 times slower than with one).
"""

import itertools
import queue
import threading
from contextlib import contextmanager
from contextvars import ContextVar

# Work under this many numbers is not worth handing to another thread (about 20 us of
# handing over against about a microsecond per thousand numbers of an elementwise pass).
MIN_PART = 32_768


def spans(n, parts):
    """``parts`` runs ``(start, stop)`` of ``range(n)`` in order, as equal as whole
    numbers allow (fewer if ``n`` is smaller; one ``(0, 0)`` for ``n`` 0)."""
    parts = max(1, min(parts, n))
    edges = [n * i // parts for i in range(parts + 1)]
    return list(zip(edges[:-1], edges[1:]))


class Workers:
    """``threads`` threads: the caller's and ``threads - 1`` helpers, which wait for
    work on a queue (a lock: no spinning, no polling)."""

    def __init__(self, threads=1):
        self.threads = max(1, int(threads))
        self.jobs = queue.SimpleQueue()
        self.helpers = [threading.Thread(target=self.serve, name=f"ocr-train-{i}", daemon=True)
                        for i in range(1, self.threads)]
        for helper in self.helpers:
            helper.start()

    def serve(self):
        while (job := self.jobs.get()) is not None:
            job()

    def spans(self, n, size=1):
        """How to cut ``n`` rows of ``size`` numbers each: one run per thread, or one
        run in all when the work is too small to share (under :data:`MIN_PART`
        numbers a thread)."""
        parts = min(self.threads, n * size // MIN_PART) if self.threads > 1 else 1
        return spans(n, parts)

    def map(self, fn, parts):
        """``[fn(part) for part in parts]``, the parts run by the threads (the caller's
        among them), each taking the next part not yet taken; returns when every part
        is done (an exception of any part is raised then)."""
        parts = list(parts)
        if not self.helpers or len(parts) < 2:
            return [fn(part) for part in parts]
        results, taken, done = [None] * len(parts), itertools.count(), queue.SimpleQueue()

        def drain():
            try:
                while (i := next(taken)) < len(parts):  # next() of a count is atomic
                    results[i] = fn(parts[i])
            except BaseException as error:  # noqa: B036 (handed to the caller)
                return error
            return None

        helping = min(len(self.helpers), len(parts) - 1)
        for _ in range(helping):
            self.jobs.put(lambda: done.put(drain()))
        errors = [drain()] + [done.get() for _ in range(helping)]  # waits for every helper
        for error in errors:
            if error is not None:
                raise error
        return results

    def close(self):
        for _ in self.helpers:
            self.jobs.put(None)
        for helper in self.helpers:
            helper.join()


SERIAL = Workers(1)
_current = ContextVar("workers", default=SERIAL)


def current():
    """The :class:`Workers` in force (:data:`SERIAL` outside :func:`working`)."""
    return _current.get()


@contextmanager
def working(threads):
    """Runs the block with :class:`Workers` of ``threads`` threads in force."""
    workers = Workers(threads) if threads > 1 else SERIAL
    token = _current.set(workers)
    try:
        yield workers
    finally:
        _current.reset(token)
        workers.close()
