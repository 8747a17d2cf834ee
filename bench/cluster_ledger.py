"""The ledger's append rate under many concurrent writers (threads and processes), on SQLite and
PostgreSQL: every job records on the ledger, so this is a ceiling for the whole platform's events.

Used by ``bench/cluster.py``; ``python bench/cluster_ledger.py --worker URL COUNT`` is one writer
process (it prints its latencies as JSON).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

SRC = str(Path(__file__).resolve().parents[1] / "src")


def _use_database(url: str) -> None:
    os.environ["YIZHI_DATABASE_URL"] = url
    from yizhi.config import reset_settings_cache

    reset_settings_cache()  # yizhi.db keeps one engine per URL


def _appends(count: int, tag: str) -> tuple[list[float], int]:
    """``count`` one-transaction appends (as ``ledger.record`` in a request); latencies and errors."""
    from yizhi import ledger
    from yizhi.db import session_scope

    latencies, errors = [], 0
    for i in range(count):
        started = time.perf_counter()
        try:
            with session_scope() as session:
                ledger.record(session, "bench.concurrent", f"job:{tag}-{i}", {"n": i, "sha256": f"{i:064x}"})
        except Exception:  # noqa: BLE001 - counted: a writer that gave up (e.g. database is locked)
            errors += 1
            continue
        latencies.append(time.perf_counter() - started)
    return latencies, errors


def _threads(writers: int, count: int) -> tuple[list[float], int, float]:
    results: list[tuple[list[float], int]] = []
    lock = threading.Lock()

    def run(index: int) -> None:
        found = _appends(count, f"t{writers}-{index}")
        with lock:
            results.append(found)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(writers)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    return [x for r in results for x in r[0]], sum(r[1] for r in results), wall


def _processes(url: str, writers: int, count: int) -> tuple[list[float], int, float]:
    """Writer processes that connect first, then start together (a go file), so the window measured
    is appends only, not Python start-up."""
    env = {**os.environ, "YIZHI_DATABASE_URL": url, "PYTHONPATH": SRC}
    with tempfile.TemporaryDirectory(prefix="yizhi-bench-go-") as folder:
        children = [subprocess.Popen([sys.executable, __file__, "--worker", url, str(count), f"p{writers}-{i}", folder],
                                     env=env, stdout=subprocess.PIPE, text=True) for i in range(writers)]
        while len(list(Path(folder).glob("ready-*"))) < writers and all(c.poll() is None for c in children):
            time.sleep(0.05)
        started = time.perf_counter()
        Path(folder, "go").touch()
        outputs = [json.loads(child.communicate()[0]) for child in children]
        wall = time.perf_counter() - started
    return [x for o in outputs for x in o["latencies"]], sum(o["errors"] for o in outputs), wall


def _row(database: str, kind: str, writers: int, latencies: list[float], errors: int, wall: float) -> dict:
    ordered = sorted(latencies) or [0.0]
    return {"database": database, "writers": f"{writers} {kind}", "appends": len(latencies), "errors": errors,
            "seconds": round(wall, 2), "appends_per_s": round(len(latencies) / wall, 1) if wall else 0.0,
            "median_ms": round(statistics.median(ordered) * 1000, 2),
            "p99_ms": round(ordered[max(0, int(len(ordered) * 0.99) - 1)] * 1000, 2)}


def measure(database: str, url: str, count: int, thread_counts=(1, 4, 16), process_counts=(4, 16)) -> list[dict]:
    _use_database(url)
    from yizhi.migrate import upgrade_to_head

    upgrade_to_head()
    rows = []
    for writers in thread_counts:
        rows.append(_row(database, "threads", writers, *_threads(writers, count)))
    for writers in process_counts:
        rows.append(_row(database, "processes", writers, *_processes(url, writers, count)))
    from yizhi.db import session_scope
    from yizhi.ledger.store import read_head

    with session_scope() as session:
        head = read_head(session)
    appended = sum(row["appends"] for row in rows)
    for row in rows:
        row["tree_size_matches"] = head is not None and head.size == appended
    return rows


class Postgres:
    """A throwaway PostgreSQL server on 127.0.0.1 (as scripts/test.sh starts one); None if absent."""

    def __init__(self) -> None:
        found = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
        self.bin = found[-1] if found else None
        self.dir = Path(tempfile.mkdtemp(prefix="yizhi-bench-pg-"))
        self.port = _free_port()
        self.as_pg = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []

    def __enter__(self) -> str | None:
        if self.bin is None:
            return None
        if self.as_pg:
            shutil.chown(self.dir, "postgres")
        run = lambda *args: subprocess.run([*self.as_pg, *args], check=True, capture_output=True)  # noqa: E731
        run(str(self.bin / "initdb"), "-D", str(self.dir / "data"), "-A", "trust", "-U", "postgres", "-E", "UTF8",
            "--locale=C.UTF-8")
        # Durable settings (fsync on): the append rate a real deployment gets.
        run(str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-l", str(self.dir / "log"), "-w", "-o",
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections=100", "start")
        run(str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "bench")
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/bench"

    def __exit__(self, *exc) -> None:
        if self.bin is not None:
            subprocess.run([*self.as_pg, str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "immediate",
                            "-w", "stop"], capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_all(count: int, scratch: Path) -> list[dict]:
    rows = measure("SQLite (WAL)", f"sqlite:///{scratch / 'ledger.sqlite3'}", count)
    with Postgres() as url:
        if url is not None:
            rows += measure("PostgreSQL", url, count)
    return rows


if __name__ == "__main__" and len(sys.argv) == 6 and sys.argv[1] == "--worker":
    _use_database(sys.argv[2])
    from yizhi.db import get_engine
    from yizhi.ledger import store  # noqa: F401 - imported before the start

    get_engine().connect().close()
    Path(sys.argv[5], f"ready-{sys.argv[4]}").touch()
    while not Path(sys.argv[5], "go").exists():
        time.sleep(0.01)
    found, failed = _appends(int(sys.argv[3]), sys.argv[4])
    print(json.dumps({"latencies": found, "errors": failed}))
