"""JSON routes: anonymize an uploaded table (a `deid.anonymize_table` job), download the results.

    POST /api/v1/deid/tabular                  multipart: file (CSV or Parquet), config (YAML file),
                                               hierarchy (ARX hierarchy files, repeatable),
                                               org, output_format (csv | parquet)
    GET  /api/v1/deid/tabular/{job_id}/output  the released table
    GET  /api/v1/deid/tabular/{job_id}/report  the JSON report (levels, metrics, risk)

The config is checked before anything is queued, so a wrong setting is answered at once (422,
with the YAML line). Uploads are stored before the job is queued (nothing lost); progress is at
/api/v1/jobs/{id}. Hierarchy files are named in the config by their upload file names. Only
people of the organisation the job runs for (or its creator) download the results.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Annotated

import yaml
from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import FileResponse

from yizhi import ledger, storage
from yizhi.accounts import service as accounts
from yizhi.accounts.models import Role
from yizhi.accounts.permissions import acting_role, active_orgs, authorize, rule
from yizhi.deid.tabular import tasks
from yizhi.deid.tabular.config import parse_config
from yizhi.deid.tabular.errors import ConfigError
from yizhi.errors import N_, Conflict, NotFound, ValidationFailed
from yizhi.jobs import service as jobs
from yizhi.jobs.api import get_visible_job
from yizhi.jobs.models import Job, JobState
from yizhi.jobs.schemas import JobPublic
from yizhi.web.deps import CurrentPerson, DbSession

MAX_TABLE_BYTES = 2 * 1024**3  # 2 GiB extract
MAX_CONFIG_BYTES = 1024**2
MAX_HIERARCHY_BYTES = 64 * 1024**2
MEDIA_TYPES = {".csv": "text/csv", ".parquet": "application/vnd.apache.parquet"}

router = APIRouter()


# Owners and members handle the organisation's raw and de-identified data; annotators and reviewers
# see only what a project or a review shows them.
DATA_ROLES = (Role.owner, Role.member)


@rule("deid.tabular.use")
def _may_use(person, org=None) -> bool:
    """Owners and members of an approved organisation anonymize that organisation's data."""
    if org is None:
        return any(acting_role(person, o) in DATA_ROLES for o in active_orgs(person))
    return acting_role(person, org) in DATA_ROLES


@rule("deid.tabular.download", visible_via="jobs.view")
def _may_download(person, job: Job) -> bool:
    return any(o.id == job.organization_id and acting_role(person, o) in DATA_ROLES for o in active_orgs(person))


def _acting_org(db, person, slug: str | None):
    if slug:
        org = accounts.get_org_by_slug(db, slug)
        authorize(person, "deid.tabular.use", org)
        return org
    orgs = active_orgs(person)
    if len(orgs) != 1:
        raise ValidationFailed("say which organisation the data belongs to (field org)", field="org")
    return orgs[0]


def _file_name(upload: UploadFile, default: str) -> str:
    return PurePosixPath((upload.filename or default).replace("\\", "/")).name or default


def _checked_config(upload: UploadFile) -> dict:
    """The config as JSON-safe data, validated now so a mistake is answered before queueing."""
    raw = upload.file.read(MAX_CONFIG_BYTES + 1)
    if len(raw) > MAX_CONFIG_BYTES:
        raise ValidationFailed(N_("the config is larger than %(MAX_CONFIG_BYTES)s bytes"), params={"MAX_CONFIG_BYTES": MAX_CONFIG_BYTES}, field="config")
    name = _file_name(upload, "config.yaml")
    try:
        text = raw.decode("utf-8-sig")
        data = yaml.safe_load(text)
        config = parse_config(data, source=name, text=text)
    except UnicodeDecodeError:
        raise ValidationFailed(N_("%(name)s: not UTF-8 text"), params={"name": name}, field="config") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark else ""
        raise ValidationFailed(N_("%(name)s%(where)s: not valid YAML"), params={"name": name, "where": where}, field="config") from None
    except ConfigError as exc:
        raise ValidationFailed(str(exc), field="config") from None
    return config.model_dump(mode="json", exclude={"base_dir"})


@router.post("/tabular", response_model=JobPublic, status_code=202,
             max_body_size=MAX_TABLE_BYTES + MAX_CONFIG_BYTES + 8 * MAX_HIERARCHY_BYTES)
def start_table_anonymization(
    db: DbSession,
    person: CurrentPerson,
    file: Annotated[UploadFile, File(description="The table: CSV (separator detected) or Parquet.")],
    config: Annotated[UploadFile, File(description="YAML config: quasi_identifiers, k, sensitive ...")],
    hierarchy: Annotated[list[UploadFile] | None, File(description="ARX hierarchy files named in the config.")] = None,
    org: Annotated[str | None, Form(description="Slug of the organisation the data belongs to.")] = None,
    output_format: Annotated[str | None, Form(description="csv or parquet (default: as the input).")] = None,
) -> Job:
    authorize(person, "deid.tabular.use")
    organization = _acting_org(db, person, org)
    if output_format not in (None, "", "csv", "parquet"):
        raise ValidationFailed("output_format must be csv or parquet", field="output_format")
    settings = _checked_config(config)
    uploaded = {_file_name(h, "hierarchy.csv"): h for h in hierarchy or []}
    for attribute, spec in settings["quasi_identifiers"].items():
        wanted = (spec or {}).get("hierarchy")
        if wanted is not None and wanted not in uploaded:
            raise ValidationFailed(
                f"quasi_identifiers.{attribute}.hierarchy: upload the file {wanted!r} (field hierarchy)",
                field="hierarchy",
            )
    files = {
        name: storage.put_stream(upload.file, max_bytes=MAX_HIERARCHY_BYTES)[0] for name, upload in uploaded.items()
    }
    name = _file_name(file, "table.csv")
    digest, size = storage.put_stream(file.file, max_bytes=MAX_TABLE_BYTES)
    params = {"input": digest, "input_name": name, "config": settings, "files": files}
    if output_format:
        params["output_format"] = output_format
    job = jobs.enqueue(db, "deid.anonymize_table", params, created_by_id=person.id, organization_id=organization.id)
    ledger.record(
        db, "deid.anonymize.requested", f"job:{job.id}",
        {"job_id": job.id, "input_sha256": digest, "input_bytes": size, "k": settings["k"]},
        actor=f"person:{person.id}", org=organization.slug,
    )
    db.commit()
    return job


@router.get("/tabular/{job_id}/{part}")
def download_table_result(job_id: int, part: str, db: DbSession, person: CurrentPerson) -> FileResponse:
    job = get_visible_job(db, person, job_id)
    if job.kind != "deid.anonymize_table" or part not in ("output", "report"):
        raise NotFound("not found")
    authorize(person, "deid.tabular.download", job)
    if job.state != JobState.succeeded:
        raise Conflict(N_("job %(id)s is %(state)s; results exist once it has succeeded"), params={"id": job.id, "state": job.state.value})
    result = job.result or {}
    if part == "report":
        stem = PurePosixPath(result.get("output_name", "table")).stem
        return FileResponse(
            storage.existing_path(result["report_file"]), media_type="application/json", filename=f"{stem}-report.json"
        )
    output_name = result.get("output_name", "anonymized.csv")
    media_type = MEDIA_TYPES.get(PurePosixPath(output_name).suffix, "application/octet-stream")
    return FileResponse(storage.existing_path(result["output"]), media_type=media_type, filename=output_name)


__all__ = ["router", "tasks"]  # importing tasks registers the job handler in the web process
