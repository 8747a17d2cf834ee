"""Grants: made, checked on every use, suspended, revoked.

Every later use of data (Tier A queries, Tier B jobs, evaluation runs, extracts, annotation
projects) calls :func:`require_use` first: it refuses, saying which, a grant that has expired, been
suspended, revoked or closed, a person not on its team, a dataset version not under it, and
columns outside it (named).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from yizhi import ledger
from yizhi.access.models import Grant, GrantDataset, GrantMember, GrantMode, GrantState
from yizhi.accounts.models import Organization, Person
from yizhi.accounts.permissions import acting_role, is_platform_admin
from yizhi.catalog.models import DatasetVersion
from yizhi.db import utcnow
from yizhi.errors import N_, NotFound, PermissionDenied, ValidationFailed

MAX_GRANT_DAYS = 3660


def create_grant(session: Session, *, org: Organization, versions: dict[DatasetVersion, dict | None],
                 days: int, mode: str = "space", reason: str = "", title: str = "", purpose: str = "scientific_research",
                 conditions: str = "", epsilon_budget: float | None = None, team: list[Person] = (),
                 administrative: bool = False, actor: Person | None = None) -> Grant:
    """Make a grant (flushes; the caller commits) and record it on the ledger.

    ``versions`` maps each dataset version to ``{table: [columns]}`` (None: everything in it).
    """
    if not versions:
        raise ValidationFailed(N_("a grant needs at least one dataset version"), field="datasets")
    if not 1 <= int(days) <= MAX_GRANT_DAYS:
        raise ValidationFailed(N_("duration must be between 1 and %(max)s days"), params={"max": MAX_GRANT_DAYS},
                               field="days")
    if epsilon_budget is not None and not 0 < float(epsilon_budget) <= 100:
        raise ValidationFailed(N_("the ε budget must be above 0 and at most 100"), field="epsilon")
    for version, columns in versions.items():
        _check_columns_exist(version, columns)
    grant = Grant(organization_id=org.id, mode=GrantMode(mode), state=GrantState.active, purpose=purpose,
                  title=title, conditions=conditions, administrative=administrative, reason=reason,
                  epsilon_budget=epsilon_budget, expires_at=utcnow() + timedelta(days=int(days)),
                  created_by_id=actor.id if actor else None)
    grant.datasets = [GrantDataset(version_id=v.id, columns=c) for v, c in versions.items()]
    grant.team = [GrantMember(person_id=p.id) for p in team]
    session.add(grant)
    session.flush()
    ledger.record(session, "access.grant_created", f"grant:{grant.id}", {
        "grant_id": grant.id, "versions": sorted(v.ref for v in versions), "mode": grant.mode.value,
        "administrative": administrative, "expires_at": grant.expires_at.isoformat(),
    }, actor=str(actor.id) if actor else None, org=org.slug)
    return grant


def _check_columns_exist(version: DatasetVersion, columns: dict | None) -> None:
    if columns is None:
        return
    for table, names in columns.items():
        known = version.columns_of(table)
        if not known:
            raise ValidationFailed(N_("dataset version %(ref)s has no table %(table)s"),
                                   params={"ref": version.ref, "table": table}, field="columns")
        unknown = [c for c in names if c not in known]
        if unknown:
            raise ValidationFailed(N_("table %(table)s of %(ref)s has no column(s) %(columns)s"),
                                   params={"table": table, "ref": version.ref, "columns": ", ".join(unknown)},
                                   field="columns")


def grant_state_now(grant: Grant) -> str:
    """The state as a user should read it: an active grant past its expiry is ``expired``."""
    if grant.state == GrantState.active and grant.expires_at <= utcnow():
        return "expired"
    return grant.state.value


_REFUSALS = {
    "expired": (N_("grant %(id)s expired on %(when)s"), "grant_expired"),
    "suspended": (N_("grant %(id)s is suspended: %(reason)s"), "grant_suspended"),
    "revoked": (N_("grant %(id)s was revoked: %(reason)s"), "grant_revoked"),
    "closed": (N_("grant %(id)s is closed"), "grant_closed"),
}


def require_live(grant: Grant) -> Grant:
    state = grant_state_now(grant)
    if state == "active":
        return grant
    template, code = _REFUSALS[state]
    raise PermissionDenied(template, code=code, params={
        "id": grant.id, "when": grant.expires_at.strftime("%Y-%m-%d %H:%M UTC"), "reason": grant.state_reason or "-"})


def get_grant(session: Session, grant_id: int) -> Grant:
    grant = session.get(Grant, grant_id) if 0 < int(grant_id) < 2**63 else None
    if grant is None:
        raise NotFound(N_("no grant %(id)s"), params={"id": grant_id})
    return grant


def may_act_under(person: Person, grant: Grant) -> bool:
    """Members of the grantee organisation acting for it, and on the team when one is named."""
    if acting_role(person, grant.organization) is None:
        return False
    return not grant.team or any(m.person_id == person.id for m in grant.team)


def may_see(person: Person, grant: Grant) -> bool:
    """The grantee's members, the data holders of its datasets, and the commission."""
    if is_platform_admin(person) or acting_role(person, grant.organization) is not None:
        return True
    return any(acting_role(person, gd.version.dataset.organization) is not None for gd in grant.datasets)


def require_use(session: Session, person: Person, grant_id: int, ref: str | None = None) -> tuple[Grant, GrantDataset]:
    """The live grant and its entry for dataset version ``ref`` (the only one when ``ref`` is None),
    for ``person`` to use now; refuses with the reason otherwise."""
    grant = get_grant(session, grant_id)
    if not may_see(person, grant):
        raise NotFound(N_("no grant %(id)s"), params={"id": grant_id})
    if not may_act_under(person, grant):
        raise PermissionDenied(N_("you are not on the team of grant %(id)s"), params={"id": grant.id},
                               code="not_on_grant")
    require_live(grant)
    return grant, grant_dataset(grant, ref)


def grant_dataset(grant: Grant, ref: str | None) -> GrantDataset:
    if ref is None:
        if len(grant.datasets) != 1:
            raise ValidationFailed(N_("grant %(id)s covers several dataset versions; name one"),
                                   params={"id": grant.id}, field="dataset")
        return grant.datasets[0]
    for entry in grant.datasets:
        if entry.version.ref == ref:
            return entry
    raise PermissionDenied(N_("dataset version %(ref)s is not under grant %(id)s"),
                           params={"ref": ref, "id": grant.id}, code="not_granted")


def allowed_columns(entry: GrantDataset, table: str) -> list[str]:
    """Columns of ``table`` the grant allows, in the table's order; refuses a table not granted."""
    known = list(entry.version.columns_of(table))
    if not known:
        raise NotFound(N_("dataset version %(ref)s has no table %(table)s"),
                       params={"ref": entry.version.ref, "table": table})
    if entry.columns is None:
        return known
    if table not in entry.columns:
        raise PermissionDenied(N_("table %(table)s is not under this grant"), params={"table": table},
                               code="not_granted")
    granted = set(entry.columns[table])
    return [c for c in known if c in granted]


def require_columns(entry: GrantDataset, table: str, columns: list[str]) -> None:
    """Refuse, by name, every column outside the grant (or not in the table)."""
    allowed = set(allowed_columns(entry, table))
    refused = sorted({c for c in columns if c not in allowed})
    if refused:
        raise PermissionDenied(N_("column(s) %(columns)s of table %(table)s are not under this grant"),
                               params={"columns": ", ".join(refused), "table": table}, code="column_not_granted")


def live_grant_exists(session: Session, org: Organization, version: DatasetVersion) -> Grant | None:
    """A live grant of ``org`` on ``version`` (e.g. for `yizhi access grant-check`), or None."""
    grants = session.scalars(select(Grant).join(GrantDataset).where(
        Grant.organization_id == org.id, GrantDataset.version_id == version.id,
        Grant.state == GrantState.active, Grant.expires_at > utcnow()))
    return next(iter(grants), None)
