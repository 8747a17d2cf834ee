"""The dashboard (what this person can do next) and the health check."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse

from yizhi import __version__
from yizhi.registry import domain_modules
from yizhi.web.deps import CurrentPerson, DbSession, public
from yizhi.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/healthz")
@public
def healthz(db: DbSession) -> JSONResponse:
    db.connection()  # proves the database answers
    return JSONResponse({"status": "ok", "version": __version__})


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, db: DbSession, person: CurrentPerson) -> HTMLResponse:
    cards = []
    for module in domain_modules("views"):
        provider = getattr(module, "dashboard_cards", None)
        if provider is not None:
            cards.extend(provider(request, db, person))
    cards.sort(key=lambda card: card.get("order", 100))
    from yizhi.web.dashboard import panels_for
    from yizhi.web.templating import locale_of, translator

    panels = panels_for(db, person, translator(request), locale_of(request))
    return render(request, "dashboard.html", {"cards": cards, "panels": panels})
