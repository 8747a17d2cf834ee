"""Server CPU per annotation cycle (next item + submit) through HTTP, one client at a time: what one
annotator's cycle costs a real `yizhi serve` (1 process), without the queueing of the 50-annotator
bench (bench/annotation.py). CPU, not wall time, because the machine is shared: the CPU seconds of the
server process (from /proc) over a batch of cycles, the lowest of several batches, and on PostgreSQL
the database server's CPU beside it.

    PYTHONPATH=src .venv/bin/python bench/annotation_cycle.py [--items 20000] [--cycles 100]
        [--batches 5] [--databases sqlite,postgresql] [--note ...]
Writes bench/results/annotation-cycle.json and .md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import annotation as bench  # noqa: E402  (the bench's setup, login sessions, server and client)
from load import tree_cpu_seconds  # noqa: E402


async def _cycles(port: int, slug: str, headers: dict, count: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    base = f"/api/v1/annotation/projects/{slug}"
    try:
        for _ in range(count):
            status, body = await bench._exchange(reader, writer, bench._post(f"{base}/next", port, headers))
            if status != 200:
                raise SystemExit(f"next: HTTP {status} {body[:200]!r}")
            held = json.loads(body)["assignment_id"]
            status, body = await bench._exchange(reader, writer, bench._post(
                f"{base}/assignments/{held}/submit", port, headers, {"answer": {"kind": "a"}}))
            if status != 200:
                raise SystemExit(f"submit: HTTP {status} {body[:200]!r}")
    finally:
        writer.close()


def measure(name: str, url: str, data_dir: Path, args, db_pid: int | None) -> dict:
    bench._configure(data_dir, url)
    slug, people, _setup = bench._setup(args.items, 2, bench.CpuClock())
    headers = bench._login_sessions(people)[0]
    from yizhi.db import dispose_engines

    dispose_engines()
    args.processes = 1
    port, server = bench._serve(args)
    database = bench.CpuClock(db_pid)
    try:
        asyncio.run(_cycles(port, slug, headers, 20))      # imports, caches, pooled connections
        serve, db = [], []
        for _ in range(args.batches):
            before, db_before = tree_cpu_seconds(server.pid), database.server()
            asyncio.run(_cycles(port, slug, headers, args.cycles))
            serve.append(1000 * (tree_cpu_seconds(server.pid) - before) / args.cycles)
            db.append(1000 * (database.server() - db_before) / args.cycles)
    finally:
        bench._stop(server)
    out = {"database": name, "items": args.items, "cycles_per_batch": args.cycles, "batches": args.batches,
           "serve_cpu_ms_per_cycle_min": round(min(serve), 2),
           "serve_cpu_ms_per_cycle_median": round(sorted(serve)[len(serve) // 2], 2)}
    if db_pid is not None:
        out["postgresql_cpu_ms_per_cycle_min"] = round(min(db), 2)
    print(f"{name:10s} server CPU per cycle: min {out['serve_cpu_ms_per_cycle_min']} ms, median "
          f"{out['serve_cpu_ms_per_cycle_median']} ms" + (f"; PostgreSQL min {out['postgresql_cpu_ms_per_cycle_min']} ms"
                                                           if db_pid is not None else ""), flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--cycles", type=int, default=100, help="cycles per batch")
    parser.add_argument("--batches", type=int, default=5)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--note", default="a shared 2-core machine while other engineers' jobs ran")
    args = parser.parse_args()
    runs = []
    with tempfile.TemporaryDirectory(prefix="yizhi-bench-cycle.") as tmp:
        tmp = Path(tmp)
        if "sqlite" in args.databases:
            runs.append(measure("sqlite", f"sqlite:///{tmp / 'bench.sqlite3'}", tmp / "sqlite-data", args, None))
        if "postgresql" in args.databases:
            url, stop, db_pid = bench._start_postgres()
            try:
                runs.append(measure("postgresql", url, tmp / "pg-data", args, db_pid))
            finally:
                stop()
    report = {"benchmark": "annotation cycle: server CPU per next + submit, one client",
              "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "note": args.note,
                          "shared": True}, "runs": runs}
    bench.RESULTS.mkdir(parents=True, exist_ok=True)
    (bench.RESULTS / "annotation-cycle.json").write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n")
    lines = ["# Annotation cycle: server CPU per next + submit", "",
             f"One client, a real `yizhi serve` (1 process), {args.items:,} items; CPU ms per cycle over batches "
             f"of {args.cycles} (lowest and median of {args.batches}).", "",
             "| database | server CPU ms/cycle (min) | (median) | PostgreSQL CPU ms/cycle (min) |",
             "| --- | ---: | ---: | ---: |"]
    for run in runs:
        lines.append(f"| {run['database']} | {run['serve_cpu_ms_per_cycle_min']} | "
                     f"{run['serve_cpu_ms_per_cycle_median']} | {run.get('postgresql_cpu_ms_per_cycle_min', '–')} |")
    lines += ["", f"Measured on {args.note}."]
    (bench.RESULTS / "annotation-cycle.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
