"""JSON routes for background jobs."""

from __future__ import annotations

from fastapi import APIRouter, Request

from yizhi.accounts.permissions import authorize
from yizhi.errors import N_, NotFound
from yizhi.jobs import service
from yizhi.jobs.models import Job
from yizhi.jobs.schemas import JobPublic
from yizhi.web.deps import CurrentPerson, DbSession
from yizhi.web.i18n import api_gettext

router = APIRouter(prefix="/api/v1/jobs", tags=["jobs"])


def get_visible_job(db, person, job_id: int) -> Job:
    job = db.get(Job, job_id)
    if job is None:
        raise NotFound(N_("no job %(id)s"), params={"id": job_id})
    authorize(person, "jobs.view", job)
    return job


def job_public(job: Job, request: Request) -> JobPublic:
    """The job with its failure and problems in the language the client asked for (English otherwise)."""
    gettext = api_gettext(request)
    values = {name: getattr(job, name) for name in JobPublic.model_fields if name not in ("error", "problems")}
    return JobPublic.model_validate({**values, "state": job.state.value,
                                     "error": service.localized_error(job, gettext),
                                     "problems": service.localized_problems(job, gettext)})


@router.get("", response_model=list[JobPublic])
def list_jobs(db: DbSession, person: CurrentPerson, request: Request) -> list[JobPublic]:
    return [job_public(job, request) for job in service.visible_jobs(db, person)]


@router.get("/{job_id}", response_model=JobPublic)
def get_job(job_id: int, db: DbSession, person: CurrentPerson, request: Request) -> JobPublic:
    return job_public(get_visible_job(db, person, job_id), request)


@router.post("/{job_id}/retry", response_model=JobPublic)
def retry_job(job_id: int, db: DbSession, person: CurrentPerson, request: Request) -> JobPublic:
    job = get_visible_job(db, person, job_id)
    authorize(person, "jobs.retry", job)
    service.retry(db, job)
    db.commit()
    return job_public(job, request)
