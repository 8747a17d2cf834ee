"""A grant's use of the trusted data space, for its page: Tier A queries (released, refused, DP, ε spent
and left, last use) and Tier B jobs (by state, outputs released, compute used against the limits, last
use). The grant's page shows it to whoever may see the grant — the grantee's members, the data holders
of its datasets, the commission (``access.grant.view``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yizhi.access.models import Grant
from yizhi.errors import N_
from yizhi.space import budget, metering
from yizhi.space.jobs_models import ReviewState, SpaceJob, SpaceJobOutput
from yizhi.space.query_models import QueryLog


def grant_use(session: Session, grant: Grant) -> dict:
    return {"queries": _queries(session, grant), "jobs": _jobs(session, grant)}


def _queries(session: Session, grant: Grant) -> dict:
    rows = session.execute(select(QueryLog.status, QueryLog.dp, func.count(QueryLog.id), func.max(QueryLog.created_at))
                           .where(QueryLog.grant_id == grant.id).group_by(QueryLog.status, QueryLog.dp)).all()
    total, spent = budget.budget_of(session, grant), budget.spent_of(session, grant)
    return {"total": sum(n for *_, n, _ in rows),
            "released": sum(n for status, _, n, _ in rows if status == "released"),
            "refused": sum(n for status, _, n, _ in rows if status == "refused"),
            "dp": sum(n for _, dp, n, _ in rows if dp),
            "epsilon_budget": total, "epsilon_spent": round(spent, 9), "epsilon_left": max(0.0, round(total - spent, 9)),
            "last_use": _latest(when for *_, when in rows)}


def _jobs(session: Session, grant: Grant) -> dict:
    rows = session.execute(select(SpaceJob.state, SpaceJob.dummy, func.count(SpaceJob.id), func.max(SpaceJob.created_at))
                           .where(SpaceJob.grant_id == grant.id).group_by(SpaceJob.state, SpaceJob.dummy)).all()
    by_state: dict[str, int] = {}
    for state, dummy, n, _ in rows:
        if not dummy:   # a StrEnum's str is its value
            by_state[str(state)] = by_state.get(str(state), 0) + n
    released = session.scalar(select(func.count(SpaceJobOutput.id)).join(SpaceJob, SpaceJobOutput.job_id == SpaceJob.id)
                              .where(SpaceJob.grant_id == grant.id, SpaceJob.dummy.is_(False),
                                     SpaceJobOutput.review_state == ReviewState.approved)) or 0
    limit = metering.limits_of(session, grant.id)
    used = metering.grant_usage(session, grant.id)
    limits = {}
    if limit is not None:
        for name, cap, spent in (("jobs", limit.max_jobs, used.jobs), ("cpu_seconds", limit.max_cpu_seconds, used.cpu_seconds),
                                 ("wall_seconds", limit.max_wall_seconds, used.wall_seconds),
                                 ("output_bytes", limit.max_output_bytes, used.output_bytes)):
            if cap is not None:
                limits[name] = {"limit": cap, "used": spent, "left": max(0, cap - spent)}
    return {"total": sum(by_state.values()), "by_state": by_state,
            "dummy": sum(n for _, dummy, n, _ in rows if dummy), "outputs_released": int(released),
            "usage": used.as_dict(), "limits": limits, "last_use": _latest(when for *_, when in rows)}


def _latest(values) -> datetime | None:
    found = [v for v in values if v is not None]
    return max(found) if found else None


LIMIT_LABELS = {"jobs": N_("jobs"), "cpu_seconds": N_("CPU seconds"), "wall_seconds": N_("wall-clock seconds"),
                "output_bytes": N_("output bytes")}
