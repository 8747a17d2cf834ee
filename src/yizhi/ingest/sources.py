"""What each uploaded file is, and the work items it becomes.

Kinds: ``table`` (.csv/.tsv/.parquet), ``notes`` (.jsonl), ``fhir-ndjson`` (.ndjson), ``fhir-json``
(.json: a Bundle or a single resource), ``view`` (.json holding a ViewDefinition), ``dicom`` (a
DICOM file, a folder of them, or a .zip). Line files are cut into chunks so one large file is
shared by several processes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import orjson

from yizhi.errors import N_, ValidationFailed
from yizhi.ingest.lines import plan_chunks

VIEW_MAX_BYTES = 1 << 20
TABLE_SUFFIXES = {".csv", ".tsv", ".parquet", ".pq"}
DICOM_SUFFIXES = {".dcm", ".dicom", ".ima", ""}


@dataclass(frozen=True)
class Classified:
    kind: str
    name: str
    path: Path


def classify(name: str, path: Path) -> Classified:
    if not path.exists():
        raise ValidationFailed(N_("%(file)s: the uploaded file is missing"), params={"file": name}, field="file")
    if path.is_dir():
        return Classified("dicom", name, path)
    suffix = Path(name).suffix.lower()
    if suffix in TABLE_SUFFIXES:
        return Classified("table", name, path)
    if suffix == ".jsonl":
        return Classified("notes", name, path)
    if suffix == ".ndjson":
        return Classified("fhir-ndjson", name, path)
    if suffix == ".json":
        return Classified("view" if _is_view_definition(path) else "fhir-json", name, path)
    if suffix == ".zip" or suffix in DICOM_SUFFIXES or _has_dicom_preamble(path):
        return Classified("dicom", name, path)
    raise ValidationFailed(
        N_("%(file)s: unknown kind of file; upload FHIR (.json, .ndjson), DICOM (.dcm, folder, .zip), "
           "tables (.csv, .parquet) or notes (.jsonl)"), params={"file": name}, field="file")


def _has_dicom_preamble(path: Path) -> bool:
    with path.open("rb") as handle:
        head = handle.read(132)
    return head[128:132] == b"DICM"


def _is_view_definition(path: Path) -> bool:
    """A small .json whose top-level resourceType is ViewDefinition (views are a few KB)."""
    if path.stat().st_size > VIEW_MAX_BYTES:
        return False
    try:
        data = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError:
        return False
    return isinstance(data, dict) and data.get("resourceType") == "ViewDefinition"


def line_items(kind: str, classified: Classified, base: dict) -> list[dict]:
    return [{**base, "kind": kind, "source": classified.name, "path": str(classified.path),
             "start": chunk.start, "end": chunk.end, "first_line": chunk.first_line}
            for chunk in plan_chunks(classified.path)]
