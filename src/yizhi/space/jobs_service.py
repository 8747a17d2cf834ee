"""Tier B rules: submit a project under a grant, run it in the sandbox, hold and check its outputs.

``submit`` checks everything it can before anything runs (sandbox works here, live grant, the person
on its team, every table granted, compute left) and stores the project zip; the ``space.run`` job
then unpacks it, materialises the per-job view, runs the sandbox, meters it and passes every file
(and the logs) through the airlock. Nothing a job writes is released here: see :mod:`.review`.
"""

from __future__ import annotations

import io
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from yizhi import ledger, storage
from yizhi.access import grants
from yizhi.accounts.models import Person
from yizhi.catalog import store
from yizhi.config import get_settings
from yizhi.db import utcnow
from yizhi.errors import N_, NotFound
from yizhi.jobs import service as queue
from yizhi.space import dataview, metering, sandbox_check
from yizhi.space.jobs_models import ReviewState, SpaceJob, SpaceJobState
from yizhi.space.jobs_settings import SandboxSettings
from yizhi.space.project import Project, extract_zip, load_project

RUN_KIND = "space.run"


def work_root() -> Path:
    path = get_settings().resolved_data_dir() / "space" / "jobs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def read_project_zip(data: bytes, settings: SandboxSettings) -> Project:
    """Unpack to a scratch folder and check ``project.yaml`` against the files."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="yizhi-project-", dir=work_root()) as tmp:
        folder = extract_zip(io.BytesIO(data), Path(tmp), settings.project_max)
        return load_project(folder)


def submit(session: Session, person: Person, grant_id: int, project_zip: bytes, *, dummy: bool = False,
           settings: SandboxSettings | None = None) -> SpaceJob:
    """Check and queue a job (flushes; the caller commits). Dummy runs are queued the same way."""
    settings = settings or SandboxSettings()
    sandbox_check.require_sandbox(settings)
    project = read_project_zip(project_zip, settings)
    grant, entry = grants.require_use(session, person, grant_id, project.dataset)
    dataview.granted_columns(entry, project.tables)
    if not dummy:
        metering.require_budget(session, grant)
    digest, _size = storage.put_stream(io.BytesIO(project_zip), max_bytes=settings.project_max)
    job = SpaceJob(grant_id=grant.id, version_id=entry.version_id, organization_id=grant.organization_id,
                   requester_id=person.id, project_digest=digest, project=project.as_dict(), dummy=dummy)
    session.add(job)
    session.flush()
    queued = queue.enqueue(session, RUN_KIND, {"space_job_id": job.id}, created_by_id=person.id,
                           organization_id=grant.organization_id, max_attempts=3)
    job.queue_job_id = queued.id
    ledger.record(session, "space.job_submitted", f"space_job:{job.id}", {
        "job_id": job.id, "grant_id": grant.id, "version": entry.version.ref, "project_sha256": digest,
        "tables": project.tables, "dummy": dummy}, actor=str(person.id), org=grant.organization.slug)
    return job


def get_job(session: Session, job_id: int) -> SpaceJob:
    job = session.get(SpaceJob, job_id) if 0 < int(job_id) < 2**63 else None
    if job is None:
        raise NotFound(N_("no job %(id)s"), params={"id": job_id})
    return job


def output_of(job: SpaceJob, name: str):
    for output in job.outputs:
        if output.name == name:
            return output
    raise NotFound(N_("job %(id)s has no output %(name)s"), params={"id": job.id, "name": name[:160]})


def jobs_of_grantee(session: Session, person: Person, limit: int = 100) -> list[SpaceJob]:
    from yizhi.accounts.permissions import active_orgs

    org_ids = [o.id for o in active_orgs(person)]
    query = select(SpaceJob).where((SpaceJob.requester_id == person.id) | SpaceJob.organization_id.in_(org_ids))
    return list(session.scalars(query.order_by(SpaceJob.id.desc()).limit(limit)))


def job_dir(job: SpaceJob) -> Path:
    return work_root() / str(job.id)


def display_state(job: SpaceJob, queue_state: str | None) -> str:
    """A job whose queue entry failed for good (a platform fault) reads as failed."""
    if job.state in (SpaceJobState.queued, SpaceJobState.running) and queue_state == "failed":
        return "failed"
    return job.state.value


def released(job: SpaceJob) -> list:
    return [o for o in job.outputs if o.review_state in (ReviewState.approved, ReviewState.not_needed)]


def version_table_paths(job: SpaceJob) -> list[Path]:
    return [store.table_path(job.version, t) for t in sorted(job.version.tables or {})]


def mark_started(session: Session, job: SpaceJob) -> None:
    job.state, job.started_at = SpaceJobState.running, utcnow()
    job.error_code = job.error_template = job.error_params = None
