"""The quality report of a built version, computed with DuckDB over its Parquet tables.

Per table: rows; per column its type, share of nulls, distinct count and — for numbers and dates
only (text ranges would quote released text) — the range. Plus the skipped rows and resources
by kind, and DICOM series by modality. Values are rounded so the report is byte-stable.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from yizhi.ingest.parquet_io import type_text


def connect(scratch: Path | None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB whose spill files (if any) stay in the build's scratch folder."""
    if scratch is None:
        return duckdb.connect()
    (scratch / "duckdb").mkdir(parents=True, exist_ok=True)
    return duckdb.connect(config={"temp_directory": str(scratch / "duckdb"), "threads": 2})


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _rangeable(arrow_type: pa.DataType, is_date: bool) -> bool:
    return (pa.types.is_integer(arrow_type) or pa.types.is_floating(arrow_type) or pa.types.is_decimal(arrow_type)
            or pa.types.is_temporal(arrow_type) or (is_date and pa.types.is_string(arrow_type)))


def _plain(value):
    if value is None or isinstance(value, (int, str, bool)):
        return value
    if isinstance(value, float):
        return round(value, 6)
    return str(value)


def table_quality(path: Path, date_columns: set[str], scratch: Path | None = None) -> dict:
    schema = pq.read_schema(path)
    rows = pq.ParquetFile(path).metadata.num_rows
    columns: dict[str, dict] = {}
    connection = connect(scratch)
    try:
        for field in schema:
            if field.name.startswith("__"):
                continue
            column = _quote(field.name)
            nested = pa.types.is_nested(field.type)
            selects = [f"count({column})"]
            if not nested:
                selects.append(f"count(DISTINCT {column})")
            is_date = field.name in date_columns
            if _rangeable(field.type, is_date):
                # dates held as text: compare their day part, so times and zones do not reorder them
                expr = f"left({column}, 10)" if pa.types.is_string(field.type) else column
                selects += [f"min({expr})", f"max({expr})"]
            values = connection.execute(f"SELECT {', '.join(selects)} FROM read_parquet(?)", [str(path)]).fetchone()
            entry = {"type": type_text(field.type), "null_share": round(1 - values[0] / rows, 6) if rows else 0.0}
            rest = list(values[1:])
            if not nested:
                entry["distinct"] = int(rest.pop(0))
            if rest:
                entry["range"] = [_plain(rest[0]), _plain(rest[1])]
            columns[field.name] = entry
    finally:
        connection.close()
    return {"rows": rows, "columns": columns}


def distinct_patients(paths: list[Path], scratch: Path | None = None) -> int:
    with_patient = [str(p) for p in paths if "patient" in pq.read_schema(p).names]
    if not with_patient:
        return 0
    connection = connect(scratch)
    try:
        union = " UNION ".join("SELECT patient FROM read_parquet(?)" for _ in with_patient)
        return int(connection.execute(f"SELECT count(DISTINCT patient) FROM ({union})", with_patient).fetchone()[0])
    finally:
        connection.close()
