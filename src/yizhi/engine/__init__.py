"""Where batch work runs: a local process pool (the embedded default) or a Ray cluster.

Callers hand over a top-level function and an iterable of items; results come back in order.
Functions must be importable by name (no lambdas): the same code then runs in a test, a CLI,
a job and on a Ray worker. Nothing is pickled from users — only our own functions and plain data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from yizhi.config import get_settings
from yizhi.errors import ValidationFailed


def map_parallel(fn: Callable[[Any], Any], items: Iterable[Any], *, workers: int | None = None,
                 chunksize: int = 16) -> Iterator[Any]:
    """Apply ``fn`` to every item on the configured engine, yielding results in input order."""
    settings = get_settings()
    workers = workers or settings.workers
    if settings.engine == "ray":
        yield from _map_ray(fn, items, settings.ray_address)
        return
    if workers <= 1:
        yield from map(fn, items)
        return
    # forkserver, not fork: forking from a threaded server (the embedded worker) can deadlock on
    # locks held by other threads at the moment of the fork.
    context = multiprocessing.get_context("forkserver")
    # The forkserver outlived a SIGKILLed parent (with its pool processes under it): it now starts
    # with a parent-death signal, and so does every pool process (the initializer).
    context.set_forkserver_preload(["__main__", "yizhi.engine.deathsig"])
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=die_with_parent) as pool:
        yield from pool.map(fn, items, chunksize=chunksize)


PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Ask Linux to kill this process when its parent dies (a killed server or worker must not leave
    orphaned processes holding memory). Linux counts the parent *thread*: a forkserver started from a
    thread that ends is killed and simply started again by the next pool. Elsewhere nothing is done."""
    import ctypes
    import signal
    import sys

    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except OSError:
        return


def _map_ray(fn: Callable[[Any], Any], items: Iterable[Any], address: str | None) -> Iterator[Any]:
    try:
        import ray  # optional: only deployments with YIZHI_ENGINE=ray install it
    except ImportError:
        raise ValidationFailed("YIZHI_ENGINE=ray but the 'ray' package is not installed; "
                               "pip install 'ray[default]' or set YIZHI_ENGINE=local") from None
    if not ray.is_initialized():
        ray.init(address=address or "auto", ignore_reinit_error=True)
    remote = ray.remote(fn)
    yield from ray.get([remote.remote(item) for item in items])
