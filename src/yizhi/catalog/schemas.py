"""Request and response bodies of the catalog's JSON API."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class DatasetCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    slug: str = Field(min_length=3, max_length=64)
    title: str = Field(min_length=1, max_length=200)
    org: str | None = Field(default=None, max_length=64, description="Organisation slug (default: your only one)")
    template: str | None = Field(default=None, max_length=64)
    description: str = Field(default="", max_length=4000)


class DatasetUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=4000)
    allow_extracts: bool | None = None
    template: str | None = Field(default=None, max_length=64, description="'' removes the template")


class UploadStart(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=255)
    size: int = Field(ge=0, le=10**15)
    sha256: str | None = Field(default=None, min_length=64, max_length=64)
    org: str | None = Field(default=None, max_length=64)


class UploadPublic(BaseModel):
    id: str
    name: str
    size: int
    offset: int
    state: str
    sha256: str | None = None


class IngestStart(BaseModel):
    model_config = ConfigDict(extra="forbid")
    uploads: list[str] = Field(default_factory=list, max_length=1000)
    profile: str | None = Field(default=None, max_length=262144, description="Profile YAML; null: the previous one")
    keep_previous_sources: bool = True


class CardUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    fields: dict[str, Any] = Field(max_length=60)
