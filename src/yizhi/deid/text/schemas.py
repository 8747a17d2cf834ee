"""Request and response bodies of POST /api/v1/deid/text."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class DeidTextIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(description="The note, at most 1 MB of UTF-8.")
    lang: Literal["auto", "zh", "en"] = "auto"
    policy: Literal["redact", "mask", "surrogate"] = "redact"
    patient_id: str | None = Field(default=None, max_length=200, description="Picks the per-patient date shift.")


class SpanPublic(BaseModel):
    start: int
    end: int
    type: str
    text: str
    confidence: float
    recognizer: str


class DeidTextPublic(BaseModel):
    text: str
    lang: str
    policy: str
    spans: list[SpanPublic]
