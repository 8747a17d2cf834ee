"""The public ledger page: current checkpoint, cosigners, the platform key and its fingerprint,
look up an entry and its proof; organisation owners register their witness here."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from yizhi.accounts import service as accounts
from yizhi.accounts.models import Role
from yizhi.accounts.permissions import acting_role, authorize, is_platform_admin
from yizhi.errors import YizhiError
from yizhi.ledger import permissions  # noqa: F401  (registers the rules)
from yizhi.ledger import service
from yizhi.ledger.history_views import router as history_router
from yizhi.web.deps import CurrentPerson, DbSession, OptionalPerson, public
from yizhi.web.flash import redirect_with_flash
from yizhi.web.templating import NavItem, locale_of, render

router = APIRouter(include_in_schema=False)
router.include_router(history_router)

NAV = [NavItem("/ledger", "Transparency ledger", order=85, visible=lambda person: True)]


def _owned_orgs(person) -> list:
    if person is None:
        return []
    return [m.organization for m in person.memberships
            if is_platform_admin(person) or acting_role(person, m.organization) == Role.owner]


@router.get("/ledger", response_class=HTMLResponse)
@public
def ledger_page(request: Request, db: DbSession, person: OptionalPerson, index: str | None = None) -> Response:
    context = {"status": service.status(db), "witnesses": service.list_witnesses(db),
               "owned_orgs": _owned_orgs(person), "lookup": None, "lookup_error": None, "index": index or ""}
    if index not in (None, ""):
        try:
            number = int(index)
            entry = service.get_entry(db, number)
            entry["pretty"] = json.dumps(json.loads(entry["leaf"]), ensure_ascii=False, indent=2)
            context["lookup"] = {"entry": entry, "proof": service.inclusion_proof(db, number)}
        except ValueError:
            context["lookup_error"] = "Enter an entry number (0, 1, 2, ...)."
        except YizhiError as exc:
            context["lookup_error"] = exc.message
    return render(request, "ledger/index.html", context)


@router.post("/ledger/witnesses")
def register_witness_form(
    request: Request, db: DbSession, person: CurrentPerson,
    org: Annotated[str, Form()], vkey: Annotated[str, Form()], url: Annotated[str, Form()] = "",
) -> Response:
    organization = accounts.get_org_by_slug(db, org)
    authorize(person, "ledger.witness_register", organization)
    try:
        witness = service.register_witness(db, organization.slug, vkey.strip(), url.strip() or None)
    except YizhiError as exc:
        db.rollback()
        return redirect_with_flash("/ledger#witnesses", exc.message, "error")
    db.commit()
    return redirect_with_flash("/ledger#witnesses", f"Witness {witness.name} registered.")


def dashboard_cards(request: Request, db, person) -> list[dict]:
    """Commission staff see the log's state; owners of organisations without a witness are invited to run one."""
    from yizhi.web.templating import translator

    _ = translator(request)
    cards = []
    if is_platform_admin(person):
        status = service.status(db)
        cosigned = len(status["cosigners"])
        quorum_short = status["quorum"] and cosigned < status["quorum"]
        cards.append({
            "key": "ledger", "order": 40, "primary": bool(quorum_short), "title": _("Transparency ledger"),
            "text": _("%(size)d entries; the latest checkpoint has %(k)d witness cosignature(s), %(q)d required.")
            % {"size": status["size"], "k": cosigned, "q": status["quorum"]},
            "link": "/ledger", "action": _("Open"),
        })
        cards.append({"key": "event-history", "order": 41, "title": _("Event history"),
                      "text": _("Who did what to which object, with filters and a CSV export."),
                      "link": "/ledger/history", "action": _("Open")})
    witness_orgs = {w.org for w in service.list_witnesses(db)}
    for org in _owned_orgs(person):
        if org.approved and org.slug not in witness_orgs and org.kind.value == "hospital":
            cards.append({
                "key": f"ledger-witness-{org.slug}", "order": 60, "title": org.display_name(locale_of(request)),
                "text": _("Run a witness so that no one can rewrite the ledger's history unnoticed."),
                "link": "/ledger#witnesses", "action": _("Register witness"),
            })
            break
    return cards
