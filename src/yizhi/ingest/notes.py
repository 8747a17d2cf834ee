"""Clinical notes (``.jsonl``: ``patient_id``, ``text``, optional ``date``, ``kind``, ``id``) → the
``notes`` table (``patient``, ``date``, ``kind``, ``text``).

Note text goes through the text de-identifier with the patient's pseudonym, so the dates it
mentions move by the same shift as the note's own ``date`` and that patient's dates elsewhere.
A note's ``id`` is not released (hospital note numbers identify); a bad line is skipped and listed.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pyarrow as pa

from yizhi.ingest.context import context_for
from yizhi.ingest.lines import Chunk, read_lines
from yizhi.ingest.parquet_io import PartWriter
from yizhi.ingest.problems import ProblemLog

NOTES_TABLE = "notes"
NOTES_SCHEMA = pa.schema([("patient", pa.string()), ("date", pa.string()), ("kind", pa.string()),
                          ("text", pa.string())])
BATCH = 256
MAX_KIND_CHARS = 64


def process_notes(item: dict) -> dict:
    """Work item: one chunk of a notes file → a part of the notes table."""
    context = context_for(item)
    identity, limits = context.identity, context.profile.limits
    log = ProblemLog(item["source"], "notes")
    part = Path(item["part_dir"]) / f"{NOTES_TABLE}.parquet"
    writer = PartWriter(part, NOTES_SCHEMA)
    pending: list[tuple[str, str | None, str | None, str]] = []

    def flush() -> None:
        # kinds are short labels, but free text all the same: they go through the de-identifier too
        patients = [p for p, *_ in pending]
        cleaned = identity.clean_texts([text for *_, text in pending] + [k or "" for _, _, k, _ in pending],
                                       patients + patients)
        texts, kinds = cleaned[:len(pending)], cleaned[len(pending):]
        writer.write_rows([{"patient": p, "date": d, "kind": kind if k is not None else None, "text": t}
                           for (p, d, k, _), t, kind in zip(pending, texts, kinds)])
        pending.clear()

    chunk = Chunk(item["start"], item["end"], item["first_line"])
    for line in read_lines(Path(item["path"]), chunk, limits.max_line_bytes):
        note = _read_note(line, log, limits.max_line_bytes)
        if note is None:
            continue
        raw_patient, text, date, kind = note
        pseudonym = identity.pseudonym(raw_patient)
        shifted = None
        if date is not None:
            shifted = identity.shift_any(date, pseudonym)
            if shifted is None:
                log.add(f"line {line.number}", "date", "not a date that can be shifted; value removed")
        pending.append((pseudonym, shifted, kind, text))
        if len(pending) >= BATCH:
            flush()
    if pending:
        flush()
    writer.close()
    return {"kind": "notes", "tables": {NOTES_TABLE: [str(part)] if writer.rows else []},
            "problems": log.as_plain(), "dates": {NOTES_TABLE: ["date"]}}


def _read_note(line, log: ProblemLog, limit: int):
    where = f"line {line.number}"
    if line.data is None:
        log.add(where, "", f"line longer than {limit} bytes; skipped")
        return None
    try:
        note = orjson.loads(line.data)
    except orjson.JSONDecodeError:
        log.add(where, "", "not a JSON object; line skipped")
        return None
    if not isinstance(note, dict):
        log.add(where, "", "not a JSON object; line skipped")
        return None
    patient, text = note.get("patient_id"), note.get("text")
    if not isinstance(patient, (str, int)) or str(patient).strip() == "":
        log.add(where, "patient_id", "missing or not a string; line skipped")
        return None
    if not isinstance(text, str):
        log.add(where, "text", "missing or not a string; line skipped")
        return None
    date, kind = note.get("date"), note.get("kind")
    if date is not None and not isinstance(date, str):
        log.add(where, "date", "not a string; value removed")
        date = None
    if kind is not None and not isinstance(kind, str):
        log.add(where, "kind", "not a string; value removed")
        kind = None
    if kind is not None and len(kind) > MAX_KIND_CHARS:
        log.add(where, "kind", "longer than 64 characters; value removed")
        kind = None
    return str(patient), text, date, kind
