"""What one request costs the server, counted rather than timed under load.

    .venv/bin/python bench/request_cost.py [--databases sqlite,postgresql] [--requests 400]

bench/load.py measures throughput and latency on the real server; on a shared machine its wall-clock
figures are noise. This script calls the application in-process, one request at a time (the ASGI app
directly, no HTTP client), on a seeded demo database, and reports per route:

* CPU milliseconds per request (``time.process_time``: every thread of this process, so the thread
  pool's work is included; the database server's own CPU is not);
* SQL statements, connection checkouts, pre-ping queries and connection resets (rollbacks on
  return) per request — each one a round trip to PostgreSQL, where the server waits rather than works.

Routes: /healthz, /api/v1/me (API token), /needs (login session), /api/v1/needs?limit=20, /jobs.
Writes nothing; prints one table.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "src"))


class Counters:
    """Statements, checkouts, pings and resets on one engine (SQLAlchemy events)."""

    def __init__(self, engine) -> None:
        from sqlalchemy import event

        self.statements = self.checkouts = self.pings = self.resets = 0
        self.texts: list[str] = []
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine.pool, "checkout", self._checkout)
        event.listen(engine.pool, "reset", self._reset)
        self.cursors = 0
        if engine.dialect.driver == "psycopg":
            # Every query psycopg sends takes a cursor: statements, and pre-ping's SELECT 1 when made.
            import psycopg

            original = psycopg.Connection.cursor

            def counted_cursor(connection, *args, **kwargs):
                self.cursors += 1
                return original(connection, *args, **kwargs)

            psycopg.Connection.cursor = counted_cursor

    def _statement(self, _conn, _cursor, statement, *_args):
        self.statements += 1
        self.texts.append(statement.split("\n", 1)[0][:90])

    def _checkout(self, *_args):
        self.checkouts += 1

    def _reset(self, *_args):
        self.resets += 1

    def snapshot(self) -> tuple[int, int, int, int]:
        # pings: queries sent outside SQLAlchemy's statements (psycopg only; SQLite has no server)
        return self.statements, self.checkouts, max(0, self.cursors - self.statements), self.resets


async def call(app, path: str, headers: dict[str, str]) -> int:
    """One GET through the ASGI app; returns the status (the body is read and dropped)."""
    raw_path, _, query = path.partition("?")
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
        "path": raw_path, "raw_path": raw_path.encode(), "query_string": query.encode(), "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in {"host": "127.0.0.1", **headers}.items()],
        "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000), "app": app,
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


def prepare(kind: str, workdir: Path):
    """Environment, database (migrated, demo seeded) and credentials of a demo doctor."""
    postgres = None
    os.environ.update({"YIZHI_DATA_DIR": str(workdir / f"data-{kind}"), "YIZHI_SECRET_KEY": "bench-secret",
                       "YIZHI_EMBEDDED_WORKER": "false"})
    if kind == "postgresql":
        from load import Postgres

        postgres = Postgres(workdir)
        os.environ["YIZHI_DATABASE_URL"] = postgres.start()
    else:
        os.environ["YIZHI_DATABASE_URL"] = f"sqlite:///{workdir / 'cost.sqlite3'}"
    from yizhi.config import reset_settings_cache
    from yizhi.db import dispose_engines

    reset_settings_cache()
    dispose_engines()
    from yizhi.accounts import service
    from yizhi.db import session_scope
    from yizhi.demo import seed_demo
    from yizhi.migrate import upgrade_to_head

    upgrade_to_head()
    seed_demo()
    with session_scope() as s:
        person = service.get_person_by_email(s, "doctor@hospital1.demo")
        token = service.create_api_token(s, person, "bench-cost")[1]
        cookie = service.start_session(s, person, "bench")
    return postgres, token, cookie


def measure(kind: str, requests: int, workdir: Path, only: set[str] | None = None) -> list[dict]:
    postgres, token, cookie = prepare(kind, workdir)
    try:
        from yizhi.db import get_engine
        from yizhi.web import i18n
        from yizhi.web.app import create_app

        app = create_app()
        i18n.preload()
        counters = Counters(get_engine())
        bearer = {"authorization": f"Bearer {token}", "accept-language": "zh-CN"}
        session = {"cookie": f"yizhi_session={cookie}; yizhi_csrf=bench", "accept-language": "zh-CN"}
        routes = [(path, headers) for path, headers in [
            ("/healthz", {}), ("/api/v1/me", bearer), ("/needs", session), ("/api/v1/needs?limit=20", bearer),
            ("/jobs", session)] if not only or path in only]
        rows = []

        async def run() -> None:
            for path, headers in routes:
                for _ in range(20):  # warm: compiled templates, statement caches, pooled connections
                    assert await call(app, path, headers) == 200, path
                counters.texts.clear()
                before, cpu = counters.snapshot(), time.process_time()
                for _ in range(requests):
                    await call(app, path, headers)
                cpu = time.process_time() - cpu
                after = counters.snapshot()
                per = [(a - b) / requests for a, b in zip(after, before)]
                rows.append({"database": kind, "route": path, "cpu_ms": 1000 * cpu / requests,
                             "statements": per[0], "checkouts": per[1], "pings": per[2], "resets": per[3],
                             "sample": counters.texts[:12]})

        asyncio.run(run())
        return rows
    finally:
        from yizhi.db import dispose_engines

        dispose_engines()
        if postgres is not None:
            postgres.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--routes", default="", help="comma-separated paths to measure (default: all)")
    parser.add_argument("--show-statements", action="store_true", help="print the statements of one request")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="yizhi-bench-cost-") as folder:
        os.chmod(folder, 0o755)  # the PostgreSQL server runs as postgres and must reach its folder
        for kind in [k.strip() for k in args.databases.split(",") if k.strip()]:
            rows.extend(measure(kind, args.requests, Path(folder),
                                    {r.strip() for r in args.routes.split(",") if r.strip()} or None))
    print("| database | route | CPU ms/req | statements | checkouts | pings | resets |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for row in rows:
        print(f"| {row['database']} | {row['route']} | {row['cpu_ms']:.2f} | {row['statements']:.2f} | "
              f"{row['checkouts']:.2f} | {row['pings']:.2f} | {row['resets']:.2f} |")
    if args.show_statements:
        for row in rows:
            statements = max(1, round(row["statements"]))
            print(f"\n{row['database']} {row['route']}:")
            for text in row["sample"][:statements]:
                print("   ", text)


if __name__ == "__main__":
    main()
