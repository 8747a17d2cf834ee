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

from yizhi import storage
from yizhi.accounts.permissions import authorize
from yizhi.deid.dicom import service
from yizhi.errors import N_, Conflict, NotFound
from yizhi.jobs.api import get_visible_job
from yizhi.jobs.models import Job, JobState
from yizhi.jobs.schemas import JobPublic
from yizhi.web.deps import CurrentPerson, DbSession

PARTS = {
    "output": ("output", "application/zip"),
    "quarantine": ("quarantine", "application/zip"),
    "report": ("report_file", "application/x-ndjson"),
}

router = APIRouter()


@router.post("/dicom", response_model=JobPublic, status_code=202,
             max_body_size=service.MAX_UPLOAD_BYTES + service.FORM_OVERHEAD_BYTES)
def start_dicom_deidentification(
    db: DbSession,
    person: CurrentPerson,
    file: Annotated[UploadFile, File(description="A zip of DICOM files, or one DICOM file.")],
    option: Annotated[list[str] | None, Form(description="Profile options, repeatable.")] = None,
    org: Annotated[str | None, Form(description="Slug of the organisation the data belongs to.")] = None,
    keep_names: Annotated[bool, Form(description="Keep folder and file names (default: keyed stand-ins).")] = False,
) -> Job:
    job = service.start(db, person, file.file, file.filename, option or [], org, keep_names)
    db.commit()
    return job


@router.get("/dicom/{job_id}/{part}")
def download_dicom_result(job_id: int, part: str, db: DbSession, person: CurrentPerson) -> FileResponse:
    job = get_visible_job(db, person, job_id)
    if job.kind != "deid.dicom" or part not in PARTS:
        raise NotFound("not found")
    authorize(person, "deid.dicom.download", job)
    if job.state != JobState.succeeded:
        raise Conflict(N_("job %(id)s is %(state)s; results exist once it has succeeded"), params={"id": job.id, "state": job.state.value})
    key, media_type = PARTS[part]
    digest = (job.result or {}).get(key)
    if not digest:
        raise NotFound(N_("job %(id)s has no %(part)s (nothing was quarantined)"), params={"id": job.id, "part": part})
    stem = PurePosixPath(job.result.get("output_name", "deid.zip")).stem
    filename = {"output": f"{stem}.zip", "quarantine": f"{stem}-quarantine.zip", "report": f"{stem}-report.jsonl"}[part]
    return FileResponse(storage.existing_path(digest), media_type=media_type, filename=filename)
