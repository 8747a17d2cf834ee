"""Grants after they are made: what a person sees, suspension, reinstatement and revocation by the
holder (reasons required), closing with a closure report (outputs, data-quality problems filed on
the dataset versions for their holder, whether the data met the need), administrative grants by
the commission, and the expiry notices of the periodic check."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import rfc8785
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from yizhi import ledger
from yizhi.access import notify
from yizhi.access.feedback_models import ClosureReport, IssueState, MetNeed, QualityIssue
from yizhi.access.grants import actor_label, create_grant, get_grant, grant_state_now
from yizhi.access.models import Grant, GrantDataset, GrantState
from yizhi.access.request_models import AccessRequest, RequestState
from yizhi.access.schemas import ClosureIn, IssueUpdate
from yizhi.access.settings import get_access_settings
from yizhi.access.workflow import transition
from yizhi.accounts.models import Organization, Person
from yizhi.accounts.permissions import authorize, can, is_platform_admin
from yizhi.catalog import service as catalog
from yizhi.catalog.models import Dataset, DatasetVersion, VersionState
from yizhi.db import utcnow
from yizhi.errors import N_, Conflict, NotFound, ValidationFailed


def grant_for(session: Session, person: Person | None, grant_id: int) -> Grant:
    grant = get_grant(session, grant_id)
    if person is not None:
        authorize(person, "access.grant.view", grant)
    return grant


def visible_grants(session: Session, person: Person | None, *, state: str | None = None,
                   limit: int = 500) -> list[Grant]:
    stmt = select(Grant).order_by(Grant.id.desc())
    if person is not None and not is_platform_admin(person):
        org_ids = [m.organization_id for m in person.memberships if m.organization.approved]
        held = select(GrantDataset.grant_id).join(DatasetVersion).join(Dataset).where(
            Dataset.organization_id.in_(org_ids))
        stmt = stmt.where(or_(Grant.organization_id.in_(org_ids), Grant.id.in_(held)))
    rows = [g for g in session.scalars(stmt.limit(limit)) if person is None or can(person, "access.grant.view", g)]
    return [g for g in rows if state is None or grant_state_now(g) == state]


def grant_public(grant: Grant) -> dict:
    """GET /grants/{id}: the issue's keys (``columns`` and ``series`` keyed by SLUG@N) and more."""
    request = latest_request(grant)
    return {
        "id": grant.id, "org": grant.organization.slug, "datasets": [gd.version.ref for gd in grant.datasets],
        "columns": {gd.version.ref: gd.columns for gd in grant.datasets}, "mode": grant.mode.value,
        "expires_at": grant.expires_at.isoformat(), "state": grant_state_now(grant),
        "epsilon_budget": grant.epsilon_budget, "kind": grant.kind.value,
        "series": {gd.version.ref: gd.series for gd in grant.datasets}, "title": grant.title,
        "purpose": grant.purpose, "conditions": grant.conditions, "administrative": grant.administrative,
        "team": [m.person_id for m in grant.team], "request_id": request.id if request else None,
        "created_at": grant.created_at.isoformat(),
    }


def latest_request(grant: Grant) -> AccessRequest | None:
    """The last approved version of the request behind ``grant`` (None for an administrative grant)."""
    from sqlalchemy.orm import object_session

    session = object_session(grant)
    if session is None:
        return None
    return session.scalar(select(AccessRequest).where(
        AccessRequest.grant_id == grant.id, AccessRequest.decision.in_(["approved", "approved_with_conditions"]))
        .order_by(AccessRequest.version.desc()).limit(1))


# ----- suspend, reinstate, revoke ------------------------------------------------------------------
def _set_state(session: Session, person: Person | None, grant: Grant, state: GrantState, reason: str,
               kind: str, notice: str) -> Grant:
    if person is not None:
        authorize(person, "access.grant.manage", grant)
    if not reason.strip():
        raise ValidationFailed(N_("say why (reason)"), field="reason")
    grant.state, grant.state_reason, grant.state_changed_at = state, reason.strip(), utcnow()
    session.flush()
    ledger.record(session, f"access.grant_{kind}", f"grant:{grant.id}", {
        "grant_id": grant.id, "state": state.value, "reason_sha256": hashlib.sha256(reason.encode()).hexdigest(),
    }, actor=actor_label(person), org=grant.organization.slug)
    notify.notify(session, notify.org_people(session, grant.organization_id), notice,
                  {"grant": grant.id, "reason": reason[:200]}, f"/access/grants/{grant.id}", actor=person)
    return grant


def suspend(session: Session, person: Person | None, grant: Grant, reason: str) -> Grant:
    if grant.state != GrantState.active:
        raise Conflict(N_("only an active grant can be suspended (grant %(id)s is %(state)s)"),
                       params={"id": grant.id, "state": grant.state.value})
    return _set_state(session, person, grant, GrantState.suspended, reason, "suspended", "grant_suspended")


def reinstate(session: Session, person: Person | None, grant: Grant, reason: str) -> Grant:
    if grant.state != GrantState.suspended:
        raise Conflict(N_("only a suspended grant can be reinstated (grant %(id)s is %(state)s)"),
                       params={"id": grant.id, "state": grant.state.value})
    return _set_state(session, person, grant, GrantState.active, reason, "reinstated", "grant_reinstated")


def revoke(session: Session, person: Person | None, grant: Grant, reason: str) -> Grant:
    if grant.state not in (GrantState.active, GrantState.suspended):
        raise Conflict(N_("grant %(id)s is %(state)s and cannot be revoked"),
                       params={"id": grant.id, "state": grant.state.value})
    return _set_state(session, person, grant, GrantState.revoked, reason, "revoked", "grant_revoked")


# ----- closing with a closure report ---------------------------------------------------------------
def report_hash(report: ClosureReport) -> str:
    body = {"outputs": report.outputs, "met_need": report.met_need.value, "comments": report.comments,
            "issues": [{"version_id": i.version_id, "table": i.table, "column": i.column,
                        "description": i.description} for i in report.issues]}
    return hashlib.sha256(rfc8785.dumps(body)).hexdigest()


def close(session: Session, person: Person | None, grant: Grant, data: ClosureIn) -> ClosureReport:
    """Close a grant with its closure report; each data-quality problem becomes an issue on the
    dataset version, for its holder."""
    if person is not None:
        authorize(person, "access.grant.close", grant)
    if grant.state not in (GrantState.active, GrantState.suspended):
        raise Conflict(N_("grant %(id)s is %(state)s and cannot be closed"),
                       params={"id": grant.id, "state": grant.state.value})
    refs = {gd.version.ref: gd.version for gd in grant.datasets}
    report = ClosureReport(grant_id=grant.id, outputs=[o.model_dump() for o in data.outputs],
                           met_need=MetNeed(data.met_need), comments=data.comments,
                           submitted_by_id=person.id if person else None)
    session.add(report)
    session.flush()
    for problem in data.issues:
        if problem.dataset not in refs:
            raise ValidationFailed(N_("%(ref)s is not under grant %(id)s; report problems of its own datasets"),
                                   params={"ref": problem.dataset, "id": grant.id}, field="issues")
        session.add(QualityIssue(version_id=refs[problem.dataset].id, grant_id=grant.id, report_id=report.id,
                                 table=problem.table, column=problem.column, description=problem.description))
    session.flush()
    session.refresh(report)
    grant.state, grant.closed_at, grant.state_changed_at = GrantState.closed, utcnow(), utcnow()
    grant.state_reason = "closure report submitted"
    ledger.record(session, "access.grant_closed", f"grant:{grant.id}", {
        "grant_id": grant.id, "report_sha256": report_hash(report), "outputs": len(report.outputs),
        "issues": len(report.issues), "met_need": report.met_need.value,
    }, actor=actor_label(person), org=grant.organization.slug)
    _close_requests(session, person, grant)
    _tell_holders(session, grant, report, person)
    return report


def _close_requests(session: Session, person: Person | None, grant: Grant) -> None:
    for request in session.scalars(select(AccessRequest).where(AccessRequest.grant_id == grant.id,
                                                               AccessRequest.state == RequestState.granted)):
        transition(session, request, "close", person)


def _tell_holders(session: Session, grant: Grant, report: ClosureReport, person: Person | None) -> None:
    for gd in grant.datasets:
        holder_people = notify.org_people(session, gd.version.dataset.organization_id)
        notify.notify(session, holder_people, "grant_closed", {"grant": grant.id}, "/access/feedback", actor=person)
        if any(i.version_id == gd.version_id for i in report.issues):
            notify.notify(session, holder_people, "issue_filed", {"ref": gd.version.ref}, "/access/feedback",
                          actor=person)


def feedback_for(session: Session, org: Organization) -> tuple[list[ClosureReport], list[QualityIssue]]:
    """Every closure report on grants of ``org``'s datasets, and every issue filed on them."""
    grant_ids = select(GrantDataset.grant_id).join(DatasetVersion).join(Dataset).where(
        Dataset.organization_id == org.id)
    reports = list(session.scalars(select(ClosureReport).where(ClosureReport.grant_id.in_(grant_ids))
                                   .order_by(ClosureReport.id.desc())))
    issues = list(session.scalars(select(QualityIssue).join(DatasetVersion).join(Dataset)
                                  .where(Dataset.organization_id == org.id).order_by(QualityIssue.id.desc())))
    return reports, issues


def get_issue(session: Session, person: Person | None, issue_id: int) -> QualityIssue:
    """The issue, for someone who may handle it (NotFound for those who may not even see it)."""
    issue = session.get(QualityIssue, issue_id) if 0 < int(issue_id) < 2**63 else None
    if issue is None:
        raise NotFound(N_("no data-quality issue %(id)s"), params={"id": issue_id})
    if person is not None:
        authorize(person, "access.issue.update", issue)
    return issue


def update_issue(session: Session, person: Person | None, issue_id: int, data: IssueUpdate) -> QualityIssue:
    issue = get_issue(session, person, issue_id)
    issue.state, issue.response, issue.updated_at = IssueState(data.state), data.response, utcnow()
    session.flush()
    ledger.record(session, "access.issue_updated", f"access_issue:{issue.id}", {
        "issue_id": issue.id, "version": issue.version.ref, "state": issue.state.value,
    }, actor=actor_label(person), org=issue.version.dataset.organization.slug)
    return issue


# ----- administrative grants -----------------------------------------------------------------------
def parse_columns(specs: list[str]) -> dict[str, list[str]] | None:
    """``["labs:hba1c,site", "visits:age"]`` → ``{"labs": [...], "visits": [...]}`` (None: no --columns)."""
    if not specs:
        return None
    columns: dict[str, list[str]] = {}
    for spec in specs:
        table, sep, names = spec.partition(":")
        cols = [c.strip() for c in names.split(",") if c.strip()]
        if not sep or not table.strip() or not cols:
            raise ValidationFailed(N_("--columns takes TABLE:COL,COL, not %(spec)s"), params={"spec": spec[:100]},
                                   field="columns")
        columns.setdefault(table.strip(), []).extend(c for c in cols if c not in columns.get(table.strip(), []))
    return columns


def administrative_grant(session: Session, person: Person | None, *, org: Organization, ref: str,
                         columns: dict[str, list[str]] | None, days: int, mode: str, epsilon: float | None,
                         reason: str) -> Grant:
    """A grant the commission makes directly (e.g. for its own evaluators); public on the register
    with its reason, and on the ledger marked administrative."""
    if person is not None:
        authorize(person, "access.admin_grant", None)
    if not reason.strip():
        raise ValidationFailed(N_("an administrative grant needs its reason (--reason)"), field="reason")
    version = catalog.resolve_version(session, ref)
    if version.state != VersionState.published:
        raise ValidationFailed(N_("%(ref)s is not published; only published versions can be granted"),
                               params={"ref": ref}, field="dataset")
    if not org.approved:
        raise ValidationFailed(N_("%(org)s is not approved yet"), params={"org": org.slug}, field="org")
    return create_grant(session, org=org, versions={version: columns}, days=days, mode=mode, reason=reason.strip(),
                        title=reason.strip()[:300], purpose="product_evaluation" if org.kind.value == "evaluator"
                        else "public_health", epsilon_budget=epsilon, administrative=True, actor=person,
                        lay_summary=reason.strip())


# ----- expiry --------------------------------------------------------------------------------------
def notice_expiry(session: Session) -> dict:
    """Tell teams of grants expiring soon, and record each expiry once on the ledger."""
    now = utcnow()
    soon = now + timedelta(days=get_access_settings().expiry_warning_days)
    expired = warned = 0
    for grant in session.scalars(select(Grant).where(Grant.state == GrantState.active, Grant.expires_at <= soon,
                                                     Grant.expiry_noticed_at.is_(None))):
        people = [m.person_id for m in grant.team] or notify.org_people(session, grant.organization_id)
        if grant.expires_at <= now:
            ledger.record(session, "access.grant_expired", f"grant:{grant.id}", {
                "grant_id": grant.id, "expires_at": grant.expires_at.isoformat()}, actor="system",
                org=grant.organization.slug)
            notify.notify(session, people, "grant_expired", {"grant": grant.id}, f"/access/grants/{grant.id}")
            grant.expiry_noticed_at = now
            expired += 1
        elif not _warned(session, grant):
            notify.notify(session, people, "grant_expiring",
                          {"grant": grant.id, "when": grant.expires_at.strftime("%Y-%m-%d")},
                          f"/access/grants/{grant.id}")
            warned += 1
    session.flush()
    return {"expired": expired, "warned": warned}


def _warned(session: Session, grant: Grant) -> bool:
    from yizhi.access.feedback_models import AccessNotification

    return session.scalar(select(AccessNotification.id).where(
        AccessNotification.kind == "grant_expiring", AccessNotification.link == f"/access/grants/{grant.id}",
        AccessNotification.created_at >= grant.expires_at - timedelta(days=get_access_settings().expiry_warning_days + 1),
    ).limit(1)) is not None
