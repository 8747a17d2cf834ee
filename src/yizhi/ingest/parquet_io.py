"""Parquet written the same way every time, so the same input gives the same bytes.

Workers write *parts* (one per work item and table) with whatever batches they hold; the final
table is then re-written from the parts, in work-item order, in row groups of a fixed number of
rows. So the output does not depend on how the input was cut into work items or how many
processes ran, and memory stays at one row group.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

ROW_GROUP_ROWS = 65_536
WRITE_OPTIONS = {
    "compression": "zstd",
    "compression_level": 3,
    "version": "2.6",
    "use_dictionary": True,
    "write_statistics": True,
    "store_schema": True,
}


class PartWriter:
    """Appends record batches of one schema to a Parquet part file (opened on first rows)."""

    def __init__(self, path: Path, schema: pa.Schema) -> None:
        self.path = path
        self.schema = schema
        self.rows = 0
        self._writer: pq.ParquetWriter | None = None

    def write_rows(self, rows: list[dict]) -> None:
        if rows:
            self.write_table(pa.Table.from_pylist(rows, schema=self.schema))

    def write_table(self, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._writer = pq.ParquetWriter(self.path, self.schema, **WRITE_OPTIONS)
        self._writer.write_table(table.cast(self.schema))
        self.rows += table.num_rows

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None


def merge_parts(parts: list[Path], target: Path, schema: pa.Schema | None = None) -> int:
    """Re-write ``parts`` (in order) into ``target`` with fixed row groups; returns the rows.

    Parts whose schema differs only in column types are unified to the first part's types (or
    ``schema``); the caller keeps schemas equal, this is a last defence.
    """
    parts = [part for part in parts if part.exists()]
    if not parts:
        return 0
    schema = schema or pq.read_schema(parts[0])
    schema = schema.remove_metadata()
    writer = pq.ParquetWriter(target, schema, **WRITE_OPTIONS)
    pending: list[pa.RecordBatch] = []
    pending_rows = rows = 0
    try:
        for part in parts:
            reader = pq.ParquetFile(part)
            for batch in reader.iter_batches(batch_size=ROW_GROUP_ROWS):
                batch = pa.Table.from_batches([batch]).select(schema.names).cast(schema).to_batches()
                for piece in batch:
                    pending.append(piece)
                    pending_rows += piece.num_rows
                while pending_rows >= ROW_GROUP_ROWS:
                    table = pa.Table.from_batches(pending, schema=schema)
                    writer.write_table(table.slice(0, ROW_GROUP_ROWS), row_group_size=ROW_GROUP_ROWS)
                    rest = table.slice(ROW_GROUP_ROWS)
                    pending = rest.to_batches()
                    pending_rows = rest.num_rows
                    rows += ROW_GROUP_ROWS
        if pending_rows:
            writer.write_table(pa.Table.from_batches(pending, schema=schema), row_group_size=ROW_GROUP_ROWS)
            rows += pending_rows
    finally:
        writer.close()
    return rows


def write_table(table: pa.Table, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table.replace_schema_metadata(None), target, row_group_size=ROW_GROUP_ROWS, **WRITE_OPTIONS)


def type_text(arrow_type: pa.DataType) -> str:
    """An Arrow type as the text DatasetVersion.tables holds (``string``, ``int64``, ``double``...)."""
    return str(arrow_type)
