"""Engagements (a company's interest in a need) and the pilots that follow them."""

from __future__ import annotations

import hashlib
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from yizhi.accounts.models import OrgKind, Person
from yizhi.accounts.permissions import authorize, is_platform_admin
from yizhi.db import utcnow
from yizhi.errors import N_, Conflict, NotFound, PermissionDenied, ValidationFailed
from yizhi.needs import permissions
from yizhi.needs.common import check, write_ledger
from yizhi.needs.lifecycle import transition
from yizhi.needs.models import Engagement, EngagementMessage, EngagementStatus, Need, NeedStatus, Pilot, PilotStatus, Solution
from yizhi.needs.notifications import notify, org_members
from yizhi.needs.schemas import InterestIn, PilotCloseIn, PilotIn


def express_interest(session: Session, person: Person, need: Need, data: InterestIn) -> Engagement:
    authorize(person, "needs.interest", need)
    companies = permissions.writer_orgs(person, (OrgKind.company, OrgKind.university))
    if data.org:
        companies = [o for o in companies if o.slug == data.org]
        if not companies:
            raise PermissionDenied(N_("you cannot act for '%(org)s'"), params={"org": data.org})
    company = companies[0]
    solution = None
    if data.solution_id is not None:
        solution = session.get(Solution, data.solution_id)
        if solution is None or solution.org_id != company.id:
            raise ValidationFailed("the solution must be one of your organisation's", field="solution_id")
    open_one = session.scalar(select(Engagement).where(
        Engagement.need_id == need.id, Engagement.company_org_id == company.id,
        Engagement.status.in_([EngagementStatus.pending, EngagementStatus.accepted])))
    if open_one is not None:
        raise Conflict(N_("%(slug)s already has an open engagement on this need (#%(id)s)"), params={"slug": company.slug, "id": open_one.id})
    engagement = Engagement(need_id=need.id, solution_id=solution.id if solution else None, company_org_id=company.id,
                            created_by_id=person.id, message=data.message, proposed_approach=data.proposed_approach)
    session.add(engagement)
    session.flush()
    write_ledger(session, "engagement.interest_expressed", f"engagement:{engagement.id}",
            {"engagement_id": engagement.id, "need_id": need.id, "solution_id": engagement.solution_id},
            person, company)
    notify(session, org_members(session, need.org_id), "interest_expressed",
           {"need_id": need.id, "title": need.title, "company": company.name,
            "company_en": company.display_name("en")}, f"/needs/engagements/{engagement.id}",
           actor=person)
    return engagement


def get_engagement(session: Session, person: Person | None, engagement_id: int) -> Engagement:
    engagement = session.get(Engagement, engagement_id)
    if engagement is None:
        raise NotFound(N_("no engagement %(engagement_id)s"), params={"engagement_id": engagement_id})
    check(person, "engagements.view", engagement)
    return engagement


def decide_engagement(session: Session, person: Person | None, engagement: Engagement, accept: bool, note: str = "") -> Engagement:
    check(person, "engagements.decide", engagement)
    if engagement.status != EngagementStatus.pending:
        raise Conflict(N_("this engagement is already %(status)s"), params={"status": engagement.status.value})
    engagement.status = EngagementStatus.accepted if accept else EngagementStatus.declined
    engagement.decision_note = note
    engagement.decided_by_id = person.id if person else None
    engagement.decided_at = utcnow()
    need = engagement.need
    if accept:
        if need.status == NeedStatus.published:
            transition(need, "engage")
        write_ledger(session, "engagement.accepted", f"engagement:{engagement.id}",
                {"engagement_id": engagement.id, "need_id": need.id}, person, need.organization)
    kind = "engagement_accepted" if accept else "engagement_declined"
    notify(session, org_members(session, engagement.company_org_id), kind,
           {"need_id": need.id, "title": need.title}, f"/needs/engagements/{engagement.id}", actor=person)
    session.flush()
    return engagement


def withdraw_engagement(session: Session, person: Person, engagement: Engagement) -> Engagement:
    """The company steps back; a need left with no accepted engagement is open to others again."""
    authorize(person, "engagements.withdraw", engagement)
    was_accepted = engagement.status == EngagementStatus.accepted
    engagement.status = EngagementStatus.withdrawn
    session.flush()
    need = engagement.need
    still_engaged = session.scalar(select(Engagement.id).where(
        Engagement.need_id == need.id, Engagement.status == EngagementStatus.accepted).limit(1))
    if was_accepted and need.status == NeedStatus.in_engagement and still_engaged is None:
        transition(need, "disengage")
    notify(session, org_members(session, need.org_id), "engagement_withdrawn",
           {"need_id": need.id, "title": need.title, "company": engagement.company.name,
            "company_en": engagement.company.display_name("en")},
           f"/needs/engagements/{engagement.id}", actor=person)
    session.flush()
    return engagement


def post_message(session: Session, person: Person, engagement: Engagement, body: str) -> EngagementMessage:
    authorize(person, "engagements.message", engagement)
    org_id = engagement.company_org_id if permissions.acts_for(person, engagement.company_org_id) else engagement.need.org_id
    message = EngagementMessage(engagement_id=engagement.id, author_id=person.id, org_id=org_id, body=body.strip())
    session.add(message)
    other = engagement.need.org_id if org_id == engagement.company_org_id else engagement.company_org_id
    notify(session, org_members(session, other), "engagement_message",
           {"need_id": engagement.need_id, "title": engagement.need.title}, f"/needs/engagements/{engagement.id}",
           actor=person)
    session.flush()
    return message


def start_pilot(session: Session, person: Person | None, engagement: Engagement, data: PilotIn) -> Pilot:
    check(person, "pilots.start", engagement)
    if session.scalar(select(Pilot).where(Pilot.engagement_id == engagement.id)) is not None:
        raise Conflict("this engagement already has a pilot")
    need = engagement.need
    transition(need, "start_pilot")
    pilot = Pilot(engagement_id=engagement.id, **data.model_dump())
    session.add(pilot)
    session.flush()
    write_ledger(session, "pilot.started", f"pilot:{pilot.id}",
            {"pilot_id": pilot.id, "engagement_id": engagement.id, "need_id": need.id,
             "start_date": pilot.start_date.isoformat()}, person, need.organization)
    for org_id in (need.org_id, engagement.company_org_id):
        notify(session, org_members(session, org_id), "pilot_started", {"need_id": need.id, "title": need.title},
               f"/needs/engagements/{engagement.id}", actor=person)
    return pilot


def close_pilot(session: Session, person: Person | None, pilot: Pilot, data: PilotCloseIn) -> Pilot:
    check(person, "pilots.close", pilot)
    if pilot.status != PilotStatus.running:
        raise Conflict("this pilot is already closed")
    pilot.status = PilotStatus.closed
    pilot.closing_report = data.closing_report
    pilot.feedback = data.feedback
    pilot.closed_at = utcnow()
    if pilot.end_date is None:
        pilot.end_date = date.today()
    need = pilot.engagement.need
    transition(need, "close")
    need.closed_at = utcnow()
    write_ledger(session, "pilot.closed", f"pilot:{pilot.id}",
            {"pilot_id": pilot.id, "need_id": need.id,
             "report_sha256": hashlib.sha256(data.closing_report.encode()).hexdigest()}, person, need.organization)
    for org_id in (need.org_id, pilot.engagement.company_org_id):
        notify(session, org_members(session, org_id), "pilot_closed", {"need_id": need.id, "title": need.title},
               f"/needs/engagements/{pilot.engagement_id}", actor=person)
    session.flush()
    return pilot


def engagements_for(session: Session, person: Person, need: Need | None = None) -> list[Engagement]:
    own = [m.organization_id for m in person.memberships] or [-1]
    stmt = select(Engagement).join(Need, Need.id == Engagement.need_id)
    if not is_platform_admin(person):
        stmt = stmt.where(or_(Engagement.company_org_id.in_(own), Need.org_id.in_(own)))
    if need is not None:
        stmt = stmt.where(Engagement.need_id == need.id)
    return list(session.scalars(stmt.order_by(Engagement.created_at.desc())))


def pilot_of(session: Session, engagement: Engagement) -> Pilot | None:
    return session.scalar(select(Pilot).where(Pilot.engagement_id == engagement.id))


def get_pilot(session: Session, person: Person | None, pilot_id: int) -> Pilot:
    pilot = session.get(Pilot, pilot_id)
    if pilot is None:
        raise NotFound(N_("no pilot %(pilot_id)s"), params={"pilot_id": pilot_id})
    check(person, "engagements.view", pilot.engagement)
    return pilot
