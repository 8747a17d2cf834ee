"""The version page: state and build progress, the quality report with charts, quarantine and
problems, what changed since the previous version, the card (edit, publish) and its exports.

The owner and the commission see the full report; others see it after disclosure control
(counts under 10 as "<10", no ranges or distinct counts). Row-level data is never shown.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from yizhi.accounts.permissions import authorize, can
from yizhi.catalog import cards, charts, disclosure, service, versions
from yizhi.catalog.build import error_message
from yizhi.catalog.messages import ACCESS
from yizhi.catalog.models import VersionState
from yizhi.errors import N_, YizhiError
from yizhi.jobs.models import Job
from yizhi.web.deps import CurrentPerson, DbSession
from yizhi.web.forms import FormBody
from yizhi.web.flash import redirect_with_flash
from yizhi.web.templating import render, translator

router = APIRouter(include_in_schema=False)
MAX_PROBLEMS_SHOWN = 200


def quality_sections(version, details: bool, gettext) -> list[dict]:
    """Per table: its columns (with or without details) and a chart of missing values."""
    sections = []
    report = (version.quality or {}).get("tables") or {}
    for name, info in sorted((version.tables or {}).items()):
        columns = (report.get(name) or {}).get("columns") or {}
        rows = [{"name": column, "type": kind,
                 "null_share": float((columns.get(column) or {}).get("null_share") or 0),
                 "distinct": (columns.get(column) or {}).get("distinct") if details else None,
                 "range": (columns.get(column) or {}).get("range") if details else None}
                for column, kind in (info.get("columns") or {}).items()]
        chart = charts.bar_chart([(r["name"], r["null_share"], f"{r['null_share']:.0%}") for r in rows],
                                 maximum=1.0, title=gettext("Share of missing values"))
        sections.append({"name": name, "rows": info.get("rows") if details else disclosure.count(info.get("rows")),
                         "columns": rows, "chart": chart})
    return sections


def overview_charts(version, details: bool, gettext) -> dict:
    tables = version.tables or {}
    rows_chart = charts.bar_chart([(n, float(t.get("rows") or 0), str(t.get("rows") or 0))
                                   for n, t in sorted(tables.items())], title=gettext("Rows per table")) \
        if details else ""
    series = (version.quality or {}).get("dicom_series_by_modality") or (version.stats or {}).get("dicom_series") or {}
    series_chart = charts.bar_chart([(m, float(n), str(n) if details else disclosure.count(n))
                                     for m, n in sorted(series.items())], title=gettext("DICOM series by modality"))
    problems = (version.quality or {}).get("problems_by_kind") or {}
    problems_chart = charts.bar_chart([(k, float(n), str(n)) for k, n in sorted(problems.items())],
                                      title=gettext("Skipped rows and resources by kind")) if details else ""
    return {"rows": rows_chart, "series": series_chart, "problems": problems_chart}


def _context(request: Request, db, person, version, *, error: str | None = None, form: dict | None = None) -> dict:
    from yizhi.catalog.views import card_rows

    gettext = translator(request)
    details = can(person, "catalog.view_details", version)
    template = service.template_of(version.dataset)
    card = (version.card or {}) if details else disclosure.public_card(version.card or {})
    job = db.get(Job, version.job_id) if version.job_id and details else None
    return {
        "version": version, "dataset": version.dataset, "details": details, "template": template,
        "fields": card_rows(card, template), "missing": cards.missing_fields(version.card or {}, template),
        "sections": quality_sections(version, details, gettext), "charts": overview_charts(version, details, gettext),
        "changes": versions.changes(version), "job": job, "error_text": error_message(version.error, gettext),
        "can_edit_card": can(person, "catalog.edit_card", version), "can_publish": can(person, "catalog.publish", version),
        "can_withdraw": can(person, "catalog.withdraw", version), "can_retry": can(person, "catalog.retry", version),
        "problems": (version.problems or [])[:MAX_PROBLEMS_SHOWN] if details else [],
        "quarantine": (version.quarantine or []) if details else [], "access_labels": ACCESS,
        "access_rights": cards.ACCESS_RIGHTS, "form_error": error, "form": form or {},
    }


def _version(db, person, slug: str, number: int, action: str = "catalog.view_version"):
    version = service.get_version(db, slug, number)
    authorize(person, action, version)
    return version


@router.get("/datasets/{slug}/{number:int}", response_class=HTMLResponse)
def version_page(request: Request, slug: str, number: int, db: DbSession, person: CurrentPerson) -> Response:
    version = _version(db, person, slug, number)
    return render(request, "catalog/version.html", _context(request, db, person, version))


@router.get("/datasets/{slug}/{number:int}/status", response_class=HTMLResponse)
def version_status(request: Request, slug: str, number: int, db: DbSession, person: CurrentPerson) -> Response:
    """The build's progress (polled by htmx while the version is building)."""
    version = _version(db, person, slug, number)
    context = _context(request, db, person, version)
    headers = {"HX-Refresh": "true"} if version.state != VersionState.building and request.headers.get(
        "hx-request") else None
    return render(request, "catalog/_status.html", context, headers=headers)


@router.post("/datasets/{slug}/{number:int}/card", response_class=HTMLResponse)
def update_card(request: Request, slug: str, number: int, db: DbSession, person: CurrentPerson, form: FormBody) -> Response:
    version = _version(db, person, slug, number, "catalog.edit_card")
    editable = [f for f in cards.CARD_FIELDS + cards.TEMPLATE_FIELDS if not f.auto or f.key in (
        "number_of_records", "number_of_unique_individuals", "min_typical_age", "max_typical_age", "temporal_coverage")]
    update = {f.key: str(form.get(f.key) or "") for f in editable if f.key in form and f.key != "publisher"}
    try:
        versions.update_card(db, person, version, update)
    except YizhiError as exc:
        db.rollback()
        context = _context(request, db, person, version, error=exc.localized(translator(request)), form=update)
        return render(request, "catalog/version.html", context, status_code=exc.status)
    db.commit()
    return redirect_with_flash(f"/datasets/{slug}/{number}", N_("Card saved."))


@router.post("/datasets/{slug}/{number:int}/publish", response_class=HTMLResponse)
def publish(request: Request, slug: str, number: int, db: DbSession, person: CurrentPerson) -> Response:
    version = _version(db, person, slug, number)
    try:
        versions.publish(db, person, version)
    except YizhiError as exc:
        db.rollback()
        return redirect_with_flash(f"/datasets/{slug}/{number}", exc.localized(translator(request)), kind="error")
    db.commit()
    return redirect_with_flash(f"/datasets/{slug}/{number}", N_("Published in the catalog."))


@router.post("/datasets/{slug}/{number:int}/withdraw", response_class=HTMLResponse)
def withdraw(request: Request, slug: str, number: int, db: DbSession, person: CurrentPerson) -> Response:
    version = _version(db, person, slug, number)
    versions.withdraw(db, person, version)
    db.commit()
    return redirect_with_flash(f"/datasets/{slug}/{number}", N_("Withdrawn: no new access grants."))


@router.post("/datasets/{slug}/{number:int}/retry", response_class=HTMLResponse)
def retry(request: Request, slug: str, number: int, db: DbSession, person: CurrentPerson) -> Response:
    version = _version(db, person, slug, number)
    versions.retry(db, person, version)
    db.commit()
    return redirect_with_flash(f"/datasets/{slug}/{number}", N_("The build was queued again."))
