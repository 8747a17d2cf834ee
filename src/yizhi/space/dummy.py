"""Dummy data for a dataset version: the same tables, columns and Arrow types, plausible values and
null rates, and no real row or rare real value — so a grantee can write and test an analysis (or a
Tier B project) on their own machine, as OpenSAFELY's dummy data lets analysts do.

Built from the schema and these coarse statistics of the real data only (computed by DuckDB inside
the space; :func:`profile` returns exactly them), with ``t`` = the dataset's minimum count:

* per table: the number of rows (to scale the dummy tables alike) and whether ``patient`` is unique;
* per column: the share of nulls, rounded to the nearest 5 %;
* a *categorical* column (text, boolean, or integer/date with at most 20 distinct values): up to 50 of
  its values that occur at least ``t`` times (never a rarer one), with their shares rounded to 1 %;
* a *numeric or date* column: the 5th and 95th percentiles, rounded outwards to two significant digits
  (dates: to whole days), and the mean and standard deviation rounded to two significant digits; values
  are drawn from that normal distribution clipped to that range (whole numbers for integer columns);
* a text column with no value occurring ``t`` times (names, codes, free text): nothing — its values
  are made up (``<column>-<n>``);
* ``patient``: made-up pseudonyms ``DUMMY-000001``…, shared across tables so joins on ``patient`` work;
  unique in a table where the real one is.

Then two guarantees are enforced against the real data, not just hoped for: any generated value that
occurs in the real column fewer than ``t`` times is drawn again (and, failing that, set to null), and
any generated row equal to a real row (all columns, nulls equal) is dropped.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from yizhi.catalog.models import DatasetVersion
from yizhi.space import engine
from yizhi.space.engine import quote

PATIENT = "patient"
MAX_CATEGORIES = 50
FEW_DISTINCT = 20
RESAMPLE_TRIES = 20


def dummy_tables(version: DatasetVersion, *, rows: int | None = None, seed: int = 0) -> dict[str, pa.Table]:
    """Dummy tables of ``version``; the largest has ``rows`` rows (default: the real size, at most
    ``YIZHI_SPACE_DUMMY_ROWS``), the others scaled alike."""
    from yizhi.space.settings import get_query_settings

    threshold = _threshold(version)
    stats = profile(version, threshold=threshold)
    largest = max((t["rows"] for t in stats.values()), default=0)
    target = rows if rows is not None else min(largest, get_query_settings().dummy_rows)
    scale = (target / largest) if largest else 0.0
    rng = np.random.default_rng(seed)
    pool_size = max([max(1, round(t["patients"] * scale)) for t in stats.values() if t.get("patients")] or [1])
    pool = np.array([f"DUMMY-{i:06d}" for i in range(1, pool_size + 1)], dtype=object)
    con = engine.connect(version)
    try:
        out = {}
        for name, table_stats in stats.items():
            count = max(1, round(table_stats["rows"] * scale)) if table_stats["rows"] else 0
            schema = _arrow_schema(version, name)
            table = _generate_table(schema, table_stats, count, rng, pool)
            table = _replace_rare_values(con, name, table, table_stats, rng, threshold)
            out[name] = _drop_real_rows(con, name, table)
        return out
    finally:
        con.close()


def write_dummy(version: DatasetVersion, out_dir: Path) -> list[Path]:
    """Write the dummy tables to ``out_dir/<table>.parquet``; the paths written."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in dummy_tables(version).items():
        path = out_dir / f"{name}.parquet"
        pq.write_table(table, path)
        written.append(path)
    return written


def _threshold(version: DatasetVersion) -> int:
    from sqlalchemy.orm import object_session

    from yizhi.space.disclosure import DisclosureRules, rules_for

    session = object_session(version)
    rules = rules_for(session, version) if session is not None else DisclosureRules()
    return max(1, int(rules.min_count))


def _arrow_schema(version: DatasetVersion, table: str) -> pa.Schema:
    from yizhi.catalog import store

    return pq.read_schema(store.table_path(version, table))


# --- the statistics ---------------------------------------------------------------------------

def profile(version: DatasetVersion, *, threshold: int = 10) -> dict:
    """Every statistic of the real data the dummy data is made from (see the module docstring)."""
    con = engine.connect(version)
    try:
        return {name: _profile_table(con, name, _arrow_schema(version, name), threshold)
                for name in (version.tables or {})}
    finally:
        con.close()


def _profile_table(con, table: str, schema: pa.Schema, threshold: int) -> dict:
    rows = con.execute(f"SELECT count(*) FROM {quote(table)}").fetchone()[0]
    stats = {"rows": int(rows), "patients": 0, "patient_unique": False, "columns": {}}
    if PATIENT in schema.names:
        distinct = con.execute(f"SELECT count(DISTINCT {quote(PATIENT)}) FROM {quote(table)}").fetchone()[0]
        stats["patients"], stats["patient_unique"] = int(distinct), distinct == rows
    for field in schema:
        if field.name == PATIENT:
            stats["columns"][field.name] = {"kind": "patient", "null_share": 0.0}
            continue
        stats["columns"][field.name] = _profile_column(con, table, field, rows, threshold)
    return stats


def _round_share(value: float, step: float) -> float:
    return round(round(value / step) * step, 4)


def _round_sig(value: float, digits: int = 2, direction: str = "nearest") -> float:
    if value == 0 or not math.isfinite(value):
        return 0.0
    magnitude = 10 ** (math.floor(math.log10(abs(value))) - digits + 1)
    operation = {"down": math.floor, "up": math.ceil}.get(direction, round)
    return float(operation(value / magnitude) * magnitude)


def _profile_column(con, table: str, field: pa.Field, rows: int, threshold: int) -> dict:
    column, kind = quote(field.name), _kind(field.type)
    nulls = con.execute(f"SELECT count(*) FROM {quote(table)} WHERE {column} IS NULL").fetchone()[0]
    stats = {"kind": kind, "null_share": _round_share(nulls / rows, 0.05) if rows else 0.0}
    if kind == "other":
        return stats
    distinct = con.execute(f"SELECT count(DISTINCT {column}) FROM {quote(table)}").fetchone()[0]
    if kind in ("text", "bool") or (kind in ("integer", "date") and distinct <= FEW_DISTINCT):
        frequent = con.execute(
            f"SELECT {column}, count(*) AS n FROM {quote(table)} WHERE {column} IS NOT NULL GROUP BY 1 "
            f"HAVING count(*) >= ? ORDER BY n DESC, 1 LIMIT ?", [threshold, MAX_CATEGORIES]).fetchall()
        present = rows - nulls
        stats["values"] = [[value, max(0.01, _round_share(n / present, 0.01))] for value, n in frequent]
        if stats["values"] or kind != "text":
            stats["kind_detail"] = "categorical"
            return stats
        stats["kind_detail"] = "made_up"
        return stats
    stats["kind_detail"] = "range"
    stats.update(_numeric_summary(con, table, field, kind))
    return stats


def _numeric_summary(con, table: str, field: pa.Field, kind: str) -> dict:
    column = quote(field.name)
    expression = f"epoch({column})" if kind in ("date", "timestamp") else f"CAST({column} AS DOUBLE)"
    low, high, mean, sd = con.execute(
        f"SELECT quantile_cont({expression}, 0.05), quantile_cont({expression}, 0.95), avg({expression}), "
        f"stddev_samp({expression}) FROM {quote(table)} WHERE {column} IS NOT NULL").fetchone()
    if low is None:
        return {"low": 0.0, "high": 0.0, "mean": 0.0, "sd": 0.0}
    if kind in ("date", "timestamp"):
        day = 86400.0
        low, high = math.floor(low / day) * day, math.ceil(high / day) * day
    else:
        low, high = _round_sig(low, 2, "down"), _round_sig(high, 2, "up")
    return {"low": low, "high": high, "mean": _round_sig(mean or 0.0), "sd": _round_sig(sd or 0.0)}


def _kind(arrow_type: pa.DataType) -> str:
    if pa.types.is_boolean(arrow_type):
        return "bool"
    if pa.types.is_integer(arrow_type):
        return "integer"
    if pa.types.is_floating(arrow_type) or pa.types.is_decimal(arrow_type):
        return "float"
    if pa.types.is_date(arrow_type):
        return "date"
    if pa.types.is_timestamp(arrow_type):
        return "timestamp"
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type) or pa.types.is_dictionary(arrow_type):
        return "text"
    return "other"


# --- generation -------------------------------------------------------------------------------

def _generate_table(schema: pa.Schema, stats: dict, count: int, rng: np.random.Generator,
                    pool: np.ndarray) -> pa.Table:
    arrays = []
    for field in schema:
        column_stats = stats["columns"][field.name]
        if column_stats["kind"] == "patient":
            values = _patients(pool, count, stats["patient_unique"], rng)
        else:
            values = _column_values(field, column_stats, count, rng)
        arrays.append(_to_arrow(values, field.type, column_stats))
    return pa.Table.from_arrays(arrays, schema=schema)


def _patients(pool: np.ndarray, count: int, unique: bool, rng: np.random.Generator) -> list:
    if unique and count <= pool.size:
        return list(rng.choice(pool, size=count, replace=False))
    return list(rng.choice(pool, size=count, replace=True))


def _column_values(field: pa.Field, stats: dict, count: int, rng: np.random.Generator) -> list:
    values = _draw(field, stats, count, rng)
    nulls = rng.random(count) < stats["null_share"]
    return [None if is_null else value for value, is_null in zip(values, nulls, strict=True)]


def _draw(field: pa.Field, stats: dict, count: int, rng: np.random.Generator) -> list:
    detail = stats.get("kind_detail")
    if stats["kind"] == "other" or count == 0:
        return [None] * count
    if detail == "categorical":
        if not stats.get("values"):
            return [None] * count
        choices = [v for v, _ in stats["values"]]
        weights = np.array([w for _, w in stats["values"]], dtype=float)
        picked = rng.choice(len(choices), size=count, p=weights / weights.sum())
        return [choices[i] for i in picked]
    if detail == "made_up":
        return [f"{field.name}-{int(i)}" for i in rng.integers(1, 10 * max(count, 1), size=count)]
    low, high = stats["low"], stats["high"]
    sd = stats["sd"] or (high - low) / 4 or 1.0
    raw = np.clip(rng.normal(stats["mean"] or (low + high) / 2, sd, size=count), low, high)
    if stats["kind"] == "integer":
        return [int(v) for v in np.round(raw)]
    if stats["kind"] == "date":
        return [int(v // 86400) for v in raw]
    if stats["kind"] == "timestamp":
        return [int(v) for v in raw]
    return [float(v) for v in raw]


def _to_arrow(values: list, arrow_type: pa.DataType, stats: dict) -> pa.Array:
    kind = stats["kind"]
    if kind == "date":
        ints = [v if v is None or isinstance(v, int) else None for v in values]
        if stats.get("kind_detail") == "categorical":
            return pa.array(values, type=arrow_type)
        return pa.array(ints, type=pa.int32()).cast(arrow_type)
    if kind == "timestamp":
        seconds = pa.array(values, type=pa.int64()).cast(pa.timestamp("s", tz=arrow_type.tz))
        return seconds.cast(arrow_type, safe=False)
    if pa.types.is_dictionary(arrow_type):
        return pa.array(values, type=arrow_type.value_type).dictionary_encode().cast(arrow_type)
    return pa.array(values, type=arrow_type)


# --- the two guarantees -----------------------------------------------------------------------

def _replace_rare_values(con, table: str, dummy: pa.Table, stats: dict, rng: np.random.Generator,
                         threshold: int) -> pa.Table:
    """Draw again any value that occurs fewer than ``threshold`` times in the real column."""
    for position, field in enumerate(dummy.schema):
        column_stats = stats["columns"][field.name]
        if column_stats.get("kind_detail") == "range" and column_stats["kind"] in ("integer", "date"):
            dummy = _snap_to_allowed(con, table, dummy, position, column_stats, threshold)
        for _ in range(RESAMPLE_TRIES):
            rare = _rare_positions(con, table, field, dummy.column(position), threshold)
            if not rare.size:
                break
            values = dummy.column(position).to_pylist()
            if column_stats["kind"] == "patient":
                fresh = [f"DUMMY-X{int(i):08d}" for i in rng.integers(0, 10**8, size=rare.size)]
            else:
                fresh = _column_values(field, column_stats, int(rare.size), rng)
            for index, value in zip(rare, fresh, strict=True):
                values[index] = value
            dummy = dummy.set_column(position, field, _to_arrow(values, field.type, column_stats))
        else:
            rare = _rare_positions(con, table, field, dummy.column(position), threshold)
            values = dummy.column(position).to_pylist()
            for index in rare:
                values[index] = None
            dummy = dummy.set_column(position, field, _to_arrow(values, field.type, column_stats))
    return dummy


def _snap_to_allowed(con, table: str, dummy: pa.Table, position: int, stats: dict, threshold: int) -> pa.Table:
    """Move each whole number (or day) that is rare in the real column to the nearest one in the range
    that is not: one that occurs at least ``threshold`` times, or never."""
    field = dummy.schema.field(position)
    is_date = stats["kind"] == "date"
    day = 86400
    low, high = (int(stats["low"] // day), int(stats["high"] // day)) if is_date else (int(stats["low"]), int(stats["high"]))
    if high - low > 200_000:
        return dummy
    expression = f"CAST(epoch({quote(field.name)}) // {day} AS BIGINT)" if is_date else quote(field.name)
    rare = {row[0] for row in con.execute(
        f"SELECT {expression} FROM {quote(table)} WHERE {quote(field.name)} IS NOT NULL GROUP BY 1 "
        f"HAVING count(*) < ?", [threshold]).fetchall()}
    allowed = np.array([v for v in range(low, high + 1) if v not in rare], dtype=np.int64)
    values = dummy.column(position).to_pylist()
    numbers = [None if v is None else (v - dt.date(1970, 1, 1)).days if is_date else int(v) for v in values]
    snapped = []
    for number in numbers:
        if number is None or number not in rare:
            snapped.append(number)
        elif not allowed.size:
            snapped.append(None)
        else:
            index = int(np.clip(np.searchsorted(allowed, number), 0, allowed.size - 1))
            nearest = min({index, max(0, index - 1)}, key=lambda i: abs(int(allowed[i]) - number))
            snapped.append(int(allowed[nearest]))
    return dummy.set_column(position, field, _to_arrow(snapped, field.type, stats))


def _rare_positions(con, table: str, field: pa.Field, column: pa.ChunkedArray, threshold: int) -> np.ndarray:
    if pa.types.is_nested(field.type) or column.null_count == len(column):
        return np.array([], dtype=int)
    probe = pa.table({"position": pa.array(range(len(column)), type=pa.int64()), "value": column})
    con.register("dummy_probe", probe)
    try:
        name = quote(field.name)
        found = con.execute(
            f"SELECT p.position FROM dummy_probe p JOIN (SELECT {name} AS value FROM {quote(table)} "
            f"WHERE {name} IS NOT NULL GROUP BY 1 HAVING count(*) < ?) r ON p.value = r.value ORDER BY 1",
            [threshold]).fetchall()
    finally:
        con.unregister("dummy_probe")
    return np.array([row[0] for row in found], dtype=int)


def _drop_real_rows(con, table: str, dummy: pa.Table) -> pa.Table:
    """Drop any dummy row equal to a real row in every column (nulls equal)."""
    if dummy.num_rows == 0:
        return dummy
    probe = dummy.append_column("__position", pa.array(range(dummy.num_rows), type=pa.int64()))
    con.register("dummy_rows", probe)
    try:
        condition = " AND ".join(f"d.{quote(n)} IS NOT DISTINCT FROM r.{quote(n)}" for n in dummy.schema.names)
        found = con.execute(f"SELECT DISTINCT d.__position FROM dummy_rows d JOIN {quote(table)} r ON {condition}"
                            ).fetchall()
    finally:
        con.unregister("dummy_rows")
    if not found:
        return dummy
    drop = {row[0] for row in found}
    keep = pa.array([i not in drop for i in range(dummy.num_rows)])
    return pc.filter(dummy, keep)
