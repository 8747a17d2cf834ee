"""Who may do what in the evaluation center.

Benchmark cards (intended use, population, contract) are for every logged-in person; the hidden data
never leaves the platform. A submission and its report are seen by the submitting organisation, the
benchmark's evaluator organisation and the commission — never by another company. Leaderboards show
aggregates; a competition's page is public.
"""

from __future__ import annotations

from yizhi.accounts.models import Organization, OrgKind, Person, Role
from yizhi.accounts.permissions import acting_role, is_platform_admin, role_in, rule
from yizhi.evaluation.models import Benchmark, Phase, Submission

WRITERS = (Role.owner, Role.member)
EVALUATOR_KINDS = (OrgKind.evaluator, OrgKind.commission)


def acts_for(person: Person, org: Organization) -> bool:
    return acting_role(person, org) in WRITERS


@rule("evaluation.benchmark.create")
def _create(person: Person, org: Organization | None) -> bool:
    return org is not None and org.kind in EVALUATOR_KINDS and acts_for(person, org)


@rule("evaluation.benchmark.view", visible_via="evaluation.benchmark.view")
def _view(person: Person, benchmark: Benchmark) -> bool:
    return benchmark is not None


@rule("evaluation.benchmark.manage", visible_via="evaluation.benchmark.view")
def _manage(person: Person, benchmark: Benchmark) -> bool:
    return acts_for(person, benchmark.organization) or is_platform_admin(person)


@rule("evaluation.submit")
def _submit(person: Person, org: Organization | None) -> bool:
    return org is not None and acts_for(person, org)


@rule("evaluation.submission.view", visible_via="evaluation.submission.view")
def _submission_view(person: Person, submission: Submission) -> bool:
    return (role_in(person, submission.organization) is not None
            or role_in(person, submission.benchmark.organization) is not None
            or is_platform_admin(person))


@rule("evaluation.submission.retry", visible_via="evaluation.submission.view")
def _submission_retry(person: Person, submission: Submission) -> bool:
    return (acts_for(person, submission.organization) or acts_for(person, submission.benchmark.organization)
            or is_platform_admin(person))


@rule("evaluation.case_outputs.use", visible_via="evaluation.submission.view")
def _case_outputs_use(person: Person, submission: Submission) -> bool:
    """Per-case outputs serve reader studies of the data holder; the submitter never reads them."""
    return acts_for(person, submission.benchmark.organization) or is_platform_admin(person)


def organiser_of(person: Person, phase: Phase) -> Organization | None:
    """The organisation through which the person organises the phase: the benchmark's evaluator
    organisation when they act for it, else a commission they act for; None otherwise."""
    if acts_for(person, phase.benchmark.organization):
        return phase.benchmark.organization
    return next((m.organization for m in person.memberships
                 if m.organization.kind == OrgKind.commission and acts_for(person, m.organization)), None)


@rule("evaluation.phase.release", visible_via="evaluation.benchmark.view")
def _phase_release(person: Person, phase: Phase) -> bool:
    """Releasing a phase's inputs (features under opaque keys) is the organiser's decision."""
    return phase is not None and organiser_of(person, phase) is not None
