"""The voucher ledger's two primitives: post a balanced transaction, and take money from a balance
without ever taking it below zero, whatever else runs at the same time.

Posting writes the transaction and its entries (which must sum to zero), computes its digest (SHA-256
of the RFC 8785 canonical JSON of what moved) and records that digest on the transparency ledger,
all in the caller's transaction.

Taking is a conditional UPDATE (``SET balance = balance - :x WHERE id = :id AND balance >= :x``) whose
row count says whether it happened: atomic on both databases. On PostgreSQL the balance is first read
``FOR UPDATE`` (the row stays locked until commit, so a partial take sees the balance it takes from);
on SQLite the statement itself takes the database's single write lock, and the driver opens the
transaction only at that first write, so a concurrent writer is waited for (busy timeout) rather
than read stale. A CHECK constraint (``balance >= 0``) is the last line under both.
"""

from __future__ import annotations

import hashlib

import rfc8785
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from yizhi import ledger
from yizhi.db import utcnow
from yizhi.errors import N_, Conflict, ValidationFailed
from yizhi.market.money import yuan
from yizhi.market.voucher_models import (
    TransactionKind,
    Voucher,
    VoucherEntry,
    VoucherProgramme,
    VoucherTransaction,
)

ATTEMPTS = 5


def transaction_digest(txn: VoucherTransaction) -> str:
    body = {"transaction": txn.id, "kind": txn.kind.value, "programme": txn.programme_id, "voucher": txn.voucher_id,
            "amount_fen": txn.amount_fen, "purpose": txn.purpose, "reference": txn.reference,
            "payee": txn.payee_org_id, "entries": [[e.account, e.amount_fen] for e in txn.entries],
            "created_at": txn.created_at.isoformat(timespec="microseconds")}
    return hashlib.sha256(rfc8785.dumps(body)).hexdigest()


def post(session: Session, *, kind: TransactionKind, programme_id: int, amount_fen: int,
         entries: list[tuple[str, int]], voucher_id: int | None = None, purpose: str = "", reference: str = "",
         payee_org_id: int | None = None, memo: str = "", actor: str | None = None, created_by_id: int | None = None,
         org: str | None = None) -> VoucherTransaction:
    if sum(amount for _, amount in entries) != 0 or amount_fen <= 0:
        raise ValueError("a voucher transaction's entries must balance and move a positive amount")
    txn = VoucherTransaction(programme_id=programme_id, voucher_id=voucher_id, kind=kind, amount_fen=amount_fen,
                             purpose=purpose, reference=reference[:80], payee_org_id=payee_org_id, memo=memo[:2000],
                             digest="", created_by_id=created_by_id, created_at=utcnow())
    txn.entries = [VoucherEntry(account=account, amount_fen=amount) for account, amount in entries]
    session.add(txn)
    session.flush()
    txn.digest = transaction_digest(txn)
    entry = ledger.record(session, "market.voucher_transaction", f"voucher_tx:{txn.id}", {
        "transaction_id": txn.id, "kind": kind.value, "amount_fen": amount_fen, "programme_id": programme_id,
        "voucher_id": voucher_id, "digest": txn.digest}, actor=actor, org=org)
    txn.ledger_index = entry.index
    session.flush()
    return txn


def _take(session: Session, table, id_value: int, column: str, amount: int, partial: bool) -> int:
    """Take ``amount`` (or, if ``partial``, as much of it as there is) from a balance column; returns
    what was taken. Never below zero under concurrent takers."""
    balance_column = getattr(table, column)
    for _attempt in range(ATTEMPTS):
        balance = session.execute(select(balance_column).where(table.id == id_value).with_for_update()).scalar_one()
        take = min(balance, amount) if partial else amount
        if take <= 0 or (not partial and balance < amount):
            return 0
        done = session.execute(update(table).where(table.id == id_value, balance_column >= take)
                               .values({column: balance_column - take}).execution_options(synchronize_session=False))
        if done.rowcount == 1:
            return take
    raise Conflict(N_("the balance is changing under heavy use; try again"), code="busy")


def take_from_voucher(session: Session, voucher: Voucher, amount: int, *, partial: bool) -> int:
    taken = _take(session, Voucher, voucher.id, "balance_fen", amount, partial)
    session.expire(voucher, ["balance_fen"])
    return taken


def take_from_programme(session: Session, programme: VoucherProgramme, amount: int) -> None:
    taken = _take(session, VoucherProgramme, programme.id, "available_fen", amount, partial=False)
    session.expire(programme, ["available_fen"])
    if taken != amount:
        raise ValidationFailed(N_("programme %(slug)s has %(left)s left to issue, less than %(amount)s"),
                               params={"slug": programme.slug, "left": yuan(programme.available_fen),
                                       "amount": yuan(amount)}, field="amount", code="budget_exhausted")


def give_back(session: Session, table, id_value: int, column: str, amount: int) -> None:
    balance_column = getattr(table, column)
    session.execute(update(table).where(table.id == id_value).values({column: balance_column + amount})
                    .execution_options(synchronize_session=False))


def account_balance(session: Session, account: str) -> int:
    from sqlalchemy import func

    return int(session.scalar(select(func.coalesce(func.sum(VoucherEntry.amount_fen), 0))
                              .where(VoucherEntry.account == account)) or 0)
