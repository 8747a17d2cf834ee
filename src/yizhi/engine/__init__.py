"""Where batch work runs: a warm local process pool (the embedded default) or a Ray cluster.

    from yizhi.engine import map_parallel, run_records
    for result in map_parallel(fn, items, workers=2):          # item-level / file-level work
        ...
    manifest = run_records(fn, "notes.jsonl", "out/", params={...})   # record-level work, partitioned

Callers hand over a top-level function (importable by name: no lambdas) and plain data; the engine
chooses where it runs, never what it computes, so the same code runs in a test, a CLI, a job and on
a Ray worker. Nothing is pickled from users: only our own functions and plain data.

Modules: ``local`` (the warm pool), ``cluster`` (Ray connection, tasks with resource requests),
``partitions`` (record files cut into partitions, atomic parts), ``records`` (record-level runs),
``raydata`` (the same on Ray Data), ``lifetime`` (processes that die with their parent).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from yizhi.config import get_settings
from yizhi.engine.lifetime import die_with_parent

__all__ = ["die_with_parent", "engine_name", "map_parallel", "run_records"]


def engine_name() -> str:
    return get_settings().engine


def map_parallel(fn: Callable[[Any], Any], items: Iterable[Any], *, workers: int | None = None,
                 chunksize: int = 16, resources: dict | None = None) -> Iterator[Any]:
    """Apply ``fn`` to every item on the configured engine, yielding results in input order.

    Local: ``workers`` processes of the warm pool (1: in this process). Ray: tasks of ``chunksize``
    items with ``resources`` (Ray task options such as ``num_cpus``, ``memory``) added to the
    configured request; ``workers`` is then the cluster's business.
    """
    settings = get_settings()
    if settings.engine == "ray":
        from yizhi.engine.cluster import map_tasks

        yield from map_tasks(fn, items, chunksize=chunksize, resources=resources)
        return
    workers = workers or settings.workers
    if workers <= 1:
        yield from map(fn, items)
        return
    from yizhi.engine.local import map_ordered

    yield from map_ordered(fn, items, workers, chunksize)


def run_records(*args: Any, **kwargs: Any) -> dict:
    """See ``yizhi.engine.records.run_records``."""
    from yizhi.engine.records import run_records as run

    return run(*args, **kwargs)
