"""Permission rules of Tier A (registered on import by the API and the pages)."""

from __future__ import annotations

from yizhi.access import grants
from yizhi.accounts.models import Role
from yizhi.accounts.permissions import acting_role, is_platform_admin, rule


@rule("space.grant_view", visible_via="space.grant_view")  # not seen: 404
def _grant_view(person, grant) -> bool:
    """The grantee's members, the data holders of its datasets, the commission."""
    return grants.may_see(person, grant)


@rule("space.grant_query", visible_via="space.grant_view")
def _grant_query(person, grant) -> bool:
    return grants.may_act_under(person, grant)


@rule("space.dataset_view")
def _dataset_view(person, dataset) -> bool:
    """The owning hospital's members and the commission see a dataset's rules and its query history."""
    return is_platform_admin(person) or acting_role(person, dataset.organization) is not None


@rule("space.dataset_rules_edit", visible_via="space.dataset_view")
def _dataset_rules_edit(person, dataset) -> bool:
    """Only the owning hospital's owners set its output rules."""
    return acting_role(person, dataset.organization) == Role.owner
