"""Fit the relevance model on the dev half of the labelled set and check it on the held-out half.

``python -m yizhi.needs.matching.calibrate [tests/needs/data]`` rewrites ``data/relevance.json``.
The coefficients and the threshold come from dev needs only; the held-out figures are computed
once, after both are fixed, and stored for the README (a test recomputes them).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from yizhi.needs.matching.engine import Filters, MatchingEngine
from yizhi.needs.matching.evaluation import LabeledNeed, load_eval_set
from yizhi.needs.matching.relevance import FEATURES, MODEL_PATH, RelevanceModel, default_model

CANDIDATES = 10  # pairs per need: what a user is shown


@dataclass(frozen=True)
class Pair:
    need: str
    solution: str
    similarity: float
    coverage: float
    relevant: bool


def labelled_pairs(engine: MatchingEngine, needs: list[LabeledNeed], split: str) -> list[Pair]:
    """The top fused candidates of every need of one split, with their features and labels."""
    pairs = []
    for need in needs:
        if need.split != split:
            continue
        for match in engine.match("need", need.doc.key, top=CANDIDATES):
            pairs.append(Pair(need.doc.key, match.key, match.similarity, match.coverage,
                              match.key in need.relevant))
    return pairs


def fit(pairs: list[Pair]) -> tuple[tuple[float, float], float]:
    from sklearn.linear_model import LogisticRegression

    features = np.array([[p.similarity, p.coverage] for p in pairs])
    labels = np.array([p.relevant for p in pairs])
    model = LogisticRegression(C=10.0).fit(features, labels)
    return (round(float(model.coef_[0][0]), 4), round(float(model.coef_[0][1]), 4)), round(float(model.intercept_[0]), 4)


def precision_recall(model: RelevanceModel, pairs: list[Pair], threshold: float) -> dict:
    called = [p for p in pairs if model.probability(p.similarity, p.coverage) >= threshold]
    relevant = sum(p.relevant for p in pairs)
    hits = sum(p.relevant for p in called)
    return {"pairs": len(pairs), "relevant": relevant, "called_good": len(called),
            "precision": round(hits / len(called), 4) if called else 0.0,
            "recall": round(hits / relevant, 4) if relevant else 0.0}


def choose_threshold(model: RelevanceModel, pairs: list[Pair]) -> float:
    """The threshold (two decimals) with the best F1 on these pairs."""
    best_f1, best_threshold = -1.0, 0.5
    for step in range(5, 96):
        threshold = step / 100
        figures = precision_recall(model, pairs, threshold)
        p, r = figures["precision"], figures["recall"]
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        if f1 > best_f1 + 1e-9:  # the lowest threshold of the best F1
            best_f1, best_threshold = f1, threshold
    return best_threshold


def no_answer_rate(engine: MatchingEngine, model: RelevanceModel, needs: list[LabeledNeed], split: str) -> dict:
    """Needs of a split with their right answers taken out of the pool: how often the page says
    "no good match yet" (no candidate at or above the threshold) — the case a new need meets."""
    subset = [n for n in needs if n.split == split]
    said_none = 0
    for need in subset:
        found = engine.match("need", need.doc.key, top=CANDIDATES, filters=Filters(exclude_keys=need.relevant))
        said_none += not any(model.is_good(model.probability(m.similarity, m.coverage)) for m in found)
    return {"needs": len(subset), "no_good_match_shown": said_none,
            "share": round(said_none / len(subset), 4) if subset else 0.0}


def calibrate(folder: Path) -> dict:
    solutions, needs, _ = load_eval_set(folder, hide_category=True)
    engine = MatchingEngine()
    engine.upsert_many("solution", solutions)
    engine.upsert_many("need", [n.doc for n in needs])
    dev = labelled_pairs(engine, needs, "dev")
    weights, intercept = fit(dev)
    unthresholded = RelevanceModel(weights, intercept, 0.5)
    threshold = choose_threshold(unthresholded, dev)
    model = RelevanceModel(weights, intercept, threshold)
    heldout = labelled_pairs(engine, needs, "heldout")
    return {
        "features": list(FEATURES), "weights": list(weights), "intercept": intercept, "threshold": threshold,
        "fitted_on": "dev half of tests/needs/data (split_of), top-10 fused candidates per need",
        "dev": precision_recall(model, dev, threshold),
        "heldout": precision_recall(model, heldout, threshold),
        "heldout_without_answer": no_answer_rate(engine, model, needs, "heldout"),
    }


if __name__ == "__main__":
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "tests/needs/data")
    result = calibrate(folder)
    default_model.cache_clear()
    MODEL_PATH.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2, ensure_ascii=False))
