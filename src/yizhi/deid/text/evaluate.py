"""Score the de-identifier on a hospital's own gold notes: `yizhi deid text evaluate GOLD.jsonl`.

Gold: one JSON object a line, ``{"id", "text", "spans": [{"start", "end", "type"}]}`` (offsets into
``text``, end exclusive). The report gives character and entity recall/precision overall and per type
(recall by gold type, precision by predicted type; a character counts as found whatever type covers it,
as de-identification is judged) and the misses — how a hospital checks the tool on its notes before
lending them. Malformed lines are all reported, each with its line number, before anything is scored.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import IO

from yizhi.deid.text.metrics import Evaluation, score_document
from yizhi.deid.text.pipeline import LANGUAGES, detect_many
from yizhi.errors import N_, ValidationFailed

MAX_GOLD_BYTES = 50 * 1024 * 1024  # a gold file is a few hundred notes; 50 MB is far beyond that
MAX_ERRORS_SHOWN = 20


class GoldError(ValidationFailed):
    """A gold file that cannot be scored; ``problems`` lists (line, message) for every bad line."""

    def __init__(self, problems: list[tuple[int, str]]):
        shown = "; ".join(f"line {line}: {message}" for line, message in problems[:MAX_ERRORS_SHOWN])
        more = len(problems) - MAX_ERRORS_SHOWN
        super().__init__(N_("the gold file has %(count)s bad line(s): %(lines)s%(more)s"),
                         params={"count": len(problems), "lines": shown, "more": f" (and {more} more)" if more > 0 else ""},
                         field="gold")
        self.problems = problems


def read_gold(handle: IO[bytes], max_bytes: int = MAX_GOLD_BYTES) -> list[dict]:
    """The gold documents of a JSON-lines byte stream, checked line by line (every problem collected)."""
    documents, problems, size = [], [], 0
    for number, raw in enumerate(handle, start=1):
        size += len(raw)
        if size > max_bytes:
            raise ValidationFailed(N_("the gold file is larger than %(limit)s bytes"), params={"limit": f"{max_bytes:,}"},
                                   field="gold")
        if not raw.strip():
            continue
        document, problem = _parse_line(raw)
        if problem:
            problems.append((number, problem))
        else:
            documents.append(document)
    if problems:
        raise GoldError(problems)
    if not documents:
        raise ValidationFailed(N_("the gold file holds no document"), field="gold")
    return documents


def _parse_line(raw: bytes) -> tuple[dict | None, str | None]:
    try:
        record = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return None, "not UTF-8"
    except json.JSONDecodeError as exc:
        return None, f"not JSON ({exc.msg}, column {exc.colno})"
    if not isinstance(record, dict):
        return None, "not a JSON object"
    text, spans = record.get("text"), record.get("spans")
    if not isinstance(text, str):
        return None, '"text" must be a string'
    if not isinstance(spans, list):
        return None, '"spans" must be a list'
    clean = []
    for index, span in enumerate(spans):
        if not isinstance(span, dict):
            return None, f"span {index} is not an object"
        start, end, kind = span.get("start"), span.get("end"), span.get("type")
        if not (isinstance(start, int) and isinstance(end, int) and not isinstance(start, bool) and not isinstance(end, bool)):
            return None, f"span {index}: start and end must be integers"
        if not 0 <= start < end <= len(text):
            return None, f"span {index}: {start}..{end} is outside the text (length {len(text)})"
        if not isinstance(kind, str) or not kind:
            return None, f"span {index}: type must be a non-empty string"
        clean.append({"start": start, "end": end, "type": kind})
    return {"id": str(record.get("id", "")), "text": text, "spans": clean}, None


def evaluate(documents: Iterable[dict], lang: str = "auto", batch: int = 32) -> dict:
    """Score ``detect`` on gold documents: the report dict (overall, by_type, misses, false_positives)."""
    if lang not in LANGUAGES:
        raise ValidationFailed(N_("language must be one of %(choices)s"), params={"choices": ", ".join(LANGUAGES)}, field="lang")
    documents = list(documents)
    evaluation = Evaluation()
    for first in range(0, len(documents), batch):
        chunk = documents[first : first + batch]
        for document, spans in zip(chunk, detect_many([d["text"] for d in chunk], lang)):
            predicted = [{"start": s.start, "end": s.end, "type": s.type} for s in spans]
            score_document(document["text"], document["spans"], predicted, evaluation, document["id"])
    report = evaluation.report()
    report["documents"] = len(documents)
    report["misses"] = evaluation.misses
    report["false_positives"] = evaluation.false_positives
    return report


def format_report(report: dict, misses: int = 20) -> str:
    """The report as plain text: a table overall and per type, then the first misses."""
    header = f"{'type':16} {'char R':>7} {'char P':>7} {'ent R':>7} {'ent P':>7} {'gold':>6} {'found':>6}"
    lines = [f"{report['documents']} document(s)", header, "-" * len(header)]

    def row(name: str, counts: dict) -> str:
        return (f"{name:16} {counts['char_recall']:7.3f} {counts['char_precision']:7.3f} {counts['entity_recall']:7.3f} "
                f"{counts['entity_precision']:7.3f} {counts['gold_entities']:6d} {counts['pred_entities']:6d}")

    lines.append(row("ALL", report["overall"]))
    for kind, counts in report["by_type"].items():
        lines.append(row(kind, counts))
    shown = report["misses"][:misses]
    lines.append("")
    lines.append(f"misses: {len(report['misses'])}" + (f" (first {len(shown)})" if len(shown) < len(report["misses"]) else ""))
    for miss in shown:
        lines.append(f"  {miss['id']}  {miss['type']}  {miss['text']!r}  …{miss['context']!r}…")
    return "\n".join(lines)
