"""JSON API of the evaluation center under /api/v1/evaluation. Routes translate HTTP; rules live in
``service``. A model that fails the checks answers 422 ``{"error": {"code", "message"}}``."""

from __future__ import annotations

from fastapi import APIRouter, Request, UploadFile
from starlette.datastructures import UploadFile as StarletteUpload
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field

from yizhi.accounts.permissions import authorize
from yizhi.errors import N_, NotFound, PayloadTooLarge, ValidationFailed, YizhiError, localize_problem
from yizhi.evaluation import permissions as _rules  # noqa: F401  (registers the rules)
from yizhi.evaluation import lifecycle, releases, render, service
from yizhi.evaluation.permissions import organiser_of
from yizhi.evaluation.predictions import is_predictions_file
from yizhi.evaluation.leaderboard import leaderboard
from yizhi.evaluation.models import Competition, Phase, SubmissionState
from yizhi.evaluation.settings import get_evaluation_settings
from yizhi.web.deps import CurrentPerson, DbSession, public
from yizhi.web.i18n import api_gettext
from yizhi.web.forms import FormBody

# the form carries the model and the parity bundle (or a predictions file); each is checked against its own
# limit when read
SUBMISSION_BODY_BYTES = (max(get_evaluation_settings().max_model_mb, get_evaluation_settings().max_predictions_mb)
                         + get_evaluation_settings().max_parity_mb) * 1024**2 + 64 * 1024
router = APIRouter(prefix="/api/v1/evaluation", tags=["evaluation"])


class BenchmarkIn(BaseModel):
    slug: str = Field(max_length=64)
    dataset: str = Field(max_length=80)
    task_yaml: str = Field(max_length=64 * 1024)
    org: str = Field(max_length=64)


def _benchmark_out(b) -> dict:
    return {"slug": b.slug, "title": b.title, "organization": b.organization.slug, "dataset": b.version.ref,
            "task": b.task, "task_sha256": b.task_sha256, "open": b.open,
            "phases": [{"id": p.id, "name": p.name, "kind": p.kind.value, "metric": p.metric,
                        "opens_at": p.opens_at.isoformat() if p.opens_at else None,
                        "closes_at": p.closes_at.isoformat() if p.closes_at else None, "cap": p.cap,
                        "cap_days": p.cap_days, "inputs_released": p.release is not None} for p in b.phases]}


def _submission_out(s) -> dict:
    file_hash = "predictions_sha256" if s.kind.value == "predictions" else "model_sha256"
    out = {"id": s.id, "benchmark": s.benchmark.slug, "organization": s.organization.slug, "state": s.state.value,
           "kind": s.kind.value, "phase_id": s.phase_id, file_hash: s.model_sha256, "job_id": s.job_id, "verdict": s.verdict,
           "ledger_index": s.ledger_index}
    if s.state in (SubmissionState.refused, SubmissionState.failed) or s.error_code:
        code, template, params = service.refusal_message(s)
        out["error"] = {"code": code, "message": template % params if params else template}
    return out


@router.get("/benchmarks")
def list_benchmarks(db: DbSession, person: CurrentPerson) -> list[dict]:
    from sqlalchemy import select

    from yizhi.evaluation.models import Benchmark

    return [_benchmark_out(b) for b in db.scalars(select(Benchmark).order_by(Benchmark.slug))]


@router.post("/benchmarks", status_code=201)
def create_benchmark(body: BenchmarkIn, db: DbSession, person: CurrentPerson) -> dict:
    org = service.org_by_slug(db, body.org)
    authorize(person, "evaluation.benchmark.create", org)
    benchmark = service.create_benchmark(db, slug=body.slug, dataset=body.dataset, task_yaml=body.task_yaml, org=org,
                                         actor=person)
    db.commit()
    return _benchmark_out(benchmark)


@router.get("/benchmarks/{slug}")
def get_benchmark(slug: str, db: DbSession, person: CurrentPerson) -> dict:
    benchmark = service.get_benchmark(db, slug)
    authorize(person, "evaluation.benchmark.view", benchmark)
    return _benchmark_out(benchmark)


def _read_upload(upload: UploadFile, limit_mb: int, what: str) -> bytes:
    # the form parser already spooled the file to disk; reading it here is plain file I/O in the thread pool
    data = upload.file.read(limit_mb * 1024 * 1024 + 1)
    if len(data) > limit_mb * 1024 * 1024:
        raise PayloadTooLarge(N_("the %(what)s is larger than %(mb)s MiB"), params={"what": what, "mb": limit_mb})
    return data


@router.post("/benchmarks/{slug}/submissions", status_code=202, max_body_size=SUBMISSION_BODY_BYTES)
def submit(slug: str, request: Request, db: DbSession, person: CurrentPerson, form: FormBody):
    """Multipart: ``model`` (an ONNX file — or a predictions file, .csv or .parquet, by its name) or
    ``predictions`` (file), ``org``, optional ``parity`` (file, models only) and ``phase_id``. The form is
    read after the benchmark is found and visible, so an unknown benchmark answers 404 whatever the body.
    A predictions file with problems answers 422 with every bad line in ``error.problems``."""
    benchmark = service.get_benchmark(db, slug)
    authorize(person, "evaluation.benchmark.view", benchmark)
    upload = form.get("predictions") or form.get("model")
    parity, org = form.get("parity"), form.get("org")
    if not isinstance(org, str) or not isinstance(upload, StarletteUpload):
        raise ValidationFailed(N_("send the model as a file field 'model' and the organisation as 'org'"),
                               field="model")
    organization = service.org_by_slug(db, org)
    authorize(person, "evaluation.submit", organization)
    phase = form.get("phase_id")
    phase_id = int(phase) if isinstance(phase, str) and phase.isdigit() else None
    try:
        submission = submit_upload(db, person, benchmark, organization, upload, parity, phase_id)
    except YizhiError as exc:
        db.rollback()
        if not exc.problems:
            raise
        return problems_response(request, exc)
    db.commit()
    out = _submission_out(submission)
    if submission.state == SubmissionState.refused:
        return JSONResponse({"error": out["error"], "submission_id": submission.id}, status_code=422)
    return out


def submit_upload(db, person, benchmark, organization, upload, parity, phase_id: int | None):
    """A model or a predictions file (by the file's name), read within its own limit (API and page)."""
    settings = get_evaluation_settings()
    if is_predictions_file(upload.filename):
        if isinstance(parity, StarletteUpload) and parity.filename:
            raise ValidationFailed(N_("a parity bundle goes with an ONNX model, not with a predictions file"),
                                   field="parity")
        data = upload.file.read(settings.max_predictions_mb * 1024 * 1024 + 1)
        if len(data) > settings.max_predictions_mb * 1024 * 1024:
            raise PayloadTooLarge(N_("the predictions file is larger than %(mb)s MiB"),
                                  params={"mb": settings.max_predictions_mb})
        return service.submit_predictions(db, benchmark=benchmark, org=organization, data=data,
                                          filename=upload.filename, actor=person, phase_id=phase_id)
    model_bytes = _read_upload(upload, settings.max_model_mb, "model")
    parity_bytes = _read_upload(parity, settings.max_parity_mb, "parity bundle") \
        if isinstance(parity, StarletteUpload) and parity.filename else None
    return service.submit(db, benchmark=benchmark, org=organization, model=model_bytes, parity=parity_bytes,
                          actor=person, phase_id=phase_id)


def problems_response(request: Request, exc: YizhiError) -> JSONResponse:
    """The error with every problem (each bad line) in the reader's language when they asked for one."""
    gettext = api_gettext(request)
    body = {"code": exc.code, "message": exc.localized(gettext), "field": exc.field,
            "problems": [{"line": p.get("line"), "field": p.get("field"), "message": localize_problem(p, gettext)}
                         for p in exc.problems]}
    return JSONResponse({"error": body}, status_code=exc.status)


@router.get("/submissions")
def my_submissions(db: DbSession, person: CurrentPerson) -> list[dict]:
    return [_submission_out(s) for s in service.visible_submissions(db, person)]


def _visible_submission(db, person, submission_id: int):
    submission = service.get_submission(db, submission_id)
    authorize(person, "evaluation.submission.view", submission)
    if lifecycle.sync_with_job(db, submission):
        db.commit()
    return submission


@router.get("/submissions/{submission_id}")
def get_submission(submission_id: int, db: DbSession, person: CurrentPerson) -> dict:
    submission = _visible_submission(db, person, submission_id)
    out = _submission_out(submission)
    if submission.job_id:
        from yizhi.jobs.models import Job

        job = db.get(Job, submission.job_id)
        out["progress"] = {"fraction": job.progress, "note": job.progress_note} if job else None
    return out


@router.post("/submissions/{submission_id}/retry", status_code=202)
def retry_submission(submission_id: int, db: DbSession, person: CurrentPerson) -> dict:
    """Score again a submission whose scoring stopped on an internal error (409 otherwise)."""
    submission = service.get_submission(db, submission_id)
    authorize(person, "evaluation.submission.retry", submission)
    lifecycle.retry_submission(db, submission, person)
    db.commit()
    return _submission_out(submission)


@router.get("/submissions/{submission_id}/report")
def get_report(submission_id: int, db: DbSession, person: CurrentPerson):
    submission = _visible_submission(db, person, submission_id)
    if submission.state in (SubmissionState.refused, SubmissionState.failed):
        return JSONResponse({"error": _submission_out(submission)["error"]}, status_code=422)
    return render.report_json(submission)


@router.get("/submissions/{submission_id}/report.html", response_class=HTMLResponse)
def get_report_html(submission_id: int, db: DbSession, person: CurrentPerson, lang: str = "zh") -> HTMLResponse:
    submission = _visible_submission(db, person, submission_id)
    return HTMLResponse(render.html_document(submission, "en" if lang == "en" else "zh"))


@router.get("/submissions/{submission_id}/report.pdf")
def get_report_pdf(submission_id: int, db: DbSession, person: CurrentPerson) -> Response:
    submission = _visible_submission(db, person, submission_id)
    return Response(render.pdf_document(submission), media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="report-{submission.id}.pdf"'})


def _phase(db, phase_id: int) -> Phase:
    return service.get_phase(db, phase_id)


@router.get("/phases/{phase_id}/inputs")
def phase_inputs(phase_id: int, db: DbSession, person: CurrentPerson) -> dict:
    """Whether the phase's inputs are released, and what (columns, number of cases, file hashes)."""
    phase = _phase(db, phase_id)
    authorize(person, "evaluation.benchmark.view", phase.benchmark)
    return {"phase_id": phase.id, "released": phase.release is not None, "release": releases.release_out(phase)}


@router.post("/phases/{phase_id}/inputs/release", status_code=201)
def release_phase_inputs(phase_id: int, db: DbSession, person: CurrentPerson) -> dict:
    """Release the phase's inputs (its organiser: the benchmark's evaluator organisation or the commission)."""
    phase = _phase(db, phase_id)
    authorize(person, "evaluation.phase.release", phase)
    releases.release_inputs(db, phase, organiser_of(person, phase), person)
    db.commit()
    return {"phase_id": phase.id, "released": True, "release": releases.release_out(phase)}


@router.get("/phases/{phase_id}/inputs/{fmt}")
def download_phase_inputs(phase_id: int, fmt: str, db: DbSession, person: CurrentPerson, org: str | None = None):
    """The released inputs as ``csv`` or ``parquet`` for ``org`` (one you act for, allowed to take part;
    by default your only such organisation); each download is recorded on the ledger."""
    return inputs_file(db, _phase(db, phase_id), org, fmt, person)


def inputs_file(db, phase: Phase, org: str | None, fmt: str, person) -> FileResponse:
    """Checks in order (the phase visible, then the organisation named — or the person's only one —
    acted for), records the download and answers the file (API and page)."""
    from yizhi import storage

    authorize(person, "evaluation.benchmark.view", phase.benchmark)
    if org:
        organization = service.org_by_slug(db, org)
    else:
        mine = service.submitter_orgs(person)
        if len(mine) != 1:
            raise ValidationFailed(N_("name the organisation you download for (org)"), field="org")
        organization = mine[0]
    authorize(person, "evaluation.submit", organization)
    digest, name = releases.download_inputs(db, phase, organization, fmt, person)
    db.commit()
    return FileResponse(storage.path_for(digest), media_type=releases.FORMATS[fmt], filename=name,
                        headers={"X-Content-SHA256": digest})


@router.get("/phases/{phase_id}/leaderboard")
def phase_leaderboard(phase_id: int, db: DbSession, person: CurrentPerson) -> dict:
    phase = _phase(db, phase_id)
    authorize(person, "evaluation.benchmark.view", phase.benchmark)
    return {"phase": phase.name, "metric": phase.metric, "rows": leaderboard(db, phase)}


@router.get("/competitions/{slug}")
@public
def competition(slug: str, db: DbSession) -> dict:
    from sqlalchemy import select

    found = db.scalar(select(Competition).where(Competition.slug == slug))
    if found is None:
        raise NotFound(N_("no competition %(slug)s"), params={"slug": slug})
    return {"slug": found.slug, "title": found.title, "description": found.description,
            "organization": found.organization.slug,
            "phases": [{"id": p.id, "name": p.name, "kind": p.kind.value, "benchmark": p.benchmark.slug,
                        "metric": p.metric, "leaderboard": leaderboard(db, p)} for p in found.phases]}
