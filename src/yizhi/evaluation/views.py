"""Pages of the evaluation center: benchmarks, submit, report (with the ledger receipt), leaderboard,
competition (public)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.datastructures import UploadFile as StarletteUpload
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from yizhi.accounts.permissions import authorize, can
from yizhi.errors import N_, NotFound, YizhiError
from yizhi.evaluation import permissions as _rules  # noqa: F401
from yizhi.evaluation import render as report_render
from yizhi.evaluation import service
from yizhi.evaluation.api import SUBMISSION_BODY_BYTES, _phase, _read_upload
from yizhi.evaluation.leaderboard import leaderboard
from yizhi.evaluation.models import Benchmark, Competition, SubmissionState
from yizhi.evaluation.settings import get_evaluation_settings
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
        "orgs": service.submitter_orgs(person)})


@router.get("/evaluation/benchmarks/{slug}/submit", response_class=HTMLResponse)
def submit_page(slug: str, request: Request, db: DbSession, person: CurrentPerson):
    benchmark = service.get_benchmark(db, slug)
    authorize(person, "evaluation.benchmark.view", benchmark)
    return render(request, "evaluation/submit.html", {"benchmark": benchmark, "orgs": service.submitter_orgs(person)})


@router.post("/evaluation/benchmarks/{slug}/submit", max_body_size=SUBMISSION_BODY_BYTES)
def submit_form(slug: str, request: Request, db: DbSession, person: CurrentPerson, form: FormBody):
    benchmark = service.get_benchmark(db, slug)
    authorize(person, "evaluation.benchmark.view", benchmark)
    model, parity, org = form.get("model"), form.get("parity"), form.get("org")
    back = f"/evaluation/benchmarks/{slug}/submit"
    if not isinstance(org, str) or not isinstance(model, StarletteUpload):
        return redirect_with_flash(back, N_("Choose an ONNX model file"), "error")
    organization = service.org_by_slug(db, org)
    authorize(person, "evaluation.submit", organization)
    settings = get_evaluation_settings()
    try:
        model_bytes = _read_upload(model, settings.max_model_mb, "model")
        parity_bytes = _read_upload(parity, settings.max_parity_mb, "parity bundle") \
            if isinstance(parity, StarletteUpload) and parity.filename else None
        submission = service.submit(db, benchmark=benchmark, org=organization, model=model_bytes, parity=parity_bytes,
                                    actor=person)
    except YizhiError as exc:
        db.rollback()
        return redirect_with_flash(back, exc.localized(translator(request)), "error")
    db.commit()
    return redirect_with_flash(f"/evaluation/submissions/{submission.id}",
                               N_("Submission received") if submission.state != SubmissionState.refused
                               else N_("The model was refused"), "ok")


@router.get("/evaluation/submissions/{submission_id:int}", response_class=HTMLResponse)
def report_page(submission_id: int, request: Request, db: DbSession, person: CurrentPerson):
    submission = service.get_submission(db, submission_id)
    authorize(person, "evaluation.submission.view", submission)
    context = {"submission": submission, "report": submission.report, "figures": {}, "receipt": None, "refusal": None,
               "job": None}
    if submission.state == SubmissionState.scored:
        from yizhi import ledger

        context["figures"] = report_render.figure_uris(submission.report)
        context["receipt"] = ledger.receipt_for(db, submission.ledger_index)
        db.commit()
    elif submission.state in (SubmissionState.refused, SubmissionState.failed):
        code, template, params = service.refusal_message(submission)
        text = translator(request)(template)
        context["refusal"] = {"code": code, "message": text % params if params else text}
    elif submission.job_id:
        from yizhi.jobs.models import Job

        context["job"] = db.get(Job, submission.job_id)
    return render(request, "evaluation/report.html", context)


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
             "text": _("Submit an ONNX model to a benchmark and get a signed, multidimensional report."),
             "link": "/evaluation", "action": _("Open"), "order": 60, "primary": False}]
