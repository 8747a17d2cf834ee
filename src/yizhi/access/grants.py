"""Grants: made, checked on every use, suspended, revoked.

Every later use of data (Tier A queries, Tier B jobs, evaluation runs, extracts, annotation
projects) calls :func:`require_use` first: it refuses, saying which, a grant that has expired, been
suspended, revoked or closed, a person not on its team, a dataset version not under it, and
columns outside it (named). Pass ``action="space.query"`` (any ``domain.verb``) to have the use
recorded on the ledger as ``access.grant_used`` in the caller's transaction — or call
:func:`record_use` yourself once the work is done, so the ledger lock is not held meanwhile.

A ``statistics`` grant (:attr:`Grant.kind`) is answered with aggregates only: row-level work
(Tier B jobs, extracts, annotation) must call :func:`require_row_level` too.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from yizhi import ledger
from yizhi.access.models import Grant, GrantDataset, GrantKind, GrantMember, GrantMode, GrantState
from yizhi.accounts.models import Organization, Person
from yizhi.accounts.permissions import acting_role, is_platform_admin
from yizhi.catalog.models import DatasetVersion
from yizhi.db import utcnow
from yizhi.errors import N_, NotFound, PermissionDenied, ValidationFailed

MAX_GRANT_DAYS = 3660


def actor_label(person: Person | None) -> str:
    """How the ledger names who acted: ``user:ID``, or ``cli`` for the operator at the command line."""
    return f"user:{person.id}" if person is not None else "cli"


def create_grant(session: Session, *, org: Organization, versions: dict[DatasetVersion, dict | None],
                 days: int, mode: str = "space", reason: str = "", title: str = "", purpose: str = "scientific_research",
                 conditions: str = "", epsilon_budget: float | None = None, team: list[Person] = (),
                 administrative: bool = False, actor: Person | None = None, kind: str = "data",
                 lay_summary: str = "", series: dict[DatasetVersion, list | None] | None = None,
                 request_id: int | None = None) -> Grant:
    """Make a grant (flushes; the caller commits) and record it on the ledger.

    ``versions`` maps each dataset version to ``{table: [columns]}`` (None: everything in it);
    ``series`` each version to the DICOM series allowed (None or absent: every series). Without
    ``epsilon_budget`` the smallest default ε its datasets' owners set applies (None if none set).
    """
    _check_grant_terms(versions, days, epsilon_budget, mode, kind)
    if epsilon_budget is None:
        epsilon_budget = default_epsilon(session, versions)
    grant = Grant(organization_id=org.id, mode=GrantMode(mode), kind=GrantKind(kind), state=GrantState.active,
                  purpose=purpose, title=title, lay_summary=lay_summary, conditions=conditions,
                  administrative=administrative, reason=reason, epsilon_budget=epsilon_budget,
                  expires_at=utcnow() + timedelta(days=int(days)), created_by_id=actor.id if actor else None)
    grant.organization = org
    grant.datasets = [GrantDataset(version_id=v.id, version=v, columns=c, series=(series or {}).get(v))
                      for v, c in versions.items()]
    grant.team = [GrantMember(person_id=p.id) for p in team]
    session.add(grant)
    session.flush()
    ledger.record(session, "access.grant_created", f"grant:{grant.id}", {
        "grant_id": grant.id, "versions": sorted(v.ref for v in versions), "mode": grant.mode.value,
        "kind": grant.kind.value, "administrative": administrative, "expires_at": grant.expires_at.isoformat(),
        "scope_sha256": scope_hash(grant), "request_id": request_id,
    }, actor=actor_label(actor), org=org.slug)
    return grant


def _check_grant_terms(versions: dict, days: int, epsilon_budget: float | None, mode: str, kind: str) -> None:
    if not versions:
        raise ValidationFailed(N_("a grant needs at least one dataset version"), field="datasets")
    if not 1 <= int(days) <= MAX_GRANT_DAYS:
        raise ValidationFailed(N_("duration must be between 1 and %(max)s days"), params={"max": MAX_GRANT_DAYS},
                               field="days")
    if epsilon_budget is not None and not 0 < float(epsilon_budget) <= 100:
        raise ValidationFailed(N_("the ε budget must be above 0 and at most 100"), field="epsilon")
    if mode not in GrantMode.__members__:
        raise ValidationFailed(N_("mode must be space or extract, not %(mode)s"), params={"mode": mode}, field="mode")
    if kind not in GrantKind.__members__:
        raise ValidationFailed(N_("kind must be data or statistics, not %(kind)s"), params={"kind": kind},
                               field="kind")
    if mode == "extract" and kind == "statistics":
        raise ValidationFailed(N_("a statistics grant is answered with aggregates only; it cannot be an extract"),
                               field="mode")
    for version, columns in versions.items():
        if mode == "extract" and not version.dataset.allow_extracts:
            raise ValidationFailed(N_("the owner of %(ref)s does not allow extracts; ask for analysis in the space"),
                                   params={"ref": version.ref}, field="mode")
        _check_columns_exist(version, columns)


def default_epsilon(session: Session, versions) -> float | None:
    """The smallest default ε the owners of these versions' datasets set (None when none is set)."""
    from yizhi.access.feedback_models import DatasetAccessSettings

    ids = {v.dataset_id for v in versions}
    values = [e for e in session.scalars(select(DatasetAccessSettings.default_epsilon).where(
        DatasetAccessSettings.dataset_id.in_(ids))) if e is not None]
    return min(values) if values else None


def scope_hash(grant: Grant) -> str:
    """SHA-256 of what a grant allows (versions, columns, series, mode, kind, team), for the ledger."""
    import hashlib

    import rfc8785

    scope = {
        "versions": sorted([{"ref": gd.version.ref, "root_hash": gd.version.root_hash, "columns": gd.columns,
                             "series": gd.series} for gd in grant.datasets], key=lambda item: item["ref"]),
        "mode": grant.mode.value, "kind": grant.kind.value, "team": sorted(m.person_id for m in grant.team),
    }
    return hashlib.sha256(rfc8785.dumps(scope)).hexdigest()


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


def require_use(session: Session, person: Person, grant_id: int, ref: str | None = None, *,
                action: str | None = None) -> tuple[Grant, GrantDataset]:
    """The live grant and its entry for dataset version ``ref`` (the only one when ``ref`` is None),
    for ``person`` to use now; refuses with the reason otherwise. With ``action`` (``domain.verb``,
    e.g. ``space.query``) the use is recorded on the ledger in the caller's transaction."""
    grant = get_grant(session, grant_id)
    if not may_see(person, grant):
        raise NotFound(N_("no grant %(id)s"), params={"id": grant_id})
    if not may_act_under(person, grant):
        raise PermissionDenied(N_("you are not on the team of grant %(id)s"), params={"id": grant.id},
                               code="not_on_grant")
    require_live(grant)
    entry = grant_dataset(grant, ref)
    if action is not None:
        record_use(session, person, grant, entry, action=action)
    return grant, entry


def record_use(session: Session, person: Person | None, grant: Grant, entry: GrantDataset, *, action: str,
               detail: dict | None = None) -> None:
    """Put one use of data under ``grant`` on the ledger (``access.grant_used``): ids and hashes only."""
    if not action or len(action) > 80 or not all(part.isidentifier() for part in action.split(".")):
        raise ValidationFailed(N_("a use is named domain.verb, e.g. space.query, not %(action)s"),
                               params={"action": str(action)[:80]}, field="action")
    ledger.record(session, "access.grant_used", f"grant:{grant.id}", {
        "grant_id": grant.id, "version": entry.version.ref, "action": action, **(detail or {}),
    }, actor=actor_label(person), org=grant.organization.slug)


def require_row_level(grant: Grant) -> None:
    """Refuse row-level work (Tier B jobs, extracts, annotation) under a statistics grant."""
    if grant.kind == GrantKind.statistics:
        raise PermissionDenied(N_("grant %(id)s is a statistics grant: aggregates only, no row-level work"),
                               params={"id": grant.id}, code="statistics_only")


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
