"""Pydantic shapes of the access domain: what comes in (``…In``) and what goes out (``…Public``).

The shapes of ``RequestIn`` (POST /requests), ``PrescreenIn``, ``RecommendIn``, ``DecideIn`` and
``GrantPublic`` are the issue's exact API; other fields are optional additions.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from yizhi.access.request_models import PURPOSES

Purpose = Literal[PURPOSES]  # type: ignore[valid-type]
NAME = r"^[^\x00-\x1f]{1,200}$"     # a table or column name: printable, bounded


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class RequestIn(_In):
    # at least one (checked by the service, after permission, so an outsider learns nothing)
    datasets: list[str] = Field(max_length=20, description="Dataset versions, SLUG@N.")
    kind: Literal["data", "statistics"] = "data"
    title: str = Field(min_length=1, max_length=300)
    purpose: Purpose
    lay_summary: str = Field(default="", max_length=5_000)
    mode: Literal["space", "extract"] = "space"
    columns: dict[str, list[str]] = Field(default_factory=dict, max_length=200,
                                          description="{TABLE: [COLUMN, ...]} — the data minimisation.")
    duration_days: int = Field(default=365, ge=1, le=3660)
    team: list[str] = Field(default_factory=list, max_length=50, description="E-mails of people on the platform.")
    # optional beyond the issue's exact list
    reasons: dict[str, str] = Field(default_factory=dict, max_length=200, description="{TABLE: why it is needed}")
    series: dict[str, list[str]] = Field(default_factory=dict, max_length=20,
                                         description="{SLUG@N: [SeriesInstanceUID, ...]} for DICOM.")
    series_reason: str = Field(default="", max_length=5_000)
    legal_basis: str = Field(default="", max_length=5_000)
    ethics_reference: str = Field(default="", max_length=200)
    funding: str = Field(default="", max_length=2_000)
    outputs: str = Field(default="", max_length=5_000, description="Intended outputs.")
    org: str | None = Field(default=None, max_length=64, description="Slug of the organisation you apply for.")

    @field_validator("columns")
    @classmethod
    def _bounded_columns(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for table, names in value.items():
            if not table or len(table) > 200 or len(names) > 2_000 or any(not c or len(c) > 200 for c in names):
                raise ValueError(f"columns of {table[:50]!r}: names of 1-200 characters, at most 2000 a table")
        return value

    @field_validator("reasons")
    @classmethod
    def _bounded_reasons(cls, value: dict[str, str]) -> dict[str, str]:
        if any(len(text) > 5_000 for text in value.values()):
            raise ValueError("each reason is at most 5000 characters")
        return value

    @field_validator("series")
    @classmethod
    def _bounded_series(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        if any(len(uids) > 10_000 for uids in value.values()):
            raise ValueError("at most 10000 series a dataset version")
        return value


class RequestUpdate(RequestIn):
    """Editing a draft: the same fields (the organisation cannot change)."""


class AmendIn(_In):
    change: Literal["amendment", "extension", "renewal"]
    reason: str = Field(min_length=1, max_length=5_000)
    duration_days: int | None = Field(default=None, ge=1, le=3660, description="Extension/renewal: days more.")


class PrescreenIn(_In):
    decision: Literal["accept", "return"]
    comment: str = Field(default="", max_length=5_000)


class RecommendIn(_In):
    approve: bool
    comment: str = Field(default="", max_length=5_000)


class DecideIn(_In):
    decision: Literal["approved", "approved_with_conditions", "rejected"]
    reason: str = Field(default="", max_length=5_000)
    conditions: str = Field(default="", max_length=5_000)


class ReasonIn(_In):
    reason: str = Field(min_length=1, max_length=2_000)


class MessageIn(_In):
    body: str = Field(min_length=1, max_length=10_000)
    private: bool = False


class OutputIn(_In):
    kind: Literal["paper", "model", "product", "report"]
    title: str = Field(min_length=1, max_length=300)
    link: str = Field(default="", max_length=1_000, description="http(s) URL or doi:10.…")

    @field_validator("link")
    @classmethod
    def _web_link(cls, value: str) -> str:
        if value and not value.lower().startswith(("https://", "http://", "doi:10.")):
            raise ValueError("a link starts with https://, http:// or doi:10.")
        return value


class IssueIn(_In):
    dataset: str = Field(min_length=3, max_length=80, description="SLUG@N the problem is in.")
    table: str = Field(default="", max_length=200)
    column: str = Field(default="", max_length=200)
    description: str = Field(min_length=1, max_length=5_000)


class ClosureIn(_In):
    outputs: list[OutputIn] = Field(default_factory=list, max_length=100)
    issues: list[IssueIn] = Field(default_factory=list, max_length=100)
    met_need: Literal["yes", "partly", "no"]
    comments: str = Field(default="", max_length=10_000)


class StepIn(_In):
    name: str = Field(min_length=1, max_length=100)
    reviewers: list[str] = Field(default_factory=list, max_length=20, description="E-mails of the holder's people.")
    days: int = Field(default=10, ge=1, le=365)


class SettingsIn(_In):
    handling: Literal["manual", "automatic"] = "manual"
    auto_kinds: list[Literal["commission", "hospital", "company", "university", "evaluator"]] = Field(
        default_factory=list, max_length=5)
    review_steps: list[StepIn] = Field(default_factory=list, max_length=10)
    default_epsilon: float | None = Field(default=None, gt=0, le=100)


class IssueUpdate(_In):
    state: Literal["open", "acknowledged", "resolved"]
    response: str = Field(default="", max_length=5_000)


class GrantPublic(BaseModel):
    """GET /grants/{id}: the issue's exact keys first, then more."""

    id: int
    org: str
    datasets: list[str]
    columns: dict[str, dict[str, list[str]] | None]
    mode: str
    expires_at: str
    state: str
    epsilon_budget: float | None
    kind: str
    series: dict[str, list[str] | None]
    title: str
    purpose: str
    conditions: str
    administrative: bool
    team: list[int]
    request_id: int | None
    created_at: str
