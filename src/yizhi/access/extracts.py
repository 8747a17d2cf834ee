"""Extract grants: a Parquet download of only the granted columns of one table, its pseudonyms
re-keyed for this grant (:mod:`yizhi.access.rekey`), the grant and a watermark in the file's
metadata, stored content-addressed and recorded on the ledger (``access.extract_downloaded``).
Only the grant's team may download, and only while the grant is live.

Memory stays bounded: the table is read, re-keyed and written in batches of
``YIZHI_ACCESS_EXTRACT_BATCH_ROWS`` rows.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pyarrow.parquet as pq
from sqlalchemy import select
from sqlalchemy.orm import Session

from yizhi import ledger, storage
from yizhi.access import rekey
from yizhi.access.grants import actor_label, allowed_columns, grant_dataset, require_live, require_row_level
from yizhi.access.models import Grant, GrantMode
from yizhi.access.settings import get_access_settings
from yizhi.accounts.models import Person
from yizhi.accounts.permissions import authorize
from yizhi.catalog import store
from yizhi.catalog.models import DatasetVersion
from yizhi.deid.keys import load_key
from yizhi.errors import N_, PermissionDenied


def extract_key(grant: Grant) -> bytes:
    return rekey.grant_key(load_key(), grant.id, grant.extract_salt)


def extract_name(grant: Grant, ref: str, table: str) -> str:
    return f"{ref.replace('@', '-v')}-{table}-grant{grant.id}.parquet"


def make_extract(session: Session, person: Person | None, grant: Grant, ref: str, table: str) -> tuple[str, int, int]:
    """Write the extract of ``table`` of ``ref`` under ``grant``; (sha256, bytes, rows). Recorded."""
    if person is not None:
        authorize(person, "access.grant.extract", grant)
    if grant.mode != GrantMode.extract:
        raise PermissionDenied(N_("grant %(id)s is for analysis in the space only; it has no extracts"),
                               params={"id": grant.id}, code="not_extract")
    require_live(grant)
    require_row_level(grant)
    entry = grant_dataset(grant, ref)
    columns = allowed_columns(entry, table)
    digest, size, rows = _write(entry.version, table, columns, extract_key(grant), grant)
    ledger.record(session, "access.extract_downloaded", f"grant:{grant.id}", {
        "grant_id": grant.id, "version": ref, "table": table, "sha256": digest, "rows": rows,
        "columns": len(columns),
    }, actor=actor_label(person), org=grant.organization.slug)
    return digest, size, rows


def _write(version: DatasetVersion, table: str, columns: list[str], key: bytes, grant: Grant) -> tuple[str, int, int]:
    rekeyed = set(rekey.pseudonym_columns(version.card, table, columns))
    metadata = {"yizhi.grant": str(grant.id), "yizhi.version": version.ref, "yizhi.table": table}
    fd, tmp = tempfile.mkstemp(prefix=".extract-", suffix=".parquet", dir=storage.root())
    os.close(fd)
    try:
        rows = rekey.write_rekeyed(store.table_path(version, table), Path(tmp), columns, rekeyed, key, metadata,
                                   get_access_settings().extract_batch_rows)
        with open(tmp, "rb") as handle:
            digest, size = storage.put_stream(handle)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return digest, size, rows


def trace_extract(session: Session, version: DatasetVersion, table: str, leaked: set[str]) -> list[dict]:
    """Which extract grants on ``version`` produced these pseudonyms: for each, how many of the
    leaked values its key maps the version's pseudonyms to (the holder's tool for a leaked file)."""
    from yizhi.access.models import GrantDataset

    path = store.table_path(version, table)
    names = rekey.pseudonym_columns(version.card, table, list(version.columns_of(table)))
    if not names:
        return []
    originals = set()
    for batch in pq.ParquetFile(path).iter_batches(columns=names):
        for name in names:
            originals.update(str(v) for v in batch.column(name).to_pylist() if v is not None)
    found = []
    grants = session.scalars(select(Grant).join(GrantDataset).where(
        GrantDataset.version_id == version.id, Grant.mode == GrantMode.extract))
    for grant in grants:
        key = extract_key(grant)
        matched = sum(1 for value in originals if rekey.rekey_value(key, value) in leaked)
        if matched:
            found.append({"grant_id": grant.id, "org": grant.organization.slug, "matched": matched})
    return sorted(found, key=lambda item: -item["matched"])
