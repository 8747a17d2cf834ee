"""Appending to the log inside the caller's transaction, serialized across workers.

Every append first takes the tree-head row lock: ``INSERT .. ON CONFLICT DO NOTHING`` (creates the
row once) followed by ``SELECT .. FOR UPDATE`` on PostgreSQL. On SQLite the INSERT is a write, so it
takes the database's single writer lock *before* the head is read; because the statement opens the
transaction, SQLite's busy handler waits for the other writer and then reads its committed head.
Either way no two sessions can read the same size, so no index is lost or given twice, and the
append commits or rolls back together with the change it records.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from yizhi.db import utcnow
from yizhi.ledger.canonical import LedgerDataError, build_event, canonical_bytes
from yizhi.ledger.hashing import TreeHasher, get_hasher
from yizhi.ledger.merkle import Frontier
from yizhi.ledger.models import TREE_HEAD_ID, LedgerEntry, LedgerNode, LedgerTreeHead
from yizhi.ledger.settings import get_ledger_settings

HEAD = LedgerTreeHead.__table__
ENTRIES = LedgerEntry.__table__
NODES = LedgerNode.__table__


@dataclass(frozen=True)
class RecordedEntry:
    """What ``record`` returns: enough to ask for a receipt once the transaction commits."""

    index: int
    leaf: str
    leaf_hash: bytes

    @property
    def leaf_hash_hex(self) -> str:
        return self.leaf_hash.hex()


@dataclass(frozen=True)
class Event:
    kind: str
    subject: str
    data: dict[str, Any]
    actor: str | None = None
    org: str | None = None


@dataclass
class TreeHead:
    origin: str
    hasher: TreeHasher
    size: int
    frontier: Frontier
    root_hash: bytes
    checkpoint_size: int
    checkpoint_at: datetime | None


def default_origin() -> str:
    configured = get_ledger_settings().origin
    if configured:
        origin = configured.strip()
    else:
        from yizhi.config import get_settings

        # Without YIZHI_BASE_URL the origin names no host:port (the one the server happened to
        # listen on first would be wrong later); set YIZHI_LEDGER_ORIGIN or YIZHI_BASE_URL.
        host = urlsplit(get_settings().base_url or "").netloc or "yizhi.local"
        origin = f"{host}/ledger"
    if not origin or any(ch.isspace() for ch in origin) or "+" in origin:
        raise ValueError(f"ledger origin {origin!r} must be non-empty without spaces or '+'")
    return origin


def _insert_head_if_missing(session: Session) -> None:
    hasher = get_hasher(get_ledger_settings().hash)
    values = {
        "id": TREE_HEAD_ID,
        "origin": default_origin(),
        "hash_alg": hasher.name,
        "size": 0,
        "frontier": b"",
        "root_hash": hasher.empty_root(),
        "checkpoint_size": 0,
        "checkpoint_at": None,
        "updated_at": utcnow(),
    }
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    else:
        raise RuntimeError(f"the ledger supports SQLite and PostgreSQL, not {dialect}")
    session.execute(dialect_insert(HEAD).values(**values).on_conflict_do_nothing(index_elements=["id"]))


def _row_to_head(row: Any) -> TreeHead:
    hasher = get_hasher(row.hash_alg)
    return TreeHead(
        origin=row.origin,
        hasher=hasher,
        size=row.size,
        frontier=Frontier.from_bytes(hasher, row.size, row.frontier),
        root_hash=row.root_hash,
        checkpoint_size=row.checkpoint_size,
        checkpoint_at=row.checkpoint_at,
    )


def lock_head(session: Session) -> TreeHead:
    """Take the append lock (held until the caller's transaction ends) and read the head."""
    _insert_head_if_missing(session)
    row = session.execute(select(HEAD).where(HEAD.c.id == TREE_HEAD_ID).with_for_update()).one()
    return _row_to_head(row)


def read_head(session: Session) -> TreeHead | None:
    """The head as last committed, without locking (None before the first entry)."""
    row = session.execute(select(HEAD).where(HEAD.c.id == TREE_HEAD_ID)).one_or_none()
    return None if row is None else _row_to_head(row)


def _insert_many(session: Session, table: Any, columns: Sequence[str], rows: list[tuple]) -> None:
    """executemany through the driver with values already bound: appends are the hot path and
    SQLAlchemy's per-row parameter processing cost more than SQLite's insert (bench/ledger.py)."""
    connection = session.connection()
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"
    connection.exec_driver_sql(sql, rows)


def _bound_time(session: Session, moment: datetime) -> Any:
    """``moment`` as the database driver receives it for a UTCDateTime column."""
    dialect = session.get_bind().dialect
    column_type = ENTRIES.c.recorded_at.type
    value = column_type.process_bind_param(moment, dialect)
    processor = column_type.impl.dialect_impl(dialect).bind_processor(dialect)
    return processor(value) if processor else value


ENTRY_COLUMNS = ("idx", "kind", "subject", "actor", "org", "recorded_at", "leaf", "leaf_hash")


PENDING_KEY = "ledger_pending_indexes"
COMMITTED_KEY = "ledger_committed_indexes"


def append_events(session: Session, events: Sequence[Event], *, time: datetime | None = None) -> list[RecordedEntry]:
    """Append ``events`` in order under one lock; O(log n) work per event."""
    moment = time or utcnow()
    leaves = [
        canonical_bytes(build_event(e.kind, e.subject, e.data, time=moment, actor=e.actor, org=e.org))
        for e in events
    ]
    if not leaves:
        return []
    head = lock_head(session)
    bound_moment = _bound_time(session, moment)
    entry_rows: list[tuple] = []
    node_rows: list[tuple] = []
    recorded: list[RecordedEntry] = []
    for event, leaf in zip(events, leaves, strict=True):
        leaf_hash = head.hasher.leaf(leaf)
        index = head.frontier.size
        node_rows.extend(head.frontier.append(leaf_hash))
        leaf_text = leaf.decode("utf-8")
        entry_rows.append((index, event.kind, event.subject, event.actor, event.org, bound_moment, leaf_text, leaf_hash))
        recorded.append(RecordedEntry(index, leaf_text, leaf_hash))
    _insert_many(session, ENTRIES, ENTRY_COLUMNS, entry_rows)
    _insert_many(session, NODES, ("level", "idx", "hash"), node_rows)
    session.execute(
        update(HEAD)
        .where(HEAD.c.id == TREE_HEAD_ID)
        .values(
            size=head.frontier.size,
            frontier=head.frontier.to_bytes(),
            root_hash=head.frontier.root(),
            updated_at=moment,
        )
    )
    head.size = head.frontier.size
    head.root_hash = head.frontier.root()
    _after_append(session, head, moment)
    # The web layer turns these into receipt links once the caller's transaction commits.
    session.info.setdefault(PENDING_KEY, []).extend(r.index for r in recorded)
    return recorded


def _after_append(session: Session, head: TreeHead, moment: datetime) -> None:
    """Sign a checkpoint when N entries or T seconds have passed since the last one."""
    settings = get_ledger_settings()
    grown = head.size - head.checkpoint_size
    stale = head.checkpoint_at is None or (moment - head.checkpoint_at).total_seconds() >= settings.checkpoint_seconds
    if grown >= settings.checkpoint_every or (grown > 0 and stale):
        from yizhi.ledger.service import sign_checkpoint_locked

        sign_checkpoint_locked(session, head, moment)


def record(
    session: Session,
    kind: str,
    subject: str,
    data: dict[str, Any],
    *,
    actor: str | None = None,
    org: str | None = None,
) -> RecordedEntry:
    """Append one event in the caller's transaction; it commits or rolls back with the change.

    ``kind`` like "org.created", ``subject`` like "org:3", ``data`` ids and content hashes only
    (personal data is refused with :class:`LedgerDataError`), ``actor``/``org`` ids or slugs.
    """
    return append_events(session, [Event(kind, subject, data, actor, org)])[0]


def record_many(session: Session, events: Iterable[Event]) -> list[RecordedEntry]:
    """Append several events under one lock (batch jobs, imports)."""
    return append_events(session, list(events))


__all__ = ["Event", "LedgerDataError", "RecordedEntry", "lock_head", "read_head", "record", "record_many"]
