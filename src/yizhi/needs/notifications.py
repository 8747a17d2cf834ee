"""Who is told, and the needs domain's own notification list (mirrored in the platform's)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yizhi.accounts.models import Person, Role
from yizhi.db import utcnow
from yizhi.errors import N_, NotFound
from yizhi.needs.models import Notification
from yizhi.notify import service as platform


def org_members(session: Session, org_id: int, roles: Iterable[Role] = (Role.owner, Role.member)) -> list[int]:
    return platform.org_people(session, org_id, roles)


def commission_staff(session: Session) -> list[int]:
    return platform.commission_staff(session)


def notify(
    session: Session, person_ids: Iterable[int], kind: str, params: dict, link: str, *, actor: Person | None = None
) -> int:
    """One notification per person concerned (never to the person who caused it), here and on the platform."""
    from yizhi.needs.messages import NOTIFICATIONS
    return platform.fan_out(session, person_ids,
                            lambda person_id: Notification(person_id=person_id, kind=kind, params=params, link=link),
                            f"needs.{kind}", NOTIFICATIONS.get(kind, kind), params, link, actor=actor)


def notifications_for(session: Session, person: Person, unread_only: bool = False, limit: int = 50) -> list[Notification]:
    stmt = select(Notification).where(Notification.person_id == person.id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    return list(session.scalars(stmt.order_by(Notification.id.desc()).limit(limit)))


def unread_count(session: Session, person: Person) -> int:
    return session.scalar(select(func.count()).select_from(Notification).where(
        Notification.person_id == person.id, Notification.read_at.is_(None))) or 0


def mark_read(session: Session, person: Person, notification_id: int | None = None) -> int:
    stmt = select(Notification).where(Notification.person_id == person.id, Notification.read_at.is_(None))
    if notification_id is not None:
        stmt = stmt.where(Notification.id == notification_id)
    rows = list(session.scalars(stmt))
    if notification_id is not None and not rows:
        mine = session.get(Notification, notification_id)
        if mine is None or mine.person_id != person.id:  # another person's notice does not exist for you
            raise NotFound(N_("no notification %(notification_id)s"), params={"notification_id": notification_id})
    now = utcnow()
    for row in rows:
        row.read_at = now
    session.flush()
    if notification_id is None:  # "mark all as read" here clears the platform badge of these notices too
            platform.mark_all_read(session, person.id, "needs")
    return len(rows)
