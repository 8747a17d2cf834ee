"""What a request costs the database under load (issue 17, "Measured"): counted, not timed.

* Requests in flight stay within the connections the pool keeps: before, 64 clients on PostgreSQL
  made the server open a new database connection (a new server process) several times a second,
  because requests were admitted up to ``pool_size + max_overflow`` and overflow connections are
  closed as soon as they are given back.
* A pooled PostgreSQL connection is checked at checkout without a round trip, and one the server
  has closed is still noticed and replaced (no error reaches the user).
* Statements per request on /api/v1/me and /needs: a regression in either shows here first.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import time

import pytest
from sqlalchemy import event, text

CONCURRENT = 24
POOL_SIZE = 4


def _token_for(member) -> str:
    from yizhi.accounts import service
    from yizhi.db import session_scope

    with session_scope() as s:
        person = service.get_person_by_email(s, member.email)
        return service.create_api_token(s, person, "load")[1]


def _session_for(member) -> str:
    from yizhi.accounts import service
    from yizhi.db import session_scope

    with session_scope() as s:
        person = service.get_person_by_email(s, member.email)
        return service.start_session(s, person, "load")


async def _get(app, path: str, headers: dict[str, str]) -> int:
    """One GET straight through the ASGI app (many at once on one event loop, like uvicorn)."""
    raw_path, _, query = path.partition("?")
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
        "path": raw_path, "raw_path": raw_path.encode(), "query_string": query.encode(), "root_path": "",
        "headers": [(k.encode(), v.encode()) for k, v in {"host": "testserver", **headers}.items()],
        "client": ("127.0.0.1", 50000), "server": ("testserver", 80), "app": app,
    }
    status = 0

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


@pytest.fixture
def small_pool(monkeypatch):
    """The platform's engine rebuilt with a pool of POOL_SIZE kept connections and 10 overflow."""
    from yizhi.config import reset_settings_cache
    from yizhi.db import dispose_engines, get_engine

    monkeypatch.setenv("YIZHI_DB_POOL_SIZE", str(POOL_SIZE))
    monkeypatch.setenv("YIZHI_DB_MAX_OVERFLOW", "10")
    reset_settings_cache()
    dispose_engines()
    try:
        yield get_engine()
    finally:
        monkeypatch.delenv("YIZHI_DB_POOL_SIZE")
        monkeypatch.delenv("YIZHI_DB_MAX_OVERFLOW")
        reset_settings_cache()
        dispose_engines()


def test_concurrent_requests_reuse_the_pools_connections(small_pool, cast):
    from yizhi.web.app import create_app
    from yizhi.web.middleware import admission_slots

    assert admission_slots() == POOL_SIZE
    token = _token_for(cast.owner)
    opened: list[int] = []
    in_use, most_in_use = 0, 0

    def on_checkout(*_args):
        nonlocal in_use, most_in_use
        in_use += 1
        most_in_use = max(most_in_use, in_use)

    def on_checkin(*_args):
        nonlocal in_use
        in_use -= 1

    event.listen(small_pool, "connect", lambda *_args: opened.append(1))
    event.listen(small_pool.pool, "checkout", on_checkout)
    event.listen(small_pool.pool, "checkin", on_checkin)
    app = create_app()  # a fresh middleware: its admission semaphore is sized from these settings
    headers = {"authorization": f"Bearer {token}"}

    async def rounds() -> list[int]:
        statuses: list[int] = []
        for _ in range(3):
            statuses += await asyncio.gather(*[_get(app, "/api/v1/needs?limit=5", headers)
                                               for _ in range(CONCURRENT)])
        return statuses

    # In a thread of its own: a browser test's Playwright (sync API) may hold this thread's event loop.
    with ThreadPoolExecutor(1) as runner:
        statuses = runner.submit(asyncio.run, rounds()).result()
    assert statuses == [200] * (3 * CONCURRENT)
    assert most_in_use <= POOL_SIZE, f"{most_in_use} connections in use at once for a pool of {POOL_SIZE}"
    # Opened once each and then reused: 72 requests, at most POOL_SIZE connections ever made.
    assert 1 <= len(opened) <= POOL_SIZE, f"{len(opened)} database connections opened for 72 requests"


@pytest.fixture
def engine():
    """The engine the application uses now (another test may have rebuilt it)."""
    from yizhi.db import get_engine

    return get_engine()


def _postgresql_only(engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no server to ping (run with scripts/test.sh)")


def test_pool_checkout_sends_no_ping_query(api, cast, engine):
    """/api/v1/me on PostgreSQL: exactly the statements SQLAlchemy runs reach the server, no SELECT 1."""
    _postgresql_only(engine)
    import psycopg

    client = api(cast.owner)
    assert client.get("/api/v1/me").status_code == 200  # warm: the connection is pooled, not fresh
    statements, cursors = [], []
    original = psycopg.Connection.cursor

    def counted(connection, *args, **kwargs):
        cursors.append(1)
        return original(connection, *args, **kwargs)

    listener = lambda _c, _cur, statement, *_a: statements.append(statement)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    psycopg.Connection.cursor = counted
    try:
        for _ in range(5):
            assert client.get("/api/v1/me").status_code == 200
    finally:
        psycopg.Connection.cursor = original
        event.remove(engine, "before_cursor_execute", listener)
    assert len(statements) == 5  # one token lookup (person, memberships, organisations) a request
    assert len(cursors) == len(statements)


def test_a_connection_the_server_closed_is_replaced_without_an_error(api, cast, engine):
    _postgresql_only(engine)
    client = api(cast.owner)
    assert client.get("/api/v1/me").status_code == 200
    pool = engine.pool
    assert pool.checkedin() >= 1
    with engine.connect() as admin:  # its own connection: not one of those killed
        mine = admin.execute(text("SELECT pg_backend_pid()")).scalar()
        pids = admin.execute(text(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> :mine AND backend_type = 'client backend'"),
            {"mine": mine}).scalars().all()
        assert pids
        admin.execute(text("SELECT pg_terminate_backend(pid) FROM unnest(CAST(:pids AS int[])) AS pid"), {"pids": pids})
        # pg_terminate_backend only signals: on a loaded machine a backend may outlive the next
        # checkout's poll and die under its statement (the teardown then failed, not the server).
        deadline = time.monotonic() + 30
        while admin.execute(text("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(CAST(:pids AS int[]))"),
                            {"pids": pids}).scalar() and time.monotonic() < deadline:
            time.sleep(0.05)
    for _ in range(3):
        response = client.get("/api/v1/me")
        assert response.status_code == 200, response.text
        assert response.json()["email"] == cast.owner.email


@pytest.mark.parametrize("path, auth, expected", [
    ("/api/v1/me", "token", 1),  # the token with its person, memberships and organisations
    # the session with the unread-notice count and the list's version (a page that only reads: one
    # round trip; the list itself comes from the process's cache, needs.list_cache)
    ("/needs", "session", 1),
    ("/jobs", "session", 2),  # the session with the badge, then the jobs (reads_only)
    ("/api/v1/needs?limit=20", "token", 2),  # the token, the page of needs with its total (reads_only)
])
def test_statements_per_request(app, cast, engine, path, auth, expected):
    from fastapi.testclient import TestClient

    headers = ({"Authorization": f"Bearer {_token_for(cast.owner)}"} if auth == "token"
               else {"Cookie": f"yizhi_session={_session_for(cast.owner)}"})
    statements: list[str] = []
    listener = lambda _c, _cur, statement, *_a: statements.append(statement)  # noqa: E731
    with TestClient(app) as client:
        assert client.get(path, headers=headers).status_code == 200  # warm: last-used written once
        event.listen(engine, "before_cursor_execute", listener)
        try:
            for _ in range(3):
                assert client.get(path, headers=headers).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", listener)
    assert len(statements) == 3 * expected, statements
