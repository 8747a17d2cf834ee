"""Tables of compute and data vouchers (算力券、数据券): programmes, vouchers, and a double-entry
ledger of every movement of money between accounts (each transaction's entries sum to zero).

Accounts are named, not tables: ``funding:<programme>`` (where a programme's budget comes from),
``programme:<id>`` (its budget not yet issued), ``voucher:<id>`` (a voucher's balance),
``org:<id>`` (what an organisation was paid from vouchers, e.g. a hospital's data fee) and
``platform:compute`` (Tier B compute paid for). Balances on the programme and voucher rows are the
same sums kept for locking, with a CHECK that they never go below zero.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, CheckConstraint, Date, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from yizhi.access.models import Grant
from yizhi.accounts.models import Organization
from yizhi.db import Base, UTCDateTime, enum_type, utcnow

__all__ = ["ComputeCharge", "ProgrammeState", "TransactionKind", "Voucher", "VoucherEntry", "VoucherKind",
           "VoucherProgramme", "VoucherState", "VoucherTransaction"]


class VoucherKind(enum.StrEnum):
    compute = "compute"   # pays Tier B job resources (CPU-seconds, memory) under grants
    data = "data"         # pays a hospital's fee for a grant or an annotation project


class ProgrammeState(enum.StrEnum):
    open = "open"
    closed = "closed"


class VoucherState(enum.StrEnum):
    active = "active"
    revoked = "revoked"
    expired = "expired"


class TransactionKind(enum.StrEnum):
    fund = "fund"         # funding → programme (the budget)
    issue = "issue"       # programme → voucher
    spend = "spend"       # voucher → payee (metered compute, a data fee)
    expire = "expire"     # voucher → programme (unspent balance at expiry)
    revoke = "revoke"     # voucher → programme (the commission takes it back)


class VoucherProgramme(Base):
    __tablename__ = "market_voucher_programmes"
    __table_args__ = (CheckConstraint("available_fen >= 0", name="available_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[VoucherKind] = mapped_column(enum_type(VoucherKind, "market_voucher_kind"))
    budget_fen: Mapped[int] = mapped_column(BigInteger)
    available_fen: Mapped[int] = mapped_column(BigInteger)          # budget not yet issued
    eligible_kinds: Mapped[list] = mapped_column(JSON, default=list)  # organisation kinds
    eligible_orgs: Mapped[list] = mapped_column(JSON, default=list)   # slugs; empty: any of the kinds
    purposes: Mapped[list] = mapped_column(JSON, default=list)        # grant purposes paid for; empty: any
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    state: Mapped[ProgrammeState] = mapped_column(enum_type(ProgrammeState, "market_programme_state"),
                                                  default=ProgrammeState.open)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Voucher(Base):
    __tablename__ = "market_vouchers"
    __table_args__ = (CheckConstraint("balance_fen >= 0", name="balance_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(24), unique=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("market_voucher_programmes.id", ondelete="RESTRICT"),
                                              index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="RESTRICT"), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    balance_fen: Mapped[int] = mapped_column(BigInteger)
    valid_until: Mapped[date] = mapped_column(Date)
    # a compute voucher may be bound to one grant; None: any of the holder's grants the programme allows
    grant_id: Mapped[int | None] = mapped_column(ForeignKey("access_grants.id", ondelete="SET NULL"), nullable=True)
    state: Mapped[VoucherState] = mapped_column(enum_type(VoucherState, "market_voucher_state"),
                                                default=VoucherState.active, index=True)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), nullable=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    programme: Mapped[VoucherProgramme] = relationship()
    organization: Mapped[Organization] = relationship()
    grant: Mapped[Grant | None] = relationship()


class VoucherTransaction(Base):
    __tablename__ = "market_voucher_transactions"
    __table_args__ = (CheckConstraint("amount_fen > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("market_voucher_programmes.id", ondelete="RESTRICT"),
                                              index=True)
    voucher_id: Mapped[int | None] = mapped_column(ForeignKey("market_vouchers.id", ondelete="RESTRICT"),
                                                   nullable=True, index=True)
    kind: Mapped[TransactionKind] = mapped_column(enum_type(TransactionKind, "market_transaction_kind"))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    purpose: Mapped[str] = mapped_column(String(40), default="")
    reference: Mapped[str] = mapped_column(String(80), default="")     # e.g. space_job:12, grant:3
    payee_org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id", ondelete="RESTRICT"),
                                                     nullable=True, index=True)
    memo: Mapped[str] = mapped_column(Text, default="")
    digest: Mapped[str] = mapped_column(String(64))
    ledger_index: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    programme: Mapped[VoucherProgramme] = relationship()
    voucher: Mapped[Voucher | None] = relationship()
    payee: Mapped[Organization | None] = relationship()
    entries: Mapped[list[VoucherEntry]] = relationship(back_populates="transaction", order_by="VoucherEntry.id",
                                                       cascade="all, delete-orphan")


class VoucherEntry(Base):
    """One side of a transaction: ``amount_fen`` added to ``account`` (negative: taken from it)."""

    __tablename__ = "market_voucher_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("market_voucher_transactions.id", ondelete="RESTRICT"),
                                                index=True)
    account: Mapped[str] = mapped_column(String(60), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)

    transaction: Mapped[VoucherTransaction] = relationship(back_populates="entries")


class ComputeCharge(Base):
    """What one finished Tier B job cost and how much of it vouchers paid (once per job)."""

    __tablename__ = "market_compute_charges"

    id: Mapped[int] = mapped_column(primary_key=True)
    space_job_id: Mapped[int] = mapped_column(ForeignKey("space_jobs.id", ondelete="RESTRICT"), unique=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="RESTRICT"), index=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("access_grants.id", ondelete="RESTRICT"), index=True)
    cpu_seconds: Mapped[float] = mapped_column(Float)
    peak_memory_bytes: Mapped[int] = mapped_column(BigInteger)
    wall_seconds: Mapped[float] = mapped_column(Float)
    cost_fen: Mapped[int] = mapped_column(BigInteger)
    covered_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
