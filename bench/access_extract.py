"""Benchmark: making an extract (granted columns, pseudonyms re-keyed per grant, watermark) against
a plain Arrow copy of the same columns in the same batches — the peer is what the extract would
cost without re-keying. Each variant runs in its own process, so its peak memory is its own.

    .venv/bin/python bench/access_extract.py [--rows 1000000] [--patients 100000] [--batch 65536]

Data: a synthetic table generated here (no real data is needed to time a copy): ``patient`` (one
of --patients pseudonyms), ``visit`` (a pseudonym per row), three numeric and one text column;
the extract grants ``patient``, ``visit``, ``hba1c`` and ``ward`` and re-keys the two pseudonyms.
Writes bench/results/access_extract.json and .md; the ratio is extract time / plain copy time.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
COLUMNS = ["patient", "visit", "hba1c", "ward"]

CHILD = r"""
import json, sys, time
from pathlib import Path
import pyarrow as pa, pyarrow.parquet as pq
from yizhi.access import rekey
source, target, mode, batch = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
columns = ["patient", "visit", "hba1c", "ward"]
start = time.perf_counter()
if mode == "extract":
    key = rekey.grant_key(b"b" * 32, 1, "bench")
    rows = rekey.write_rekeyed(source, target, columns, {"patient", "visit"}, key, {"yizhi.grant": "1"}, batch)
else:
    parquet = pq.ParquetFile(source)
    schema = parquet.schema_arrow
    schema = pa.schema([schema.field(c) for c in columns])
    rows = 0
    with pq.ParquetWriter(target, schema) as writer:
        for b in parquet.iter_batches(batch_size=batch, columns=columns):
            writer.write_batch(b)
            rows += b.num_rows
seconds = time.perf_counter() - start
# VmHWM: this process's own peak (ru_maxrss would carry the parent's peak across fork and exec)
hwm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(json.dumps({"rows": rows, "seconds": seconds, "peak_rss_mb": hwm / 1024}))
"""


def make_table(path: Path, rows: int, patients: int) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(7)
    patient_ids = np.char.add("P", rng.integers(0, patients, rows).astype(str))
    table = pa.table({
        "patient": pa.array(patient_ids), "visit": pa.array(np.char.add("V", np.arange(rows).astype(str))),
        "hba1c": rng.normal(7, 1.2, rows), "age": rng.integers(18, 95, rows), "sbp": rng.normal(130, 15, rows),
        "ward": pa.array(np.char.add("W", rng.integers(0, 40, rows).astype(str))),
    })
    pq.write_table(table, path, row_group_size=131_072)


def run(source: Path, target: Path, mode: str, batch: int) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, str(source), str(target), mode, str(batch)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=65_536)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "source.parquet"
        make_table(source, args.rows, args.patients)
        results = {}
        for mode in ("copy", "extract"):
            runs = [run(source, Path(tmp) / f"{mode}.parquet", mode, args.batch) for _ in range(args.repeat)]
            best = min(runs, key=lambda r: r["seconds"])
            results[mode] = {"seconds": round(best["seconds"], 3), "rows_per_second": round(best["rows"] / best["seconds"]),
                             "peak_rss_mb": round(max(r["peak_rss_mb"] for r in runs), 1)}
    ratio = results["extract"]["seconds"] / results["copy"]["seconds"]
    report = {"rows": args.rows, "patients": args.patients, "batch_rows": args.batch, "repeat": args.repeat,
              "results": results, "extract_over_copy": round(ratio, 2), "python": platform.python_version(),
              "pyarrow": version("pyarrow"), "machine": f"{platform.machine()}, {__import__('os').cpu_count()} cores",
              "measured_at": time.strftime("%Y-%m-%d %H:%M:%S")}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "access_extract.json").write_text(json.dumps(report, indent=1) + "\n")
    lines = [f"# Extract: {args.rows:,} rows, {args.patients:,} patients, batches of {args.batch:,} rows (best of {args.repeat})",
             "", "| variant | seconds | rows/s | peak RSS (MB) |", "| --- | ---: | ---: | ---: |"]
    for mode, label in (("copy", "plain Arrow copy of the granted columns (peer)"),
                        ("extract", "YiZhi extract (2 pseudonym columns re-keyed, watermark)")):
        r = results[mode]
        lines.append(f"| {label} | {r['seconds']} | {r['rows_per_second']:,} | {r['peak_rss_mb']} |")
    lines += ["", f"extract / copy time: **{ratio:.2f}×** · {report['machine']}, Python {report['python']}, "
                  f"pyarrow {report['pyarrow']} · {report['measured_at']}"]
    (RESULTS / "access_extract.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
