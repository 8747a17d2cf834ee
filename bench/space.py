"""Benchmark: Tier A query latency on a generated 10-million-row dataset version, against the same
query in pandas on the same Parquet file, in the same run.

    PYTHONPATH=src .venv/bin/python bench/space.py [--rows 10000000] [--repeat 20] [--glm-repeat 3] [--keep DIR]
        [--queries count,crosstab,count_pair,glm,glm_all]

Each Tier A figure is the whole released path of ``yizhi.space.query_service.run_query``: grant check,
plan, the DuckDB query over the Parquet file, the differencing audit against the earlier populations,
cell suppression, the query log and the ledger record (SQLite). The pandas figure reads the columns
the query needs from the same Parquet file (``pd.read_parquet(columns=...)``, pyarrow engine) and
computes the same numbers (``len`` of a filter, ``pd.crosstab``, statsmodels GLM); no disclosure
control. Ratio = pandas time / Tier A time (> 1: Tier A is faster). Target (issue 13): p95 ≤ 1 s for
count and crosstab, faster than pandas.

Both wall time and CPU time (``time.process_time``: this process and its DuckDB threads) are kept:
on a shared machine wall time measures the neighbours, CPU time the work. Queries:

* ``count``, ``crosstab``: the issue's two, interleaved with pandas;
* ``count_pair``: the differencing pair (the count minus one patient) — refused; the one query whose
  population is within the threshold of an earlier one's size, so the audit's data pass runs;
* ``glm``: a binomial GLM on one age band (~1.3 M rows), against statsmodels on the same rows;
* ``glm_all``: the same model on all 10 M rows, Tier A only (statsmodels needed more than 15 GB of
  this 24 GB machine there), in a fresh process so that its peak memory is its own.

``--keep DIR`` builds the version once into DIR and reuses it on later runs.

The data are generated (a synthetic population; nothing here measures accuracy): patient ids, sex,
9 age bands, 12 regions, age, length of stay, and a binary outcome from a logistic model.

Writes bench/results/space.json and bench/results/space.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))


def setup_environment(directory: Path) -> None:
    os.environ["YIZHI_DATA_DIR"] = str(directory / "data")
    os.environ["YIZHI_DATABASE_URL"] = f"sqlite:///{directory / 'bench.sqlite3'}"
    os.environ["YIZHI_SECRET_KEY"] = "bench-secret"
    from yizhi.config import reset_settings_cache

    reset_settings_cache()


def generate(rows: int, seed: int = 13):
    import pyarrow as pa

    rng = np.random.default_rng(seed)
    age = rng.integers(18, 95, size=rows)
    sex = rng.integers(0, 2, size=rows)
    region = rng.integers(0, 12, size=rows)
    logit = -3.0 + 0.03 * (age - 50) + 0.4 * sex + 0.05 * region
    outcome = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    bands = np.minimum((age - 18) // 10, 8)
    return pa.table({
        "patient": pa.array(np.char.add("P", np.char.zfill(np.arange(rows).astype(str), 9))),
        "sex": pa.DictionaryArray.from_arrays(pa.array(sex, type=pa.int8()), ["F", "M"]).cast(pa.string()),
        "age_band": pa.DictionaryArray.from_arrays(pa.array(bands, type=pa.int8()),
                                                   [f"{18 + 10 * i}-{27 + 10 * i}" for i in range(9)]).cast(pa.string()),
        "region": pa.DictionaryArray.from_arrays(pa.array(region, type=pa.int8()),
                                                 [f"R{i:02d}" for i in range(12)]).cast(pa.string()),
        "age": pa.array(age, type=pa.int64()),
        "los": pa.array(np.round(rng.gamma(2.0, 2.5, size=rows), 1)),
        "outcome": pa.array(outcome),
    })


def build(rows: int):
    from yizhi.access import grants
    from yizhi.accounts import service
    from yizhi.catalog.testing import make_version
    from yizhi.db import session_scope
    from yizhi.migrate import upgrade_to_head

    upgrade_to_head()
    table = generate(rows)
    with session_scope() as s:
        hospital = service.create_organization(s, slug="hospital", name="Hospital", kind="hospital")
        company = service.create_organization(s, slug="company", name="Company", kind="company")
        analyst = service.create_person(s, email="analyst@company.test", display_name="analyst",
                                        password="Correct-Horse-Battery-9")
        service.add_member(s, company, analyst, "member")
        version = make_version(s, hospital, "bench-population", {"people": table})
        grant = grants.create_grant(s, org=company, versions={version: None}, days=30, reason="bench",
                                    administrative=True)
        from yizhi.catalog import store

        return grant.id, analyst.id, store.table_path(version, "people")


QUERIES = {
    "count": {"table": "people", "op": "count", "where": [["age", ">=", 65], ["sex", "=", "F"]]},
    "crosstab": {"table": "people", "op": "crosstab", "rows": ["age_band", "sex"], "columns": ["region"]},
    "count_pair": {"table": "people", "op": "count",
                   "where": [["age", ">=", 65], ["sex", "=", "F"], ["patient", "!=", None]]},   # set by main
    # statsmodels holds several copies of the design matrix: on all 10 M rows it needed > 15 GB of this
    # shared 24 GB machine, so the comparison runs on one age band (~1.3 M rows) of the 10 M-row version
    "glm": {"table": "people", "op": "glm", "family": "binomial", "outcome": "outcome",
            "covariates": ["age", "sex", "region"], "where": [["age_band", "=", "48-57"]]},
    "glm_all": {"table": "people", "op": "glm", "family": "binomial", "outcome": "outcome",
                "covariates": ["age", "sex", "region"]},
}
EXPECTED = {"count_pair": "refused"}


STAGES: dict[str, list[tuple[float, float]]] = {}


def time_stages() -> None:
    """Wrap each stage of the released path so that every Tier A run also records (wall, CPU) per stage:
    plan, rules, the operation (its DuckDB query and, for tables, the GROUP BY and the suppression apart),
    the differencing audit, and the query log with its ledger record."""
    from yizhi.space import query_service, tables

    def wrap(owner, name: str, label: str, item: bool = False) -> None:
        real = owner[name] if item else getattr(owner, name)

        def timed(*args, **kwargs):
            start, cpu = time.perf_counter(), time.process_time()
            try:
                return real(*args, **kwargs)
            finally:
                STAGES.setdefault(label, []).append((time.perf_counter() - start, time.process_time() - cpu))

        if item:
            owner[name] = timed
        else:
            setattr(owner, name, timed)

    wrap(query_service, "build_plan", "plan")
    wrap(query_service, "rules_for", "rules")
    for op in list(query_service.OPERATIONS):
        wrap(query_service.OPERATIONS, op, "operation (all)", item=True)
    wrap(tables, "grouping_sets", "op: DuckDB GROUP BY")
    wrap(tables, "suppress", "op: suppression")
    wrap(query_service, "population_units", "population size")
    wrap(query_service, "_audit", "differencing audit")
    wrap(query_service, "_finish_released", "log + ledger")
    wrap(query_service, "_finish_refused", "log + ledger")


def stage_means(runs: int) -> dict:
    return {label: {"wall": sum(w for w, _ in found) / runs, "cpu": sum(c for _, c in found) / runs}
            for label, found in STAGES.items()}


def tier_a(grant_id: int, person_id: int, name: str) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one query through the whole released path."""
    from yizhi.accounts.models import Person
    from yizhi.db import session_factory
    from yizhi.space.query_schemas import parse_query
    from yizhi.space.query_service import run_query

    session = session_factory()()
    try:
        start, cpu = time.perf_counter(), time.process_time()
        out = run_query(session, session.get(Person, person_id), grant_id, parse_query(QUERIES[name]))
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    finally:
        session.close()
    if out["status"] != EXPECTED.get(name, "released"):
        raise SystemExit(f"{name}: {out['status']} ({out['reason']})")
    return elapsed, cpu


def pandas_peer(path: Path, name: str) -> tuple[float, float]:
    start, cpu = time.perf_counter(), time.process_time()
    _pandas(path, name)
    return time.perf_counter() - start, time.process_time() - cpu


def _pandas(path: Path, name: str) -> None:
    import pandas as pd
    import statsmodels.formula.api as smf
    import statsmodels.api as sm

    if name == "count":
        frame = pd.read_parquet(path, columns=["age", "sex"])
        _ = int(((frame.age >= 65) & (frame.sex == "F")).sum())
    elif name == "crosstab":
        frame = pd.read_parquet(path, columns=["age_band", "sex", "region"])
        _ = pd.crosstab([frame.age_band, frame.sex], frame.region, margins=True)
    else:
        frame = pd.read_parquet(path, columns=["outcome", "age", "sex", "region", "age_band"])
        frame = frame[frame.age_band == "48-57"]
        _ = smf.glm("outcome ~ age + sex + region", data=frame, family=sm.families.Binomial()).fit()


def percentiles(samples: list[float]) -> dict:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return {"p50": statistics.median(ordered), "p95": p95, "n": len(ordered)}


def measure(grant_id: int, person_id: int, path: Path, name: str, repeat: int, peer: bool) -> dict:
    tier_a(grant_id, person_id, name)      # warm-up: file cache, the per-version uniqueness fact
    if peer:
        pandas_peer(path, name)
    ours, theirs = [], []
    STAGES.clear()
    for _ in range(repeat):                # interleaved, so load on the shared machine hits both alike
        ours.append(tier_a(grant_id, person_id, name))
        if peer:
            theirs.append(pandas_peer(path, name))
    entry = {"tier_a": percentiles([w for w, _ in ours]), "tier_a_cpu": percentiles([c for _, c in ours]),
             "stages": stage_means(repeat)}
    if peer:
        entry.update({"pandas": percentiles([w for w, _ in theirs]), "pandas_cpu": percentiles([c for _, c in theirs])})
        entry["ratio_p50"] = entry["pandas"]["p50"] / entry["tier_a"]["p50"]
        entry["ratio_p95"] = entry["pandas"]["p95"] / entry["tier_a"]["p95"]
        entry["ratio_cpu_p50"] = entry["pandas_cpu"]["p50"] / entry["tier_a_cpu"]["p50"]
    return entry


def glm_all_in_child(directory: Path, repeat: int) -> dict:
    """``glm_all`` in a fresh process: its peak memory (VmHWM) is the query's, not the bench's."""
    out = subprocess.run([sys.executable, __file__, "--child-glm-all", str(directory), "--glm-repeat", str(repeat)],
                         capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(
                             Path(__file__).resolve().parents[1] / "src")})
    if out.returncode != 0:
        raise SystemExit(f"glm_all failed:\n{out.stdout}\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def child_glm_all(directory: Path, repeat: int) -> None:
    setup_environment(directory)
    grant_id, person_id = json.loads((directory / "state.json").read_text())[:2]
    runs = [tier_a(grant_id, person_id, "glm_all") for _ in range(repeat)]
    hwm = next(int(line.split()[1]) for line in Path("/proc/self/status").read_text().splitlines()
               if line.startswith("VmHWM"))
    print(json.dumps({"tier_a": percentiles([w for w, _ in runs]), "tier_a_cpu": percentiles([c for _, c in runs]),
                      "peak_rss_mb": round(hwm / 1024, 1), "ru_maxrss_mb": round(
                          resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))


def prepare(directory: Path, rows: int) -> tuple[int, int, Path, float]:
    setup_environment(directory)
    state = directory / "state.json"
    if state.exists():
        saved = json.loads(state.read_text())
        if saved[3] == rows:
            return saved[0], saved[1], Path(saved[2]), 0.0
        raise SystemExit(f"{directory} holds a version of {saved[3]} rows; use another --keep folder")
    started = time.perf_counter()
    grant_id, person_id, path = build(rows)
    state.write_text(json.dumps([grant_id, person_id, str(path), rows]))
    return grant_id, person_id, path, time.perf_counter() - started


def first_in_count(path: Path) -> str:
    """A patient inside the ``count`` population: removing one outside it would not be a differencing pair."""
    import duckdb

    where = " AND ".join(f"{column} {op} ?" for column, op, _ in QUERIES["count"]["where"])
    values = [value for _, _, value in QUERIES["count"]["where"]]
    return duckdb.execute(f"SELECT min(patient) FROM read_parquet(?) WHERE {where}", [str(path), *values]).fetchone()[0]


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--glm-repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="build the version into this folder once and reuse it")
    parser.add_argument("--queries", default="count,crosstab,count_pair,glm,glm_all",
                        help="comma-separated queries to run (default: all; count,crosstab,count_pair takes ~2 min "
                             "at 10 M rows on a quiet machine, the GLMs most of the rest)")
    parser.add_argument("--merge", action="store_true",
                        help="keep the other queries' figures already in bench/results/space.json (same --rows)")
    parser.add_argument("--child-glm-all", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_glm_all:
        return child_glm_all(args.child_glm_all, args.glm_repeat)
    with tempfile.TemporaryDirectory(prefix="yizhi-bench-space-") as tmp:
        directory = args.keep or Path(tmp)
        directory.mkdir(parents=True, exist_ok=True)
        grant_id, person_id, path, build_seconds = prepare(directory, args.rows)
        QUERIES["count_pair"]["where"][-1][2] = first_in_count(path)
        chosen = [q.strip() for q in args.queries.split(",") if q.strip()]
        unknown = sorted(set(chosen) - set(QUERIES))
        if unknown:
            raise SystemExit(f"--queries: unknown {', '.join(unknown)}; known: {', '.join(QUERIES)}")
        time_stages()
        results, loads = {}, {"start": load_average()}
        started, cpu = time.perf_counter(), time.process_time()
        for name in (q for q in ("count", "crosstab", "count_pair", "glm") if q in chosen):
            repeat = args.glm_repeat if name == "glm" else args.repeat
            results[name] = measure(grant_id, person_id, path, name, repeat, peer=name != "count_pair")
            _print(name, results[name])
        if "glm_all" in chosen:
            results["glm_all"] = glm_all_in_child(directory, args.glm_repeat)
            _print("glm_all", results["glm_all"])
        loads["end"] = load_average()
        run_seconds = {"wall": time.perf_counter() - started, "cpu_this_process": time.process_time() - cpu}
    report = {
        "rows": args.rows, "repeat": args.repeat, "glm_repeat": args.glm_repeat, "build_seconds": build_seconds,
        "results": results, "load_average": loads, "run_seconds": run_seconds,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "versions": {p: version(p) for p in ("duckdb", "pandas", "pyarrow", "statsmodels")},
        "settings": {"YIZHI_SPACE_QUERY_THREADS": os.environ.get("YIZHI_SPACE_QUERY_THREADS", "2")},
    }
    RESULTS.mkdir(exist_ok=True)
    earlier = RESULTS / "space.json"
    if args.merge and earlier.exists() and json.loads(earlier.read_text()).get("rows") == args.rows:
        kept = json.loads(earlier.read_text())
        report["results"] = {**{k: v for k, v in kept["results"].items() if k not in results}, **results}
        report["merged_from_earlier_run"] = {"load_average": kept.get("load_average"), "repeat": kept.get("repeat"),
                                             "queries": sorted(set(kept["results"]) - set(results))}
    (RESULTS / "space.json").write_text(json.dumps(report, indent=1) + "\n")
    (RESULTS / "space.md").write_text(markdown(report))


def _print(name: str, r: dict) -> None:
    line = f"{name:10s} tier A p50 {r['tier_a']['p50']:.3f}s p95 {r['tier_a']['p95']:.3f}s cpu p50 {r['tier_a_cpu']['p50']:.3f}s"
    if "pandas" in r:
        line += (f" | pandas p50 {r['pandas']['p50']:.3f}s p95 {r['pandas']['p95']:.3f}s cpu p50 "
                 f"{r['pandas_cpu']['p50']:.3f}s | pandas/tier A {r['ratio_p50']:.2f}x (cpu {r['ratio_cpu_p50']:.2f}x)")
    if "peak_rss_mb" in r:
        line += f" | peak RSS {r['peak_rss_mb']} MB"
    print(line, flush=True)


STAGE_ORDER = ["plan", "rules", "operation (all)", "op: DuckDB GROUP BY", "op: suppression", "population size",
               "differencing audit", "log + ledger"]


def markdown(report: dict) -> str:
    lines = [f"# Tier A query latency, {report['rows']:,} rows (generated), same Parquet file", "",
             "| query | Tier A p50 / p95 (wall) | Tier A CPU p50 | pandas p50 / p95 (wall) | pandas CPU p50 | "
             "pandas ÷ Tier A (wall p50 / CPU p50) | target |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    targets = {"count": "p95 ≤ 1 s, faster than pandas", "crosstab": "p95 ≤ 1 s, faster than pandas"}
    for name, r in report["results"].items():
        peer = (f"{r['pandas']['p50']:.3f} s / {r['pandas']['p95']:.3f} s", f"{r['pandas_cpu']['p50']:.3f} s",
                f"{r['ratio_p50']:.2f}× / {r['ratio_cpu_p50']:.2f}×") if "pandas" in r else ("—", "—", "—")
        note = targets.get(name, "refused (differencing)" if name == "count_pair" else
                           (f"peak RSS {r['peak_rss_mb']} MB" if "peak_rss_mb" in r else "—"))
        lines.append(f"| {name} | {r['tier_a']['p50']:.3f} s / {r['tier_a']['p95']:.3f} s | "
                     f"{r['tier_a_cpu']['p50']:.3f} s | {peer[0]} | {peer[1]} | {peer[2]} | {note} |")
    lines += ["", "Where the Tier A time goes (mean per query, wall / CPU; 'op:' rows are inside the operation):", "",
              "| query | " + " | ".join(STAGE_ORDER) + " |", "| --- |" + " --- |" * len(STAGE_ORDER)]
    for name, r in report["results"].items():
        stages = r.get("stages") or {}
        cells = [f"{stages[s]['wall'] * 1000:.0f} / {stages[s]['cpu'] * 1000:.0f} ms" if s in stages else "—"
                 for s in STAGE_ORDER]
        if stages:
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
    if "merged_from_earlier_run" in report:
        merged = report["merged_from_earlier_run"]
        lines += ["", f"Figures of {', '.join(merged['queries'])} kept from an earlier run ({merged['repeat']} runs each; "
                  f"load average {merged['load_average']})."]
    lines += ["", f"Whole run {report['run_seconds']['wall']:.0f} s wall, {report['run_seconds']['cpu_this_process']:.0f} s "
              f"CPU in this process (the glm_all child apart)."]
    lines += ["", f"Tier A = the whole released path (grant, plan, DuckDB, differencing audit, suppression, log, ledger); "
              f"pandas = read the needed columns from the same Parquet + compute. CPU = process time (this process "
              f"and DuckDB's threads). {report['machine']['cpus']} CPUs, DuckDB threads "
              f"{report['settings']['YIZHI_SPACE_QUERY_THREADS']}; load average at start {report['load_average']['start']}, "
              f"at end {report['load_average']['end']}; build of the version {report['build_seconds']:.0f} s "
              f"(0: reused). Queries: {json.dumps(QUERIES)}"]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
