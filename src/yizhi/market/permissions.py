"""Who may do what in the product supermarket and with vouchers.

Browsing is public: a product is in the supermarket once one of its versions holds (or held) a
certificate, and only those versions are shown; a withdrawn or expired certificate stays visible
with its reason. Everything else is the company's until it asks for certification (then the
commission sees it too). Pilot requests, post-market reports and answers are seen by the hospital
and the company concerned and the commission. Vouchers are the holder's and the commission's.
"""

from __future__ import annotations

from yizhi.accounts.models import Organization, OrgKind, Person, Role
from yizhi.accounts.permissions import acting_role, is_platform_admin, role_in, rule
from yizhi.db import utcnow
from yizhi.market.models import (
    CertState,
    Incident,
    PilotRequest,
    PilotRequestState,
    Product,
    ProductVersion,
)

WRITERS = (Role.owner, Role.member)
COMPANY_KINDS = (OrgKind.company, OrgKind.university)
SHOWN_STATES = (CertState.certified, CertState.withdrawn, CertState.expired)


# ----- facts ------------------------------------------------------------------------------------------------
def writes_for(person: Person | None, org: Organization) -> bool:
    return person is not None and acting_role(person, org) in WRITERS


def member_of(person: Person | None, org: Organization) -> bool:
    return person is not None and role_in(person, org) is not None


def commission_staff(person: Person | None) -> bool:
    return person is not None and is_platform_admin(person)


def commission_writer(person: Person | None) -> bool:
    """Owners and members of the commission change programmes and criteria; reviewers only review."""
    return person is not None and any(
        m.organization.kind == OrgKind.commission and m.organization.approved and m.role in WRITERS
        for m in person.memberships)


def writer_orgs(person: Person | None, kinds: tuple[OrgKind, ...]) -> list[Organization]:
    if person is None:
        return []
    return [m.organization for m in person.memberships
            if m.organization.approved and m.organization.kind in kinds and m.role in WRITERS]


def live_certificate(version: ProductVersion):
    """The certificate that puts this version in the supermarket today, or None."""
    today = utcnow().date()
    for cert in reversed(version.certifications):
        if cert.state == CertState.certified and cert.valid_until is not None and cert.valid_until >= today:
            return cert
    return None


def shown_in_market(version: ProductVersion) -> bool:
    return any(c.state in SHOWN_STATES for c in version.certifications)


def product_listed(product: Product) -> bool:
    return any(shown_in_market(v) for v in product.versions)


def _submitted(product: Product) -> bool:
    return any(v.certifications for v in product.versions)


def product_visible(person: Person | None, product: Product) -> bool:
    if product_listed(product) or member_of(person, product.organization):
        return True
    return commission_staff(person) and _submitted(product)


def version_visible(person: Person | None, version: ProductVersion) -> bool:
    if shown_in_market(version) or member_of(person, version.product.organization):
        return True
    return commission_staff(person) and bool(version.certifications)


# ----- products and versions ---------------------------------------------------------------------------------
@rule("market.product.create")
def _create(person: Person, org: Organization | None) -> bool:
    return org is not None and org.kind in COMPANY_KINDS and writes_for(person, org)


@rule("market.product.view", visible_via="market.product.view")
def _product_view(person: Person, product: Product) -> bool:
    return product_visible(person, product)


@rule("market.product.edit", visible_via="market.product.view")
def _product_edit(person: Person, product: Product) -> bool:
    return writes_for(person, product.organization)


@rule("market.version.view", visible_via="market.version.view")
def _version_view(person: Person, version: ProductVersion) -> bool:
    return version_visible(person, version)


@rule("market.version.edit", visible_via="market.version.view")
def _version_edit(person: Person, version: ProductVersion) -> bool:
    return writes_for(person, version.product.organization)


@rule("market.certify", visible_via="market.version.view")
def _certify(person: Person, version: ProductVersion) -> bool:
    return commission_staff(person)


@rule("market.criteria.publish")
def _criteria(person: Person, _obj) -> bool:
    return commission_writer(person)


# ----- pilots and ratings ------------------------------------------------------------------------------------
@rule("market.pilot.request", visible_via="market.version.view")
def _pilot_request(person: Person, version: ProductVersion) -> bool:
    return live_certificate(version) is not None and bool(writer_orgs(person, (OrgKind.hospital,)))


@rule("market.pilot.view", visible_via="market.pilot.view")
def _pilot_view(person: Person, request: PilotRequest) -> bool:
    return (member_of(person, request.hospital) or member_of(person, request.version.product.organization)
            or commission_staff(person))


@rule("market.pilot.decide", visible_via="market.pilot.view")
def _pilot_decide(person: Person, request: PilotRequest) -> bool:
    return request.state == PilotRequestState.requested and writes_for(person, request.version.product.organization)


@rule("market.pilot.withdraw", visible_via="market.pilot.view")
def _pilot_withdraw(person: Person, request: PilotRequest) -> bool:
    return request.state == PilotRequestState.requested and writes_for(person, request.hospital)


@rule("market.pilot.close", visible_via="market.pilot.view")
def _pilot_close(person: Person, request: PilotRequest) -> bool:
    return request.state == PilotRequestState.accepted and writes_for(person, request.hospital)


@rule("market.pilot.rate", visible_via="market.pilot.view")
def _pilot_rate(person: Person, request: PilotRequest) -> bool:
    # whether the pilot is closed is the service's to say (with a message), not a permission
    return writes_for(person, request.hospital)


# ----- post-market ---------------------------------------------------------------------------------------------
@rule("market.incident.report", visible_via="market.version.view")
def _incident_report(person: Person, version: ProductVersion) -> bool:
    return shown_in_market(version) and bool(writer_orgs(person, (OrgKind.hospital,)))


@rule("market.incident.view", visible_via="market.incident.view")
def _incident_view(person: Person, incident: Incident) -> bool:
    return (member_of(person, incident.hospital) or member_of(person, incident.version.product.organization)
            or commission_staff(person))


@rule("market.incident.answer", visible_via="market.incident.view")
def _incident_answer(person: Person, incident: Incident) -> bool:
    return writes_for(person, incident.version.product.organization)   # answered already: the service says so


@rule("market.reevaluation.view", visible_via="market.reevaluation.view")
def _reevaluation_view(person: Person, request) -> bool:
    return member_of(person, request.version.product.organization) or commission_staff(person) or any(
        m.organization.kind == OrgKind.evaluator and m.organization.approved for m in person.memberships)


@rule("market.reevaluation.close", visible_via="market.reevaluation.view")
def _reevaluation_close(person: Person, request) -> bool:
    return commission_staff(person)


# ----- vouchers ------------------------------------------------------------------------------------------------
@rule("vouchers.manage")
def _vouchers_manage(person: Person, _obj) -> bool:
    return commission_writer(person)


@rule("vouchers.programme.view", visible_via="vouchers.programme.view")
def _programme_view(person: Person, programme) -> bool:
    return programme is not None   # programmes are announcements to every logged-in organisation


@rule("vouchers.programme.report", visible_via="vouchers.programme.view")
def _programme_report(person: Person, programme) -> bool:
    return commission_staff(person)


@rule("vouchers.statement", visible_via="vouchers.statement")
def _statement(person: Person, org: Organization) -> bool:
    return member_of(person, org) or commission_staff(person)


@rule("vouchers.voucher.view", visible_via="vouchers.voucher.view")
def _voucher_view(person: Person, voucher) -> bool:
    return member_of(person, voucher.organization) or commission_staff(person)


@rule("vouchers.voucher.spend", visible_via="vouchers.voucher.view")
def _voucher_spend(person: Person, voucher) -> bool:
    return writes_for(person, voucher.organization)


@rule("vouchers.voucher.revoke", visible_via="vouchers.voucher.view")
def _voucher_revoke(person: Person, voucher) -> bool:
    return commission_writer(person)
