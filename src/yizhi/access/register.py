"""The public Data Use Register (every approved use: organisation, project, purpose, lay summary,
datasets, dates, outputs), its CSV export, public metrics per dataset and per data holder, and
the check that the register and the transparency ledger tell the same story."""

from __future__ import annotations

import csv
import io
import json
import statistics
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from yizhi.access.feedback_models import ClosureReport
from yizhi.access.grant_service import report_hash
from yizhi.access.grants import grant_state_now, scope_hash
from yizhi.access.models import Grant
from yizhi.access.request_models import AccessRequest, RequestChange
from yizhi.ledger.models import LedgerEntry


# ----- entries -------------------------------------------------------------------------------------
def register_entries(session: Session, *, limit: int = 10_000) -> list[dict]:
    """One entry per grant (a use of data), newest first; only what the register publishes."""
    grants = list(session.scalars(select(Grant).order_by(Grant.id.desc()).limit(limit)))
    reports = {r.grant_id: r for r in session.scalars(select(ClosureReport).where(
        ClosureReport.grant_id.in_([g.id for g in grants])))}
    decided = {}
    for request in session.scalars(select(AccessRequest).where(AccessRequest.grant_id.in_([g.id for g in grants]))
                                   .order_by(AccessRequest.version)):
        decided.setdefault(request.grant_id, request)   # the first version's decision approved the use
    return [_entry(g, decided.get(g.id), reports.get(g.id)) for g in grants]


def _day(moment) -> str | None:
    return moment.date().isoformat() if moment else None


def _entry(grant: Grant, request: AccessRequest | None, report: ClosureReport | None) -> dict:
    return {
        "grant_id": grant.id,
        "organisation": grant.organization.name, "organisation_en": grant.organization.display_name("en"),
        "organisation_slug": grant.organization.slug,
        "organisation_kind": grant.organization.kind.value,
        "project": grant.title, "purpose": grant.purpose, "lay_summary": grant.lay_summary,
        "datasets": [gd.version.ref for gd in grant.datasets],
        "data_holders": sorted({gd.version.dataset.organization.name for gd in grant.datasets}),
        "data_holders_en": sorted({gd.version.dataset.organization.display_name("en") for gd in grant.datasets}),
        "kind": grant.kind.value, "mode": grant.mode.value, "administrative": grant.administrative,
        "approved_on": _day(request.decided_at if request else grant.created_at),
        "starts_on": _day(grant.created_at), "expires_on": _day(grant.expires_at), "closed_on": _day(grant.closed_at),
        "state": grant_state_now(grant), "request_id": request.family_id if request else None,
        "outputs": list(report.outputs) if report else [],
        "met_need": report.met_need.value if report else None,
    }


# ----- CSV -----------------------------------------------------------------------------------------
CSV_COLUMNS = ["grant_id", "organisation", "organisation_kind", "project", "purpose", "lay_summary", "datasets",
               "data_holders", "kind", "mode", "administrative", "approved_on", "starts_on", "expires_on",
               "closed_on", "state", "outputs", "met_need", "organisation_en", "data_holders_en"]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """A cell a spreadsheet will not run: text beginning with = + - @ tab or CR gets a leading '."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        value = "; ".join(_output_text(v) if isinstance(v, dict) else str(v) for v in value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _output_text(output: dict) -> str:
    link = f" <{output['link']}>" if output.get("link") else ""
    return f"{output.get('kind', '')}: {output.get('title', '')}{link}"


def register_csv(entries: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for entry in entries:
        writer.writerow([safe_cell(entry.get(column)) for column in CSV_COLUMNS])
    return "\ufeff" + buffer.getvalue()   # the BOM lets spreadsheet programs read UTF-8 Chinese


# ----- metrics -------------------------------------------------------------------------------------
@dataclass
class _Tally:
    name: str = ""
    name_en: str = ""  # data holders: the organisation's English name (English pages)
    requests: int = 0
    approved: int = 0
    rejected: int = 0
    active_grants: int = 0

    def __post_init__(self):
        self.days: list[float] = []

    def public(self) -> dict:
        decided = self.approved + self.rejected
        return {"name": self.name, **({"name_en": self.name_en} if self.name_en else {}), "requests": self.requests, "decided": decided,
                "approval_rate": round(self.approved / decided, 3) if decided else None,
                "median_days_to_decision": round(statistics.median(self.days), 1) if self.days else None,
                "active_grants": self.active_grants}


def metrics(session: Session) -> dict:
    """Per dataset and per data holder: requests submitted (first versions), approval rate among
    those decided, median days from submission to decision, and grants live now."""
    by_dataset: dict[str, _Tally] = defaultdict(_Tally)
    by_holder: dict[str, _Tally] = defaultdict(_Tally)
    requests = session.scalars(select(AccessRequest).where(AccessRequest.change == RequestChange.initial,
                                                           AccessRequest.submitted_at.is_not(None)))
    for request in requests:
        tallies = [_named(by_holder, request.holder.slug, request.holder.name, request.holder.display_name("en"))]
        tallies += [_named(by_dataset, d.version.dataset.slug, d.version.dataset.title) for d in request.datasets]
        for tally in tallies:
            _count(tally, request)
    for grant in session.scalars(select(Grant)):
        if grant_state_now(grant) != "active":
            continue
        for dataset in {gd.version.dataset for gd in grant.datasets}:
            _named(by_dataset, dataset.slug, dataset.title).active_grants += 1
        for holder in {gd.version.dataset.organization for gd in grant.datasets}:
            _named(by_holder, holder.slug, holder.name, holder.display_name("en")).active_grants += 1
    return {"datasets": {k: v.public() for k, v in sorted(by_dataset.items())},
            "holders": {k: v.public() for k, v in sorted(by_holder.items())}}


def _named(tallies: dict[str, _Tally], key: str, name: str, name_en: str = "") -> _Tally:
    tally = tallies[key]
    tally.name, tally.name_en = name, name_en
    return tally


def _count(tally: _Tally, request: AccessRequest) -> None:
    tally.requests += 1
    if request.decision in ("approved", "approved_with_conditions"):
        tally.approved += 1
    elif request.decision == "rejected":
        tally.rejected += 1
    else:
        return
    if request.decided_at and request.submitted_at:
        tally.days.append((request.decided_at - request.submitted_at).total_seconds() / 86400)


# ----- the register against the ledger ------------------------------------------------------------
STATE_OF = {"access.grant_created": "active", "access.grant_suspended": "suspended",
            "access.grant_reinstated": "active", "access.grant_revoked": "revoked", "access.grant_closed": "closed"}
SCOPE_KINDS = ("access.grant_created", "access.grant_amended")


def _ledger_events(session: Session) -> dict[str, list[tuple[int, dict]]]:
    from yizhi.ledger.store import read_head

    head = read_head(session)
    hasher = head.hasher if head else None
    events: dict[str, list[tuple[int, dict]]] = defaultdict(list)
    rows = session.scalars(select(LedgerEntry).where(LedgerEntry.kind.like("access.%"))
                           .order_by(LedgerEntry.index))
    for row in rows:
        event = json.loads(row.leaf)
        event["_intact"] = hasher is None or hasher.leaf(row.leaf.encode()) == row.leaf_hash
        events[row.subject].append((row.index, event))
    return events


def check_register_against_ledger(session: Session) -> list[str]:
    """Problems found (empty when they agree): every grant on the register has its creation, its
    current scope and expiry, its state and its closure report on the ledger, every approved
    request its grant, and every grant the ledger records is on the register."""
    events = _ledger_events(session)
    problems = [f"ledger entry {i} ({e['kind']}) does not match its leaf hash"
                for subject in events.values() for i, e in subject if not e["_intact"]]
    grants = {g.id: g for g in session.scalars(select(Grant))}
    for grant in grants.values():
        problems += _check_grant(session, grant, events.get(f"grant:{grant.id}", []))
    for subject, found in events.items():
        if subject.startswith("grant:") and any(e["kind"] == "access.grant_created" for _i, e in found):
            if int(subject.split(":")[1]) not in grants:
                problems.append(f"the ledger records {subject} (entry {found[0][0]}) but the register has no such grant")
    problems += _check_requests(session, events)
    return problems


def _check_grant(session: Session, grant: Grant, found: list[tuple[int, dict]]) -> list[str]:
    created = [e for _i, e in found if e["kind"] == "access.grant_created"]
    if not created:
        return [f"grant {grant.id} is on the register but its creation is not on the ledger"]
    problems = []
    if created[0]["org"] != grant.organization.slug:
        problems.append(f"grant {grant.id}: the ledger names {created[0]['org']}, the register {grant.organization.slug}")
    scope = [e for _i, e in found if e["kind"] in SCOPE_KINDS][-1]["data"]
    if sorted(scope.get("versions", [])) != sorted(gd.version.ref for gd in grant.datasets):
        problems.append(f"grant {grant.id}: dataset versions differ from the ledger's")
    if scope.get("scope_sha256") and scope["scope_sha256"] != scope_hash(grant):
        problems.append(f"grant {grant.id}: columns, series, mode or team differ from the ledger's")
    if scope.get("expires_at") != grant.expires_at.isoformat():
        problems.append(f"grant {grant.id}: expiry {grant.expires_at.isoformat()} is not the ledger's {scope.get('expires_at')}")
    states = [STATE_OF[e["kind"]] for _i, e in found if e["kind"] in STATE_OF]
    if states[-1] != grant.state.value:
        problems.append(f"grant {grant.id}: state {grant.state.value} but the ledger's last is {states[-1]}")
    if grant.state.value == "closed":
        problems += _check_closure(session, grant, found)
    return problems


def _check_closure(session: Session, grant: Grant, found: list[tuple[int, dict]]) -> list[str]:
    report = session.scalar(select(ClosureReport).where(ClosureReport.grant_id == grant.id))
    closed = [e for _i, e in found if e["kind"] == "access.grant_closed"]
    if report is None:
        return [f"grant {grant.id} is closed without a closure report"]
    if not closed or closed[-1]["data"].get("report_sha256") != report_hash(report):
        return [f"grant {grant.id}: the closure report differs from the one on the ledger"]
    return []


def _check_requests(session: Session, events: dict) -> list[str]:
    problems = []
    for request in session.scalars(select(AccessRequest).where(AccessRequest.grant_id.is_not(None),
                                                               AccessRequest.decision.is_not(None))):
        found = events.get(f"access_request:{request.id}", [])
        granted = [e for _i, e in found if e["kind"] == "access.request_grant"]
        if request.decision != "rejected" and (not granted or granted[-1]["data"].get("grant_id") != request.grant_id):
            problems.append(f"request {request.id}: its grant {request.grant_id} is not recorded on the ledger")
    return problems
