"""Suggesting a need's or solution's category from its text.

A nearest-centroid classifier: each category's centroid is the mean embedding of the short example
texts in ``data/category_examples.jsonl`` (written for this purpose, separate from the evaluation
set), and a BM25 score against the concatenated examples adds the keyword evidence the embedding
can blur (中医, 医保, 病理). Fifty examples do not justify a trained model with hyper-parameters
(scikit-learn's NearestCentroid would be the same arithmetic), so the few lines of numpy below do it.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from importlib import resources

import numpy as np

from yizhi.needs.matching.bm25 import BM25Index
from yizhi.needs.matching.dense import Encoder, default_encoder
from yizhi.needs.matching.engine import CATEGORIES
from yizhi.needs.matching.text import DATA_PACKAGE, TextAnalyzer, default_analyzer

KEYWORD_WEIGHT = 0.3  # share of the (max-normalised) BM25 evidence added to the cosine similarity
TEMPERATURE = 0.05  # softmax temperature turning scores into the confidence users see


@dataclass(frozen=True)
class CategorySuggestion:
    category: str
    confidence: float


def load_examples() -> list[tuple[str, str]]:
    text = resources.files(DATA_PACKAGE).joinpath("data", "category_examples.jsonl").read_text("utf-8")
    rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    return [(row["category"], row["text"]) for row in rows]


class CategorySuggester:
    def __init__(self, encoder: Encoder | None = None, analyzer: TextAnalyzer | None = None) -> None:
        self.encoder = encoder or default_encoder()
        self.analyzer = analyzer or default_analyzer()
        self._lock = threading.Lock()
        self._centroids: np.ndarray | None = None
        self._keywords: BM25Index | None = None

    def _fit(self) -> None:
        examples = load_examples()
        vectors = self.encoder.encode([text for _, text in examples])
        centroids = np.zeros((len(CATEGORIES), vectors.shape[1]), dtype=np.float32)
        keywords = BM25Index()
        for index, category in enumerate(CATEGORIES):
            rows = [i for i, (c, _) in enumerate(examples) if c == category]
            centroid = vectors[rows].mean(axis=0)
            centroids[index] = centroid / max(float(np.linalg.norm(centroid)), 1e-12)
            terms = [t for i in rows for t in self.analyzer.terms(examples[i][1])]
            keywords.upsert(index, terms, defer_compaction=True)
        keywords.compact()
        self._centroids, self._keywords = centroids, keywords

    def suggest(self, text: str, top: int = 3, vector: np.ndarray | None = None) -> list[CategorySuggestion]:
        """Most likely categories first; pass the text's embedding if it is already computed."""
        with self._lock:
            if self._centroids is None:
                self._fit()
        if vector is None:
            vector = self.encoder.encode([text])[0]
        cosine = self._centroids @ np.asarray(vector, dtype=np.float32)
        bm25 = self._keywords.scores(self.analyzer.terms(text), size=len(CATEGORIES))
        if bm25.max() > 0:
            cosine = cosine + KEYWORD_WEIGHT * bm25 / bm25.max()
        weights = np.exp((cosine - cosine.max()) / TEMPERATURE)
        confidence = weights / weights.sum()
        order = np.argsort(-confidence)[:top]
        return [CategorySuggestion(CATEGORIES[i], round(float(confidence[i]), 3)) for i in order]


_default: CategorySuggester | None = None
_default_lock = threading.Lock()


def default_suggester() -> CategorySuggester:
    global _default
    with _default_lock:
        if _default is None:
            _default = CategorySuggester()
        return _default


def suggest_category(text: str) -> str:
    """The single best category for a text (what an importer fills in when none is given)."""
    return default_suggester().suggest(text, top=1)[0].category
