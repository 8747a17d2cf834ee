"""Load test: the real server (`yizhi serve`, uvicorn) under 64 concurrent keep-alive clients.

    .venv/bin/python bench/load.py [--seconds 60] [--clients 64] [--databases sqlite,postgresql]
                                   [--processes 2] [--generator wrk|python] [--phases /healthz,/needs]

For each database (SQLite file; a throwaway PostgreSQL server started here, as scripts/test.sh
does) the script migrates, seeds the demo, starts `yizhi serve --no-worker` on 127.0.0.1 with
``YIZHI_WEB_PROCESSES=--processes`` and runs four phases of ``--seconds`` each, one route per
phase, then a mixed phase:

* ``/healthz``        — no login, one trivial query: the in-run reference (the ceiling of the stack);
* ``/api/v1/me``      — bearer API token (target >= 300 req/s);
* ``/needs``          — the needs library page, login session cookie (target >= 150 req/s);
* mixed               — /api/v1/me, /api/v1/needs (token) and /needs, /jobs (session), round robin.

Every phase reports req/s, p50/p99/max latency, errors (any non-2xx answer, broken connection or
timeout) and stalls (a whole second in which no request completed). Ratios are route req/s /
healthz req/s in the same run.

The load generator runs on the same machine as the server and shares its cores, so the table
also gives what each side spent: the server's CPU milliseconds per request (all its processes,
and PostgreSQL's), and the generator's CPU share. Per phase it also records how many of the generator's connections each
server process holds (sampled two seconds in, from /proc), each process's CPU seconds, and on
PostgreSQL the sessions opened and transactions per request (pg_stat_database): an uneven split
or new sessions under a steady load show waiting that the CPU columns cannot. The generator is ``wrk`` (C, Debian package
``wrk``; scripts/system-deps.sh installs it) driven by ``bench/load_wrk.lua``; without it, or with
``--generator python``, a small asyncio HTTP/1.1 client in this process (about five times the
generator CPU per request, which the server then does not get).

Writes bench/results/load.json and bench/results/load.md (``--name`` picks another name).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
TARGETS = {"/api/v1/me": 300.0, "/needs": 150.0}
P99_TARGET_MS = 250.0


# ----- a minimal keep-alive HTTP/1.1 client -------------------------------------------------------------
async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length, chunked = None, False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value.strip())
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status


async def _client(host: str, port: int, requests: list[bytes], deadline: float, out: dict) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    turn = 0
    try:
        while time.monotonic() < deadline:
            request = requests[turn % len(requests)]
            turn += 1
            began = time.monotonic()
            try:
                writer.write(request)
                status = await _read_response(reader)
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                out["errors"].append(repr(exc)[:120])
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
                continue
            done = time.monotonic()
            out["latencies"].append(done - began)
            out["completions"].append(done)
            if not 200 <= status < 300:
                out["errors"].append(f"HTTP {status}")
    finally:
        writer.close()


def _request(path: str, host: str, headers: dict[str, str]) -> bytes:
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}", "Accept-Language: zh-CN"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def run_phase(port: int, clients: int, seconds: float, requests: list[bytes]) -> dict:
    out: dict = {"latencies": [], "completions": [], "errors": []}

    async def main() -> None:
        began = time.monotonic()
        deadline = began + seconds
        out["began"], out["began_wall"] = began, time.time()
        # Each client starts at a different place in the round robin, so mixed phases stay mixed.
        await asyncio.gather(*[
            _client("127.0.0.1", port, requests[i % len(requests):] + requests[:i % len(requests)], deadline, out)
            for i in range(clients)])
        out["ended"] = time.monotonic()

    asyncio.run(main())
    latencies = sorted(out["latencies"])
    elapsed = out["ended"] - out["began"]
    per_second = [0] * (int(elapsed) + 1)
    for moment in out["completions"]:
        per_second[min(int(moment - out["began"]), len(per_second) - 1)] += 1
    full_seconds = per_second[:int(elapsed)] or per_second

    def pct(q: float) -> float:
        return 1000 * latencies[min(len(latencies) - 1, int(q * len(latencies)))] if latencies else float("nan")

    return {
        "requests": len(latencies), "seconds": round(elapsed, 2),
        "req_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(pct(0.50), 1), "p99_ms": round(pct(0.99), 1),
        "max_ms": round(1000 * latencies[-1], 1) if latencies else None,
        "mean_ms": round(1000 * statistics.fmean(latencies), 1) if latencies else None,
        "errors": len(out["errors"]), "error_samples": sorted(set(out["errors"]))[:5],
        "stalled_seconds": sum(1 for n in full_seconds if n == 0),
        "stalled_at": [int(out["began_wall"] + i) for i, n in enumerate(full_seconds) if n == 0],
        "overrun_s": round(elapsed - seconds, 2),
        "slowest_second_req": min(full_seconds) if full_seconds else 0,
    }


# ----- wrk (C) as the load generator -------------------------------------------------------------------
def _wrk_spec(path: str, headers: dict[str, str]) -> str:
    lines = [f"{name}: {value}" for name, value in {"Accept-Language": "zh-CN", **headers}.items()]
    return "|".join(["GET", path, *lines])


def run_wrk_phase(port: int, clients: int, seconds: float, specs: list[str]) -> dict:
    """One phase under wrk; the generator's own CPU time comes from this process's children."""
    command = ["wrk", "-t", "1", "-c", str(clients), "-d", f"{max(1, round(seconds))}s", "--timeout", "10s",
               "-s", str(Path(__file__).with_name("load_wrk.lua")), f"http://127.0.0.1:{port}", "--", *specs]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = next((l for l in done.stdout.splitlines() if l.startswith("{")), None)
    if done.returncode != 0 or line is None:
        raise SystemExit(f"wrk failed: {done.stderr[-500:] or done.stdout[-500:]}")
    raw = json.loads(line)
    elapsed = raw["duration_us"] / 1e6
    interior = raw["per_second"][1:-1]  # the first and last wall-clock seconds are partial
    first_interior = raw.get("first_second", 0) + 1
    errors = raw["non2xx"] + raw["connect"] + raw["read"] + raw["write"] + raw["timeout"]
    samples = [f"{k} {raw[k]}" for k in ("non2xx", "connect", "read", "write", "timeout") if raw[k]]
    return {
        "requests": raw["requests"], "seconds": round(elapsed, 2),
        "req_per_s": round(raw["requests"] / elapsed, 1),
        "p50_ms": round(raw["p50_us"] / 1000, 1), "p99_ms": round(raw["p99_us"] / 1000, 1),
        "max_ms": round(raw["max_us"] / 1000, 1), "mean_ms": round(raw["mean_us"] / 1000, 1),
        "errors": errors, "error_samples": samples,
        "stalled_seconds": sum(1 for n in interior if n == 0),
        "stalled_at": [first_interior + i for i, n in enumerate(interior) if n == 0],  # epoch seconds
        "overrun_s": round(elapsed - max(1, round(seconds)), 2),
        "slowest_second_req": min(interior) if interior else 0,
        "generator_cpu_s": round((after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime), 2),
    }


def run_python_phase(port: int, clients: int, seconds: float, requests: list[bytes]) -> dict:
    before = resource.getrusage(resource.RUSAGE_SELF)
    result = run_phase(port, clients, seconds, requests)
    after = resource.getrusage(resource.RUSAGE_SELF)
    result["generator_cpu_s"] = round((after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime), 2)
    return result


# ----- was it the server or the machine? ---------------------------------------------------------------
class FreezeWatch:
    """Wall-clock gaps in which this process did not run at all (a thread that wakes every 50 ms
    and finds a second or more gone). The load generator and the server were then frozen too: a
    paused VM or a starved host, not the server. A stalled second inside such a gap is the
    machine's; only the others count against the server. Steal time (``/proc/stat``) says how much
    CPU the hypervisor gave elsewhere."""

    GAP_S = 1.0

    def __init__(self) -> None:
        self.gaps: list[tuple[float, float]] = []  # (wall start, wall end)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> "FreezeWatch":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _watch(self) -> None:
        last, last_wall = time.monotonic(), time.time()
        while not self._stop.wait(0.05):
            now, wall = time.monotonic(), time.time()
            if now - last > self.GAP_S:
                self.gaps.append((last_wall, wall))
            last, last_wall = now, wall

    def frozen_seconds(self, since: float, until: float) -> float:
        return round(sum(max(0.0, min(end, until) - max(start, since)) for start, end in self.gaps), 1)

    def machine_stalls(self, stalled_at: list[int]) -> int:
        """How many of the stalled wall-clock seconds overlap a freeze."""
        return sum(1 for second in stalled_at
                   if any(start < second + 1 and end > second for start, end in self.gaps))


def steal_seconds() -> float:
    """CPU time stolen by the hypervisor, all CPUs, since boot (0 where /proc/stat has no column)."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()
        return int(fields[8]) / os.sysconf("SC_CLK_TCK") if len(fields) > 8 else 0.0
    except (OSError, ValueError):
        return 0.0


def _server_log_problems(text: str) -> dict:
    lines = text.splitlines()
    flagged = [line for line in lines if any(mark in line for mark in ("ERROR", "Traceback", "WARNING", "locked"))]
    return {"lines": len(lines), "problem_lines": len(flagged), "problem_samples": flagged[:5]}


# ----- CPU time of a process tree (the server's processes, PostgreSQL's) --------------------------------
def _children_of() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            tree.setdefault(int(fields[1]), []).append(int(entry.name))
    return tree


def tree_cpu_seconds(root: int | None) -> float:
    """User + system CPU seconds of ``root`` and every live descendant."""
    if root is None:
        return 0.0
    tree, total, todo, ticks = _children_of(), 0.0, [root], os.sysconf("SC_CLK_TCK")
    while todo:
        pid = todo.pop()
        todo.extend(tree.get(pid, []))
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def server_workers(root: int) -> list[int]:
    """The uvicorn worker processes under the supervisor ``root`` (Python children that listen)."""
    workers = []
    for pid in _children_of().get(root, []):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"resource_tracker" not in command:
            workers.append(pid)
    return sorted(workers)


def _established_inodes(port: int) -> set[str]:
    """Socket inodes of established TCP connections whose local port is ``port``."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "01":
                    inodes.add(fields[9])
    return inodes


def connections_per_process(pids: list[int], port: int) -> list[int]:
    """How many of the clients' keep-alive connections each server process holds."""
    established, counts = _established_inodes(port), []
    for pid in pids:
        count = 0
        with contextlib.suppress(OSError):
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                with contextlib.suppress(OSError):
                    link = os.readlink(fd)
                    if link.startswith("socket:[") and link[8:-1] in established:
                        count += 1
        counts.append(count)
    return counts


def postgres_counters(url: str | None) -> dict[str, int]:
    """Sessions opened and transactions ended so far in the bench database (pg_stat_database)."""
    if not url:
        return {}
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute("SELECT pg_stat_clear_snapshot()")
        row = conn.execute("SELECT sessions, xact_commit + xact_rollback FROM pg_stat_database "
                           "WHERE datname = current_database()").fetchone()
    return {"sessions": int(row[0]), "transactions": int(row[1])}


# ----- the server and its database -----------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Postgres:
    """A throwaway PostgreSQL server in a temporary folder (like scripts/test.sh)."""

    def __init__(self, workdir: Path):
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
        if not bins:
            raise SystemExit("PostgreSQL server binaries not found (make system-deps installs them)")
        self.bin, self.dir, self.port = bins[-1], workdir / "pg", _free_port()
        self.as_pg = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []

    def start(self) -> str:
        self.dir.mkdir()
        if self.as_pg:
            shutil.chown(self.dir, "postgres")
        subprocess.run([*self.as_pg, str(self.bin / "initdb"), "-D", str(self.dir / "data"), "-A", "trust",
                        "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8"], check=True, capture_output=True)
        subprocess.run([*self.as_pg, str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-l",
                        str(self.dir / "log"), "-w", "-o",
                        f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections=200",
                        "start"], check=True, capture_output=True)
        subprocess.run([*self.as_pg, str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port),
                        "-U", "postgres", "yizhi_bench"], check=True, capture_output=True)
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/yizhi_bench"

    def pid(self) -> int | None:
        try:
            return int((self.dir / "data" / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def stop(self) -> None:
        subprocess.run([*self.as_pg, str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "immediate",
                        "-w", "stop"], capture_output=True)


def _prepare(env: dict) -> tuple[str, str]:
    """Migrate, seed the demo; return (API token, session cookie) of a demo hospital doctor."""
    script = (
        "from yizhi.migrate import upgrade_to_head; from yizhi.demo import seed_demo\n"
        "from yizhi.db import session_scope; from yizhi.accounts import service\n"
        "upgrade_to_head(); seed_demo()\n"
        "with session_scope() as s:\n"
        "    p = service.get_person_by_email(s, 'doctor@hospital1.demo')\n"
        "    token = service.create_api_token(s, p, 'bench-load')[1]\n"
        "    cookie = service.start_session(s, p, 'bench')\n"
        "print(token); print(cookie)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], env=env, check=True, capture_output=True, text=True)
    token, cookie = done.stdout.strip().splitlines()[-2:]
    return token, cookie


def _start_server(env: dict, port: int, log: Path) -> subprocess.Popen:
    # The server's output goes to a file: a pipe nobody reads fills after 64 KiB of warnings and
    # then blocks the server (a stall this script would have caused itself).
    with log.open("ab") as sink:
        server = subprocess.Popen([sys.executable, "-m", "yizhi", "serve", "--no-worker", "--port", str(port)],
                                  env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 240  # a loaded machine imports slowly
    while time.monotonic() < deadline:
        try:
            # Answered by the application (every server process has started), not only accepted.
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return server
        except OSError:
            if server.poll() is not None:
                raise SystemExit(f"server did not start: {log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.2)
    server.kill()
    raise SystemExit("server did not start within 240 s")


def bench_database(kind: str, seconds: float, clients: int, workdir: Path, processes: int, generator: str,
                   only: set[str] | None = None) -> dict:
    postgres = None
    env = {**os.environ, "YIZHI_DATA_DIR": str(workdir / f"data-{kind}"), "YIZHI_SECRET_KEY": "bench-secret",
           "YIZHI_EMBEDDED_WORKER": "false", "YIZHI_WEB_PROCESSES": str(processes), "PYTHONPATH": str(ROOT / "src")}
    if kind == "postgresql":
        postgres = Postgres(workdir)
        env["YIZHI_DATABASE_URL"] = postgres.start()
    else:
        env["YIZHI_DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    port = _free_port()
    server = None
    try:
        token, cookie = _prepare(env)
        log = workdir / f"server-{kind}.log"
        server = _start_server(env, port, log)
        host = f"127.0.0.1:{port}"
        bearer = {"Authorization": f"Bearer {token}"}
        session = {"Cookie": f"yizhi_session={cookie}; yizhi_csrf=bench"}
        routes = {
            "/healthz": [("/healthz", {})],
            "/api/v1/me": [("/api/v1/me", bearer)],
            "/needs": [("/needs", session)],
            "mixed": [("/api/v1/me", bearer), ("/needs", session), ("/api/v1/needs?limit=20", bearer),
                      ("/jobs", session)],
        }
        if generator == "wrk":
            phases = {name: [_wrk_spec(path, headers) for path, headers in pairs] for name, pairs in routes.items()}
            run = run_wrk_phase
        else:
            phases = {name: [_request(path, host, headers) for path, headers in pairs] for name, pairs in routes.items()}
            run = run_python_phase
        for warm in ("/healthz", "mixed"):  # imports, caches, pooled connections, compiled templates
            run(port, 8, 2.0, phases[warm])
        results = {}
        workers = server_workers(server.pid)
        database_url = env["YIZHI_DATABASE_URL"] if postgres is not None else None
        for name, requests in phases.items():
            if only and name not in only:
                continue
            load_before, steal_before, log_before = os.getloadavg()[0], steal_seconds(), log.stat().st_size
            wall_before = time.time()
            server_before, db_before = tree_cpu_seconds(server.pid), tree_cpu_seconds(postgres and postgres.pid())
            workers_before = [tree_cpu_seconds(pid) for pid in workers]
            pg_before = postgres_counters(database_url)
            # Sampled once the generator's connections are open (they are kept alive all phase).
            spread: list[int] = []
            sampler = threading.Timer(min(2.0, seconds / 2),
                                      lambda: spread.extend(connections_per_process(workers, port)))
            sampler.start()
            with FreezeWatch() as watch:
                row = run(port, clients, seconds, requests)
            sampler.join()
            machine_stalls = watch.machine_stalls(row.get("stalled_at", []))
            with log.open("rb") as text:
                text.seek(log_before)
                row["server_log"] = _server_log_problems(text.read().decode(errors="replace"))
            row.update({"machine_frozen_s": watch.frozen_seconds(wall_before, time.time()),
                        "steal_s": round(steal_seconds() - steal_before, 1),
                        "machine_stalled_seconds": machine_stalls,
                        "server_stalled_seconds": row["stalled_seconds"] - machine_stalls})
            server_cpu = tree_cpu_seconds(server.pid) - server_before
            db_cpu = tree_cpu_seconds(postgres and postgres.pid()) - db_before
            pg_after = postgres_counters(database_url)
            row["connections_per_process"] = spread
            row["cpu_s_per_process"] = [round(tree_cpu_seconds(pid) - before, 2)
                                        for pid, before in zip(workers, workers_before)]
            if pg_before:
                row["postgres_sessions_opened"] = pg_after["sessions"] - pg_before["sessions"]
                row["postgres_transactions_per_req"] = round(
                    (pg_after["transactions"] - pg_before["transactions"]) / max(row["requests"], 1), 2)
            row.update({
                "server_cpu_s": round(server_cpu, 2), "database_cpu_s": round(db_cpu, 2),
                "server_cpu_ms_per_req": round(1000 * server_cpu / max(row["requests"], 1), 2),
                "generator_cpu_share": round(row["generator_cpu_s"] / max(row["generator_cpu_s"] + server_cpu + db_cpu, 1e-9), 3),
                "loadavg_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
            })
            results[name] = row
            print(f"  {kind:10s} {name:12s} {row['req_per_s']:8.1f} req/s  p50 {row['p50_ms']:6.1f} ms"
                  f"  p99 {row['p99_ms']:6.1f} ms  errors {row['errors']}  stalled {row['stalled_seconds']}"
                  f" (machine frozen {row['machine_frozen_s']} s, steal {row['steal_s']} s,"
                  f" server log problems {row['server_log']['problem_lines']})"
                  f"  server {row['server_cpu_ms_per_req']} ms CPU/req  generator {row['generator_cpu_share']:.0%}"
                  f"  load {row['loadavg_1min'][1]}  connections/process {row['connections_per_process']}"
                  f"  CPU s/process {row['cpu_s_per_process']}"
                  + (f"  PG sessions opened {row['postgres_sessions_opened']}"
                     f"  PG transactions/req {row['postgres_transactions_per_req']}" if pg_before else ""),
                  flush=True)
        reference = results.get("/healthz", {}).get("req_per_s")
        for name in results:  # no /healthz phase in this run: no ratio
            results[name]["ratio_to_healthz"] = round(results[name]["req_per_s"] / reference, 3) if reference else "—"
        return results
    finally:
        if server is not None:
            # The server's own process group: uvicorn's supervisor and its worker processes.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
        if postgres is not None:
            postgres.stop()


def write_results(report: dict, results_name: str) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{results_name}.json").write_text(json.dumps(report, indent=2) + "\n")
    machine = report["machine"]
    lines = [
        "# Load test (bench/load.py)", "",
        f"{report['clients']} concurrent keep-alive clients, {report['seconds']} s per phase; server `yizhi serve` "
        f"({report['processes']} uvicorn process(es), uvloop + httptools) and load generator "
        f"({report['generator']}) on the same {machine['cpus']}-core machine: {machine['note']}. "
        f"Load average (1, 5, 15 min) before the run {machine['loadavg_before']}, after {machine['loadavg_after']}; "
        "each row gives the 1-minute figure before and after its phase.", "",
        "CPU columns: the server's CPU time per request (all its processes), PostgreSQL's CPU time "
        "in the phase, and the generator's share of the CPU the three used.", "",
        "Stalled s: seconds in which no request completed; machine frozen s: seconds in which this "
        "script's own watch thread did not run either (the whole machine stopped: the server is not "
        "the cause); steal s: CPU the hypervisor gave elsewhere; log: warning/error lines the server wrote.", "",
        "| database | route | req/s | p50 ms | p99 ms | max ms | errors | stalled s | machine frozen s "
        "| steal s | log | server CPU ms/req "
        "| PostgreSQL CPU s | generator CPU share | load before → after | ratio to /healthz "
        "| connections per process | CPU s per process | PostgreSQL sessions opened | target |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: "
        "| --- | --- | ---: | --- |",
    ]
    for database, phases in report["databases"].items():
        for phase, row in phases.items():
            target = TARGETS.get(phase)
            verdict = ""
            if target:
                met = (row["req_per_s"] >= target and row["p99_ms"] <= P99_TARGET_MS and row["errors"] == 0
                       and row["stalled_seconds"] == 0)
                outcome = "met" if met else "NOT met"
                if not met and row.get("machine_frozen_s"):
                    outcome = f"void: the machine froze {row['machine_frozen_s']} s, rerun"
                verdict = f"≥ {target:.0f} req/s, p99 ≤ {P99_TARGET_MS:.0f} ms: {outcome}"
            load = row.get("loadavg_1min", ["", ""])
            lines.append(f"| {database} | {phase} | {row['req_per_s']} | {row['p50_ms']} | {row['p99_ms']} | "
                         f"{row['max_ms']} | {row['errors']} | {row['stalled_seconds']} | "
                         f"{row.get('machine_frozen_s', '—')} | {row.get('steal_s', '—')} | "
                         f"{row.get('server_log', {}).get('problem_lines', '—')} | "
                         f"{row.get('server_cpu_ms_per_req', '')} | {row.get('database_cpu_s', '') if database == 'postgresql' else '—'} | "
                         f"{row.get('generator_cpu_share', '')} | {load[0]} → {load[1]} | {row['ratio_to_healthz']} | "
                         f"{'/'.join(map(str, row.get('connections_per_process', [])))} | "
                         f"{'/'.join(map(str, row.get('cpu_s_per_process', [])))} | "
                         f"{row.get('postgres_sessions_opened', '—')} | {verdict} |")
    lines += ["", f"Run {report['when']} on Python {machine['python']}; wall time {report['wall_seconds']} s, "
              f"this script's CPU {report['bench_cpu_seconds']} s (generator included when it is the Python one)."]
    (RESULTS / f"{results_name}.md").write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each phase")
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--processes", type=int, default=2, help="YIZHI_WEB_PROCESSES for the server")
    parser.add_argument("--generator", choices=("wrk", "python"), default="wrk" if shutil.which("wrk") else "python")
    parser.add_argument("--phases", default="", help="comma-separated phases to run (default: all: /healthz,/api/v1/me,/needs,mixed)")
    parser.add_argument("--note", default="shared with other work while measured")
    parser.add_argument("--name", default="load", help="results file name: bench/results/NAME.json and NAME.md "
                        "(a partial run under another name keeps the full run's files)")
    args = parser.parse_args()
    began, cpu_began = time.monotonic(), time.process_time()
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"), "clients": args.clients, "seconds": args.seconds,
        "processes": args.processes, "generator": args.generator,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "note": args.note,
                    "loadavg_before": [round(x, 2) for x in os.getloadavg()]},
        "targets": {"req_per_s": TARGETS, "p99_ms": P99_TARGET_MS}, "databases": {},
    }
    with tempfile.TemporaryDirectory(prefix="yizhi-bench-load-") as folder:
        os.chmod(folder, 0o755)  # the PostgreSQL server runs as postgres and must reach its folder
        for kind in [k.strip() for k in args.databases.split(",") if k.strip()]:
            print(f"{kind}:", flush=True)
            report["databases"][kind] = bench_database(kind, args.seconds, args.clients, Path(folder),
                                                       args.processes, args.generator,
                                                       {p.strip() for p in args.phases.split(",") if p.strip()})
    report["machine"]["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    report["wall_seconds"] = round(time.monotonic() - began, 1)
    report["bench_cpu_seconds"] = round(time.process_time() - cpu_began, 1)
    write_results(report, args.name)
    print((RESULTS / f"{args.name}.md").read_text())


if __name__ == "__main__":
    main()
