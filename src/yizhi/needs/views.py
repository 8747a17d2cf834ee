"""HTML pages of the needs domain: browse and search, the need form, review queue, needs lists,
solutions, matches with "why", engagement threads, pilots and notifications."""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from pydantic import ValidationError

from yizhi.accounts.models import OrgKind
from yizhi.accounts.permissions import authorize, can, is_platform_admin
from yizhi.errors import YizhiError
from yizhi.needs import permissions as rules
from yizhi.needs import list_cache, service
from yizhi.needs.matching.engine import CATEGORIES, MATURITY_LEVELS
from yizhi.needs.matching.relevance import default_model
from yizhi.needs.messages import notification_text
from yizhi.needs.models import NeedStatus, SolutionStatus
from yizhi.needs.schemas import InterestIn, NeedIn, PilotCloseIn, PilotIn, SolutionIn
from yizhi.web.deps import CurrentPerson, DbSession, public, read_with_session, reads_only
from yizhi.web.flash import redirect_with_flash
from yizhi.web import validation
from yizhi.web.forms import FormBody, fields
from yizhi.web.templating import NavItem, fragment, locale_of, render, translator

router = APIRouter(include_in_schema=False)
LIST_VERSION = "needs_list_version"  # read with the login session on /needs
NAV = [
    NavItem("/needs", "Needs library", order=20),
    NavItem("/solutions", "Solutions", order=21),
    NavItem("/needs/lists", "Needs lists", order=22, visible=lambda person: True),
    NavItem("/needs/review", "Review queue", order=23,
            visible=lambda person: person is not None and is_platform_admin(person)),
]

NEED_STATES = [s.value for s in NeedStatus]


def _form_errors(request: Request, exc: ValidationError) -> list[str]:
    """Every problem of the form, in the reader's language, with the fields' labels."""
    return validation.messages_for(exc, translator(request))




def _need_in(data: dict) -> NeedIn:
    fields = {k: data.get(k, "") for k in NeedIn.model_fields}
    fields["category"] = data.get("category") or None
    fields["importance"] = data.get("importance") or "medium"
    fields["urgency"] = data.get("urgency") or "medium"
    return NeedIn.model_validate(fields)


def _solution_in(data: dict) -> SolutionIn:
    fields = {k: data.get(k, "") for k in SolutionIn.model_fields}
    fields["category"] = data.get("category") or None
    fields["maturity"] = data.get("maturity") or "prototype"
    return SolutionIn.model_validate(fields)


def _fail_back(db, url: str, exc: YizhiError) -> Response:
    db.rollback()
    return redirect_with_flash(url, exc.message, "error")


# ----- needs: browse, form -----------------------------------------------------------------------------------
@router.get("/needs", response_class=HTMLResponse)
@reads_only(with_session={LIST_VERSION: list_cache.version_column})
def needs_page(request: Request, db: DbSession, person: CurrentPerson, q: str = "", category: str = "",
               status: str = "", modality: str = "", mine: bool = False, page: int = 1) -> HTMLResponse:
    page = max(page, 1)
    can_create = bool(rules.writer_orgs(person, (OrgKind.hospital,)))
    filters = {"q": q, "category": category, "status": status, "modality": modality, "mine": mine}

    def listing() -> str:
        query = service.NeedQuery(q=q, category=category or None, status=status or None, modality=modality or None,
                                  mine=mine, limit=25, offset=(page - 1) * 25)
        needs, total = service.search_needs(db, person, query)
        return fragment(request, "needs/_listing.html", {
            "needs": needs, "total": total, "page": page, "pages": max(1, (total + 24) // 25), "filters": filters,
            "categories": CATEGORIES, "states": NEED_STATES, "can_create": can_create,
        })

    # Everything the rendering depends on is in the key (list_cache's docstring says why it is enough).
    key = (locale_of(request), list_cache.viewer_scope(person), can_create, q, category, status, modality, mine, page)
    version = read_with_session(request, LIST_VERSION, list_cache.UNREAD)
    html = list_cache.listing(db, key, listing, free_text=q + modality, version=version)
    return render(request, "needs/list.html", {"listing": Markup(html)})


@router.get("/needs/new", response_class=HTMLResponse)
def new_need_page(request: Request, person: CurrentPerson) -> HTMLResponse:
    hospitals = rules.writer_orgs(person, (OrgKind.hospital,))
    authorize(person, "needs.create", hospitals[0] if hospitals else None)
    return render(request, "needs/form.html", {"need": None, "values": {}, "errors": [], "orgs": hospitals,
                                               "categories": CATEGORIES})


@router.post("/needs/new", response_class=HTMLResponse)
def create_need(request: Request, db: DbSession, person: CurrentPerson, form: FormBody) -> Response:
    data = fields(form)
    hospitals = rules.writer_orgs(person, (OrgKind.hospital,))
    org = next((o for o in hospitals if o.slug == data.get("org")), hospitals[0] if hospitals else None)
    authorize(person, "needs.create", org)
    try:
        need = service.create_need(db, person, org, _need_in(data))
    except ValidationError as exc:
        return render(request, "needs/form.html", {"need": None, "values": data, "errors": _form_errors(request, exc),
                                                   "orgs": hospitals, "categories": CATEGORIES}, status_code=422)
    db.commit()
    return redirect_with_flash(f"/needs/{need.id}", translator(request)("Draft saved."))


@router.get("/needs/suggest-category", response_class=HTMLResponse)
def suggest_category_fragment(request: Request, person: CurrentPerson, title: str = "", description: str = "") -> HTMLResponse:
    """htmx fragment under the form's category field: what the platform would choose."""
    from yizhi.needs.matching.categories import default_suggester

    _ = translator(request)
    text = f"{title}。{description}".strip("。 ")
    if len(text) < 4:
        return HTMLResponse("")
    suggestions = default_suggester().suggest(text[:2000], top=3)
    likely = [s for i, s in enumerate(suggestions) if i == 0 or s.confidence >= 0.05]
    shown = "、".join(f"{_(s.category)} {s.confidence:.0%}" for s in likely)
    label = _("Suggested:")
    return HTMLResponse(f'<span class="small muted" data-suggested="{suggestions[0].category}">'
                        f'{escape(label)} {escape(shown)}</span>')


MAX_UPLOAD_BYTES = 20 * 1024 * 1024


def _import_orgs(person, side: str):
    kinds = (OrgKind.hospital,) if side == "need" else (OrgKind.company, OrgKind.university)
    return rules.writer_orgs(person, kinds)


def _import_page(request: Request, person, side: str, errors: list[str] | None = None, status_code: int = 200):
    orgs = _import_orgs(person, side)
    authorize(person, "needs.create" if side == "need" else "solutions.create", orgs[0] if orgs else None)
    return render(request, "needs/import.html", {"side": side, "orgs": orgs, "errors": errors or []},
                  status_code=status_code)


def _import_upload(request: Request, db, person, side: str, form) -> Response:
    from yizhi import storage
    from yizhi.jobs import service as jobs

    orgs = _import_orgs(person, side)
    org = next((o for o in orgs if o.slug == form.get("org")), orgs[0] if orgs else None)
    authorize(person, "needs.create" if side == "need" else "solutions.create", org)
    upload = form.get("file")
    _ = translator(request)
    suffix = "." + (getattr(upload, "filename", "") or "").rsplit(".", 1)[-1].lower() if upload else ""
    if upload is None or not getattr(upload, "filename", ""):
        return _import_page(request, person, side, [_("Choose a file to upload.")], 422)
    if suffix not in (".jsonl", ".csv"):
        return _import_page(request, person, side, [_("Upload a .jsonl or .csv file.")], 422)
    digest, _size = storage.put_stream(upload.file, max_bytes=MAX_UPLOAD_BYTES)
    job = jobs.enqueue(db, "needs.import", {"side": side, "file": digest, "suffix": suffix, "org": org.slug,
                                            "filename": upload.filename},
                       created_by_id=person.id, organization_id=org.id, max_attempts=1)
    db.commit()
    return redirect_with_flash(f"/jobs/{job.id}", _("File received; the import runs in the background."))


SAMPLE_ROWS = {
    "need": [{"id": "N-001", "title": "胸部CT肺结节辅助检出", "description": "门诊胸部CT中自动检出并测量肺结节，减少漏诊。",
              "category": "imaging", "importance": "high", "urgency": "medium", "department": "放射科",
              "modalities": "ct", "data_available": "近三年胸部CT约2万例", "expected_outcome": "敏感度不低于90%",
              "success_measures": "漏诊率下降", "budget_min": "50", "budget_max": "120", "deadline": "2027-06-30",
              "contact_name": "陈医生", "contact_info": "chen@hospital.example"},
             {"id": "N-002", "title": "门诊病历质控", "description": "自动检查门诊病历书写的完整性与规范性。",
              "category": "", "importance": "medium", "urgency": "low", "department": "医务处", "modalities": "text",
              "data_available": "", "expected_outcome": "", "success_measures": "", "budget_min": "", "budget_max": "",
              "deadline": "", "contact_name": "", "contact_info": ""}],
    "solution": [{"id": "S-001", "title": "肺结节CT智能检测", "description": "基于深度学习的肺结节检出与随访对比。",
                  "category": "imaging", "modalities": "ct", "maturity": "nmpa_registered", "nmpa_class": "III",
                  "deployments": "12", "contact_name": "郑工程师", "contact_info": "sales@company.example"}],
}


@router.get("/needs/import/sample.csv")
def needs_import_sample(person: CurrentPerson) -> Response:
    return _sample_csv("need")


@router.get("/solutions/import/sample.csv")
def solutions_import_sample(person: CurrentPerson) -> Response:
    return _sample_csv("solution")


def _sample_csv(side: str) -> Response:
    """A file the import accepts as it is, written by the platform's own (formula-safe) CSV writer."""
    import csv
    import io

    from yizhi.exports import safe_row

    rows = SAMPLE_ROWS[side]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(list(rows[0]))
    for row in rows:
        writer.writerow(safe_row(row.values()))
    name = "needs-sample.csv" if side == "need" else "solutions-sample.csv"
    return Response(("\ufeff" + buffer.getvalue()).encode("utf-8"), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/needs/import", response_class=HTMLResponse)
def import_needs_page(request: Request, person: CurrentPerson) -> HTMLResponse:
    return _import_page(request, person, "need")


@router.post("/needs/import", max_body_size=MAX_UPLOAD_BYTES + 64 * 1024)
def import_needs_upload(request: Request, db: DbSession, person: CurrentPerson, form: FormBody) -> Response:
    return _import_upload(request, db, person, "need", form)


@router.get("/solutions/import", response_class=HTMLResponse)
def import_solutions_page(request: Request, person: CurrentPerson) -> HTMLResponse:
    return _import_page(request, person, "solution")


@router.post("/solutions/import", max_body_size=MAX_UPLOAD_BYTES + 64 * 1024)
def import_solutions_upload(request: Request, db: DbSession, person: CurrentPerson, form: FormBody) -> Response:
    return _import_upload(request, db, person, "solution", form)


@router.get("/needs/review", response_class=HTMLResponse)
def review_page(request: Request, db: DbSession, person: CurrentPerson) -> HTMLResponse:
    authorize(person, "needs.review_queue", None)
    rows, _ = service.search_needs(db, person, service.NeedQuery(limit=500))
    queue = [n for n in rows if n.status in (NeedStatus.submitted, NeedStatus.under_review)]
    return render(request, "needs/review.html", {"queue": queue})


# ----- needs lists (public) -----------------------------------------------------------------------------------
@router.get("/needs/lists", response_class=HTMLResponse)
@public
def lists_page(request: Request, db: DbSession) -> HTMLResponse:
    person = getattr(request.state, "person", None)
    return render(request, "needs/lists.html", {"releases": service.list_releases(db),
                                                "can_release": can(person, "needs.release", None)})


@router.post("/needs/lists")
def release_list(request: Request, db: DbSession, person: CurrentPerson, form: FormBody) -> Response:
    authorize(person, "needs.release", None)
    data = fields(form)
    try:
        release = service.release_needs_list(db, person, title=(data.get("title") or "").strip() or None,
                                             notes=data.get("notes", ""))
    except YizhiError as exc:
        return _fail_back(db, "/needs/lists", exc)
    db.commit()
    return redirect_with_flash(f"/needs/lists/{release.id}", translator(request)("Needs list released."))


@router.get("/needs/lists/{release_id:int}", response_class=HTMLResponse)
@public
def list_page(release_id: int, request: Request, db: DbSession) -> HTMLResponse:
    release = service.get_release(db, release_id)
    versions = [r for r in service.list_releases(db) if (r.year, r.number) == (release.year, release.number)]
    return render(request, "needs/list_detail.html", {"release": release, "versions": versions})


# ----- notifications ---------------------------------------------------------------------------------------------
@router.get("/needs/notifications", response_class=HTMLResponse)
def notifications_page(request: Request, db: DbSession, person: CurrentPerson) -> HTMLResponse:
    _ = translator(request)
    rows = [(n, notification_text(_, n.kind, n.params, locale_of(request))) for n in service.notifications_for(db, person, limit=100)]
    return render(request, "needs/notifications.html", {"rows": rows})


@router.post("/needs/notifications/read")
def notifications_read(request: Request, db: DbSession, person: CurrentPerson) -> Response:
    service.mark_read(db, person)
    db.commit()
    return redirect_with_flash("/needs/notifications", translator(request)("All marked as read."))


# ----- engagements and pilots ---------------------------------------------------------------------------------------
@router.get("/needs/engagements/{engagement_id:int}", response_class=HTMLResponse)
def engagement_page(engagement_id: int, request: Request, db: DbSession, person: CurrentPerson) -> HTMLResponse:
    engagement = service.get_engagement(db, person, engagement_id)
    pilot = service.pilot_of(db, engagement)
    return render(request, "needs/engagement.html", {
        "e": engagement, "pilot": pilot,
        "can_decide": can(person, "engagements.decide", engagement),
        "can_withdraw": can(person, "engagements.withdraw", engagement),
        "can_message": can(person, "engagements.message", engagement),
        "can_pilot": pilot is None and can(person, "pilots.start", engagement),
        "can_close_pilot": pilot is not None and can(person, "pilots.close", pilot),
    })


@router.post("/needs/engagements/{engagement_id:int}/decision")
def engagement_decision(engagement_id: int, request: Request, db: DbSession, person: CurrentPerson, form: FormBody) -> Response:
    data = fields(form)
    url = f"/needs/engagements/{engagement_id}"
    engagement = service.get_engagement(db, person, engagement_id)
    authorize(person, "engagements.decide", engagement)
    try:
        service.decide_engagement(db, person, engagement, data.get("accept") == "yes", data.get("note", ""))
    except YizhiError as exc:
        return _fail_back(db, url, exc)
    db.commit()
    return redirect_with_flash(url, translator(request)("Saved."))


@router.post("/needs/engagements/{engagement_id:int}/withdraw")
def engagement_withdraw(engagement_id: int, request: Request, db: DbSession, person: CurrentPerson) -> Response:
    engagement = service.get_engagement(db, person, engagement_id)
    service.withdraw_engagement(db, person, engagement)
    db.commit()
    return redirect_with_flash(f"/needs/engagements/{engagement_id}", translator(request)("Interest withdrawn."))


@router.post("/needs/engagements/{engagement_id:int}/messages")
def engagement_message(engagement_id: int, request: Request, db: DbSession, person: CurrentPerson, form: FormBody) -> Response:
    data = fields(form)
    url = f"/needs/engagements/{engagement_id}"
    engagement = service.get_engagement(db, person, engagement_id)
    body = (data.get("body") or "").strip()
    if not body:
        return redirect_with_flash(url, translator(request)("Write a message first."), "error")
    service.post_message(db, person, engagement, body)
    db.commit()
    return redirect_with_flash(url, translator(request)("Message sent."))


@router.post("/needs/engagements/{engagement_id:int}/pilot")
def engagement_pilot(engagement_id: int, request: Request, db: DbSession, person: CurrentPerson, form: FormBody) -> Response:
    data = fields(form)
    url = f"/needs/engagements/{engagement_id}"
    engagement = service.get_engagement(db, person, engagement_id)
    authorize(person, "pilots.start", engagement)
    try:
        pilot_in = PilotIn.model_validate({k: (data.get(k) or None) if k == "end_date" else data.get(k, "")
                                           for k in PilotIn.model_fields})
        service.start_pilot(db, person, engagement, pilot_in)
    except ValidationError as exc:
        return redirect_with_flash(url, "; ".join(_form_errors(request, exc)), "error")
    except YizhiError as exc:
        return _fail_back(db, url, exc)
    db.commit()
    return redirect_with_flash(url, translator(request)("Pilot started."))


@router.post("/needs/pilots/{pilot_id:int}/close")
def pilot_close(pilot_id: int, request: Request, db: DbSession, person: CurrentPerson, form: FormBody) -> Response:
    data = fields(form)
    pilot = service.get_pilot(db, person, pilot_id)
    url = f"/needs/engagements/{pilot.engagement_id}"
    authorize(person, "pilots.close", pilot)
    try:
        close_in = PilotCloseIn.model_validate({"closing_report": data.get("closing_report", ""),
                                                "feedback": data.get("feedback", "")})
        service.close_pilot(db, person, pilot, close_in)
    except ValidationError as exc:
        return redirect_with_flash(url, "; ".join(_form_errors(request, exc)), "error")
    except YizhiError as exc:
        return _fail_back(db, url, exc)
    db.commit()
    return redirect_with_flash(url, translator(request)("Pilot closed."))


# ----- one need ---------------------------------------------------------------------------------------------------
@router.get("/needs/{need_id:int}", response_class=HTMLResponse)
def need_page(need_id: int, request: Request, db: DbSession, person: CurrentPerson, category: str = "",
              modality: str = "", min_maturity: str = "") -> HTMLResponse:
    need = service.get_need(db, person, need_id)
    filters = service.match_filters(category or None, [modality] if modality else [], min_maturity or None)
    lang = "zh" if request.state.locale == "zh" else "en"
    matches = service.matches_for_need(db, person, need, filters=filters, top=10, lang=lang)
    company_orgs = rules.writer_orgs(person, (OrgKind.company, OrgKind.university))
    own_solutions = service.solutions_of(db, [o.id for o in company_orgs]) if company_orgs else []
    return render(request, "needs/detail.html", {
        "own_solutions": own_solutions,
        # the company's best-matching solution is offered first
        "preselect": next((m.row.id for m in matches if m.row.org_id in {o.id for o in company_orgs}), None),
        "need": need, "matches": matches, "relevance_threshold": default_model().threshold, "engagements": service.engagements_for(db, person, need),
        "match_filters": {"category": category, "modality": modality, "min_maturity": min_maturity},
        "categories": CATEGORIES, "maturities": MATURITY_LEVELS,
        "can_edit": can(person, "needs.edit", need), "can_submit": can(person, "needs.submit", need),
        "can_delete": can(person, "needs.delete", need),
        "can_review": can(person, "needs.review", need), "can_close": can(person, "needs.close", need),
        "can_interest": can(person, "needs.interest", need), "company_orgs": company_orgs,
    })


@router.get("/needs/{need_id:int}/edit", response_class=HTMLResponse)
def edit_need_page(need_id: int, request: Request, db: DbSession, person: CurrentPerson) -> HTMLResponse:
    need = service.get_need(db, person, need_id)
    authorize(person, "needs.edit", need)
    values = {k: getattr(need, k) for k in NeedIn.model_fields}
    values["modalities"] = ", ".join(need.modalities or [])
    values["importance"], values["urgency"] = need.importance.value, need.urgency.value
    return render(request, "needs/form.html", {"need": need, "values": values, "errors": [], "orgs": [],
                                               "categories": CATEGORIES})


@router.post("/needs/{need_id:int}/edit", response_class=HTMLResponse)
def edit_need(need_id: int, request: Request, db: DbSession, person: CurrentPerson, form: FormBody) -> Response:
    need = service.get_need(db, person, need_id)
    data = fields(form)
    try:
        service.update_need(db, person, need, _need_in(data))
    except ValidationError as exc:
        return render(request, "needs/form.html", {"need": need, "values": data, "errors": _form_errors(request, exc),
                                                   "orgs": [], "categories": CATEGORIES}, status_code=422)
    db.commit()
    return redirect_with_flash(f"/needs/{need.id}", translator(request)("Saved."))


@router.post("/needs/{need_id:int}/{action}")
def need_action(need_id: int, action: str, request: Request, db: DbSession, person: CurrentPerson, form: FormBody) -> Response:
    need = service.get_need(db, person, need_id)
    data = fields(form)
    _ = translator(request)
    url = f"/needs/{need_id}"
    required = {"submit": "needs.submit", "start-review": "needs.review", "review": "needs.review",
                "close": "needs.close", "interest": "needs.interest", "delete": "needs.delete"}
    if action in required:
        authorize(person, required[action], need)
    try:
        if action == "delete":
            service.delete_draft(db, person, need)
            db.commit()
            return redirect_with_flash("/needs?mine=true", _("Draft deleted."))
        if action == "submit":
            service.submit_need(db, person, need)
            message = _("Submitted to the commission for review.")
        elif action == "start-review":
            service.start_review(db, person, need)
            message = _("Review started.")
        elif action == "review":
            service.review_need(db, person, need, data.get("decision", ""), data.get("comment", ""))
            message = _("Decision recorded.")
        elif action == "close":
            service.close_need(db, person, need)
            message = _("Need closed.")
        elif action == "interest":
            if not (data.get("message") or "").strip():
                return redirect_with_flash(url, _("Write a message first."), "error")
            interest = InterestIn(message=data["message"].strip(),
                                  proposed_approach=data.get("proposed_approach", ""),
                                  org=data.get("org") or None,
                                  solution_id=int(data["solution_id"]) if str(data.get("solution_id", "")).isdigit() else None)
            engagement = service.express_interest(db, person, need, interest)
            db.commit()
            return redirect_with_flash(f"/needs/engagements/{engagement.id}", _("Interest sent to the hospital."))
        else:
            return redirect_with_flash(url, _("Unknown action."), "error")
    except ValidationError as exc:
        db.rollback()
        return redirect_with_flash(url, "; ".join(_form_errors(request, exc)), "error")
    except YizhiError as exc:
        return _fail_back(db, url, exc)
    db.commit()
    return redirect_with_flash(url, message)


# ----- solutions ---------------------------------------------------------------------------------------------------
@router.get("/solutions", response_class=HTMLResponse)
def solutions_page(request: Request, db: DbSession, person: CurrentPerson, q: str = "", category: str = "",
                   maturity: str = "") -> HTMLResponse:
    rows, total = service.search_solutions(db, person, q, category or None, maturity or None, limit=100)
    return render(request, "needs/solutions.html", {
        "solutions": rows, "total": total, "filters": {"q": q, "category": category, "maturity": maturity},
        "categories": CATEGORIES, "maturities": MATURITY_LEVELS,
        "can_create": bool(rules.writer_orgs(person, (OrgKind.company, OrgKind.university))),
    })


@router.get("/solutions/new", response_class=HTMLResponse)
def new_solution_page(request: Request, person: CurrentPerson) -> HTMLResponse:
    orgs = rules.writer_orgs(person, (OrgKind.company, OrgKind.university))
    authorize(person, "solutions.create", orgs[0] if orgs else None)
    return render(request, "needs/solution_form.html", {"values": {}, "errors": [], "orgs": orgs,
                                                        "categories": CATEGORIES, "maturities": MATURITY_LEVELS})


@router.post("/solutions/new", response_class=HTMLResponse)
def create_solution(request: Request, db: DbSession, person: CurrentPerson, form: FormBody) -> Response:
    data = fields(form)
    orgs = rules.writer_orgs(person, (OrgKind.company, OrgKind.university))
    org = next((o for o in orgs if o.slug == data.get("org")), orgs[0] if orgs else None)
    authorize(person, "solutions.create", org)
    try:
        solution = service.create_solution(db, person, org, _solution_in(data))
    except ValidationError as exc:
        return render(request, "needs/solution_form.html", {
            "values": data, "errors": _form_errors(request, exc), "orgs": orgs, "categories": CATEGORIES,
            "maturities": MATURITY_LEVELS}, status_code=422)
    db.commit()
    return redirect_with_flash(f"/solutions/{solution.id}", translator(request)("Solution published."))


@router.get("/solutions/{solution_id:int}/edit", response_class=HTMLResponse)
def edit_solution_page(solution_id: int, request: Request, db: DbSession, person: CurrentPerson) -> HTMLResponse:
    solution = service.get_solution(db, person, solution_id)
    authorize(person, "solutions.edit", solution)
    values = {k: getattr(solution, k) for k in SolutionIn.model_fields}
    values["modalities"] = ", ".join(solution.modalities or [])
    return render(request, "needs/solution_form.html", {"solution": solution, "values": values, "errors": [],
                                                        "orgs": [], "categories": CATEGORIES,
                                                        "maturities": MATURITY_LEVELS})


@router.post("/solutions/{solution_id:int}/edit", response_class=HTMLResponse)
def edit_solution(solution_id: int, request: Request, db: DbSession, person: CurrentPerson, form: FormBody) -> Response:
    solution = service.get_solution(db, person, solution_id)
    authorize(person, "solutions.edit", solution)
    data = fields(form)
    try:
        service.update_solution(db, person, solution, _solution_in(data))
    except ValidationError as exc:
        return render(request, "needs/solution_form.html", {
            "solution": solution, "values": data, "errors": _form_errors(request, exc), "orgs": [],
            "categories": CATEGORIES, "maturities": MATURITY_LEVELS}, status_code=422)
    db.commit()
    return redirect_with_flash(f"/solutions/{solution.id}", translator(request)("Saved."))


@router.post("/solutions/{solution_id:int}/status")
def solution_status(solution_id: int, request: Request, db: DbSession, person: CurrentPerson, form: FormBody) -> Response:
    solution = service.get_solution(db, person, solution_id)
    authorize(person, "solutions.edit", solution)
    data = fields(form)
    wanted = SolutionStatus.withdrawn if data.get("status") == "withdrawn" else SolutionStatus.published
    service.set_solution_status(db, person, solution, wanted)
    db.commit()
    return redirect_with_flash(f"/solutions/{solution.id}", translator(request)("Saved."))


@router.get("/solutions/{solution_id:int}", response_class=HTMLResponse)
def solution_page(solution_id: int, request: Request, db: DbSession, person: CurrentPerson) -> HTMLResponse:
    solution = service.get_solution(db, person, solution_id)
    lang = "zh" if request.state.locale == "zh" else "en"
    matches = service.matches_for_solution(db, person, solution, top=10, lang=lang)
    return render(request, "needs/solution.html", {"solution": solution, "matches": matches,
                                                   "relevance_threshold": default_model().threshold,
                                                   "can_edit": can(person, "solutions.edit", solution)})


def dashboard_cards(request: Request, db, person) -> list[dict]:
    """For the commission, the review queue (unread notices are the platform's card and badge)."""
    _ = translator(request)
    cards = []
    if is_platform_admin(person):
        rows, _total = service.search_needs(db, person, service.NeedQuery(limit=500))
        waiting = sum(n.status in (NeedStatus.submitted, NeedStatus.under_review) for n in rows)
        cards.append({"key": "needs-review", "title": _("Review queue"),
                      "text": _("%(n)d needs waiting for review") % {"n": waiting},
                      "link": "/needs/review", "action": _("Review"), "order": 21, "primary": waiting > 0})
    return cards
