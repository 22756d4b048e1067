"""Running one piece of work over many files: in this process or in worker processes,
with the results in input order and each file's error kept beside it."""

from contextlib import contextmanager

from ocr_cli.errors import OcrError

_work = None  # a worker process's copy of the work, set once when the worker starts


def attempt(work, path):
    """``(work(path), None)``, or ``(None, error)`` if the file fails with one of the
    project's errors (running out of memory on it counts as one)."""
    try:
        return work(path), None
    except OcrError as exc:
        return None, exc
    except MemoryError:
        return None, OcrError(f"{path}: out of memory while reading it")
    except (PermissionError, FileNotFoundError, IsADirectoryError) as exc:  # the file itself: bad input, the rest still read
        from ocr_cli.errors import InputError, os_problem

        return None, InputError(path, os_problem(exc))
    except OSError as exc:  # any other I/O failure on this file fails it alone
        from ocr_cli.errors import os_problem

        return None, OcrError(f"{path}: {os_problem(exc)}")


def _install(work):
    """Each worker's start: the work, and signals left to the parent (Ctrl-C reaches the
    whole process group; the parent stops the workers), SIGTERM and SIGHUP ending it."""
    import signal

    global _work
    _work = work
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)


def _attempt_installed(path):
    return attempt(_work, path)


@contextmanager
def worker_pool(work, jobs):
    """A pool of ``jobs`` worker processes holding ``work``; whatever ends the block
    (done, an error, Ctrl-C, SIGTERM) ends the workers too: none outlives it."""
    from concurrent.futures import ProcessPoolExecutor

    pool = ProcessPoolExecutor(jobs, initializer=_install, initargs=(work,))
    try:
        yield pool
    except BaseException:
        workers = list((getattr(pool, "_processes", None) or {}).values())
        manager = getattr(pool, "_executor_manager_thread", None)
        pool.shutdown(wait=False, cancel_futures=True)
        for process in workers:
            process.terminate()
        for process in workers:
            process.join(timeout=5)
        # The pool's own thread closes its wake-up pipe when it sees the workers gone;
        # Python's exit writes to that pipe: once it has closed it, not while it does
        # (else "Exception ignored ... Bad file descriptor" ends an interrupted run).
        if manager is not None:
            manager.join(timeout=5)
        raise
    pool.shutdown()


def run_each(work, paths, jobs=1):
    """``(path, result, error)`` for every path, yielded in input order as soon as that
    file is done (later files may be done already). With ``jobs`` > 1 (at most the
    cores: more processes only share the same cores and multiply the memory) the files
    are shared out to that many processes, each of which receives ``work`` once when it
    starts (inherited where processes fork, else pickled), so whatever it loads on first
    use (a model) is loaded at most once per process. A worker that dies (killed by the
    system for memory, or by a signal) costs the file it was reading, which is read
    again alone and reported if it kills its worker again; the other files are read."""
    from ocr_cli.cores import usable_cores

    jobs = max(1, min(jobs, len(paths), usable_cores()))
    if jobs == 1:
        for path in paths:
            yield (path, *attempt(work, path))
        return
    from concurrent.futures.process import BrokenProcessPool

    done = 0
    while done < len(paths):
        with worker_pool(work, jobs) as pool:
            futures = [pool.submit(_attempt_installed, path) for path in paths[done:]]
            try:
                for future in futures:
                    yield (paths[done], *future.result())
                    done += 1
                continue
            except BrokenProcessPool:
                pass
        with worker_pool(work, 1) as alone:  # the first file not read: alone, to tell whether it is the cause
            try:
                yield (paths[done], *alone.submit(_attempt_installed, paths[done]).result())
            except BrokenProcessPool:
                yield paths[done], None, OcrError(f"{paths[done]}: the process reading it was killed (out of memory?)")
        done += 1


def run_on_cluster(work, paths, scheduler):
    """:func:`run_each` on a dask.distributed cluster (``scheduler``: its address, e.g.
    ``tcp://10.0.0.5:8786``, or a ``distributed.Client``): one task per file, results
    yielded in input order as each is done; ``work`` is sent to the workers with the
    tasks (a :class:`ocr_cli.pipeline.reader.PageReader` travels without its model, which
    each worker loads once). Needs the ``dask`` extra (``pip install 'ocr-cli[dask]'``)."""
    try:
        from distributed import Client
    except ImportError:
        raise OcrError("a dask scheduler needs dask.distributed: pip install 'ocr-cli[dask]'") from None
    client = scheduler if isinstance(scheduler, Client) else connect(Client, scheduler)
    try:
        futures = client.map(attempt, [work] * len(paths), paths, pure=False)
        for path, future in zip(paths, futures):
            yield (path, *future.result())
    finally:
        if client is not scheduler:
            client.close()


# How long to wait for a scheduler to answer before saying it cannot be reached.
SCHEDULER_TIMEOUT = 10
# dask's connect gives up reaching a scheduler after the timeout, and then waits for its
# handshake without one; the handshake gets this many seconds more, so that an address
# where nothing listens is still reported as dask words it ("Timed out trying to connect").
HANDSHAKE_MARGIN = 1


def connect(client, scheduler):
    """A ``client`` (distributed.Client) of ``scheduler``, or an error naming it within
    :data:`SCHEDULER_TIMEOUT` seconds: an address that is not one
    (:func:`check_address`), a scheduler not running, or something listening there
    that does not answer as a dask scheduler (an HTTP server, a silent listener: dask's
    own handshake would wait for it for ever, so :func:`handshake` tries it first)."""
    check_address(scheduler)
    try:
        handshake(scheduler, SCHEDULER_TIMEOUT)
        return client(scheduler, timeout=SCHEDULER_TIMEOUT)
    except TimeoutError:  # connected, but no handshake came back
        raise OcrError(f"scheduler {scheduler}: no answer within {SCHEDULER_TIMEOUT + HANDSHAKE_MARGIN:g} s (something listens there but "
                       "does not answer as a dask scheduler does)") from None
    except OSError as exc:
        problem = str(exc).split("\n")[0] or type(exc).__name__
        raise OcrError(f"scheduler {scheduler}: cannot connect within {SCHEDULER_TIMEOUT} s ({problem})") from None
    except (ValueError, MemoryError, TypeError) as exc:  # its first bytes are not a dask message
        raise OcrError(f"scheduler {scheduler}: does not answer as a dask scheduler ({type(exc).__name__}: "
                       f"{str(exc).splitlines()[0] if str(exc) else 'no detail'})") from None


def check_address(scheduler):
    """Refuses (an :class:`~ocr_cli.errors.InputError` naming ``scheduler``, the
    parameter) an address dask cannot connect to: empty, of a scheme it does not know,
    without a host or a port."""
    from distributed.comm.addressing import parse_address, parse_host_port
    from distributed.comm.registry import backends

    from ocr_cli.errors import InputError

    expected = f"expected SCHEME://HOST:PORT, e.g. tcp://10.0.0.5:8786; schemes: {', '.join(sorted(backends))}"
    try:
        scheme, location = parse_address(str(scheduler))
        if scheme not in backends:
            raise ValueError(f"unknown scheme '{scheme}'")
        if scheme != "inproc" and not parse_host_port(location)[0]:
            raise ValueError("no host")
    except ValueError as exc:
        raise InputError("scheduler", f"{str(scheduler)!r} is not a scheduler address ({exc}; {expected})") from None


def handshake(scheduler, timeout):
    """Connects to ``scheduler`` as dask does (``OSError`` if it cannot within
    ``timeout`` seconds) and waits for its handshake (``TimeoutError`` if none comes
    within :data:`HANDSHAKE_MARGIN` more); the connection is closed again."""
    import asyncio

    from distributed.comm import connect as open_comm

    async def shake():
        comm = await asyncio.wait_for(open_comm(scheduler, timeout=timeout), timeout + HANDSHAKE_MARGIN)
        await comm.close()

    asyncio.run(shake())


def run_all(work, paths, jobs=1):
    """``[(path, result, error)]`` for every path, in order (see :func:`run_each`)."""
    return list(run_each(work, paths, jobs))
