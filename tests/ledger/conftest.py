"""Ledger test fixtures: a fresh database (temp SQLite, or PostgreSQL when YIZHI_TEST_DATABASE_URL
is set) with the ledger tables, and a temp data directory for the platform key."""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.orm import sessionmaker

from yizhi.config import reset_settings_cache
from yizhi.db import Base, make_engine
from yizhi.ledger import models  # noqa: F401  (registers the tables)
from yizhi.ledger.settings import reset_ledger_settings_cache

LEDGER_TABLES = [table for name, table in Base.metadata.tables.items() if name.startswith("ledger_")]


@pytest.fixture
def ledger_env(tmp_path, monkeypatch):
    """YIZHI_DATA_DIR in tmp and a database URL; yields the URL."""
    monkeypatch.setenv("YIZHI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("YIZHI_BASE_URL", "https://yizhi.test")
    pg_url = os.environ.get("YIZHI_TEST_DATABASE_URL")
    if pg_url:
        url = pg_url
    else:
        url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    monkeypatch.setenv("YIZHI_DATABASE_URL", url)
    reset_settings_cache()
    reset_ledger_settings_cache()
    yield url
    reset_settings_cache()
    reset_ledger_settings_cache()


def _with_search_path(url: str, schema: str) -> str:
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options=-csearch_path%3D{schema}"


@pytest.fixture
def ledger_url(ledger_env, monkeypatch):
    """The database URL the test uses (on PostgreSQL: a private schema, dropped afterwards)."""
    if not ledger_env.startswith("postgresql"):
        engine = make_engine(ledger_env)
        Base.metadata.create_all(engine, tables=LEDGER_TABLES)
        engine.dispose()
        yield ledger_env
        return
    schema = f"ledger_test_{uuid.uuid4().hex[:10]}"
    admin = make_engine(ledger_env)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = _with_search_path(ledger_env, schema)
    monkeypatch.setenv("YIZHI_DATABASE_URL", url)
    reset_settings_cache()
    engine = make_engine(url)
    Base.metadata.create_all(engine, tables=LEDGER_TABLES)
    engine.dispose()
    yield url
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def ledger_engine(ledger_url):
    engine = make_engine(ledger_url)
    yield engine
    engine.dispose()


@pytest.fixture
def make_session(ledger_engine):
    return sessionmaker(bind=ledger_engine, expire_on_commit=False)
