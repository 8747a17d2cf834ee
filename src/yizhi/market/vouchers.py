"""Voucher programmes and vouchers: funding, issuing, spending, revoking and expiry (no HTTP here).

Every movement is a balanced transaction of :mod:`yizhi.market.bookkeeping` with its digest on the
transparency ledger. A compute voucher is spent by metering (:mod:`yizhi.market.metering`); a data
voucher pays the fee of the hospital that holds the data of one of the voucher holder's grants.
"""

from __future__ import annotations

import re
import secrets
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from yizhi.access.models import Grant
from yizhi.accounts.models import Organization, OrgKind, Person
from yizhi.db import utcnow
from yizhi.errors import N_, Conflict, NotFound, ValidationFailed
from yizhi.market import bookkeeping
from yizhi.market.money import parse_yuan, yuan
from yizhi.market.notify import notify, org_people
from yizhi.market.products import _check, actor_of, org_by_slug
from yizhi.market.schemas import IssueIn, ProgrammeIn, SpendIn
from yizhi.market.voucher_models import (
    ProgrammeState,
    TransactionKind,
    Voucher,
    VoucherKind,
    VoucherProgramme,
    VoucherState,
    VoucherTransaction,
)

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$")
# The purposes an access request names (the access domain's list); a programme may pay for some only.
PURPOSES = ("scientific_research", "product_development", "product_evaluation", "public_health", "education")
ELIGIBLE_KINDS = tuple(k.value for k in OrgKind if k != OrgKind.commission)
DATA_PURPOSES = ("grant_fee",)


def programme_account(programme_id: int) -> str:
    return f"programme:{programme_id}"


def voucher_account(voucher_id: int) -> str:
    return f"voucher:{voucher_id}"


def org_account(org_id: int) -> str:
    return f"org:{org_id}"


COMPUTE_ACCOUNT = "platform:compute"


def get_programme(session: Session, slug: str) -> VoucherProgramme:
    found = session.scalar(select(VoucherProgramme).where(VoucherProgramme.slug == slug))
    if found is None:
        raise NotFound(N_("no voucher programme %(slug)s"), params={"slug": slug})
    return found


def get_voucher(session: Session, code: str) -> Voucher:
    found = session.scalar(select(Voucher).where(Voucher.code == (code or "")[:24]))
    if found is None:
        raise NotFound(N_("no voucher %(code)s"), params={"code": (code or "")[:24]})
    return found


# ----- programmes ----------------------------------------------------------------------------------------------------
def create_programme(session: Session, person: Person | None, data: ProgrammeIn) -> VoucherProgramme:
    _check(person, "vouchers.manage", None)
    if not SLUG.match(data.slug):
        raise ValidationFailed(N_("a programme slug is 3-64 lower-case letters, digits and dashes"), field="slug")
    if session.scalar(select(VoucherProgramme.id).where(VoucherProgramme.slug == data.slug)) is not None:
        raise Conflict(N_("programme %(slug)s exists already"), params={"slug": data.slug})
    budget = parse_yuan(data.budget, "budget")
    if data.valid_until < data.valid_from:
        raise ValidationFailed(N_("the programme must end after it starts"), field="valid_until")
    for kind in data.eligible_kinds:
        if kind not in ELIGIBLE_KINDS:
            raise ValidationFailed(N_("unknown organisation kind %(value)s (one of %(known)s)"),
                                   params={"value": kind[:30], "known": ", ".join(ELIGIBLE_KINDS)},
                                   field="eligible_kinds")
    for purpose in data.purposes:
        if purpose not in PURPOSES:
            raise ValidationFailed(N_("unknown purpose %(value)s (one of %(known)s)"),
                                   params={"value": purpose[:40], "known": ", ".join(PURPOSES)}, field="purposes")
    for slug in data.eligible_orgs:
        org_by_slug(session, slug)
    programme = VoucherProgramme(slug=data.slug, title=data.title, description=data.description,
                                 kind=VoucherKind(data.kind), budget_fen=budget, available_fen=budget,
                                 eligible_kinds=sorted(set(data.eligible_kinds)),
                                 eligible_orgs=sorted(set(data.eligible_orgs)), purposes=sorted(set(data.purposes)),
                                 valid_from=data.valid_from, valid_until=data.valid_until,
                                 created_by_id=person.id if person else None)
    session.add(programme)
    session.flush()
    bookkeeping.post(session, kind=TransactionKind.fund, programme_id=programme.id, amount_fen=budget,
                     entries=[(f"funding:{programme.id}", -budget), (programme_account(programme.id), budget)],
                     actor=actor_of(person), created_by_id=person.id if person else None)
    return programme


def programme_open(programme: VoucherProgramme, today: date | None = None) -> bool:
    today = today or utcnow().date()
    return programme.state == ProgrammeState.open and programme.valid_from <= today <= programme.valid_until


def eligible(programme: VoucherProgramme, org: Organization) -> bool:
    if not org.approved:
        return False
    if programme.eligible_orgs and org.slug not in programme.eligible_orgs:
        return False
    return not programme.eligible_kinds or org.kind.value in programme.eligible_kinds


# ----- issuing -----------------------------------------------------------------------------------------------------
def _new_code(programme: VoucherProgramme) -> str:
    return f"{programme.kind.value[0].upper()}V-{secrets.token_hex(5).upper()}"


def issue(session: Session, person: Person | None, programme: VoucherProgramme, data: IssueIn) -> Voucher:
    _check(person, "vouchers.manage", None)
    org = org_by_slug(session, data.org)
    amount = parse_yuan(data.amount, "amount")
    if not programme_open(programme):
        raise Conflict(N_("programme %(slug)s is not open (it runs %(start)s to %(end)s)"),
                       params={"slug": programme.slug, "start": programme.valid_from.isoformat(),
                               "end": programme.valid_until.isoformat()}, code="programme_closed")
    if not eligible(programme, org):
        raise ValidationFailed(N_("%(org)s is not eligible for programme %(slug)s"),
                               params={"org": org.slug, "slug": programme.slug}, field="org", code="not_eligible")
    until = data.valid_until or programme.valid_until
    if not utcnow().date() <= until <= programme.valid_until:
        raise ValidationFailed(N_("a voucher ends between today and the programme's end (%(date)s)"),
                               params={"date": programme.valid_until.isoformat()}, field="valid_until")
    grant = _voucher_grant(session, programme, org, data.grant_id)
    bookkeeping.take_from_programme(session, programme, amount)
    voucher = Voucher(code=_new_code(programme), programme_id=programme.id, organization_id=org.id, amount_fen=amount,
                      balance_fen=amount, valid_until=until, grant_id=grant.id if grant else None,
                      issued_by_id=person.id if person else None)
    voucher.programme, voucher.organization = programme, org
    session.add(voucher)
    session.flush()
    bookkeeping.post(session, kind=TransactionKind.issue, programme_id=programme.id, voucher_id=voucher.id,
                     amount_fen=amount, entries=[(programme_account(programme.id), -amount),
                                                 (voucher_account(voucher.id), amount)],
                     actor=actor_of(person), created_by_id=person.id if person else None, org=org.slug)
    notify(session, org_people(session, org.id), "voucher_issued",
           {"amount": yuan(amount), "programme": programme.title, "org": org.name,
            "org_en": org.display_name("en")}, f"/vouchers/v/{voucher.code}",
           actor=person)
    return voucher


def _voucher_grant(session: Session, programme: VoucherProgramme, org: Organization, grant_id: int | None):
    if grant_id is None:
        return None
    if programme.kind != VoucherKind.compute:
        raise ValidationFailed(N_("only a compute voucher is bound to a grant"), field="grant_id")
    grant = session.get(Grant, grant_id)
    if grant is None or grant.organization_id != org.id:
        raise NotFound(N_("%(org)s holds no grant %(id)s"), params={"org": org.slug, "id": grant_id})
    return grant


# ----- spending ----------------------------------------------------------------------------------------------------
def usable(voucher: Voucher, today: date | None = None) -> bool:
    today = today or utcnow().date()
    return voucher.state == VoucherState.active and voucher.valid_until >= today


def require_usable(voucher: Voucher) -> None:
    if voucher.state != VoucherState.active:
        raise Conflict(N_("voucher %(code)s is %(state)s"), params={"code": voucher.code, "state": voucher.state.value},
                       code="voucher_closed")
    if voucher.valid_until < utcnow().date():
        raise Conflict(N_("voucher %(code)s ended on %(date)s"),
                       params={"code": voucher.code, "date": voucher.valid_until.isoformat()}, code="voucher_expired")


def debit(session: Session, voucher: Voucher, amount: int, *, payee_account: str, purpose: str, reference: str,
          payee_org_id: int | None = None, partial: bool = False, memo: str = "", actor: str | None = None,
          created_by_id: int | None = None) -> VoucherTransaction | None:
    """Move ``amount`` (or what is left, when ``partial``) from the voucher to the payee; None if nothing moved."""
    require_usable(voucher)
    taken = bookkeeping.take_from_voucher(session, voucher, amount, partial=partial)
    if taken == 0:
        if partial:
            return None
        raise Conflict(N_("voucher %(code)s has %(left)s left, less than %(amount)s"),
                       params={"code": voucher.code, "left": yuan(voucher.balance_fen), "amount": yuan(amount)},
                       code="insufficient_balance")
    return bookkeeping.post(session, kind=TransactionKind.spend, programme_id=voucher.programme_id,
                            voucher_id=voucher.id, amount_fen=taken, purpose=purpose, reference=reference,
                            payee_org_id=payee_org_id, memo=memo,
                            entries=[(voucher_account(voucher.id), -taken), (payee_account, taken)],
                            actor=actor, created_by_id=created_by_id, org=voucher.organization.slug)


def _holders(grant: Grant) -> list[Organization]:
    found: dict[int, Organization] = {}
    for entry in grant.datasets:
        holder = entry.version.dataset.organization
        found[holder.id] = holder
    return list(found.values())


def pay_data_fee(session: Session, person: Person | None, voucher: Voucher, data: SpendIn) -> VoucherTransaction:
    """A data voucher pays the fee of the hospital holding the data of one of the holder's grants."""
    _check(person, "vouchers.voucher.spend", voucher)
    if voucher.programme.kind != VoucherKind.data:
        raise ValidationFailed(N_("voucher %(code)s is a compute voucher; it is spent by metering"),
                               params={"code": voucher.code}, field="voucher")
    amount = parse_yuan(data.amount, "amount")
    grant = session.get(Grant, data.grant_id)
    if grant is None or grant.organization_id != voucher.organization_id:
        raise NotFound(N_("%(org)s holds no grant %(id)s"),
                       params={"org": voucher.organization.slug, "id": data.grant_id})
    purposes = voucher.programme.purposes or []
    if purposes and grant.purpose not in purposes:
        raise ValidationFailed(N_("programme %(slug)s does not pay for grants for %(purpose)s"),
                               params={"slug": voucher.programme.slug, "purpose": grant.purpose}, field="grant_id",
                               code="purpose_not_eligible")
    holders = [h for h in _holders(grant) if h.kind == OrgKind.hospital]
    if data.payee:
        holders = [h for h in holders if h.slug == data.payee]
    if len(holders) != 1:
        raise ValidationFailed(N_("name the hospital paid (payee): the grant's data is held by %(holders)s"),
                               params={"holders": ", ".join(h.slug for h in _holders(grant)) or "-"}, field="payee")
    payee = holders[0]
    return debit(session, voucher, amount, payee_account=org_account(payee.id), purpose="grant_fee",
                 reference=f"grant:{grant.id}", payee_org_id=payee.id, memo=data.memo, actor=actor_of(person),
                 created_by_id=person.id if person else None)


# ----- returning unspent money ---------------------------------------------------------------------------------------
def _close(session: Session, voucher: Voucher, kind: TransactionKind, state: VoucherState, actor: str | None,
           created_by_id: int | None, memo: str = "") -> VoucherTransaction | None:
    left = bookkeeping.take_from_voucher(session, voucher, voucher.balance_fen + 1, partial=True)
    voucher.state, voucher.closed_at = state, utcnow()
    txn = None
    if left:
        bookkeeping.give_back(session, VoucherProgramme, voucher.programme_id, "available_fen", left)
        txn = bookkeeping.post(session, kind=kind, programme_id=voucher.programme_id, voucher_id=voucher.id,
                               amount_fen=left, memo=memo,
                               entries=[(voucher_account(voucher.id), -left), (programme_account(voucher.programme_id),
                                                                               left)],
                               actor=actor, created_by_id=created_by_id, org=voucher.organization.slug)
    session.flush()
    return txn


def revoke(session: Session, person: Person | None, voucher: Voucher, reason: str) -> VoucherTransaction | None:
    _check(person, "vouchers.voucher.revoke", voucher)
    if voucher.state != VoucherState.active:
        raise Conflict(N_("voucher %(code)s is %(state)s"), params={"code": voucher.code, "state": voucher.state.value})
    if not reason.strip():
        raise ValidationFailed(N_("say why the voucher is revoked"), field="reason")
    return _close(session, voucher, TransactionKind.revoke, VoucherState.revoked, actor_of(person),
                  person.id if person else None, memo=reason.strip())


def expire_due(session: Session, today: date | None = None) -> int:
    """Vouchers past their end give their unspent balance back to the programme."""
    today = today or utcnow().date()
    due = list(session.scalars(select(Voucher).where(Voucher.state == VoucherState.active, Voucher.valid_until < today)))
    for voucher in due:
        _close(session, voucher, TransactionKind.expire, VoucherState.expired, "system", None)
    return len(due)


def vouchers_of(session: Session, org_ids: list[int]) -> list[Voucher]:
    return list(session.scalars(select(Voucher).where(Voucher.organization_id.in_(org_ids or [-1]))
                                .order_by(Voucher.issued_at.desc())))
