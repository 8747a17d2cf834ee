"""Record-level work on Ray Data: ``read_datasource`` -> ``map_batches`` -> ``write_datasink``.

The three stages call the functions the local engine calls (``partitions.read_block``,
``partitions.block_records`` + ``transform``, ``partitions.commit_part``), one partition per block:
the read task of partition *i* yields one block, the map turns that block into the partition's
encoded output (one row), the write commits it as ``part-i``. Ray fuses the three into one task per
partition, and its streaming executor starts new read tasks only while the object store has room
(back-pressure, bounded memory). A task whose worker dies is run again from its read; the part it
may have committed before dying is overwritten atomically with the same bytes.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable

import pyarrow as pa
from ray.data import Datasink, Datasource, ReadTask
from ray.data.block import BlockMetadata

from yizhi.engine import messages, partitions as parts
from yizhi.engine.cluster import carrying, connect, task_options, unwrap
from yizhi.errors import ValidationFailed

INDEX, COUNT = "_partition", "_of"


class PartitionSource(Datasource):
    """One read task per planned partition (never Ray's own splitting: the plan is the engine's)."""

    def __init__(self, plan: list[parts.Partition], store: tuple):
        self.plan, self.store = plan, store

    def estimate_inmemory_data_size(self) -> int:
        return sum(p.end - p.start for p in self.plan if p.format != "parquet") or None

    def get_read_tasks(self, parallelism: int, per_task_row_limit=None, data_context=None) -> list[ReadTask]:
        return [ReadTask(_reader(p, self.store), BlockMetadata(num_rows=None, size_bytes=_size(p), exec_stats=None,
                                                               input_files=[p.source]))
                for p in self.plan]


def _size(partition: parts.Partition) -> int | None:
    return partition.end - partition.start if partition.format != "parquet" else None


def _reader(partition: parts.Partition, store: tuple) -> Callable[[], Iterable[pa.Table]]:
    @carrying
    def read() -> Iterable[pa.Table]:
        table = parts.read_block(partition, store)
        rows = table.num_rows
        yield (table.append_column(INDEX, pa.array([partition.index] * rows, pa.int64()))
               .append_column(COUNT, pa.array([rows] * rows, pa.int64())))

    return read


@carrying
def transform_block(block: pa.Table, fn, params: dict, plan: dict) -> pa.Table:
    """map_batches: the whole block is one partition; out comes one row with its encoded output."""
    if block.num_rows == 0:
        return pa.table({"index": pa.array([], pa.int64()), "records_in": pa.array([], pa.int64()),
                         "records": pa.array([], pa.int64()), "data": pa.array([], pa.large_binary())})
    index = block.column(INDEX)[0].as_py()
    expected = block.column(COUNT)[0].as_py()
    if block.num_rows != expected or len(set(block.column(INDEX).to_pylist())) != 1:
        raise ValidationFailed(messages.PARTITION_SPLIT, params={"index": index, "rows": block.num_rows,
                                                                 "expected": expected})
    partition = parts.Partition(**plan[index])
    records = parts.block_records(block.drop_columns([INDEX, COUNT]), partition)
    data = parts.transform(records, fn, params)
    return pa.table({"index": [index], "records_in": [len(records)], "records": [data.count(b"\n")],
                     "data": pa.array([data], pa.large_binary())})


class PartSink(Datasink):
    """Commits each partition's output as its own part; the manifest is the driver's."""

    def __init__(self, output: str, store: tuple, plan: dict):
        self.output, self.store, self.plan = output, store, plan
        self.entries: list[dict] = []

    @carrying
    def write(self, blocks, ctx) -> list[dict]:
        written = []
        for block in blocks:
            for row in block.to_pylist():
                partition = parts.Partition(**self.plan[row["index"]])
                committed = parts.commit_part(self.output, partition.name, row["data"], self.store)
                written.append(parts.entry(partition, committed, row["records_in"], row["records"]))
        return written

    def on_write_complete(self, write_result) -> None:
        self.entries = [entry for returned in write_result.write_returns for entry in returned]


def run_on_ray(plan: list[parts.Partition], fn, params: dict, output: str, store: tuple, on_progress) -> list[dict]:
    from yizhi.engine.records import PartWatcher

    ray = connect()
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    by_index = {p.index: p.as_dict() for p in plan}
    options = task_options()
    resources = {key: options[key] for key in ("num_cpus", "memory") if key in options}
    # Ray Data retries its tasks on system failures (a dead worker) by itself; the count is ours.
    retries = {"max_retries": options["max_retries"]}
    with warnings.catch_warnings():
        # The retry count is only accepted through ray_remote_args (deprecated after the pinned 2.60);
        # the read, map and write stages must ask alike, or Ray does not fuse them into one task.
        warnings.filterwarnings("ignore", message=".*ray_remote_args.*")
        dataset = ray.data.read_datasource(PartitionSource(plan, store), override_num_blocks=len(plan),
                                           ray_remote_args={**resources, **retries})
        dataset = dataset.map_batches(transform_block, batch_size=None, batch_format="pyarrow", zero_copy_batch=True,
                                      fn_kwargs={"fn": fn, "params": params, "plan": by_index}, **resources, **retries)
    sink = PartSink(output, store, by_index)
    with PartWatcher(output, store, len(plan), on_progress):
        try:
            dataset.write_datasink(sink, ray_remote_args={**resources, **retries})
        except Exception as exc:  # noqa: BLE001 - Ray wraps the task's exception
            raise unwrap(exc) from None
    if on_progress is not None:
        on_progress(len(sink.entries), len(plan))
    return sink.entries
