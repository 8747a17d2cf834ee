"""Shared fixtures: a migrated database (SQLite, or PostgreSQL when YIZHI_TEST_DATABASE_URL is
set), a fixed cast of people, logged-in web clients, API clients, a live server and a browser.

The cast (healthchecks-style): ``admin`` (commission), ``owner`` and ``colleague`` (hospital),
``company`` (company member), ``outsider`` (a member of an unrelated hospital, who must be refused).
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import socket
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

_TMP = Path(tempfile.mkdtemp(prefix="yizhi-test-"))
# The run's data folder (uploads, outputs, the SQLite file) goes with the run.
atexit.register(shutil.rmtree, _TMP, ignore_errors=True)
os.environ["YIZHI_DATA_DIR"] = str(_TMP / "data")
os.environ["YIZHI_SECRET_KEY"] = "test-secret-key-not-for-production"
os.environ["YIZHI_EMBEDDED_WORKER"] = "false"
os.environ["YIZHI_DATABASE_URL"] = os.environ.get("YIZHI_TEST_DATABASE_URL") or f"sqlite:///{_TMP / 'test.sqlite3'}"

from sqlalchemy import text  # noqa: E402

from yizhi.config import reset_settings_cache  # noqa: E402

reset_settings_cache()

# Argon2id at its production cost (RFC 9106's second recommendation, ~120 ms a hash here) would spend
# minutes of the suite on the cast's passwords and logins. Tests hash at the lowest cost the algorithm
# takes; argon2 reads a stored hash's own parameters when verifying, so production-cost hashes (made by
# subprocess CLIs) still verify, and one test checks the production parameters themselves.
from argon2 import PasswordHasher  # noqa: E402

from yizhi.accounts import passwords as _passwords  # noqa: E402

_PRODUCTION_HASHER = _passwords._hasher
_passwords._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
_passwords.DUMMY_HASH = _passwords._hasher.hash("not-a-real-password-for-timing")


@pytest.fixture
def production_hasher() -> PasswordHasher:
    """The hasher the platform uses outside the test suite."""
    return _PRODUCTION_HASHER

PASSWORD = "Correct-Horse-Battery-9"
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


def pytest_report_header(config):
    url = os.environ["YIZHI_DATABASE_URL"]
    return f"yizhi database: {url.split('@')[-1] if '@' in url else url}"


ON_POSTGRES = bool(os.environ.get("YIZHI_TEST_DATABASE_URL"))


def pytest_collection_modifyitems(config, items):
    """A test that touches no database says nothing new on a second one: the PostgreSQL run leaves
    tests marked ``db_independent`` to the SQLite run, where ``_no_database_use`` holds them to it."""
    if not ON_POSTGRES:
        return
    left = [item for item in items if item.get_closest_marker("db_independent")]
    if left:
        config.hook.pytest_deselected(items=left)
        items[:] = [item for item in items if not item.get_closest_marker("db_independent")]


@pytest.fixture(autouse=True)
def _no_database_use(request, clean_database):
    """Fails a ``db_independent`` test that sends a statement to the test database."""
    if request.node.get_closest_marker("db_independent") is None:
        yield
        return
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    test_url = os.environ["YIZHI_DATABASE_URL"]
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        if conn.engine.url.render_as_string(hide_password=False) == test_url:
            statements.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield
    finally:
        event.remove(Engine, "before_cursor_execute", record)
    assert not statements, (f"marked db_independent but sent {len(statements)} statements to the test "
                            f"database, the first: {statements[0][:200]}")


@pytest.fixture(scope="session", autouse=True)
def migrated_database():
    from yizhi.db import get_engine
    from yizhi.migrate import upgrade_to_head

    engine = get_engine()
    if engine.dialect.name == "postgresql":
        # A fresh schema each run, whatever a previous run left behind.
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade_to_head()
    yield engine


_TABLES: list[str] = []


def _table_names(engine) -> list[str]:
    """Tables to empty, children first (only those the migrations created)."""
    if not _TABLES:
        from sqlalchemy import inspect

        from yizhi.db import Base
        from yizhi.registry import import_domain_models

        import_domain_models()
        existing = set(inspect(engine).get_table_names())
        _TABLES.extend(t.name for t in reversed(Base.metadata.sorted_tables) if t.name in existing)
    return _TABLES


def _postgres_emptying_block(names: list[str]) -> str:
    """One server-side block that deletes the rows of the tables holding any (children first) and
    restarts every used sequence. TRUNCATE gives each table and index a new file, and its CASCADE
    reaches nearly every table from ``organizations``: 0.3-0.5 s after every test, where a test
    leaves rows in a handful of tables. setval, unlike ALTER SEQUENCE, rewrites nothing."""
    tables = ", ".join(f"'{name}'" for name in names)
    return f"""
DO $$
DECLARE
  name text;
  found boolean;
  seq record;
BEGIN
  FOREACH name IN ARRAY ARRAY[{tables}] LOOP
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I)', name) INTO found;
    IF found THEN EXECUTE format('DELETE FROM %I', name); END IF;
  END LOOP;
  FOR seq IN SELECT schemaname, sequencename FROM pg_sequences WHERE last_value IS NOT NULL LOOP
    PERFORM setval(format('%I.%I', seq.schemaname, seq.sequencename)::regclass, 1, false);
  END LOOP;
END $$"""


def _empty_tables(engine) -> None:
    from sqlalchemy.exc import OperationalError

    try:
        _empty_tables_once(engine)
    except OperationalError:
        # A test that terminates server connections can leave a pooled one whose backend dies just
        # after the checkout's check: start over on fresh connections rather than fail every next test.
        engine.dispose()
        _empty_tables_once(engine)


def _empty_tables_once(engine) -> None:
    names = _table_names(engine)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(_postgres_emptying_block(names)))
        else:
            for name in names:
                conn.execute(text(f'DELETE FROM "{name}"'))


# Whether the tables hold the demo, left by a test that only reads it (``seeded_demo``).
_DEMO_LEFT = {"in_database": False}


@pytest.fixture(autouse=True)
def clean_database(request, migrated_database):
    """Every test starts from empty tables (the schema stays) — except that consecutive tests that
    only read the demo share one seeding of it (``seeded_demo``): seeding takes seconds, and the
    crawls read it once per role and language."""
    reads_demo = "seeded_demo" in request.fixturenames
    if _DEMO_LEFT["in_database"] and not reads_demo:
        _empty_tables(migrated_database)
        _DEMO_LEFT["in_database"] = False
    yield
    if not (reads_demo and _DEMO_LEFT["in_database"]):
        _empty_tables(migrated_database)
        _DEMO_LEFT["in_database"] = False


@pytest.fixture
def seeded_demo(clean_database) -> None:
    """The demo, for tests that only read it (GET pages, queries): seeded unless the previous test
    left it. A test that changes data must seed its own."""
    if not _DEMO_LEFT["in_database"]:
        from yizhi.demo import seed_demo

        seed_demo()
        _DEMO_LEFT["in_database"] = True


@pytest.fixture
def db():
    from yizhi.db import session_factory

    session = session_factory()()
    try:
        yield session
    finally:
        session.rollback()
        session.close()


@dataclass
class Member:
    id: int
    email: str
    org_slug: str
    role: str
    password: str = PASSWORD


@dataclass
class Cast:
    admin: Member
    owner: Member
    colleague: Member
    company: Member
    outsider: Member


def make_member(session, org, email: str, role: str, name: str = "") -> Member:
    from yizhi.accounts import service

    person = service.create_person(session, email=email, display_name=name or email.split("@")[0], password=PASSWORD)
    service.add_member(session, org, person, role)
    return Member(person.id, person.email, org.slug, role)


@pytest.fixture
def cast() -> Cast:
    from yizhi.accounts import service
    from yizhi.db import session_scope

    with session_scope() as s:
        commission = service.create_organization(s, slug="commission", name="卫健委", kind="commission")
        hospital = service.create_organization(s, slug="hospital", name="第一医院", kind="hospital")
        company = service.create_organization(s, slug="company", name="医图科技", kind="company")
        other = service.create_organization(s, slug="other-hospital", name="另一医院", kind="hospital")
        return Cast(
            admin=make_member(s, commission, "admin@commission.test", "owner", "管理员"),
            owner=make_member(s, hospital, "owner@hospital.test", "owner", "张院长"),
            colleague=make_member(s, hospital, "colleague@hospital.test", "member", "陈医生"),
            company=make_member(s, company, "engineer@company.test", "member", "郑工程师"),
            outsider=make_member(s, other, "outsider@other.test", "owner", "外人"),
        )


@pytest.fixture(scope="session")
def app():
    from yizhi.web.app import create_app

    return create_app()


class WebClient:
    """A TestClient that knows its CSRF token; ``post_form`` adds it to every form."""

    def __init__(self, app):
        from fastapi.testclient import TestClient

        self.http = TestClient(app, base_url="http://testserver", follow_redirects=False)
        self.http.get("/login")  # receives the CSRF cookie

    @property
    def csrf(self) -> str:
        from yizhi.web.csrf import CSRF_COOKIE, SESSION_COOKIE, token_for

        # The token is bound to the login session: it changes when the client logs in.
        return token_for(self.http.cookies[CSRF_COOKIE], self.http.cookies.get(SESSION_COOKIE))

    def get(self, url, **kw):
        return self.http.get(url, **kw)

    def post_form(self, url, data=None, **kw):
        return self.http.post(url, data={**(data or {}), "csrf_token": self.csrf}, **kw)

    def request(self, method, url, **kw):
        headers = {"X-CSRF-Token": self.csrf, **kw.pop("headers", {})}
        return self.http.request(method, url, headers=headers, **kw)

    def login(self, member: Member) -> "WebClient":
        response = self.post_form("/login", {"email": member.email, "password": member.password})
        assert response.status_code == 303, response.text
        return self


@pytest.fixture
def web(app):
    """Factory: web(member) → a logged-in WebClient; web() → an anonymous one."""

    def make(member: Member | None = None) -> WebClient:
        client = WebClient(app)
        return client.login(member) if member else client

    return make


@pytest.fixture
def api(app):
    """Factory: api(member) → a TestClient sending that person's bearer token; api() → anonymous."""
    from fastapi.testclient import TestClient

    from yizhi.accounts import service
    from yizhi.db import session_scope

    def make(member: Member | None = None) -> TestClient:
        client = TestClient(app, base_url="http://testserver", follow_redirects=False)
        if member is not None:
            with session_scope() as s:
                person = service.get_person_by_email(s, member.email)
                _token, secret = service.create_api_token(s, person, f"test-{time.monotonic_ns()}")
            client.headers["Authorization"] = f"Bearer {secret}"
        return client

    return make


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def live_server():
    """The real app under uvicorn in a thread; yields its base URL."""
    import uvicorn

    from yizhi.web.app import create_app

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("live server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (make test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield instance
        instance.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(45000)  # two suites share two cores under `make test`
    yield page
    context.close()


def screenshot(page, name: str) -> Path:
    """Keep a screenshot as a test artifact (test-artifacts/ at the repo root)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', name)}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def browser_login(page, member: Member) -> None:
    page.goto("/login")
    page.fill("#email", member.email)
    page.fill("#password", member.password)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


@pytest.fixture
def shoot():
    """shoot(page, name) keeps a full-page screenshot in test-artifacts/."""
    return screenshot


@pytest.fixture
def login_as():
    """login_as(page, member) logs the browser page in through the real form."""
    return browser_login


def finished_job(kind: str, params: dict):
    """Enqueue a job, run it here to its end (as a worker would) and return its row, detached."""
    from yizhi.db import session_scope
    from yizhi.jobs import service
    from yizhi.jobs.models import Job

    with session_scope() as session:
        job_id = service.enqueue(session, kind, params).id
    service.run_job(job_id)
    with session_scope() as session:
        job = session.get(Job, job_id)
        session.expunge(job)
        return job


@pytest.fixture
def run_job():
    """run_job(kind, params) enqueues a job, runs it in this process and returns the finished Job."""
    return finished_job


class Outbox:
    """E-mails the platform wrote (no SMTP server in tests: they go to <data_dir>/outbox)."""

    def __init__(self):
        from yizhi.config import get_settings

        self.folder = get_settings().resolved_data_dir() / "outbox"

    def clear(self) -> None:
        for path in self.folder.glob("*.eml") if self.folder.exists() else []:
            path.unlink()

    def messages(self) -> list:
        from email import message_from_bytes, policy

        paths = sorted(self.folder.glob("*.eml")) if self.folder.exists() else []
        return [message_from_bytes(p.read_bytes(), policy=policy.default) for p in paths]

    def links(self, marker: str = "") -> list[str]:
        found = []
        for message in self.messages():
            body = message.get_body().get_content()
            found += [link for link in re.findall(r"https?://\S+", body) if marker in link]
        return found


@pytest.fixture
def outbox() -> Outbox:
    """The e-mail outbox, emptied for this test."""
    box = Outbox()
    box.clear()
    return box


@pytest.fixture
def smtp_server(monkeypatch):
    """A real local SMTP server (aiosmtpd) on a free port, the platform pointed at it; yields the
    messages it received."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    from yizhi.notify.settings import reset_smtp_settings_cache

    received = []

    class Keep(Message):
        def handle_message(self, message):
            received.append(message)

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Keep(), hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("YIZHI_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("YIZHI_SMTP_PORT", str(port))
    monkeypatch.setenv("YIZHI_SMTP_STARTTLS", "false")
    reset_smtp_settings_cache()
    yield received
    controller.stop()
    monkeypatch.delenv("YIZHI_SMTP_HOST")
    reset_smtp_settings_cache()
