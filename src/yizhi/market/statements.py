"""Statements per organisation, programme reports for the commission, and the books' own check.

A statement lists, for one period, every movement on the organisation's vouchers (received, spent,
returned) and what it was paid from other organisations' vouchers (a hospital's data fees), with
opening and closing balances computed from the entries. A programme report says what was issued,
spent (by purpose, by holder, by payee), returned and is left, and what the grants it paid for
reported at closure. :func:`verify_books` recomputes every balance and digest from the entries.
"""

from __future__ import annotations

import importlib.util
from collections import defaultdict
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yizhi.accounts.models import Organization
from yizhi.market.bookkeeping import transaction_digest
from yizhi.market.money import yuan
from yizhi.market.voucher_models import (
    TransactionKind,
    Voucher,
    VoucherEntry,
    VoucherProgramme,
    VoucherTransaction,
)
from yizhi.market.vouchers import org_account, voucher_account

UTC = timezone.utc


def _moment(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _sum(session: Session, accounts: list[str], before: datetime | None = None) -> int:
    query = select(func.coalesce(func.sum(VoucherEntry.amount_fen), 0)).join(
        VoucherTransaction, VoucherTransaction.id == VoucherEntry.transaction_id).where(
        VoucherEntry.account.in_(accounts or ["-"]))
    if before is not None:
        query = query.where(VoucherTransaction.created_at < before)
    return int(session.scalar(query) or 0)


def statement(session: Session, org: Organization, since: date | None = None, until: date | None = None) -> dict:
    """Movements of the organisation's accounts from ``since`` to ``until`` (inclusive)."""
    vouchers = list(session.scalars(select(Voucher).where(Voucher.organization_id == org.id).order_by(Voucher.id)))
    names = {voucher_account(v.id): v for v in vouchers}
    accounts = [*names, org_account(org.id)]
    start = _moment(since) if since else None
    end = _moment(until + timedelta(days=1)) if until else None
    query = (select(VoucherEntry, VoucherTransaction).join(VoucherTransaction,
                                                           VoucherTransaction.id == VoucherEntry.transaction_id)
             .where(VoucherEntry.account.in_(accounts)).order_by(VoucherTransaction.id, VoucherEntry.id))
    if start is not None:
        query = query.where(VoucherTransaction.created_at >= start)
    if end is not None:
        query = query.where(VoucherTransaction.created_at < end)
    lines = []
    for entry, txn in session.execute(query):
        voucher = names.get(entry.account)
        lines.append({"transaction_id": txn.id, "at": txn.created_at.isoformat(timespec="seconds"),
                      "kind": txn.kind.value, "account": entry.account, "voucher": voucher.code if voucher else None,
                      "amount_fen": entry.amount_fen, "amount": yuan(entry.amount_fen), "purpose": txn.purpose,
                      "reference": txn.reference, "payee": txn.payee.slug if txn.payee else None,
                      "digest": txn.digest, "ledger_index": txn.ledger_index})
    voucher_accounts = list(names)
    opening = {"vouchers_fen": _sum(session, voucher_accounts, start) if start else 0,
               "received_fen": _sum(session, [org_account(org.id)], start) if start else 0}
    closing = {"vouchers_fen": _sum(session, voucher_accounts, end), "received_fen": _sum(session, [org_account(org.id)],
                                                                                          end)}
    return {"organization": org.slug, "since": since.isoformat() if since else None,
            "until": until.isoformat() if until else None, "opening": opening, "closing": closing,
            "vouchers": [{"code": v.code, "programme": v.programme.slug, "kind": v.programme.kind.value,
                          "amount_fen": v.amount_fen, "balance_fen": v.balance_fen, "state": v.state.value,
                          "valid_until": v.valid_until.isoformat()} for v in vouchers],
            "lines": lines}


def statement_csv(data: dict) -> str:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["transaction_id", "at", "kind", "voucher", "account", "amount_yuan", "purpose", "reference",
                     "payee", "digest", "ledger_index"])
    for line in data["lines"]:
        writer.writerow([line["transaction_id"], line["at"], line["kind"], line["voucher"] or "", line["account"],
                         f"{line['amount_fen'] / 100:.2f}", line["purpose"], line["reference"], line["payee"] or "",
                         line["digest"], line["ledger_index"]])
    return buffer.getvalue()


def _closure_outcomes(session: Session, grant_ids: set[int]) -> list[dict]:
    """What the paid-for grants reported at closure — when the access domain's closure reports exist."""
    if not grant_ids or importlib.util.find_spec("yizhi.access.feedback_models") is None:
        return []
    from yizhi.access.feedback_models import ClosureReport  # the access domain's feedback half

    return [{"grant_id": r.grant_id, "met_need": getattr(r.met_need, "value", r.met_need),
             "outputs": len(r.outputs or [])}
            for r in session.scalars(select(ClosureReport).where(ClosureReport.grant_id.in_(sorted(grant_ids))))]


def programme_report(session: Session, programme: VoucherProgramme) -> dict:
    txns = list(session.scalars(select(VoucherTransaction).where(VoucherTransaction.programme_id == programme.id)
                                .order_by(VoucherTransaction.id)))
    totals: dict[str, int] = defaultdict(int)
    by_purpose: dict[str, int] = defaultdict(int)
    by_holder: dict[str, int] = defaultdict(int)
    by_payee: dict[str, int] = defaultdict(int)
    grants: set[int] = set()
    for txn in txns:
        totals[txn.kind.value] += txn.amount_fen
        if txn.kind != TransactionKind.spend:
            continue
        by_purpose[txn.purpose or "-"] += txn.amount_fen
        by_holder[txn.voucher.organization.slug] += txn.amount_fen
        by_payee[txn.payee.slug if txn.payee else "platform:compute"] += txn.amount_fen
        ref = txn.reference if txn.reference.startswith("grant:") else txn.memo
        if ref.startswith("grant:") and ref[6:].isdigit():
            grants.add(int(ref[6:]))
    vouchers = list(session.scalars(select(Voucher).where(Voucher.programme_id == programme.id)))
    return {"programme": programme.slug, "kind": programme.kind.value, "budget_fen": programme.budget_fen,
            "available_fen": programme.available_fen, "issued_fen": totals["issue"], "spent_fen": totals["spend"],
            "returned_fen": totals["expire"] + totals["revoke"],
            "outstanding_fen": sum(v.balance_fen for v in vouchers), "vouchers": len(vouchers),
            "holders": len({v.organization_id for v in vouchers}),
            "spent_by_purpose": dict(sorted(by_purpose.items())), "spent_by_holder": dict(sorted(by_holder.items())),
            "spent_by_payee": dict(sorted(by_payee.items())), "grants_paid": sorted(grants),
            "closure_outcomes": _closure_outcomes(session, grants)}


def verify_books(session: Session) -> list[str]:
    """Every transaction balances and matches its digest; every stored balance equals its account's entries."""
    problems = []
    for txn in session.scalars(select(VoucherTransaction).order_by(VoucherTransaction.id)):
        if sum(e.amount_fen for e in txn.entries) != 0:
            problems.append(f"transaction {txn.id}: entries do not balance")
        if transaction_digest(txn) != txn.digest:
            problems.append(f"transaction {txn.id}: digest differs from its content")
    balances = dict(session.execute(select(VoucherEntry.account, func.sum(VoucherEntry.amount_fen))
                                    .group_by(VoucherEntry.account)).all())
    for voucher in session.scalars(select(Voucher)):
        if int(balances.get(voucher_account(voucher.id), 0)) != voucher.balance_fen:
            problems.append(f"voucher {voucher.code}: balance {voucher.balance_fen} differs from its entries")
    for programme in session.scalars(select(VoucherProgramme)):
        if int(balances.get(f"programme:{programme.id}", 0)) != programme.available_fen:
            problems.append(f"programme {programme.slug}: available {programme.available_fen} differs from its entries")
    return problems
