"""Tier A pages: the data space overview, a grant's query builder with results, history and ε budget,
and a dataset's output rules and query history for its owning hospital."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from yizhi.access import grants
from yizhi.access.models import Grant, GrantState
from yizhi.accounts.permissions import active_orgs, authorize, can
from yizhi.catalog import service as catalog
from yizhi.catalog.models import Dataset
from yizhi.errors import YizhiError
from yizhi.space import history, rules_service
from yizhi.space import query_permissions  # noqa: F401  (registers the rules)
from yizhi.space.query_form import query_from_form
from yizhi.space.query_models import QueryLog
from yizhi.space.query_schemas import OPERATIONS, OPERATORS, parse_query
from yizhi.space.query_service import run_query
from yizhi.space.result_view import result_view
from yizhi.web.deps import CurrentPerson, DbSession
from yizhi.web.forms import FormBody
from yizhi.web.flash import redirect_with_flash
from yizhi.web.templating import NavItem, render, translator

router = APIRouter(include_in_schema=False)
NAV = [NavItem("/space", "Data space", order=60)]


def dashboard_cards(request, db, person) -> list[dict]:
    usable = _usable_grants(db, person)
    if not usable:
        return []
    _ = translator(request)
    return [{"key": "space-queries", "title": _("Trusted data space"),
             "text": _("Run disclosure-controlled analyses on the datasets your grants cover."),
             "link": "/space", "action": _("Open the data space"), "order": 40, "primary": False}]


def _usable_grants(db, person) -> list[Grant]:
    orgs = [o.id for o in active_orgs(person)]
    if not orgs:
        return []
    candidates = db.scalars(select(Grant).where(Grant.organization_id.in_(orgs), Grant.state == GrantState.active)
                            .order_by(Grant.id.desc()))
    return [g for g in candidates if grants.may_act_under(person, g) and grants.grant_state_now(g) == "active"]


def _held_datasets(db, person) -> list[Dataset]:
    orgs = [o.id for o in active_orgs(person)]
    if not orgs:
        return []
    return list(db.scalars(select(Dataset).where(Dataset.organization_id.in_(orgs)).order_by(Dataset.slug)))


@router.get("/space", response_class=HTMLResponse)
def space_home(request: Request, db: DbSession, person: CurrentPerson) -> Response:
    usable = [(g, history.budget_summary(db, g)) for g in _usable_grants(db, person)]
    return render(request, "space/query_home.html", {"grants": usable, "datasets": _held_datasets(db, person)})


@router.get("/space/grants/{grant_id}", response_class=HTMLResponse)
def grant_page(request: Request, grant_id: int, db: DbSession, person: CurrentPerson, query: int | None = None
               ) -> Response:
    grant = grants.get_grant(db, grant_id)
    authorize(person, "space.grant_view", grant)
    shown = db.get(QueryLog, query) if query else None
    if shown is not None and shown.grant_id != grant.id:
        shown = None
    gettext = translator(request)
    context = {
        "grant": grant, "state": grants.grant_state_now(grant), "budget": history.budget_summary(db, grant),
        "may_query": can(person, "space.grant_query", grant) and grants.grant_state_now(grant) == "active",
        "versions": [_version_info(db, grant, entry) for entry in grant.datasets],
        "operations": OPERATIONS, "operators": OPERATORS,
        "queries": [history.as_row(log, gettext) for log in history.grant_queries(db, grant)],
        "shown": result_view(history.as_row(shown, gettext), gettext) if shown else None,
        "draft": _parse_draft(request.query_params.get("draft")) or _draft_of(shown),
    }
    return render(request, "space/query_grant.html", context)


def _version_info(db, grant: Grant, entry) -> dict:
    tables = {}
    for table in sorted(entry.version.tables or {}):
        try:
            allowed = grants.allowed_columns(entry, table)
        except YizhiError:
            continue
        types = entry.version.columns_of(table)
        tables[table] = [{"name": c, "type": types[c]} for c in allowed]
    return {"ref": entry.version.ref, "tables": tables,
            "rules": rules_service.current(db, entry.version.dataset)}


@router.post("/space/grants/{grant_id}/query")
def grant_query_form(request: Request, grant_id: int, db: DbSession, person: CurrentPerson, form: FormBody) -> Response:
    grant = grants.get_grant(db, grant_id)
    authorize(person, "space.grant_query", grant)
    gettext = translator(request)
    page = f"/space/grants/{grant.id}"
    try:
        raw, dp_mode, epsilon = query_from_form(form)
        query = parse_query(raw)
        released = run_query(db, person, grant.id, query, dp_mode=dp_mode, epsilon=epsilon, client="session")
    except YizhiError as exc:
        draft = json.dumps(_draft(form), ensure_ascii=False)
        from urllib.parse import quote

        return redirect_with_flash(f"{page}?draft={quote(draft)}#builder", exc.localized(gettext), "error")
    kind = "ok" if released["status"] == "released" else "error"
    message = gettext("Released.") if kind == "ok" else gettext("Refused.")
    return redirect_with_flash(f"{page}?query={released['query_id']}#result", message, kind)


def _parse_draft(raw: str | None) -> dict:
    """The builder's fields of a refused attempt, to fill the form again (ignored when unreadable)."""
    if not raw or len(raw) > 20_000:
        return {}
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        return {}
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def _draft_of(shown: QueryLog | None) -> dict:
    """The builder filled with the shown query, to change it and run again."""
    if shown is None:
        return {}
    query = dict(shown.query or {})
    draft = {k: ", ".join(map(str, v)) if isinstance(v, list) else str(v) for k, v in query.items()
             if k not in ("where",) and v not in (None, [])}
    for i, clause in enumerate(query.get("where") or []):
        draft[f"where_column_{i}"], draft[f"where_op_{i}"] = str(clause[0]), str(clause[1])
        if len(clause) > 2:
            value = clause[2]
            draft[f"where_value_{i}"] = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
    if shown.dp:
        draft["dp"], draft["epsilon"] = "on", str(shown.epsilon or "")
    return draft


def _draft(form) -> dict:
    return {key: str(value)[:500] for key, value in form.items() if key != "csrf_token"}


@router.get("/space/datasets/{slug}", response_class=HTMLResponse)
def dataset_page(request: Request, slug: str, db: DbSession, person: CurrentPerson) -> Response:
    dataset = catalog.get_dataset(db, slug)
    authorize(person, "space.dataset_view", dataset)
    gettext = translator(request)
    return render(request, "space/query_dataset.html", {
        "dataset": dataset, "rules": rules_service.current(db, dataset),
        "may_edit": can(person, "space.dataset_rules_edit", dataset),
        "queries": [history.as_row(log, gettext) for log in history.dataset_queries(db, dataset)]})


@router.post("/space/datasets/{slug}/rules")
def dataset_rules_form(request: Request, slug: str, db: DbSession, person: CurrentPerson, form: FormBody) -> Response:
    dataset = catalog.get_dataset(db, slug)
    authorize(person, "space.dataset_rules_edit", dataset)
    gettext = translator(request)
    values = {k: str(v).strip() for k, v in form.items() if k != "csrf_token"}
    try:
        data = {k: (None if v == "" else _number(v)) for k, v in values.items()}
        data = {k: v for k, v in data.items() if not (v is None and k != "round_to")}
        rules_service.save(db, dataset, rules_service.parse_rules(data), person)
        db.commit()
    except YizhiError as exc:
        return redirect_with_flash(f"/space/datasets/{dataset.slug}", exc.localized(gettext), "error")
    return redirect_with_flash(f"/space/datasets/{dataset.slug}", gettext("The rules were saved."), "ok")


def _number(text: str):
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text
