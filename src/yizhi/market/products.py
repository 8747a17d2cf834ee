"""Products, their versions and the evaluation reports they carry (no HTTP here).

Functions take the acting ``person`` (``None``: the operator at the command line) and check
permission first, then change, then flush; callers commit, so a change and its ledger record are
one transaction. What the supermarket lists is decided here too (:func:`listing`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from yizhi import ledger
from yizhi.accounts.models import Organization, Person
from yizhi.accounts.permissions import authorize
from yizhi.db import utcnow
from yizhi.errors import N_, Conflict, NotFound, ValidationFailed
from yizhi.evaluation.models import Submission, SubmissionState
from yizhi.market import nmpa
from yizhi.market import permissions as rules
from yizhi.market.models import (
    DEPLOYMENTS,
    PRICE_MODELS,
    Certification,
    CertState,
    Product,
    ProductVersion,
    VersionReport,
)
from yizhi.market.schemas import ProductFields, ProductIn
from yizhi.needs.matching.engine import CATEGORIES

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$")
LABEL = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._+-]{0,39}$")
FIELDS = ("name", "description", "intended_use", "population", "modalities", "category", "nmpa_class",
          "nmpa_certificate", "nmpa_valid_from", "nmpa_valid_until", "deployments", "price_model", "price_note",
          "contact_name", "contact_info")


def _check(person: Person | None, action: str, obj) -> None:
    if person is not None:
        authorize(person, action, obj)


def actor_of(person: Person | None) -> str:
    return f"user:{person.id}" if person is not None else "cli"


def org_by_slug(session: Session, slug: str) -> Organization:
    org = session.scalar(select(Organization).where(Organization.slug == slug))
    if org is None:
        raise NotFound(N_("no organisation %(slug)s"), params={"slug": slug})
    return org


def get_product(session: Session, slug: str) -> Product:
    found = session.scalar(select(Product).where(Product.slug == slug))
    if found is None:
        raise NotFound(N_("no product %(slug)s"), params={"slug": slug})
    return found


def get_version(session: Session, product: Product, label: str) -> ProductVersion:
    found = next((v for v in product.versions if v.label == label), None)
    if found is None:
        raise NotFound(N_("product %(slug)s has no version %(label)s"), params={"slug": product.slug, "label": label})
    return found


def resolve_version(session: Session, ref: str) -> ProductVersion:
    """``PRODUCT@VERSION`` (e.g. ``mediai-diabetes@2.1.0``) → the version."""
    slug, sep, label = (ref or "").partition("@")
    if not sep or not slug or not label:
        raise ValidationFailed(N_("name a version as PRODUCT@VERSION, e.g. mediai-diabetes@2.1.0 (got %(ref)s)"),
                               params={"ref": (ref or "")[:80]}, field="version")
    return get_version(session, get_product(session, slug), label)


# ----- products -------------------------------------------------------------------------------------------------
def clean_fields(data: ProductFields, today: date | None = None) -> dict:
    """The product's fields checked: category, deployments, price model, NMPA number and validity."""
    values = {name: getattr(data, name) for name in FIELDS}
    if values["category"] not in CATEGORIES:
        raise ValidationFailed(N_("unknown category %(value)s (one of %(known)s)"),
                               params={"value": values["category"], "known": ", ".join(CATEGORIES)}, field="category")
    unknown = [d for d in values["deployments"] if d not in DEPLOYMENTS]
    if unknown:
        raise ValidationFailed(N_("unknown deployment %(value)s (one of %(known)s)"),
                               params={"value": unknown[0][:40], "known": ", ".join(DEPLOYMENTS)}, field="deployments")
    if values["price_model"] not in PRICE_MODELS:
        raise ValidationFailed(N_("unknown price model %(value)s (one of %(known)s)"),
                               params={"value": values["price_model"], "known": ", ".join(PRICE_MODELS)},
                               field="price_model")
    values["modalities"] = sorted({m.lower()[:40] for m in values["modalities"]})
    values["deployments"] = [d for d in DEPLOYMENTS if d in values["deployments"]]
    klass = (values["nmpa_class"] or "").strip().upper().replace("CLASS", "").replace("类", "").strip() or None
    klass = {"1": "I", "2": "II", "3": "III", "一": "I", "二": "II", "三": "III"}.get(klass or "", klass)
    if klass is None:
        if values["nmpa_certificate"] or values["nmpa_valid_from"] or values["nmpa_valid_until"]:
            raise ValidationFailed(N_("give the NMPA class of the registration (I, II or III)"), field="nmpa_class")
        values["nmpa_certificate"] = ""
    else:
        registration = nmpa.check(values["nmpa_certificate"], klass, values["nmpa_valid_from"],
                                  values["nmpa_valid_until"], today)
        values["nmpa_certificate"] = registration.number
    values["nmpa_class"] = klass
    return values


def create_product(session: Session, person: Person | None, data: ProductIn) -> Product:
    org = org_by_slug(session, data.org)
    _check(person, "market.product.create", org)
    if org.kind not in rules.COMPANY_KINDS:
        raise ValidationFailed(N_("%(org)s is not a company or university; only they list products"),
                               params={"org": org.slug}, field="org")
    if not SLUG.match(data.slug) or data.slug in ("new", "mine"):
        raise ValidationFailed(N_("a product slug is 3-64 lower-case letters, digits and dashes"), field="slug")
    if session.scalar(select(Product.id).where(Product.slug == data.slug)) is not None:
        raise Conflict(N_("product %(slug)s exists already"), params={"slug": data.slug})
    product = Product(slug=data.slug, organization_id=org.id, created_by_id=person.id if person else None,
                      **clean_fields(data))
    product.organization = org
    session.add(product)
    session.flush()
    ledger.record(session, "market.product_created", f"product:{product.id}",
                  {"product_id": product.id, "slug": product.slug, "category": product.category,
                   "nmpa_certificate": product.nmpa_certificate or None}, actor=actor_of(person), org=org.slug)
    return product


def update_product(session: Session, person: Person | None, product: Product, data: ProductFields) -> Product:
    _check(person, "market.product.edit", product)
    for name, value in clean_fields(data).items():
        setattr(product, name, value)
    product.updated_at = utcnow()
    session.flush()
    ledger.record(session, "market.product_updated", f"product:{product.id}",
                  {"product_id": product.id, "nmpa_certificate": product.nmpa_certificate or None,
                   "nmpa_valid_until": product.nmpa_valid_until.isoformat() if product.nmpa_valid_until else None},
                  actor=actor_of(person), org=product.organization.slug)
    return product


def registration_problem(product: Product, today: date | None = None) -> dict | None:
    """Why the product's NMPA registration cannot carry a certificate today (message, params, code), or None."""
    if product.nmpa_class is None:
        return {"message": N_("the product has no NMPA registration"), "params": {}, "code": "nmpa_missing"}
    try:
        nmpa.check(product.nmpa_certificate, product.nmpa_class, product.nmpa_valid_from, product.nmpa_valid_until,
                   today)
    except ValidationFailed as exc:
        return {"message": exc.template, "params": exc.params, "code": exc.code}
    return None


def products_of(session: Session, person: Person) -> list[Product]:
    """The products of the person's organisations, drafts included."""
    own = [m.organization_id for m in person.memberships] or [-1]
    return list(session.scalars(select(Product).where(Product.organization_id.in_(own)).order_by(Product.name)))


def visible_versions(person: Person | None, product: Product) -> list[ProductVersion]:
    return [v for v in product.versions if rules.version_visible(person, v)]


# ----- versions and their reports ---------------------------------------------------------------------------------
def add_version(session: Session, person: Person | None, product: Product, *, label: str, release_notes: str = "",
                released_on: date | None = None) -> ProductVersion:
    _check(person, "market.product.edit", product)
    if not LABEL.match(label or ""):
        raise ValidationFailed(N_("a version label is 1-40 letters, digits, dots, dashes or pluses, e.g. 2.1.0"),
                               field="label")
    if any(v.label == label for v in product.versions):
        raise Conflict(N_("product %(slug)s already has version %(label)s"), params={"slug": product.slug,
                                                                                    "label": label})
    version = ProductVersion(product_id=product.id, label=label, release_notes=release_notes, released_on=released_on,
                             created_by_id=person.id if person else None)
    product.versions.append(version)
    session.flush()
    ledger.record(session, "market.version_added", f"product_version:{version.id}",
                  {"product_id": product.id, "version_id": version.id, "label": label},
                  actor=actor_of(person), org=product.organization.slug)
    return version


def _locked(version: ProductVersion) -> bool:
    """A version whose certificate is requested or granted keeps the reports it was judged on."""
    return any(c.state in (CertState.requested, CertState.certified) for c in version.certifications)


def attach_report(session: Session, person: Person | None, version: ProductVersion, submission_id: int) -> VersionReport:
    _check(person, "market.version.edit", version)
    from yizhi.market.reports import verify_submission

    if _locked(version):
        raise Conflict(N_("version %(ref)s is under certification; its reports cannot change (add a new version)"),
                       params={"ref": version.ref}, code="locked")
    submission = session.get(Submission, submission_id) if 0 < submission_id < 2**31 else None
    if submission is None or submission.organization_id != version.product.organization_id:
        raise NotFound(N_("%(org)s has no evaluation submission %(id)s"),
                       params={"org": version.product.organization.slug, "id": submission_id})
    if submission.state != SubmissionState.scored:
        raise Conflict(N_("submission %(id)s is %(state)s; only a scored report can be attached"),
                       params={"id": submission.id, "state": submission.state.value}, code="not_scored")
    if any(r.submission_id == submission.id for r in version.reports):
        raise Conflict(N_("the report of submission %(id)s is attached already"), params={"id": submission.id})
    check = verify_submission(session, submission)
    if not check["verified"]:
        raise ValidationFailed(N_("the report of submission %(id)s does not verify: %(reason)s"),
                               params={"id": submission.id, "reason": "; ".join(check["problems"])},
                               field="submission_id", code="unverified")
    attached = VersionReport(version_id=version.id, submission_id=submission.id, report_sha256=check["report_sha256"],
                             attached_by_id=person.id if person else None)
    attached.submission = submission
    version.reports.append(attached)
    session.flush()
    ledger.record(session, "market.report_attached", f"product_version:{version.id}",
                  {"version_id": version.id, "submission_id": submission.id, "report_sha256": check["report_sha256"]},
                  actor=actor_of(person), org=version.product.organization.slug)
    return attached


def detach_report(session: Session, person: Person | None, version: ProductVersion, submission_id: int) -> None:
    _check(person, "market.version.edit", version)
    if _locked(version):
        raise Conflict(N_("version %(ref)s is under certification; its reports cannot change (add a new version)"),
                       params={"ref": version.ref}, code="locked")
    found = next((r for r in version.reports if r.submission_id == submission_id), None)
    if found is None:
        raise NotFound(N_("version %(ref)s carries no report of submission %(id)s"),
                       params={"ref": version.ref, "id": submission_id})
    version.reports.remove(found)
    session.flush()


# ----- the supermarket's shelves -------------------------------------------------------------------------------------
@dataclass
class Listed:
    product: Product
    version: ProductVersion
    certificate: Certification


def _registration_live(product: Product, today: date) -> bool:
    return product.nmpa_class is None or product.nmpa_valid_until is None or product.nmpa_valid_until >= today


def listing(session: Session, *, q: str = "", category: str = "", deployment: str = "", price_model: str = "",
            modality: str = "", limit: int = 200) -> list[Listed]:
    """Only versions whose certificate is live today, and whose product's registration has not lapsed."""
    today = utcnow().date()
    query = (select(ProductVersion, Certification).join(Certification, Certification.version_id == ProductVersion.id)
             .join(Product, Product.id == ProductVersion.product_id)
             .where(Certification.state == CertState.certified, Certification.valid_until >= today))
    if category:
        query = query.where(Product.category == category)
    if price_model:
        query = query.where(Product.price_model == price_model)
    if q.strip():
        needle = f"%{q.strip()[:100]}%"
        query = query.where(or_(Product.name.ilike(needle), Product.intended_use.ilike(needle),
                                Product.description.ilike(needle)))
    rows = []
    for version, certificate in session.execute(query.order_by(Product.name, ProductVersion.id)):
        product = version.product
        if not _registration_live(product, today):
            continue
        if deployment and deployment not in (product.deployments or []):
            continue
        if modality and modality.lower() not in (product.modalities or []):
            continue
        rows.append(Listed(product, version, certificate))
    return rows[:limit]


def withdrawn_certificates(session: Session, limit: int = 50) -> list[Certification]:
    """Withdrawn certificates stay on show, with the commission's reason."""
    return list(session.scalars(select(Certification).where(Certification.state == CertState.withdrawn)
                                .order_by(Certification.withdrawn_at.desc()).limit(limit)))


def matching_needs(session: Session, person: Person, product: Product, top: int = 5, lang: str = "zh") -> list:
    """Published needs the product answers, ranked by the needs library's matcher (its solution side)."""
    from yizhi.needs import service as needs
    from yizhi.needs.models import Solution

    probe = product.solution or Solution(title=product.name, category=product.category,
                                         description=f"{product.intended_use}\n{product.description}",
                                         modalities=list(product.modalities or []),
                                         maturity="nmpa_registered" if product.nmpa_class else "product")
    filters = needs.match_filters(category=product.category)
    return needs.matches_for_solution(session, None, probe, filters=filters, top=top, lang=lang)
