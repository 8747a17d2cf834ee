"""What the API and the pages both show of a request, and small lookups they share."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from yizhi.access import request_service as requests
from yizhi.access.permissions import HOLDER_READERS
from yizhi.access.review_service import is_overdue
from yizhi.accounts.models import Organization, Person
from yizhi.accounts.permissions import acting_role, authorize
from yizhi.errors import N_, NotFound, ValidationFailed


def people_by_id(session: Session, ids) -> dict[int, Person]:
    ids = sorted({int(i) for i in ids if i is not None})
    return {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(ids)))} if ids else {}


def request_public(session: Session, person: Person, request) -> dict:
    """The request as its readers see it: content, steps with deadlines, history, versions, messages."""
    team = people_by_id(session, request.team_ids or [])
    return {
        "id": request.id, "family_id": request.family_id, "version": request.version,
        "change": request.change.value, "change_reason": request.change_reason,
        "state": request.state.value, "kind": request.kind.value, "title": request.title,
        "purpose": request.purpose, "lay_summary": request.lay_summary, "org": request.organization.slug,
        "holder": request.holder.slug, "mode": request.mode, "duration_days": request.duration_days,
        "datasets": [{"ref": d.version.ref, "columns": d.columns, "reasons": d.reasons, "series": d.series,
                      "series_reason": d.series_reason} for d in request.datasets],
        "team": [team[i].email for i in request.team_ids or [] if i in team],
        "legal_basis": request.legal_basis, "funding": request.funding, "outputs": request.outputs,
        "ethics": {"reference": request.ethics_reference, "file_sha256": request.ethics_file,
                   "filename": request.ethics_filename, "bytes": request.ethics_bytes},
        "prescreen_comment": request.prescreen_comment,
        "steps": [{"position": s.position, "name": s.name, "reviewers": s.reviewer_ids, "days": s.days,
                   "state": s.state.value, "due_at": s.due_at.isoformat() if s.due_at else None,
                   "overdue": is_overdue(s), "approve": s.approve, "comment": s.comment} for s in request.steps],
        "decision": request.decision, "decision_reason": request.decision_reason,
        "conditions": request.conditions, "auto_approved": request.auto_approved, "grant_id": request.grant_id,
        "submitted_at": request.submitted_at.isoformat() if request.submitted_at else None,
        "decided_at": request.decided_at.isoformat() if request.decided_at else None,
        "history": [{"action": e.action, "from": e.from_state, "to": e.to_state, "comment": e.comment,
                     "at": e.at.isoformat()} for e in request.events],
        "versions": [{"id": v.id, "version": v.version, "change": v.change.value, "state": v.state.value}
                     for v in requests.family(session, request)],
        "messages": [{"side": m.side, "private": m.private, "body": m.body, "at": m.created_at.isoformat()}
                     for m in requests.messages_for(session, person, request)],
    }


def feedback_org(session: Session, person: Person, slug: str | None) -> Organization:
    """The data holder whose feedback this person reads: the one named, or their first."""
    if slug:
        org = session.scalar(select(Organization).where(Organization.slug == slug[:64]))
        if org is None:
            raise NotFound(N_("no organisation %(slug)s"), params={"slug": slug[:64]})
        authorize(person, "access.feedback.view", org)
        return org
    orgs = holder_orgs(person)
    if not orgs:
        raise ValidationFailed(N_("you read feedback as an owner, member or reviewer of an organisation"), field="org")
    return orgs[0]


def holder_orgs(person: Person) -> list[Organization]:
    """Organisations whose datasets' feedback this person reads, by slug."""
    return sorted((m.organization for m in person.memberships
                   if m.organization.approved and acting_role(person, m.organization) in HOLDER_READERS),
                  key=lambda org: org.slug)
