"""The local engine: a warm pool of worker processes on this machine.

What made 2 workers slower than 1 on the 232-file DICOM folder (372 against 789 files/s), measured
with ``bench/cluster.py``:

1. **Process start-up per call.** Every ``map_parallel`` call created a new pool; each new pool
   process then imported pydicom and the de-identifiers itself (2.0 s each on the loaded shared
   machine) and built its de-identifier (0.7 s), for a job that takes 0.3 s in one process. Now the pool is kept warm between calls
   (one per worker count, shut down after ``IDLE_SECONDS`` unused) and the forkserver imports the heavy
   modules once (``yizhi.engine.preload``), so a new pool process is a fork that already has them.
2. **All items submitted at once.** ``Executor.map`` turns the whole iterable into futures before the
   first result; memory then grows with the input. Chunks are now submitted with a bounded number in
   flight (back-pressure) and results still come back in input order.
3. **A dead pool process broke the whole run** (``BrokenProcessPool``). The chunks not yet returned are
   now sent again to a fresh pool, up to ``RETRIES`` times; a chunk that kills its worker every time
   still fails the run.

What is sent per item was measured too and is not the problem: a DICOM item is a tuple of paths, the
key and option names (under 300 bytes pickled), results are report lines.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from itertools import islice
from multiprocessing import spawn
from typing import Any

from yizhi.engine.lifetime import die_with_parent

MAIN_PATH_VARIABLE = "YIZHI_ENGINE_MAIN"  # the same name as yizhi.engine.preload's (not imported here: heavy)

IDLE_SECONDS = 300.0
IN_FLIGHT_PER_WORKER = 4
RETRIES = 2

_pools: dict[int, ProcessPoolExecutor] = {}
_idle_timers: dict[int, threading.Timer] = {}
_lock = threading.Lock()


def _context(fn_module: str | None):
    # forkserver, not fork: forking from a threaded server (the embedded worker) can deadlock on
    # locks held by other threads at the moment of the fork. The preload list only takes effect when
    # the forkserver starts (once per process): __main__ first (pickled functions may live there),
    # then the parent-death signal, then the heavy imports every worker needs.
    context = multiprocessing.get_context("forkserver")
    main_path = spawn.get_preparation_data("engine").get("init_main_from_path")
    if main_path:
        os.environ[MAIN_PATH_VARIABLE] = main_path  # read by yizhi.engine.preload in the forkserver
    preload = ["__main__", "yizhi.engine.deathsig", "yizhi.engine.preload"]
    if fn_module and fn_module != "__main__":
        preload.append(fn_module)  # the work's own module: e.g. pydicom and the DICOM de-identifier
    context.set_forkserver_preload(preload)
    return context


def pool(workers: int, fn_module: str | None = None) -> ProcessPoolExecutor:
    """The warm pool with ``workers`` processes (started on first use; the forkserver, started with the
    first pool of this process, preloads ``fn_module``)."""
    with _lock:
        timer = _idle_timers.pop(workers, None)
        if timer is not None:
            timer.cancel()
        found = _pools.get(workers)
        if found is None or getattr(found, "_broken", False):
            found = ProcessPoolExecutor(max_workers=workers, mp_context=_context(fn_module),
                                        initializer=die_with_parent)
            _pools[workers] = found
        return found


def _release(workers: int) -> None:
    """Start the idle clock: a pool unused for IDLE_SECONDS gives its processes back."""
    with _lock:
        if workers not in _pools:
            return
        timer = threading.Timer(IDLE_SECONDS, _discard, args=(workers,))
        timer.daemon = True
        _idle_timers[workers] = timer
        timer.start()


def _discard(workers: int, *, wait: bool = False) -> None:
    with _lock:
        found = _pools.pop(workers, None)
        timer = _idle_timers.pop(workers, None)
    if timer is not None:
        timer.cancel()
    if found is not None:
        found.shutdown(wait=wait, cancel_futures=True)


def shutdown() -> None:
    """Stop every warm pool (tests, and at exit)."""
    for workers in list(_pools):
        _discard(workers, wait=True)


atexit.register(shutdown)


def _run_chunk(fn: Callable[[Any], Any], chunk: list) -> list:
    return [fn(item) for item in chunk]


def _chunks(items: Iterable[Any], size: int) -> Iterator[list]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def map_ordered(fn: Callable[[Any], Any], items: Iterable[Any], workers: int, chunksize: int) -> Iterator[Any]:
    """``fn`` over ``items`` on the warm pool: results in input order, at most
    ``workers * IN_FLIGHT_PER_WORKER`` chunks in flight, chunks of a dead worker sent again."""
    limit = workers * IN_FLIGHT_PER_WORKER
    chunks = _chunks(items, max(1, chunksize))
    pending: deque[tuple[list, Future | None]] = deque()
    executor = pool(workers, getattr(fn, "__module__", None))
    failures = 0
    try:
        while True:
            try:
                while len(pending) < limit and (chunk := next(chunks, None)) is not None:
                    pending.append((chunk, None))  # held before submitting: a broken pool must not lose it
                    pending[-1] = (chunk, executor.submit(_run_chunk, fn, chunk))
                if not pending:
                    return
                results = pending[0][1].result()
            except BrokenProcessPool:
                failures += 1
                if failures > RETRIES:
                    raise
                executor = _resubmit(workers, fn, pending)
                continue
            pending.popleft()
            yield from results
    finally:
        for _chunk, future in pending:
            if future is not None:
                future.cancel()
        _release(workers)


def _resubmit(workers: int, fn: Callable[[Any], Any], pending: deque[tuple[list, Future | None]]) -> ProcessPoolExecutor:
    """A pool process died: every chunk not yet returned goes to a fresh pool, in the same order."""
    _discard(workers)
    executor = pool(workers)
    chunks = [chunk for chunk, _future in pending]
    pending.clear()
    pending.extend((chunk, executor.submit(_run_chunk, fn, chunk)) for chunk in chunks)
    return executor
