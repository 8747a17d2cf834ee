"""The figures a dataset card needs, read off the built tables (never off the raw input)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pyarrow.parquet as pq

from yizhi.ingest.profile import Profile
from yizhi.ingest.quality import connect, distinct_patients

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
KIND_NAMES = {"fhir-ndjson": "fhir", "fhir-json": "fhir", "table": "tables", "notes": "notes", "dicom": "dicom"}
AGE_COLUMNS = ("age", "age_years")


def compute(table_paths: dict[str, Path], quality: dict, date_columns: dict[str, list[str]],
            dicom_series: dict[str, int], classified, profile: Profile, scratch: Path | None = None) -> dict:
    return {
        "records": sum(q["rows"] for q in quality.values()),
        "individuals": distinct_patients(list(table_paths.values()), scratch),
        "age_range": _age_range(table_paths, profile, scratch),
        "temporal_coverage": _coverage(quality, date_columns),
        "modalities": sorted({KIND_NAMES[c.kind] for c in classified if c.kind in KIND_NAMES}),
        "dicom_series": dict(dicom_series),
        "tables": len(table_paths),
    }


def _coverage(quality: dict, date_columns: dict[str, list[str]]) -> list[str] | None:
    days: list[str] = []
    for table, entry in quality.items():
        for column in date_columns.get(table, []):
            found = entry["columns"].get(column, {}).get("range")
            if not found:
                continue
            for value in found:
                text = value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else str(value)
                if _DAY.match(text[:10]):
                    days.append(text[:10])
    return [min(days), max(days)] if days else None


def _age_range(table_paths: dict[str, Path], profile: Profile, scratch: Path | None) -> list[int] | None:
    """Ages at the profile's reference year from FHIR birth years, and age columns of tables."""
    ages: list[int] = []
    connection = connect(scratch)
    try:
        for name, path in table_paths.items():
            columns = pq.read_schema(path).names
            if name == "patient" and "birth_date" in columns:
                row = connection.execute(
                    "SELECT min(try_cast(left(birth_date, 4) AS INTEGER)), max(try_cast(left(birth_date, 4) AS INTEGER)) "
                    "FROM read_parquet(?)", [str(path)]).fetchone()
                if row[0] is not None:
                    ages += [profile.reference_year - row[1], profile.reference_year - row[0]]
            for column in (c for c in columns if c.lower() in AGE_COLUMNS):
                quoted = '"' + column.replace('"', '""') + '"'
                row = connection.execute(f"SELECT min(try_cast({quoted} AS DOUBLE)), max(try_cast({quoted} AS DOUBLE)) "
                                         "FROM read_parquet(?)", [str(path)]).fetchone()
                if row[0] is not None:
                    ages += [int(row[0]), int(row[1])]
    finally:
        connection.close()
    if not ages:
        return None
    return [max(0, min(ages)), min(max(ages), profile.max_age + 1)]
