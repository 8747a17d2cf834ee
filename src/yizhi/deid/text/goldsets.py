"""Evaluation sets on real text: reading them, checking them, scoring against them.

Two kinds of set live in ``tests/deid_text/data``:

* **Real text, annotated by us** (``real/mtsamples_gold_{dev,test}.jsonl``): identifiers in MTSamples
  reports (``../shared/data/clinical-text/en_mtsamples.jsonl``, CC0). The repository holds only the
  document id, the SHA-256 of its text and the spans ``{start, end, type}``; the text is read in place
  and must hash the same, so a changed corpus fails loudly instead of scoring against shifted offsets.
* **Real text with identifiers planted** (``real/mtsamples_planted_{dev,test}.jsonl``): a plan per
  document (``{"id", "sha256", "edits": [{"start", "end", "value", "type"}]}``) that replaces spans of
  the real text (placeholders such as "Dr. X", "ABCD General Hospital") with values we wrote by hand.
  Only the planted values are gold: the rest of those reports is not annotated, so these sets measure
  recall, never precision.
* **Notes we wrote by hand** (``notes/*.jsonl``): ``{"id", "text", "spans"}`` like any gold file.

Everything here is pure (no database, no web): the bench, the tests and ``yizhi deid text evaluate``
read through it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

from yizhi.errors import N_, ValidationFailed


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read_corpus(path: Path) -> dict[str, str]:
    """``{id: text}`` of a ``{"id", "text", ...}`` JSON-lines corpus (the MTSamples file)."""
    corpus = {}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                record = json.loads(line)
                corpus[record["id"]] = record["text"]
    return corpus


def _records(path: Path) -> Iterator[dict]:
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def load_annotated(path: Path, corpus: dict[str, str]) -> list[dict]:
    """Gold documents ``{"id", "text", "spans"}`` from an offsets-only file and the corpus it annotates."""
    documents = []
    for record in _records(path):
        text = _checked_text(corpus, record)
        documents.append({"id": record["id"], "text": text, "spans": record["spans"]})
    return documents


def load_planted(path: Path, corpus: dict[str, str]) -> list[dict]:
    """Gold documents with the planted values written into the real text; ``spans`` are the planted ones."""
    documents = []
    for record in _records(path):
        text = _checked_text(corpus, record)
        pieces, spans, cursor, shift = [], [], 0, 0
        for edit in sorted(record["edits"], key=lambda edit: edit["start"]):
            pieces.append(text[cursor : edit["start"]])
            start = edit["start"] + shift
            pieces.append(edit["value"])
            spans.append({"start": start, "end": start + len(edit["value"]), "type": edit["type"]})
            shift += len(edit["value"]) - (edit["end"] - edit["start"])
            cursor = edit["end"]
        pieces.append(text[cursor:])
        documents.append({"id": record["id"], "text": "".join(pieces), "spans": spans})
    return documents


def load_gold_file(path: Path) -> list[dict]:
    """A plain gold file: ``{"id", "text", "spans": [{"start", "end", "type"}]}`` a line."""
    return list(_records(path))


def _checked_text(corpus: dict[str, str], record: dict) -> str:
    text = corpus.get(record["id"])
    if text is None:
        raise ValidationFailed(N_("document %(id)s is not in the corpus"), params={"id": record["id"]})
    if text_sha256(text) != record["sha256"]:
        raise ValidationFailed(N_("document %(id)s differs from the text that was annotated (its hash changed)"),
                               params={"id": record["id"]})
    return text


def seal_digest(paths: list[Path]) -> dict[str, str]:
    """``{file name: sha256 of its bytes}`` of the sealed test files."""
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in paths}
