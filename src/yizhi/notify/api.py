"""JSON: a person's own notifications, and marking them read."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from yizhi.notify import service
from yizhi.web.deps import CurrentPerson, DbSession
from yizhi.web.i18n import api_gettext

router = APIRouter(prefix="/api/v1/notifications", tags=["notifications"])

Domain = Annotated[str | None, Query(max_length=40, pattern=r"^[a-z_]+$")]


def notice_json(notice, gettext) -> dict:
    return {"id": notice.id, "kind": notice.kind, "text": service.text_of(notice, gettext),
            "msgid": notice.msgid, "params": notice.params, "link": notice.link,
            "created_at": notice.created_at.isoformat(),
            "read_at": notice.read_at.isoformat() if notice.read_at else None}


@router.get("")
def list_notifications(request: Request, db: DbSession, person: CurrentPerson, unread: bool = False,
                       domain: Domain = None, limit: Annotated[int, Query(ge=1, le=200)] = service.PAGE_SIZE,
                       offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> dict:
    rows, total = service.list_for(db, person.id, unread_only=unread, domain=domain, limit=limit, offset=offset)
    gettext = api_gettext(request)
    return {"unread": service.unread_count(db, person.id), "total": total,
            "items": [notice_json(notice, gettext) for notice in rows]}


@router.post("/read")
def read_all(db: DbSession, person: CurrentPerson, domain: Domain = None) -> dict:
    marked = service.mark_all_read(db, person.id, domain)
    db.commit()
    return {"marked": marked}


@router.post("/{notification_id}/read")
def read_one(notification_id: int, request: Request, db: DbSession, person: CurrentPerson) -> dict:
    notice = service.mark_read(db, person.id, notification_id)
    db.commit()
    return notice_json(notice, api_gettext(request))
