"""A quality report per table (the same shape as the ingest pipeline's ``quality.json``) from its Parquet file: rows, columns and types, share of nulls,
distinct counts and ranges — for versions made without the ingest pipeline (tests, demo data
that is already de-identified). Ingested versions carry the report the pipeline wrote."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq


def column_quality(column: pa.ChunkedArray) -> dict:
    rows = len(column)
    nulls = column.null_count
    entry = {"type": str(column.type), "null_share": round(nulls / rows, 4) if rows else 0.0,
             "distinct": int(pc.count_distinct(column).as_py() or 0)}
    if (pa.types.is_integer(column.type) or pa.types.is_floating(column.type)
            or pa.types.is_temporal(column.type)) and rows > nulls:
        bounds = pc.min_max(column).as_py()
        entry["range"] = [_plain(bounds["min"]), _plain(bounds["max"])]
    return entry


def _plain(value):
    return value if isinstance(value, (int, float)) or value is None else str(value)


def table_quality(path: Path) -> dict:
    table = pq.read_table(path)
    return {"rows": table.num_rows,
            "columns": {name: column_quality(table.column(name)) for name in table.column_names}}


def compute_quality(directory: Path, table_names) -> dict:
    return {"tables": {name: table_quality(directory / "tables" / f"{name}.parquet") for name in sorted(table_names)}}
