"""The one permission layer: named actions, each with a rule; anything without a rule is denied.

Routes call :func:`authorize`. Domains add their actions with :func:`rule`. A person who may not
even *see* an object gets :class:`NotFound` (its existence is not leaked); one who may see it but
not do the action gets :class:`PermissionDenied`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from yizhi.accounts.models import Organization, OrgKind, Person, Role
from yizhi.errors import NotFound, PermissionDenied

Rule = Callable[[Person, Any], bool]
_RULES: dict[str, Rule] = {}
_VISIBILITY: dict[str, str] = {}


def rule(action: str, *, visible_via: str | None = None) -> Callable[[Rule], Rule]:
    """Register the rule for ``action``; ``visible_via`` names the action that decides 404 vs 403."""

    def decorate(fn: Rule) -> Rule:
        if action in _RULES:
            raise RuntimeError(f"permission rule {action!r} registered twice")
        _RULES[action] = fn
        if visible_via:
            _VISIBILITY[action] = visible_via
        return fn

    return decorate


def can(person: Person | None, action: str, obj: Any = None) -> bool:
    if person is None or not person.is_active:
        return False
    check = _RULES.get(action)
    return bool(check and check(person, obj))


def authorize(person: Person | None, action: str, obj: Any = None) -> None:
    if can(person, action, obj):
        return
    visible_via = _VISIBILITY.get(action)
    if visible_via and not can(person, visible_via, obj):
        raise NotFound("not found")
    raise PermissionDenied("you do not have permission to do this")


# --- facts about a person ----------------------------------------------------------------------

def role_in(person: Person, org: Organization) -> Role | None:
    for membership in person.memberships:
        if membership.organization_id == org.id:
            return membership.role
    return None


def is_platform_admin(person: Person) -> bool:
    """Commission staff (owners, members and reviewers of an approved commission) run the platform."""
    return any(
        m.organization.kind == OrgKind.commission and m.organization.approved
        and m.role in (Role.owner, Role.member, Role.reviewer)
        for m in person.memberships
    )


def active_orgs(person: Person) -> list[Organization]:
    """Organisations through which the person may act (approved ones)."""
    return [m.organization for m in person.memberships if m.organization.approved]


def acting_role(person: Person, org: Organization) -> Role | None:
    """The person's role in ``org`` when the organisation is approved, else None."""
    return role_in(person, org) if org.approved else None


# --- the accounts domain's own rules -------------------------------------------------------------

@rule("org.view", visible_via="org.view")
def _org_view(person: Person, org: Organization) -> bool:
    return role_in(person, org) is not None or is_platform_admin(person)


@rule("org.manage", visible_via="org.view")
def _org_manage(person: Person, org: Organization) -> bool:
    # Only the organisation's own owners: the commission acts on organisations through audited
    # admin actions (accounts.admin), never by inviting itself in.
    return acting_role(person, org) == Role.owner


@rule("org.admin", visible_via="org.view")
def _org_admin(person: Person, org: Organization) -> bool:
    """Audited platform actions on an organisation (approve, reject, suspend, first owner)."""
    return is_platform_admin(person)


@rule("org.approve", visible_via="org.view")
def _org_approve(person: Person, org: Organization | None) -> bool:
    return is_platform_admin(person)


@rule("platform.admin")
def _platform_admin(person: Person, _obj: None) -> bool:
    return is_platform_admin(person)


@rule("jobs.view", visible_via="jobs.view")
def _jobs_view(person: Person, job) -> bool:
    if job.created_by_id == person.id or is_platform_admin(person):
        return True
    return any(o.id == job.organization_id for o in active_orgs(person))


@rule("jobs.retry", visible_via="jobs.view")
def _jobs_retry(person: Person, job) -> bool:
    return job.created_by_id == person.id or is_platform_admin(person)
