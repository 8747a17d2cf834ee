"""Benchmark: ledger appends/s and proof time, YiZhi against pymerkle on the same leaves, same run.

    .venv/bin/python bench/ledger.py [--leaves 1000000] [--queries 2000]

Measured (targets from issue 5):
* batched appends/s into SQLite through ``ledger.record_many`` (target >= 5,000/s), and one
  transaction per ``ledger.record`` for comparison;
* inclusion and consistency proof time at the full size, from the database (O(log n) stored
  subtree hashes, one query) and from the in-memory tree (target <= 1 ms);
* pymerkle 7 (InmemoryTree and SqliteTree) appending the same leaf bytes and proving the same
  indexes; ratios are pymerkle time / YiZhi time (> 1 means YiZhi is faster).

Writes bench/results/ledger.json and bench/results/ledger.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
BATCH = 2000
FIXED_TIME = datetime(2026, 11, 22, tzinfo=UTC)


def setup_environment(directory: Path) -> None:
    os.environ["YIZHI_DATA_DIR"] = str(directory / "data")
    os.environ["YIZHI_DATABASE_URL"] = f"sqlite:///{directory / 'bench.sqlite3'}"
    os.environ["YIZHI_LEDGER_CHECKPOINT_EVERY"] = "100000"
    from yizhi.config import reset_settings_cache
    from yizhi.ledger.settings import reset_ledger_settings_cache

    reset_settings_cache()
    reset_ledger_settings_cache()


def make_factory():
    from sqlalchemy.orm import sessionmaker

    from yizhi.db import Base, get_engine
    from yizhi.ledger import models  # noqa: F401

    engine = get_engine()
    Base.metadata.create_all(engine, tables=[t for n, t in Base.metadata.tables.items() if n.startswith("ledger_")])
    return sessionmaker(bind=engine, expire_on_commit=False)


def event(i: int):
    from yizhi.ledger import Event

    return Event("bench.event", f"dataset:{i % 977}", {"n": i, "sha256": f"{i:064x}"}, actor=str(i % 31), org="bench")


def bench_batched_appends(factory, leaves: int) -> tuple[float, list[bytes]]:
    from yizhi.ledger.store import append_events

    leaf_texts: list[bytes] = []
    started = time.perf_counter()
    for start in range(0, leaves, BATCH):
        with factory() as session, session.begin():
            recorded = append_events(session, [event(i) for i in range(start, min(leaves, start + BATCH))], time=FIXED_TIME)
        leaf_texts.extend(r.leaf.encode() for r in recorded)
        if sys.stderr.isatty() and start % 100_000 == 0:
            print(f"  appended {start:,}", file=sys.stderr)
    return time.perf_counter() - started, leaf_texts


def bench_single_appends(factory, count: int) -> float:
    from yizhi import ledger

    started = time.perf_counter()
    for i in range(count):
        with factory() as session, session.begin():
            ledger.record(session, "bench.single", f"item:{i}", {"n": i})
    return time.perf_counter() - started


def time_each(function, arguments) -> list[float]:
    times = []
    for argument in arguments:
        started = time.perf_counter()
        function(argument)
        times.append(time.perf_counter() - started)
    return times


def summary(times: list[float]) -> dict:
    ordered = sorted(times)
    return {
        "mean_ms": statistics.fmean(times) * 1000,
        "median_ms": statistics.median(times) * 1000,
        "p99_ms": ordered[int(len(ordered) * 0.99) - 1] * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--leaves", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--single", type=int, default=1000, help="one-transaction appends to time")
    args = parser.parse_args()

    import pymerkle

    from yizhi.ledger import service
    from yizhi.ledger.hashing import SHA256
    from yizhi.ledger.merkle import MemoryTree, verify_inclusion

    rng = random.Random(5)
    with tempfile.TemporaryDirectory(prefix="yizhi-bench-ledger-") as tmp:
        setup_environment(Path(tmp))
        factory = make_factory()
        print(f"appending {args.leaves:,} leaves (batches of {BATCH}) ...", file=sys.stderr)
        batched_seconds, leaves = bench_batched_appends(factory, args.leaves)
        n = len(leaves)
        indexes = [rng.randrange(n) for _ in range(args.queries)]
        old_sizes = [rng.randrange(1, n) for _ in range(args.queries)]

        with factory() as session:
            db_inclusion = time_each(lambda i: service.inclusion_proof(session, i, n), indexes)
            db_consistency = time_each(lambda m: service.consistency_proof(session, m, n), old_sizes)
            root = service.root_at(session, n)
            sample = service.inclusion_proof(session, indexes[0], n)
            # The same with SQLite reading through mmap (a setting we recommend for the platform).
            session.connection().exec_driver_sql("PRAGMA mmap_size=1073741824")
            mmap_indexes = [rng.randrange(n) for _ in range(args.queries)]
            db_inclusion_mmap = time_each(lambda i: service.inclusion_proof(session, i, n), mmap_indexes)
        verify_inclusion(SHA256, indexes[0], n, bytes.fromhex(sample["leaf_hash"]),
                         [bytes.fromhex(h) for h in sample["audit_path"]], root)

        print("full verification ...", file=sys.stderr)
        with factory() as session:
            started = time.perf_counter()
            report = service.verify_log(session)
            verify_seconds = time.perf_counter() - started
        assert report.ok and report.entries_checked == n, report.problems[:3]

        print("in-memory tree ...", file=sys.stderr)
        started = time.perf_counter()
        memory = MemoryTree(SHA256)
        for leaf in leaves:
            memory.append(leaf)
        memory_append_seconds = time.perf_counter() - started
        assert memory.root() == root
        mem_inclusion = time_each(lambda i: memory.inclusion_proof(i, n), indexes)
        mem_consistency = time_each(lambda m: memory.consistency_proof(m, n), old_sizes)

        print("pymerkle InmemoryTree ...", file=sys.stderr)
        started = time.perf_counter()
        peer = pymerkle.InmemoryTree(algorithm="sha256")
        for leaf in leaves:
            peer.append_entry(leaf)
        peer_append_seconds = time.perf_counter() - started
        assert peer.get_root(n) == root, "pymerkle disagrees with YiZhi's root"
        peer_inclusion = time_each(lambda i: peer.prove_inclusion(i + 1, n), indexes)
        peer_consistency = time_each(lambda m: peer.prove_consistency(m, n), old_sizes)

        print("pymerkle SqliteTree ...", file=sys.stderr)
        started = time.perf_counter()
        with pymerkle.SqliteTree(str(Path(tmp) / "pymerkle.sqlite3"), algorithm="sha256") as peer_db:
            for start in range(0, n, BATCH):
                peer_db.append_entries(leaves[start : start + BATCH])
            peer_db_append_seconds = time.perf_counter() - started
            assert peer_db.get_root(n) == root
            peer_db_inclusion = time_each(lambda i: peer_db.prove_inclusion(i + 1, n), indexes)

        single_seconds = bench_single_appends(factory, args.single)

    rows = {
        "appends_batched_sqlite_per_s": n / batched_seconds,
        "appends_single_txn_sqlite_per_s": args.single / single_seconds,
        "appends_memory_per_s": n / memory_append_seconds,
        "verify_all_seconds": verify_seconds,
        "verify_entries_per_s": n / verify_seconds,
        "verify_checkpoints": report.checkpoints_checked,
        "pymerkle_appends_memory_per_s": n / peer_append_seconds,
        "pymerkle_appends_sqlite_per_s": n / peer_db_append_seconds,
        "inclusion_db": summary(db_inclusion),
        "inclusion_db_mmap": summary(db_inclusion_mmap),
        "consistency_db": summary(db_consistency),
        "inclusion_memory": summary(mem_inclusion),
        "consistency_memory": summary(mem_consistency),
        "pymerkle_inclusion_memory": summary(peer_inclusion),
        "pymerkle_consistency_memory": summary(peer_consistency),
        "pymerkle_inclusion_sqlite": summary(peer_db_inclusion),
    }
    ratios = {
        "appends_sqlite_yizhi_vs_pymerkle": rows["appends_batched_sqlite_per_s"] / rows["pymerkle_appends_sqlite_per_s"],
        "appends_memory_yizhi_vs_pymerkle": rows["appends_memory_per_s"] / rows["pymerkle_appends_memory_per_s"],
        "inclusion_memory_pymerkle_over_yizhi": rows["pymerkle_inclusion_memory"]["mean_ms"] / rows["inclusion_memory"]["mean_ms"],
        "consistency_memory_pymerkle_over_yizhi": rows["pymerkle_consistency_memory"]["mean_ms"] / rows["consistency_memory"]["mean_ms"],
        "inclusion_sqlite_pymerkle_over_yizhi": rows["pymerkle_inclusion_sqlite"]["mean_ms"] / rows["inclusion_db"]["mean_ms"],
    }
    result = {
        "leaves": n,
        "queries": args.queries,
        "batch": BATCH,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "versions": {"pymerkle": version("pymerkle"), "sqlalchemy": version("sqlalchemy")},
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "results": rows,
        "ratios": ratios,
        "targets": {
            "appends_batched_sqlite_per_s >= 5000": rows["appends_batched_sqlite_per_s"] >= 5000,
            "inclusion_db mean <= 1 ms": rows["inclusion_db"]["mean_ms"] <= 1.0,
            "inclusion_db_mmap mean <= 1 ms": rows["inclusion_db_mmap"]["mean_ms"] <= 1.0,
            "inclusion_memory mean <= 1 ms": rows["inclusion_memory"]["mean_ms"] <= 1.0,
        },
    }
    write_results(result)


def write_results(result: dict) -> None:
    r, q = result["results"], result["ratios"]
    lines = [
        f"# Ledger benchmark ({result['leaves']:,} leaves, {result['queries']} random proofs each)",
        "",
        f"{result['date']}, Python {result['machine']['python']}, {result['machine']['cpus']} CPUs; "
        f"pymerkle {result['versions']['pymerkle']} on the same leaf bytes in the same run.",
        "",
        "| operation | YiZhi | pymerkle | ratio |",
        "| --- | ---: | ---: | ---: |",
        f"| appends/s, SQLite, batches of {result['batch']} | {r['appends_batched_sqlite_per_s']:,.0f} | "
        f"{r['pymerkle_appends_sqlite_per_s']:,.0f} | {q['appends_sqlite_yizhi_vs_pymerkle']:.2f}× |",
        f"| appends/s, in memory | {r['appends_memory_per_s']:,.0f} | {r['pymerkle_appends_memory_per_s']:,.0f} | "
        f"{q['appends_memory_yizhi_vs_pymerkle']:.2f}× |",
        f"| appends/s, SQLite, one transaction each (`ledger.record`) | {r['appends_single_txn_sqlite_per_s']:,.0f} | — | — |",
        f"| inclusion proof, from SQLite, mean ms | {r['inclusion_db']['mean_ms']:.3f} | "
        f"{r['pymerkle_inclusion_sqlite']['mean_ms']:.3f} | {q['inclusion_sqlite_pymerkle_over_yizhi']:.1f}× |",
        f"| inclusion proof, in memory, mean ms | {r['inclusion_memory']['mean_ms']:.3f} | "
        f"{r['pymerkle_inclusion_memory']['mean_ms']:.3f} | {q['inclusion_memory_pymerkle_over_yizhi']:.1f}× |",
        f"| inclusion proof, from SQLite with `PRAGMA mmap_size`, mean ms | {r['inclusion_db_mmap']['mean_ms']:.3f} | — | — |",
        f"| consistency proof, from SQLite, mean ms | {r['consistency_db']['mean_ms']:.3f} | — | — |",
        f"| consistency proof, in memory, mean ms | {r['consistency_memory']['mean_ms']:.3f} | "
        f"{r['pymerkle_consistency_memory']['mean_ms']:.3f} | {q['consistency_memory_pymerkle_over_yizhi']:.1f}× |",
        f"| `yizhi ledger verify` of the whole log (recompute + {r['verify_checkpoints']} checkpoints) | "
        f"{r['verify_all_seconds']:.1f} s ({r['verify_entries_per_s']:,.0f} entries/s) | — | — |",
        "",
        "Ratios: appends = YiZhi rate / pymerkle rate; proofs = pymerkle time / YiZhi time (> 1: YiZhi faster).",
        "p99 (ms): " + ", ".join(f"{k} {v['p99_ms']:.3f}" for k, v in r.items() if isinstance(v, dict)),
        "",
        "Targets: " + "; ".join(f"{k}: {'met' if ok else 'NOT met'}" for k, ok in result["targets"].items()),
        "",
    ]
    table = "\n".join(lines)
    print(table)
    RESULTS.mkdir(exist_ok=True)
    for name, text in (("ledger.json", json.dumps(result, indent=2) + "\n"), ("ledger.md", table)):
        temporary = RESULTS / f".{name}.tmp"
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, RESULTS / name)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    main()
