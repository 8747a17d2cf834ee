"""Pydantic shapes of the needs domain: what comes in (``…In``) and what goes out (``…Public``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from yizhi.errors import N_
from yizhi.needs.matching.engine import CATEGORIES, MATURITY_LEVELS

Category = Literal[CATEGORIES]  # type: ignore[valid-type]
Maturity = Literal[MATURITY_LEVELS]  # type: ignore[valid-type]
LevelName = Literal["high", "medium", "low"]


def _modalities(value):
    """Accept a list or a comma/semicolon/、 separated string (spreadsheets hold strings)."""
    if value is None:
        return []
    if isinstance(value, str):
        for sep in ("；", ";", "、", "，", "|"):
            value = value.replace(sep, ",")
        value = value.split(",")
    return [str(v).strip().lower() for v in value if str(v).strip()]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("category", mode="before", check_fields=False)
    @classmethod
    def _empty_category(cls, value):
        return None if value in ("", None) else value

    @field_validator("modalities", mode="before", check_fields=False)
    @classmethod
    def _split_modalities(cls, value):
        return _modalities(value)


MAX_BUDGET = 10**9  # 万元: far above any real project, far below what the database stores


class NeedIn(_In):
    field_labels: ClassVar[dict[str, str]] = {
        "title": N_("title"), "description": N_("description"), "category": N_("category"),
        "importance": N_("importance"), "urgency": N_("urgency"), "department": N_("department"),
        "modalities": N_("data types"), "data_available": N_("data available"),
        "expected_outcome": N_("expected outcome"), "success_measures": N_("success measures"),
        "budget_min": N_("minimum budget"), "budget_max": N_("maximum budget"), "deadline": N_("deadline"),
        "contact_name": N_("contact name"), "contact_info": N_("contact details"), "id": N_("id"),
    }
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=20_000)
    category: Category | None = None
    importance: LevelName = "medium"
    urgency: LevelName = "medium"
    department: str = Field(default="", max_length=100)
    modalities: list[str] = Field(default_factory=list, max_length=20)
    data_available: str = Field(default="", max_length=5_000)
    expected_outcome: str = Field(default="", max_length=5_000)
    success_measures: str = Field(default="", max_length=5_000)
    budget_min: int | None = Field(default=None, ge=0, le=MAX_BUDGET, description="万元")
    budget_max: int | None = Field(default=None, ge=0, le=MAX_BUDGET, description="万元")
    deadline: date | None = None
    contact_name: str = Field(default="", max_length=100)
    contact_info: str = Field(default="", max_length=200)

    @field_validator("budget_min", "budget_max", "deadline", mode="before")
    @classmethod
    def _blank_is_none(cls, value):
        return None if value == "" else value

    @model_validator(mode="after")
    def _budget_order(self):
        if self.budget_min is not None and self.budget_max is not None and self.budget_min > self.budget_max:
            raise ValueError(N_("the minimum budget is larger than the maximum"))
        return self


class NeedImport(NeedIn):
    """A spreadsheet/JSONL row: an optional ``id`` kept as the need's external id."""

    id: str | None = Field(default=None, max_length=100)

    @field_validator("id", mode="before")
    @classmethod
    def _id_text(cls, value):
        return None if value in ("", None) else str(value)


class SolutionIn(_In):
    field_labels: ClassVar[dict[str, str]] = {
        "title": N_("title"), "description": N_("description"), "category": N_("category"),
        "modalities": N_("data types"), "maturity": N_("maturity"), "nmpa_class": N_("NMPA class"),
        "deployments": N_("deployments"), "contact_name": N_("contact name"),
        "contact_info": N_("contact details"), "id": N_("id"),
    }
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=20_000)
    category: Category | None = None
    modalities: list[str] = Field(default_factory=list, max_length=20)
    maturity: Maturity = "prototype"
    nmpa_class: Literal["I", "II", "III"] | None = None
    deployments: int = Field(default=0, ge=0, le=1_000_000)
    contact_name: str = Field(default="", max_length=100)
    contact_info: str = Field(default="", max_length=200)

    @field_validator("nmpa_class", mode="before")
    @classmethod
    def _class_text(cls, value):
        if value in ("", None):
            return None
        text = str(value).strip().upper().replace("类", "").replace("CLASS", "").strip()
        return {"1": "I", "2": "II", "3": "III", "一": "I", "二": "II", "三": "III"}.get(text, text)

    @field_validator("deployments", mode="before")
    @classmethod
    def _blank_zero(cls, value):
        return 0 if value == "" else value

    @model_validator(mode="after")
    def _class_needs_registration(self):
        if self.nmpa_class and self.maturity != "nmpa_registered":
            raise ValueError(N_("an NMPA class is given only when the maturity is NMPA-registered"))
        return self


class SolutionImport(SolutionIn):
    id: str | None = Field(default=None, max_length=100)

    @field_validator("id", mode="before")
    @classmethod
    def _id_text(cls, value):
        return None if value in ("", None) else str(value)


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Literal["approve", "return"]
    comment: str = Field(default="", max_length=5_000)


class InterestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    field_labels: ClassVar[dict[str, str]] = {"message": N_("message"), "proposed_approach": N_("proposed approach"),
                                              "solution_id": N_("solution"), "org": N_("organisation")}
    message: str = Field(min_length=1, max_length=5_000)
    proposed_approach: str = Field(default="", max_length=10_000)
    solution_id: int | None = None
    org: str | None = Field(default=None, description="slug of the company acting, when you belong to several")


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    accept: bool
    note: str = Field(default="", max_length=5_000)


class MessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: str = Field(min_length=1, max_length=10_000)


class PilotIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    field_labels: ClassVar[dict[str, str]] = {"site": N_("site"), "product": N_("product"), "scenario": N_("scenario"),
                                              "start_date": N_("start date"), "end_date": N_("end date"),
                                              "outcome_measures": N_("outcome measures")}
    site: str = Field(min_length=1, max_length=200)
    product: str = Field(min_length=1, max_length=200)
    scenario: str = Field(default="", max_length=5_000)
    start_date: date
    end_date: date | None = None
    outcome_measures: str = Field(default="", max_length=5_000)

    @model_validator(mode="after")
    def _dates(self):
        if self.end_date is not None and self.end_date < self.start_date:
            raise ValueError(N_("the end date is before the start date"))
        return self


class PilotCloseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    field_labels: ClassVar[dict[str, str]] = {"closing_report": N_("closing report"), "feedback": N_("feedback")}
    closing_report: str = Field(min_length=1, max_length=20_000)
    feedback: str = Field(default="", max_length=10_000)


class ReleaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str | None = Field(default=None, max_length=200)
    notes: str = Field(default="", max_length=5_000)


class NeedPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    external_id: str | None
    org_id: int
    title: str
    description: str
    category: str
    category_suggested: bool
    importance: str
    urgency: str
    department: str
    modalities: list[str]
    data_available: str
    expected_outcome: str
    success_measures: str
    budget_min: int | None
    budget_max: int | None
    deadline: date | None
    contact_name: str
    contact_info: str
    status: str
    review_comment: str
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None


class SolutionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    external_id: str | None
    org_id: int
    title: str
    description: str
    category: str
    category_suggested: bool
    modalities: list[str]
    maturity: str
    nmpa_class: str | None
    deployments: int
    contact_name: str
    contact_info: str
    status: str
    created_at: datetime
    updated_at: datetime


class MatchPublic(BaseModel):
    id: int
    external_id: str | None
    title: str
    org_id: int
    score: float  # absolute relevance 0..1 (calibrated on labelled pairs)
    good_match: bool  # score at or above the "good match" threshold
    similarity: float
    shared_terms: list[str]
    why: str


class EngagementPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    need_id: int
    solution_id: int | None
    company_org_id: int
    message: str
    proposed_approach: str
    status: str
    decision_note: str
    created_at: datetime
    decided_at: datetime | None


class MessagePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    engagement_id: int
    author_id: int | None
    org_id: int
    body: str
    created_at: datetime


class PilotPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    engagement_id: int
    site: str
    product: str
    scenario: str
    start_date: date
    end_date: date | None
    outcome_measures: str
    status: str
    closing_report: str
    feedback: str
    closed_at: datetime | None


class ReleasePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    year: int
    number: int
    version: int
    title: str
    notes: str
    need_count: int
    snapshot_sha256: str
    released_at: datetime


class NotificationPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    kind: str
    params: dict
    link: str
    created_at: datetime
    read_at: datetime | None
