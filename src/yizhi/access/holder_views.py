"""Pages of reviewers and data holders: the review queue with deadlines (overdue flagged), a
dataset's access settings, and the feedback on the holder's datasets (closure reports, issues)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

from yizhi.access import dataset_settings, grant_service
from yizhi.access import request_service as requests
from yizhi.access.messages import OUTPUT_LABELS
from yizhi.access.permissions import HOLDER_READERS, owns, step_reviewers
from yizhi.access.request_models import AccessRequest, RequestState, ReviewStep, StepState
from yizhi.access.review_service import is_overdue
from yizhi.access.schemas import IssueUpdate, SettingsIn
from yizhi.access.views_common import feedback_org
from yizhi.accounts.models import OrgKind
from yizhi.accounts.permissions import acting_role, authorize, can, is_platform_admin
from yizhi.catalog.models import Dataset
from yizhi.errors import N_, YizhiError
from yizhi.web.deps import CurrentPerson, DbSession
from yizhi.web.forms import FormBody
from yizhi.web.flash import redirect_with_flash
from yizhi.web.templating import render, translator

router = APIRouter(include_in_schema=False)
ORG_KINDS = [k.value for k in OrgKind]


def review_queue(db, person) -> dict:
    """What waits for this person: prescreens (commission), active steps they review, decisions they make."""
    prescreens = []
    if is_platform_admin(person):
        prescreens = list(db.scalars(select(AccessRequest).where(
            AccessRequest.state.in_([RequestState.submitted, RequestState.prescreen])).order_by(AccessRequest.submitted_at)))
    held = [m.organization_id for m in person.memberships if acting_role(person, m.organization) in HOLDER_READERS]
    steps = [s for s in db.scalars(select(ReviewStep).join(AccessRequest).where(
        ReviewStep.state == StepState.active, AccessRequest.state == RequestState.in_review,
        AccessRequest.holder_id.in_(held)).order_by(ReviewStep.due_at))]
    decisions = [r for r in db.scalars(select(AccessRequest).where(
        AccessRequest.state == RequestState.in_review, AccessRequest.holder_id.in_(held)))
        if can(person, "access.request.decide", r)]
    return {"prescreens": prescreens, "mine": [s for s in steps if person.id in step_reviewers(s)],
            "others": [s for s in steps if person.id not in step_reviewers(s)], "decisions": decisions}


@router.get("/access/review", response_class=HTMLResponse)
def review_page(request: Request, db: DbSession, person: CurrentPerson) -> HTMLResponse:
    authorize(person, "access.review_queue", None)
    queue = review_queue(db, person)
    overdue = {s.id for group in ("mine", "others") for s in queue[group] if is_overdue(s)}
    return render(request, "access/review.html", {**queue, "overdue": overdue})


# ----- settings ------------------------------------------------------------------------------------
def _settings_page(request, db, dataset, values: dict, errors: list[str], status_code: int = 200) -> HTMLResponse:
    holders = [m.person for m in dataset.organization.memberships if m.role.value in ("owner", "member", "reviewer")]
    return render(request, "access/settings.html", {"dataset": dataset, "values": values, "errors": errors,
                                                    "org_kinds": ORG_KINDS, "people": holders, "rows": range(5)},
                  status_code=status_code)


@router.get("/access/datasets/{slug}/settings", response_class=HTMLResponse)
def settings_page(slug: str, request: Request, db: DbSession, person: CurrentPerson) -> HTMLResponse:
    dataset = dataset_settings.get_dataset(db, slug)
    authorize(person, "access.settings.edit", dataset)
    return _settings_page(request, db, dataset, dataset_settings.settings_as_form(db, dataset), [])


def settings_from_form(form) -> SettingsIn:
    names, days, reviewers = form.getlist("step_name"), form.getlist("step_days"), form.getlist("step_reviewers")
    steps = [{"name": str(n).strip(), "days": str(d).strip() or "10",
              "reviewers": [e for e in str(r).replace(",", " ").split() if e]}
             for n, d, r in zip(names, days, reviewers, strict=False) if str(n).strip()]
    epsilon = str(form.get("default_epsilon") or "").strip()
    return SettingsIn.model_validate({"handling": form.get("handling") or "manual",
                                      "auto_kinds": form.getlist("auto_kinds"), "review_steps": steps,
                                      "default_epsilon": epsilon or None})


@router.post("/access/datasets/{slug}/settings")
def save_settings(slug: str, request: Request, db: DbSession, person: CurrentPerson, form: FormBody) -> Response:
    dataset = dataset_settings.get_dataset(db, slug)
    authorize(person, "access.settings.edit", dataset)
    try:
        dataset_settings.save_settings(db, person, dataset, settings_from_form(form))
    except ValidationError as exc:
        db.rollback()
        errors = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        return _settings_page(request, db, dataset, _echo(form), errors, 422)
    except YizhiError as exc:
        db.rollback()
        return _settings_page(request, db, dataset, _echo(form), [exc.localized(translator(request))], exc.status)
    db.commit()
    return redirect_with_flash(f"/access/datasets/{slug}/settings", translator(request)(N_("Settings saved.")))


def _echo(form) -> dict:
    steps = [{"name": n, "days": d, "reviewers": str(r).split()} for n, d, r in zip(
        form.getlist("step_name"), form.getlist("step_days"), form.getlist("step_reviewers"), strict=False) if n]
    return {"handling": form.get("handling"), "auto_kinds": form.getlist("auto_kinds"), "review_steps": steps,
            "default_epsilon": form.get("default_epsilon") or None}


# ----- feedback ------------------------------------------------------------------------------------
@router.get("/access/feedback", response_class=HTMLResponse)
def feedback_page(request: Request, db: DbSession, person: CurrentPerson, org: str = "") -> HTMLResponse:
    holder = feedback_org(db, person, org or None)
    reports, issues = grant_service.feedback_for(db, holder)
    datasets = list(db.scalars(select(Dataset).where(Dataset.organization_id == holder.id).order_by(Dataset.slug)))
    return render(request, "access/feedback.html", {
        "holder": holder, "reports": reports, "output_labels": OUTPUT_LABELS, "issues": issues, "datasets": datasets,
        "can_settings": owns(person, holder), "can_issues": can(person, "access.issue.update", issues[0]) if issues else False,
        "requests_to_us": [r for r in requests.visible_requests(db, person) if r.holder_id == holder.id][:50]})


@router.post("/access/issues/{issue_id:int}")
def update_issue(issue_id: int, request: Request, db: DbSession, person: CurrentPerson, form: FormBody) -> Response:
    issue = grant_service.get_issue(db, person, issue_id)
    url = f"/access/feedback?org={issue.version.dataset.organization.slug}"
    try:
        data = IssueUpdate(state=form.get("state", ""), response=str(form.get("response", "")).strip())
    except ValidationError:
        return redirect_with_flash(url, translator(request)(N_("choose a state for the issue")), "error")
    grant_service.update_issue(db, person, issue_id, data)
    db.commit()
    return redirect_with_flash(url, translator(request)(N_("Saved.")))
