"""Compute metering of Tier B jobs: CPU-seconds, peak memory, wall time and output bytes per job,
added up per grant and per organisation, with limits per grant (the base for compute vouchers)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yizhi import ledger
from yizhi.access.models import Grant
from yizhi.accounts.models import Person
from yizhi.db import utcnow
from yizhi.errors import N_, PermissionDenied, ValidationFailed
from yizhi.space.jobs_models import SpaceJob, SpaceJobLimit
from yizhi.space.jobs_settings import SandboxSettings


@dataclass
class Usage:
    jobs: int = 0
    cpu_seconds: float = 0.0
    wall_seconds: float = 0.0
    output_bytes: int = 0
    peak_memory_bytes: int = 0

    def as_dict(self) -> dict:
        return {"jobs": self.jobs, "cpu_seconds": round(self.cpu_seconds, 3), "wall_seconds": round(self.wall_seconds, 3),
                "output_bytes": self.output_bytes, "peak_memory_bytes": self.peak_memory_bytes}


def _usage(session: Session, *where) -> Usage:
    row = session.execute(select(
        func.count(SpaceJob.id), func.coalesce(func.sum(SpaceJob.cpu_seconds), 0.0),
        func.coalesce(func.sum(SpaceJob.wall_seconds), 0.0), func.coalesce(func.sum(SpaceJob.output_bytes), 0),
        func.coalesce(func.max(SpaceJob.peak_memory_bytes), 0)).where(SpaceJob.dummy.is_(False), *where)).one()
    return Usage(int(row[0]), float(row[1]), float(row[2]), int(row[3]), int(row[4]))


def grant_usage(session: Session, grant_id: int) -> Usage:
    return _usage(session, SpaceJob.grant_id == grant_id)


def organization_usage(session: Session, organization_id: int) -> Usage:
    return _usage(session, SpaceJob.organization_id == organization_id)


def limits_of(session: Session, grant_id: int) -> SpaceJobLimit | None:
    return session.scalar(select(SpaceJobLimit).where(SpaceJobLimit.grant_id == grant_id))


def set_limits(session: Session, grant: Grant, actor: Person, *, max_jobs=None, max_cpu_seconds=None,
               max_wall_seconds=None, max_output_bytes=None) -> SpaceJobLimit:
    """Set a grant's compute limits (None: unlimited); the caller has checked the actor may."""
    values = {"max_jobs": max_jobs, "max_cpu_seconds": max_cpu_seconds, "max_wall_seconds": max_wall_seconds,
              "max_output_bytes": max_output_bytes}
    for name, value in values.items():
        if value is not None and float(value) < 0:
            raise ValidationFailed(N_("%(name)s cannot be negative"), params={"name": name}, field=name)
    limit = limits_of(session, grant.id) or SpaceJobLimit(grant_id=grant.id)
    for name, value in values.items():
        setattr(limit, name, value)
    limit.updated_by_id, limit.updated_at = actor.id, utcnow()
    session.add(limit)
    session.flush()
    ledger.record(session, "space.limits_set", f"grant:{grant.id}", {"grant_id": grant.id, **values},
                  actor=str(actor.id), org=grant.organization.slug)
    return limit


def require_budget(session: Session, grant: Grant) -> None:
    """Refuse a new job when the grant has used up a limit."""
    limit = limits_of(session, grant.id)
    if limit is None:
        return
    used = grant_usage(session, grant.id)
    exhausted = [(name, cap) for name, cap, spent in (
        ("jobs", limit.max_jobs, used.jobs), ("cpu_seconds", limit.max_cpu_seconds, used.cpu_seconds),
        ("wall_seconds", limit.max_wall_seconds, used.wall_seconds),
        ("output_bytes", limit.max_output_bytes, used.output_bytes)) if cap is not None and spent >= cap]
    if exhausted:
        name, cap = exhausted[0]
        raise PermissionDenied(N_("grant %(id)s has used its compute limit (%(limit)s = %(cap)s)"),
                               params={"id": grant.id, "limit": name, "cap": cap}, code="compute_limit")


def job_settings(session: Session, grant: Grant, base: SandboxSettings) -> SandboxSettings:
    """The per-job limits, tightened to what is left of the grant's budget."""
    limit = limits_of(session, grant.id)
    if limit is None:
        return base
    used = grant_usage(session, grant.id)
    update = {}
    if limit.max_cpu_seconds is not None:
        update["job_cpu_seconds"] = max(1, min(base.job_cpu_seconds, int(limit.max_cpu_seconds - used.cpu_seconds)))
    if limit.max_wall_seconds is not None:
        update["job_timeout"] = max(1, min(base.job_timeout, int(limit.max_wall_seconds - used.wall_seconds)))
    if limit.max_output_bytes is not None:
        update["output_max"] = max(1024, min(base.output_max, int(limit.max_output_bytes - used.output_bytes)))
    return base.model_copy(update=update)
