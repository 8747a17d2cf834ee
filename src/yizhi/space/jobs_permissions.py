"""Who may see, review and download Tier B jobs and their outputs.

- the grantee's team (who may act under the grant) and the requester see their jobs; they download
  an output only once it is approved (or comes from a dummy-data run);
- the data holder's people (owner, reviewer, member of the organisation owning the dataset) see the
  jobs on their data and are its checkers — never the requester, never anyone acting for the grantee;
- the commission sees every job (it runs the platform) but does not review for a holder.
"""

from __future__ import annotations

from yizhi.access import grants
from yizhi.accounts.models import Person, Role
from yizhi.accounts.permissions import acting_role, is_platform_admin, rule
from yizhi.space.jobs_models import ReviewState, SpaceJob, SpaceJobOutput

CHECKER_ROLES = (Role.owner, Role.reviewer, Role.member)


def is_grantee(person: Person, job: SpaceJob) -> bool:
    return job.requester_id == person.id or grants.may_act_under(person, job.grant)


def is_holder(person: Person, job: SpaceJob) -> bool:
    return acting_role(person, job.version.dataset.organization) in CHECKER_ROLES


def may_check(person: Person, job: SpaceJob) -> bool:
    if job.requester_id == person.id or acting_role(person, job.grant.organization) is not None:
        return False
    return is_holder(person, job)


@rule("space.job.view", visible_via="space.job.view")
def _view(person: Person, job: SpaceJob) -> bool:
    return is_grantee(person, job) or is_holder(person, job) or is_platform_admin(person)


@rule("space.job.review", visible_via="space.job.view")
def _review(person: Person, job: SpaceJob) -> bool:
    return may_check(person, job)


@rule("space.output.view", visible_via="space.output.view")
def _output_view(person: Person, output: SpaceJobOutput) -> bool:
    return _view(person, output.job)


@rule("space.output.read", visible_via="space.output.view")
def _read(person: Person, output: SpaceJobOutput) -> bool:
    """Checkers read held files to review them; the grantee reads released ones only."""
    job = output.job
    if may_check(person, job):
        return True
    return is_grantee(person, job) and output.review_state in (ReviewState.approved, ReviewState.not_needed)


@rule("space.grant.view", visible_via="space.grant.view")
def _grant_view(person: Person, grant) -> bool:
    return grants.may_see(person, grant)


@rule("space.limits.set", visible_via="space.grant.view")
def _limits(person: Person, grant) -> bool:
    """The commission and the holders of the grant's datasets set its compute limits."""
    if is_platform_admin(person):
        return True
    return any(acting_role(person, gd.version.dataset.organization) in (Role.owner,) for gd in grant.datasets)
