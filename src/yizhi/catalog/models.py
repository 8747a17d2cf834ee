"""Tables of the catalog: datasets and their immutable versions.

A version's files (Parquet tables, de-identified DICOM, manifest) live on disk under
``<data_dir>/datasets/<slug>/<number>/`` (see :mod:`yizhi.catalog.store`); the row holds what
pages, grants and queries need without opening them: the tables' schemas, the root hash, the card.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from yizhi.accounts.models import Organization
from yizhi.db import Base, UTCDateTime, enum_type, utcnow


class VersionState(enum.StrEnum):
    building = "building"      # the ingest job is writing it
    ready = "ready"            # built, visible to its hospital, card may still be edited
    failed = "failed"          # the build failed; nothing of it is used
    published = "published"    # in the catalog; others may apply for it
    withdrawn = "withdrawn"    # no new grants; existing ones decide for themselves


class Dataset(Base):
    __tablename__ = "catalog_datasets"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="RESTRICT"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    template: Mapped[str | None] = mapped_column(String(64), nullable=True)
    allow_extracts: Mapped[bool] = mapped_column(Boolean, default=False)
    # Facets for catalog search, from the card template and the card (kept here so search is a query)
    organ: Mapped[str] = mapped_column(String(64), default="")
    disease: Mapped[str] = mapped_column(String(100), default="")
    modalities: Mapped[list] = mapped_column(JSON, default=list)
    # "generated" or "brought" (--key-file); the key itself lives outside every version (keys.py)
    key_origin: Mapped[str] = mapped_column(String(16), default="generated")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organization: Mapped[Organization] = relationship()
    versions: Mapped[list[DatasetVersion]] = relationship(back_populates="dataset",
                                                          order_by="DatasetVersion.number")


class DatasetVersion(Base):
    __tablename__ = "catalog_versions"
    __table_args__ = (UniqueConstraint("dataset_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("catalog_datasets.id", ondelete="RESTRICT"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    state: Mapped[VersionState] = mapped_column(enum_type(VersionState, "catalog_version_state"),
                                                default=VersionState.building)
    # sha256 hex of the manifest (the version's identity, recorded on the ledger when built)
    root_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # {table: {"columns": {column: arrow type as text}, "rows": int}}
    tables: Mapped[dict] = mapped_column(JSON, default=dict)
    card: Mapped[dict] = mapped_column(JSON, default=dict)
    quality: Mapped[dict] = mapped_column(JSON, default=dict)
    # what it was built from: [{"name", "sha256", "bytes"}] (raw uploads) and the profile's YAML text
    sources: Mapped[list] = mapped_column(JSON, default=list)
    profile: Mapped[str] = mapped_column(Text, default="")
    # the build's figures (records, individuals, age range, ...), quarantined files, skipped rows
    stats: Mapped[dict] = mapped_column(JSON, default=dict)
    quarantine: Mapped[list] = mapped_column(JSON, default=list)
    problems: Mapped[list] = mapped_column(JSON, default=list)
    # why the build failed, in words a hospital member can act on
    error: Mapped[str] = mapped_column(Text, default="")
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"), nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    built_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    dataset: Mapped[Dataset] = relationship(back_populates="versions")

    @property
    def ref(self) -> str:
        """``SLUG@N``, the name every later capability uses."""
        return f"{self.dataset.slug}@{self.number}"

    @property
    def organization_id(self) -> int:
        return self.dataset.organization_id

    def columns_of(self, table: str) -> dict[str, str]:
        return dict((self.tables.get(table) or {}).get("columns") or {})


class UploadState(enum.StrEnum):
    receiving = "receiving"    # chunks arriving; resumable from `received`
    stored = "stored"          # complete, sha256 checked, in the raw store
    purged = "purged"          # removed after the retention period (the record stays)


class Upload(Base):
    """One file a hospital uploaded: first its partial bytes, then its place in the raw store.

    The raw store is the content-addressed store (:mod:`yizhi.storage`); this row says which
    organisation owns the file — only its members may read it — and when it is due for purging.
    """

    __tablename__ = "catalog_uploads"

    # unguessable, so a resumable upload's URL does not enumerate others'
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="RESTRICT"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), nullable=True)
    name: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger)
    received: Mapped[int] = mapped_column(BigInteger, default=0)
    expected_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    sha256: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    state: Mapped[UploadState] = mapped_column(enum_type(UploadState, "catalog_upload_state"),
                                               default=UploadState.receiving, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    stored_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    organization: Mapped[Organization] = relationship()
