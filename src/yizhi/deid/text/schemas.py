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
    keep_span_text: bool = Field(default=False, description="Also return each span's original text (the caller "
                                 "sent it, but a stored or logged response would then carry identifiers).")


class SpanPublic(BaseModel):
    start: int
    end: int
    type: str
    text: str | None = Field(default=None, description="The original value: only with keep_span_text.")
    confidence: float
    recognizer: str


class DeidTextPublic(BaseModel):
    text: str
    lang: str
    policy: str
    spans: list[SpanPublic]
