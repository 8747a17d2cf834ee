"""Make a dataset version straight from Arrow tables, without an ingest job.

For tests of the capabilities that work *on* a version (access, space, evaluation, annotation)
and for demo data that is already de-identified. The version gets the same on-disk layout,
manifest and root hash as an ingested one; it is recorded on the ledger like one.
"""

from __future__ import annotations

import shutil

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yizhi import ledger
from yizhi.accounts.models import Organization
from yizhi.catalog import manifest, quality, store
from yizhi.catalog.models import Dataset, DatasetVersion, VersionState
from yizhi.db import utcnow


def table_schema(table: pa.Table) -> dict:
    return {"columns": {f.name: str(f.type) for f in table.schema}, "rows": table.num_rows}


def simple_stats(tables: dict[str, pa.Table]) -> dict:
    """Records (rows of all tables) and individuals (distinct values of a ``patient`` column)."""
    patients: set = set()
    for table in tables.values():
        if "patient" in table.column_names:
            patients.update(v for v in table.column("patient").to_pylist() if v is not None)
    return {"records": sum(t.num_rows for t in tables.values()),
            "individuals": len(patients) if patients else None, "tables": len(tables), "modalities": []}


def make_version(session: Session, org: Organization, slug: str, tables: dict[str, pa.Table], *,
                 title: str | None = None, publish: bool = True, card: dict | None = None,
                 allow_extracts: bool = False) -> DatasetVersion:
    """Create (or add a version to) dataset ``slug`` of ``org`` holding ``tables``; flushes only."""
    dataset = session.scalar(select(Dataset).where(Dataset.slug == slug))
    if dataset is None:
        dataset = Dataset(slug=slug, organization_id=org.id, title=title or slug, allow_extracts=allow_extracts)
        session.add(dataset)
        session.flush()
    number = (session.scalar(select(func.max(DatasetVersion.number)).where(
        DatasetVersion.dataset_id == dataset.id)) or 0) + 1
    version = DatasetVersion(dataset_id=dataset.id, number=number, state=VersionState.building,
                             tables={name: table_schema(t) for name, t in tables.items()},
                             card=dict(card or {"title": title or slug}))
    version.dataset = dataset
    session.add(version)
    session.flush()
    directory = store.version_dir(version)
    shutil.rmtree(directory, ignore_errors=True)
    (directory / "tables").mkdir(parents=True)
    for name, table in tables.items():
        pq.write_table(table, directory / "tables" / f"{name}.parquet")
    version.quality = quality.compute_quality(directory, tables)
    version.stats = simple_stats(tables)
    version.root_hash = manifest.write_manifest(directory)["root_hash"]
    version.built_at = utcnow()
    version.state = VersionState.published if publish else VersionState.ready
    version.published_at = utcnow() if publish else None
    ledger.record(session, "dataset.version_built", f"dataset_version:{version.id}",
                  {"version": version.ref, "root_hash": version.root_hash}, org=org.slug)
    session.flush()
    return version
