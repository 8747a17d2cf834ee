"""Pages of the evaluation center: benchmarks, submit, report (with the ledger receipt), leaderboard,
competition (public)."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from starlette.datastructures import UploadFile as StarletteUpload
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from yizhi.accounts.permissions import authorize, can
from yizhi.errors import N_, NotFound, YizhiError, localize_problem
from yizhi.evaluation import permissions as _rules  # noqa: F401
from yizhi.evaluation import render as report_render
from yizhi.evaluation import lifecycle, service
from yizhi.evaluation.api import SUBMISSION_BODY_BYTES, _phase, inputs_file, submit_upload
from yizhi.evaluation.permissions import organiser_of
from yizhi.evaluation.releases import release_inputs
from yizhi.evaluation.leaderboard import leaderboard
from yizhi.evaluation.models import Benchmark, Competition, SubmissionState
from yizhi.web.deps import CurrentPerson, DbSession, OptionalPerson, public
from yizhi.web.forms import FormBody
from yizhi.web.flash import redirect_with_flash
from yizhi.web.templating import NavItem, render, translator

router = APIRouter(include_in_schema=False)
NAV = [NavItem("/evaluation", "Evaluation center", order=60)]


@router.get("/evaluation", response_class=HTMLResponse)
def index(request: Request, db: DbSession, person: CurrentPerson):
    benchmarks = list(db.scalars(select(Benchmark).order_by(Benchmark.slug)))
    competitions = list(db.scalars(select(Competition).order_by(Competition.id.desc())))
    return render(request, "evaluation/index.html", {"benchmarks": benchmarks, "competitions": competitions,
                                                     "submissions": service.visible_submissions(db, person)})


@router.get("/evaluation/benchmarks/{slug}", response_class=HTMLResponse)
def benchmark_page(slug: str, request: Request, db: DbSession, person: CurrentPerson):
    benchmark = service.get_benchmark(db, slug)
    authorize(person, "evaluation.benchmark.view", benchmark)
    return render(request, "evaluation/benchmark.html", {
        "benchmark": benchmark, "contract": benchmark.task, "submissions": service.visible_submissions(db, person, benchmark),
        "orgs": service.submitter_orgs(person),
        "organises": {p.id: can(person, "evaluation.phase.release", p) for p in benchmark.phases}})


def _submit_context(benchmark, person, problems=None, message=None) -> dict:
    from yizhi.evaluation.predictions import score_columns

    return {"benchmark": benchmark, "orgs": service.submitter_orgs(person), "problems": problems or [],
            "message": message, "phases": [p for p in benchmark.phases if service.phase_is_open(p)],
            "prediction_columns": score_columns(service.contract_of(benchmark))}


@router.get("/evaluation/benchmarks/{slug}/submit", response_class=HTMLResponse)
def submit_page(slug: str, request: Request, db: DbSession, person: CurrentPerson):
    benchmark = service.get_benchmark(db, slug)
    authorize(person, "evaluation.benchmark.view", benchmark)
    return render(request, "evaluation/submit.html", _submit_context(benchmark, person))


@router.post("/evaluation/benchmarks/{slug}/submit", max_body_size=SUBMISSION_BODY_BYTES)
def submit_form(slug: str, request: Request, db: DbSession, person: CurrentPerson, form: FormBody):
    """An ONNX model or a predictions file (.csv/.parquet, by its name); a file with problems shows the
    form again with every bad line in the reader's language."""
    benchmark = service.get_benchmark(db, slug)
    authorize(person, "evaluation.benchmark.view", benchmark)
    model, parity, org = form.get("model"), form.get("parity"), form.get("org")
    back = f"/evaluation/benchmarks/{slug}/submit"
    if not isinstance(org, str) or not isinstance(model, StarletteUpload) or not model.filename:
        return redirect_with_flash(back, N_("Choose an ONNX model or a predictions file"), "error")
    organization = service.org_by_slug(db, org)
    authorize(person, "evaluation.submit", organization)
    phase = form.get("phase_id")
    try:
        submission = submit_upload(db, person, benchmark, organization, model, parity,
                                   int(phase) if isinstance(phase, str) and phase.isdigit() else None)
    except YizhiError as exc:
        db.rollback()
        gettext = translator(request)
        if exc.problems:
            return render(request, "evaluation/submit.html", _submit_context(
                benchmark, person, [localize_problem(p, gettext) for p in exc.problems], exc.localized(gettext)),
                status_code=exc.status)
        return redirect_with_flash(back, exc.localized(gettext), "error")
    db.commit()
    return redirect_with_flash(f"/evaluation/submissions/{submission.id}",
                               N_("Submission received") if submission.state != SubmissionState.refused
                               else N_("The model was refused"), "ok")


@router.post("/evaluation/phases/{phase_id:int}/release")
def release_form(phase_id: int, request: Request, db: DbSession, person: CurrentPerson):
    phase = _phase(db, phase_id)
    authorize(person, "evaluation.phase.release", phase)
    back = f"/evaluation/benchmarks/{phase.benchmark.slug}"
    try:
        release_inputs(db, phase, organiser_of(person, phase), person)
    except YizhiError as exc:
        db.rollback()
        return redirect_with_flash(back, exc.localized(translator(request)), "error")
    db.commit()
    return redirect_with_flash(back, N_("Inputs released; participants can download them and submit predictions "
                                        "files"), "ok")


@router.get("/evaluation/phases/{phase_id:int}/inputs")
def inputs_download(phase_id: int, db: DbSession, person: CurrentPerson, org: str | None = None,
                    fmt: str = Query("csv", alias="format")):
    """The released inputs for one of the person's organisations; each download is on the ledger."""
    return inputs_file(db, _phase(db, phase_id), org, fmt, person)


@router.get("/evaluation/submissions/{submission_id:int}", response_class=HTMLResponse)
def report_page(submission_id: int, request: Request, db: DbSession, person: CurrentPerson):
    submission = service.get_submission(db, submission_id)
    authorize(person, "evaluation.submission.view", submission)
    if lifecycle.sync_with_job(db, submission):
        db.commit()
    context = {"submission": submission, "report": submission.report, "figures": {}, "receipt": None, "refusal": None,
               "job": None, "can_retry": False, "last_attempt": None}
    if submission.state == SubmissionState.scored:
        from yizhi import ledger

        context["figures"] = report_render.figure_uris(submission.report)
        context["receipt"] = ledger.receipt_for(db, submission.ledger_index)
        db.commit()
    elif submission.state in (SubmissionState.refused, SubmissionState.failed):
        context["refusal"] = _reason(request, submission)
        context["can_retry"] = lifecycle.retryable(submission) and can(person, "evaluation.submission.retry",
                                                                       submission)
    elif submission.job_id:
        from yizhi.jobs.models import Job

        context["job"] = db.get(Job, submission.job_id)
        context["last_attempt"] = _reason(request, submission) if submission.error_code else None
    return render(request, "evaluation/report.html", context)


def _reason(request: Request, submission) -> dict:
    code, template, params = service.refusal_message(submission)
    text = translator(request)(template)
    try:
        message = text % params if params else text
    except (KeyError, TypeError, ValueError):
        message = template % params if params else template
    return {"code": code, "message": message}


@router.post("/evaluation/submissions/{submission_id:int}/retry")
def retry_form(submission_id: int, request: Request, db: DbSession, person: CurrentPerson):
    submission = service.get_submission(db, submission_id)
    authorize(person, "evaluation.submission.retry", submission)
    back = f"/evaluation/submissions/{submission.id}"
    try:
        lifecycle.retry_submission(db, submission, person)
    except YizhiError as exc:
        db.rollback()
        return redirect_with_flash(back, exc.localized(translator(request)), "error")
    db.commit()
    return redirect_with_flash(back, N_("Scoring queued again"), "ok")


@router.get("/evaluation/phases/{phase_id:int}/leaderboard", response_class=HTMLResponse)
def leaderboard_page(phase_id: int, request: Request, db: DbSession, person: CurrentPerson):
    phase = _phase(db, phase_id)
    authorize(person, "evaluation.benchmark.view", phase.benchmark)
    return render(request, "evaluation/leaderboard.html", {"phase": phase, "rows": leaderboard(db, phase)})


@router.get("/evaluation/competitions/{slug}", response_class=HTMLResponse)
@public
def competition_page(slug: str, request: Request, db: DbSession, person: OptionalPerson):
    found = db.scalar(select(Competition).where(Competition.slug == slug))
    if found is None:
        raise NotFound(N_("no competition %(slug)s"), params={"slug": slug})
    boards = [(phase, leaderboard(db, phase)) for phase in found.phases]
    return render(request, "evaluation/competition.html", {"competition": found, "boards": boards})


def dashboard_cards(request, db, person) -> list[dict]:
    if person is None or not can(person, "evaluation.submit", next(iter(service.submitter_orgs(person)), None)):
        return []
    _ = translator(request)
    return [{"key": "evaluation", "title": _("Evaluation center"),
             "text": _("Submit an ONNX model (or a predictions file, where inputs are released) to a benchmark and "
                       "get a signed, multidimensional report."),
             "link": "/evaluation", "action": _("Open"), "order": 60, "primary": False}]
