"""Voucher programmes and vouchers: budgets, eligibility, data fees paid to the hospital holding the
data, revocation and expiry returning money, statements, programme reports, and the books (every
transaction balanced, its digest on the transparency ledger)."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from yizhi.errors import Conflict, NotFound, ValidationFailed


def programme(db, kind="data", budget="10000", **over):
    from yizhi.market import vouchers
    from yizhi.market.schemas import ProgrammeIn

    data = {"slug": f"{kind}-2026", "title": f"{kind} vouchers 2026", "kind": kind, "budget": budget,
            "valid_from": date.today().isoformat(), "valid_until": (date.today() + timedelta(days=365)).isoformat(),
            "eligible_kinds": ["company", "university"]}
    data.update(over)
    found = vouchers.create_programme(db, None, ProgrammeIn(**data))
    db.commit()
    return found


def issue(db, found, org="company", amount="1000", **over):
    from yizhi.market import vouchers
    from yizhi.market.schemas import IssueIn

    voucher = vouchers.issue(db, None, found, IssueIn(org=org, amount=amount, **over))
    db.commit()
    return voucher


def granted(db, holder="hospital", grantee="company", purpose="product_development"):
    import pyarrow as pa

    from yizhi.access.grants import create_grant
    from yizhi.accounts import service
    from yizhi.catalog.testing import make_version

    version = make_version(db, service.get_org_by_slug(db, holder), "labs",
                           {"labs": pa.table({"patient": ["a", "b"], "hba1c": [6.1, 7.2]})})
    grant = create_grant(db, org=service.get_org_by_slug(db, grantee), versions={version: None}, days=30,
                         purpose=purpose)
    db.commit()
    return grant


def test_issuing_respects_eligibility_budget_and_dates(db, cast):
    found = programme(db, budget="1500")
    voucher = issue(db, found, amount="1000")
    assert voucher.balance_fen == 100000 and found.available_fen == 50000
    with pytest.raises(ValidationFailed) as exhausted:
        issue(db, found, amount="600")
    assert exhausted.value.code == "budget_exhausted" and "¥500.00" in exhausted.value.message
    db.rollback()
    with pytest.raises(ValidationFailed) as not_eligible:
        issue(db, found, org="hospital", amount="10")
    assert not_eligible.value.code == "not_eligible"
    db.rollback()
    with pytest.raises(ValidationFailed):
        issue(db, found, amount="10", valid_until=(date.today() + timedelta(days=400)).isoformat())
    db.rollback()
    for bad in ("-5", "0", "1.234", "abc", "1e9"):
        with pytest.raises(ValidationFailed):
            issue(db, found, amount=bad)
        db.rollback()


def test_a_closed_programme_issues_nothing(db, cast):
    later = programme(db, valid_from=(date.today() + timedelta(days=10)).isoformat())
    with pytest.raises(Conflict):
        issue(db, later)


def test_data_voucher_pays_the_holding_hospital_for_a_grant(db, cast):
    from yizhi.market import vouchers
    from yizhi.market.schemas import SpendIn

    grant = granted(db)
    voucher = issue(db, programme(db), amount="800")
    txn = vouchers.pay_data_fee(db, None, voucher, SpendIn(amount="300.50", grant_id=grant.id))
    db.commit()
    assert txn.payee.slug == "hospital" and txn.amount_fen == 30050 and txn.reference == f"grant:{grant.id}"
    assert voucher.balance_fen == 80000 - 30050
    assert sorted((e.account, e.amount_fen) for e in txn.entries) == sorted(
        [(f"voucher:{voucher.id}", -30050), (f"org:{txn.payee_org_id}", 30050)])
    with pytest.raises(Conflict) as short:
        vouchers.pay_data_fee(db, None, voucher, SpendIn(amount="600", grant_id=grant.id))
    assert short.value.code == "insufficient_balance"
    db.rollback()
    assert voucher.balance_fen == 49950, "a refused payment moves nothing"


def test_data_voucher_refuses_others_grants_and_excluded_purposes(db, cast):
    from yizhi.market import vouchers
    from yizhi.market.schemas import SpendIn

    research = granted(db, purpose="scientific_research")
    voucher = issue(db, programme(db, purposes=["product_development"]), amount="800")
    with pytest.raises(ValidationFailed) as purpose:
        vouchers.pay_data_fee(db, None, voucher, SpendIn(amount="10", grant_id=research.id))
    assert purpose.value.code == "purpose_not_eligible"
    db.rollback()
    with pytest.raises(NotFound):
        vouchers.pay_data_fee(db, None, voucher, SpendIn(amount="10", grant_id=research.id + 1000))


def test_revoke_and_expiry_return_unspent_money_to_the_programme(db, cast):
    from yizhi.market import vouchers
    from yizhi.market.voucher_models import VoucherState

    found = programme(db, budget="3000")
    first, second = issue(db, found, amount="1000"), issue(db, found, amount="1000")
    assert found.available_fen == 100000
    vouchers.revoke(db, None, first, "issued twice by mistake")
    second.valid_until = date.today() - timedelta(days=1)
    db.commit()
    assert vouchers.expire_due(db) == 1
    db.commit()
    db.refresh(found)
    assert found.available_fen == 300000
    assert (first.state, second.state) == (VoucherState.revoked, VoucherState.expired)
    assert first.balance_fen == second.balance_fen == 0
    with pytest.raises(Conflict):
        vouchers.revoke(db, None, first, "again")


def test_statement_report_and_books(db, cast):
    from yizhi.accounts import service
    from yizhi.ledger.service import get_entry
    from yizhi.market import statements, vouchers
    from yizhi.market.schemas import SpendIn
    from yizhi.market.voucher_models import VoucherTransaction

    grant = granted(db)
    found = programme(db)
    voucher = issue(db, found, amount="800")
    vouchers.pay_data_fee(db, None, voucher, SpendIn(amount="100", grant_id=grant.id))
    vouchers.pay_data_fee(db, None, voucher, SpendIn(amount="50", grant_id=grant.id))
    db.commit()
    company = statements.statement(db, service.get_org_by_slug(db, "company"))
    assert [(line["kind"], line["amount_fen"]) for line in company["lines"]] == [
        ("issue", 80000), ("spend", -10000), ("spend", -5000)]
    assert company["closing"]["vouchers_fen"] == 65000
    hospital = statements.statement(db, service.get_org_by_slug(db, "hospital"))
    assert hospital["closing"]["received_fen"] == 15000 and len(hospital["lines"]) == 2
    today = date.today()
    later = statements.statement(db, service.get_org_by_slug(db, "company"), since=today + timedelta(days=1))
    assert later["opening"]["vouchers_fen"] == 65000 and later["lines"] == []
    report = statements.programme_report(db, found)
    assert report["issued_fen"] == 80000 and report["spent_fen"] == 15000 and report["outstanding_fen"] == 65000
    assert report["spent_by_purpose"] == {"grant_fee": 15000} and report["spent_by_payee"] == {"hospital": 15000}
    assert report["grants_paid"] == [grant.id]
    assert statements.verify_books(db) == []
    for txn in db.query(VoucherTransaction):
        leaf = json.loads(get_entry(db, txn.ledger_index)["leaf"])
        assert leaf["kind"] == "market.voucher_transaction" and leaf["data"]["digest"] == txn.digest
    # a tampered entry is found
    txn = db.query(VoucherTransaction).filter_by(kind="spend").first()
    txn.entries[0].amount_fen -= 1
    db.flush()
    problems = statements.verify_books(db)
    assert any("do not balance" in p for p in problems) and any("digest" in p for p in problems)
    db.rollback()
