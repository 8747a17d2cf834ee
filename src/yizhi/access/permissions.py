"""Who may do what with access requests, grants, settings and feedback.

- A draft is seen only by the applicant's organisation. From its first submission on, the data
  holder's people (owner, member, reviewer) and the commission see it too. Nobody else does — not even
  another company applying for the same dataset.
- The applicant's owners and members write, submit, withdraw and amend; the commission
  prescreens; a step's reviewers recommend (the holder's owners when a step names none); the
  holder's owners decide, set a dataset's access settings, suspend, revoke and reinstate grants.
- Grants are seen by the grantee, the holders of their datasets and the commission
  (:func:`yizhi.access.grants.may_see`).
"""

from __future__ import annotations

from yizhi.access.grants import may_act_under, may_see
from yizhi.access.models import Grant, GrantKind, GrantMode, GrantState
from yizhi.access.request_models import AccessRequest, RequestState, ReviewStep, StepState
from yizhi.accounts.models import Organization, OrgKind, Person, Role
from yizhi.accounts.permissions import acting_role, is_platform_admin, rule

WRITERS = (Role.owner, Role.member)
HOLDER_READERS = (Role.owner, Role.member, Role.reviewer)
OPEN_STATES = (RequestState.submitted, RequestState.prescreen, RequestState.in_review)
APPLYING_KINDS = (OrgKind.company, OrgKind.university, OrgKind.hospital, OrgKind.evaluator, OrgKind.commission)


def writes_for(person: Person, org: Organization) -> bool:
    return acting_role(person, org) in WRITERS


def owns(person: Person, org: Organization) -> bool:
    return acting_role(person, org) == Role.owner


def applying_orgs(person: Person) -> list[Organization]:
    """Organisations this person may apply for (approved, owner or member)."""
    return [m.organization for m in person.memberships
            if m.organization.approved and m.role in WRITERS and m.organization.kind in APPLYING_KINDS]


def on_applicant_side(person: Person, request: AccessRequest) -> bool:
    return acting_role(person, request.organization) is not None


def on_reviewer_side(person: Person, request: AccessRequest) -> bool:
    return (acting_role(person, request.holder) in HOLDER_READERS or is_platform_admin(person)
            or any(person.id in (s.reviewer_ids or []) for s in request.steps))


def step_reviewers(step: ReviewStep) -> list[int]:
    """The people who may recommend on ``step``: those it names, else the holder's owners."""
    if step.reviewer_ids:
        return list(step.reviewer_ids)
    return [m.person_id for m in step.request.holder.memberships if m.role == Role.owner]


@rule("access.request.create")
def _create(person: Person, org: Organization | None) -> bool:
    return org is not None and org.approved and org.kind in APPLYING_KINDS and writes_for(person, org)


@rule("access.request.view", visible_via="access.request.view")
def _view(person: Person, request: AccessRequest) -> bool:
    if on_applicant_side(person, request):
        return True
    # once submitted, the reviewers' side keeps seeing it (also when it was returned to a draft)
    return request.submitted_at is not None and on_reviewer_side(person, request)


@rule("access.request.edit", visible_via="access.request.view")
def _edit(person: Person, request: AccessRequest) -> bool:
    return request.state == RequestState.draft and writes_for(person, request.organization)


@rule("access.request.submit", visible_via="access.request.view")
def _submit(person: Person, request: AccessRequest) -> bool:
    return _edit(person, request)


@rule("access.request.withdraw", visible_via="access.request.view")
def _withdraw(person: Person, request: AccessRequest) -> bool:
    return (request.state in (RequestState.draft, *OPEN_STATES)) and writes_for(person, request.organization)


@rule("access.request.prescreen", visible_via="access.request.view")
def _prescreen(person: Person, request: AccessRequest) -> bool:
    return request.state in (RequestState.submitted, RequestState.prescreen) and is_platform_admin(person)


@rule("access.step.view", visible_via="access.step.view")
def _step_view(person: Person, step: ReviewStep) -> bool:
    return _view(person, step.request)


@rule("access.request.recommend", visible_via="access.step.view")
def _recommend(person: Person, step: ReviewStep) -> bool:
    request = step.request
    if request.state != RequestState.in_review or step.state != StepState.active:
        return False
    return person.id in step_reviewers(step) and acting_role(person, request.holder) in HOLDER_READERS


@rule("access.request.decide", visible_via="access.request.view")
def _decide(person: Person, request: AccessRequest) -> bool:
    if request.state != RequestState.in_review or any(s.state != StepState.done for s in request.steps):
        return False
    return owns(person, request.holder)


@rule("access.request.message", visible_via="access.request.view")
def _message(person: Person, request: AccessRequest) -> bool:
    return _view(person, request)


@rule("access.request.amend", visible_via="access.request.view")
def _amend(person: Person, request: AccessRequest) -> bool:
    grant = request.grant
    if request.state != RequestState.granted or grant is None:
        return False
    return grant.state == GrantState.active and writes_for(person, request.organization)


@rule("access.grant.view", visible_via="access.grant.view")
def _grant_view(person: Person, grant: Grant) -> bool:
    return may_see(person, grant)


def _holds_all(person: Person, grant: Grant) -> bool:
    holders = {gd.version.dataset.organization_id: gd.version.dataset.organization for gd in grant.datasets}
    return bool(holders) and all(owns(person, org) for org in holders.values())


@rule("access.grant.manage", visible_via="access.grant.view")
def _grant_manage(person: Person, grant: Grant) -> bool:
    """Suspend, reinstate, revoke: the holder's owners; the commission for its administrative grants."""
    if grant.state in (GrantState.revoked, GrantState.closed):
        return False
    return _holds_all(person, grant) or (grant.administrative and is_platform_admin(person))


@rule("access.grant.close", visible_via="access.grant.view")
def _grant_close(person: Person, grant: Grant) -> bool:
    if grant.state not in (GrantState.active, GrantState.suspended):
        return False
    return writes_for(person, grant.organization) and (may_act_under(person, grant) or owns(person, grant.organization))


@rule("access.grant.extract", visible_via="access.grant.view")
def _grant_extract(person: Person, grant: Grant) -> bool:
    return grant.mode == GrantMode.extract and grant.kind == GrantKind.data and may_act_under(person, grant)


@rule("access.settings.view", visible_via="access.settings.view")
def _settings_view(person: Person, dataset) -> bool:
    return acting_role(person, dataset.organization) in HOLDER_READERS


@rule("access.settings.edit", visible_via="access.settings.view")
def _settings_edit(person: Person, dataset) -> bool:
    return owns(person, dataset.organization)


@rule("access.feedback.view")
def _feedback_view(person: Person, org: Organization | None) -> bool:
    return org is not None and acting_role(person, org) in HOLDER_READERS


@rule("access.issue.update", visible_via="access.issue.view")
def _issue_update(person: Person, issue) -> bool:
    return writes_for(person, issue.version.dataset.organization)


@rule("access.issue.view", visible_via="access.issue.view")
def _issue_view(person: Person, issue) -> bool:
    return acting_role(person, issue.version.dataset.organization) in HOLDER_READERS


@rule("access.admin_grant")
def _admin_grant(person: Person, _obj) -> bool:
    return is_platform_admin(person)


@rule("access.review_queue")
def _review_queue(person: Person, _obj) -> bool:
    return is_platform_admin(person) or any(
        m.organization.approved and m.role in HOLDER_READERS
        and m.organization.kind in (OrgKind.hospital, OrgKind.university)
        for m in person.memberships)
