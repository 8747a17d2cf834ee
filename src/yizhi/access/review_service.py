"""Reviewing a request: the commission's prescreen, the holder's ordered review steps with
deadlines, the decision with reasons, and the grant it makes (or changes, for a new version of a
granted request). Overdue steps are found here for the dashboard and the periodic notice."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from yizhi import ledger
from yizhi.access import dataset_settings, notify
from yizhi.access.grants import actor_label, create_grant, default_epsilon, scope_hash
from yizhi.access.models import Grant, GrantDataset, GrantKind, GrantMember, GrantMode, GrantState
from yizhi.access.permissions import step_reviewers
from yizhi.access.request_models import AccessRequest, RequestChange, RequestState, ReviewStep, StepState
from yizhi.access.request_service import family, link_to, params
from yizhi.access.schemas import DecideIn, PrescreenIn, RecommendIn
from yizhi.access.workflow import transition
from yizhi.accounts.models import Person
from yizhi.accounts.permissions import authorize
from yizhi.db import utcnow
from yizhi.errors import N_, Conflict, NotFound, ValidationFailed


# ----- prescreen -----------------------------------------------------------------------------------
def start_prescreen(session: Session, person: Person | None, request: AccessRequest) -> AccessRequest:
    if person is not None:
        authorize(person, "access.request.prescreen", request)
    transition(session, request, "start_prescreen", person)
    return request


def prescreen(session: Session, person: Person | None, request: AccessRequest, data: PrescreenIn) -> AccessRequest:
    """The commission checks completeness: accept (the holder's steps begin) or return with a comment."""
    if person is not None:
        authorize(person, "access.request.prescreen", request)
    if data.decision == "return" and not data.comment:
        raise ValidationFailed(N_("say what is missing when you return a request"), field="comment")
    request.prescreen_comment = data.comment
    if data.decision == "return":
        transition(session, request, "return", person, comment=data.comment)
        notify.notify(session, notify.org_people(session, request.organization_id), "request_returned",
                      params(request, comment=data.comment[:200]), link_to(request), actor=person)
        return request
    transition(session, request, "accept", person, comment=data.comment)
    _create_steps(session, request)
    _start_step(session, request.steps[0], person)
    notify.notify(session, notify.org_people(session, request.organization_id), "request_in_review",
                  params(request), link_to(request), actor=person)
    return request


def _create_steps(session: Session, request: AccessRequest) -> None:
    """The holder's steps for each requested dataset, in order (a step shared by datasets once)."""
    steps, seen = [], set()
    for entry in request.datasets:
        for step in dataset_settings.review_steps(session, entry.version.dataset):
            key = (step["name"], tuple(step.get("reviewers", [])), step["days"])
            if key not in seen:
                seen.add(key)
                steps.append(step)
    request.steps = [ReviewStep(position=i, name=s["name"], reviewer_ids=list(s.get("reviewers", [])),
                                days=int(s["days"]), state=StepState.waiting) for i, s in enumerate(steps, start=1)]
    session.flush()


def _start_step(session: Session, step: ReviewStep, actor: Person | None) -> None:
    step.state, step.started_at = StepState.active, utcnow()
    step.due_at = step.started_at + timedelta(days=step.days)
    session.flush()
    notify.notify(session, step_reviewers(step), "step_assigned",
                  params(step.request, step=step.name, due=step.due_at.strftime("%Y-%m-%d")),
                  link_to(step.request), actor=actor)


# ----- review steps --------------------------------------------------------------------------------
def get_step(request: AccessRequest, position: int) -> ReviewStep:
    for step in request.steps:
        if step.position == position:
            return step
    raise NotFound(N_("request %(id)s has no review step %(step)s"), params={"id": request.id, "step": position})


def recommend(session: Session, person: Person | None, request: AccessRequest, position: int,
              data: RecommendIn) -> ReviewStep:
    """A reviewer of the active step recommends; the next step starts, or the holder is asked to decide."""
    step = get_step(request, position)
    if person is not None:
        authorize(person, "access.request.recommend", step)
    if step.state != StepState.active:
        raise Conflict(N_("review step %(step)s is not the active one"), params={"step": position})
    if not data.approve and not data.comment:
        raise ValidationFailed(N_("say why when you recommend against"), field="comment")
    step.approve, step.comment, step.state = data.approve, data.comment, StepState.done
    step.recommended_by_id, step.recommended_at = (person.id if person else None), utcnow()
    session.flush()
    ledger.record(session, "access.request_recommended", f"access_request:{request.id}", {
        "request_id": request.id, "step": step.position, "approve": data.approve,
        "late": bool(step.due_at and step.recommended_at > step.due_at),
    }, actor=actor_label(person), org=request.holder.slug)
    following = next((s for s in request.steps if s.state == StepState.waiting), None)
    if following is not None:
        _start_step(session, following, person)
    else:
        owners = [m.person_id for m in request.holder.memberships if m.role.value == "owner"]
        notify.notify(session, owners, "ready_to_decide", params(request), link_to(request), actor=person)
    return step


def overdue_steps(session: Session, *, now: datetime | None = None) -> list[ReviewStep]:
    now = now or utcnow()
    return list(session.scalars(select(ReviewStep).join(AccessRequest).where(
        ReviewStep.state == StepState.active, ReviewStep.due_at < now,
        AccessRequest.state == RequestState.in_review).order_by(ReviewStep.due_at)))


def is_overdue(step: ReviewStep, now: datetime | None = None) -> bool:
    return step.state == StepState.active and step.due_at is not None and step.due_at < (now or utcnow())


def flag_overdue(session: Session, *, now: datetime | None = None) -> int:
    """Tell the reviewers (and the holder's owners) once about each overdue step."""
    flagged = 0
    for step in overdue_steps(session, now=now):
        if step.overdue_noticed_at is not None:
            continue
        owners = [m.person_id for m in step.request.holder.memberships if m.role.value == "owner"]
        notify.notify(session, set(step_reviewers(step)) | set(owners), "step_overdue",
                      params(step.request, step=step.name, due=step.due_at.strftime("%Y-%m-%d")),
                      link_to(step.request))
        step.overdue_noticed_at = now or utcnow()
        flagged += 1
    session.flush()
    return flagged


# ----- decision and grant --------------------------------------------------------------------------
ACTIONS = {"approved": "approve", "approved_with_conditions": "approve_with_conditions", "rejected": "reject"}


def decide(session: Session, person: Person | None, request: AccessRequest, data: DecideIn) -> Grant | None:
    """The holder decides once every step is done; an approval makes (or changes) the grant at once."""
    if person is not None:
        authorize(person, "access.request.decide", request)
    if request.state != RequestState.in_review or any(s.state != StepState.done for s in request.steps):
        raise Conflict(N_("a decision needs every review step done first"))
    if data.decision == "rejected" and not data.reason:
        raise ValidationFailed(N_("a rejection needs its reasons"), field="reason")
    if data.decision == "approved_with_conditions" and not data.conditions:
        raise ValidationFailed(N_("approval with conditions needs the conditions"), field="conditions")
    request.decision, request.decision_reason = data.decision, data.reason
    request.conditions = data.conditions if data.decision == "approved_with_conditions" else ""
    request.decided_by_id, request.decided_at = (person.id if person else None), utcnow()
    transition(session, request, ACTIONS[data.decision], person, comment=data.reason,
               data={"decision": data.decision})
    grant = None if data.decision == "rejected" else _grant(session, request, person)
    notify.notify(session, notify.org_people(session, request.organization_id), "request_decided",
                  params(request, decision=data.decision), link_to(request), actor=person)
    return grant


def approve_automatically(session: Session, request: AccessRequest) -> Grant:
    """The holder accepts approved organisations of this kind automatically: approved and granted now."""
    request.decision, request.auto_approved, request.decided_at = "approved", True, utcnow()
    request.decision_reason = "automatic acceptance for approved organisations of kind " + request.organization.kind.value
    transition(session, request, "auto_approve", None, data={"decision": "approved", "automatic": True})
    grant = _grant(session, request, None)
    notify.notify(session, notify.org_people(session, request.organization_id), "request_decided",
                  params(request, decision="approved"), link_to(request))
    return grant


def _grant(session: Session, request: AccessRequest, person: Person | None) -> Grant:
    if request.change == RequestChange.initial:
        grant = create_grant(
            session, org=request.organization, versions={d.version: d.columns for d in request.datasets},
            days=request.duration_days, mode=request.mode, kind=request.kind.value, title=request.title,
            purpose=request.purpose, lay_summary=request.lay_summary, conditions=request.conditions,
            team=[session.get(Person, pid) for pid in request.team_ids or [] if session.get(Person, pid)],
            series={d.version: d.series for d in request.datasets}, actor=person, request_id=request.id)
    else:
        grant = _change_grant(session, request, person)
    request.grant_id, request.grant = grant.id, grant
    transition(session, request, "grant", person, data={"grant_id": grant.id})
    return grant


def _replace_scope(session: Session, grant: Grant, request: AccessRequest) -> None:
    """Entries kept are updated in place and the others removed first, so the (grant, version) and
    (grant, person) unique keys never see two rows at once."""
    wanted = {d.version_id: d for d in request.datasets}
    for entry in list(grant.datasets):
        if entry.version_id in wanted:
            asked = wanted.pop(entry.version_id)
            entry.columns, entry.series = asked.columns, asked.series
        else:
            grant.datasets.remove(entry)
    team = list(dict.fromkeys(request.team_ids or []))
    for member in list(grant.team):
        if member.person_id not in team:
            grant.team.remove(member)
    session.flush()
    grant.datasets.extend(GrantDataset(version_id=d.version_id, version=d.version, columns=d.columns, series=d.series)
                          for d in wanted.values())
    known = {m.person_id for m in grant.team}
    grant.team.extend(GrantMember(person_id=pid) for pid in team if pid not in known)


def _change_grant(session: Session, request: AccessRequest, person: Person | None) -> Grant:
    """Apply an approved amendment, extension or renewal to the family's grant (same id, so the
    space's queries and jobs keep naming it); the ledger records the new scope and expiry."""
    grant = request.grant or next((v.grant for v in reversed(family(session, request)) if v.grant), None)
    if grant is None or grant.state != GrantState.active:
        raise Conflict(N_("the grant of this request is no longer active; apply anew"))
    now = utcnow()
    if request.change == RequestChange.amendment:
        _replace_scope(session, grant, request)
        grant.mode, grant.kind = GrantMode(request.mode), GrantKind(request.kind.value)
        grant.title, grant.purpose, grant.lay_summary = request.title, request.purpose, request.lay_summary
        grant.epsilon_budget = grant.epsilon_budget or default_epsilon(session, [d.version for d in request.datasets])
    else:
        start = max(now, grant.expires_at) if request.change == RequestChange.extension else now
        grant.expires_at = start + timedelta(days=request.duration_days)
        grant.expiry_noticed_at = None
    if request.conditions:
        grant.conditions = request.conditions
    session.flush()
    ledger.record(session, "access.grant_amended", f"grant:{grant.id}", {
        "grant_id": grant.id, "request_id": request.id, "change": request.change.value,
        "versions": sorted(d.version.ref for d in grant.datasets), "expires_at": grant.expires_at.isoformat(),
        "scope_sha256": scope_hash(grant),
    }, actor=actor_label(person), org=grant.organization.slug)
    return grant
