"""Access settings from the environment (``YIZHI_ACCESS_*``), each with help text."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class AccessSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="YIZHI_ACCESS_", extra="ignore")

    max_ethics_bytes: int = Field(
        default=20 * 1024 * 1024, ge=1024, description="Largest ethics approval file (PDF, PNG, JPEG) an applicant may upload, in bytes.")
    extract_batch_rows: int = Field(
        default=65_536, ge=1_024, description="Rows read, re-keyed and written at a time when an extract is made (bounds memory).")
    expiry_warning_days: int = Field(
        default=14, ge=0, description="Days before a grant expires when its team is told.")
    check_seconds: int = Field(
        default=3600, ge=60, description="How often workers look for overdue review steps and expiring grants.")


@lru_cache(maxsize=1)
def get_access_settings() -> AccessSettings:
    return AccessSettings()
