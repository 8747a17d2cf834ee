"""A voucher never goes below zero under concurrent debits — run on SQLite and on PostgreSQL
(scripts/test.sh runs this file on both). Threads with their own sessions race to debit one
voucher; the sum of what they took equals what the balance lost, nothing overdraws, the books stay
balanced, and every debit's digest is on the transparency ledger."""

from __future__ import annotations

import threading
from datetime import date, timedelta

from yizhi.errors import Conflict

THREADS = 8
DEBITS_EACH = 5


def _setup(db) -> int:
    from yizhi.market import vouchers
    from yizhi.market.schemas import IssueIn, ProgrammeIn

    programme = vouchers.create_programme(db, None, ProgrammeIn(
        slug="compute-race", title="race", kind="compute", budget="100",
        valid_from=date.today().isoformat(), valid_until=(date.today() + timedelta(days=30)).isoformat()))
    voucher = vouchers.issue(db, None, programme, IssueIn(org="company", amount="7.00"))  # 700 fen
    db.commit()
    return voucher.id


def _race(voucher_id: int, amount: int, partial: bool) -> tuple[list[int], list[str]]:
    from yizhi.db import session_scope
    from yizhi.market import vouchers
    from yizhi.market.voucher_models import Voucher

    taken, refused = [], []
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def worker(n: int) -> None:
        start.wait()
        for i in range(DEBITS_EACH):
            try:
                with session_scope() as session:
                    voucher = session.get(Voucher, voucher_id)
                    txn = vouchers.debit(session, voucher, amount, payee_account="platform:compute",
                                         purpose="tier_b_compute", reference=f"test:{n}:{i}", partial=partial)
                    got = txn.amount_fen if txn else 0
                with lock:
                    taken.append(got)
            except Conflict as exc:
                with lock:
                    refused.append(exc.code)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return taken, refused


def _check_books(db, voucher_id: int, taken: list[int]) -> None:
    from yizhi.market.statements import verify_books
    from yizhi.market.voucher_models import Voucher, VoucherTransaction

    db.expire_all()
    voucher = db.get(Voucher, voucher_id)
    assert voucher.balance_fen >= 0
    assert sum(taken) == 700 - voucher.balance_fen
    spends = db.query(VoucherTransaction).filter_by(voucher_id=voucher_id, kind="spend").all()
    assert sum(t.amount_fen for t in spends) == sum(taken)
    assert all(t.ledger_index is not None for t in spends)
    assert verify_books(db) == []


def test_full_debits_never_overdraw(db, cast):
    voucher_id = _setup(db)
    taken, refused = _race(voucher_id, 30, partial=False)    # 40 attempts × 30 fen against 700 fen
    assert len(taken) + len(refused) == THREADS * DEBITS_EACH
    assert sum(taken) == 690 and len(taken) == 23             # 23 × 30 = 690; the 24th would overdraw
    assert set(refused) == {"insufficient_balance"}
    _check_books(db, voucher_id, taken)


def test_partial_debits_take_what_is_left_and_no_more(db, cast):
    voucher_id = _setup(db)
    taken, refused = _race(voucher_id, 45, partial=True)      # 40 × 45 fen against 700: the last gets the rest
    assert refused == []
    assert sum(taken) == 700
    assert sorted(t for t in taken if t not in (0, 45)) == [25]   # 15 × 45 = 675, then 25, then nothing
    _check_books(db, voucher_id, taken)


def test_the_database_refuses_a_negative_balance_even_without_the_service(db, cast):
    import pytest
    from sqlalchemy import update
    from sqlalchemy.exc import IntegrityError

    from yizhi.market.voucher_models import Voucher

    voucher_id = _setup(db)
    with pytest.raises(IntegrityError):
        db.execute(update(Voucher).where(Voucher.id == voucher_id).values(balance_fen=-1))
        db.flush()
    db.rollback()
