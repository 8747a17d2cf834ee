"""Benchmark: DICOM de-identification files/s, YiZhi against dicognito and Kitware's dicom-anonymizer.

Same files, same run, one process each, rounds interleaved so machine noise hits every tool alike.
The files are every real DICOM file shipped by pydicom, pydicom-data and deid-data that all tools
(and plain pydicom) read and write without error. Also reported: plain pydicom read+write (the
ceiling for any pydicom-based tool) and YiZhi's whole-folder run with 1 and 2 worker processes.

    .venv/bin/python bench/deid_dicom.py [--rounds N]

Writes bench/results/deid_dicom.json and bench/results/deid_dicom.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from importlib.metadata import version
from pathlib import Path

import pydicom

from yizhi.deid.dicom.batch import deidentify_file, deidentify_tree
from yizhi.deid.dicom.engine import Deidentifier

RESULTS = Path(__file__).resolve().parent / "results"
KEY = b"bench-key-0123456789abcdef012345"


def corpus_files() -> list[Path]:
    roots = [Path(pydicom.__file__).parent / "data" / "test_files"]
    for package in ("data_store", "deid_data"):
        try:
            module = __import__(package)
        except ImportError:
            continue
        roots.append(Path(module.__file__).parent / "data")
    return [p for root in roots for p in sorted(root.rglob("*")) if p.is_file() and "__pycache__" not in p.parts]


# ---- the tools: each takes (input path, output path) ------------------------------------------------
def pydicom_copy(source: Path, target: Path) -> None:
    pydicom.dcmread(source).save_as(target, enforce_file_format=False)


def make_yizhi():
    deidentifier = Deidentifier(KEY)

    def run(source: Path, target: Path) -> None:
        line = deidentify_file(source, target.name, target.parent, deidentifier)
        if line["status"] == "error":
            raise RuntimeError(line["reason"])

    return run


def make_dicognito():
    from dicognito.anonymizer import Anonymizer

    anonymizer = Anonymizer()

    def run(source: Path, target: Path) -> None:
        ds = pydicom.dcmread(source)
        anonymizer.anonymize(ds)
        ds.save_as(target, enforce_file_format=False)

    return run


def make_dicom_anonymizer():
    from dicomanonymizer import anonymize_dicom_file

    def run(source: Path, target: Path) -> None:
        anonymize_dicom_file(str(source), str(target))

    return run


def usable_files(files: list[Path], tools: dict, scratch: Path) -> list[Path]:
    """Files every tool handles; the others would measure error paths, not de-identification."""
    usable = []
    for index, path in enumerate(files):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for name, tool in tools.items():
                    tool(path, scratch / f"{index}-{name}.dcm")
        except Exception:
            continue
        usable.append(path)
    return usable


def time_tool(tool, files: list[Path], scratch: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) for one pass of ``tool`` over ``files``."""
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start, start_cpu = time.perf_counter(), time.process_time()
        for index, path in enumerate(files):
            tool(path, scratch / f"{index}.dcm")
        return time.perf_counter() - start, time.process_time() - start_cpu


def time_tree(files: list[Path], scratch: Path, workers: int) -> float:
    source = scratch / "tree-in"
    if not source.exists():
        source.mkdir()
        for path in files:
            shutil.copy(path, source / path.name)
    target = scratch / f"tree-out-{workers}"
    shutil.rmtree(target, ignore_errors=True)
    start = time.perf_counter()
    deidentify_tree(source, target, KEY, workers=workers)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    tools = {
        "pydicom read+write": pydicom_copy,
        "yizhi": make_yizhi(),
        "dicognito": make_dicognito(),
        "dicom-anonymizer": make_dicom_anonymizer(),
    }
    # In memory (tmpfs) when there is one: the machine is shared, and disk write-back would charge
    # whichever tool happens to run when the kernel flushes.
    memory = Path("/dev/shm")
    with tempfile.TemporaryDirectory(prefix="bench-deid-dicom-", dir=memory if memory.is_dir() else None) as tmp:
        scratch = Path(tmp)
        all_files = corpus_files()
        staged = scratch / "input"
        staged.mkdir()
        copies = []
        for index, path in enumerate(all_files):
            copy = staged / f"{index:04d}-{path.name}"
            shutil.copy(path, copy)
            copies.append(copy)
        files = usable_files(copies, tools, scratch)
        size_mb = sum(p.stat().st_size for p in files) / 1e6
        print(f"{len(files)} of {len(all_files)} corpus files usable by every tool ({size_mb:.1f} MB)", file=sys.stderr)
        seconds = {name: [] for name in tools}
        cpu_seconds = {name: [] for name in tools}
        for round_number in range(args.rounds):
            for name, tool in tools.items():
                out = scratch / f"out-{name.replace(' ', '_').replace('+', '_')}"
                wall, cpu = time_tool(tool, files, out)
                seconds[name].append(wall)
                cpu_seconds[name].append(cpu)
            print(f"round {round_number + 1}/{args.rounds} done", file=sys.stderr)
        tree = {workers: min(time_tree(files, scratch, workers) for _ in range(3)) for workers in (1, 2)}

    rows = []
    for name, runs in seconds.items():
        best, median = min(runs), statistics.median(runs)
        cpu = statistics.median(cpu_seconds[name])
        rows.append({"tool": name, "files_per_s_best": len(files) / best, "files_per_s_median": len(files) / median,
                     "files_per_cpu_s_median": len(files) / cpu, "seconds_best": best, "seconds_median": median})
    by_tool = {row["tool"]: row for row in rows}
    ours = by_tool["yizhi"]["files_per_s_median"]
    ratios = {peer: ours / by_tool[peer]["files_per_s_median"] for peer in ("dicognito", "dicom-anonymizer")}
    ours_cpu = by_tool["yizhi"]["files_per_cpu_s_median"]
    cpu_ratios = {peer: ours_cpu / by_tool[peer]["files_per_cpu_s_median"] for peer in ("dicognito", "dicom-anonymizer")}
    result = {
        "benchmark": "deid_dicom",
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "versions": {pkg: version(pkg) for pkg in ("pydicom", "dicognito", "dicom-anonymizer")},
        "files": len(files),
        "megabytes": round(size_mb, 1),
        "rounds": args.rounds,
        "single_process": rows,
        "ratio_yizhi_over_peer_median": ratios,
        "ratio_yizhi_over_peer_cpu_median": cpu_ratios,
        "load_average_at_end": os.getloadavg()[0],
        "yizhi_tree_files_per_s": {f"workers={w}": len(files) / s for w, s in tree.items()},
        "target": "yizhi >= 2x dicognito files/s",
        "target_met": ratios["dicognito"] >= 2.0,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "deid_dicom.json").write_text(json.dumps(result, indent=2) + "\n")
    table = ["| tool | files/s (median) | files/s (best) | files per CPU-second (median) | seconds (median) |",
             "| --- | ---: | ---: | ---: | ---: |"]
    for row in rows:
        table.append(f"| {row['tool']} | {row['files_per_s_median']:.1f} | {row['files_per_s_best']:.1f} "
                     f"| {row['files_per_cpu_s_median']:.1f} | {row['seconds_median']:.2f} |")
    summary = [
        "# deid_dicom benchmark",
        "",
        f"{result['date']}, {os.cpu_count()} CPUs, Python {platform.python_version()}; "
        f"{len(files)} real DICOM files ({size_mb:.1f} MB) from pydicom, pydicom-data and deid-data that "
        f"every tool handles; {args.rounds} interleaved rounds, one process per tool.",
        "",
        *table,
        "",
        f"YiZhi / dicognito = **{ratios['dicognito']:.2f}x**, YiZhi / dicom-anonymizer = "
        f"**{ratios['dicom-anonymizer']:.2f}x** (median files/s). Target >= 2x dicognito: "
        f"{'met' if result['target_met'] else 'NOT met'}. On CPU time: "
        f"{cpu_ratios['dicognito']:.2f}x dicognito, {cpu_ratios['dicom-anonymizer']:.2f}x dicom-anonymizer "
        f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs at the end of the run: a shared machine).",
        "",
        "YiZhi whole-folder run (`deidentify_tree`, report and atomic writes included): "
        + ", ".join(f"{k} {v:.1f} files/s" for k, v in result["yizhi_tree_files_per_s"].items()) + ".",
        "",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in result["versions"].items()) + ".",
    ]
    (RESULTS / "deid_dicom.md").write_text("\n".join(summary) + "\n")
    print("\n".join(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
