"""In-app notifications of the access domain, and who receives them.

The needs domain's notifications render only its own kinds (``needs.messages.NOTIFICATIONS``) on
its own page, so access keeps this small twin: a row per person with ``kind`` + ``params``,
rendered in the reader's language where it is shown. E-mail delivery belongs to another
capability; it can read these rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yizhi.access.feedback_models import AccessNotification
from yizhi.accounts.models import Person, Role
from yizhi.db import utcnow
from yizhi.errors import N_
from yizhi.notify import service as platform

NOTIFICATIONS = {
    "request_submitted": N_("Access request #%(id)s “%(title)s” was submitted and waits for prescreening."),
    "request_returned": N_("Access request #%(id)s “%(title)s” was returned: %(comment)s"),
    "request_in_review": N_("Access request #%(id)s “%(title)s” is in review."),
    "step_assigned": N_("Review step “%(step)s” of access request #%(id)s is yours, due %(due)s."),
    "step_overdue": N_("Review step “%(step)s” of access request #%(id)s is overdue (due %(due)s)."),
    "ready_to_decide": N_("Every review step of access request #%(id)s is done; it waits for your decision."),
    "request_decided": N_("Access request #%(id)s “%(title)s” was decided: %(decision)s."),
    "request_withdrawn": N_("Access request #%(id)s “%(title)s” was withdrawn."),
    "request_message": N_("New message on access request #%(id)s “%(title)s”."),
    "grant_suspended": N_("Grant #%(grant)s was suspended: %(reason)s"),
    "grant_reinstated": N_("Grant #%(grant)s is active again."),
    "grant_revoked": N_("Grant #%(grant)s was revoked: %(reason)s"),
    "grant_expiring": N_("Grant #%(grant)s expires on %(when)s."),
    "grant_expired": N_("Grant #%(grant)s has expired; close it with a closure report or ask for a renewal."),
    "grant_closed": N_("Grant #%(grant)s was closed with a closure report."),
    "issue_filed": N_("A data-quality problem was reported on %(ref)s."),
}


def notification_text(gettext: Callable[[str], str], kind: str, params: dict) -> str:
    template = NOTIFICATIONS.get(kind)
    if template is None:
        return kind
    values = {key: "" for key in ("id", "title", "comment", "step", "due", "decision", "grant", "reason", "when", "ref")}
    values.update({k: gettext(v) if k == "decision" else v for k, v in (params or {}).items()})
    try:
        return gettext(template) % values
    except (KeyError, ValueError, TypeError):
        return template % values


def notify(session: Session, person_ids: Iterable[int], kind: str, params: dict, link: str, *,
           actor: Person | None = None) -> int:
    """One notification per person concerned (never to the person who caused it), here and on the platform."""
    return platform.fan_out(session, person_ids,
                            lambda person_id: AccessNotification(person_id=person_id, kind=kind, params=params, link=link),
                            f"access.{kind}", NOTIFICATIONS.get(kind, kind), params, link, actor=actor, coded=("decision",))


def org_people(session: Session, org_id: int, roles: Iterable[Role] = (Role.owner, Role.member)) -> list[int]:
    return platform.org_people(session, org_id, roles)


def commission_staff(session: Session) -> list[int]:
    return platform.commission_staff(session)


def notifications_for(session: Session, person: Person, *, unread_only: bool = False,
                      limit: int = 100) -> list[AccessNotification]:
    stmt = select(AccessNotification).where(AccessNotification.person_id == person.id)
    if unread_only:
        stmt = stmt.where(AccessNotification.read_at.is_(None))
    return list(session.scalars(stmt.order_by(AccessNotification.id.desc()).limit(limit)))


def unread_count(session: Session, person: Person) -> int:
    return session.scalar(select(func.count()).select_from(AccessNotification).where(
        AccessNotification.person_id == person.id, AccessNotification.read_at.is_(None))) or 0


def mark_read(session: Session, person: Person) -> int:
    rows = list(session.scalars(select(AccessNotification).where(
        AccessNotification.person_id == person.id, AccessNotification.read_at.is_(None))))
    now = utcnow()
    for row in rows:
        row.read_at = now
    session.flush()
    platform.mark_all_read(session, person.id, "access")  # clears the platform badge of these notices too
    return len(rows)
