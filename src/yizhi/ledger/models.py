"""Ledger tables: the tree head (one row, the lock), entries (leaves), stored subtree hashes,
signed checkpoints, their cosignatures, and registered witnesses.

Entries and nodes are append-only: nothing in YiZhi updates or deletes them, and
``yizhi ledger verify`` proves that nobody else did either.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, LargeBinary, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from yizhi.db import Base, UTCDateTime, utcnow

TREE_HEAD_ID = 1


class LedgerTreeHead(Base):
    """The single row every append locks: current size, right frontier and root."""

    __tablename__ = "ledger_tree_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    origin: Mapped[str] = mapped_column(String(200))
    hash_alg: Mapped[str] = mapped_column(String(16))
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    frontier: Mapped[bytes] = mapped_column(LargeBinary, default=b"")
    root_hash: Mapped[bytes] = mapped_column(LargeBinary)
    checkpoint_size: Mapped[int] = mapped_column(BigInteger, default=0)
    checkpoint_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LedgerEntry(Base):
    """One leaf: the canonical JSON that was hashed, plus its fields for look-ups."""

    __tablename__ = "ledger_entries"

    index: Mapped[int] = mapped_column("idx", BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(80), index=True)
    subject: Mapped[str] = mapped_column(String(200), index=True)
    actor: Mapped[str | None] = mapped_column(String(200), nullable=True)
    org: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    leaf: Mapped[str] = mapped_column(Text)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary)


class LedgerNode(Base):
    """Hash of the perfect subtree (level, idx): leaves [idx·2^level, (idx+1)·2^level)."""

    __tablename__ = "ledger_nodes"

    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    index: Mapped[int] = mapped_column("idx", BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary)


class LedgerCheckpoint(Base):
    """A signed note over (origin, size, root); ``note`` carries the platform signature and
    every cosignature collected so far."""

    __tablename__ = "ledger_checkpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tree_size: Mapped[int] = mapped_column(BigInteger, unique=True)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary)
    note: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LedgerWitness(Base):
    """A witness an organisation registered: its verifier key and (optionally) where to reach it."""

    __tablename__ = "ledger_witnesses"
    __table_args__ = (UniqueConstraint("name", name="uq_ledger_witnesses_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org: Mapped[str] = mapped_column(String(200), index=True)
    name: Mapped[str] = mapped_column(String(200))
    vkey: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_size: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LedgerCosignature(Base):
    """A witness's cosignature line on one checkpoint (also merged into the checkpoint's note)."""

    __tablename__ = "ledger_cosignatures"
    __table_args__ = (UniqueConstraint("checkpoint_id", "witness_id", name="uq_ledger_cosignatures_pair"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    checkpoint_id: Mapped[int] = mapped_column(ForeignKey("ledger_checkpoints.id"), index=True)
    witness_id: Mapped[int] = mapped_column(ForeignKey("ledger_witnesses.id"), index=True)
    line: Mapped[str] = mapped_column(Text)
    signed_at: Mapped[int] = mapped_column(BigInteger)
