"""Applying for data: writing a request (statistics or data), its data minimisation, the team, the
ethics approval file, submitting, withdrawing, and new versions (amendment, extension, renewal).

Functions take the acting ``person`` (``None``: the operator at the command line), check
permission, change, then ``flush``: the caller commits, so a change, its history, its
notifications and its ledger entry are one transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import BinaryIO

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from yizhi import storage
from yizhi.access import dataset_settings, notify
from yizhi.access.grants import grant_state_now
from yizhi.access.permissions import applying_orgs, on_applicant_side, on_reviewer_side
from yizhi.access.request_models import (
    AccessMessage,
    AccessRequest,
    RequestChange,
    RequestDataset,
    RequestKind,
    RequestState,
    ReviewStep,
)
from yizhi.access.schemas import AmendIn, RequestIn
from yizhi.access.settings import get_access_settings
from yizhi.access.workflow import OPEN, Incomplete, record_created, transition
from yizhi.accounts.models import Membership, Organization, Person
from yizhi.accounts.permissions import acting_role, authorize, is_platform_admin
from yizhi.catalog import service as catalog
from yizhi.catalog.models import DatasetVersion, VersionState
from yizhi.db import utcnow
from yizhi.errors import N_, Conflict, NotFound, ValidationFailed

UID = re.compile(r"^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))+$")
ETHICS_MAGIC = {b"%PDF-": ".pdf", b"\x89PNG\r\n\x1a\n": ".png", b"\xff\xd8\xff": ".jpg"}


@dataclass
class Scope:
    """What a request asks, resolved against the catalog: per version, its columns and series."""

    holder: Organization
    entries: list[tuple[DatasetVersion, dict, dict, list | None]] = field(default_factory=list)


# ----- reading -------------------------------------------------------------------------------------
def get_request(session: Session, person: Person | None, request_id: int) -> AccessRequest:
    request = session.get(AccessRequest, request_id) if 0 < int(request_id) < 2**63 else None
    if request is None:
        raise NotFound(N_("no access request %(id)s"), params={"id": request_id})
    if person is not None:
        authorize(person, "access.request.view", request)
    return request


def family(session: Session, request: AccessRequest) -> list[AccessRequest]:
    """Every version of the request's family, first to last."""
    root = request.family_id
    return list(session.scalars(select(AccessRequest).where(
        or_(AccessRequest.id == root, AccessRequest.root_id == root)).order_by(AccessRequest.version)))


def visible_requests(session: Session, person: Person | None, *, state: str | None = None,
                     limit: int = 200) -> list[AccessRequest]:
    """Requests this person may see, newest first (all of them for the operator)."""
    stmt = select(AccessRequest).order_by(AccessRequest.id.desc())
    if state:
        stmt = stmt.where(AccessRequest.state == RequestState(state))
    if person is not None and not is_platform_admin(person):
        org_ids = [m.organization_id for m in person.memberships if m.organization.approved]
        stmt = stmt.where(or_(AccessRequest.organization_id.in_(org_ids),
                              (AccessRequest.holder_id.in_(org_ids)) & AccessRequest.submitted_at.is_not(None)))
    rows = session.scalars(stmt.limit(limit * 2))
    if person is None:
        return list(rows)[:limit]
    from yizhi.accounts.permissions import can

    return [r for r in rows if can(person, "access.request.view", r)][:limit]


# ----- scope: datasets, columns, series, team ------------------------------------------------------
def _published_versions(session: Session, refs: list[str]) -> list[DatasetVersion]:
    versions = []
    for ref in dict.fromkeys(r.strip() for r in refs):
        try:
            version = catalog.resolve_version(session, ref)
        except NotFound:
            raise ValidationFailed(N_("no dataset version %(ref)s"), params={"ref": ref[:80]},
                                   field="datasets") from None
        if version.state != VersionState.published:
            raise ValidationFailed(N_("%(ref)s is not published; only published versions can be requested"),
                                   params={"ref": ref}, field="datasets")
        versions.append(version)
    return versions


def _check_tables(versions: list[DatasetVersion], columns: dict[str, list[str]], reasons: dict[str, str]) -> None:
    for table, names in columns.items():
        having = [v for v in versions if table in (v.tables or {})]
        if not having:
            raise ValidationFailed(N_("no requested dataset version has a table %(table)s"),
                                   params={"table": table}, field="columns")
        if not names:
            raise ValidationFailed(N_("name the columns you need of table %(table)s"), params={"table": table},
                                   field="columns")
        known = {c for v in having for c in v.columns_of(table)}
        unknown = [c for c in dict.fromkeys(names) if c not in known]
        if unknown:
            raise ValidationFailed(N_("table %(table)s has no column(s) %(columns)s"),
                                   params={"table": table, "columns": ", ".join(unknown[:20])}, field="columns")
    for table in reasons:
        if table not in columns:
            raise ValidationFailed(N_("a reason is given for table %(table)s, which is not requested"),
                                   params={"table": table}, field="reasons")


def _check_series(versions: list[DatasetVersion], series: dict[str, list[str]]) -> dict[str, list[str]]:
    refs = {v.ref for v in versions}
    cleaned = {}
    for ref, uids in series.items():
        if ref not in refs:
            raise ValidationFailed(N_("DICOM series are asked of %(ref)s, which is not among the requested datasets"),
                                   params={"ref": ref}, field="series")
        bad = [u for u in uids if len(u) > 64 or not UID.match(u)]
        if bad:
            raise ValidationFailed(N_("%(uid)s is not a DICOM UID (digits and dots, at most 64 characters)"),
                                   params={"uid": bad[0][:80]}, field="series")
        if uids:
            cleaned[ref] = list(dict.fromkeys(uids))
    return cleaned


def resolve_scope(session: Session, org: Organization, data: RequestIn) -> Scope:
    """Check what ``data`` asks against the catalog; ValidationFailed naming the first problem."""
    if not data.datasets:
        raise ValidationFailed(N_("name at least one dataset version (SLUG@N)"), field="datasets")
    versions = _published_versions(session, data.datasets)
    holders = {v.dataset.organization_id: v.dataset.organization for v in versions}
    if len(holders) > 1:
        raise ValidationFailed(N_("one request goes to one data holder; %(refs)s belong to different holders — "
                                  "apply to each separately"), params={"refs": ", ".join(v.ref for v in versions)},
                               field="datasets")
    holder = next(iter(holders.values()))
    if holder.id == org.id:
        raise ValidationFailed(N_("%(org)s holds these datasets itself and needs no access request"),
                               params={"org": org.slug}, field="datasets")
    if data.kind == "statistics" and data.mode != "space":
        raise ValidationFailed(N_("a statistics request is answered with aggregates inside the space; "
                                  "mode must be space"), field="mode")
    for version in versions:
        if data.mode == "extract" and not version.dataset.allow_extracts:
            raise ValidationFailed(N_("the owner of %(ref)s does not allow extracts; ask for analysis in the space"),
                                   params={"ref": version.ref}, field="mode")
    _check_tables(versions, data.columns, data.reasons)
    series = _check_series(versions, data.series)
    scope = Scope(holder=holder)
    for version in versions:
        columns = {t: [c for c in dict.fromkeys(cols) if c in version.columns_of(t)]
                   for t, cols in data.columns.items() if t in (version.tables or {})}
        columns = {t: cols for t, cols in columns.items() if cols}
        if not columns and version.ref not in series:
            raise ValidationFailed(N_("say what you need of %(ref)s: tables and columns, or DICOM series"),
                                   params={"ref": version.ref}, field="columns")
        reasons = {t: data.reasons[t] for t in columns if data.reasons.get(t)}
        scope.entries.append((version, columns, reasons, series.get(version.ref)))
    return scope


def resolve_team(session: Session, org: Organization, emails: list[str], applicant: Person | None) -> list[int]:
    """People named on the team (by e-mail) must be members of the applying organisation."""
    ids = [applicant.id] if applicant is not None else []
    for email in dict.fromkeys(e.strip().lower() for e in emails if e.strip()):
        person = session.scalar(select(Person).where(func.lower(Person.email) == email))
        member = person is not None and session.scalar(select(Membership.id).where(
            Membership.person_id == person.id, Membership.organization_id == org.id))
        if not member:
            raise ValidationFailed(N_("%(email)s is not a member of %(org)s on the platform"),
                                   params={"email": email[:254], "org": org.slug}, field="team")
        if person.id not in ids:
            ids.append(person.id)
    return ids


def applying_org(session: Session, person: Person | None, slug: str | None) -> Organization:
    """The organisation a request is made for: the one named, or the person's only one."""
    if slug:
        org = session.scalar(select(Organization).where(Organization.slug == slug))
        if org is None:
            raise NotFound(N_("no organisation %(slug)s"), params={"slug": slug})
        return org
    choices = applying_orgs(person) if person is not None else []
    if len(choices) != 1:
        raise ValidationFailed(N_("say which organisation you apply for (the org field)"), field="org")
    return choices[0]


def _fill(session: Session, request: AccessRequest, data: RequestIn, scope: Scope, team: list[int]) -> None:
    for name in ("title", "purpose", "lay_summary", "legal_basis", "ethics_reference", "funding", "mode",
                 "duration_days", "outputs"):
        setattr(request, name, getattr(data, name))
    request.kind, request.holder_id, request.holder = RequestKind(data.kind), scope.holder.id, scope.holder
    request.series_reason = data.series_reason
    request.team_ids = team
    if request.datasets:
        # the old rows go first, so (request, version) is never held twice at a flush
        request.datasets.clear()
        session.flush()
    request.datasets = [RequestDataset(version_id=v.id, version=v, columns=cols, reasons=reasons, series=series,
                                       series_reason=data.series_reason if series else "")
                        for v, cols, reasons, series in scope.entries]
    request.updated_at = utcnow()


# ----- writing -------------------------------------------------------------------------------------
def create_request(session: Session, person: Person | None, data: RequestIn) -> AccessRequest:
    org = applying_org(session, person, data.org)
    if person is not None:
        authorize(person, "access.request.create", org)
    scope = resolve_scope(session, org, data)
    request = AccessRequest(organization_id=org.id, organization=org, created_by_id=person.id if person else None,
                            state=RequestState.draft)
    _fill(session, request, data, scope, resolve_team(session, org, data.team, person))
    session.add(request)
    session.flush()
    record_created(session, request, person)
    return request


def update_request(session: Session, person: Person | None, request: AccessRequest, data: RequestIn) -> AccessRequest:
    if person is not None:
        authorize(person, "access.request.edit", request)
    if request.state != RequestState.draft:
        raise Conflict(N_("only a draft can be edited"))
    if data.org and data.org != request.organization.slug:
        raise ValidationFailed(N_("the applying organisation of a request cannot change"), field="org")
    scope = resolve_scope(session, request.organization, data)
    before = _scope_key(request)
    _fill(session, request, data, scope, resolve_team(session, request.organization, data.team, request.created_by))
    if request.change in (RequestChange.extension, RequestChange.renewal) and _scope_key(request) != before:
        raise ValidationFailed(N_("an extension or renewal keeps what was granted; ask for an amendment to change it"),
                               field="datasets")
    session.flush()
    return request


def _scope_key(request: AccessRequest) -> list:
    return sorted(((d.version_id, repr(sorted((d.columns or {}).items())), repr(d.series)) for d in request.datasets))


def attach_ethics(session: Session, person: Person | None, request: AccessRequest, stream: BinaryIO,
                  filename: str) -> AccessRequest:
    """Store the ethics approval (PDF, PNG or JPEG) before anything reads it; keep its digest."""
    if person is not None:
        authorize(person, "access.request.edit", request)
    digest, size = storage.put_stream(stream, max_bytes=get_access_settings().max_ethics_bytes)
    with storage.open_file(digest) as handle:
        head = handle.read(8)
    if size == 0 or not any(head.startswith(magic) for magic in ETHICS_MAGIC):
        raise ValidationFailed(N_("the ethics approval must be a PDF, PNG or JPEG file (%(name)s is not)"),
                               params={"name": (filename or "?")[:100]}, field="ethics_file")
    request.ethics_file, request.ethics_bytes = digest, size
    request.ethics_filename = re.sub(r"[^\w.\- ()\u4e00-\u9fff]", "_", filename or "ethics")[:200]
    request.updated_at = utcnow()
    session.flush()
    return request


def missing_fields(request: AccessRequest) -> list[str]:
    """What a request still lacks before it can be submitted (English labels, translated where shown)."""
    missing = [] if request.lay_summary else [N_("lay summary")]
    if request.kind == RequestKind.statistics:
        return missing
    if not request.legal_basis:
        missing.append(N_("legal basis"))
    if not request.ethics_reference:
        missing.append(N_("ethics approval reference number"))
    if not request.ethics_file:
        missing.append(N_("ethics approval file"))
    if not request.outputs:
        missing.append(N_("intended outputs"))
    if any(set(d.columns) - set(d.reasons or {}) for d in request.datasets):
        missing.append(N_("a reason for each requested table"))
    if any(d.series and not d.series_reason for d in request.datasets):
        missing.append(N_("a reason for the DICOM series"))
    return missing


def submit(session: Session, person: Person | None, request: AccessRequest) -> AccessRequest:
    """Submit a draft: complete, its versions still published; accepted automatically where the
    holder chose so for the applicant's kind of organisation, else it waits for prescreening."""
    if person is not None:
        authorize(person, "access.request.submit", request)
    missing = missing_fields(request)
    if missing:
        raise Incomplete(missing)
    for entry in request.datasets:
        if entry.version.state != VersionState.published:
            raise ValidationFailed(N_("%(ref)s is no longer published; change the request"),
                                   params={"ref": entry.version.ref}, field="datasets")
    _refuse_second_open_version(session, request)
    request.submitted_at = utcnow()
    transition(session, request, "submit", person)
    datasets = {e.version.dataset for e in request.datasets}
    if all(dataset_settings.accepts_automatically(session, d, request.organization) for d in datasets):
        from yizhi.access.review_service import approve_automatically

        approve_automatically(session, request)
        return request
    notify.notify(session, notify.commission_staff(session), "request_submitted", _params(request),
                  link_to(request), actor=person)
    return request


def _refuse_second_open_version(session: Session, request: AccessRequest) -> None:
    for other in family(session, request):
        if other.id != request.id and other.state in OPEN:
            raise Conflict(N_("version %(version)s of this request is still open; wait for its decision"),
                           params={"version": other.version})


def withdraw(session: Session, person: Person | None, request: AccessRequest, comment: str = "") -> AccessRequest:
    if person is not None:
        authorize(person, "access.request.withdraw", request)
    was_open = request.state in OPEN
    for step in request.steps:
        if step.state.value == "active":
            step.state = type(step.state).done
    transition(session, request, "withdraw", person, comment=comment)
    if was_open:
        people = notify.org_people(session, request.holder_id) + notify.commission_staff(session)
        notify.notify(session, people, "request_withdrawn", _params(request), link_to(request), actor=person)
    return request


def amend(session: Session, person: Person | None, request: AccessRequest, data: AmendIn) -> AccessRequest:
    """A new draft version of a granted request: an amendment (new scope), an extension (more days
    for a live grant) or a renewal (a new period after expiry). Earlier versions stay as they were."""
    if person is not None:
        authorize(person, "access.request.amend", request)
    versions = family(session, request)
    latest = versions[-1]
    if any(v.state in (RequestState.draft, *OPEN) for v in versions):
        raise Conflict(N_("this request already has an open version; finish or withdraw it first"))
    state = grant_state_now(request.grant)
    if data.change == "extension" and state != "active":
        raise Conflict(N_("only a live grant can be extended; an expired one is renewed"))
    if data.change == "renewal" and state != "expired":
        raise Conflict(N_("only an expired grant is renewed; a live one is extended"))
    if data.change != "amendment" and data.duration_days is None:
        raise ValidationFailed(N_("say how many more days (duration_days)"), field="duration_days")
    source = next(v for v in reversed(versions) if v.state == RequestState.granted)
    draft = _copy(source, latest.version + 1, person)
    draft.change, draft.change_reason = RequestChange(data.change), data.reason
    if data.duration_days is not None:
        draft.duration_days = data.duration_days
    session.add(draft)
    session.flush()
    record_created(session, draft, person)
    return draft


def _copy(source: AccessRequest, number: int, person: Person | None) -> AccessRequest:
    copied = AccessRequest(root_id=source.family_id, version=number, state=RequestState.draft,
                           organization_id=source.organization_id, organization=source.organization,
                           holder_id=source.holder_id, holder=source.holder,
                           created_by_id=person.id if person else source.created_by_id, grant_id=source.grant_id)
    for name in ("kind", "title", "purpose", "lay_summary", "legal_basis", "ethics_reference", "ethics_file",
                 "ethics_filename", "ethics_bytes", "funding", "mode", "duration_days", "outputs", "team_ids"):
        setattr(copied, name, getattr(source, name))
    copied.datasets = [RequestDataset(version_id=d.version_id, version=d.version, columns=dict(d.columns),
                                      reasons=dict(d.reasons or {}), series=d.series, series_reason=d.series_reason)
                       for d in source.datasets]
    return copied


# ----- messages and private notes ------------------------------------------------------------------
def side_of(person: Person, request: AccessRequest) -> str:
    return "applicant" if on_applicant_side(person, request) else "reviewers"


def post_message(session: Session, person: Person, request: AccessRequest, body: str, *,
                 private: bool = False) -> AccessMessage:
    authorize(person, "access.request.message", request)
    side = side_of(person, request)
    if not private and side == "applicant" and request.submitted_at is None:
        raise Conflict(N_("reviewers see a request once it is submitted; keep a private note instead"))
    message = AccessMessage(family_id=request.family_id, author_id=person.id, side=side, private=private, body=body)
    session.add(message)
    session.flush()
    if not private:
        if side == "applicant":
            others = notify.org_people(session, request.holder_id) + [
                r for s in request.steps for r in (s.reviewer_ids or [])]
        else:
            others = notify.org_people(session, request.organization_id)
        notify.notify(session, others, "request_message", _params(request), link_to(request), actor=person)
    return message


def messages_for(session: Session, person: Person, request: AccessRequest) -> list[AccessMessage]:
    """The family's messages, and the private notes of this person's side only."""
    side = side_of(person, request)
    if side == "reviewers" and not on_reviewer_side(person, request):
        return []
    rows = session.scalars(select(AccessMessage).where(AccessMessage.family_id == request.family_id)
                           .order_by(AccessMessage.id))
    return [m for m in rows if not m.private or m.side == side]


# ----- helpers shared with review ------------------------------------------------------------------
def link_to(request: AccessRequest) -> str:
    return f"/access/requests/{request.id}"


def _params(request: AccessRequest, **more) -> dict:
    return {"id": request.id, "title": request.title[:120], **more}


def params(request: AccessRequest, **more) -> dict:
    return _params(request, **more)


def active_step(request: AccessRequest) -> ReviewStep | None:
    return next((s for s in request.steps if s.state.value == "active"), None)


def holder_org_member(person: Person, request: AccessRequest) -> bool:
    return acting_role(person, request.holder) is not None
