"""Request bodies of the annotation API (bounded: every list and text has a limit)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ProjectCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slug: str = Field(max_length=64)
    title: str = Field(default="", max_length=200)
    org: str = Field(max_length=64)
    dataset: str = Field(max_length=80)
    kind: str = Field(default="labeling", max_length=20)
    label_schema: Any = Field(default=None, alias="schema")
    source: dict | None = None
    instructions: str = Field(default="", max_length=20000)
    grant_id: int | None = Field(default=None, ge=1, lt=2**62)
    overlap: int = 1
    overlap_percent: int = 100
    lock_minutes: int | None = None
    skip_policy: str = Field(default="allow", max_length=10)
    qualification_count: int = 0
    qualification_min: float = 0.8
    gold_rate: float = 0.0
    annotator_orgs: list[str] = Field(default_factory=list, max_length=50)
    annotator_people: list[str] = Field(default_factory=list, max_length=500)
    reviewer_people: list[str] = Field(default_factory=list, max_length=100)
    sample: int | None = None
    prefill: str | None = Field(default=None, max_length=20)


class ReaderStudyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slug: str = Field(max_length=64)
    title: str = Field(default="", max_length=200)
    org: str = Field(max_length=64)
    benchmark: str = Field(max_length=64)
    readers: list[str] = Field(max_length=50)
    ai_scores: dict[str, float] | None = Field(default=None, max_length=100_000)
    ai_submission: int | None = Field(default=None, ge=1, lt=2**62)   # a scored submission's outputs as the aid
    design: str = Field(default="sequential", max_length=20)
    scale_max: int = 5
    positive_from: int | None = None
    washout_days: int = 0
    sample: int | None = None
    grant_id: int | None = Field(default=None, ge=1, lt=2**62)
    instructions: str = Field(default="", max_length=20000)


class GoldIn(BaseModel):
    entries: list[dict] = Field(max_length=10_000)


class PredictionsIn(BaseModel):
    entries: list[dict] = Field(max_length=1_000_000)


class AnswerIn(BaseModel):
    answer: Any
    seconds: float | None = None


class SkipIn(BaseModel):
    reason: str = Field(default="", max_length=500)


class ReviewIn(BaseModel):
    decision: str = Field(max_length=10)
    comment: str = Field(default="", max_length=2000)


class AdjudicateIn(BaseModel):
    choose: int | None = Field(default=None, ge=1, lt=2**62)
    answer: Any = None
    comment: str = Field(default="", max_length=2000)


class ExportIn(BaseModel):
    dataset: str | None = Field(default=None, max_length=64)
