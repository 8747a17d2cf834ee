"""Tier B pages of the trusted data space: the grantee submits, follows and downloads; the data
holder's checkers work through a queue of held outputs; both see a grant's compute use."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from yizhi import storage
from yizhi.access import grants
from yizhi.access.models import Grant, GrantState
from yizhi.accounts.permissions import active_orgs, authorize
from yizhi.errors import YizhiError
from yizhi.space import jobs_permissions as _rules  # noqa: F401  (registers the rules)
from yizhi.space import jobs_service, metering, review
from yizhi.space.jobs_permissions import is_grantee, may_check
from yizhi.space.jobs_present import job_public, output_public, queue_facts
from yizhi.space.jobs_settings import SandboxSettings
from yizhi.web.deps import CurrentPerson, DbSession
from yizhi.web.flash import redirect_with_flash
from yizhi.web.templating import NavItem, render, translator

router = APIRouter(include_in_schema=False)
NAV = [NavItem("/space/jobs", "Sandboxed jobs", order=62),
       NavItem("/space/checks", "Output checks", order=63, visible=lambda person: bool(person and person.memberships))]


def _my_grants(db, person) -> list[Grant]:
    from sqlalchemy import select

    org_ids = [o.id for o in active_orgs(person)]
    found = db.scalars(select(Grant).where(Grant.organization_id.in_(org_ids), Grant.state == GrantState.active))
    return [g for g in found if grants.may_act_under(person, g) and grants.grant_state_now(g) == "active"]


@router.get("/space/jobs", response_class=HTMLResponse)
def jobs_page(request: Request, db: DbSession, person: CurrentPerson) -> HTMLResponse:
    gettext = translator(request)
    jobs = [job_public(j, person, gettext, **_facts(db, j)) for j in jobs_service.jobs_of_grantee(db, person)]
    usage = {o.slug: metering.organization_usage(db, o.id).as_dict() for o in active_orgs(person)}
    return render(request, "space/jobs_list.html", {"jobs": jobs, "grants": _my_grants(db, person), "usage": usage})


def _facts(db, job) -> dict:
    facts = queue_facts(db, job)
    return {"queue_state": facts["queue_state"], "progress": facts["progress"], "note": facts["note"]}


@router.post("/space/jobs", max_body_size=SandboxSettings().project_max + 64 * 1024)
def submit_page(request: Request, db: DbSession, person: CurrentPerson,
                grant: Annotated[int, Form()], project: Annotated[UploadFile, File()],
                dummy: Annotated[bool, Form()] = False) -> Response:
    settings = SandboxSettings()
    gettext = translator(request)
    try:
        digest, _ = storage.put_stream(project.file, max_bytes=settings.project_max)
        with storage.open_file(digest) as handle:
            job = jobs_service.submit(db, person, grant, handle.read(), dummy=dummy, settings=settings)
    except YizhiError as exc:
        db.rollback()
        return redirect_with_flash("/space/jobs", exc.localized(gettext), "error")
    db.commit()
    return redirect_with_flash(f"/space/jobs/{job.id}", gettext("Job submitted; it runs in the sandbox."))


@router.get("/space/jobs/{job_id}", response_class=HTMLResponse)
def job_page(job_id: int, request: Request, db: DbSession, person: CurrentPerson) -> HTMLResponse:
    job = jobs_service.get_job(db, job_id)
    authorize(person, "space.job.view", job)
    gettext = translator(request)
    context = {"job": job_public(job, person, gettext, **_facts(db, job)),
               "outputs": [output_public(o, person, gettext) for o in job.outputs],
               "checker": may_check(person, job), "grantee": is_grantee(person, job)}
    template = "space/_jobs_status.html" if request.headers.get("hx-request") else "space/jobs_detail.html"
    return render(request, template, context)


@router.post("/space/jobs/{job_id}/outputs/{name}/review")
def review_page(job_id: int, name: str, request: Request, db: DbSession, person: CurrentPerson,
                decision: Annotated[str, Form()], comment: Annotated[str, Form()] = "") -> Response:
    job = jobs_service.get_job(db, job_id)
    authorize(person, "space.job.view", job)
    gettext = translator(request)
    back = request.headers.get("referer", "").endswith("/space/checks") and "/space/checks" or f"/space/jobs/{job_id}"
    try:
        review.review(db, person, jobs_service.output_of(job, name), decision, comment)
    except YizhiError as exc:
        db.rollback()
        return redirect_with_flash(back, exc.localized(gettext), "error")
    db.commit()
    return redirect_with_flash(back, gettext("Decision recorded."))


@router.get("/space/checks", response_class=HTMLResponse)
def checks_page(request: Request, db: DbSession, person: CurrentPerson) -> HTMLResponse:
    gettext = translator(request)
    held = [{"job": o.job, "output": output_public(o, person, gettext)} for o in review.review_queue(db, person)]
    return render(request, "space/jobs_checks.html", {"held": held})


@router.get("/space/grants/{grant_id}/compute", response_class=HTMLResponse)
def compute_page(grant_id: int, request: Request, db: DbSession, person: CurrentPerson) -> HTMLResponse:
    grant = grants.get_grant(db, grant_id)
    authorize(person, "space.grant.view", grant)
    from yizhi.accounts.permissions import can

    return render(request, "space/jobs_compute.html", {
        "grant": grant, "usage": metering.grant_usage(db, grant.id).as_dict(),
        "org_usage": metering.organization_usage(db, grant.organization_id).as_dict(),
        "limits": metering.limits_of(db, grant.id), "can_set": can(person, "space.limits.set", grant)})


@router.post("/space/grants/{grant_id}/compute")
def compute_limits(grant_id: int, request: Request, db: DbSession, person: CurrentPerson,
                   max_jobs: Annotated[str, Form()] = "", max_cpu_seconds: Annotated[str, Form()] = "",
                   max_wall_seconds: Annotated[str, Form()] = "", max_output_bytes: Annotated[str, Form()] = "") -> Response:
    grant = grants.get_grant(db, grant_id)
    authorize(person, "space.limits.set", grant)
    gettext = translator(request)
    back = f"/space/grants/{grant_id}/compute"
    try:
        values = {"max_jobs": _number(max_jobs, int), "max_cpu_seconds": _number(max_cpu_seconds, float),
                  "max_wall_seconds": _number(max_wall_seconds, float), "max_output_bytes": _number(max_output_bytes, int)}
        metering.set_limits(db, grant, person, **values)
    except YizhiError as exc:
        db.rollback()
        return redirect_with_flash(back, exc.localized(gettext), "error")
    db.commit()
    return redirect_with_flash(back, gettext("Limits saved."))


def _number(text: str, kind):
    from yizhi.errors import N_, ValidationFailed

    text = (text or "").strip()
    if not text:
        return None
    try:
        return kind(text)
    except ValueError:
        raise ValidationFailed(N_("%(value)s is not a number"), params={"value": text[:40]}) from None


def dashboard_cards(request, db, person) -> list[dict]:
    if person is None:
        return []
    pending = len(review.review_queue(db, person, limit=100))
    if not pending:
        return []
    _ = translator(request)
    return [{"key": "space-checks", "title": _("Output checks"), "order": 30, "primary": True,
             "text": _("%(n)s output(s) of sandboxed jobs wait for your check") % {"n": pending},
             "link": "/space/checks", "action": _("Check outputs")}]
