"""Ranking-quality metrics and the labeled evaluation set's loader (pure; used by tests and bench).

The set lives in ``tests/needs/data/``: ``eval_solutions.jsonl`` (the pool every need is ranked
against) and ``eval_needs.jsonl`` (each need lists its relevant solution ids). Needs are split into
a *dev* part (free to tune on) and a *held-out* part by a hash of the id, so the split is fixed and
was not chosen need by need.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from yizhi.needs.matching.engine import MatchDocument

HELDOUT_SHARE = 0.6


def split_of(need_id: str) -> str:
    bucket = int(hashlib.sha256(need_id.encode()).hexdigest()[:8], 16) % 100
    return "heldout" if bucket < HELDOUT_SHARE * 100 else "dev"


@dataclass(frozen=True)
class LabeledNeed:
    doc: MatchDocument
    relevant: frozenset[str]
    split: str


def _read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def to_document(row: dict, *, hide_category: bool = True) -> MatchDocument:
    return MatchDocument(
        key=row["id"],
        title=row["title"],
        text=row.get("description", ""),
        category=None if hide_category else row.get("category"),
        modalities=tuple(row.get("modalities", ())),
        maturity=row.get("maturity"),
    )


def load_eval_set(folder: Path, *, hide_category: bool = True):
    """(solutions, labeled needs, raw category labels by id) from the evaluation folder."""
    solution_rows = _read_jsonl(folder / "eval_solutions.jsonl")
    need_rows = _read_jsonl(folder / "eval_needs.jsonl")
    solutions = [to_document(r, hide_category=hide_category) for r in solution_rows]
    needs = [
        LabeledNeed(to_document(r, hide_category=hide_category), frozenset(r["relevant"]), split_of(r["id"]))
        for r in need_rows
    ]
    labels = {r["id"]: r["category"] for r in solution_rows + need_rows}
    return solutions, needs, labels


@dataclass(frozen=True)
class RankingQuality:
    queries: int
    hit_at_1: float
    hit_at_3: float
    mrr: float

    def as_dict(self) -> dict:
        return {"queries": self.queries, "hit@1": self.hit_at_1, "hit@3": self.hit_at_3, "mrr": self.mrr}


def ranking_quality(rankings: Sequence[Sequence[str]], relevant: Sequence[frozenset[str]]) -> RankingQuality:
    """hit@1, hit@3 and mean reciprocal rank (0 when no relevant item is ranked at all)."""
    if len(rankings) != len(relevant):
        raise ValueError("one ranking per query is needed")
    hits1 = hits3 = reciprocal = 0.0
    for ranked, wanted in zip(rankings, relevant, strict=True):
        first = next((i for i, key in enumerate(ranked) if key in wanted), None)
        if first is None:
            continue
        hits1 += first == 0
        hits3 += first < 3
        reciprocal += 1.0 / (first + 1)
    n = max(len(rankings), 1)
    return RankingQuality(len(rankings), round(hits1 / n, 4), round(hits3 / n, 4), round(reciprocal / n, 4))
