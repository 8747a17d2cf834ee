"""Hybrid matching of clinical needs and solutions.

Each side (needs, solutions) is a :class:`Corpus`: documents addressed by a string key, indexed
twice — BM25 over analysed terms (:mod:`.bm25`, :mod:`.text`) and dense embeddings (:mod:`.dense`)
— with their filterable attributes kept in numpy arrays so hard filters are one vectorised mask.
A query (a stored document of the other side, or free text) is ranked by each retriever; the two
rankings are fused by reciprocal rank fusion (Cormack, Clarke & Büttcher, SIGIR 2009):
``score(d) = Σ_r w_r / (k + rank_r(d))``. RRF needs no score calibration between BM25 (unbounded)
and cosine similarity, which is why it is used rather than a weighted sum. Every result carries
the shared terms that contributed most to its BM25 score and its semantic similarity, which is
the "why matched" line users see.

Nothing here touches the database or the web layer: the service feeds documents in and stores
the vectors this module returns, so restarting a process does not re-encode anything.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from yizhi.needs.matching.bm25 import BM25Index
from yizhi.needs.matching.dense import DenseIndex, Encoder, default_encoder
from yizhi.needs.matching.relevance import coverage, default_model
from yizhi.needs.matching.text import TextAnalyzer, default_analyzer

CATEGORIES: tuple[str, ...] = (
    "imaging",
    "pathology",
    "assisted_diagnosis",
    "surgical_planning",
    "chronic_disease",
    "biopharma",
    "medical_service",
    "public_health",
    "tcm",
    "elderly_care",
    "insurance",
    "education",
    "other",
)

# Ordered: a filter "at least prototype" keeps prototypes and registered products.
MATURITY_LEVELS: tuple[str, ...] = ("research", "prototype", "product", "nmpa_registered")

METHODS = ("bm25", "dense", "fused")


@dataclass(frozen=True)
class MatchDocument:
    """What the engine needs to know about a need or a solution."""

    key: str
    title: str
    text: str = ""
    category: str | None = None
    modalities: tuple[str, ...] = ()
    maturity: str | None = None

    def dense_text(self) -> str:
        return f"{self.title}。{self.text}" if self.text else self.title


@dataclass(frozen=True)
class Filters:
    """Hard filters: a document failing any of them is never returned."""

    categories: frozenset[str] = frozenset()
    modalities: frozenset[str] = frozenset()  # keep documents sharing at least one modality
    min_maturity: str | None = None
    exclude_keys: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        unknown = set(self.categories) - set(CATEGORIES)
        if unknown:
            raise ValueError(f"unknown category {sorted(unknown)}; expected one of {list(CATEGORIES)}")
        if self.min_maturity is not None and self.min_maturity not in MATURITY_LEVELS:
            raise ValueError(f"unknown maturity {self.min_maturity!r}; expected one of {list(MATURITY_LEVELS)}")


@dataclass(frozen=True)
class Match:
    key: str
    title: str
    score: float  # absolute relevance 0..1 of this pair alone (:mod:`.relevance`), what users see
    shared_terms: tuple[str, ...]
    similarity: float  # cosine similarity of the embeddings, -1..1
    bm25_rank: int | None  # 1-based rank in each retriever's list, None when outside it
    dense_rank: int | None
    why: str = field(default="")
    coverage: float = 0.0  # share of the query's best possible BM25 score this document carries
    good: bool = False  # relevance at or above the threshold chosen on the labelled set
    fused: float = 0.0  # RRF score scaled to [0, 1]: orders candidates, means nothing on its own


@dataclass(frozen=True)
class FusionSettings:
    k: float = 60.0
    bm25_weight: float = 1.0
    dense_weight: float = 1.0
    depth: int = 100  # candidates taken from each retriever before fusion
    title_repeats: int = 2  # title terms count this many times (titles say what a thing is)


def display_term(term: str) -> str:
    """Short Latin terms are acronyms in this domain (CT, MRI, ECG)."""
    return term.upper() if term.isascii() and len(term) <= 4 else term


def why_line(shared_terms: Sequence[str], similarity: float, lang: str = "zh") -> str:
    shown = "、".join(display_term(t) for t in shared_terms) if lang == "zh" else ", ".join(
        display_term(t) for t in shared_terms
    )
    if lang == "zh":
        head = f"共同关键词：{shown}" if shared_terms else "无共同关键词"
        return f"{head}；语义相似度 {similarity:.2f}"
    head = f"shared terms: {shown}" if shared_terms else "no shared terms"
    return f"{head}; semantic similarity {similarity:.2f}"


def _top_shared(contributions: dict[str, float], limit: int = 5, synonyms: dict[str, str] | None = None) -> tuple[str, ...]:
    """Highest-weighted shared terms for the "why" line, most specific first.

    Ties go to the longer term (颅内出血 before 出血); a term inside one already shown, or a synonym
    variant whose canonical term is already shown (ai / 人工智能), is skipped.
    """
    synonyms = synonyms or {}
    chosen: list[str] = []
    for term, _weight in sorted(contributions.items(), key=lambda kv: (-round(kv[1], 6), -len(kv[0]), kv[0])):
        canonical = synonyms.get(term, term).lower()
        if any(term in longer or canonical == synonyms.get(longer, longer).lower() for longer in chosen):
            continue
        chosen.append(term)
        if len(chosen) == limit:
            break
    return tuple(chosen)


class Corpus:
    """One side of the market (needs or solutions), editable while it serves queries."""

    def __init__(
        self,
        name: str,
        *,
        encoder: Encoder | None = None,
        analyzer: TextAnalyzer | None = None,
        settings: FusionSettings | None = None,
    ) -> None:
        self.name = name
        self.encoder = encoder or default_encoder()
        self.analyzer = analyzer or default_analyzer()
        self.settings = settings or FusionSettings()
        self._lock = threading.RLock()
        self.bm25 = BM25Index()
        self.dense = DenseIndex(self.encoder.dimension)
        self.slot_of: dict[str, int] = {}
        self.documents: list[MatchDocument | None] = []
        self._category = np.zeros(0, dtype=np.int16)
        self._modality_mask = np.zeros(0, dtype=np.int64)
        self._maturity = np.zeros(0, dtype=np.int8)
        self._modality_bits: dict[str, int] = {}
        self._query_terms: dict[str, list[str]] = {}

    # ----- editing -------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.bm25)

    def __contains__(self, key: str) -> bool:
        return key in self.slot_of

    def document_terms(self, doc: MatchDocument) -> list[str]:
        title_terms = self.analyzer.terms(doc.title)
        return title_terms * self.settings.title_repeats + self.analyzer.terms(doc.text)

    def query_terms(self, doc: MatchDocument) -> list[str]:
        """Terms of a document used as a query (title once); cached for stored documents."""
        cached = self._query_terms.get(doc.key)
        if cached is not None and self.document(doc.key) == doc:
            return cached
        return self.analyzer.terms(doc.title) + self.analyzer.terms(doc.text)

    def upsert(self, doc: MatchDocument, vector: np.ndarray | None = None) -> np.ndarray:
        """Add or replace one document; returns its embedding (store it to skip re-encoding)."""
        return self.upsert_many([doc], None if vector is None else np.asarray(vector)[None, :])[0]

    def upsert_many(
        self, docs: Sequence[MatchDocument], vectors: np.ndarray | None = None
    ) -> np.ndarray:
        if vectors is None:
            vectors = self.encoder.encode([d.dense_text() for d in docs])
        vectors = np.asarray(vectors, dtype=np.float32)
        if len(vectors) != len(docs):
            raise ValueError(f"{len(docs)} documents but {len(vectors)} vectors")
        # Outside the lock: jieba is the slow part. Title terms count `title_repeats` times in the
        # index; as a query the document counts them once.
        title_terms = [self.analyzer.terms(d.title) for d in docs]
        text_terms = [self.analyzer.terms(d.text) for d in docs]
        terms = [t * self.settings.title_repeats + x for t, x in zip(title_terms, text_terms, strict=True)]
        with self._lock:
            slots = np.asarray([self._slot_for(d) for d in docs], dtype=np.int64)
            for slot, doc, title, text in zip(slots.tolist(), docs, title_terms, text_terms, strict=True):
                self._set_attributes(slot, doc)
                self._query_terms[doc.key] = title + text
            if len(docs) == 1:
                self.bm25.upsert(int(slots[0]), terms[0])
            else:
                self.bm25.upsert_many(zip(slots.tolist(), terms, strict=True))
            self.dense.upsert_many(slots, vectors)
        return vectors

    def remove(self, key: str) -> bool:
        with self._lock:
            slot = self.slot_of.pop(key, None)
            if slot is None:
                return False
            self.documents[slot] = None
            self._query_terms.pop(key, None)
            self.bm25.remove(slot)
            self.dense.remove(slot)
            return True

    def _slot_for(self, doc: MatchDocument) -> int:
        slot = self.slot_of.get(doc.key)
        if slot is None:
            slot = len(self.documents)
            self.slot_of[doc.key] = slot
            self.documents.append(doc)
            self._grow(slot + 1)
        else:
            self.documents[slot] = doc
        return slot

    def _grow(self, size: int) -> None:
        if size <= len(self._category):
            return
        capacity = max(size, 2 * len(self._category), 64)
        for name, fill in (("_category", -1), ("_modality_mask", 0), ("_maturity", -1)):
            old = getattr(self, name)
            grown = np.full(capacity, fill, dtype=old.dtype)
            grown[: len(old)] = old
            setattr(self, name, grown)

    def _modality_bit(self, modality: str) -> int:
        bit = self._modality_bits.get(modality)
        if bit is None:
            # 62 distinct modalities fit; beyond that they share the last bit (a looser filter).
            bit = min(len(self._modality_bits), 62)
            self._modality_bits[modality] = bit
        return bit

    def _set_attributes(self, slot: int, doc: MatchDocument) -> None:
        self._category[slot] = CATEGORIES.index(doc.category) if doc.category in CATEGORIES else -1
        mask = 0
        for modality in doc.modalities:
            mask |= 1 << self._modality_bit(modality.strip().lower())
        self._modality_mask[slot] = mask
        self._maturity[slot] = MATURITY_LEVELS.index(doc.maturity) if doc.maturity in MATURITY_LEVELS else -1

    # ----- querying ------------------------------------------------------------------------
    def size(self) -> int:
        return len(self.documents)

    def allowed(self, filters: Filters | None) -> np.ndarray:
        n = self.size()
        keep = np.zeros(n, dtype=bool)
        keep[list(self.slot_of.values())] = True
        if filters is None:
            return keep
        if filters.categories:
            codes = [CATEGORIES.index(c) for c in filters.categories]
            keep &= np.isin(self._category[:n], codes)
        if filters.modalities:
            wanted = 0
            for modality in filters.modalities:
                bit = self._modality_bits.get(modality.strip().lower())
                if bit is not None:
                    wanted |= 1 << bit
            keep &= (self._modality_mask[:n] & wanted) != 0
        if filters.min_maturity is not None:
            keep &= self._maturity[:n] >= MATURITY_LEVELS.index(filters.min_maturity)
        for key in filters.exclude_keys:
            slot = self.slot_of.get(key)
            if slot is not None:
                keep[slot] = False
        return keep

    def vector_of(self, key: str) -> np.ndarray | None:
        slot = self.slot_of.get(key)
        return None if slot is None else self.dense.vector(slot)

    def document(self, key: str) -> MatchDocument | None:
        slot = self.slot_of.get(key)
        return None if slot is None else self.documents[slot]


def _ranking(scores: np.ndarray, keep: np.ndarray, depth: int) -> np.ndarray:
    """Slots of the best `depth` allowed scores, best first (ties by slot for stable output)."""
    candidates = np.flatnonzero(keep)
    if not len(candidates):
        return candidates
    values = scores[candidates]
    if len(candidates) > depth:
        part = np.argpartition(-values, depth - 1)[:depth]
        candidates, values = candidates[part], values[part]
    order = np.lexsort((candidates, -values))
    return candidates[order]


def rank(
    target: Corpus,
    query_terms: Sequence[str],
    query_vector: np.ndarray | None,
    *,
    filters: Filters | None = None,
    top: int = 10,
    method: str = "fused",
    lang: str = "zh",
) -> list[Match]:
    """Rank the documents of `target` for a query given as terms and an embedding."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; expected one of {METHODS}")
    settings = target.settings
    with target._lock:
        n = target.size()
        keep = target.allowed(filters)
        depth = max(settings.depth, top)
        bm25_scores = target.bm25.scores(query_terms, size=n)
        bm25_list = _ranking(bm25_scores, keep & (bm25_scores > 0), depth)
        if query_vector is not None:
            sims = target.dense.similarities(query_vector, n)
            dense_list = _ranking(sims, keep, depth)
        else:
            sims = np.full(n, -1.0, dtype=np.float32)
            dense_list = np.zeros(0, dtype=np.int64)
        lists = {"bm25": bm25_list, "dense": dense_list}
        fused: dict[int, float] = {}
        weights = {"bm25": settings.bm25_weight, "dense": settings.dense_weight}
        used = ("bm25", "dense") if method == "fused" else (method,)
        for name in used:
            for position, slot in enumerate(lists[name].tolist()):
                fused[slot] = fused.get(slot, 0.0) + weights[name] / (settings.k + position + 1)
        best = sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
        ceiling = sum(weights[name] for name in used) / (settings.k + 1)
        best_possible = target.bm25.best_possible(query_terms)
        model = default_model()
        bm25_rank = {slot: i + 1 for i, slot in enumerate(bm25_list.tolist())}
        dense_rank = {slot: i + 1 for i, slot in enumerate(dense_list.tolist())}
        results = []
        for slot, score in best:
            doc = target.documents[slot]
            shared = _top_shared(target.bm25.contributions(query_terms, slot),
                                 synonyms=target.analyzer.vocabulary.synonyms)
            similarity = float(sims[slot])
            share = coverage(float(bm25_scores[slot]), best_possible)
            relevance = model.probability(similarity, share)
            results.append(
                Match(
                    key=doc.key,
                    title=doc.title,
                    score=round(relevance, 4),
                    shared_terms=shared,
                    similarity=round(similarity, 4),
                    bm25_rank=bm25_rank.get(slot),
                    dense_rank=dense_rank.get(slot),
                    why=why_line(shared, similarity, lang),
                    coverage=round(share, 4),
                    good=model.is_good(relevance),
                    fused=round(score / ceiling, 4),
                )
            )
        if method == "fused":
            # Shown best first by the score shown; fusion chose which candidates make the list.
            results.sort(key=lambda m: (-m.score, -m.fused))
        return results


class MatchingEngine:
    """Needs and solutions side by side; match either against the other."""

    SIDES = ("need", "solution")

    def __init__(
        self,
        *,
        encoder: Encoder | None = None,
        analyzer: TextAnalyzer | None = None,
        settings: FusionSettings | None = None,
    ) -> None:
        self.corpora = {
            side: Corpus(side, encoder=encoder, analyzer=analyzer, settings=settings) for side in self.SIDES
        }

    def corpus(self, side: str) -> Corpus:
        if side not in self.corpora:
            raise ValueError(f"unknown side {side!r}; expected one of {self.SIDES}")
        return self.corpora[side]

    @staticmethod
    def other(side: str) -> str:
        return "solution" if side == "need" else "need"

    def upsert(self, side: str, doc: MatchDocument, vector: np.ndarray | None = None) -> np.ndarray:
        return self.corpus(side).upsert(doc, vector)

    def upsert_many(
        self, side: str, docs: Sequence[MatchDocument], vectors: np.ndarray | None = None
    ) -> np.ndarray:
        return self.corpus(side).upsert_many(docs, vectors)

    def remove(self, side: str, key: str) -> bool:
        return self.corpus(side).remove(key)

    def match(
        self,
        side: str,
        key: str,
        *,
        filters: Filters | None = None,
        top: int = 10,
        method: str = "fused",
        lang: str = "zh",
    ) -> list[Match]:
        """Rank the other side for the stored document `key` of `side` (its vector is reused)."""
        source = self.corpus(side)
        doc = source.document(key)
        if doc is None:
            raise KeyError(f"no {side} with key {key!r} in the matching index")
        return rank(
            self.corpus(self.other(side)),
            source.query_terms(doc),
            source.vector_of(key),
            filters=filters,
            top=top,
            method=method,
            lang=lang,
        )

    def match_text(
        self,
        text: str,
        target_side: str,
        *,
        filters: Filters | None = None,
        top: int = 10,
        method: str = "fused",
        lang: str = "zh",
    ) -> list[Match]:
        """Rank `target_side` for free text (a search box): encodes the text once."""
        target = self.corpus(target_side)
        vector = target.encoder.encode([text])[0] if method != "bm25" else None
        return rank(
            target, target.analyzer.terms(text), vector, filters=filters, top=top, method=method, lang=lang
        )


def keys_of(matches: Iterable[Match]) -> list[str]:
    return [m.key for m in matches]
