"""Pages of the catalog: search with facets, a dataset (upload, ingest, settings), public card pages.

Version pages are in :mod:`yizhi.catalog.version_views`. Row-level data is never shown on a page.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from yizhi.accounts.permissions import authorize, can
from yizhi.catalog import cards, disclosure, search, service, uploads, versions
from yizhi.catalog import permissions as rules
from yizhi.catalog.messages import ACCESS, FACET_LABELS
from yizhi.catalog.models import VersionState
from yizhi.catalog.settings import catalog_settings
from yizhi.catalog.version_views import router as version_router
from yizhi.errors import N_, NotFound, ValidationFailed, YizhiError
from yizhi.web.deps import CurrentPerson, DbSession, OptionalPerson, public
from yizhi.web.forms import FormBody
from yizhi.web.flash import redirect_with_flash
from yizhi.web.templating import NavItem, locale_of, render, translator

router = APIRouter(include_in_schema=False)
NAV = [NavItem("/datasets", N_("Datasets"), order=30),
       NavItem("/catalog", N_("Data catalog"), order=31, visible=lambda person: person is None)]
UPLOAD_JS = Path(__file__).parent / "data" / "upload.js"


def _search_context(db, person, request: Request) -> dict:
    filters = search.Filters.from_mapping(request.query_params)
    hits, facets = search.search(db, person, filters)
    return {"hits": hits, "facets": facets, "filters": filters, "facet_labels": FACET_LABELS,
            "size_bucket": disclosure.size_bucket, "small": disclosure.count}


@router.get("/datasets", response_class=HTMLResponse)
def datasets_page(request: Request, db: DbSession, person: CurrentPerson) -> Response:
    context = _search_context(db, person, request)
    context.update({"can_create": bool(rules.holder_orgs(person)), "public_view": False, "base": "/datasets"})
    return render(request, "catalog/search.html", context)


@router.get("/catalog", response_class=HTMLResponse)
@public
def public_catalog(request: Request, db: DbSession, person: OptionalPerson) -> Response:
    """Published datasets for anyone: cards and counts after disclosure control."""
    context = _search_context(db, None, request)
    context.update({"can_create": False, "public_view": True, "base": "/catalog"})
    return render(request, "catalog/search.html", context)


@router.get("/catalog/{slug}", response_class=HTMLResponse)
@public
def public_dataset(slug: str, db: DbSession) -> Response:
    dataset = service.get_dataset(db, slug)
    version = service.latest_version(dataset, (VersionState.published,))
    if version is None:
        raise NotFound(N_("no published dataset %(slug)s"), params={"slug": repr(slug)})
    return RedirectResponse(f"/catalog/{slug}/{version.number}", status_code=303)


@router.get("/catalog/{slug}/{number:int}", response_class=HTMLResponse)
@public
def public_card_page(request: Request, slug: str, number: int, db: DbSession) -> Response:
    version = service.get_version(db, slug, number)
    if version.state != VersionState.published:
        raise NotFound(N_("no published dataset version %(ref)s"), params={"ref": f"{slug}@{number}"})
    template = service.template_of(version.dataset)
    return render(request, "catalog/public_card.html", {
        "version": version, "dataset": version.dataset, "card": disclosure.public_card(version.card or {}),
        "fields": card_rows(disclosure.public_card(version.card or {}), template),
        "tables": disclosure.public_tables(version.tables), "template": template, "access_labels": ACCESS})


def card_rows(card: dict, template) -> list[dict]:
    """(label, value, required, missing) for each field a card shows, the template's own last."""
    required = set(cards.required_fields(template))
    specs = list(cards.CARD_FIELDS) + (template.template_fields() if template else [])
    return [{"key": s.key, "label": s.label, "kind": s.kind, "value": card.get(s.key),
             "text": cards.display_value(card.get(s.key)), "required": s.key in required,
             "missing": s.key in required and not cards.is_filled(card.get(s.key)), "auto": s.auto}
            for s in specs]


# ----- creating and running a dataset -------------------------------------------------------------
@router.get("/datasets/new", response_class=HTMLResponse)
def new_dataset_page(request: Request, db: DbSession, person: CurrentPerson) -> Response:
    orgs = rules.holder_orgs(person)
    if not orgs:
        raise NotFound(N_("only hospitals, evaluators and the commission keep datasets"))
    return render(request, "catalog/new.html", {"orgs": orgs, "templates": cards.templates().values(),
                                                "error": None, "form": {}})


@router.post("/datasets/new", response_class=HTMLResponse)
def create_dataset(request: Request, db: DbSession, person: CurrentPerson, form: FormBody) -> Response:
    values = {k: str(form.get(k) or "") for k in ("org", "slug", "title", "template", "description")}
    orgs = rules.holder_orgs(person)
    try:
        org = next((o for o in orgs if o.slug == values["org"]), None)
        if org is None:
            raise ValidationFailed(N_("choose the organisation that owns the data"), field="org")
        dataset = service.create_dataset(db, person, org, values["slug"], values["title"],
                                         template=values["template"] or None, description=values["description"])
    except YizhiError as exc:
        db.rollback()
        return render(request, "catalog/new.html", {
            "orgs": orgs, "templates": cards.templates().values(), "form": values,
            "error": exc.localized(translator(request))}, status_code=exc.status)
    db.commit()
    return redirect_with_flash(f"/datasets/{dataset.slug}", N_("Dataset created. Upload files to build its first version."))


@router.get("/datasets/upload.js")
def upload_script(person: CurrentPerson) -> Response:
    return Response(UPLOAD_JS.read_text(encoding="utf-8"), media_type="text/javascript")


@router.get("/datasets/{slug}", response_class=HTMLResponse)
def dataset_page(request: Request, slug: str, db: DbSession, person: CurrentPerson) -> Response:
    dataset = service.get_dataset(db, slug)
    authorize(person, "catalog.view", dataset)
    shown = [v for v in reversed(dataset.versions) if can(person, "catalog.view_version", v)]
    previous = versions.previous_built(dataset)
    return render(request, "catalog/dataset.html", {
        "dataset": dataset, "versions": shown, "can_edit": can(person, "catalog.edit", dataset),
        "can_ingest": can(person, "catalog.ingest", dataset), "template": service.template_of(dataset),
        "templates": cards.templates().values(), "previous": previous,
        "chunk_bytes": min(uploads.max_chunk_bytes(), 8 * 1024 * 1024)})


@router.post("/datasets/{slug}/settings", response_class=HTMLResponse)
def dataset_settings(request: Request, slug: str, db: DbSession, person: CurrentPerson, form: FormBody) -> Response:
    dataset = service.get_dataset(db, slug)
    service.update_dataset(db, person, dataset, title=str(form.get("title") or dataset.title),
                           description=str(form.get("description") or ""),
                           allow_extracts=form.get("allow_extracts") == "on",
                           template=str(form.get("template") or ""))
    db.commit()
    return redirect_with_flash(f"/datasets/{slug}", N_("Settings saved."))


@router.post("/datasets/{slug}/ingest", response_class=HTMLResponse,
             max_body_size=int(catalog_settings().upload_max_gb * 1024**3) + 64 * 1024)
def start_ingest(request: Request, slug: str, db: DbSession, person: CurrentPerson, form: FormBody) -> Response:
    """Build a new version from uploads made on the page (resumable) and/or files in this form."""
    dataset = service.get_dataset(db, slug)
    authorize(person, "catalog.ingest", dataset)
    try:
        chosen = uploads.stored_uploads(db, dataset.organization_id,
                                        [str(v) for v in form.getlist("upload") if str(v).strip()])
        for item in form.getlist("files"):
            if getattr(item, "filename", None):
                chosen.append(uploads.store_stream(db, dataset.organization, item.filename, item.file,
                                                   created_by_id=person.id))
        profile = str(form.get("profile") or "")
        version = versions.start_ingest(db, person, dataset, chosen,
                                        profile=profile if profile.strip() or form.get("default_profile") else None,
                                        keep_previous_sources=form.get("keep_previous") == "on")
    except YizhiError as exc:
        db.rollback()
        return redirect_with_flash(f"/datasets/{slug}", exc.localized(translator(request)), kind="error")
    db.commit()
    return redirect_with_flash(f"/datasets/{slug}/{version.number}", N_("Files stored; the version is being built."))


router.include_router(version_router)


def dashboard_cards(request: Request, db, person) -> list[dict]:
    """Hospital members see their versions waiting to be published and builds that failed."""
    from sqlalchemy import func, select

    from yizhi.catalog.models import Dataset, DatasetVersion

    _ = translator(request)
    found = []
    for org in rules.holder_orgs(person):
        counts = dict(db.execute(select(DatasetVersion.state, func.count()).join(Dataset).where(
            Dataset.organization_id == org.id).group_by(DatasetVersion.state)).all())
        ready, failed = counts.get(VersionState.ready, 0), counts.get(VersionState.failed, 0)
        text = _("%(ready)d version(s) ready to publish, %(failed)d failed build(s).") % {
            "ready": ready, "failed": failed}
        found.append({"key": f"datasets-{org.slug}", "title": _("Datasets of %(org)s") % {"org": org.display_name(locale_of(request))},
                      "text": text, "link": "/datasets", "action": _("Open"), "order": 30,
                      "primary": bool(ready or failed)})
    return found
