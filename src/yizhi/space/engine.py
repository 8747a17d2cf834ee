"""DuckDB over a dataset version's Parquet files, locked down for one query.

A connection may read only the version's own ``tables/`` folder (``allowed_directories``, then
``enable_external_access = false``: no other file, no network, no extension loading), with the
thread and memory limits of :class:`yizhi.space.settings.QuerySettings`. Each table is a view named
after it; identifiers are quoted here and only after the caller checked them against the version's
schema — user text never reaches SQL except as a bound parameter.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
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


_DATABASES: OrderedDict[tuple, duckdb.DuckDBPyConnection] = OrderedDict()
_DATABASES_LOCK = threading.Lock()
KEEP_DATABASES = 8


def connect(version: DatasetVersion, tables: list[str] | None = None) -> duckdb.DuckDBPyConnection:
    """A cursor on a database that sees only ``version``'s tables (one view each) and nothing else.

    Starting a DuckDB database costs ~0.1 s, so one locked-down database per version (the last
    ``KEEP_DATABASES`` used) is kept and each query gets its own cursor on it; close the cursor.
    """
    settings = get_query_settings()
    folder = store.version_dir(version) / "tables"
    key = (str(folder), version.root_hash, settings.query_threads, settings.query_memory)
    with _DATABASES_LOCK:
        base = _DATABASES.get(key)
        if base is None:
            base = _open(version, folder, settings)
            _DATABASES[key] = base
        _DATABASES.move_to_end(key)
        while len(_DATABASES) > KEEP_DATABASES:
            _DATABASES.popitem(last=False)   # closed when its last cursor is gone
        return base.cursor()


def _open(version: DatasetVersion, folder: Path, settings) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(config={
        "threads": settings.query_threads, "memory_limit": settings.query_memory,
        "autoinstall_known_extensions": False, "autoload_known_extensions": False,
    })
    con.execute(f"SET allowed_directories = [{literal_path(Path(str(folder) + '/'))}]")
    con.execute("SET enable_external_access = false")
    for name in list(version.tables or {}):
        path = store.table_path(version, name)
        con.execute(f"CREATE VIEW {quote(name)} AS SELECT * FROM read_parquet({literal_path(path)})")
    con.execute("SET lock_configuration = true")
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
