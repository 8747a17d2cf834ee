"""Record-level work (JSONL, CSV, Parquet): partitions through the local pool or Ray Data.

    from yizhi.engine.records import run_records
    manifest = run_records(fn, "s3://bucket/notes.jsonl", "s3://bucket/out/", params={...})

``fn(records: list[dict], params: dict) -> list[dict]`` is a top-level function (importable by name
on every worker). Each partition of the input (see ``partitions``) is read, passed to ``fn`` and
its output committed as one JSON-lines part; the manifest (``_manifest.json``: parts in input order,
their sizes, SHA-256 and record counts) is written last, so its presence means the run finished.
On the local engine the partitions go to the warm pool with a bounded number in flight; on Ray they
go through Ray Data (``read_datasource`` -> ``map_batches`` -> ``write_datasink``), whose streaming
executor bounds memory and applies back-pressure.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from yizhi.config import get_settings
from yizhi.engine import partitions as parts

RecordFn = Callable[[list[dict], dict], list[dict]]
ProgressFn = Callable[[int, int], None]  # (partitions done, partitions in all)


def run_records(fn: RecordFn, source: str, output: str, *, params: dict | None = None, engine: str | None = None,
                workers: int | None = None, partition_bytes: int | None = None,
                on_progress: ProgressFn | None = None) -> dict:
    """Run ``fn`` over every record of ``source`` into parts under ``output``; returns the manifest."""
    settings = get_settings()
    engine = engine or settings.engine
    workers = workers or settings.workers
    partition_bytes = partition_bytes or settings.partition_mb * 1_000_000
    params = dict(params or {})
    from yizhi.storage import store_config

    store = store_config()
    plan = parts.plan(source, partition_bytes, store)
    parts.check_output(output, store)
    started = time.perf_counter()
    if engine == "ray":
        from yizhi.engine.raydata import run_on_ray

        entries = run_on_ray(plan, fn, params, output, store, on_progress)
    else:
        entries = _run_local(plan, fn, params, output, store, workers, on_progress)
    extra = {"engine": engine, "partition_bytes": partition_bytes, "seconds": round(time.perf_counter() - started, 3)}
    return parts.finish(output, source, entries, extra, store)


def _run_local(plan: list[parts.Partition], fn: RecordFn, params: dict, output: str, store: tuple, workers: int,
               on_progress: ProgressFn | None) -> list[dict]:
    items = [(partition.as_dict(), fn, params, output, store) for partition in plan]
    if workers <= 1 or len(plan) < 2:
        results = map(_run_item, items)
    else:
        from yizhi.engine.local import map_ordered

        results = map_ordered(_run_item, items, workers, chunksize=1)
    entries = []
    for done, entry in enumerate(results, 1):
        entries.append(entry)
        if on_progress is not None:
            on_progress(done, len(plan))
    return entries


def _run_item(item: tuple) -> dict:
    partition, fn, params, output, store = item
    return parts.run_partition(partition, fn, params, output, store)


class PartWatcher:
    """Follows a run by the parts committed under its output (they appear atomically), for engines
    whose progress is not reported back to this process as it happens."""

    def __init__(self, output: str, store: tuple, total: int, on_progress: ProgressFn | None, every: float = 1.0):
        self.output, self.store, self.total, self.on_progress, self.every = output, store, total, on_progress, every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True, name="yizhi-part-watcher")
        self.seen = 0

    def __enter__(self) -> PartWatcher:
        if self.on_progress is not None:
            self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _watch(self) -> None:
        fs, folder = parts.filesystem(self.output, self.store)
        while not self._stop.wait(self.every):
            try:
                fs.invalidate_cache()
                done = len(fs.glob(f"{folder.rstrip('/')}/part-*.jsonl"))
            except FileNotFoundError:
                continue
            if done != self.seen:
                self.seen = done
                self.on_progress(done, self.total)


def job_progress(context, note: str = "partitions") -> ProgressFn:
    """An ``on_progress`` that moves a platform job's progress with the run (``ctx.progress``)."""

    def report(done: int, total: int) -> None:
        context.progress(done / total if total else 1.0, f"{done}/{total} {note}")

    return report
