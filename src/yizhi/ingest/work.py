"""The one function the engine runs per work item (top-level, plain data in and out).

A whole-file error (``ValidationFailed``, an unreadable file) comes back as plain data, and the
caller re-raises it in item order: the same error whichever engine ran the item (a Ray worker
wraps exceptions in its own type), with its message template and values intact.
"""

from __future__ import annotations

from yizhi.errors import N_, ValidationFailed


def run_item(item: dict) -> dict:
    try:
        return _dispatch(item)
    except ValidationFailed as exc:
        return {"fatal": {"template": exc.template, "params": exc.params, "field": exc.field}}
    except OSError as exc:
        return {"fatal": {"template": N_("%(file)s: cannot be read (%(reason)s)"),
                          "params": {"file": item.get("source", "?"), "reason": exc.strerror or type(exc).__name__},
                          "field": "file"}}


def _dispatch(item: dict) -> dict:
    kind = item["kind"]
    if kind == "table":
        from yizhi.ingest.tables import process_table
        return process_table(item)
    if kind == "notes":
        from yizhi.ingest.notes import process_notes
        return process_notes(item)
    if kind in ("fhir-ndjson", "fhir-json"):
        from yizhi.ingest.fhir.work import process_fhir
        return process_fhir(item)
    if kind == "dicom":
        from yizhi.ingest.dicom import process_dicom
        return process_dicom(item)
    raise ValueError(f"unknown work item kind {kind!r}")


def raise_fatal(result: dict) -> None:
    fatal = result.get("fatal")
    if fatal:
        template, params, field = fatal["template"], fatal["params"], fatal["field"]
        raise ValidationFailed(template, params=params, field=field)
