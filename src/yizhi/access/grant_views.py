"""Pages of grants: the list, the grant page (scope, expiry, extracts, suspend / reinstate / revoke
by the holder, the closure report by the grantee), and the commission's administrative grant form."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

from yizhi.access import grant_service
from yizhi.access.feedback_models import ClosureReport
from yizhi.access.grants import grant_state_now
from yizhi.access.messages import OUTPUT_LABELS
from yizhi.access.schemas import ClosureIn, ReasonIn
from yizhi.access.views_common import people_by_id
from yizhi.accounts.models import Organization
from yizhi.accounts.permissions import authorize, can
from yizhi.catalog.models import Dataset, DatasetVersion, VersionState
from yizhi.errors import N_, Conflict, ValidationFailed, YizhiError
from yizhi.web.deps import CurrentPerson, DbSession
from yizhi.web.forms import FormBody
from yizhi.web.flash import redirect_with_flash
from yizhi.web.templating import render, translator

router = APIRouter(include_in_schema=False)
OUTPUT_KINDS = ("paper", "model", "product", "report")
FORM_ROWS = 3


@router.get("/access/grants", response_class=HTMLResponse)
def grants_page(request: Request, db: DbSession, person: CurrentPerson) -> HTMLResponse:
    rows = grant_service.visible_grants(db, person)
    mine = {m.organization_id for m in person.memberships}
    return render(request, "access/grants.html", {
        "ours": [g for g in rows if g.organization_id in mine], "on_ours": [g for g in rows if g.organization_id not in mine],
        "state_of": grant_state_now, "can_admin_grant": can(person, "access.admin_grant", None)})


@router.get("/access/grants/{grant_id:int}", response_class=HTMLResponse)
def grant_page(grant_id: int, request: Request, db: DbSession, person: CurrentPerson) -> HTMLResponse:
    grant = grant_service.grant_for(db, person, grant_id)
    report = db.scalar(select(ClosureReport).where(ClosureReport.grant_id == grant.id))
    return render(request, "access/grant.html", {
        "g": grant, "state": grant_state_now(grant), "report": report, "request_row": grant_service.latest_request(grant),
        "team": people_by_id(db, [m.person_id for m in grant.team]), "output_kinds": OUTPUT_KINDS,
        "output_labels": OUTPUT_LABELS,
        "rows": range(FORM_ROWS), **_space_use(db, grant), "can": {
            "manage": can(person, "access.grant.manage", grant), "close": can(person, "access.grant.close", grant),
            "extract": can(person, "access.grant.extract", grant) and grant_state_now(grant) == "active"}})


def _space_use(db, grant) -> dict:
    """The grant's Tier A queries and Tier B jobs, shown on its page (the space domain owns them)."""
    from yizhi.space.grant_use import LIMIT_LABELS, grant_use

    return {"space_use": grant_use(db, grant), "limit_labels": LIMIT_LABELS}


def _grant_act(form, request: Request, db, person, grant_id: int, fn, message: str) -> Response:
    grant = grant_service.grant_for(db, person, grant_id)
    url = f"/access/grants/{grant_id}"
    try:
        fn(grant, form)
    except ValidationError as exc:
        db.rollback()
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        return redirect_with_flash(url, problems, "error")
    except (ValidationFailed, Conflict) as exc:
        # what the reader can fix comes back as a message; refusals (403/404) are error pages
        db.rollback()
        return redirect_with_flash(url, exc.localized(translator(request)), "error")
    db.commit()
    return redirect_with_flash(url, translator(request)(message))


def _reason(form) -> str:
    return ReasonIn(reason=str(form.get("reason", "")).strip()).reason


@router.post("/access/grants/{grant_id:int}/suspend")
def suspend(grant_id: int, request: Request, db: DbSession, person: CurrentPerson, form: FormBody) -> Response:
    return _grant_act(form, request, db, person, grant_id,
                            lambda g, f: grant_service.suspend(db, person, g, _reason(f)), N_("Grant suspended."))


@router.post("/access/grants/{grant_id:int}/reinstate")
def reinstate(grant_id: int, request: Request, db: DbSession, person: CurrentPerson, form: FormBody) -> Response:
    return _grant_act(form, request, db, person, grant_id,
                            lambda g, f: grant_service.reinstate(db, person, g, _reason(f)), N_("Grant reinstated."))


@router.post("/access/grants/{grant_id:int}/revoke")
def revoke(grant_id: int, request: Request, db: DbSession, person: CurrentPerson, form: FormBody) -> Response:
    return _grant_act(form, request, db, person, grant_id,
                            lambda g, f: grant_service.revoke(db, person, g, _reason(f)), N_("Grant revoked."))


def closure_from_form(form) -> ClosureIn:
    """The closure form's rows (empty rows skipped) as the API's shape."""
    def rows(*names):
        columns = [form.getlist(n) for n in names]
        return [dict(zip(names, (str(v).strip() for v in values), strict=True)) for values in zip(*columns, strict=False)]

    outputs = [{"kind": r["output_kind"], "title": r["output_title"], "link": r["output_link"]}
               for r in rows("output_kind", "output_title", "output_link") if r["output_title"]]
    issues = [{"dataset": r["issue_dataset"], "table": r["issue_table"], "column": r["issue_column"],
               "description": r["issue_description"]}
              for r in rows("issue_dataset", "issue_table", "issue_column", "issue_description") if r["issue_description"]]
    return ClosureIn.model_validate({"outputs": outputs, "issues": issues, "met_need": form.get("met_need", ""),
                                     "comments": str(form.get("comments", "")).strip()})


@router.post("/access/grants/{grant_id:int}/close")
def close(grant_id: int, request: Request, db: DbSession, person: CurrentPerson, form: FormBody) -> Response:
    return _grant_act(form, request, db, person, grant_id,
                            lambda g, f: grant_service.close(db, person, g, closure_from_form(f)),
                            N_("Grant closed. Thank you for the closure report."))


# ----- the commission's administrative grant ------------------------------------------------------
def _admin_context(db) -> dict:
    orgs = list(db.scalars(select(Organization).where(Organization.approved.is_(True)).order_by(Organization.slug)))
    versions = list(db.scalars(select(DatasetVersion).join(Dataset).where(
        DatasetVersion.state == VersionState.published).order_by(Dataset.slug, DatasetVersion.number)))
    return {"orgs": orgs, "versions": versions}


@router.get("/access/grants/new", response_class=HTMLResponse)
def admin_grant_page(request: Request, db: DbSession, person: CurrentPerson) -> HTMLResponse:
    authorize(person, "access.admin_grant", None)
    return render(request, "access/admin_grant.html", {**_admin_context(db), "values": {}, "error": None})


@router.post("/access/grants/new")
def admin_grant(request: Request, db: DbSession, person: CurrentPerson, form: FormBody) -> Response:
    authorize(person, "access.admin_grant", None)
    values = {k: str(v).strip() for k, v in form.items() if k != "csrf_token"}
    try:
        org = db.scalar(select(Organization).where(Organization.slug == values.get("org", "")))
        if org is None:
            from yizhi.errors import NotFound

            raise NotFound(N_("no organisation %(slug)s"), params={"slug": values.get("org", "")[:64]})
        epsilon = float(values["epsilon"]) if values.get("epsilon") else None
        days = int(values.get("days") or 365)
        made = grant_service.administrative_grant(
            db, person, org=org, ref=values.get("dataset", ""), days=days, mode=values.get("mode", "space"),
            columns=grant_service.parse_columns(values.get("columns", "").split()), epsilon=epsilon,
            reason=values.get("reason", ""))
    except ValueError:
        db.rollback()
        error = translator(request)(N_("days must be a whole number and ε a number"))
        return render(request, "access/admin_grant.html", {**_admin_context(db), "values": values, "error": error},
                      status_code=422)
    except YizhiError as exc:
        db.rollback()
        return render(request, "access/admin_grant.html", {**_admin_context(db), "values": values,
                                                            "error": exc.localized(translator(request))},
                      status_code=exc.status)
    db.commit()
    return redirect_with_flash(f"/access/grants/{made.id}", translator(request)(N_("Administrative grant made.")))
