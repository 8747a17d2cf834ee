"""Benchmark: ingest throughput and memory, against fhiry (FHIR → pandas) and `yizhi deid dicom`.

FHIR: NDJSON files of generated resources (Patient with narrative, Encounter, Condition,
Observation with notes and components, MedicationRequest — shaped like Synthea's bulk export),
``--size-mb`` in total (default 1024). YiZhi's ``build_version`` (validation, de-identification of
every modality, SQL-on-FHIR views, Parquet, quality, manifest) runs on all of it with ``--workers``
processes; its peak memory (the whole process tree, sampled from /proc) is taken on the full run
and on an eighth of it, to show memory does not grow with the input. fhiry processes one resource a
line through pandas (about 10 ms each), so it runs on the first ``--peer-mb`` of the same files and
YiZhi on that same slice too: the ratio is per core on identical input.

DICOM: every real DICOM file shipped by pydicom, pydicom-data and deid-data, copied ``--dicom-copies``
times (as distinct folders), through ``build_version`` and through ``yizhi deid dicom``'s
``deidentify_tree`` with the same options and workers.

    PYTHONPATH=src .venv/bin/python bench/ingest.py [--size-mb 1024] [--peer-mb 8] [--workers 2]

Writes bench/results/ingest.json and bench/results/ingest.md.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from importlib.metadata import version
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
KEY = b"bench-key-0123456789abcdef012345"
FIRST = ["Walter", "Maria", "Chen", "Aisha", "John", "Li", "Olga", "Pedro", "Yuki", "Fatima", "James", "Mei"]
FAMILY = ["Henderson", "Garcia", "Wang", "Okafor", "Smith", "Zhang", "Ivanova", "Silva", "Tanaka", "Haddad"]
LABS = [("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", "%", 4.0, 11.0),
        ("2345-7", "Glucose [Mass/volume] in Serum or Plasma", "mg/dL", 60, 300),
        ("2160-0", "Creatinine [Mass/volume] in Serum or Plasma", "mg/dL", 0.5, 3.0),
        ("718-7", "Hemoglobin [Mass/volume] in Blood", "g/dL", 8, 18),
        ("2093-3", "Cholesterol [Mass/volume] in Serum or Plasma", "mg/dL", 120, 300)]
CONDITIONS = [("44054006", "Diabetes mellitus type 2"), ("38341003", "Hypertensive disorder"),
              ("195967001", "Asthma"), ("22298006", "Myocardial infarction"), ("230690007", "Cerebrovascular accident")]
DRUGS = [("860975", "metformin 500 MG Oral Tablet"), ("314076", "lisinopril 10 MG Oral Tablet"),
         ("197361", "amlodipine 5 MG Oral Tablet"), ("617312", "atorvastatin 40 MG Oral Tablet")]


# ---- generated FHIR ---------------------------------------------------------------------------------
def _patient_bundle(rng: random.Random, n: int) -> dict[str, list[dict]]:
    """The resources of one patient, by type (about 25 KB of NDJSON)."""
    pid = f"{100000 + n}"
    given, family = rng.choice(FIRST), rng.choice(FAMILY)
    phone = f"(617) 555-{rng.randint(0, 9999):04d}"
    year = rng.randint(1930, 2010)
    out: dict[str, list[dict]] = {"Patient": [{
        "resourceType": "Patient", "id": pid,
        "text": {"status": "generated", "div": f'<div xmlns="http://www.w3.org/1999/xhtml">{given} {family}, born {year}</div>'},
        "identifier": [{"system": "urn:oid:2.16.840.1.113883.4.3.25", "value": f"MRN{pid}"}],
        "name": [{"use": "official", "family": family, "given": [given]}],
        "telecom": [{"system": "phone", "value": phone, "use": "home"}],
        "gender": rng.choice(["male", "female"]), "birthDate": f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        "address": [{"line": [f"{rng.randint(1, 999)} Main St"], "city": "Boston", "state": "MA", "postalCode": "02118",
                     "country": "US"}],
        "maritalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-MaritalStatus", "code": "M"}]}}],
        "Encounter": [], "Condition": [], "Observation": [], "MedicationRequest": []}
    for e in range(rng.randint(3, 8)):
        day = f"20{rng.randint(15, 23)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        eid = f"{pid}-e{e}"
        subject, encounter = {"reference": f"Patient/{pid}"}, {"reference": f"Encounter/{eid}"}
        out["Encounter"].append({
            "resourceType": "Encounter", "id": eid, "status": "finished",
            "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
            "type": [{"coding": [{"system": "http://snomed.info/sct", "code": "185349003", "display": "Encounter for check up"}]}],
            "subject": {**subject, "display": f"{given} {family}"},
            "period": {"start": f"{day}T09:00:00+08:00", "end": f"{day}T09:45:00+08:00"}})
        code, display = rng.choice(CONDITIONS)
        out["Condition"].append({
            "resourceType": "Condition", "id": f"{eid}-c", "subject": subject, "encounter": encounter,
            "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]},
            "code": {"coding": [{"system": "http://snomed.info/sct", "code": code, "display": display}], "text": display},
            "onsetDateTime": f"{day}T09:10:00+08:00", "recordedDate": f"{day}T09:20:00+08:00"})
        for lab, (code, display, unit, low, high) in enumerate(LABS):
            observation = {
                "resourceType": "Observation", "id": f"{eid}-o{lab}", "status": "final",
                "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "laboratory"}]}],
                "code": {"coding": [{"system": "http://loinc.org", "code": code, "display": display}], "text": display},
                "subject": subject, "encounter": encounter, "effectiveDateTime": f"{day}T09:30:00+08:00",
                "issued": f"{day}T11:00:00.000+08:00",
                "valueQuantity": {"value": round(rng.uniform(low, high), 1), "unit": unit, "system": "http://unitsofmeasure.org", "code": unit}}
            if rng.random() < 0.15:
                observation["note"] = [{"text": f"Result discussed with {given} {family} by phone {phone} on {day}."}]
            out["Observation"].append(observation)
        out["Observation"].append({
            "resourceType": "Observation", "id": f"{eid}-bp", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "85354-9", "display": "Blood pressure panel"}]},
            "subject": subject, "encounter": encounter, "effectiveDateTime": f"{day}T09:05:00+08:00",
            "component": [{"code": {"coding": [{"system": "http://loinc.org", "code": "8480-6", "display": "Systolic blood pressure"}]},
                           "valueQuantity": {"value": rng.randint(100, 170), "unit": "mm[Hg]"}},
                          {"code": {"coding": [{"system": "http://loinc.org", "code": "8462-4", "display": "Diastolic blood pressure"}]},
                           "valueQuantity": {"value": rng.randint(60, 100), "unit": "mm[Hg]"}}]})
        if rng.random() < 0.5:
            code, display = rng.choice(DRUGS)
            out["MedicationRequest"].append({
                "resourceType": "MedicationRequest", "id": f"{eid}-m", "status": "active", "intent": "order",
                "medicationCodeableConcept": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": code, "display": display}]},
                "subject": subject, "encounter": encounter, "authoredOn": f"{day}T09:40:00+08:00",
                "dosageInstruction": [{"text": "Take one tablet by mouth daily"}]})
    return out


def generate(folder: Path, size_mb: float, seed: int = 7) -> Path:
    """NDJSON files, one per type (as a bulk export), of about ``size_mb`` MB in total."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    handles = {kind: (folder / f"{kind}.ndjson").open("w", encoding="utf-8")
               for kind in ("Patient", "Encounter", "Condition", "Observation", "MedicationRequest")}
    written, target, n = 0, size_mb * 1e6, 0
    try:
        while written < target:
            for kind, resources in _patient_bundle(rng, n).items():
                for resource in resources:
                    line = json.dumps(resource, separators=(",", ":")) + "\n"
                    handles[kind].write(line)
                    written += len(line)
            n += 1
    finally:
        for handle in handles.values():
            handle.close()
    return folder


def slice_of(folder: Path, target: Path, size_mb: float) -> Path:
    """The first lines of each file of ``folder``, ``size_mb`` MB in total, in the same proportions."""
    target.mkdir(parents=True, exist_ok=True)
    files = sorted(folder.glob("*.ndjson"))
    total = sum(f.stat().st_size for f in files)
    for f in files:
        budget = size_mb * 1e6 * f.stat().st_size / total
        with f.open("rb") as source, (target / f.name).open("wb") as out:
            taken = 0
            for line in source:
                if taken >= budget:
                    break
                out.write(line)
                taken += len(line)
    return target


def megabytes(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


# ---- measuring a run in a child process (its whole process tree's memory, sampled) -------------
_TICKS = os.sysconf("SC_CLK_TCK")


def _tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    parent = int(handle.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(parent, []).append(int(entry))
            except (OSError, IndexError, ValueError):
                continue
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


def _sample(pids: list[int], cpu: dict[int, float]) -> int:
    """RSS of ``pids`` now (bytes); their CPU seconds so far recorded in ``cpu``."""
    rss = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{pid}/status") as handle:
                rss += next(int(line.split()[1]) for line in handle if line.startswith("VmRSS:")) * 1024
        except (OSError, StopIteration, IndexError):
            continue
        cpu[pid] = max(cpu.get(pid, 0.0), (int(fields[11]) + int(fields[12])) / _TICKS)  # utime + stime
    return rss


def run_measured(code: str, env: dict) -> dict:
    """Run ``code`` in a fresh interpreter: wall seconds, CPU seconds of its whole process tree
    (sampled from /proc every 0.2 s, pool workers included: a per-core figure that a busy machine
    does not distort) and the peak RSS of the tree."""
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    peak = 0
    cpu: dict[int, float] = {}

    def sample() -> None:
        nonlocal peak
        while process.poll() is None:
            peak = max(peak, _sample(_tree(process.pid), cpu))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = process.communicate()
    sampler.join()
    seconds = time.perf_counter() - started
    if process.returncode:
        raise RuntimeError(stderr[-3000:])
    return {"seconds": round(seconds, 2), "cpu_seconds": round(sum(cpu.values()), 2), "peak_rss_mb": round(peak / 1e6, 1),
            "output": stdout.strip().splitlines()[-1:]}


YIZHI_BUILD = """
import json, sys, pathlib
from yizhi.ingest import Source, build_version, load_profile
folder, out = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else {folder!r}), pathlib.Path({out!r})
out.mkdir(parents=True, exist_ok=True)
sources = [Source(p.name, p) for p in sorted(folder.iterdir())]
result = build_version(sources, out, profile=load_profile(None), key={key!r})
print(json.dumps({{"rows": sum(t["rows"] for t in result.tables.values()), "problems": len(result.problems),
                  "quarantined": len(result.quarantine)}}))
"""

FHIRY_RUN = """
import logging, json
logging.disable(logging.WARNING)
from fhiry.fhirndjson import Fhirndjson
f = Fhirndjson()
f.folder = {folder!r}
f.process_source()
print(json.dumps({{"rows": int(f.df.shape[0]), "columns": int(f.df.shape[1])}}))
"""

DEID_DICOM_RUN = """
import json, pathlib
from yizhi.deid.dicom.batch import deidentify_tree
from yizhi.deid.dicom.options import parse_options
s = deidentify_tree(pathlib.Path({folder!r}), pathlib.Path({out!r}), {key!r},
                    parse_options(["retain-long-modified-dates", "clean-descriptors"]), workers={workers})
print(json.dumps({{"ok": s.ok, "quarantined": s.quarantined, "error": s.error}}))
"""


def _env(workers: int) -> dict:
    env = dict(os.environ)
    env["YIZHI_WORKERS"] = str(workers)
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1] / "src") + os.pathsep + env.get("PYTHONPATH", "")
    env["YIZHI_DATA_DIR"] = tempfile.mkdtemp(prefix="yz-bench-data-")
    env["TQDM_DISABLE"] = "1"
    return env


def yizhi_run(folder: Path, work: Path, workers: int) -> dict:
    out = work / f"out-{folder.name}-{time.time_ns()}"
    result = run_measured(YIZHI_BUILD.format(folder=str(folder), out=str(out), key=KEY), _env(workers))
    shutil.rmtree(out, ignore_errors=True)
    return result


def dicom_corpus(target: Path, copies: int) -> Path:
    import pydicom

    roots = [Path(pydicom.__file__).parent / "data" / "test_files"]
    for package in ("data_store", "deid_data"):
        try:
            roots.append(Path(__import__(package).__file__).parent / "data")
        except ImportError:
            continue
    for copy in range(copies):
        for index, root in enumerate(roots):
            for path in sorted(root.rglob("*.dcm")):
                destination = target / f"copy{copy}" / f"root{index}" / path.relative_to(root)
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, destination)
    return target


# ---- the benchmark ------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=float, default=1024, help="FHIR NDJSON generated for YiZhi's full run.")
    parser.add_argument("--peer-mb", type=float, default=8, help="The slice both YiZhi and fhiry run on.")
    parser.add_argument("--workers", type=int, default=2, help="YiZhi's worker processes.")
    parser.add_argument("--eighth-mb", type=float, default=None,
                        help="Size of the smaller run that shows memory stays flat (default: an eighth; 0 skips it).")
    parser.add_argument("--dicom-copies", type=int, default=4, help="Copies of the real DICOM corpus.")
    parser.add_argument("--work-dir", type=Path, default=None, help="Scratch folder (default: a temporary one).")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="yz-bench-ingest-", dir=args.work_dir))
    try:
        results = _bench(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    _write(results)


def _bench(args, work: Path) -> dict:
    logging.disable(logging.WARNING)
    load_at_start = list(os.getloadavg())
    t0 = time.perf_counter()
    full = generate(work / "fhir-full", args.size_mb)
    generated_s = time.perf_counter() - t0
    full_mb = megabytes(full)
    peer = slice_of(full, work / "fhir-slice", args.peer_mb)
    eighth_target = full_mb / 8 if args.eighth_mb is None else args.eighth_mb
    eighth = slice_of(full, work / "fhir-eighth", eighth_target) if eighth_target else None
    peer_mb, eighth_mb = megabytes(peer), megabytes(eighth) if eighth else 0.0
    print(f"generated {full_mb:.0f} MB of FHIR NDJSON in {generated_s:.0f} s", flush=True)

    fhiry = run_measured(FHIRY_RUN.format(folder=str(peer)), _env(1))
    print(f"fhiry on {peer_mb:.1f} MB: {fhiry['seconds']} s", flush=True)
    ours_slice = yizhi_run(peer, work, args.workers)
    print(f"yizhi on {peer_mb:.1f} MB: {ours_slice['seconds']} s", flush=True)
    ours_eighth = yizhi_run(eighth, work, args.workers) if eighth else None
    if ours_eighth:
        print(f"yizhi on {eighth_mb:.0f} MB: {ours_eighth['seconds']} s, peak {ours_eighth['peak_rss_mb']} MB", flush=True)
    ours_full = yizhi_run(full, work, args.workers)
    print(f"yizhi on {full_mb:.0f} MB: {ours_full['seconds']} s, peak {ours_full['peak_rss_mb']} MB", flush=True)

    dicom = dicom_corpus(work / "dicom", args.dicom_copies)
    dicom_mb, dicom_files = megabytes(dicom), sum(1 for p in dicom.rglob("*") if p.is_file())
    deid = run_measured(DEID_DICOM_RUN.format(folder=str(dicom), out=str(work / "deid-out"), key=KEY,
                                              workers=args.workers), _env(args.workers))
    ingest_dicom = run_measured(
        YIZHI_BUILD.format(folder=str(work / "dicom-wrap"), out=str(work / "ingest-dicom-out"), key=KEY),
        _env(args.workers)) if _wrap(dicom, work / "dicom-wrap") else None

    def per_cpu(amount, run):  # per CPU-second of the whole process tree: per core, whatever the load
        return round(amount / run["cpu_seconds"], 4)

    fhir = {
        "full": {"mb": round(full_mb, 1), **ours_full, "mb_per_s_wall": round(full_mb / ours_full["seconds"], 3),
                 "mb_per_cpu_s": per_cpu(full_mb, ours_full)},
        "eighth": {"mb": round(eighth_mb, 1), **ours_eighth, "mb_per_cpu_s": per_cpu(eighth_mb, ours_eighth)}
        if ours_eighth else None,
        "slice": {"mb": round(peer_mb, 1), "yizhi": {**ours_slice, "mb_per_cpu_s": per_cpu(peer_mb, ours_slice)},
                  "fhiry": {**fhiry, "mb_per_cpu_s": per_cpu(peer_mb, fhiry)}},
    }
    fhiry_rate = fhir["slice"]["fhiry"]["mb_per_cpu_s"]
    fhir["ratio_per_core_vs_fhiry"] = round(fhir["slice"]["yizhi"]["mb_per_cpu_s"] / fhiry_rate, 2)
    fhir["ratio_full_run_per_core_vs_fhiry"] = round(fhir["full"]["mb_per_cpu_s"] / fhiry_rate, 2)
    dicom_result = {"files": dicom_files, "mb": round(dicom_mb, 1),
                    "deid_dicom": {**deid, "files_per_cpu_s": per_cpu(dicom_files, deid),
                                   "files_per_s_wall": round(dicom_files / deid["seconds"], 1)},
                    "ingest": {**ingest_dicom, "files_per_cpu_s": per_cpu(dicom_files, ingest_dicom),
                               "files_per_s_wall": round(dicom_files / ingest_dicom["seconds"], 1)}}
    dicom_result["ratio_vs_deid_dicom"] = round(
        dicom_result["ingest"]["files_per_cpu_s"] / dicom_result["deid_dicom"]["files_per_cpu_s"], 2)
    dicom_result["ratio_vs_deid_dicom_wall"] = round(
        dicom_result["ingest"]["files_per_s_wall"] / dicom_result["deid_dicom"]["files_per_s_wall"], 2)
    return {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "workers": args.workers,
                    "load_average_at_start": load_at_start, "load_average_at_end": list(os.getloadavg()),
                    "note": "shared machine: other engineers' jobs ran at the same time"},
        "run": {"size_mb": args.size_mb, "peer_mb": args.peer_mb, "dicom_copies": args.dicom_copies},
        "versions": {"fhiry": version("fhiry"), "fhir.resources": version("fhir.resources"),
                     "fhirpathpy": version("fhirpathpy"), "pydicom": version("pydicom")},
        "fhir": fhir, "dicom": dicom_result,
        "targets": {"fhir_per_core_vs_fhiry": ">= 3", "dicom_vs_deid_dicom": ">= 0.8"},
    }


def _wrap(dicom: Path, wrap: Path) -> bool:
    """build_version takes sources: the corpus folder as one source (a folder of DICOM)."""
    wrap.mkdir(parents=True, exist_ok=True)
    (wrap / "dicom").symlink_to(dicom, target_is_directory=True)
    return True


def _write(results: dict) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "ingest.json").write_text(json.dumps(results, indent=1) + "\n")
    fhir, dicom, machine = results["fhir"], results["dicom"], results["machine"]

    def row(label, run, mb):
        return (f"| {label} | {mb} | {run['seconds']} | {run['cpu_seconds']} | {run['mb_per_cpu_s']} | "
                f"{run['peak_rss_mb']} |")

    lines = [
        "# Ingest benchmark", "",
        f"Machine: {machine['cpus']} cores, Python {machine['python']}, {machine['workers']} YiZhi worker processes; "
        f"{machine['note']} (load average {machine['load_average_at_start'][0]:.1f} at the start, "
        f"{machine['load_average_at_end'][0]:.1f} at the end). Throughput per core = MB per CPU-second of the "
        "whole process tree, so a busy machine slows the wall clock but not this figure.", "",
        f"Run: `bench/ingest.py --size-mb {results['run']['size_mb']:g} --peer-mb {results['run']['peer_mb']:g} "
        f"--dicom-copies {results['run']['dicom_copies']}`.", "",
        "## FHIR NDJSON (generated bulk export: Patient, Encounter, Condition, Observation, MedicationRequest)", "",
        "| run | MB | wall s | CPU s | MB per CPU-s | peak RSS MB (process tree) |",
        "| --- | --- | --- | --- | --- | --- |",
        row(f"fhiry {results['versions']['fhiry']} (1 process), slice", fhir["slice"]["fhiry"], fhir["slice"]["mb"]),
        row("YiZhi build_version, same slice", fhir["slice"]["yizhi"], fhir["slice"]["mb"]),
        *([row("YiZhi build_version, a smaller part of the full set", fhir["eighth"], fhir["eighth"]["mb"])]
          if fhir["eighth"] else []),
        row("YiZhi build_version, full set", fhir["full"], fhir["full"]["mb"]), "",
        f"Per core, YiZhi vs fhiry on the same slice: **{fhir['ratio_per_core_vs_fhiry']}×** (YiZhi's full run "
        f"vs fhiry's slice: **{fhir['ratio_full_run_per_core_vs_fhiry']}×**; target ≥ 3×). YiZhi does more per "
        "resource (validation, de-identification of every field, views, Parquet, quality, manifest); fhiry only "
        "flattens. Peak memory of the full run vs an eighth of it shows whether memory grows with the input.", "",
        "## DICOM (every real file of pydicom, pydicom-data, deid-data, copied)", "",
        "| run | files | wall s | CPU s | files per CPU-s | peak RSS MB |", "| --- | --- | --- | --- | --- | --- |",
        f"| `yizhi deid dicom` (deidentify_tree) | {dicom['files']} | {dicom['deid_dicom']['seconds']} | "
        f"{dicom['deid_dicom']['cpu_seconds']} | {dicom['deid_dicom']['files_per_cpu_s']} | {dicom['deid_dicom']['peak_rss_mb']} |",
        f"| YiZhi build_version | {dicom['files']} | {dicom['ingest']['seconds']} | {dicom['ingest']['cpu_seconds']} | "
        f"{dicom['ingest']['files_per_cpu_s']} | {dicom['ingest']['peak_rss_mb']} |", "",
        f"Ingest vs `yizhi deid dicom`, per CPU-second: **{dicom['ratio_vs_deid_dicom']}×** (wall clock "
        f"{dicom['ratio_vs_deid_dicom_wall']}×; target ≥ 0.8×).", "",
    ]
    (RESULTS / "ingest.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
