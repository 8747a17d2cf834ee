"""The per-job view of the data: only the granted tables and columns of the granted version,
materialised for one job as Parquet files that the sandbox mounts read-only at ``/data``.

Streams record batches (bounded memory whatever the version's size). When the project declares a
model trained on a table, a fixed random fifth of that table's rows is held back from the view:
those rows are the known non-members the airlock's membership-inference check needs (the job is
told so in the docs; it trains on the other four fifths).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from yizhi.access import grants
from yizhi.access.models import GrantDataset
from yizhi.catalog import store
from yizhi.errors import N_, NotFound, ValidationFailed

HOLDOUT_FRACTION = 0.2
BATCH_ROWS = 256_000


@dataclass
class ViewTable:
    name: str
    columns: list[str]
    rows: int
    held_out_rows: int = 0


def granted_columns(entry: GrantDataset, tables: list[str]) -> dict[str, list[str]]:
    """The columns of each table the job may read; refuses a table outside the grant, by name."""
    out = {}
    for table in tables:
        columns = grants.allowed_columns(entry, table)
        if not columns:
            raise ValidationFailed(N_("no column of table %(table)s is under this grant"), params={"table": table},
                                   field="tables")
        out[table] = columns
    return out


def materialise(entry: GrantDataset, columns: dict[str, list[str]], view_dir: Path, *,
                holdout_tables: set[str] = frozenset(), holdout_dir: Path | None = None,
                seed: int = 0) -> list[ViewTable]:
    """Write ``view_dir/<table>.parquet`` with only ``columns[table]``; held-out rows go to ``holdout_dir``."""
    view_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for table, names in columns.items():
        source = store.table_path(entry.version, table)
        if not source.is_file():
            raise NotFound(N_("the data of %(ref)s table %(table)s is missing on this server"),
                           params={"ref": entry.version.ref, "table": table})
        hold = table in holdout_tables and holdout_dir is not None
        written.append(_copy_columns(source, names, view_dir / f"{table}.parquet",
                                     holdout_dir / f"{table}.parquet" if hold else None, seed, table))
    for path in view_dir.iterdir():
        os.chmod(path, 0o444)
    os.chmod(view_dir, 0o555)
    return written


def _copy_columns(source: Path, names: list[str], target: Path, holdout: Path | None, seed: int,
                  table: str) -> ViewTable:
    reader = pq.ParquetFile(source)
    schema = pa.schema([reader.schema_arrow.field(n) for n in names])
    rows = held = 0
    rng = np.random.default_rng(seed)
    held_writer = pq.ParquetWriter(holdout, schema) if holdout is not None else None
    try:
        with pq.ParquetWriter(target, schema) as writer:
            for batch in reader.iter_batches(batch_size=BATCH_ROWS, columns=names, use_threads=True):
                if held_writer is not None:
                    mask = rng.random(batch.num_rows) < HOLDOUT_FRACTION
                    held_writer.write_batch(batch.filter(pa.array(mask)))
                    batch = batch.filter(pa.array(~mask))
                    held += int(mask.sum())
                writer.write_batch(batch)
                rows += batch.num_rows
    finally:
        if held_writer is not None:
            held_writer.close()
    return ViewTable(table, names, rows, held)


def materialise_dummy(entry: GrantDataset, columns: dict[str, list[str]], view_dir: Path) -> list[ViewTable]:
    """The same view over the version's dummy data (schema-faithful, no real rows; Tier A makes it)."""
    try:
        from yizhi.space.dummy import write_dummy
    except ImportError:
        raise ValidationFailed(N_("dummy data is not available on this platform yet")) from None
    scratch = view_dir.parent / "dummy-all"
    scratch.mkdir(parents=True, exist_ok=True)
    write_dummy(entry.version, scratch)
    view_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for table, names in columns.items():
        source = scratch / f"{table}.parquet"
        if not source.is_file():
            raise NotFound(N_("there is no dummy data for table %(table)s"), params={"table": table})
        written.append(_copy_columns(source, names, view_dir / f"{table}.parquet", None, 0, table))
    for path in view_dir.iterdir():
        os.chmod(path, 0o444)
    os.chmod(view_dir, 0o555)
    return written
