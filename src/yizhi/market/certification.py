"""The commission's criteria per category and its certification decisions (no HTTP here).

A company asks for a version to be certified; the commission's reviewer sees every carried report
verified and checked against the category's published criteria and decides. A certificate is
granted only when every report verifies, every criterion is met on every report, and (when the
criteria require it) the NMPA registration is valid; it lasts ``months`` but never past the
registration's end. Requests, decisions, withdrawals and expiries are on the ledger. A new version
is not covered by an older version's certificate: it is certified on its own reports.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

import rfc8785
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yizhi import ledger
from yizhi.accounts.models import OrgKind, Person
from yizhi.db import utcnow
from yizhi.errors import N_, Conflict, ValidationFailed
from yizhi.market import criteria as criteria_rules
from yizhi.market.models import Certification, CertState, CriteriaSet, PilotRequest, ProductVersion
from yizhi.market.notify import notify, org_people, people_of_kind
from yizhi.market.products import _check, actor_of, registration_problem
from yizhi.market.reports import verify_attached
from yizhi.market.settings import get_market_settings
from yizhi.needs.matching.engine import CATEGORIES


class NotCertifiable(ValidationFailed):
    """A certification refused by the rules; each reason is translated for the reader."""

    code = "not_certifiable"

    def __init__(self, ref: str, problems: list[dict], code: str | None = None):
        self.problems = problems
        super().__init__(N_("%(ref)s cannot be certified: %(reason)s"),
                         params={"ref": ref, "reason": "; ".join(problem_text(p) for p in problems)},
                         field="certification", code=code)

    def localized(self, tr) -> str:
        reason = "; ".join(problem_text(p, tr) for p in self.problems)
        return tr(self.template) % {"ref": self.params["ref"], "reason": reason}


# ----- criteria ---------------------------------------------------------------------------------------------------
def current_criteria(session: Session, category: str) -> CriteriaSet | None:
    return session.scalar(select(CriteriaSet).where(CriteriaSet.category == category)
                          .order_by(CriteriaSet.revision.desc()).limit(1))


def all_current_criteria(session: Session) -> dict[str, CriteriaSet]:
    return {c: found for c in CATEGORIES if (found := current_criteria(session, c)) is not None}


def publish_criteria(session: Session, person: Person | None, category: str, rows: object, *,
                     nmpa_required: bool = True, note: str = "") -> CriteriaSet:
    """Publish a new revision of the category's criteria (the earlier ones stay, for the certificates
    granted under them)."""
    _check(person, "market.criteria.publish", None)
    if category not in CATEGORIES:
        raise ValidationFailed(N_("unknown category %(value)s (one of %(known)s)"),
                               params={"value": str(category)[:40], "known": ", ".join(CATEGORIES)}, field="category")
    clean = criteria_rules.validate(rows)
    digest = hashlib.sha256(rfc8785.dumps({"criteria": clean, "nmpa_required": bool(nmpa_required)})).hexdigest()
    latest = session.scalar(select(func.max(CriteriaSet.revision)).where(CriteriaSet.category == category)) or 0
    published = CriteriaSet(category=category, revision=latest + 1, criteria=clean, nmpa_required=bool(nmpa_required),
                            criteria_sha256=digest, note=note[:2000], published_by_id=person.id if person else None)
    session.add(published)
    session.flush()
    entry = ledger.record(session, "market.criteria_published", f"criteria:{category}",
                          {"criteria_set_id": published.id, "category": category, "revision": published.revision,
                           "criteria_sha256": digest}, actor=actor_of(person))
    published.ledger_index = entry.index
    return published


# ----- requests and the check a reviewer sees ------------------------------------------------------------------------
def open_request(version: ProductVersion) -> Certification | None:
    return next((c for c in reversed(version.certifications) if c.state == CertState.requested), None)


def _params(version: ProductVersion) -> dict:
    return {"product": version.product.name, "version": version.label, "company": version.product.organization.name,
            "company_en": version.product.organization.display_name("en")}


def request_certification(session: Session, person: Person | None, version: ProductVersion,
                          note: str = "") -> Certification:
    _check(person, "market.version.edit", version)
    if not version.reports:
        raise ValidationFailed(N_("attach at least one evaluation report to %(ref)s first"),
                               params={"ref": version.ref}, field="reports", code="no_reports")
    if open_request(version) is not None:
        raise Conflict(N_("certification of %(ref)s is already requested"), params={"ref": version.ref})
    cert = Certification(version_id=version.id, state=CertState.requested, request_note=note[:5000],
                         requested_by_id=person.id if person else None,
                         reports=[{"submission_id": r.submission_id, "report_sha256": r.report_sha256}
                                  for r in version.reports])
    version.certifications.append(cert)
    session.flush()
    ledger.record(session, "market.certification_requested", f"certification:{cert.id}",
                  {"certification_id": cert.id, "version_id": version.id, "reports": cert.reports},
                  actor=actor_of(person), org=version.product.organization.slug)
    notify(session, people_of_kind(session, OrgKind.commission), "certification_requested", _params(version),
           f"/market/products/{version.product.slug}/versions/{version.label}", actor=person)
    return cert


def assess(session: Session, version: ProductVersion, today: date | None = None) -> dict:
    """Everything a certificate depends on, checked now: reports verified, criteria met, NMPA valid."""
    today = today or utcnow().date()
    product = version.product
    published = current_criteria(session, product.category)
    checks = {attached.submission_id: verify_attached(session, attached) for attached in version.reports}
    verified = {sid: attached.submission.report for attached in version.reports
                if checks[(sid := attached.submission_id)]["verified"]}
    problems: list[dict] = []
    if not version.reports:
        problems.append({"message": N_("the version carries no evaluation report"), "params": {}})
    for sid, check in checks.items():
        for problem in check["problems"]:
            problems.append({"message": N_("report of submission %(id)s: %(problem)s"),
                             "params": {"id": sid, "problem": problem}, "translate": "problem"})
    outcome = None
    if published is None:
        problems.append({"message": N_("category %(category)s has no published criteria"),
                         "params": {"category": product.category}})
    else:
        outcome = criteria_rules.summary(published.criteria, verified)
        failed = sum(1 for rows in outcome["reports"].values() for row in rows if not row["passed"])
        if failed:
            problems.append({"message": N_("%(count)s criterion check(s) not met"), "params": {"count": failed}})
    registration = registration_problem(product, today)
    if registration and (published is None or published.nmpa_required):
        problems.append(registration)
    return {"passed": not problems, "problems": problems, "reports": checks, "criteria": outcome,
            "criteria_set": None if published is None else {
                "id": published.id, "category": published.category, "revision": published.revision,
                "criteria_sha256": published.criteria_sha256, "nmpa_required": published.nmpa_required},
            "nmpa": registration,
            "assessed_on": today.isoformat()}


def problem_text(problem: dict, tr=lambda s: s) -> str:
    """One problem of an assessment in the reader's language (``tr`` translates a msgid)."""
    params = dict(problem.get("params") or {})
    nested = problem.get("translate")
    if nested in params:
        params[nested] = tr(params[nested])
    template = tr(problem["message"])
    try:
        return template % params if params else template
    except (KeyError, ValueError, TypeError):
        return problem["message"]


# ----- decisions ---------------------------------------------------------------------------------------------------
def _decidable(session: Session, person: Person | None, version: ProductVersion) -> Certification:
    _check(person, "market.certify", version)
    cert = open_request(version)
    if cert is None:  # the operator (or a reviewer) may start the review at the commission's own initiative
        cert = request_certification(session, None, version, note="")
    return cert


def certify(session: Session, person: Person | None, version: ProductVersion, *, months: int | None = None,
            note: str = "") -> Certification:
    """Grant the certificate; refused with every reason when the assessment does not pass."""
    cert = _decidable(session, person, version)
    check = assess(session, version)
    if not check["passed"]:
        nmpa_first = next((p for p in check["problems"] if str(p.get("code", "")).startswith("nmpa")), None)
        raise NotCertifiable(version.ref, check["problems"], code=nmpa_first["code"] if nmpa_first else None)
    months = months or get_market_settings().certificate_months
    until = utcnow().date() + timedelta(days=round(months * 365.25 / 12))
    product = version.product
    if product.nmpa_valid_until is not None and product.nmpa_class is not None:
        until = min(until, product.nmpa_valid_until)
    cert.state, cert.check, cert.valid_until = CertState.certified, _storable(check), until
    cert.criteria_set_id = check["criteria_set"]["id"]
    cert.decided_by_id, cert.decided_at, cert.decision_note = (person.id if person else None), utcnow(), note[:5000]
    cert.reports = [{"submission_id": sid, "report_sha256": c["report_sha256"]} for sid, c in check["reports"].items()]
    session.flush()
    entry = ledger.record(session, "market.certified", f"certification:{cert.id}", {
        "certification_id": cert.id, "version_id": version.id, "product_id": product.id,
        "criteria_set_id": cert.criteria_set_id, "criteria_sha256": check["criteria_set"]["criteria_sha256"],
        "reports": cert.reports, "nmpa_certificate": product.nmpa_certificate or None,
        "valid_until": until.isoformat()}, actor=actor_of(person), org=product.organization.slug)
    cert.ledger_index = entry.index
    notify(session, org_people(session, product.organization_id), "certified",
           {**_params(version), "date": until.isoformat()},
           f"/market/products/{product.slug}/versions/{version.label}", actor=person)
    return cert


def refuse(session: Session, person: Person | None, version: ProductVersion, note: str) -> Certification:
    if not note.strip():
        raise ValidationFailed(N_("say why the certification is refused"), field="note")
    cert = _decidable(session, person, version)
    cert.state, cert.check = CertState.refused, _storable(assess(session, version))
    cert.decided_by_id, cert.decided_at, cert.decision_note = (person.id if person else None), utcnow(), note[:5000]
    session.flush()
    entry = ledger.record(session, "market.certification_refused", f"certification:{cert.id}",
                          {"certification_id": cert.id, "version_id": version.id,
                           "note_sha256": hashlib.sha256(note.encode()).hexdigest()},
                          actor=actor_of(person), org=version.product.organization.slug)
    cert.ledger_index = entry.index
    notify(session, org_people(session, version.product.organization_id), "certification_refused", _params(version),
           f"/market/products/{version.product.slug}/versions/{version.label}", actor=person)
    return cert


def withdraw(session: Session, person: Person | None, version: ProductVersion, reason: str) -> Certification:
    """Take a certificate back; the version leaves the shelves and shows the reason."""
    _check(person, "market.certify", version)
    if not reason.strip():
        raise ValidationFailed(N_("say why the certificate is withdrawn"), field="reason")
    cert = next((c for c in reversed(version.certifications) if c.state == CertState.certified), None)
    if cert is None:
        raise Conflict(N_("%(ref)s holds no certificate to withdraw"), params={"ref": version.ref})
    cert.state, cert.withdrawn_reason = CertState.withdrawn, reason.strip()[:5000]
    cert.withdrawn_by_id, cert.withdrawn_at = (person.id if person else None), utcnow()
    session.flush()
    ledger.record(session, "market.certificate_withdrawn", f"certification:{cert.id}",
                  {"certification_id": cert.id, "version_id": version.id,
                   "reason_sha256": hashlib.sha256(cert.withdrawn_reason.encode()).hexdigest()},
                  actor=actor_of(person), org=version.product.organization.slug)
    hospitals = {r.hospital_id for r in session.scalars(select(PilotRequest).where(PilotRequest.version_id == version.id))}
    people = org_people(session, version.product.organization_id)
    for hospital_id in hospitals:
        people += org_people(session, hospital_id)
    notify(session, people, "certificate_withdrawn", _params(version),
           f"/market/products/{version.product.slug}/versions/{version.label}", actor=person)
    return cert


def expire_due(session: Session, today: date | None = None) -> int:
    """Certificates past their end become ``expired`` (on the ledger, the company told)."""
    today = today or utcnow().date()
    due = list(session.scalars(select(Certification).where(Certification.state == CertState.certified,
                                                            Certification.valid_until < today)))
    for cert in due:
        cert.state = CertState.expired
        version = cert.version
        ledger.record(session, "market.certificate_expired", f"certification:{cert.id}",
                      {"certification_id": cert.id, "version_id": version.id,
                       "valid_until": cert.valid_until.isoformat()}, actor="system",
                      org=version.product.organization.slug)
        notify(session, org_people(session, version.product.organization_id), "certificate_expired",
               _params(version), f"/market/products/{version.product.slug}/versions/{version.label}")
    session.flush()
    return len(due)


def queue(session: Session) -> list[Certification]:
    return list(session.scalars(select(Certification).where(Certification.state == CertState.requested)
                                .order_by(Certification.requested_at)))


def _storable(check: dict) -> dict:
    """The assessment as stored on the certificate (JSON keys are strings)."""
    return {**check, "reports": {str(k): v for k, v in check["reports"].items()}}
