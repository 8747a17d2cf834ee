"""Who may do what with the ledger. Reading it is public (that is the point of a transparency log);
appending operator notes, forcing checkpoints and full verification are for commission staff;
an organisation's owner registers and manages that organisation's witnesses."""

from __future__ import annotations

from yizhi.accounts.models import Organization, Person, Role
from yizhi.accounts.permissions import acting_role, is_platform_admin, role_in, rule


@rule("ledger.manage")
def _manage(person: Person, _obj: object) -> bool:
    return is_platform_admin(person)


@rule("ledger.org_view")
def _org_view(person: Person, org: Organization) -> bool:
    return is_platform_admin(person) or role_in(person, org) is not None


@rule("ledger.witness_register", visible_via="ledger.org_view")
def _witness_register(person: Person, org: Organization) -> bool:
    return is_platform_admin(person) or acting_role(person, org) == Role.owner
