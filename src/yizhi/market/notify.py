"""In-app notices of the supermarket, to the people of the organisations concerned."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yizhi.accounts.models import OrgKind, Person, Role
from yizhi.db import utcnow
from yizhi.errors import N_, NotFound
from yizhi.market.models import MarketNotification
from yizhi.notify import service as platform

WRITER_ROLES = (Role.owner, Role.member)


def org_people(session: Session, org_id: int, roles: Iterable[Role] = WRITER_ROLES) -> list[int]:
    return platform.org_people(session, org_id, roles)


def people_of_kind(session: Session, kind: OrgKind, roles: Iterable[Role] = (*WRITER_ROLES, Role.reviewer)) -> list[int]:
    return platform.people_of_kind(session, kind, roles)


def notify(session: Session, person_ids: Iterable[int], kind: str, params: dict, link: str,
           actor: Person | None = None) -> int:
    """One notice per person concerned (never to the person who caused it), here and on the platform."""
    from yizhi.market.messages import NOTIFICATIONS
    return platform.fan_out(session, person_ids,
                            lambda person_id: MarketNotification(person_id=person_id, kind=kind, params=params,
                                                                 link=link[:200]),
                            f"market.{kind}", NOTIFICATIONS.get(kind, kind), params, link, actor=actor)


def notifications_for(session: Session, person: Person, limit: int = 100) -> list[MarketNotification]:
    return list(session.scalars(select(MarketNotification).where(MarketNotification.person_id == person.id)
                                .order_by(MarketNotification.id.desc()).limit(limit)))


def unread_count(session: Session, person: Person) -> int:
    return session.scalar(select(func.count()).select_from(MarketNotification).where(
        MarketNotification.person_id == person.id, MarketNotification.read_at.is_(None))) or 0


def mark_read(session: Session, person: Person, notification_id: int | None = None) -> int:
    query = select(MarketNotification).where(MarketNotification.person_id == person.id,
                                             MarketNotification.read_at.is_(None))
    if notification_id is not None:
        query = query.where(MarketNotification.id == notification_id)
    rows = list(session.scalars(query))
    if notification_id is not None and not rows:
        raise NotFound(N_("no notification %(id)s"), params={"id": notification_id})
    for row in rows:
        row.read_at = utcnow()
    session.flush()
    if notification_id is None:  # "mark all as read" here clears the platform badge of these notices too
            platform.mark_all_read(session, person.id, "market")
    return len(rows)
