"""One FHIR work item: a chunk of an NDJSON file, or a whole Bundle / single-resource .json.

Each resource is validated on its original form (an invalid one is listed and skipped), then
de-identified, then flattened by every view for its type — so a view, even a user's own, only
ever sees de-identified data. Rows are written to Parquet parts in batches (memory stays flat).
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import orjson

from yizhi.errors import N_, ValidationFailed
from yizhi.ingest.context import context_for
from yizhi.ingest.fhir.deid import ResourceDeidentifier
from yizhi.ingest.fhir.validate import problems_of
from yizhi.ingest.fhir.viewdef import View, ViewError, compile_view
from yizhi.ingest.lines import Chunk, read_lines
from yizhi.ingest.parquet_io import PartWriter
from yizhi.ingest.problems import ProblemLog

BATCH = 512
DATE_TYPES = {"date", "dateTime", "instant"}


@lru_cache(maxsize=4)
def _views(views_json: str) -> tuple[View, ...]:
    return tuple(compile_view(definition) for definition in json.loads(views_json))


class _Flattener:
    """Collects resources, de-identifies them in batches and writes each view's rows."""

    def __init__(self, item: dict) -> None:
        context = context_for(item)
        self.views = _views(item["views"])
        self.by_type: dict[str, list[View]] = {}
        for view in self.views:
            self.by_type.setdefault(view.resource, []).append(view)
        self.deid = ResourceDeidentifier(context.identity, context.profile, context.patient_keys)
        self.log = ProblemLog(item["source"])
        self.part_dir = Path(item["part_dir"])
        self.writers = {view.name: PartWriter(self.part_dir / f"{view.name}.parquet", view.schema) for view in self.views}
        self.pending: list[tuple[str, dict]] = []
        self.resources = 0

    def add(self, where: str, resource, local: dict[str, str] | None = None) -> None:
        problems = problems_of(resource)
        if problems:
            label = _label(resource)
            for path, kind, reason in problems:
                self.log.add(f"{where}{label}", path, reason, kind=f"fhir:{kind}")
            return
        self.resources += 1
        self.deid.deidentify(resource, local)
        self.pending.append((where, resource))
        if len(self.pending) >= BATCH:
            self.flush()

    def flush(self) -> None:
        self.deid.flush()
        rows: dict[str, list[dict]] = {}
        for where, resource in self.pending:
            for view in self.by_type.get(resource["resourceType"], []):
                try:
                    rows.setdefault(view.name, []).extend(view.rows(resource))
                except ViewError as exc:
                    self.log.add(where, f"{view.name}.{exc.path}", exc.problem, kind="view:too_many_values")
                except Exception:  # fhirpathpy raises plain Exceptions on type clashes in data
                    self.log.add(where, view.name, "the view could not be evaluated on this resource",
                                 kind="view:evaluation_failed")
        for name, found in rows.items():
            self.writers[name].write_rows(found)
        self.pending.clear()

    def finish(self) -> dict:
        self.flush()
        tables = {}
        for name, writer in self.writers.items():
            writer.close()
            tables[name] = [str(writer.path)] if writer.rows else []
        dates = {view.name: [c.name for c in view.columns if c.fhir_type in DATE_TYPES] for view in self.views}
        return {"kind": "fhir", "tables": tables, "problems": self.log.as_plain(), "dates": dates,
                "resources": self.resources}


def _label(resource) -> str:
    if isinstance(resource, dict) and isinstance(resource.get("resourceType"), str):
        return f" ({resource['resourceType'][:64]}/{str(resource.get('id', '?'))[:64]})"
    return ""


def process_fhir(item: dict) -> dict:
    flattener = _Flattener(item)
    if item["kind"] == "fhir-ndjson":
        _ndjson(item, flattener)
    else:
        _json_file(item, flattener)
    return flattener.finish()


def _ndjson(item: dict, flattener: _Flattener) -> None:
    limit = context_for(item).profile.limits.max_line_bytes
    for line in read_lines(Path(item["path"]), Chunk(item["start"], item["end"], item["first_line"]), limit):
        where = f"line {line.number}"
        if line.data is None:
            flattener.log.add(where, "", f"line longer than {limit} bytes; skipped", kind="fhir:line_too_long")
            continue
        try:
            resource = orjson.loads(line.data)
        except orjson.JSONDecodeError:
            flattener.log.add(where, "", "not valid JSON; line skipped", kind="fhir:invalid_json")
            continue
        if isinstance(resource, dict) and resource.get("resourceType") == "Bundle":
            _bundle(resource, f"{where} ", flattener, item["source"])
        else:
            flattener.add(where, resource)


def _json_file(item: dict, flattener: _Flattener) -> None:
    path, source = Path(item["path"]), item["source"]
    limit = context_for(item).profile.limits.max_json_bytes
    if path.stat().st_size > limit:
        raise ValidationFailed(N_("%(file)s: larger than %(limit)s bytes; send large exports as NDJSON "
                                  "(one resource a line)"), params={"file": source, "limit": limit}, field="file")
    try:
        data = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise ValidationFailed(N_("%(file)s: not valid JSON (line %(line)s)"),
                               params={"file": source, "line": getattr(exc, "lineno", "?")}, field="file") from None
    if not isinstance(data, dict) or not isinstance(data.get("resourceType"), str):
        raise ValidationFailed(N_("%(file)s: not a FHIR resource or Bundle (no resourceType at the top level)"),
                               params={"file": source}, field="resourceType")
    if data["resourceType"] == "Bundle":
        _bundle(data, "", flattener, source)
    else:
        flattener.add("resource", data)


def _bundle(bundle: dict, prefix: str, flattener: _Flattener, source: str) -> None:
    entries = bundle.get("entry", [])
    if not isinstance(entries, list):
        raise ValidationFailed(N_("%(file)s: %(where)sBundle.entry must be a list of entries"),
                               params={"file": source, "where": prefix}, field="Bundle.entry")
    local = {}
    for entry in entries:  # urn:uuid: references inside a bundle name entries by fullUrl
        resource = entry.get("resource") if isinstance(entry, dict) else None
        full_url = entry.get("fullUrl") if isinstance(entry, dict) else None
        if isinstance(resource, dict) and isinstance(full_url, str) and isinstance(resource.get("resourceType"), str):
            logical = resource.get("id") or full_url.rsplit(":", 1)[-1].rsplit("/", 1)[-1]
            local[full_url] = f"{resource['resourceType']}/{logical}"
            resource.setdefault("id", str(logical)[:64])
    for index, entry in enumerate(entries):
        where = f"{prefix}entry[{index}]"
        if not isinstance(entry, dict) or "resource" not in entry:
            flattener.log.add(where, "resource", "a Bundle entry without a resource", kind="fhir:empty_entry")
            continue
        flattener.add(where, entry["resource"], local)
