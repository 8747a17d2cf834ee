"""Leaderboards: aggregates only, one row per organisation (its best or latest scored submission,
a model or a predictions file alike, with its kind shown),
ranked by the phase's metric with its 95% CI; rows whose CIs overlap the row above are marked tied."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from yizhi.evaluation.contract import LOWER_IS_BETTER
from yizhi.evaluation.models import Phase, Submission, SubmissionState


def leaderboard(session: Session, phase: Phase) -> list[dict]:
    scored = session.scalars(select(Submission).where(
        Submission.phase_id == phase.id, Submission.state == SubmissionState.scored,
        Submission.primary_value.is_not(None)).order_by(Submission.id))
    lower_better = phase.metric in LOWER_IS_BETTER
    per_org: dict[int, Submission] = {}
    for sub in scored:
        held = per_org.get(sub.organization_id)
        better = held is None or (sub.primary_value < held.primary_value if lower_better
                                  else sub.primary_value > held.primary_value)
        if phase.pick == "latest" or better:
            per_org[sub.organization_id] = sub
    ordered = sorted(per_org.values(), key=lambda s: s.primary_value, reverse=not lower_better)
    rows, rank = [], 0
    for position, sub in enumerate(ordered):
        above = rows[-1] if rows else None
        tied = above is not None and _overlap(above["ci"], [sub.primary_low, sub.primary_high])
        rank = rank if tied else position + 1
        rows.append({"rank": rank, "tied_with_above": tied, "organization": sub.organization.slug,
                     "organization_name": sub.organization.name,
                     "organization_name_en": sub.organization.display_name("en"), "submission_id": sub.id,
                     "kind": sub.kind.value,
                     "metric": phase.metric, "value": sub.primary_value, "ci": [sub.primary_low, sub.primary_high],
                     "verdict": sub.verdict, "scored_at": sub.scored_at.isoformat() if sub.scored_at else None})
    return rows


def _overlap(a: list, b: list) -> bool:
    if None in a or None in b:
        return False
    return a[0] <= b[1] and b[0] <= a[1]
