"""Pages listing background jobs with live progress."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from yizhi.accounts.permissions import authorize
from yizhi.errors import YizhiError
from yizhi.jobs import service
from yizhi.jobs.api import get_visible_job
from yizhi.web.deps import CurrentPerson, DbSession, reads_only
from yizhi.web.flash import redirect_with_flash
from yizhi.web.templating import NavItem, render, translator

router = APIRouter(include_in_schema=False)
NAV = [NavItem("/jobs", "Jobs", order=85)]


def _helpers(request: Request) -> dict:
    """Failure and problems in the reader's language (the stored English is for logs)."""
    gettext = translator(request)
    return {"job_error": lambda job: service.localized_error(job, gettext),
            "job_problems": lambda job: service.localized_problems(job, gettext),
            "job_retryable": lambda job: job.state.value == "failed" or service.is_stale(job)}


@router.get("/jobs", response_class=HTMLResponse)
@reads_only
def jobs_page(request: Request, db: DbSession, person: CurrentPerson) -> HTMLResponse:
    return render(request, "jobs/list.html", {"jobs": service.visible_jobs(db, person), **_helpers(request)})


@router.get("/jobs/{job_id}", response_class=HTMLResponse)
def job_page(job_id: int, request: Request, db: DbSession, person: CurrentPerson) -> HTMLResponse:
    job = get_visible_job(db, person, job_id)
    template = "jobs/_status.html" if request.headers.get("hx-request") else "jobs/detail.html"
    return render(request, template, {"job": job, **_helpers(request)})


@router.post("/jobs/{job_id}/retry")
def retry_job(job_id: int, request: Request, db: DbSession, person: CurrentPerson) -> Response:
    job = get_visible_job(db, person, job_id)
    authorize(person, "jobs.retry", job)
    try:
        service.retry(db, job)
    except YizhiError as exc:
        db.rollback()
        return redirect_with_flash(f"/jobs/{job_id}", exc.localized(translator(request)), "error")
    db.commit()
    return redirect_with_flash(f"/jobs/{job_id}", "Job queued again.")
