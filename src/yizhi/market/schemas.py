"""What comes in to the supermarket's API and forms. Shapes and sizes only: the rules (categories,
NMPA numbers, dates, amounts) are checked by the services, after permission, with messages in the
reader's language."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _list(value):
    """A list, or a comma/semicolon/、 separated string (forms and spreadsheets hold strings)."""
    if value is None:
        return []
    if isinstance(value, str):
        for sep in ("；", ";", "、", "，", "|"):
            value = value.replace(sep, ",")
        value = value.split(",")
    return [str(v).strip() for v in value if str(v).strip()]


class ProductFields(_In):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=20_000)
    intended_use: str = Field(default="", max_length=5_000)
    population: str = Field(default="", max_length=5_000)
    modalities: list[str] = Field(default_factory=list, max_length=20)
    category: str = Field(min_length=1, max_length=40)
    nmpa_class: str | None = Field(default=None, max_length=8)
    nmpa_certificate: str = Field(default="", max_length=60)
    nmpa_valid_from: date | None = None
    nmpa_valid_until: date | None = None
    deployments: list[str] = Field(default_factory=list, max_length=10)
    price_model: str = Field(default="negotiable", max_length=20)
    price_note: str = Field(default="", max_length=500)
    contact_name: str = Field(default="", max_length=100)
    contact_info: str = Field(default="", max_length=200)

    @field_validator("modalities", "deployments", mode="before")
    @classmethod
    def _split(cls, value):
        return _list(value)

    @field_validator("nmpa_class", "nmpa_valid_from", "nmpa_valid_until", mode="before")
    @classmethod
    def _blank(cls, value):
        return None if value == "" else value


class ProductIn(ProductFields):
    slug: str = Field(min_length=1, max_length=64)
    org: str = Field(min_length=1, max_length=64, description="slug of the company listing the product")


class VersionIn(_In):
    label: str = Field(min_length=1, max_length=40)
    release_notes: str = Field(default="", max_length=20_000)
    released_on: date | None = None

    @field_validator("released_on", mode="before")
    @classmethod
    def _blank(cls, value):
        return None if value == "" else value


class AttachIn(_In):
    submission_id: int = Field(ge=1, lt=2**31)


class NoteIn(_In):
    note: str = Field(default="", max_length=5_000)


class DecisionIn(_In):
    decision: Literal["certify", "refuse"]
    months: int | None = Field(default=None, ge=1, le=60)
    note: str = Field(default="", max_length=5_000)


class WithdrawIn(_In):
    reason: str = Field(min_length=1, max_length=5_000)


class CriteriaIn(_In):
    criteria: list[dict] = Field(max_length=50)
    nmpa_required: bool = True
    note: str = Field(default="", max_length=2_000)


class PilotRequestIn(_In):
    hospital: str | None = Field(default=None, max_length=64, description="slug, when you act for several hospitals")
    need_id: int | None = Field(default=None, ge=1, lt=2**31)
    site: str = Field(min_length=1, max_length=200)
    scenario: str = Field(default="", max_length=5_000)
    start_date: date
    end_date: date | None = None
    outcome_measures: str = Field(min_length=1, max_length=5_000)


class PilotDecisionIn(_In):
    accept: bool
    note: str = Field(default="", max_length=5_000)


class PilotCloseIn(_In):
    closing_report: str = Field(min_length=1, max_length=20_000)
    feedback: str = Field(default="", max_length=10_000)


class RatingIn(_In):
    accuracy: int = Field(ge=1, le=5, description="accuracy in practice, 1-5")
    workflow_fit: int = Field(ge=1, le=5)
    support: int = Field(ge=1, le=5)
    comment: str = Field(default="", max_length=5_000)


class IncidentIn(_In):
    hospital: str | None = Field(default=None, max_length=64)
    kind: Literal["incident", "drift"]
    severity: Literal["low", "medium", "high"] = "medium"
    description: str = Field(min_length=1, max_length=10_000)
    occurred_on: date


class AnswerIn(_In):
    answer: str = Field(min_length=1, max_length=10_000)


class ProgrammeIn(_In):
    slug: str = Field(min_length=1, max_length=64)
    title: str = Field(min_length=1, max_length=200)
    kind: Literal["compute", "data"]
    budget: str = Field(min_length=1, max_length=30, description="yuan, e.g. 500000 or 1234.50")
    valid_from: date
    valid_until: date
    eligible_kinds: list[str] = Field(default_factory=list, max_length=5)
    eligible_orgs: list[str] = Field(default_factory=list, max_length=500)
    purposes: list[str] = Field(default_factory=list, max_length=10)
    description: str = Field(default="", max_length=5_000)

    @field_validator("eligible_kinds", "eligible_orgs", "purposes", mode="before")
    @classmethod
    def _split(cls, value):
        return _list(value)

    @field_validator("budget", mode="before")
    @classmethod
    def _text(cls, value):
        return value if isinstance(value, str) else str(value)


class IssueIn(_In):
    org: str = Field(min_length=1, max_length=64)
    amount: str = Field(min_length=1, max_length=30, description="yuan")
    valid_until: date | None = None
    grant_id: int | None = Field(default=None, ge=1, lt=2**31)

    @field_validator("amount", mode="before")
    @classmethod
    def _text(cls, value):
        return value if isinstance(value, str) else str(value)

    @field_validator("valid_until", "grant_id", mode="before")
    @classmethod
    def _blank(cls, value):
        return None if value == "" else value


class SpendIn(_In):
    amount: str = Field(min_length=1, max_length=30, description="yuan")
    grant_id: int = Field(ge=1, lt=2**31, description="the grant whose fee is paid")
    payee: str | None = Field(default=None, max_length=64, description="the holder's slug, when the grant has several")
    memo: str = Field(default="", max_length=1_000)

    @field_validator("amount", mode="before")
    @classmethod
    def _text(cls, value):
        return value if isinstance(value, str) else str(value)


class RevokeIn(_In):
    reason: str = Field(min_length=1, max_length=2_000)
