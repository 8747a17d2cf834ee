"""DuckDB over a dataset version's Parquet files, locked down for one query.

A connection may read only the version's own ``tables/`` folder (``allowed_directories``, then
``enable_external_access = false``: no other file, no network, no extension loading), with the
thread and memory limits of :class:`yizhi.space.settings.QuerySettings`. Each table is a view named
after it; identifiers are quoted here and only after the caller checked them against the version's
schema — user text never reaches SQL except as a bound parameter.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from yizhi.catalog import store
from yizhi.catalog.models import DatasetVersion
from yizhi.space.settings import get_query_settings

NUMERIC_PREFIXES = ("int", "uint", "float", "double", "decimal", "halffloat")
TEMPORAL_PREFIXES = ("date", "timestamp")


def quote(identifier: str) -> str:
    """A DuckDB identifier, quoted (call it only with names checked against the schema)."""
    return '"' + identifier.replace('"', '""') + '"'


def literal_path(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def connect(version: DatasetVersion, tables: list[str] | None = None) -> duckdb.DuckDBPyConnection:
    """A connection with a view per table of ``version`` (or the named ones) and nothing else."""
    settings = get_query_settings()
    con = duckdb.connect(config={
        "threads": settings.query_threads, "memory_limit": settings.query_memory,
        "autoinstall_known_extensions": False, "autoload_known_extensions": False,
    })
    folder = store.version_dir(version) / "tables"
    con.execute(f"SET allowed_directories = [{literal_path(Path(str(folder) + '/'))}]")
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    for name in tables if tables is not None else list(version.tables or {}):
        path = store.table_path(version, name)
        con.execute(f"CREATE VIEW {quote(name)} AS SELECT * FROM read_parquet({literal_path(path)})")
    return con


def is_numeric(arrow_type: str) -> bool:
    return arrow_type.startswith(NUMERIC_PREFIXES)


def is_temporal(arrow_type: str) -> bool:
    return arrow_type.startswith(TEMPORAL_PREFIXES)


def is_integer(arrow_type: str) -> bool:
    return arrow_type.startswith(("int", "uint"))


def is_boolean(arrow_type: str) -> bool:
    return arrow_type == "bool"


def is_categorical(arrow_type: str) -> bool:
    """Columns a crosstab, a group or a filter by equality may use."""
    return arrow_type in ("string", "large_string", "bool") or arrow_type.startswith(
        ("int", "uint", "date", "dictionary"))


def arrow_type_is_text_or_bool(arrow_type: str) -> bool:
    return arrow_type in ("string", "large_string", "bool") or arrow_type.startswith("dictionary")
