"""The record-level functions the engine runs for other domains, as ``fn(records, params) -> records``.

Each wraps the domain's own code unchanged (the engine chooses where it runs, not what it computes):
the text de-identifier's batch step is the one ``yizhi deid text`` runs, in the same batches, so a
partition's output equals the lines the single-process CLI writes for those records.
"""

from __future__ import annotations

from yizhi.errors import N_, ValidationFailed

NO_TEXT = N_("record %(id)s has no text field (or it is not a string)")


def deid_text(records: list[dict], params: dict) -> list[dict]:
    """Text de-identification: params ``lang``, ``policy``, ``key`` (hex, for surrogates), ``span_text``,
    and for CSV-like input ``column`` (the text column; renamed ``text`` as the CLI does)."""
    from yizhi.deid.text import batch

    column = params.get("column")
    if column and column != "text":
        records = [_text_from(record, column) for record in records]
    for record in records:
        if not isinstance(record.get("text"), str):
            raise ValidationFailed(NO_TEXT, params={"id": record.get("id", "?")})
    key = bytes.fromhex(params["key"]) if params.get("key") else None
    out: list[dict] = []
    for start in range(0, len(records), batch.BATCH_DOCS):
        chunk = records[start:start + batch.BATCH_DOCS]
        out.extend(batch._process_batch(chunk, params.get("lang", "auto"), params.get("policy", "redact"), key,
                                        params.get("span_text", False)))
    return out


def _text_from(record: dict, column: str) -> dict:
    record = dict(record)
    record["text"] = record.pop(column, None)
    return record
