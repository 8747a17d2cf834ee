"""Absolute relevance of one matched pair, calibrated on labelled need–solution pairs (pure).

The fused ranking (:mod:`.engine`) orders candidates well, but its reciprocal-rank score says only
*where* a candidate stands among the others: the first result scored ~1.00 whatever it was (an ECG
product scored 0.98 for an inpatient-record quality-control need). Users read a score as "how well
does this answer my need", so the score shown is computed from the pair alone:

* ``similarity`` — cosine similarity of the two embeddings (-1..1);
* ``coverage`` — the candidate's BM25 score divided by the largest score any document could get for
  the query (every query term present, term frequency saturated): the share of the query's term
  weight the candidate carries (0..1).

A logistic regression on these two features gives the probability that the pair is relevant. It was
fitted on the *dev* half of the labelled set (``tests/needs/data``, split by
:func:`.evaluation.split_of`), on the top-10 fused candidates of each dev need — the pairs users are
actually shown — and the "good match" threshold was chosen there too (best F1). The held-out half's
precision and recall at that threshold are stored beside the coefficients
(``data/relevance.json``, written by ``python -m yizhi.needs.matching.calibrate``) and checked by
``tests/needs/test_needs_matching_relevance.py``. scikit-learn fits it; applying it is two
multiplications, done here so a web request needs no model object.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

MODEL_PATH = Path(__file__).resolve().parent / "data" / "relevance.json"
FEATURES = ("similarity", "coverage")


@dataclass(frozen=True)
class RelevanceModel:
    weights: tuple[float, ...]
    intercept: float
    threshold: float  # a pair at or above it is a "good match"

    def probability(self, similarity: float, coverage: float) -> float:
        z = self.intercept + self.weights[0] * similarity + self.weights[1] * coverage
        return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))

    def is_good(self, relevance: float) -> bool:
        return relevance >= self.threshold


def coverage(bm25_score: float, best_possible: float) -> float:
    return 0.0 if best_possible <= 0 else max(0.0, min(1.0, bm25_score / best_possible))


@lru_cache(maxsize=1)
def default_model() -> RelevanceModel:
    stored = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    if tuple(stored["features"]) != FEATURES:
        raise ValueError(f"{MODEL_PATH} was fitted on {stored['features']}, not {FEATURES}")
    return RelevanceModel(tuple(stored["weights"]), stored["intercept"], stored["threshold"])
