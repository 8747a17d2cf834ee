"""build_version: uploaded sources + profile + key → a de-identified dataset version directory.

Layout of ``out_dir`` (the export layout): ``tables/<name>.parquet`` (FHIR views, uploaded tables by
file stem, ``notes``, ``dicom_index``), ``dicom/...`` (de-identified files), ``quality.json`` and,
written last, ``manifest.json``. Work is cut into items (a chunk of a line file, a table, a DICOM
file or zip member) run through ``yizhi.engine.map_parallel``; each writes its own parts under a
scratch folder inside ``out_dir``, merged in item order with fixed row groups, so the output is
byte-identical whatever the number of processes. The scratch folder is gone before the manifest.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from yizhi.catalog.manifest import write_manifest
from yizhi.config import get_settings
from yizhi.engine import map_parallel
from yizhi.errors import N_, ValidationFailed
from yizhi.ingest import known
from yizhi.ingest import stats as version_stats
from yizhi.ingest.context import table_name
from yizhi.ingest.identity import Identity
from yizhi.ingest.parquet_io import merge_parts
from yizhi.ingest.problems import merge as merge_problems
from yizhi.ingest.profile import Profile
from yizhi.ingest.quality import table_quality
from yizhi.ingest.sources import Classified, classify, line_items
from yizhi.ingest.work import raise_fatal, run_item

SCRATCH = ".ingest-work"
Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class Source:
    name: str  # the file's name as uploaded, e.g. "labs.csv" (the profile's `tables:` keys use it)
    path: Path  # where its bytes are (a stored upload; read-only; may be a .zip for DICOM)


@dataclass
class BuildResult:
    root_hash: str
    tables: dict
    quality: dict
    quarantine: list[dict] = field(default_factory=list)
    problems: list[dict] = field(default_factory=list)
    stats: dict = field(default_factory=dict)


def build_version(sources: list[Source], out_dir: Path, *, profile: Profile, key: bytes,
                  progress: Progress | None = None) -> BuildResult:
    out_dir = Path(out_dir)
    _check_out_dir(out_dir)
    scratch = out_dir / SCRATCH
    try:
        return _build(sources, out_dir, scratch, profile, key, progress)
    except BaseException:
        _empty(out_dir)  # a failed build leaves nothing half-made behind
        raise


def _build(sources, out_dir: Path, scratch: Path, profile: Profile, key: bytes, progress) -> BuildResult:
    if not isinstance(key, bytes) or len(key) < 16:
        raise ValidationFailed(N_("the dataset key must be at least 16 bytes"), field="key")
    classified = [classify(source.name, Path(source.path)) for source in sources]
    if not classified:
        raise ValidationFailed(N_("nothing to ingest: no files were given"), field="sources")
    _check_profile_tables(profile, classified)
    items = _plan(classified, profile, key, scratch)
    _known_pass(items, profile, key, scratch)
    results = _run(items, progress)
    tables_dir = out_dir / "tables"
    tables_dir.mkdir(parents=True, exist_ok=True)
    parts, date_columns = _collect_parts(results)
    table_paths: dict[str, Path] = {}
    for name in sorted(parts):
        target = tables_dir / f"{name}.parquet"
        if merge_parts(parts[name], target):
            table_paths[name] = target
    dicom = _dicom_outputs(results, tables_dir, table_paths)
    problems, problem_counts = merge_problems([r.get("problems", {}) for r in results])
    quality_tables = {name: table_quality(path, set(date_columns.get(name, [])), scratch)
                      for name, path in sorted(table_paths.items())}
    quality = {
        "tables": quality_tables,
        "problems_by_kind": problem_counts,
        "dicom_series_by_modality": dicom["series"],
        "quarantined_files": len(dicom["quarantine"]),
    }
    (out_dir / "quality.json").write_text(json.dumps(quality, indent=1, ensure_ascii=False, sort_keys=True) + "\n",
                                          encoding="utf-8")
    stats = version_stats.compute(table_paths, quality_tables, date_columns, dicom["series"], classified, profile,
                                  scratch)
    shutil.rmtree(scratch, ignore_errors=True)  # parts, extracted members, DuckDB spill: not released
    manifest = write_manifest(out_dir)
    tables = {name: {"columns": {column: entry["type"] for column, entry in q["columns"].items()}, "rows": q["rows"]}
              for name, q in quality_tables.items()}
    if progress is not None:
        progress(1.0, "manifest")
    return BuildResult(manifest["root_hash"], tables, quality, dicom["quarantine"], problems, stats)


def _check_out_dir(out_dir: Path) -> None:
    if not out_dir.is_dir():
        raise ValidationFailed(N_("output folder %(folder)s does not exist"), params={"folder": str(out_dir)},
                               field="out_dir")
    if any(out_dir.iterdir()):
        raise ValidationFailed(N_("output folder %(folder)s is not empty"), params={"folder": str(out_dir)},
                               field="out_dir")


def _empty(out_dir: Path) -> None:
    for child in out_dir.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)


def _check_profile_tables(profile: Profile, classified: list[Classified]) -> None:
    names = {c.name for c in classified if c.kind == "table"}
    for name in profile.tables:
        if name not in names:
            raise ValidationFailed(N_("the profile maps table %(table)s but no uploaded file has that name "
                                      "(uploaded tables: %(names)s)"),
                                   params={"table": name, "names": ", ".join(sorted(names)) or "none"},
                                   field=f"tables.{name}")
    seen: dict[str, str] = {}
    for c in classified:
        if c.kind != "table":
            continue
        stem = table_name(c.name)
        if stem in seen or stem in ("notes", "dicom_index"):
            raise ValidationFailed(N_("%(file)s would become table %(table)s, which another file already gives; "
                                      "rename one of them"), params={"file": c.name, "table": stem}, field="file")
        seen[stem] = c.name


def _plan(classified: list[Classified], profile: Profile, key: bytes, scratch: Path) -> list[dict]:
    base = {"profile": json.dumps(profile.as_plain(), sort_keys=True), "key": key}
    items: list[dict] = []
    fhir_base = None
    for c in classified:
        if c.kind == "table":
            items.append({**base, "kind": "table", "source": c.name, "path": str(c.path)})
        elif c.kind == "notes":
            items += line_items("notes", c, base)
        elif c.kind in ("fhir-ndjson", "fhir-json"):
            if fhir_base is None:
                from yizhi.ingest.fhir.plan import fhir_settings
                fhir_base = {**base, **fhir_settings(classified, profile)}
            if c.kind == "fhir-ndjson":
                items += line_items("fhir-ndjson", c, fhir_base)
            else:
                items.append({**fhir_base, "kind": "fhir-json", "source": c.name, "path": str(c.path)})
        elif c.kind == "dicom":
            from yizhi.ingest.dicom import dicom_items
            items += dicom_items(c, base, profile, scratch)
    for index, item in enumerate(items):
        item["part_dir"] = str(scratch / "parts" / f"{index:06d}")
        item["index"] = index
    return items


def _known_pass(items: list[dict], profile: Profile, key: bytes, scratch: Path) -> None:
    """Collect what identifies each patient (known.py) and point every item at it."""
    wanted = [{**item, "max_line_bytes": profile.limits.max_line_bytes, "max_json_bytes": profile.limits.max_json_bytes,
               "patient_identifier_system": profile.fhir.patient_identifier_system}
              for item in items if item["kind"] in ("fhir-ndjson", "fhir-json", "table")]
    if not wanted:
        return
    # in this process: the pass only reads (a regular expression finds the Patient lines), and a
    # pool's start-up would cost more than it saves
    found = [known.collect(item) for item in wanted]
    identity = Identity(key)
    merged = known.merge(found, identity.pseudonym)
    scratch.mkdir(parents=True, exist_ok=True)
    path = scratch / "known.json"
    path.write_text(json.dumps(merged, ensure_ascii=False, sort_keys=True), encoding="utf-8")
    for item in items:
        item["known"] = str(path)


def _run(items: list[dict], progress: Progress | None) -> list[dict]:
    results: list[dict] = []
    workers = get_settings().workers if len(items) > 1 else 1
    # many small items (DICOM files) travel in chunks; few large ones (table, NDJSON chunk) one by one
    chunk = max(1, min(16, len(items) // (workers * 8))) if len(items) > 64 else 1
    for done, result in enumerate(map_parallel(run_item, items, workers=workers, chunksize=chunk), 1):
        raise_fatal(result)
        results.append(result)
        if progress is not None:
            progress(done / len(items) * 0.9, items[done - 1]["source"])
    return results


def _collect_parts(results: list[dict]) -> tuple[dict[str, list[Path]], dict[str, list[str]]]:
    parts: dict[str, list[Path]] = {}
    dates: dict[str, list[str]] = {}
    for result in results:
        for name, paths in result.get("tables", {}).items():
            parts.setdefault(name, []).extend(Path(p) for p in paths)
        for name, columns in result.get("dates", {}).items():
            known = dates.setdefault(name, [])
            known += [c for c in columns if c not in known]
    return parts, dates


def _dicom_outputs(results: list[dict], tables_dir: Path, table_paths: dict[str, Path]) -> dict:
    rows = [row for result in results for row in result.get("dicom_index", [])]
    quarantine = [q for result in results for q in result.get("quarantine", [])]
    series: dict[str, int] = {}
    if rows:
        from yizhi.ingest.dicom import write_index
        table_paths["dicom_index"] = write_index(rows, tables_dir / "dicom_index.parquet")
        seen = {(row["modality"] or "", row["series_uid"]) for row in rows}
        for modality, _ in seen:
            series[modality or "unknown"] = series.get(modality or "unknown", 0) + 1
    return {"quarantine": quarantine, "series": dict(sorted(series.items()))}
