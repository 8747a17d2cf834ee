"""A readable event history built from the ledger's entries: who did what to which object, with
names instead of ids, filtered and paged; commission staff see all of it, an organisation's owner
the events of that organisation.

The ledger stores ids and hashes only; names are looked up here, when a permitted reader asks, in
one query per kind of object on the page (never one per row).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yizhi.accounts.models import Organization, Person, Role
from yizhi.accounts.permissions import acting_role, is_platform_admin
from yizhi.errors import N_, PermissionDenied, ValidationFailed
from yizhi.ledger.history_labels import ACTOR_LABELS, EVENT_LABELS, OBJECT_LABELS
from yizhi.ledger.models import LedgerEntry

PAGE_SIZE = 50
EXPORT_LIMIT = 50_000
LOCAL_ZONE = ZoneInfo("Asia/Shanghai")  # pages show Beijing time; a date filter means a Beijing day
_PERSON_ACTOR = re.compile(r"^(?:(?:user|person):)?(\d{1,18})$")


def readable_orgs(person: Person) -> list[Organization] | None:
    """None: every organisation (commission staff); otherwise the ones this person owns."""
    if is_platform_admin(person):
        return None
    return [m.organization for m in person.memberships if acting_role(person, m.organization) == Role.owner]


@dataclass
class Filters:
    org: str = ""
    person: str = ""    # an e-mail address
    kind: str = ""      # an exact kind, or a domain prefix ending in "."
    since: str = ""     # YYYY-MM-DD, Beijing time
    until: str = ""


def _day(value: str, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(N_("%(value)s is not a date (YYYY-MM-DD)"), params={"value": value[:40]},
                               field=field) from None


def _utc_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=LOCAL_ZONE).astimezone(ZoneInfo("UTC"))


def _actor_values(person_id: int) -> list[str]:
    return [str(person_id), f"user:{person_id}", f"person:{person_id}"]


def query(session: Session, viewer: Person, filters: Filters):
    """The entries this viewer may read that match the filters (a SELECT, newest first)."""
    stmt = select(LedgerEntry)
    allowed = readable_orgs(viewer)
    if allowed is not None:
        if not allowed:
            raise PermissionDenied(N_("only commission staff and organisation owners may read the event history"))
        stmt = stmt.where(LedgerEntry.org.in_([org.slug for org in allowed]))
    if filters.org:
        stmt = stmt.where(LedgerEntry.org == filters.org)
    if filters.person:
        found = session.scalar(select(Person.id).where(func.lower(Person.email) == filters.person.strip().lower()))
        stmt = stmt.where(LedgerEntry.actor.in_(_actor_values(found if found is not None else -1)))
    if filters.kind:
        stmt = stmt.where(LedgerEntry.kind.startswith(filters.kind, autoescape=True) if filters.kind.endswith(".")
                          else LedgerEntry.kind == filters.kind)
    since, until = _day(filters.since, "since"), _day(filters.until, "until")
    if since:
        stmt = stmt.where(LedgerEntry.recorded_at >= _utc_start(since))
    if until:
        stmt = stmt.where(LedgerEntry.recorded_at < _utc_start(until + timedelta(days=1)))
    return stmt.order_by(LedgerEntry.index.desc())


def page(session: Session, viewer: Person, filters: Filters, number: int = 1) -> tuple[list[LedgerEntry], int]:
    stmt = query(session, viewer, filters)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = session.scalars(stmt.limit(PAGE_SIZE).offset((number - 1) * PAGE_SIZE))
    return list(rows), total


def kinds_in_view(session: Session, viewer: Person) -> list[str]:
    stmt = select(LedgerEntry.kind).distinct()
    allowed = readable_orgs(viewer)
    if allowed is not None:
        stmt = stmt.where(LedgerEntry.org.in_([org.slug for org in allowed]))
    return sorted(session.scalars(stmt))


# ----- names instead of ids ----------------------------------------------------------------------
def _split(subject: str) -> tuple[str, str]:
    kind, _, ident = subject.partition(":")
    return kind, ident


def _names_by_type(session: Session, wanted: dict[str, set[str]], locale: str) -> dict[tuple[str, str], str]:
    """{(object type, id): name} for the objects on the page that have a name."""
    names: dict[tuple[str, str], str] = {}

    def ids(kind: str) -> list[int]:
        return [int(i) for i in wanted.get(kind, ()) if i.isdigit() and len(i) < 18]

    def fill(kind: str, rows: Iterable[tuple[int, str]]) -> None:
        names.update({(kind, str(i)): name for i, name in rows})

    if ids("org"):
        fill("org", ((o.id, o.display_name(locale)) for o in session.scalars(
            select(Organization).where(Organization.id.in_(ids("org"))))))
    for kind in ("person", "user"):
        if ids(kind):
            fill(kind, session.execute(select(Person.id, Person.display_name).where(Person.id.in_(ids(kind)))).all())
    from yizhi.needs.models import Engagement, Need

    if ids("need"):
        fill("need", session.execute(select(Need.id, Need.title).where(Need.id.in_(ids("need")))).all())
    if ids("engagement"):
        fill("engagement", session.execute(select(Engagement.id, Need.title).join(Need, Need.id == Engagement.need_id)
                                           .where(Engagement.id.in_(ids("engagement")))).all())
    from yizhi.catalog.models import Dataset, DatasetVersion

    if ids("dataset"):
        fill("dataset", session.execute(select(Dataset.id, Dataset.title).where(Dataset.id.in_(ids("dataset")))).all())
    if ids("dataset_version"):
        rows = session.execute(select(DatasetVersion.id, Dataset.slug, DatasetVersion.number)
                               .join(Dataset, Dataset.id == DatasetVersion.dataset_id)
                               .where(DatasetVersion.id.in_(ids("dataset_version")))).all()
        fill("dataset_version", ((i, f"{slug}@{number}") for i, slug, number in rows))
    from yizhi.access.request_models import AccessRequest
    from yizhi.market.models import Product

    if ids("access_request"):
        fill("access_request", session.execute(select(AccessRequest.id, AccessRequest.title)
                                               .where(AccessRequest.id.in_(ids("access_request")))).all())
    if ids("product"):
        fill("product", session.execute(select(Product.id, Product.name).where(Product.id.in_(ids("product")))).all())
    return names


@dataclass
class Row:
    index: int
    recorded_at: datetime
    kind: str
    event: str
    actor: str
    org: str
    object: str
    subject: str


def readable(session: Session, entries: list[LedgerEntry], gettext: Callable[[str], str], locale: str) -> list[Row]:
    wanted: dict[str, set[str]] = {}
    for entry in entries:
        kind, ident = _split(entry.subject)
        wanted.setdefault(kind, set()).add(ident)
        match = _PERSON_ACTOR.match(entry.actor or "")
        if match:
            wanted.setdefault("person", set()).add(match.group(1))
    names = _names_by_type(session, wanted, locale)
    slugs = {entry.org for entry in entries if entry.org}
    org_names = {o.slug: o.display_name(locale) for o in session.scalars(
        select(Organization).where(Organization.slug.in_(slugs)))} if slugs else {}
    return [_row(entry, names, org_names, gettext) for entry in entries]


def _row(entry: LedgerEntry, names: dict, org_names: dict, gettext: Callable[[str], str]) -> Row:
    kind, ident = _split(entry.subject)
    label = gettext(OBJECT_LABELS[kind]) if kind in OBJECT_LABELS else kind
    name = names.get((kind, ident))
    obj = f"{label} “{name}”" if name else f"{label} #{ident}" if ident else label
    match = _PERSON_ACTOR.match(entry.actor or "")
    if match:
        actor = names.get(("person", match.group(1))) or gettext("person") + f" #{match.group(1)}"
    else:
        actor = gettext(ACTOR_LABELS[entry.actor]) if entry.actor in ACTOR_LABELS else (entry.actor or "—")
    event = gettext(EVENT_LABELS[entry.kind]) if entry.kind in EVENT_LABELS else entry.kind
    return Row(index=entry.index, recorded_at=entry.recorded_at, kind=entry.kind, event=event, actor=actor,
               org=org_names.get(entry.org or "", entry.org or ""), object=obj, subject=entry.subject)


def export_rows(session: Session, viewer: Person, filters: Filters, gettext, locale: str) -> Iterable[list]:
    """CSV rows (header first) of every matching entry, up to EXPORT_LIMIT, cells formula-escaped."""
    from yizhi.exports import safe_row

    yield [gettext("Entry"), gettext("Time (UTC)"), gettext("Organisation"), gettext("Who"), gettext("What"),
           gettext("Object"), gettext("Event code"), gettext("Subject")]
    stmt = query(session, viewer, filters).limit(EXPORT_LIMIT)
    batch: list[LedgerEntry] = []
    for entry in session.scalars(stmt):
        batch.append(entry)
        if len(batch) == 500:
            yield from _csv(session, batch, gettext, locale, safe_row)
            batch = []
    yield from _csv(session, batch, gettext, locale, safe_row)


def _csv(session, batch, gettext, locale, safe_row):
    for row in readable(session, batch, gettext, locale):
        yield safe_row([row.index, row.recorded_at.isoformat(), row.org, row.actor, row.event, row.object,
                        row.kind, row.subject])
