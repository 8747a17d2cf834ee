"""Pages of access requests: the request form with data minimisation, the request page (what is
asked, review steps with deadlines, history, messages and notes, decision), and the actions on it."""

from __future__ import annotations

from pathlib import PurePosixPath

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

from yizhi import storage
from yizhi.access import request_service as requests
from yizhi.access import review_service
from yizhi.access.permissions import applying_orgs
from yizhi.access.request_models import PURPOSES, RequestState
from yizhi.access.schemas import AmendIn, DecideIn, MessageIn, PrescreenIn, RecommendIn, RequestIn
from yizhi.access.api import ETHICS_BODY_BYTES
from yizhi.access.views_common import people_by_id
from yizhi.accounts.permissions import authorize, can
from yizhi.catalog.models import Dataset, DatasetVersion, VersionState
from yizhi.errors import N_, Conflict, ValidationFailed, YizhiError
from yizhi.web.deps import CurrentPerson, DbSession
from yizhi.web.forms import FormBody
from yizhi.web.flash import redirect_with_flash
from yizhi.web.templating import render, translator

router = APIRouter(include_in_schema=False)
TEXT_FIELDS = ("title", "purpose", "kind", "mode", "lay_summary", "legal_basis", "ethics_reference", "funding",
               "outputs", "series_reason", "org")


def _fail_back(db, request: Request, url: str, exc: YizhiError) -> Response:
    db.rollback()
    return redirect_with_flash(url, exc.localized(translator(request)), "error")


def _pydantic_errors(exc: ValidationError) -> list[str]:
    return [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]


# ----- list ----------------------------------------------------------------------------------------
@router.get("/access/requests", response_class=HTMLResponse)
def requests_page(request: Request, db: DbSession, person: CurrentPerson, state: str = "") -> HTMLResponse:
    states = [s.value for s in RequestState]
    rows = requests.visible_requests(db, person, state=state if state in states else None)
    mine = {m.organization_id for m in person.memberships}
    return render(request, "access/requests.html", {
        "ours": [r for r in rows if r.organization_id in mine],
        "to_us": [r for r in rows if r.organization_id not in mine],
        "states": states, "state": state, "can_apply": bool(applying_orgs(person)),
    })


# ----- the form ------------------------------------------------------------------------------------
def _published(db, person) -> list[DatasetVersion]:
    own = {m.organization_id for m in person.memberships}
    rows = db.scalars(select(DatasetVersion).join(Dataset).where(DatasetVersion.state == VersionState.published)
                      .order_by(Dataset.slug, DatasetVersion.number))
    return [v for v in rows if v.dataset.organization_id not in own]


def _tables(versions: list[DatasetVersion]) -> dict[str, dict]:
    """Each table of the chosen versions once: its columns (with types) and the versions having it."""
    tables: dict[str, dict] = {}
    for version in versions:
        for table, info in (version.tables or {}).items():
            entry = tables.setdefault(table, {"columns": {}, "refs": [], "rows": 0})
            entry["refs"].append(version.ref)
            entry["rows"] += int(info.get("rows") or 0)
            for column, kind in (info.get("columns") or {}).items():
                entry["columns"].setdefault(column, kind)
    return tables


def _chosen(db, refs: list[str]) -> list[DatasetVersion]:
    from yizhi.catalog import service as catalog

    chosen = []
    for ref in dict.fromkeys(r.strip() for r in refs if r.strip()):
        try:
            version = catalog.resolve_version(db, ref)
        except YizhiError:
            continue
        if version.state == VersionState.published:
            chosen.append(version)
    return chosen


def _form_page(request: Request, db, person, refs: list[str], values: dict, errors: list[str], *,
               editing=None, status_code: int = 200) -> HTMLResponse:
    versions = _chosen(db, refs)
    return render(request, "access/request_form.html", {
        "editing": editing, "versions": versions, "tables": _tables(versions), "values": values, "errors": errors,
        "orgs": applying_orgs(person), "purposes": PURPOSES, "published": _published(db, person),
        "extracts_allowed": bool(versions) and all(v.dataset.allow_extracts for v in versions),
    }, status_code=status_code)


@router.get("/access/requests/new", response_class=HTMLResponse)
def new_request_page(request: Request, db: DbSession, person: CurrentPerson, datasets: str = "") -> HTMLResponse:
    orgs = applying_orgs(person)
    authorize(person, "access.request.create", orgs[0] if orgs else None)
    refs = [r for part in request.query_params.getlist("datasets") for r in part.split(",")] if datasets else []
    values = {"kind": "data", "mode": "space", "duration_days": 365, "checked": set(), "reasons": {}, "series": {}}
    return _form_page(request, db, person, refs, values, [])


def _values_from(form) -> dict:
    values = {name: str(form.get(name) or "").strip() for name in TEXT_FIELDS}
    values["duration_days"] = str(form.get("duration_days") or "365").strip()
    values["team"] = str(form.get("team") or "")
    values["checked"] = {str(v) for v in form.getlist("col")}
    values["reasons"] = {k[7:]: str(v).strip() for k, v in form.items() if k.startswith("reason:") and str(v).strip()}
    values["series"] = {k[7:]: str(v) for k, v in form.items() if k.startswith("series:") and str(v).strip()}
    values["datasets"] = [str(v) for v in form.getlist("datasets")]
    return values


def _request_in(values: dict) -> RequestIn:
    columns: dict[str, list[str]] = {}
    for item in sorted(values["checked"]):
        table, _sep, column = item.partition("/")
        columns.setdefault(table, []).append(column)
    team = [e for e in values["team"].replace(",", "\n").replace(";", "\n").split() if e]
    series = {ref: [u for u in text.replace(",", "\n").split() if u] for ref, text in values["series"].items()}
    body = {name: values[name] for name in TEXT_FIELDS if name not in ("org",) and values.get(name)}
    body.update({"datasets": values["datasets"], "columns": columns, "team": team, "series": series,
                 "reasons": {t: r for t, r in values["reasons"].items() if t in columns},
                 "duration_days": values["duration_days"] or 365, "org": values.get("org") or None})
    body.setdefault("title", "")
    body.setdefault("purpose", "")
    return RequestIn.model_validate(body)


def _save(form, request: Request, db, person, editing=None) -> Response:
    values = _values_from(form)
    try:
        data = _request_in(values)
        saved = (requests.update_request(db, person, editing, data) if editing
                 else requests.create_request(db, person, data))
        upload = form.get("ethics_file")
        if upload is not None and getattr(upload, "filename", ""):
            name = PurePosixPath(upload.filename.replace("\\", "/")).name or "ethics"
            requests.attach_ethics(db, person, saved, upload.file, name)
    except ValidationError as exc:
        db.rollback()
        return _form_page(request, db, person, values["datasets"], values, _pydantic_errors(exc), editing=editing,
                          status_code=422)
    except YizhiError as exc:
        db.rollback()
        return _form_page(request, db, person, values["datasets"], values, [exc.localized(translator(request))],
                          editing=editing, status_code=exc.status)
    db.commit()
    return redirect_with_flash(f"/access/requests/{saved.id}", translator(request)(N_("Draft saved.")))


@router.post("/access/requests/new", max_body_size=ETHICS_BODY_BYTES)
def create_request(request: Request, db: DbSession, person: CurrentPerson, form: FormBody) -> Response:
    orgs = applying_orgs(person)
    authorize(person, "access.request.create", orgs[0] if orgs else None)
    return _save(form, request, db, person)


@router.get("/access/requests/{request_id:int}/edit", response_class=HTMLResponse)
def edit_request_page(request_id: int, request: Request, db: DbSession, person: CurrentPerson) -> HTMLResponse:
    found = requests.get_request(db, person, request_id)
    authorize(person, "access.request.edit", found)
    team = people_by_id(db, found.team_ids or [])
    values = {name: getattr(found, name, "") or "" for name in TEXT_FIELDS if name != "org"}
    values.update({"kind": found.kind.value, "duration_days": found.duration_days, "org": found.organization.slug,
                   "team": "\n".join(team[i].email for i in found.team_ids or [] if i in team),
                   "checked": {f"{t}/{c}" for d in found.datasets for t, cols in d.columns.items() for c in cols},
                   "reasons": {t: r for d in found.datasets for t, r in (d.reasons or {}).items()},
                   "series": {d.version.ref: "\n".join(d.series) for d in found.datasets if d.series},
                   "series_reason": next((d.series_reason for d in found.datasets if d.series_reason), "")})
    return _form_page(request, db, person, [d.version.ref for d in found.datasets], values, [], editing=found)


@router.post("/access/requests/{request_id:int}/edit", max_body_size=ETHICS_BODY_BYTES)
def edit_request(request_id: int, request: Request, db: DbSession, person: CurrentPerson, form: FormBody) -> Response:
    found = requests.get_request(db, person, request_id)
    authorize(person, "access.request.edit", found)
    return _save(form, request, db, person, editing=found)


# ----- the request page ----------------------------------------------------------------------------
@router.get("/access/requests/{request_id:int}", response_class=HTMLResponse)
def request_page(request_id: int, request: Request, db: DbSession, person: CurrentPerson) -> HTMLResponse:
    found = requests.get_request(db, person, request_id)
    step = requests.active_step(found)
    people = people_by_id(db, [*(found.team_ids or []), *[r for s in found.steps for r in s.reviewer_ids or []]])
    return render(request, "access/request.html", {
        "r": found, "versions": requests.family(db, found), "messages": requests.messages_for(db, person, found),
        "people": people, "side": requests.side_of(person, found), "missing": requests.missing_fields(found),
        "overdue": {s.id for s in found.steps if review_service.is_overdue(s)},
        "active_step": step, "can": {
            "edit": can(person, "access.request.edit", found), "submit": can(person, "access.request.submit", found),
            "withdraw": can(person, "access.request.withdraw", found),
            "prescreen": can(person, "access.request.prescreen", found),
            "recommend": step is not None and can(person, "access.request.recommend", step),
            "decide": can(person, "access.request.decide", found),
            "amend": can(person, "access.request.amend", found),
            "grant": found.grant is not None and can(person, "access.grant.view", found.grant),
        },
    })


@router.get("/access/requests/{request_id:int}/ethics")
def ethics_file(request_id: int, db: DbSession, person: CurrentPerson) -> Response:
    found = requests.get_request(db, person, request_id)
    if not found.ethics_file:
        from yizhi.errors import NotFound

        raise NotFound(N_("request %(id)s has no ethics approval file"), params={"id": request_id})
    with storage.open_file(found.ethics_file) as handle:
        content = handle.read()
    kind = {b"%PDF": "application/pdf", b"\x89PNG": "image/png"}.get(content[:4], "image/jpeg")
    return Response(content, media_type=kind, headers={
        "Content-Disposition": f'attachment; filename="ethics-{found.id}{PurePosixPath(found.ethics_filename).suffix}"'})


def _done(request: Request, request_id: int, message: str) -> Response:
    return redirect_with_flash(f"/access/requests/{request_id}", translator(request)(message))


def _act(form, request: Request, db, person, request_id: int, action, message: str) -> Response:
    found = requests.get_request(db, person, request_id)
    fields = {k: v for k, v in form.items() if k != "csrf_token"}
    try:
        target = action(found, fields)
    except ValidationError as exc:
        db.rollback()
        return redirect_with_flash(f"/access/requests/{request_id}", "; ".join(_pydantic_errors(exc)), "error")
    except (ValidationFailed, Conflict) as exc:
        # what the reader can fix comes back as a message; refusals (403/404) are error pages
        return _fail_back(db, request, f"/access/requests/{request_id}", exc)
    db.commit()
    return _done(request, getattr(target, "id", request_id) if target is not None else request_id, message)


@router.post("/access/requests/{request_id:int}/submit")
def submit(request_id: int, request: Request, db: DbSession, person: CurrentPerson, form: FormBody) -> Response:
    return _act(form, request, db, person, request_id, lambda r, f: requests.submit(db, person, r),
                      N_("Request submitted."))


@router.post("/access/requests/{request_id:int}/withdraw")
def withdraw(request_id: int, request: Request, db: DbSession, person: CurrentPerson, form: FormBody) -> Response:
    return _act(form, request, db, person, request_id,
                      lambda r, f: requests.withdraw(db, person, r, str(f.get("comment", ""))[:2000]),
                      N_("Request withdrawn."))


@router.post("/access/requests/{request_id:int}/start-prescreen")
def start_prescreen(request_id: int, request: Request, db: DbSession, person: CurrentPerson, form: FormBody) -> Response:
    return _act(form, request, db, person, request_id, lambda r, f: review_service.start_prescreen(db, person, r),
                      N_("Prescreening started."))


@router.post("/access/requests/{request_id:int}/prescreen")
def prescreen(request_id: int, request: Request, db: DbSession, person: CurrentPerson, form: FormBody) -> Response:
    return _act(form, request, db, person, request_id,
                      lambda r, f: review_service.prescreen(db, person, r, PrescreenIn.model_validate(f)),
                      N_("Prescreen recorded."))


@router.post("/access/requests/{request_id:int}/steps/{step:int}/recommend")
def recommend(request_id: int, step: int, request: Request, db: DbSession, person: CurrentPerson, form: FormBody) -> Response:
    def act(found, fields):
        data = RecommendIn(approve=fields.get("approve") == "yes", comment=str(fields.get("comment", "")).strip())
        review_service.recommend(db, person, found, step, data)

    return _act(form, request, db, person, request_id, act, N_("Recommendation recorded."))


@router.post("/access/requests/{request_id:int}/decide")
def decide(request_id: int, request: Request, db: DbSession, person: CurrentPerson, form: FormBody) -> Response:
    return _act(form, request, db, person, request_id,
                      lambda r, f: review_service.decide(db, person, r, DecideIn.model_validate(f)) and None,
                      N_("Decision recorded."))


@router.post("/access/requests/{request_id:int}/amend")
def amend(request_id: int, request: Request, db: DbSession, person: CurrentPerson, form: FormBody) -> Response:
    def act(found, fields):
        days = str(fields.get("duration_days") or "").strip()
        data = AmendIn(change=fields.get("change", ""), reason=str(fields.get("reason", "")).strip(),
                       duration_days=int(days) if days.isdigit() else None)
        return requests.amend(db, person, found, data)

    return _act(form, request, db, person, request_id, act, N_("New version created as a draft."))


@router.post("/access/requests/{request_id:int}/messages")
def message(request_id: int, request: Request, db: DbSession, person: CurrentPerson, form: FormBody) -> Response:
    def act(found, fields):
        data = MessageIn(body=str(fields.get("body", "")).strip(), private=fields.get("private") == "yes")
        requests.post_message(db, person, found, data.body, private=data.private)

    return _act(form, request, db, person, request_id, act, N_("Message saved."))
