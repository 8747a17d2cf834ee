"""The platform's one notification service: an in-app notice per recipient (message id + values,
rendered in the reader's language when shown) and, where the person asked for it, an e-mail.

Domains call :func:`notify` with people or with an organisation and roles::

    from yizhi.notify import service as notices
    notices.notify(db, notices.OrgRoles(org.id), "needs.interest_expressed",
                   N_("%(company)s is interested in “%(title)s”."), {"company": c, "title": t},
                   f"/needs/{need.id}", actor=person)

The caller commits (the notices and the e-mail jobs go in its transaction).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from yizhi.accounts.models import Membership, Organization, OrgKind, Person, Role
from yizhi.db import utcnow
from yizhi.errors import N_, NotFound
from yizhi.notify.models import Notification, NotifyPreference

EMAIL_SUBJECT = N_("New notification on YiZhi")
PAGE_SIZE = 50
MAX_PARAM_CHARS = 500  # values are titles and reasons; a notice is not where a document is kept


@dataclass(frozen=True)
class OrgRoles:
    """Everyone of ``org_id`` holding one of ``roles`` (owners and members by default)."""

    org_id: int
    roles: tuple[Role, ...] = (Role.owner, Role.member)


class _Blank(dict):
    """Values for a message: a value the message names but the notice lacks renders empty."""

    def __missing__(self, key):
        return ""


def recipients(session: Session, to: Iterable[int] | OrgRoles) -> list[int]:
    if isinstance(to, OrgRoles):
        return sorted(set(session.scalars(select(Membership.person_id).where(
            Membership.organization_id == to.org_id, Membership.role.in_(list(to.roles))))))
    return sorted({int(person_id) for person_id in to})


def _clean(params: dict | None) -> dict:
    cleaned = {}
    for key, value in (params or {}).items():
        if value is None or isinstance(value, (bool, int, float)):
            cleaned[str(key)] = value
        else:
            cleaned[str(key)] = str(value)[:MAX_PARAM_CHARS]
    return cleaned


def notify(session: Session, to: Iterable[int] | OrgRoles, kind: str, msgid: str, params: dict | None = None,
           link: str = "", *, actor: Person | None = None, coded: Iterable[str] = (), email: bool = True) -> int:
    """One notice per recipient (never to the person who caused it); returns how many were made."""
    values, coded_keys = _clean(params), sorted(set(coded))
    made = 0
    for person_id in recipients(session, to):
        if actor is not None and person_id == actor.id:
            continue
        notice = Notification(person_id=person_id, kind=kind[:80], msgid=msgid, params=values,
                              coded=coded_keys, link=(link or "")[:300])
        session.add(notice)
        made += 1
        if email:
            _email_if_wanted(session, person_id, notice)
    session.flush()
    return made


def fan_out(session: Session, person_ids: Iterable[int], domain_row: Callable[[int], object], kind: str, msgid: str,
            params: dict | None, link: str, *, actor: Person | None = None, coded: Iterable[str] = ()) -> int:
    """A domain's own notice row per person (``domain_row(person_id)``), never to the person who caused
    it, and the same notice in the platform's list, badge and e-mail; returns how many domain rows.

    Why both: a domain's page lists and marks its own notices (needs, access, market), while the badge
    and the e-mail come from here; before this, each domain carried a copy of the loop."""
    people = sorted(set(person_ids))
    sent = 0
    for person_id in people:
        if actor is not None and person_id == actor.id:
            continue
        session.add(domain_row(person_id))
        sent += 1
    session.flush()
    notify(session, people, kind, msgid, params, link, actor=actor, coded=coded)
    return sent


def org_people(session: Session, org_id: int, roles: Iterable[Role] = (Role.owner, Role.member)) -> list[int]:
    """Ids of the people holding one of ``roles`` in the organisation ``org_id``."""
    return list(session.scalars(select(Membership.person_id).where(
        Membership.organization_id == org_id, Membership.role.in_(list(roles)))))


def people_of_kind(session: Session, kind: OrgKind,
                   roles: Iterable[Role] = (Role.owner, Role.member, Role.reviewer)) -> list[int]:
    """Ids of the people holding one of ``roles`` in any approved organisation of ``kind``."""
    return list(session.scalars(select(Membership.person_id).join(
        Organization, Organization.id == Membership.organization_id).where(
        Organization.kind == kind, Organization.approved.is_(True), Membership.role.in_(list(roles)))))


def commission_staff(session: Session) -> list[int]:
    """Owners, members and reviewers of the approved commission organisations."""
    return people_of_kind(session, OrgKind.commission)


def render_text(gettext: Callable[[str], str], msgid: str, params: dict, coded: Iterable[str] = ()) -> str:
    """The notice in the language of ``gettext``; a broken translation falls back to the English."""
    values = _Blank({k: (gettext(v) if k in set(coded) and isinstance(v, str) else v) for k, v in (params or {}).items()})
    try:
        return gettext(msgid) % values
    except (KeyError, ValueError, TypeError):
        try:
            return msgid % values
        except (KeyError, ValueError, TypeError):
            return msgid


def text_of(notice: Notification, gettext: Callable[[str], str]) -> str:
    return render_text(gettext, notice.msgid, notice.params or {}, notice.coded or [])


# ----- e-mail -------------------------------------------------------------------------------------
def wants_email(session: Session, person_id: int) -> bool:
    preference = session.get(NotifyPreference, person_id)
    return bool(preference and preference.email)


def set_email_preference(session: Session, person: Person, email: bool) -> NotifyPreference:
    preference = session.get(NotifyPreference, person.id)
    if preference is None:
        preference = NotifyPreference(person_id=person.id)
        session.add(preference)
    preference.email, preference.updated_at = bool(email), utcnow()
    session.flush()
    return preference


def _email_if_wanted(session: Session, person_id: int, notice: Notification) -> None:
    if not wants_email(session, person_id):
        return
    person = session.get(Person, person_id)
    if person is None or not person.is_active:
        return
    from yizhi.jobs import service as jobs
    from yizhi.notify.mail import FOOTER, JOB_KIND
    from yizhi.web.i18n import DEFAULT_LOCALE, gettext
    from yizhi.web.links import absolute_url

    locale = person.locale or DEFAULT_LOCALE
    translate = lambda message: gettext(locale, message)  # noqa: E731
    body = render_text(translate, notice.msgid, notice.params, notice.coded)
    if notice.link:
        body += "\n\n" + absolute_url(notice.link)
    body += "\n\n-- \n" + translate(FOOTER)
    jobs.enqueue(session, JOB_KIND, {"to": person.email, "subject": translate(EMAIL_SUBJECT), "body": body},
                 max_attempts=5)


# ----- reading and marking ------------------------------------------------------------------------
def unread_count(session: Session, person_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Notification).where(
        Notification.person_id == person_id, Notification.read_at.is_(None))) or 0


def _filtered(person_id: int, *, unread_only: bool = False, domain: str | None = None):
    stmt = select(Notification).where(Notification.person_id == person_id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    if domain:
        stmt = stmt.where(Notification.kind.startswith(domain + ".", autoescape=True))
    return stmt


def list_for(session: Session, person_id: int, *, unread_only: bool = False, domain: str | None = None,
             limit: int = PAGE_SIZE, offset: int = 0) -> tuple[list[Notification], int]:
    """A page of this person's notices, newest first, and how many match in all."""
    stmt = _filtered(person_id, unread_only=unread_only, domain=domain)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(Notification.id.desc()).limit(limit).offset(offset))
    return list(rows), total


def domains_for(session: Session, person_id: int) -> list[str]:
    kinds = session.scalars(select(Notification.kind).where(Notification.person_id == person_id).distinct())
    return sorted({kind.split(".", 1)[0] for kind in kinds})


def mark_read(session: Session, person_id: int, notification_id: int) -> Notification:
    """Mark one of this person's notices read; another person's notice does not exist for them."""
    notice = session.get(Notification, notification_id)
    if notice is None or notice.person_id != person_id:
        raise NotFound(N_("no notification %(id)s"), params={"id": notification_id})
    if notice.read_at is None:
        notice.read_at = utcnow()
        session.flush()
    return notice


def mark_all_read(session: Session, person_id: int, domain: str | None = None) -> int:
    stmt = update(Notification).where(Notification.person_id == person_id, Notification.read_at.is_(None))
    if domain:
        stmt = stmt.where(Notification.kind.startswith(domain + ".", autoescape=True))
    result = session.execute(stmt.values(read_at=utcnow()).execution_options(synchronize_session=False))
    return result.rowcount or 0
