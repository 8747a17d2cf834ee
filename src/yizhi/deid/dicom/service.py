"""The rules of DICOM de-identification as the web uses it (no HTTP here): who may upload for
which organisation, storing the upload before anything runs, queueing the `deid.dicom` job."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from yizhi import ledger, storage
from yizhi.accounts import service as accounts
from yizhi.accounts.models import Role
from yizhi.accounts.permissions import acting_role, active_orgs, authorize, rule
from yizhi.deid.dicom import tasks  # noqa: F401  (registers the job handler in this process)
from yizhi.deid.dicom.options import OptionError, parse_options
from yizhi.errors import ValidationFailed
from yizhi.jobs import service as jobs
from yizhi.jobs.models import Job

JOB_KIND = "deid.dicom"
MAX_UPLOAD_BYTES = 4 * 1024**3  # 4 GiB: a large study export
FORM_OVERHEAD_BYTES = 64 * 1024  # multipart boundaries and the small form fields beside the file


# Owners and members handle the organisation's raw and de-identified data; annotators and reviewers
# see only what a project or a review shows them.
DATA_ROLES = (Role.owner, Role.member)


@rule("deid.dicom.use")
def _may_use(person, org=None) -> bool:
    """Owners and members of an approved organisation de-identify that organisation's data."""
    if org is None:
        return any(acting_role(person, o) in DATA_ROLES for o in active_orgs(person))
    return acting_role(person, org) in DATA_ROLES


@rule("deid.dicom.download", visible_via="jobs.view")
def _may_download(person, job: Job) -> bool:
    """Results (the quarantine may still show burned-in identities) stay with the organisation."""
    return any(o.id == job.organization_id and acting_role(person, o) in DATA_ROLES for o in active_orgs(person))


def acting_org(session: Session, person, slug: str | None):
    """The organisation the upload is for: the one named, or the person's only one."""
    if slug:
        org = accounts.get_org_by_slug(session, slug)
        authorize(person, "deid.dicom.use", org)
        return org
    orgs = active_orgs(person)
    if len(orgs) != 1:
        raise ValidationFailed("say which organisation the data belongs to (field org)", field="org")
    return orgs[0]


def start(session: Session, person, stream: BinaryIO, filename: str | None, option_names: list[str],
          org_slug: str | None, keep_names: bool = False) -> Job:
    """Store the upload, queue the job and record it in the ledger; the caller commits."""
    authorize(person, "deid.dicom.use")
    organization = acting_org(session, person, org_slug)
    try:
        options = parse_options(option_names)
    except OptionError as exc:
        raise ValidationFailed(str(exc), field="option") from None
    name = PurePosixPath((filename or "upload.zip").replace("\\", "/")).name or "upload.zip"
    digest, size = storage.put_stream(stream, max_bytes=MAX_UPLOAD_BYTES)
    job = jobs.enqueue(
        session, JOB_KIND,
        {"input": digest, "input_name": name, "options": sorted(o.value for o in options),
         "rename_paths": not keep_names},
        created_by_id=person.id, organization_id=organization.id,
    )
    ledger.record(
        session, "deid.dicom.requested", f"job:{job.id}",
        {"job_id": job.id, "input_sha256": digest, "input_bytes": size},
        actor=f"person:{person.id}", org=organization.slug,
    )
    return job


def recent_jobs(session: Session, person, limit: int = 20) -> list[Job]:
    """The person's visible `deid.dicom` jobs, newest first."""
    visible = {job.id for job in jobs.visible_jobs(session, person, limit=500)}
    query = select(Job).where(Job.kind == JOB_KIND, Job.id.in_(visible)).order_by(Job.id.desc()).limit(limit)
    return list(session.scalars(query))
