"""HTML pages of the access domain (Chinese by default, English switchable): requests, reviews,
grants, holder settings and feedback, notifications, and the public Data Use Register."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from yizhi.access import grant_views, holder_views, notify, register, request_views
from yizhi.access import permissions as _rules  # noqa: F401  (registers the permission rules)
from yizhi.access.grant_service import visible_grants
from yizhi.access.grants import grant_state_now
from yizhi.access.messages import LABELS, OUTPUT_LABELS  # noqa: F401  (labels marked for translation)
from yizhi.access.permissions import applying_orgs
from yizhi.access.request_service import visible_requests
from yizhi.access.review_service import is_overdue
from yizhi.access.views_common import holder_orgs
from yizhi.accounts.permissions import can
from yizhi.web.deps import CurrentPerson, DbSession, public
from yizhi.web.flash import redirect_with_flash
from yizhi.web.templating import NavItem, render, translator

router = APIRouter(include_in_schema=False)
router.include_router(request_views.router)
router.include_router(grant_views.router)
router.include_router(holder_views.router)

NAV = [
    NavItem("/access/requests", "Data access", order=30),
    NavItem("/access/review", "Access reviews", order=31,
            visible=lambda person: person is not None and can(person, "access.review_queue", None)),
    NavItem("/access/register", "Data Use Register", order=32, visible=lambda person: True),
]


@router.get("/access/register", response_class=HTMLResponse)
@public
def register_page(request: Request, db: DbSession) -> HTMLResponse:
    return render(request, "access/register.html", {"entries": register.register_entries(db),
                                                    "metrics": register.metrics(db),
                                                    "output_labels": OUTPUT_LABELS})


@router.get("/access/notifications", response_class=HTMLResponse)
def notifications_page(request: Request, db: DbSession, person: CurrentPerson) -> HTMLResponse:
    _ = translator(request)
    rows = [(n, notify.notification_text(_, n.kind, n.params)) for n in notify.notifications_for(db, person)]
    return render(request, "access/notifications.html", {"rows": rows})


@router.post("/access/notifications/read")
def notifications_read(request: Request, db: DbSession, person: CurrentPerson) -> Response:
    notify.mark_read(db, person)
    db.commit()
    return redirect_with_flash("/access/notifications", translator(request)("All marked as read."))


def dashboard_cards(request: Request, db, person) -> list[dict]:
    """Requests and grants for applicants, the review queue (overdue steps flagged) for reviewers,
    feedback for data holders, and unread access notifications."""
    _ = translator(request)
    cards = []
    if applying_orgs(person):
        ours = {m.organization_id for m in person.memberships}
        open_requests = sum(r.organization_id in ours and r.state.value in ("draft", "submitted", "prescreen", "in_review")
                            for r in visible_requests(db, person))
        live = sum(g.organization_id in ours and grant_state_now(g) == "active" for g in visible_grants(db, person))
        cards.append({"key": "access-requests", "title": _("Data access"),
                      "text": _("%(open)d requests in progress, %(live)d live grants") % {"open": open_requests, "live": live},
                      "link": "/access/requests", "action": _("Open"), "order": 30, "primary": False})
    if can(person, "access.review_queue", None):
        queue = holder_views.review_queue(db, person)
        waiting = len(queue["prescreens"]) + len(queue["mine"]) + len(queue["decisions"])
        overdue = sum(is_overdue(s) for s in queue["mine"] + queue["others"])
        text = _("%(n)d waiting for you") % {"n": waiting}
        if overdue:
            text += " · " + _("%(n)d overdue") % {"n": overdue}
        cards.append({"key": "access-review", "title": _("Access reviews"), "text": text, "link": "/access/review",
                      "action": _("Review"), "order": 31, "primary": waiting > 0 or overdue > 0,
                      "overdue": overdue})
    if holder_orgs(person):
        cards.append({"key": "access-feedback", "title": _("Feedback on our datasets"),
                      "text": _("Closure reports and data-quality issues from those who used our data."),
                      "link": "/access/feedback", "action": _("Open"), "order": 33, "primary": False})
    cards.append({"key": "access-notifications", "title": _("Access notifications"),
                  "text": _("%(n)d unread") % {"n": notify.unread_count(db, person)},
                  "link": "/access/notifications", "action": _("Open"), "order": 34, "primary": False})
    return cards
