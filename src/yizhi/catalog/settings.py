"""Settings of the catalog: the raw store's retention and the upload limits."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class CatalogSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="YIZHI_", extra="ignore")

    raw_retention_days: int = Field(
        default=90, ge=1, le=36500,
        description="Days an uploaded raw file is kept in the hospital's raw store after it was stored; "
        "a periodic job then purges it unless a version that is still building needs it.",
    )
    raw_purge_hours: float = Field(
        default=24.0, gt=0, le=24 * 30, description="Hours between two runs of the raw-store purge job.",
    )
    upload_max_gb: float = Field(
        default=50.0, gt=0, le=10_000,
        description="Largest single dataset upload (GB), whether sent whole or in resumable chunks.",
    )
    upload_chunk_max_mb: int = Field(
        default=64, ge=1, le=1024,
        description="Largest chunk (MB) one PUT of a resumable dataset upload may carry.",
    )
    upload_stale_days: int = Field(
        default=7, ge=1, le=365,
        description="Days an unfinished resumable upload is kept before its partial bytes are deleted.",
    )


def catalog_settings() -> CatalogSettings:
    return CatalogSettings()
