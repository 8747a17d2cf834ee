"""JSON routes: upload DICOM for de-identification (a `deid.dicom` job), download its results.

    POST /api/v1/deid/dicom                      multipart: file (zip or .dcm), option (repeatable), org,
                                                 keep_names (default false: keyed folder/file names)
    GET  /api/v1/deid/dicom/{job_id}/output      the released zip
    GET  /api/v1/deid/dicom/{job_id}/quarantine  files that may show burned-in text (review only)
    GET  /api/v1/deid/dicom/{job_id}/report      deid-report.jsonl

The upload is stored before the job is queued (nothing lost); the job's progress is at
/api/v1/jobs/{id}. Only people of the organisation the job runs for (or its creator) download
results: the quarantine may still show identities burned into pixels.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import FileResponse

from yizhi import ledger, storage
from yizhi.accounts import service as accounts
from yizhi.accounts.permissions import acting_role, active_orgs, authorize, role_in, rule
from yizhi.deid.dicom import tasks
from yizhi.deid.dicom.options import OptionError, parse_options
from yizhi.errors import Conflict, NotFound, ValidationFailed
from yizhi.jobs import service as jobs
from yizhi.jobs.api import get_visible_job
from yizhi.jobs.models import Job, JobState
from yizhi.jobs.schemas import JobPublic
from yizhi.web.deps import CurrentPerson, DbSession

MAX_UPLOAD_BYTES = 4 * 1024**3  # 4 GiB: a large study export
PARTS = {
    "output": ("output", "application/zip"),
    "quarantine": ("quarantine", "application/zip"),
    "report": ("report_file", "application/x-ndjson"),
}

router = APIRouter()


@rule("deid.dicom.use")
def _may_use(person, org=None) -> bool:
    """Owners and members of an approved organisation de-identify that organisation's data."""
    if org is None:
        return bool(active_orgs(person))
    return acting_role(person, org) is not None


@rule("deid.dicom.download", visible_via="jobs.view")
def _may_download(person, job: Job) -> bool:
    if job.created_by_id == person.id:
        return True
    return any(o.id == job.organization_id and role_in(person, o) is not None for o in active_orgs(person))


def _acting_org(db, person, slug: str | None):
    if slug:
        org = accounts.get_org_by_slug(db, slug)
        authorize(person, "deid.dicom.use", org)
        return org
    orgs = active_orgs(person)
    if len(orgs) != 1:
        raise ValidationFailed("say which organisation the data belongs to (field org)", field="org")
    return orgs[0]


@router.post("/dicom", response_model=JobPublic, status_code=202)
def start_dicom_deidentification(
    db: DbSession,
    person: CurrentPerson,
    file: Annotated[UploadFile, File(description="A zip of DICOM files, or one DICOM file.")],
    option: Annotated[list[str] | None, Form(description="Profile options, repeatable.")] = None,
    org: Annotated[str | None, Form(description="Slug of the organisation the data belongs to.")] = None,
    keep_names: Annotated[bool, Form(description="Keep folder and file names (default: keyed stand-ins).")] = False,
) -> Job:
    authorize(person, "deid.dicom.use")
    organization = _acting_org(db, person, org)
    try:
        options = parse_options(option or [])
    except OptionError as exc:
        raise ValidationFailed(str(exc), field="option") from None
    name = PurePosixPath((file.filename or "upload.zip").replace("\\", "/")).name or "upload.zip"
    digest, size = storage.put_stream(file.file, max_bytes=MAX_UPLOAD_BYTES)
    job = jobs.enqueue(
        db,
        "deid.dicom",
        {"input": digest, "input_name": name, "options": sorted(o.value for o in options),
         "rename_paths": not keep_names},
        created_by_id=person.id,
        organization_id=organization.id,
    )
    ledger.record(
        db, "deid.dicom.requested", f"job:{job.id}",
        {"job_id": job.id, "input_sha256": digest, "input_bytes": size},
        actor=f"person:{person.id}", org=organization.slug,
    )
    db.commit()
    return job


@router.get("/dicom/{job_id}/{part}")
def download_dicom_result(job_id: int, part: str, db: DbSession, person: CurrentPerson) -> FileResponse:
    job = get_visible_job(db, person, job_id)
    if job.kind != "deid.dicom" or part not in PARTS:
        raise NotFound("not found")
    authorize(person, "deid.dicom.download", job)
    if job.state != JobState.succeeded:
        raise Conflict(f"job {job.id} is {job.state.value}; results exist once it has succeeded")
    key, media_type = PARTS[part]
    digest = (job.result or {}).get(key)
    if not digest:
        raise NotFound(f"job {job.id} has no {part} (nothing was quarantined)")
    stem = PurePosixPath(job.result.get("output_name", "deid.zip")).stem
    filename = {"output": f"{stem}.zip", "quarantine": f"{stem}-quarantine.zip", "report": f"{stem}-report.jsonl"}[part]
    return FileResponse(storage.path_for(digest), media_type=media_type, filename=filename)


__all__ = ["router", "tasks"]  # importing tasks registers the job handler in the web process
