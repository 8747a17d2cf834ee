"""Tier B routes under /api/v1/space: submit a project, follow the job, review and download outputs.

    POST /api/v1/space/jobs                              multipart: grant (id), project (zip), dummy
    GET  /api/v1/space/jobs/{id}
    GET  /api/v1/space/jobs/{id}/outputs
    POST /api/v1/space/jobs/{id}/outputs/{name}/review   {"decision": "approve"|"reject", "comment": ...}
    GET  /api/v1/space/jobs/{id}/outputs/{name}
"""

from __future__ import annotations

import mimetypes
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from yizhi import storage
from yizhi.access import grants
from yizhi.accounts.permissions import authorize
from yizhi.space import jobs_permissions as _rules  # noqa: F401  (registers the rules)
from yizhi.space import jobs_service, metering, review
from yizhi.space.jobs_present import job_public, output_public, queue_facts
from yizhi.space.jobs_settings import SandboxSettings
from yizhi.web.deps import CurrentPerson, DbSession
from yizhi.web.templating import translator

router = APIRouter(prefix="/api/v1/space", tags=["space"])


class ReviewIn(BaseModel):
    decision: str = Field(description="approve or reject")
    comment: str = Field(default="", max_length=4000, description="Why (required).")


class LimitsIn(BaseModel):
    max_jobs: int | None = Field(default=None, ge=0)
    max_cpu_seconds: float | None = Field(default=None, ge=0)
    max_wall_seconds: float | None = Field(default=None, ge=0)
    max_output_bytes: int | None = Field(default=None, ge=0)


def _visible_job(db, person, job_id: int):
    job = jobs_service.get_job(db, job_id)
    authorize(person, "space.job.view", job)
    return job


@router.post("/jobs", status_code=201, max_body_size=SandboxSettings().project_max + 64 * 1024)
def submit_job(request: Request, db: DbSession, person: CurrentPerson,
               grant: Annotated[int, Form(description="The grant the job runs under.")],
               project: Annotated[UploadFile, File(description="The project folder as a zip.")],
               dummy: Annotated[bool, Form(description="Run on the dataset's dummy data.")] = False) -> dict:
    settings = SandboxSettings()
    digest, _ = storage.put_stream(project.file, max_bytes=settings.project_max)  # kept before it is read
    with storage.open_file(digest) as handle:
        data = handle.read()
    job = jobs_service.submit(db, person, grant, data, dummy=dummy, settings=settings)
    db.commit()
    return job_public(job, person, translator(request), **_queue(db, job))


def _queue(db, job) -> dict:
    facts = queue_facts(db, job)
    return {"queue_state": facts["queue_state"], "progress": facts["progress"], "note": facts["note"]}


@router.get("/jobs")
def my_jobs(request: Request, db: DbSession, person: CurrentPerson) -> list[dict]:
    gettext = translator(request)
    return [job_public(j, person, gettext, **_queue(db, j)) for j in jobs_service.jobs_of_grantee(db, person)]


@router.get("/jobs/{job_id}")
def get_job(job_id: int, request: Request, db: DbSession, person: CurrentPerson) -> dict:
    job = _visible_job(db, person, job_id)
    return job_public(job, person, translator(request), **_queue(db, job))


@router.get("/jobs/{job_id}/outputs")
def list_outputs(job_id: int, request: Request, db: DbSession, person: CurrentPerson) -> list[dict]:
    job = _visible_job(db, person, job_id)
    gettext = translator(request)
    return [output_public(o, person, gettext) for o in job.outputs]


@router.post("/jobs/{job_id}/outputs/{name}/review")
def review_output(job_id: int, name: str, body: ReviewIn, request: Request, db: DbSession,
                  person: CurrentPerson) -> dict:
    job = _visible_job(db, person, job_id)
    output = jobs_service.output_of(job, name)
    review.review(db, person, output, body.decision, body.comment)
    db.commit()
    return output_public(output, person, translator(request))


@router.get("/jobs/{job_id}/outputs/{name}")
def download_output(job_id: int, name: str, db: DbSession, person: CurrentPerson) -> StreamingResponse:
    job = _visible_job(db, person, job_id)
    output = jobs_service.output_of(job, name)
    handle = review.open_output(db, person, output)
    db.commit()
    media = "text/plain" if output.kind == "log" else (mimetypes.guess_type(name)[0] or "application/octet-stream")
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in name)
    return StreamingResponse(_chunks(handle), media_type=media,
                             headers={"Content-Disposition": f'attachment; filename="{safe}"',
                                      "X-Content-Type-Options": "nosniff"})


def _chunks(handle):
    with handle:
        while chunk := handle.read(1 << 16):
            yield chunk


@router.get("/grants/{grant_id}/compute")
def grant_compute(grant_id: int, db: DbSession, person: CurrentPerson) -> dict:
    grant = grants.get_grant(db, grant_id)
    authorize(person, "space.grant.view", grant)
    limit = metering.limits_of(db, grant.id)
    return {"grant_id": grant.id, "usage": metering.grant_usage(db, grant.id).as_dict(),
            "organization_usage": metering.organization_usage(db, grant.organization_id).as_dict(),
            "limits": _limits_dict(limit)}


@router.put("/grants/{grant_id}/compute")
def set_grant_limits(grant_id: int, body: LimitsIn, db: DbSession, person: CurrentPerson) -> dict:
    grant = grants.get_grant(db, grant_id)
    authorize(person, "space.limits.set", grant)
    limit = metering.set_limits(db, grant, person, **body.model_dump())
    db.commit()
    return {"grant_id": grant.id, "limits": _limits_dict(limit)}


def _limits_dict(limit) -> dict:
    if limit is None:
        return {"max_jobs": None, "max_cpu_seconds": None, "max_wall_seconds": None, "max_output_bytes": None}
    return {"max_jobs": limit.max_jobs, "max_cpu_seconds": limit.max_cpu_seconds,
            "max_wall_seconds": limit.max_wall_seconds, "max_output_bytes": limit.max_output_bytes}
