"""Database engine, sessions and the declarative base shared by every domain.

SQLite (the embedded default) runs in WAL mode with foreign keys on; PostgreSQL through psycopg 3.
Every domain's ``models.py`` subclasses :class:`Base`; migrations live in ``yizhi/migrations``.
"""

from __future__ import annotations

import contextlib
import enum
import select
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import lru_cache

from sqlalchemy import DateTime, Engine, Enum, MetaData, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from yizhi.config import get_settings

# Stable constraint names so Alembic migrations are identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def enum_type(cls: type[enum.Enum], name: str, length: int = 20) -> Enum:
    """A column type for a StrEnum, the same on both databases.

    Stored as VARCHAR with a CHECK constraint rather than a native PostgreSQL ENUM: portable, and a
    new member is one migration that alters a constraint, not a type every table depends on.
    """
    return Enum(cls, name=name, native_enum=False, validate_strings=True, length=length)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on both databases (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def make_engine(url: str) -> Engine:
    """An engine whose pool is sized from the settings (``YIZHI_DB_POOL_SIZE`` …): every request in
    flight holds one connection, so the pool should match the request threads (``YIZHI_THREADS``)."""
    settings = get_settings()
    pool = {"pool_size": settings.db_pool_size, "max_overflow": settings.db_max_overflow,
            "pool_timeout": settings.db_pool_timeout}
    if url.startswith("sqlite"):
        if ":memory:" in url or url in ("sqlite://", "sqlite:///"):
            pool = {}
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **pool)
        _configure_sqlite(engine)
        return engine
    engine = create_engine(url, pool_pre_ping=True, **pool)
    if engine.dialect.driver == "psycopg":
        _ping_without_round_trip(engine)
    return engine


def _ping_without_round_trip(engine: Engine) -> None:
    """Check a pooled PostgreSQL connection at checkout without asking the server.

    The stock pre-ping sends ``SELECT 1`` before every request: a round trip on which the request
    thread waits for the database server to be scheduled (a third of /api/v1/me's round trips).
    A connection the server has closed (restart, ``pg_terminate_backend``, idle timeout) has sent
    its last words or end-of-file, so its socket is readable while it should be silent; only then,
    or when libpq already knows the connection is broken, is the full ping made, and it invalidates
    the pool as before. A healthy idle connection costs one ``poll()`` system call.
    """
    from psycopg import pq

    full_ping = engine.dialect.do_ping

    def do_ping(dbapi_connection) -> bool:
        pgconn = dbapi_connection.pgconn
        if (dbapi_connection.closed or pgconn.status != pq.ConnStatus.OK
                or pgconn.transaction_status != pq.TransactionStatus.IDLE):
            return full_ping(dbapi_connection)
        poller = select.poll()
        poller.register(pgconn.socket, select.POLLIN | select.POLLERR | select.POLLHUP)
        if poller.poll(0):
            return full_ping(dbapi_connection)  # the server spoke first: a goodbye, or a notice
        return True

    engine.dialect.do_ping = do_ping


@lru_cache(maxsize=4)
def _engine_for(url: str) -> Engine:
    return make_engine(url)


def get_engine() -> Engine:
    return _engine_for(get_settings().resolved_database_url())


def session_factory() -> sessionmaker[Session]:
    return _session_factory_for(get_engine())


@lru_cache(maxsize=4)
def _session_factory_for(engine: Engine) -> sessionmaker[Session]:
    # One factory per engine: every request asks for one, and building it each time showed up in profiles.
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextlib.contextmanager
def session_scope() -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error."""
    session = session_factory()()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def dispose_engines() -> None:
    """Close the current engine's connections and forget it (settings may have changed)."""
    get_engine().dispose()
    _engine_for.cache_clear()
    _session_factory_for.cache_clear()
