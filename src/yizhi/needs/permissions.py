"""Who may do what with needs, solutions, engagements and pilots.

Drafts are seen only by their organisation; the commission sees a need from the moment it is
submitted; every logged-in person sees what is published. A company sees the engagements it
started, a hospital those on its needs.
"""

from __future__ import annotations

from yizhi.accounts.models import Organization, OrgKind, Person, Role
from yizhi.accounts.permissions import acting_role, is_platform_admin, rule
from yizhi.needs.models import (
    Engagement,
    EngagementStatus,
    Need,
    NeedStatus,
    Pilot,
    PilotStatus,
    Solution,
    SolutionStatus,
)

PUBLIC_NEED_STATES = (NeedStatus.published, NeedStatus.in_engagement, NeedStatus.piloting, NeedStatus.closed)
MATCHABLE_NEED_STATES = (NeedStatus.published, NeedStatus.in_engagement)
EDITABLE_NEED_STATES = (NeedStatus.draft, NeedStatus.returned)
WRITER_ROLES = (Role.owner, Role.member)


def acts_for(person: Person, org_id: int, roles=WRITER_ROLES) -> bool:
    """The person holds one of `roles` in the approved organisation `org_id`."""
    return any(
        m.organization_id == org_id and m.organization.approved and m.role in roles for m in person.memberships
    )


def member_of(person: Person, org_id: int) -> bool:
    return any(m.organization_id == org_id for m in person.memberships)


def writer_orgs(person: Person, kinds: tuple[OrgKind, ...]) -> list[Organization]:
    return [
        m.organization
        for m in person.memberships
        if m.organization.approved and m.organization.kind in kinds and m.role in WRITER_ROLES
    ]


# ----- needs ---------------------------------------------------------------------------------------
@rule("needs.create")
def _need_create(person: Person, org: Organization) -> bool:
    return org is not None and org.kind == OrgKind.hospital and acting_role(person, org) in WRITER_ROLES


@rule("needs.view", visible_via="needs.view")
def _need_view(person: Person, need: Need) -> bool:
    if need.status in PUBLIC_NEED_STATES or member_of(person, need.org_id):
        return True
    return is_platform_admin(person) and need.status != NeedStatus.draft


@rule("needs.edit", visible_via="needs.view")
def _need_edit(person: Person, need: Need) -> bool:
    return need.status in EDITABLE_NEED_STATES and acts_for(person, need.org_id)


@rule("needs.delete", visible_via="needs.view")
def _need_delete(person: Person, need: Need) -> bool:
    # Only a draft nobody else has seen: once submitted, the need's history is kept.
    return need.status == NeedStatus.draft and acts_for(person, need.org_id)


@rule("needs.submit", visible_via="needs.view")
def _need_submit(person: Person, need: Need) -> bool:
    return need.status in EDITABLE_NEED_STATES and acts_for(person, need.org_id)


@rule("needs.review", visible_via="needs.view")
def _need_review(person: Person, need: Need) -> bool:
    return need.status in (NeedStatus.submitted, NeedStatus.under_review) and is_platform_admin(person)


@rule("needs.close", visible_via="needs.view")
def _need_close(person: Person, need: Need) -> bool:
    if need.status not in (NeedStatus.published, NeedStatus.in_engagement):
        return False
    return acts_for(person, need.org_id) or is_platform_admin(person)


@rule("needs.match", visible_via="needs.view")
def _need_match(person: Person, need: Need) -> bool:
    # The hospital may look for solutions while drafting; others once the need is public.
    return _need_view(person, need)


@rule("needs.interest", visible_via="needs.view")
def _need_interest(person: Person, need: Need) -> bool:
    return need.status in MATCHABLE_NEED_STATES and bool(writer_orgs(person, (OrgKind.company, OrgKind.university)))


@rule("needs.release")
def _release(person: Person, _obj) -> bool:
    return is_platform_admin(person)


@rule("needs.review_queue")
def _review_queue(person: Person, _obj) -> bool:
    return is_platform_admin(person)


# ----- solutions -----------------------------------------------------------------------------------
@rule("solutions.create")
def _solution_create(person: Person, org: Organization) -> bool:
    return (
        org is not None
        and org.kind in (OrgKind.company, OrgKind.university)
        and acting_role(person, org) in WRITER_ROLES
    )


@rule("solutions.view", visible_via="solutions.view")
def _solution_view(person: Person, solution: Solution) -> bool:
    return (
        solution.status == SolutionStatus.published
        or member_of(person, solution.org_id)
        or is_platform_admin(person)
    )


@rule("solutions.edit", visible_via="solutions.view")
def _solution_edit(person: Person, solution: Solution) -> bool:
    return acts_for(person, solution.org_id)


# ----- engagements and pilots ----------------------------------------------------------------------
@rule("engagements.view", visible_via="engagements.view")
def _engagement_view(person: Person, engagement: Engagement) -> bool:
    return (
        member_of(person, engagement.company_org_id)
        or member_of(person, engagement.need.org_id)
        or is_platform_admin(person)
    )


@rule("engagements.decide", visible_via="engagements.view")
def _engagement_decide(person: Person, engagement: Engagement) -> bool:
    return engagement.status == EngagementStatus.pending and acts_for(person, engagement.need.org_id)


@rule("engagements.message", visible_via="engagements.view")
def _engagement_message(person: Person, engagement: Engagement) -> bool:
    if engagement.status not in (EngagementStatus.pending, EngagementStatus.accepted):
        return False
    return acts_for(person, engagement.company_org_id) or acts_for(person, engagement.need.org_id)


@rule("engagements.withdraw", visible_via="engagements.view")
def _engagement_withdraw(person: Person, engagement: Engagement) -> bool:
    # Once a pilot runs, the engagement ends with the pilot's closing report instead.
    return (
        engagement.status in (EngagementStatus.pending, EngagementStatus.accepted)
        and engagement.need.status != NeedStatus.piloting
        and acts_for(person, engagement.company_org_id)
    )


@rule("pilots.start", visible_via="engagements.view")
def _pilot_start(person: Person, engagement: Engagement) -> bool:
    return (
        engagement.status == EngagementStatus.accepted
        and engagement.need.status == NeedStatus.in_engagement
        and acts_for(person, engagement.need.org_id)
    )


@rule("pilots.view", visible_via="pilots.view")
def _pilot_view(person: Person, pilot: Pilot) -> bool:
    return _engagement_view(person, pilot.engagement)


@rule("pilots.close", visible_via="pilots.view")  # decided on the pilot's engagement, not on the pilot
def _pilot_close(person: Person, pilot: Pilot) -> bool:
    return pilot.status == PilotStatus.running and acts_for(person, pilot.engagement.need.org_id)

