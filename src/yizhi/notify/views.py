"""The notifications page (list, filters, mark read, e-mail preference) and the unread badge."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from yizhi.errors import N_
from yizhi.notify import service
from yizhi.web.deps import CurrentPerson, DbSession
from yizhi.web.flash import redirect_with_flash
from yizhi.web.forms import FormBody, fields
from yizhi.web.templating import render

router = APIRouter(include_in_schema=False)

# Where a notice came from, as the filter names it (the nav labels of those domains).
DOMAIN_LABELS = {"needs": N_("Needs library"), "access": N_("Data access"), "market": N_("Product supermarket"),
                 "catalog": N_("Datasets"), "evaluation": N_("Evaluation center"), "annotation": N_("Annotation"),
                 "space": N_("Trusted data space"), "accounts": N_("Organisations")}
FLASHES = [N_("All marked as read."), N_("Marked as read."), N_("E-mail preference saved.")]


def _safe_next(value: str | None) -> str:
    # Only a path on this site: never redirect a reader elsewhere from a link someone sent them.
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value[:300]
    return "/notifications"


@router.get("/notifications", response_class=HTMLResponse)
def notifications_page(
    request: Request, db: DbSession, person: CurrentPerson,
    state: Annotated[str, Query(pattern="^(all|unread)$")] = "all",
    domain: Annotated[str, Query(max_length=40, pattern=r"^[a-z_]*$")] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    rows, total = service.list_for(db, person.id, unread_only=state == "unread", domain=domain or None,
                                   limit=service.PAGE_SIZE, offset=(page - 1) * service.PAGE_SIZE)
    from yizhi.web.templating import translator

    gettext = translator(request)
    return render(request, "notify/list.html", {
        "rows": [(notice, service.text_of(notice, gettext)) for notice in rows],
        "total": total, "page": page, "pages": max(1, -(-total // service.PAGE_SIZE)),
        "state": state, "domain": domain, "domains": service.domains_for(db, person.id),
        "domain_labels": DOMAIN_LABELS, "email": service.wants_email(db, person.id),
    })


@router.post("/notifications/read")
def read_all(db: DbSession, person: CurrentPerson, form: FormBody) -> Response:
    domain = fields(form).get("domain", "")
    service.mark_all_read(db, person.id, domain if domain in DOMAIN_LABELS else None)
    db.commit()
    return redirect_with_flash("/notifications", "All marked as read.")


@router.post("/notifications/{notification_id}/read")
def read_one(notification_id: int, db: DbSession, person: CurrentPerson, form: FormBody) -> Response:
    notice = service.mark_read(db, person.id, notification_id)
    db.commit()
    if fields(form).get("open"):
        return redirect_with_flash(_safe_next(notice.link), "Marked as read.")
    return redirect_with_flash(_safe_next(fields(form).get("next")), "Marked as read.")


@router.post("/notifications/preferences")
def save_preferences(db: DbSession, person: CurrentPerson, form: FormBody) -> Response:
    service.set_email_preference(db, person, fields(form).get("email") == "on")
    db.commit()
    return redirect_with_flash("/notifications", "E-mail preference saved.")


def dashboard_cards(request: Request, db, person) -> list[dict]:
    from yizhi.web.templating import translator

    unread = service.unread_count(db, person.id)
    if not unread:
        return []
    _ = translator(request)
    return [{"key": "notifications", "order": 1, "primary": True, "title": _("Notifications"),
             "text": _("%(count)d unread notification(s).") % {"count": unread},
             "link": "/notifications?state=unread", "action": _("Open notifications")}]
