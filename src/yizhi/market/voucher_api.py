"""JSON API of vouchers under /api/v1/market/vouchers: programmes, issuing, a voucher and its
transactions, paying a data fee, revoking, statements per organisation and programme reports."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse
from sqlalchemy import select

from yizhi.accounts.permissions import active_orgs, authorize
from yizhi.market import present, statements, vouchers
from yizhi.market.products import org_by_slug
from yizhi.market.schemas import IssueIn, ProgrammeIn, RevokeIn, SpendIn
from yizhi.market.voucher_models import VoucherProgramme, VoucherTransaction
from yizhi.web.deps import CurrentPerson, DbSession

router = APIRouter(prefix="/vouchers")


@router.get("/programmes")
def programmes(db: DbSession, person: CurrentPerson) -> list[dict]:
    return [present.programme_out(p) for p in db.scalars(select(VoucherProgramme).order_by(VoucherProgramme.id.desc()))]


@router.post("/programmes", status_code=201)
def create_programme(body: ProgrammeIn, db: DbSession, person: CurrentPerson) -> dict:
    programme = vouchers.create_programme(db, person, body)
    db.commit()
    return present.programme_out(programme)


def _programme(db, person, slug: str) -> VoucherProgramme:
    programme = vouchers.get_programme(db, slug)
    authorize(person, "vouchers.programme.view", programme)
    return programme


@router.get("/programmes/{slug}")
def programme_detail(slug: str, db: DbSession, person: CurrentPerson) -> dict:
    return present.programme_out(_programme(db, person, slug))


@router.get("/programmes/{slug}/report")
def programme_report(slug: str, db: DbSession, person: CurrentPerson) -> dict:
    programme = _programme(db, person, slug)
    authorize(person, "vouchers.programme.report", programme)
    return statements.programme_report(db, programme)


@router.post("/programmes/{slug}/vouchers", status_code=201)
def issue(slug: str, body: IssueIn, db: DbSession, person: CurrentPerson) -> dict:
    programme = _programme(db, person, slug)
    voucher = vouchers.issue(db, person, programme, body)
    db.commit()
    return present.voucher_out(voucher)


@router.get("")
def my_vouchers(db: DbSession, person: CurrentPerson) -> list[dict]:
    return [present.voucher_out(v) for v in vouchers.vouchers_of(db, [o.id for o in active_orgs(person)])]


def _voucher(db, person, code: str):
    voucher = vouchers.get_voucher(db, code)
    authorize(person, "vouchers.voucher.view", voucher)
    return voucher


@router.get("/v/{code}")
def voucher_detail(code: str, db: DbSession, person: CurrentPerson) -> dict:
    voucher = _voucher(db, person, code)
    txns = db.scalars(select(VoucherTransaction).where(VoucherTransaction.voucher_id == voucher.id)
                      .order_by(VoucherTransaction.id))
    return {**present.voucher_out(voucher), "transactions": [present.transaction_out(t) for t in txns]}


@router.post("/v/{code}/spend", status_code=201)
def spend(code: str, body: SpendIn, db: DbSession, person: CurrentPerson) -> dict:
    voucher = _voucher(db, person, code)
    txn = vouchers.pay_data_fee(db, person, voucher, body)
    db.commit()
    return present.transaction_out(txn)


@router.post("/v/{code}/revoke")
def revoke(code: str, body: RevokeIn, db: DbSession, person: CurrentPerson) -> dict:
    voucher = _voucher(db, person, code)
    vouchers.revoke(db, person, voucher, body.reason)
    db.commit()
    return present.voucher_out(voucher)


@router.get("/statements/{org}")
def statement(org: str, db: DbSession, person: CurrentPerson, since: date | None = None, until: date | None = None,
              format: str = "json"):
    found = org_by_slug(db, org)
    authorize(person, "vouchers.statement", found)
    data = statements.statement(db, found, since, until)
    if format == "csv":
        return PlainTextResponse(statements.statement_csv(data), media_type="text/csv",
                                 headers={"Content-Disposition": f'attachment; filename="statement-{found.slug}.csv"'})
    return data
