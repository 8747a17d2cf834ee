"""A need's lifecycle: create, edit, submit, review, publish, close.

Need lifecycle (every transition in ``TRANSITIONS``; anything else is refused)::

    draft ─submit─► submitted ─start_review─► under_review ─approve─► published
      ▲                 │                         │                     │ accept interest
      └──── returned ◄──┴──────── return ─────────┘                     ▼
            (edit, submit again)                                 in_engagement ─start pilot─► piloting
                                                                        │                      │ close pilot
                                            close (no pilot) ───────────┴─────────► closed ◄───┘
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from yizhi.accounts.models import Organization, OrgKind, Person
from yizhi.db import utcnow
from yizhi.errors import N_, Conflict, NotFound, ValidationFailed
from yizhi.needs import permissions
from yizhi.needs.common import check, embed, fill_category, write_ledger
from yizhi.needs.index import need_document
from yizhi.needs.models import Level, Need, NeedStatus
from yizhi.needs.notifications import commission_staff, notify, org_members
from yizhi.needs.schemas import NeedIn


TRANSITIONS: dict[tuple[NeedStatus, str], NeedStatus] = {
    (NeedStatus.draft, "submit"): NeedStatus.submitted,
    (NeedStatus.returned, "submit"): NeedStatus.submitted,
    (NeedStatus.submitted, "start_review"): NeedStatus.under_review,
    (NeedStatus.submitted, "approve"): NeedStatus.published,
    (NeedStatus.under_review, "approve"): NeedStatus.published,
    (NeedStatus.submitted, "return"): NeedStatus.returned,
    (NeedStatus.under_review, "return"): NeedStatus.returned,
    (NeedStatus.published, "engage"): NeedStatus.in_engagement,
    (NeedStatus.in_engagement, "start_pilot"): NeedStatus.piloting,
    (NeedStatus.in_engagement, "disengage"): NeedStatus.published,
    (NeedStatus.piloting, "close"): NeedStatus.closed,
    (NeedStatus.published, "close"): NeedStatus.closed,
    (NeedStatus.in_engagement, "close"): NeedStatus.closed,
}


def transition(need: Need, action: str) -> None:
    target = TRANSITIONS.get((need.status, action))
    if target is None:
        allowed = sorted(a for (state, a) in TRANSITIONS if state == need.status)
        raise Conflict(N_("a need that is %(status)s does not allow '%(action)s' (allowed: %(allowed)s)"),
                       params={"status": need.status.value, "action": action, "allowed": ", ".join(allowed) or "-"})
    need.status = target
    need.updated_at = utcnow()


NEED_FIELDS = (
    "title", "description", "importance", "urgency", "department", "modalities", "data_available",
    "expected_outcome", "success_measures", "budget_min", "budget_max", "deadline", "contact_name", "contact_info",
)


def set_need_fields(need: Need, data: NeedIn) -> None:
    for name in NEED_FIELDS:
        setattr(need, name, getattr(data, name))
    need.importance, need.urgency = Level(data.importance), Level(data.urgency)


def _apply_need(need: Need, data: NeedIn) -> None:
    set_need_fields(need, data)
    vector = embed(need, need_document(need))
    fill_category(need, data.category, vector)
    need.updated_at = utcnow()


def create_need(session: Session, person: Person | None, org: Organization, data: NeedIn) -> Need:
    check(person, "needs.create", org)
    if org.kind != OrgKind.hospital:
        raise ValidationFailed(N_("%(slug)s is not a hospital; only hospitals file clinical needs"), params={"slug": org.slug}, field="org")
    need = Need(org_id=org.id, created_by_id=person.id if person else None, status=NeedStatus.draft, category="other")
    _apply_need(need, data)
    session.add(need)
    session.flush()
    return need


def update_need(session: Session, person: Person | None, need: Need, data: NeedIn) -> Need:
    check(person, "needs.edit", need)
    if need.status not in permissions.EDITABLE_NEED_STATES:
        raise Conflict(N_("a need that is %(status)s can no longer be edited"), params={"status": need.status.value})
    _apply_need(need, data)
    session.flush()
    return need


def get_need(session: Session, person: Person | None, need_id: int) -> Need:
    need = session.get(Need, need_id)
    if need is None:
        raise NotFound(N_("no need %(need_id)s"), params={"need_id": need_id})
    check(person, "needs.view", need)
    return need


def find_need(session: Session, reference: str) -> Need:
    """A need by id, or by external id (the CLI's NEED argument)."""
    if reference.isdigit():
        need = session.get(Need, int(reference))
        if need is not None:
            return need
    found = list(session.scalars(select(Need).where(Need.external_id == reference)).all())
    if not found:
        raise NotFound(N_("no need with id or external id '%(reference)s'"), params={"reference": reference})
    if len(found) > 1:
        orgs = ", ".join(sorted(n.organization.slug for n in found))
        raise Conflict(N_("external id '%(reference)s' is used by several organisations (%(orgs)s); give the numeric id"), params={"reference": reference, "orgs": orgs})
    return found[0]


def delete_draft(session: Session, person: Person | None, need: Need) -> None:
    """Delete a draft (never submitted, so no one outside the hospital has seen it)."""
    check(person, "needs.delete", need)
    if need.status != NeedStatus.draft:
        raise Conflict(N_("only drafts can be deleted; a need that is %(status)s keeps its history"),
                       params={"status": need.status.value})
    session.delete(need)
    session.flush()


def submit_need(session: Session, person: Person | None, need: Need) -> Need:
    check(person, "needs.submit", need)
    transition(need, "submit")
    need.submitted_at = utcnow()
    notify(session, commission_staff(session), "need_submitted", {"need_id": need.id, "title": need.title},
           f"/needs/{need.id}", actor=person)
    session.flush()
    return need


def start_review(session: Session, person: Person | None, need: Need) -> Need:
    check(person, "needs.review", need)
    transition(need, "start_review")
    need.reviewed_by_id = person.id if person else None
    _notify_need_org(session, need, "need_under_review", person)
    return need


def review_need(session: Session, person: Person | None, need: Need, decision: str, comment: str = "") -> Need:
    check(person, "needs.review", need)
    if decision == "return":
        if not comment.strip():
            raise ValidationFailed("say what the hospital should change when returning a need", field="comment")
        transition(need, "return")
        need.review_comment = comment.strip()
        need.reviewed_by_id = person.id if person else None
        _notify_need_org(session, need, "need_returned", person)
        return need
    if decision != "approve":
        raise ValidationFailed("decision must be approve or return", field="decision")
    publish_need(session, person, need, comment)
    return need


def publish_need(session: Session, person: Person | None, need: Need, comment: str = "") -> None:
    transition(need, "approve")
    need.review_comment = comment.strip()
    need.reviewed_by_id = person.id if person else None
    need.published_at = utcnow()
    write_ledger(session, "need.published", f"need:{need.id}", {"need_id": need.id, "category": need.category},
            person, need.organization)
    _notify_need_org(session, need, "need_published", person)


def close_need(session: Session, person: Person | None, need: Need) -> Need:
    check(person, "needs.close", need)
    transition(need, "close")
    need.closed_at = utcnow()
    _notify_need_org(session, need, "need_closed", person)
    return need


def _notify_need_org(session: Session, need: Need, kind: str, actor: Person | None) -> None:
    recipients = org_members(session, need.org_id)
    notify(session, recipients, kind, {"need_id": need.id, "title": need.title}, f"/needs/{need.id}", actor=actor)
    session.flush()
