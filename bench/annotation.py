"""Next-item latency of the annotation queue: p50/p95/p99 of "next item" with 50 concurrent
annotators on a 1,000,000-item project (overlap 2), on SQLite and on a throwaway PostgreSQL server.
Target (issue 19): p95 ≤ 50 ms on both.

Each annotator works in a closed loop: take the next item, think, submit the answer. Two modes:

* ``--mode http`` (default): what an annotator sees. A real ``yizhi serve`` (its default
  ``YIZHI_WEB_PROCESSES``, 2) answers ``POST …/next`` and ``…/submit``; each annotator is an asyncio
  client of this process with its own keep-alive connection and login session (cookie + CSRF header,
  as the browser sends them). The latency is the whole request: authentication, permission, claim,
  the item's content. The client's CPU is reported beside the server's, to show it is not the bottleneck.
* ``--mode inprocess``: the annotators are threads of this process calling the service layer
  (``queue.next_item`` timed alone), one session per request — the queue without HTTP.

Two loads: "think 0–2 s" (annotators who read before answering — still far
busier than people) and "no think time" (every annotator hammering the queue at once: the worst case).
No annotation tool we could install offers a server-side queue to measure against (Label Studio's
overlap and queue are in its enterprise edition), so the peer column is the issue's target: the
ratio is target / measured p95 (above 1 meets it).

    PYTHONPATH=src .venv/bin/python bench/annotation.py [--mode http|inprocess] [--items 1000000]
        [--annotators 50] [--requests 20] [--databases sqlite,postgresql] [--processes 2]
Writes bench/results/annotation.json and .md (annotation-inprocess.* for the in-process mode). CPU
time is reported beside wall time: this process's (the clients; in-process: everything but
PostgreSQL), the ``yizhi serve`` processes', and PostgreSQL's (its backends).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
TARGET_MS = 50.0


def _configure(data_dir: Path, url: str) -> None:
    os.environ["YIZHI_DATA_DIR"] = str(data_dir)
    os.environ["YIZHI_DATABASE_URL"] = url
    os.environ.setdefault("YIZHI_SECRET_KEY", "bench-secret-key")
    from yizhi.config import reset_settings_cache
    from yizhi.db import dispose_engines

    reset_settings_cache()
    try:
        dispose_engines()
    except Exception:  # noqa: BLE001 — no engine yet
        pass


class CpuClock:
    """CPU seconds of this process and, when given, of a PostgreSQL server (postmaster, its reaped
    backends and its live ones) — read from /proc, so no extra package."""

    def __init__(self, server_pid: int | None = None):
        self.server_pid = server_pid

    @staticmethod
    def _proc_seconds(pid: int, children_reaped: bool) -> float:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        ticks = int(fields[11]) + int(fields[12]) + ((int(fields[13]) + int(fields[14])) if children_reaped else 0)
        return ticks / os.sysconf("SC_CLK_TCK")

    def server(self) -> float:
        if self.server_pid is None:
            return 0.0
        total = self._proc_seconds(self.server_pid, True)
        children = Path(f"/proc/{self.server_pid}/task/{self.server_pid}/children")
        for child in (children.read_text().split() if children.exists() else []):
            total += self._proc_seconds(int(child), False)
        return total

    def read(self) -> tuple[float, float, float]:
        return time.perf_counter(), time.process_time(), self.server()

    def since(self, start: tuple[float, float, float]) -> dict:
        wall, cpu, server = self.read()
        out = {"wall_s": round(wall - start[0], 1), "cpu_s": round(cpu - start[1], 2)}
        if self.server_pid is not None:
            out["server_cpu_s"] = round(server - start[2], 1)
        return out


def _setup(items: int, annotators: int, clock: CpuClock) -> tuple[str, list[int], dict]:
    import pyarrow as pa
    from sqlalchemy import text

    from yizhi.accounts import passwords
    from yizhi.accounts import service as accounts
    from yizhi.accounts.models import Person
    from yizhi.annotation import service
    from yizhi.catalog.testing import make_version
    from yizhi.db import get_engine, session_scope
    from yizhi.migrate import upgrade_to_head

    engine = get_engine()
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade_to_head()
    started = clock.read()
    with session_scope() as s:
        hospital = accounts.create_organization(s, slug="bench-hospital", name="基准医院", kind="hospital")
        hospital.approved = True
        people = []
        # one password hash for all: argon2 is slow on purpose, and nobody logs in here
        shared_hash = passwords.hash_password("Correct-Horse-Battery-9")
        for n in range(annotators):
            person = Person(email=f"a{n}@bench.test", display_name=f"a{n}", password_hash=shared_hash)
            s.add(person)
            s.flush()
            accounts.add_member(s, hospital, person, "annotator")
            people.append(person.id)
        notes = pa.table({"patient": pa.array([f"P{i}" for i in range(items)]),
                          "text": pa.array(["出院小结：病情平稳。"] * items)})
        make_version(s, hospital, "bench-notes", {"notes": notes})
        service.create_project(s, slug="bench-queue", title="bench", org=hospital, dataset="bench-notes@1",
                               schema={"labels": [{"name": "kind", "type": "class", "classes": ["a", "b"]}]},
                               overlap=2)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    return "bench-queue", people, clock.since(started)


def _run(slug: str, people: list[int], requests: int, think: float, clock: CpuClock) -> dict:
    from sqlalchemy import select

    from yizhi.accounts.models import Person
    from yizhi.annotation import queue, service
    from yizhi.db import session_factory

    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(people))

    def annotator(person_id: int) -> None:
        # One session per request, as the web app opens one per request; the pool bounds how many
        # requests touch the database at once, and waiting for a connection counts in the latency.
        rng = random.Random(person_id)
        try:
            barrier.wait(timeout=600)
            for _ in range(requests):
                with session_factory()() as session:
                    me = session.scalar(select(Person).where(Person.id == person_id))
                    for m in me.memberships:
                        _ = m.organization
                    project = service.get_project(session, slug)
                    session.commit()
                    t0 = time.perf_counter()
                    assignment = queue.next_item(session, project, me)
                    elapsed = time.perf_counter() - t0
                    held = assignment.id if assignment is not None else None
                with lock:
                    latencies.append(elapsed)
                if held is None:
                    break
                if think:
                    time.sleep(rng.uniform(0, think))
                with session_factory()() as session:
                    me = session.get(Person, person_id)
                    for m in me.memberships:
                        _ = m.organization
                    queue.submit(session, service.get_project(session, slug), me, held, {"kind": rng.choice("ab")})
        except Exception as exc:  # noqa: BLE001 — counted and printed
            errors.append(repr(exc)[:300])

    threads = [threading.Thread(target=annotator, args=(p,)) for p in people]
    started = clock.read()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return _summary(latencies, errors, think, clock.since(started))


def _summary(latencies: list[float], errors: list[str], think: float, times: dict) -> dict:
    ms = np.array(latencies or [float("nan")]) * 1000
    out = {"think_seconds_max": think, "requests": len(latencies), "errors": len(errors), "error_samples": errors[:3],
           "p50_ms": round(float(np.percentile(ms, 50)), 2), "p95_ms": round(float(np.percentile(ms, 95)), 2),
           "p99_ms": round(float(np.percentile(ms, 99)), 2), "max_ms": round(float(ms.max()), 2),
           "throughput_per_s": round(len(latencies) / max(times["wall_s"], 1e-9), 1),
           "target_ratio": round(TARGET_MS / float(np.percentile(ms, 95)), 2), **times}
    # CPU per next+submit cycle, each side: what the latency is made of on a machine with 2 cores
    for key in ("cpu_s", "serve_cpu_s", "server_cpu_s"):
        if key in times and latencies:
            out[key[:-2] + "_ms_per_cycle"] = round(1000 * times[key] / len(latencies), 2)
    return out


# ----- through HTTP: a real `yizhi serve` and asyncio keep-alive clients -------------------------------

def _login_sessions(people: list[int]) -> list[dict]:
    """A login session per annotator and the headers a browser sends with it (cookie, CSRF token)."""
    from yizhi.accounts import service as accounts
    from yizhi.accounts.models import Person
    from yizhi.db import session_scope
    from yizhi.web.csrf import token_for

    headers = []
    with session_scope() as s:
        for person_id in people:
            secret = accounts.start_session(s, s.get(Person, person_id), "bench")
            headers.append({"Cookie": f"yizhi_session={secret}; yizhi_csrf=bench",
                            "X-CSRF-Token": token_for("bench", secret)})
    return headers


def _post(path: str, port: int, headers: dict, body: dict | None = None) -> bytes:
    data = json.dumps(body).encode() if body is not None else b""
    lines = [f"POST {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Accept-Language: zh-CN",
             "Content-Type: application/json", f"Content-Length: {len(data)}",
             *(f"{name}: {value}" for name, value in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + data


async def _exchange(reader, writer, request: bytes) -> tuple[int, bytes]:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length = next((int(line.split(b":", 1)[1]) for line in lines[1:] if line.lower().startswith(b"content-length:")),
                  None)
    if length is None:
        raise ValueError("the server answered without Content-Length")
    return status, await reader.readexactly(length)


def _run_http(slug: str, headers: list[dict], port: int, requests: int, think: float, clock: CpuClock,
              server_pid: int, record: bool = True) -> dict:
    from load import tree_cpu_seconds

    latencies: list[float] = []
    errors: list[str] = []
    base = f"/api/v1/annotation/projects/{slug}"

    async def annotator(number: int, mine: dict, go: asyncio.Event) -> None:
        rng = random.Random(number)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        ask = _post(f"{base}/next", port, mine)
        try:
            await go.wait()
            for _ in range(requests):
                t0 = time.perf_counter()
                status, body = await _exchange(reader, writer, ask)
                elapsed = time.perf_counter() - t0
                if status != 200:
                    errors.append(f"next: HTTP {status} {body[:200]!r}")
                    break
                latencies.append(elapsed)
                held = json.loads(body)["assignment_id"]
                if held is None:
                    break
                if think:
                    await asyncio.sleep(rng.uniform(0, think))
                status, body = await _exchange(reader, writer, _post(f"{base}/assignments/{held}/submit", port, mine,
                                                                     {"answer": {"kind": rng.choice("ab")}}))
                if status != 200:
                    errors.append(f"submit: HTTP {status} {body[:200]!r}")
        except (OSError, ValueError, asyncio.IncompleteReadError) as exc:
            errors.append(repr(exc)[:300])
        finally:
            writer.close()

    async def everyone() -> None:
        go = asyncio.Event()
        tasks = [asyncio.create_task(annotator(n, h, go)) for n, h in enumerate(headers)]
        await asyncio.sleep(0.5)   # every connection open before the first request
        go.set()
        await asyncio.gather(*tasks)

    serving = tree_cpu_seconds(server_pid)
    started = clock.read()
    asyncio.run(everyone())
    times = clock.since(started)
    times["serve_cpu_s"] = round(tree_cpu_seconds(server_pid) - serving, 1)
    return _summary(latencies, errors, think, times) if record else {}


def _serve(args) -> tuple[int, subprocess.Popen]:
    """`yizhi serve` on this database, as deployed (its own pool and thread settings)."""
    from load import _free_port, _start_server

    env = {k: v for k, v in os.environ.items() if k not in ("YIZHI_DB_POOL_SIZE", "YIZHI_DB_MAX_OVERFLOW")}
    env.update({"YIZHI_EMBEDDED_WORKER": "false", "YIZHI_WEB_PROCESSES": str(args.processes),
                "PYTHONPATH": str(ROOT / "src")})
    port = _free_port()
    return port, _start_server(env, port)


def _stop(server: subprocess.Popen) -> None:
    import signal

    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)


def _check_no_duplicates() -> dict:
    from sqlalchemy import func, select

    from yizhi.annotation.models import Assignment, Item
    from yizhi.db import session_scope

    with session_scope() as s:
        pairs = s.execute(select(Assignment.item_id, Assignment.annotator_id, func.count())
                          .group_by(Assignment.item_id, Assignment.annotator_id).having(func.count() > 1)).all()
        over = s.scalar(select(func.count()).select_from(Item).where(Item.taken > Item.required))
    return {"duplicate_pairs": len(pairs), "items_over_overlap": over}


def _start_postgres() -> tuple[str, callable, int]:
    bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
    if not bins:
        raise SystemExit("PostgreSQL server binaries not found (scripts/system-deps.sh installs them)")
    pgbin = bins[-1]
    work = Path(tempfile.mkdtemp(prefix="yizhi-bench-pg."))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    as_pg = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_pg:
        shutil.chown(work, "postgres")
    subprocess.run([*as_pg, str(pgbin / "initdb"), "-D", str(work / "data"), "-A", "trust", "-U", "postgres",
                    "-E", "UTF8", "--locale=C.UTF-8"], check=True, capture_output=True)
    subprocess.run([*as_pg, str(pgbin / "pg_ctl"), "-D", str(work / "data"), "-l", str(work / "log"), "-w", "-o",
                    f"-p {port} -k {work} -c listen_addresses=127.0.0.1 -c max_connections=200 "
                    "-c synchronous_commit=off", "start"], check=True, capture_output=True)
    subprocess.run([*as_pg, str(pgbin / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "bench"],
                   check=True, capture_output=True)

    def stop():
        subprocess.run([*as_pg, str(pgbin / "pg_ctl"), "-D", str(work / "data"), "-m", "immediate", "-w", "stop"],
                       capture_output=True)
        shutil.rmtree(work, ignore_errors=True)

    server_pid = int((work / "data" / "postmaster.pid").read_text().split()[0])
    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/bench", stop, server_pid


def bench_database(name: str, url: str, data_dir: Path, args, server_pid: int | None = None) -> dict:
    if args.mode == "inprocess":
        # a connection per annotator thread, as a server sizes its pool to its request threads (a pool of
        # 20 + 20 made the last of 50 threads time out after 10 s on a loaded machine: the harness, not the queue)
        os.environ["YIZHI_DB_POOL_SIZE"] = str(args.annotators)
        os.environ["YIZHI_DB_MAX_OVERFLOW"] = "5"
    _configure(data_dir, url)
    clock = CpuClock(server_pid)
    slug, people, setup = _setup(args.items, args.annotators, clock)
    print(f"{name:10s} setup of {args.items:,} items: {_times(setup)}", flush=True)
    out = {"database": name, "mode": args.mode, "items": args.items, "annotators": args.annotators, "overlap": 2,
           "setup": setup, "loads": []}
    server = None
    try:
        if args.mode == "http":
            headers = _login_sessions(people)
            from yizhi.db import dispose_engines

            dispose_engines()
            port, server = _serve(args)
            # two cycles each first, not counted: both server processes import lazily-loaded modules,
            # fill their statement caches and open their pooled connections
            _run_http(slug, headers, port, 2, 0.0, clock, server.pid, record=False)
        for think in (2.0, 0.0):
            if args.mode == "http":
                result = _run_http(slug, headers, port, args.requests, think, clock, server.pid)
            else:
                result = _run(slug, people, args.requests, think, clock)
            print(f"{name:10s} think≤{think:.0f}s  p50 {result['p50_ms']:7.2f} ms  p95 {result['p95_ms']:7.2f} ms  "
                  f"p99 {result['p99_ms']:7.2f} ms  {result['throughput_per_s']:7.1f}/s  errors {result['errors']}  "
                  f"{_times(result)}  {result['error_samples'][:1]}", flush=True)
            out["loads"].append(result)
    finally:
        if server is not None:
            _stop(server)
    out["integrity"] = _check_no_duplicates()
    from yizhi.db import dispose_engines

    dispose_engines()
    return out


def _times(times: dict) -> str:
    text = f"wall {times['wall_s']} s, CPU {times['cpu_s']} s"
    if "serve_cpu_s" in times:
        text += f" + yizhi serve CPU {times['serve_cpu_s']} s"
    return text + (f" + PostgreSQL CPU {times['server_cpu_s']} s" if "server_cpu_s" in times else "")


def _cell(load: dict, key: str) -> str:
    return str(load[key]) if key in load else "–"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=("http", "inprocess"), default="http",
                        help="http: clients of a real `yizhi serve`; inprocess: threads calling the service layer")
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--annotators", type=int, default=50)
    parser.add_argument("--requests", type=int, default=20, help="next-item requests per annotator per load")
    parser.add_argument("--processes", type=int, default=2, help="YIZHI_WEB_PROCESSES of the server (http mode)")
    parser.add_argument("--databases", default="sqlite,postgresql",
                        help="comma-separated: sqlite, postgresql (run one only with e.g. --databases sqlite)")
    parser.add_argument("--note", default="a shared 2-core machine while other engineers' jobs ran",
                        help="what else ran on the machine, printed under the table")
    args = parser.parse_args()
    databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    if not databases or set(databases) - {"sqlite", "postgresql"}:
        parser.error("--databases takes sqlite, postgresql or both")
    sys.path.insert(0, str(ROOT / "src"))
    runs = []
    with tempfile.TemporaryDirectory(prefix="yizhi-bench-ann.") as tmp:
        tmp = Path(tmp)
        if "sqlite" in databases:
            runs.append(bench_database("sqlite", f"sqlite:///{tmp / 'bench.sqlite3'}", tmp / "sqlite-data", args))
        if "postgresql" in databases:
            url, stop, server_pid = _start_postgres()
            try:
                runs.append(bench_database("postgresql", url, tmp / "pg-data", args, server_pid))
            finally:
                stop()
    write_results(args, runs)


def write_results(args, runs: list[dict]) -> None:
    report = {"benchmark": "annotation next-item latency", "mode": args.mode, "target_p95_ms": TARGET_MS,
              "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "note": args.note},
              "runs": runs}
    name = "annotation" if args.mode == "http" else "annotation-inprocess"
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n")
    who = (f"{args.annotators} concurrent annotators, each an asyncio keep-alive client of a real `yizhi serve` "
           f"({args.processes} processes) with its own login session; latency = the whole `POST …/next` request"
           if args.mode == "http" else
           f"{args.annotators} concurrent annotators (threads of the bench process, one session per request); "
           "latency = `queue.next_item` alone")
    lines = ["# Annotation queue: next-item latency", "",
             f"{who}. {args.items:,} items, overlap 2; each takes the next item, thinks, submits. "
             "Target p95 ≤ 50 ms; ratio = 50 ms / p95.", "",
             "| database | think time | requests | p50 ms | p95 ms | p99 ms | req/s | errors | target ratio "
             "| wall s | CPU s (bench) | CPU s (yizhi serve) | CPU s (PostgreSQL) | CPU ms/cycle bench · serve · PostgreSQL |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for run in runs:
        for load in run["loads"]:
            per_cycle = " · ".join(_cell(load, k) for k in ("cpu_ms_per_cycle", "serve_cpu_ms_per_cycle",
                                                            "server_cpu_ms_per_cycle"))
            lines.append(f"| {run['database']} | 0–{load['think_seconds_max']:.0f} s | {load['requests']} | "
                         f"{load['p50_ms']} | {load['p95_ms']} | {load['p99_ms']} | {load['throughput_per_s']} | "
                         f"{load['errors']} | {load['target_ratio']} | {load['wall_s']} | {load['cpu_s']} | "
                         f"{_cell(load, 'serve_cpu_s')} | {_cell(load, 'server_cpu_s')} | {per_cycle} |")
    where = ("The bench process holds only the clients: its CPU column is the load generator's cost."
             if args.mode == "http" else
             "The annotators are threads of this one process (one GIL): the bench process's CPU per request, "
             "not the SQL, sets the latency (see the CPU columns).")
    lines += ["", f"Setup ({args.items:,} items inserted, with the dataset version and {args.annotators} accounts): "
              + "; ".join(f"{r['database']} {_times(r['setup'])}" for r in runs),
              "Integrity after the runs: " + ", ".join(
                  f"{r['database']}: {r['integrity']['duplicate_pairs']} repeated item/annotator pairs, "
                  f"{r['integrity']['items_over_overlap']} items over their overlap" for r in runs),
              "", f"Measured on {args.note}. {where}"]
    (RESULTS / f"{name}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
