"""Pages of the product supermarket: public shelves, product and version pages (details by role),
comparison, criteria; the company's products and versions; the commission's certification queue;
pilots, ratings and post-market reports; notifications. Vouchers' pages: :mod:`voucher_views`."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from starlette.datastructures import FormData

from yizhi.accounts.models import OrgKind
from yizhi.accounts.permissions import authorize, can, is_platform_admin
from yizhi.errors import N_, NotFound, ValidationFailed, YizhiError
from yizhi.evaluation.models import Submission, SubmissionState
from yizhi.market import certification, pilots, postmarket, present, products, reports
from yizhi.market import permissions as rules
from yizhi.market.api import visible_product, visible_version
from yizhi.market.messages import notification_text
from yizhi.market.models import DEPLOYMENTS, PRICE_MODELS
from yizhi.market.notify import mark_read, notifications_for, unread_count
from yizhi.market.schemas import (
    IncidentIn,
    PilotCloseIn,
    PilotRequestIn,
    ProductFields,
    ProductIn,
    RatingIn,
)
from yizhi.market.voucher_views import router as voucher_router
from yizhi.needs.matching.engine import CATEGORIES
from yizhi.needs.models import Need, NeedStatus
from yizhi.web.deps import CurrentPerson, DbSession, OptionalPerson, public
from yizhi.web.flash import redirect_with_flash
from yizhi.web.forms import FormBody
from yizhi.web.templating import NavItem, locale_of, render, translator

router = APIRouter(include_in_schema=False)
NAV = [NavItem("/market", "Product supermarket", order=70, visible=lambda person: True),
       NavItem("/vouchers", "Vouchers", order=72)]


# ----- helpers --------------------------------------------------------------------------------------------------
def form_of(form: FormData) -> dict:
    return {k: v for k, v in form.multi_items() if k != "csrf_token" and isinstance(v, str)}


def parse(model: type[BaseModel], data: dict) -> BaseModel:
    """A form's values through the API's schema; the first problem as a clear error naming the field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ValidationFailed(N_("%(field)s: %(problem)s"), params={
            "field": ".".join(str(p) for p in first["loc"]) or "form", "problem": first["msg"]}) from None


def failed(request: Request, db, back: str, exc: YizhiError) -> Response:
    db.rollback()
    return redirect_with_flash(back, exc.localized(translator(request)), "error")


def _version_url(version) -> str:
    return f"/market/products/{version.product.slug}/versions/{version.label}"


# ----- public browsing -------------------------------------------------------------------------------------------
@router.get("/market", response_class=HTMLResponse)
@public
def shelves(request: Request, db: DbSession, person: OptionalPerson, q: str = "", category: str = "",
            deployment: str = "", price_model: str = "") -> HTMLResponse:
    rows = products.listing(db, q=q[:100], category=category[:40], deployment=deployment[:40],
                            price_model=price_model[:20])
    return render(request, "market/index.html", {
        "rows": rows, "withdrawn": products.withdrawn_certificates(db), "categories": CATEGORIES,
        "deployments": DEPLOYMENTS, "price_models": PRICE_MODELS,
        "filters": {"q": q, "category": category, "deployment": deployment, "price_model": price_model},
        "is_company": bool(rules.writer_orgs(person, rules.COMPANY_KINDS)),
        "is_commission": rules.commission_staff(person)})


# ----- the company's products -------------------------------------------------------------------------------------
@router.get("/market/mine", response_class=HTMLResponse)
def mine(request: Request, db: DbSession, person: CurrentPerson) -> HTMLResponse:
    return render(request, "market/mine.html", {
        "products": products.products_of(db, person), "latest": present.latest_certificate,
        "can_create": bool(rules.writer_orgs(person, rules.COMPANY_KINDS))})


def _product_form(request, person, product=None, values=None, error: str | None = None) -> HTMLResponse:
    return render(request, "market/product_form.html", {
        "product": product, "values": values or {}, "categories": CATEGORIES, "deployments": DEPLOYMENTS,
        "price_models": PRICE_MODELS, "orgs": rules.writer_orgs(person, rules.COMPANY_KINDS), "error": error},
        status_code=422 if error else 200)


@router.get("/market/products/new", response_class=HTMLResponse)
def new_product(request: Request, person: CurrentPerson) -> HTMLResponse:
    return _product_form(request, person)


def _fields(data: dict) -> dict:
    fields = {k: data.get(k, "") for k in ProductFields.model_fields if k in data}
    fields["deployments"] = [v for k, v in data.items() if k == "deployments"] if "deployments" in data else []
    return fields


@router.post("/market/products/new")
def create_product(request: Request, db: DbSession, person: CurrentPerson, form: FormBody) -> Response:
    data = {k: v for k, v in form.multi_items() if k != "csrf_token" and isinstance(v, str)}
    fields = _fields(data)
    fields["deployments"] = [v for v in form.getlist("deployments") if isinstance(v, str)]
    orgs = rules.writer_orgs(person, rules.COMPANY_KINDS)
    fields["org"] = data.get("org") or (orgs[0].slug if orgs else "")
    fields["slug"] = data.get("slug", "")
    try:
        product = products.create_product(db, person, parse(ProductIn, fields))
    except YizhiError as exc:
        db.rollback()   # the form comes back filled in, with the problem, nothing lost
        return _product_form(request, person, values={**data, "deployments": fields["deployments"]},
                             error=exc.localized(translator(request)))
    db.commit()
    return redirect_with_flash(f"/market/products/{product.slug}", N_("Product saved."))


@router.get("/market/products/{slug}", response_class=HTMLResponse)
@public
def product_page(slug: str, request: Request, db: DbSession, person: OptionalPerson) -> HTMLResponse:
    product = visible_product(db, person, slug)
    versions = products.visible_versions(person, product)
    needs = []
    if person is not None and rules.product_listed(product):
        lang = "en" if getattr(request.state, "locale", "zh") == "en" else "zh"
        needs = products.matching_needs(db, person, product, lang=lang)
    ratings = pilots.ratings_of(db, [v.id for v in product.versions])
    return render(request, "market/product.html", {
        "product": product, "versions": versions, "pilots": pilots.pilots_of(db, product),
        "summary": pilots.ratings_summary(db, [v.id for v in product.versions]), "ratings": ratings,
        "needs": needs, "can_edit": can(person, "market.product.edit", product),
        "latest": present.latest_certificate, "live": rules.live_certificate})


def _own_submissions(db, version) -> list[Submission]:
    attached = {r.submission_id for r in version.reports}
    rows = db.scalars(select(Submission).where(Submission.organization_id == version.product.organization_id,
                                               Submission.state == SubmissionState.scored)
                      .order_by(Submission.id.desc()).limit(50))
    return [s for s in rows if s.id not in attached]


def _hospital_needs(db, person) -> list[Need]:
    own = [o.id for o in rules.writer_orgs(person, (OrgKind.hospital,))] or [-1]
    return list(db.scalars(select(Need).where(Need.org_id.in_(own), Need.status.in_(
        [NeedStatus.published, NeedStatus.in_engagement])).order_by(Need.id.desc()).limit(100)))


@router.get("/market/products/{slug}/versions/{label}", response_class=HTMLResponse)
@public
def version_page(slug: str, label: str, request: Request, db: DbSession, person: OptionalPerson) -> HTMLResponse:
    version = visible_version(db, person, slug, label)
    shown = reports.shown_reports(db, version)
    cert = present.latest_certificate(version)
    context = {"version": version, "product": version.product, "cert": cert, "reports": shown,
               "live": rules.live_certificate(version), "can_edit": can(person, "market.version.edit", version),
               "can_certify": can(person, "market.certify", version),
               "can_request_pilot": can(person, "market.pilot.request", version),
               "can_report": can(person, "market.incident.report", version), "assessment": None,
               "submissions": [], "needs": [], "hospitals": rules.writer_orgs(person, (OrgKind.hospital,)),
               "incidents": postmarket.visible_incidents(db, person, version) if person else [],
               "problem_text": certification.problem_text, "open_request": certification.open_request(version)}
    if context["can_edit"]:
        context["submissions"] = _own_submissions(db, version)
    if context["can_certify"]:
        context["assessment"] = certification.assess(db, version)
    if context["can_request_pilot"]:
        context["needs"] = _hospital_needs(db, person)
    db.commit()  # a receipt may have signed a checkpoint
    return render(request, "market/version.html", context)


@router.get("/market/compare", response_class=HTMLResponse)
@public
def compare_page(request: Request, db: DbSession, person: OptionalPerson) -> HTMLResponse:
    refs = [v for v in request.query_params.getlist("v") if v][: present.MAX_COMPARED + 1]
    if not refs:
        return redirect_with_flash("/market", N_("Tick the versions to compare"), "info")
    if len(refs) > present.MAX_COMPARED:
        raise ValidationFailed(N_("compare between 1 and %(max)s versions"), params={"max": present.MAX_COMPARED},
                               field="v")
    found = []
    for ref in refs:
        version = products.resolve_version(db, ref[:120])
        if not rules.version_visible(person, version):
            raise NotFound(N_("no product version %(ref)s"), params={"ref": ref[:120]})
        found.append(version)
    table = present.compare(db, found)
    db.commit()
    return render(request, "market/compare.html", {"table": table})


@router.get("/market/criteria", response_class=HTMLResponse)
@public
def criteria_page(request: Request, db: DbSession, person: OptionalPerson) -> HTMLResponse:
    import yaml

    current = certification.all_current_criteria(db)
    editable = can(person, "market.criteria.publish", None)
    drafts = {c: yaml.safe_dump(current[c].criteria if c in current else [], allow_unicode=True, sort_keys=False)
              for c in CATEGORIES} if editable else {}
    return render(request, "market/criteria.html", {"current": current, "categories": CATEGORIES,
                                                    "editable": editable, "drafts": drafts})


@router.post("/market/criteria/{category}")
def criteria_publish(category: str, request: Request, db: DbSession, person: CurrentPerson,
        form: FormBody) -> Response:
    import yaml

    authorize(person, "market.criteria.publish", None)
    data = form_of(form)
    try:
        text = data.get("criteria", "")
        if len(text) > 64 * 1024:
            raise ValidationFailed(N_("a criteria file is at most 64 KiB"), field="criteria")
        try:
            rows = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ValidationFailed(N_("the criteria are not YAML: %(reason)s"),
                                   params={"reason": str(exc).splitlines()[0][:200]}, field="criteria") from None
        published = certification.publish_criteria(db, person, category, rows,
                                                   nmpa_required=data.get("nmpa_required") == "on",
                                                   note=data.get("note", ""))
    except YizhiError as exc:
        return failed(request, db, "/market/criteria", exc)
    db.commit()
    return redirect_with_flash(f"/market/criteria#{published.category}", N_("Criteria published."))


@router.get("/market/products/{slug}/edit", response_class=HTMLResponse)
def edit_product(slug: str, request: Request, db: DbSession, person: CurrentPerson) -> HTMLResponse:
    product = products.get_product(db, slug)
    authorize(person, "market.product.edit", product)
    values = {name: getattr(product, name) for name in products.FIELDS}
    values["modalities"] = ", ".join(product.modalities or [])
    return _product_form(request, person, product, values)


@router.post("/market/products/{slug}/edit")
def save_product(slug: str, request: Request, db: DbSession, person: CurrentPerson,
        form: FormBody) -> Response:
    product = products.get_product(db, slug)
    authorize(person, "market.product.edit", product)
    fields = _fields({k: v for k, v in form.multi_items() if k != "csrf_token" and isinstance(v, str)})
    fields["deployments"] = [v for v in form.getlist("deployments") if isinstance(v, str)]
    try:
        products.update_product(db, person, product, parse(ProductFields, fields))
    except YizhiError as exc:
        return failed(request, db, f"/market/products/{slug}/edit", exc)
    db.commit()
    return redirect_with_flash(f"/market/products/{slug}", N_("Product saved."))


@router.post("/market/products/{slug}/versions")
def add_version(slug: str, request: Request, db: DbSession, person: CurrentPerson,
        form: FormBody) -> Response:
    product = products.get_product(db, slug)
    authorize(person, "market.product.edit", product)
    data = form_of(form)
    try:
        from yizhi.market.schemas import VersionIn

        body = parse(VersionIn, {k: data.get(k, "") for k in ("label", "release_notes", "released_on")})
        version = products.add_version(db, person, product, label=body.label, release_notes=body.release_notes,
                                       released_on=body.released_on)
    except YizhiError as exc:
        return failed(request, db, f"/market/products/{slug}", exc)
    db.commit()
    return redirect_with_flash(_version_url(version), N_("Version added."))


def _editable_version(db, person, slug: str, label: str):
    version = products.get_version(db, products.get_product(db, slug), label)
    authorize(person, "market.version.edit", version)
    return version


@router.post("/market/products/{slug}/versions/{label}/reports")
def attach_report(slug: str, label: str, request: Request, db: DbSession, person: CurrentPerson,
        form: FormBody) -> Response:
    version = _editable_version(db, person, slug, label)
    data = form_of(form)
    try:
        if not data.get("submission_id", "").isdigit():
            raise ValidationFailed(N_("choose a scored evaluation submission"), field="submission_id")
        products.attach_report(db, person, version, int(data["submission_id"]))
    except YizhiError as exc:
        return failed(request, db, _version_url(version), exc)
    db.commit()
    return redirect_with_flash(_version_url(version), N_("Report attached."))


@router.post("/market/products/{slug}/versions/{label}/certification")
def request_certification(slug: str, label: str, request: Request, db: DbSession,
                                person: CurrentPerson,
        form: FormBody) -> Response:
    version = _editable_version(db, person, slug, label)
    data = form_of(form)
    try:
        certification.request_certification(db, person, version, data.get("note", "")[:5000])
    except YizhiError as exc:
        return failed(request, db, _version_url(version), exc)
    db.commit()
    return redirect_with_flash(_version_url(version), N_("Certification requested."))


# ----- the commission ------------------------------------------------------------------------------------------------
@router.get("/market/certifications", response_class=HTMLResponse)
def queue_page(request: Request, db: DbSession, person: CurrentPerson) -> HTMLResponse:
    authorize(person, "platform.admin", None)
    return render(request, "market/queue.html", {"queue": certification.queue(db)})


@router.post("/market/products/{slug}/versions/{label}/decision")
def decide(slug: str, label: str, request: Request, db: DbSession, person: CurrentPerson,
        form: FormBody) -> Response:
    version = products.get_version(db, products.get_product(db, slug), label)
    authorize(person, "market.certify", version)
    data = form_of(form)
    try:
        note = data.get("note", "")[:5000]
        if data.get("decision") == "certify":
            months = data.get("months", "")
            certification.certify(db, person, version, months=int(months) if months.isdigit() and 0 < int(months) <= 60
                                  else None, note=note)
            message = N_("Certified.")
        elif data.get("decision") == "refuse":
            certification.refuse(db, person, version, note)
            message = N_("Certification refused.")
        else:
            raise ValidationFailed(N_("choose certify or refuse"), field="decision")
    except YizhiError as exc:
        return failed(request, db, _version_url(version), exc)
    db.commit()
    return redirect_with_flash(_version_url(version), message)


@router.post("/market/products/{slug}/versions/{label}/withdraw")
def withdraw(slug: str, label: str, request: Request, db: DbSession, person: CurrentPerson,
        form: FormBody) -> Response:
    version = products.get_version(db, products.get_product(db, slug), label)
    authorize(person, "market.certify", version)
    data = form_of(form)
    try:
        certification.withdraw(db, person, version, data.get("reason", "")[:5000])
    except YizhiError as exc:
        return failed(request, db, _version_url(version), exc)
    db.commit()
    return redirect_with_flash(_version_url(version), N_("Certificate withdrawn."))


# ----- pilots --------------------------------------------------------------------------------------------------------
@router.post("/market/products/{slug}/versions/{label}/pilots")
def request_pilot(slug: str, label: str, request: Request, db: DbSession, person: CurrentPerson,
        form: FormBody) -> Response:
    version = visible_version(db, person, slug, label)
    data = form_of(form)
    try:
        fields = {k: data.get(k) or None for k in ("hospital", "need_id", "end_date")}
        fields.update({k: data.get(k, "") for k in ("site", "scenario", "start_date", "outcome_measures")})
        found = pilots.request_pilot(db, person, version, parse(PilotRequestIn, fields))
    except YizhiError as exc:
        return failed(request, db, _version_url(version), exc)
    db.commit()
    return redirect_with_flash(f"/market/pilots/{found.id}", N_("Pilot requested."))


@router.get("/market/pilots", response_class=HTMLResponse)
def pilots_page(request: Request, db: DbSession, person: CurrentPerson) -> HTMLResponse:
    return render(request, "market/pilots.html", {"requests": pilots.visible_requests(db, person)})


def _pilot(db, person, request_id: int):
    found = pilots.get_request(db, request_id)
    authorize(person, "market.pilot.view", found)
    return found


@router.get("/market/pilots/{request_id:int}", response_class=HTMLResponse)
def pilot_page(request_id: int, request: Request, db: DbSession, person: CurrentPerson) -> HTMLResponse:
    found = _pilot(db, person, request_id)
    return render(request, "market/pilot.html", {
        "r": found, "can_decide": can(person, "market.pilot.decide", found),
        "can_withdraw": can(person, "market.pilot.withdraw", found),
        "can_close": can(person, "market.pilot.close", found) and found.pilot is not None
        and found.pilot.status.value == "running",
        "can_rate": can(person, "market.pilot.rate", found) and found.rating is None and found.pilot is not None
        and found.pilot.status.value == "closed"})


@router.post("/market/pilots/{request_id:int}/{action}")
def pilot_action(request_id: int, action: str, request: Request, db: DbSession, person: CurrentPerson,
        form: FormBody) -> Response:
    found = _pilot(db, person, request_id)
    data = form_of(form)
    back = f"/market/pilots/{found.id}"
    try:
        if action == "decision":
            pilots.decide(db, person, found, data.get("accept") == "yes", data.get("note", "")[:5000])
            message = N_("Pilot agreed: it is running in the needs library.") if data.get("accept") == "yes" \
                else N_("Pilot declined.")
        elif action == "withdraw":
            pilots.withdraw_request(db, person, found)
            message = N_("Pilot request withdrawn.")
        elif action == "close":
            pilots.close_pilot(db, person, found, parse(PilotCloseIn, {
                "closing_report": data.get("closing_report", ""), "feedback": data.get("feedback", "")}))
            message = N_("Pilot closed.")
        elif action == "rating":
            pilots.rate(db, person, found, parse(RatingIn, {k: data.get(k, "") for k in
                                                           ("accuracy", "workflow_fit", "support", "comment")}))
            message = N_("Thank you for the rating.")
        else:
            raise NotFound(N_("no such action"))
    except YizhiError as exc:
        if isinstance(exc, NotFound):
            raise
        return failed(request, db, back, exc)
    db.commit()
    return redirect_with_flash(back, message)


# ----- post-market ---------------------------------------------------------------------------------------------------
@router.post("/market/products/{slug}/versions/{label}/incidents")
def report_incident(slug: str, label: str, request: Request, db: DbSession, person: CurrentPerson,
        form: FormBody) -> Response:
    version = visible_version(db, person, slug, label)
    data = form_of(form)
    try:
        fields = {k: data.get(k, "") for k in ("kind", "severity", "description", "occurred_on")}
        fields["hospital"] = data.get("hospital") or None
        incident = postmarket.report(db, person, version, parse(IncidentIn, fields))
    except YizhiError as exc:
        return failed(request, db, _version_url(version), exc)
    db.commit()
    return redirect_with_flash(f"/market/incidents/{incident.id}", N_("Report filed."))


@router.get("/market/incidents", response_class=HTMLResponse)
def incidents_page(request: Request, db: DbSession, person: CurrentPerson) -> HTMLResponse:
    requests = [(r, can(person, "market.reevaluation.close", r)) for r in postmarket.visible_reevaluations(db, person)]
    return render(request, "market/incidents.html", {"incidents": postmarket.visible_incidents(db, person),
                                                     "requests": requests})


@router.get("/market/incidents/{incident_id:int}", response_class=HTMLResponse)
def incident_page(incident_id: int, request: Request, db: DbSession, person: CurrentPerson) -> HTMLResponse:
    incident = postmarket.get_incident(db, incident_id)
    authorize(person, "market.incident.view", incident)
    return render(request, "market/incident.html", {
        "incident": incident, "can_answer": can(person, "market.incident.answer", incident)
        and incident.state.value == "open"})


@router.post("/market/incidents/{incident_id:int}/answer")
def answer_incident(incident_id: int, request: Request, db: DbSession, person: CurrentPerson,
        form: FormBody) -> Response:
    incident = postmarket.get_incident(db, incident_id)
    authorize(person, "market.incident.answer", incident)
    data = form_of(form)
    back = f"/market/incidents/{incident.id}"
    try:
        text = data.get("answer", "").strip()
        if not text or len(text) > 10_000:
            raise ValidationFailed(N_("write an answer (at most 10000 characters)"), field="answer")
        postmarket.answer(db, person, incident, text)
    except YizhiError as exc:
        return failed(request, db, back, exc)
    db.commit()
    return redirect_with_flash(back, N_("Answer sent."))


@router.post("/market/reevaluations/{request_id:int}/close")
def close_reevaluation(request_id: int, request: Request, db: DbSession, person: CurrentPerson,
        form: FormBody) -> Response:
    found = postmarket.get_reevaluation(db, request_id)
    authorize(person, "market.reevaluation.view", found)
    data = form_of(form)
    try:
        postmarket.close_reevaluation(db, person, found, data.get("note", "")[:5000])
    except YizhiError as exc:
        return failed(request, db, "/market/incidents", exc)
    db.commit()
    return redirect_with_flash("/market/incidents", N_("Re-evaluation request closed."))


# ----- notifications and the dashboard ----------------------------------------------------------------------------------
@router.get("/market/notifications", response_class=HTMLResponse)
def notifications_page(request: Request, db: DbSession, person: CurrentPerson) -> HTMLResponse:
    _ = translator(request)
    rows = [(n, notification_text(_, n.kind, n.params, locale_of(request))) for n in notifications_for(db, person)]
    return render(request, "market/notifications.html", {"rows": rows})


@router.post("/market/notifications/read")
def notifications_read(request: Request, db: DbSession, person: CurrentPerson) -> Response:
    mark_read(db, person)
    db.commit()
    return redirect_with_flash("/market/notifications", N_("All marked as read."))


def dashboard_cards(request, db, person) -> list[dict]:
    if person is None:
        return []
    _ = translator(request)
    cards = [{"key": "market", "title": _("Product supermarket"), "order": 70, "primary": False,
              "text": _("Certified medical-AI products: compare them, request a pilot, rate them."),
              "link": "/market", "action": _("Open")}]
    if rules.writer_orgs(person, rules.COMPANY_KINDS):
        cards.append({"key": "market-mine", "title": _("Your products"), "order": 71, "primary": False,
                      "text": _("List a product, attach evaluation reports, ask for certification."),
                      "link": "/market/mine", "action": _("Open")})
    if is_platform_admin(person):
        waiting = len(certification.queue(db))
        cards.append({"key": "market-queue", "title": _("Certification requests"), "order": 71, "primary": waiting > 0,
                      "text": _("%(count)s waiting for a decision") % {"count": waiting},
                      "link": "/market/certifications", "action": _("Review")})
    unread = unread_count(db, person)
    if unread:
        cards.append({"key": "market-notifications", "title": _("Supermarket notifications"), "order": 21,
                      "primary": True, "text": _("%(count)s unread") % {"count": unread},
                      "link": "/market/notifications", "action": _("Open")})
    return cards


router.include_router(voucher_router)
