"""Benchmark: Tier B sandbox start-up overhead, and materialising a per-job view of 10 million rows.

1. Start-up overhead: the same script run bare (this interpreter, ``python -E -s -B script.py`` as a
   subprocess) and in the sandbox (:func:`yizhi.space.sandbox.run`: root launcher staging the binds,
   bubblewrap, seccomp, rlimits, the in-sandbox supervisor), each ``--rounds`` times, interleaved.
   Two scripts: an empty one (pure start-up) and one importing pandas, scikit-learn and onnxruntime
   (what a real job pays anyway). Target: median overhead ≤ 0.5 s.
2. The per-job view of a 10-million-row version (6 columns, 4 granted; synthetic rows written here,
   not real data): our streaming pyarrow copy (:func:`yizhi.space.dataview._copy_columns`), the same
   with the model hold-out split, against DuckDB ``COPY (SELECT cols FROM read_parquet(..)) TO ..``
   and a plain file copy of the whole version table (the floor), in the same run.
3. The airlock's membership-inference estimate (:mod:`yizhi.space.mia`, run in the sandbox) on real
   data we did not write: UCI Adult (../shared/data/adult, 30,162 rows; skipped when absent), a fifth
   held back as non-members, three models trained on the rest — logistic regression (should show
   no leak), a full-depth decision tree and a full-depth random forest (memorise their rows).

    .venv/bin/python bench/space_jobs.py [--rounds N] [--rows N]

Writes bench/results/space_jobs.json and bench/results/space_jobs.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from yizhi.space import dataview, sandbox
from yizhi.space.jobs_settings import SandboxSettings

RESULTS = Path(__file__).resolve().parent / "results"
SCRIPTS = {"empty": "pass\n", "imports": "import pandas, sklearn, onnxruntime\n"}
GRANTED = ["age", "hba1c", "site", "outcome"]


def startup(rounds: int, work: Path) -> dict:
    project, data = work / "project", work / "data"
    project.mkdir()
    data.mkdir()
    for name, code in SCRIPTS.items():
        (project / f"{name}.py").write_text(code)
    settings = SandboxSettings()
    out = {}
    for name in SCRIPTS:
        bare, boxed = [], []
        for index in range(rounds):
            started = time.perf_counter()
            subprocess.run([sys.executable, "-E", "-s", "-B", str(project / f"{name}.py")], check=True)
            bare.append(time.perf_counter() - started)
            started = time.perf_counter()
            result = sandbox.run(sandbox.python_command(f"{name}.py"),
                                 sandbox.Mounts(project, data, work / f"out-{name}-{index}"), work / "logs", settings)
            boxed.append(time.perf_counter() - started)
            assert result.ok, result.stderr.read_text()
        out[name] = {"bare_median_s": round(statistics.median(bare), 4), "sandbox_median_s": round(statistics.median(boxed), 4),
                     "sandbox_p90_s": round(sorted(boxed)[int(0.9 * (len(boxed) - 1))], 4),
                     "overhead_median_s": round(statistics.median(boxed) - statistics.median(bare), 4),
                     "ratio": round(statistics.median(boxed) / statistics.median(bare), 2)}
    return out


def write_version(path: Path, rows: int) -> None:
    rng = np.random.default_rng(0)
    schema = None
    writer = None
    step = 1_000_000
    for start in range(0, rows, step):
        n = min(step, rows - start)
        batch = pa.table({
            "patient": pa.array([f"P{i:09d}" for i in range(start, start + n)]),
            "age": rng.integers(0, 100, n), "hba1c": rng.normal(6.5, 1.2, n).round(2),
            "site": pa.array(rng.choice(["A", "B", "C", "D"], n)), "outcome": rng.integers(0, 2, n),
            "visit_day": rng.integers(0, 3650, n)})
        if writer is None:
            schema = batch.schema
            writer = pq.ParquetWriter(path, schema)
        writer.write_table(batch)
    writer.close()


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return round(time.perf_counter() - started, 3)


def view(rows: int, work: Path) -> dict:
    import duckdb

    source = work / "version.parquet"
    write_version(source, rows)
    size = source.stat().st_size
    ours = timed(lambda: dataview._copy_columns(source, GRANTED, work / "view.parquet", None, 0, "t"))
    held = timed(lambda: dataview._copy_columns(source, GRANTED, work / "view2.parquet", work / "holdout.parquet", 1, "t"))
    con = duckdb.connect()
    con.execute("SET threads TO 2")
    columns = ", ".join(GRANTED)
    duck = timed(lambda: con.execute(f"COPY (SELECT {columns} FROM read_parquet('{source}')) "
                                     f"TO '{work / 'duck.parquet'}' (FORMAT parquet)"))
    copy = timed(lambda: shutil.copyfile(source, work / "copy.parquet"))
    assert pq.ParquetFile(work / "view.parquet").metadata.num_rows == rows
    return {"rows": rows, "version_bytes": size, "view_bytes": (work / "view.parquet").stat().st_size,
            "pyarrow_stream_s": ours, "pyarrow_stream_with_holdout_s": held, "duckdb_copy_s": duck,
            "file_copy_s": copy, "ratio_vs_duckdb": round(ours / duck, 2),
            "rows_per_s": int(rows / ours)}


ADULT = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "adult" / "adult.csv"
ADULT_FEATURES = ["age", "sex", "race", "marital-status", "education", "workclass", "occupation"]


def membership(work: Path) -> dict | None:
    """Attack AUC of three models trained on four fifths of UCI Adult (categories as integer codes)."""
    import pandas as pd
    from skl2onnx import to_onnx
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.tree import DecisionTreeClassifier

    from yizhi.space import mia

    if not ADULT.is_file():
        return None
    frame = pd.read_csv(ADULT, sep=";")
    for column in ADULT_FEATURES[1:]:
        frame[column] = frame[column].astype("category").cat.codes
    frame["label"] = (frame["salary-class"].str.strip() == ">50K").astype("int64")
    table = frame[ADULT_FEATURES + ["label"]].astype({c: "float32" for c in ADULT_FEATURES})
    held = np.random.default_rng(0).random(len(table)) < 0.2
    table[~held].to_parquet(work / "view.parquet")
    table[held].to_parquet(work / "holdout.parquet")
    x, y = table[~held][ADULT_FEATURES].to_numpy(np.float32), table[~held]["label"]
    out = {"rows": len(table), "held_out": int(held.sum()), "models": {}}
    for name, model in [("logistic_regression", LogisticRegression(max_iter=2000)),
                        ("decision_tree_full_depth", DecisionTreeClassifier(random_state=0)),
                        ("random_forest_full_depth", RandomForestClassifier(50, random_state=0, n_jobs=1))]:
        model.fit(x, y)
        path = work / f"{name}.onnx"
        path.write_bytes(to_onnx(model, x[:1], options={id(model): {"zipmap": False}}).SerializeToString())
        check = mia.estimate(path, work / "view.parquet", work / "holdout.parquet", ADULT_FEATURES, "label", work / name)
        out["models"][name] = {"status": check.status, **check.params,
                               "train_accuracy": round(float(model.score(x, y)), 4),
                               "holdout_accuracy": round(float(model.score(table[held][ADULT_FEATURES].to_numpy(np.float32),
                                                                          table[held]["label"])), 4)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--rows", type=int, default=10_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="yizhi-bench-space-") as tmp:
        work = Path(tmp)
        (work / "s").mkdir()
        (work / "v").mkdir()
        start = startup(args.rounds, work / "s")
        materialise = view(args.rows, work / "v")
        (work / "m").mkdir()
        attack = membership(work / "m")
    result = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "kernel": platform.release(),
                          "root": os.geteuid() == 0, "note": "shared machine (several engineers' jobs running)"},
              "rounds": args.rounds, "startup": start, "view": materialise,
              "membership_inference_adult": attack}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "space_jobs.json").write_text(json.dumps(result, indent=1) + "\n")
    lines = ["# Tier B sandbox benchmark", "", f"{args.rounds} rounds each, interleaved; {result['machine']}", "",
             "| script | bare median s | sandbox median s | sandbox p90 s | overhead s | ratio |", "|---|---|---|---|---|---|"]
    for name, row in start.items():
        lines.append(f"| {name} | {row['bare_median_s']} | {row['sandbox_median_s']} | {row['sandbox_p90_s']} | "
                     f"{row['overhead_median_s']} | {row['ratio']}x |")
    m = materialise
    lines += ["", f"Per-job view of {m['rows']:,} rows ({m['version_bytes'] / 1e6:.0f} MB Parquet, 4 of 6 columns granted):", "",
              "| method | seconds |", "|---|---|",
              f"| ours: pyarrow streaming copy | {m['pyarrow_stream_s']} |",
              f"| ours with the 1/5 model hold-out | {m['pyarrow_stream_with_holdout_s']} |",
              f"| DuckDB COPY (peer) | {m['duckdb_copy_s']} |", f"| file copy of the whole table (floor) | {m['file_copy_s']} |",
              "", f"ours / DuckDB = {m['ratio_vs_duckdb']}x; {m['rows_per_s']:,} rows/s"]
    if attack:
        lines += ["", f"Membership-inference estimate on UCI Adult ({attack['rows']:,} real rows, "
                  f"{attack['held_out']:,} held back as non-members; 2,000 of each side scored in the sandbox):", "",
                  "| model | train acc | hold-out acc | attack AUC | advantage | airlock |", "|---|---|---|---|---|---|"]
        for name, row in attack["models"].items():
            lines.append(f"| {name} | {row['train_accuracy']} | {row['holdout_accuracy']} | {row.get('auc')} | "
                         f"{row.get('advantage')} | {row['status']} |")
    (RESULTS / "space_jobs.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
