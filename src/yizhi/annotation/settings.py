"""Annotation settings from the environment (``YIZHI_ANNOTATION_*``), each with help text."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class AnnotationSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="YIZHI_ANNOTATION_", extra="ignore")

    max_items: int = Field(default=2_000_000, ge=1, description="Most items one project may hold.")
    max_upload_mb: int = Field(default=50, ge=1,
                               description="Largest predictions or gold file accepted by the API, in MiB.")
    default_lock_minutes: int = Field(default=30, ge=1, le=1440,
                                      description="How long an annotator holds an item before it returns to the queue.")


@lru_cache(maxsize=1)
def get_annotation_settings() -> AnnotationSettings:
    return AnnotationSettings()
