"""Where a dataset version's files live: ``<data_dir>/datasets/<slug>/<number>/``.

Layout (the same as ``yizhi datasets export``): ``manifest.json``, ``tables/<name>.parquet``,
``dicom/...``. Only the platform's own processes read it; users reach it through grants.
"""

from __future__ import annotations

from pathlib import Path

from yizhi.catalog.models import DatasetVersion
from yizhi.config import get_settings
from yizhi.errors import NotFound


def datasets_root() -> Path:
    path = get_settings().resolved_data_dir() / "datasets"
    path.mkdir(parents=True, exist_ok=True)
    return path


def version_dir(version: DatasetVersion) -> Path:
    return datasets_root() / version.dataset.slug / str(version.number)


def table_path(version: DatasetVersion, table: str) -> Path:
    """The Parquet file of ``table``; NotFound naming the table and the tables there are."""
    if table not in (version.tables or {}):
        known = ", ".join(sorted(version.tables or {})) or "none"
        raise NotFound(f"dataset version {version.ref} has no table {table!r} (tables: {known})")
    return version_dir(version) / "tables" / f"{table}.parquet"


def building_dir(version: DatasetVersion) -> Path:
    """A temporary sibling of the version's directory: the build writes here, then renames it into place."""
    return datasets_root() / version.dataset.slug / f".building-{version.number}"


def uploads_root() -> Path:
    """Partial bytes of resumable uploads (moved into the raw store when complete)."""
    path = get_settings().resolved_data_dir() / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def keys_root() -> Path:
    """Each dataset's secret key, outside every version directory, so no export can carry it."""
    path = get_settings().resolved_data_dir() / "dataset-keys"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path
