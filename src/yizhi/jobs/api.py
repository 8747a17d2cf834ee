"""JSON routes for background jobs."""

from __future__ import annotations

from fastapi import APIRouter

from yizhi.accounts.permissions import authorize
from yizhi.errors import NotFound
from yizhi.jobs import service
from yizhi.jobs.models import Job
from yizhi.jobs.schemas import JobPublic
from yizhi.web.deps import CurrentPerson, DbSession

router = APIRouter(prefix="/api/v1/jobs", tags=["jobs"])


def get_visible_job(db, person, job_id: int) -> Job:
    job = db.get(Job, job_id)
    if job is None:
        raise NotFound(f"no job {job_id}")
    authorize(person, "jobs.view", job)
    return job


@router.get("", response_model=list[JobPublic])
def list_jobs(db: DbSession, person: CurrentPerson) -> list[Job]:
    return service.visible_jobs(db, person)


@router.get("/{job_id}", response_model=JobPublic)
def get_job(job_id: int, db: DbSession, person: CurrentPerson) -> Job:
    return get_visible_job(db, person, job_id)


@router.post("/{job_id}/retry", response_model=JobPublic)
def retry_job(job_id: int, db: DbSession, person: CurrentPerson) -> Job:
    job = get_visible_job(db, person, job_id)
    authorize(person, "jobs.retry", job)
    service.retry(db, job)
    db.commit()
    return job
