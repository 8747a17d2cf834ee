"""A dataset's output rules and ε defaults, as its owning hospital sets them."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.orm import Session

from yizhi import ledger
from yizhi.accounts.models import Person
from yizhi.catalog.models import Dataset
from yizhi.db import utcnow
from yizhi.errors import N_, ValidationFailed
from yizhi.space.disclosure import DisclosureRules
from yizhi.space.query_models import DEFAULT_EPSILON, DatasetRules


class RulesIn(BaseModel):
    """What an owner may set, with the bounds that keep the rules meaningful."""

    model_config = ConfigDict(extra="forbid")

    min_count: int = Field(default=10, ge=1, le=1000)
    min_df: int = Field(default=10, ge=1, le=10_000)
    dominance_n: int = Field(default=2, ge=1, le=10)
    dominance_k: float = Field(default=0.9, gt=0, le=1)
    p_ratio: float = Field(default=0.10, ge=0, le=1)
    round_to: int | None = Field(default=None, ge=2, le=100)
    default_epsilon: float = Field(default=DEFAULT_EPSILON, gt=0, le=100)
    dp_rows_per_patient: int = Field(default=1, ge=1, le=1000)


def current(session: Session, dataset: Dataset) -> dict:
    row = session.get(DatasetRules, dataset.id)
    if row is None:
        return {**DisclosureRules().as_dict(), "default_epsilon": DEFAULT_EPSILON, "dp_rows_per_patient": 1,
                "custom": False}
    return {**row.rules().as_dict(), "default_epsilon": row.default_epsilon,
            "dp_rows_per_patient": row.dp_rows_per_patient, "custom": True}


def parse_rules(data) -> RulesIn:
    if not isinstance(data, dict):
        raise ValidationFailed(N_("the rules must be a JSON object"), field="rules")
    try:
        return RulesIn.model_validate(data)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        field = ".".join(str(p) for p in error.get("loc", ())) or "rules"
        raise ValidationFailed(N_("%(field)s: %(detail)s"), params={"field": field, "detail": error.get("msg", "")},
                               field=field) from None


def save(session: Session, dataset: Dataset, rules: RulesIn, actor: Person) -> DatasetRules:
    row = session.get(DatasetRules, dataset.id) or DatasetRules(dataset_id=dataset.id)
    for name, value in rules.model_dump().items():
        setattr(row, name, value)
    row.updated_by_id, row.updated_at = actor.id, utcnow()
    session.add(row)
    session.flush()
    ledger.record(session, "space.rules_set", f"dataset:{dataset.id}", {"dataset": dataset.slug, **rules.model_dump()},
                  actor=str(actor.id), org=dataset.organization.slug)
    return row
