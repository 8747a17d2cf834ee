"""Post-market surveillance: hospitals report incidents and performance drift on a product version,
the company answers, and repeated reports raise a re-evaluation request at the evaluation center
(no HTTP here).

"Repeated" is ``incident_threshold`` reports on one version within ``incident_window_days`` that no
earlier request has taken up; each report counts once. The request is on the ledger and goes to the
commission, the evaluator organisations and the company.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from yizhi import ledger
from yizhi.accounts.models import OrgKind, Person
from yizhi.accounts.permissions import can
from yizhi.db import utcnow
from yizhi.errors import N_, Conflict, NotFound, ValidationFailed
from yizhi.market.models import (
    Incident,
    IncidentKind,
    IncidentState,
    ProductVersion,
    ReevaluationRequest,
    ReevaluationState,
    Severity,
)
from yizhi.market.notify import notify, org_people, people_of_kind
from yizhi.market.pilots import _acting_hospital
from yizhi.market.products import _check, actor_of
from yizhi.market.schemas import IncidentIn
from yizhi.market.settings import get_market_settings


def _params(incident: Incident) -> dict:
    product = incident.version.product
    return {"product": product.name, "version": incident.version.label, "hospital": incident.hospital.name,
            "company": product.organization.name, "hospital_en": incident.hospital.display_name("en"),
            "company_en": product.organization.display_name("en")}


def get_incident(session: Session, incident_id: int) -> Incident:
    found = session.get(Incident, incident_id) if 0 < incident_id < 2**31 else None
    if found is None:
        raise NotFound(N_("no post-market report %(id)s"), params={"id": incident_id})
    return found


def get_reevaluation(session: Session, request_id: int) -> ReevaluationRequest:
    found = session.get(ReevaluationRequest, request_id) if 0 < request_id < 2**31 else None
    if found is None:
        raise NotFound(N_("no re-evaluation request %(id)s"), params={"id": request_id})
    return found


def report(session: Session, person: Person | None, version: ProductVersion, data: IncidentIn) -> Incident:
    _check(person, "market.incident.report", version)
    hospital = _acting_hospital(person, data.hospital, session)
    if data.occurred_on > utcnow().date():
        raise ValidationFailed(N_("the date it happened cannot be in the future"), field="occurred_on")
    incident = Incident(version_id=version.id, hospital_id=hospital.id, kind=IncidentKind(data.kind),
                        severity=Severity(data.severity), description=data.description, occurred_on=data.occurred_on,
                        reported_by_id=person.id if person else None)
    incident.version, incident.hospital = version, hospital
    session.add(incident)
    session.flush()
    ledger.record(session, "market.incident_reported", f"incident:{incident.id}",
                  {"incident_id": incident.id, "version_id": version.id, "kind": data.kind, "severity": data.severity,
                   "description_sha256": hashlib.sha256(data.description.encode()).hexdigest()},
                  actor=actor_of(person), org=hospital.slug)
    notify(session, org_people(session, version.product.organization_id), "incident_reported", _params(incident),
           f"/market/incidents/{incident.id}", actor=person)
    raise_reevaluation_if_repeated(session, version)
    return incident


def raise_reevaluation_if_repeated(session: Session, version: ProductVersion) -> ReevaluationRequest | None:
    settings = get_market_settings()
    since = utcnow() - timedelta(days=settings.incident_window_days)
    pending = list(session.scalars(select(Incident).where(
        Incident.version_id == version.id, Incident.reevaluation_id.is_(None), Incident.created_at >= since)
        .order_by(Incident.id)))
    if len(pending) < settings.incident_threshold:
        return None
    request = ReevaluationRequest(version_id=version.id, incident_ids=[i.id for i in pending])
    request.version = version
    session.add(request)
    session.flush()
    for incident in pending:
        incident.reevaluation_id = request.id
    entry = ledger.record(session, "market.reevaluation_requested", f"reevaluation:{request.id}",
                          {"reevaluation_id": request.id, "version_id": version.id,
                           "incident_ids": request.incident_ids}, actor="system",
                          org=version.product.organization.slug)
    request.ledger_index = entry.index
    people = (people_of_kind(session, OrgKind.commission) + people_of_kind(session, OrgKind.evaluator)
              + org_people(session, version.product.organization_id))
    notify(session, people, "reevaluation_requested", {"product": version.product.name, "version": version.label},
           f"/market/reevaluations/{request.id}")
    session.flush()
    return request


def answer(session: Session, person: Person | None, incident: Incident, text: str) -> Incident:
    _check(person, "market.incident.answer", incident)
    if incident.state != IncidentState.open:
        raise Conflict(N_("this report is answered already"))
    incident.answer, incident.state = text, IncidentState.answered
    incident.answered_by_id, incident.answered_at = (person.id if person else None), utcnow()
    session.flush()
    ledger.record(session, "market.incident_answered", f"incident:{incident.id}",
                  {"incident_id": incident.id, "answer_sha256": hashlib.sha256(text.encode()).hexdigest()},
                  actor=actor_of(person), org=incident.version.product.organization.slug)
    notify(session, org_people(session, incident.hospital_id), "incident_answered", _params(incident),
           f"/market/incidents/{incident.id}", actor=person)
    return incident


def close_reevaluation(session: Session, person: Person | None, request: ReevaluationRequest, note: str) -> None:
    _check(person, "market.reevaluation.close", request)
    if request.state != ReevaluationState.open:
        raise Conflict(N_("this re-evaluation request is closed already"))
    if not note.strip():
        raise ValidationFailed(N_("say what the re-evaluation found"), field="note")
    request.state, request.note = ReevaluationState.closed, note.strip()[:5000]
    request.closed_by_id, request.closed_at = (person.id if person else None), utcnow()
    session.flush()
    ledger.record(session, "market.reevaluation_closed", f"reevaluation:{request.id}",
                  {"reevaluation_id": request.id, "note_sha256": hashlib.sha256(request.note.encode()).hexdigest()},
                  actor=actor_of(person), org=request.version.product.organization.slug)


def visible_incidents(session: Session, person: Person, version: ProductVersion | None = None) -> list[Incident]:
    query = select(Incident).order_by(Incident.id.desc()).limit(500)
    if version is not None:
        query = query.where(Incident.version_id == version.id)
    return [i for i in session.scalars(query) if can(person, "market.incident.view", i)]


def visible_reevaluations(session: Session, person: Person) -> list[ReevaluationRequest]:
    rows = session.scalars(select(ReevaluationRequest).order_by(ReevaluationRequest.id.desc()).limit(200))
    return [r for r in rows if can(person, "market.reevaluation.view", r)]
