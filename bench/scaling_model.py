"""The scaling model behind docs/scaling.md: measured per-partition and per-file costs
(bench/results/cluster.json) turned into time and cost on 10, 50 and 200 nodes.

    .venv/bin/python bench/scaling_model.py [--node-vcpus 16] [--yuan-per-node-hour 4.0]

Prints a Markdown table (pasted into docs/scaling.md). Every assumption not measured here is a flag.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results" / "cluster.json"
REPORT = RESULTS.with_suffix(".md")
NODES = (10, 50, 200)


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def notes_and_ledger_from_report(text: str) -> dict:
    """The notes and ledger sections of the last full run, read back from cluster.md.

    bench/cluster.py rewrites cluster.json on every run but cluster.md only after a full one, so a
    later partial run (``--skip notes ledger``) leaves the full run's figures in the report alone.
    Only the columns the model uses are read; the report's header names the run's date and load.
    """
    heading = re.search(r"Text de-identification of ([\d.]+) MB of notes \(([\d,]+) records", text)
    overhead = re.search(r"([\d.]+) ms amortised over 1,000 in flight.*?\*\*([\d.]+) ms overhead per partition",
                         text, flags=re.S)
    if not heading or not overhead:
        raise SystemExit(f"{REPORT} has no notes section: run bench/cluster.py in full first")
    section = text[heading.end():].split("## 4.")
    runs = []
    for line in section[0].splitlines():
        cells = _cells(line)
        if line.startswith("| ") and len(cells) >= 8 and cells[1].replace(".", "").isdigit():
            # run | seconds | MB/s | records/s | CPU s | MB per CPU-s | [CPU s of each worker |] peak MB | load
            runs.append({"run": cells[0], "cpu_seconds": float(cells[4]),
                         "peak_mb_per_worker": [float(v) for v in cells[-2].split(",")]})
    ledger = []
    for line in section[1].splitlines() if len(section) > 1 else []:
        cells = _cells(line)
        if line.startswith("| ") and len(cells) == 8 and cells[4].replace(".", "").isdigit():
            ledger.append({"database": cells[0], "writers": cells[1], "appends_per_s": float(cells[4])})
    return {"notes": {"megabytes": float(heading.group(1)), "records": int(heading.group(2).replace(",", "")),
                      "runs": runs, "ray_overhead": {"task_amortised_ms": float(overhead.group(1)),
                                                     "ray_data_overhead_per_partition_ms": float(overhead.group(2))}},
            "ledger": ledger}


def load_results() -> dict:
    result = json.loads(RESULTS.read_text())
    if "notes" not in result or "ledger" not in result:
        result.update(notes_and_ledger_from_report(REPORT.read_text(encoding="utf-8")))
    return result


def measured(result: dict, output_ratio: float) -> dict:
    notes, dicom = result["notes"], result["dicom"]
    one = next(run for run in notes["runs"] if run["run"] == "local engine, 1 process")
    one_dicom = dicom["runs"]["one process, 1 worker"]
    return {
        "note_bytes": notes["megabytes"] * 1e6 / notes["records"],
        "note_cpu_s": one["cpu_seconds"] / notes["records"],
        "notes_output_ratio": output_ratio,
        "partition_overhead_s": max(0.0, notes["ray_overhead"]["ray_data_overhead_per_partition_ms"] / 1000),
        "task_overhead_s": notes["ray_overhead"]["task_amortised_ms"] / 1000,
        "worker_peak_mb": max(max(run["peak_mb_per_worker"]) for run in notes["runs"]),
        "dicom_file_bytes": dicom["megabytes"] * 1e6 / dicom["files"],
        "dicom_file_cpu_s": min(run["main_cpu_seconds"] for run in one_dicom[1:]) / dicom["files"],
        "ledger_appends_per_s": {row["database"]: max(r["appends_per_s"] for r in result["ledger"]
                                                      if r["database"] == row["database"]) for row in result["ledger"]},
    }


def notes_time(m: dict, a: argparse.Namespace, nodes: int, storage: str) -> dict:
    workers = nodes * a.node_vcpus
    count = a.notes
    data_in = count * m["note_bytes"]
    data_out = data_in * m["notes_output_ratio"]
    partitions = data_in / (a.partition_mb * 1e6)
    compute = (count * m["note_cpu_s"] + partitions * m["partition_overhead_s"]) / workers
    bandwidth = a.s3_gb_s_total if storage == "S3" else a.nfs_gb_s
    bandwidth = min(bandwidth, nodes * a.node_gb_s)
    transfer = (data_in + data_out) / (bandwidth * 1e9)
    fixed = a.cluster_start_s + a.worker_warmup_s + partitions * a.plan_seek_s  # planning: one seek a cut
    seconds = max(compute, transfer) + fixed
    return {"seconds": seconds, "compute": compute, "transfer": transfer, "fixed": fixed,
            "bound": "CPU" if compute >= transfer else f"{storage} bandwidth", "partitions": partitions}


def dicom_time(m: dict, a: argparse.Namespace, nodes: int, storage: str) -> dict:
    workers = nodes * a.node_vcpus
    count = a.dicom
    data = count * m["dicom_file_bytes"] * 2  # read and write
    # per file: CPU, plus request latency (GET + PUT, or open/create/rename on NFS) spread over
    # io_threads concurrent files per worker
    latency = (2 * a.s3_latency_s if storage == "S3" else 3 * a.nfs_op_latency_s) / a.io_threads
    compute = count * (m["dicom_file_cpu_s"] + latency) / workers + count / a.files_per_task * m["task_overhead_s"] / workers
    bandwidth = min(a.s3_gb_s_total if storage == "S3" else a.nfs_gb_s, nodes * a.node_gb_s)
    transfer = data / (bandwidth * 1e9)
    requests = count * (2 if storage == "S3" else 5) / (a.s3_requests_s if storage == "S3" else a.nfs_ops_s)
    fixed = a.cluster_start_s
    parts = {"workers (CPU + request latency)": compute, f"{storage} bandwidth": transfer,
             f"{storage} request rate": requests}
    bound = max(parts, key=parts.get)
    return {"seconds": max(parts.values()) + fixed, "bound": bound, **parts}


def table(m: dict, a: argparse.Namespace) -> str:
    rows = ["| job | storage | nodes (vCPUs) | hours | node-hours | cost (yuan) | bound by |",
            "| --- | --- | ---: | ---: | ---: | ---: | --- |"]
    for job, fn, count in (("notes", notes_time, a.notes), ("DICOM files", dicom_time, a.dicom)):
        for storage in ("S3", "NFS"):
            for nodes in NODES:
                found = fn(m, a, nodes, storage)
                hours = found["seconds"] / 3600
                rows.append(f"| {count / 1e6:g} M {job} | {storage} | {nodes} ({nodes * a.node_vcpus}) | {hours:.2f} "
                            f"| {hours * nodes:.1f} | {hours * nodes * a.yuan_per_node_hour:,.0f} | {found['bound']} |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=float, default=50e6)
    parser.add_argument("--dicom", type=float, default=10e6)
    parser.add_argument("--node-vcpus", type=int, default=16)
    parser.add_argument("--node-gb-s", type=float, default=1.0, help="network per node (GB/s; 10 GbE ~ 1.1)")
    parser.add_argument("--s3-gb-s-total", type=float, default=20.0, help="object store aggregate (GB/s)")
    parser.add_argument("--s3-requests-s", type=float, default=20000.0, help="object store requests/s (all prefixes)")
    parser.add_argument("--s3-latency-s", type=float, default=0.03)
    parser.add_argument("--nfs-gb-s", type=float, default=1.2, help="one NFS server's throughput (GB/s)")
    parser.add_argument("--nfs-ops-s", type=float, default=20000.0, help="one NFS server's metadata ops/s")
    parser.add_argument("--nfs-op-latency-s", type=float, default=0.001)
    parser.add_argument("--io-threads", type=int, default=1, help="files a DICOM task has in flight at once")
    parser.add_argument("--files-per-task", type=int, default=32)
    parser.add_argument("--partition-mb", type=float, default=8.0)
    parser.add_argument("--plan-seek-s", type=float, default=0.01, help="planning: one ranged read per cut")
    parser.add_argument("--cluster-start-s", type=float, default=60.0)
    parser.add_argument("--worker-warmup-s", type=float, default=5.0, help="loading the de-identifier's models")
    parser.add_argument("--yuan-per-node-hour", type=float, default=4.0)
    parser.add_argument("--output-ratio", type=float, default=1.15, help="output bytes / input bytes (notes)")
    args = parser.parse_args()
    m = measured(load_results(), args.output_ratio)
    print("measured:", json.dumps({k: (round(v, 6) if isinstance(v, float) else v) for k, v in m.items()}))
    print(table(m, args))
    for storage in ("S3", "NFS"):
        for nodes in NODES:
            n, d = notes_time(m, args, nodes, storage), dicom_time(m, args, nodes, storage)
            print(storage, nodes, {k: round(v, 1) if isinstance(v, float) else v for k, v in n.items()},
                  {k: round(v, 1) if isinstance(v, float) else v for k, v in d.items()})


if __name__ == "__main__":
    main()
