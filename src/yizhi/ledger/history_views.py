"""The event history page and its CSV export (mounted by ``ledger/views.py``)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, StreamingResponse

from yizhi.accounts.models import Organization
from yizhi.ledger import history
from yizhi.web.deps import CurrentPerson, DbSession
from yizhi.web.templating import locale_of, render, translator

router = APIRouter(include_in_schema=False)

Text = Annotated[str, Query(max_length=254)]
Day = Annotated[str, Query(max_length=10)]


def _filters(org: str, person: str, kind: str, since: str, until: str) -> history.Filters:
    return history.Filters(org=org.strip(), person=person.strip(), kind=kind.strip(), since=since.strip(),
                           until=until.strip())


@router.get("/ledger/history", response_class=HTMLResponse)
def history_page(request: Request, db: DbSession, person: CurrentPerson, org: Text = "", who: Text = "",
                 kind: Text = "", since: Day = "", until: Day = "",
                 page: Annotated[int, Query(ge=1, le=1_000_000)] = 1) -> HTMLResponse:
    filters = _filters(org, who, kind, since, until)
    gettext, locale = translator(request), locale_of(request)
    entries, total = history.page(db, person, filters, page)
    allowed = history.readable_orgs(person)
    orgs = allowed if allowed is not None else list(db.query(Organization).order_by(Organization.slug))
    kinds = history.kinds_in_view(db, person)
    return render(request, "ledger/history.html", {
        "rows": history.readable(db, entries, gettext, locale), "total": total, "page": page,
        "pages": max(1, -(-total // history.PAGE_SIZE)), "filters": filters,
        "orgs": [(o.slug, o.display_name(locale)) for o in orgs],
        "kinds": [(k, gettext(history.EVENT_LABELS[k]) if k in history.EVENT_LABELS else k) for k in kinds],
        "domains": sorted({k.split(".")[0] for k in kinds}),
        "query": request.url.query,
    })


@router.get("/ledger/history.csv")
def history_csv(request: Request, db: DbSession, person: CurrentPerson, org: Text = "", who: Text = "",
                kind: Text = "", since: Day = "", until: Day = "") -> StreamingResponse:
    filters = _filters(org, who, kind, since, until)
    gettext, locale = translator(request), locale_of(request)
    history.query(db, person, filters)  # refuses before the download starts, not in its middle

    def lines() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        yield "\ufeff"  # spreadsheets open UTF-8 Chinese correctly with the byte-order mark
        for row in history.export_rows(db, person, filters, gettext, locale):
            writer.writerow(row)
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()

    return StreamingResponse(lines(), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": 'attachment; filename="yizhi-event-history.csv"'})
