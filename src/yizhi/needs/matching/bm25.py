"""An Okapi BM25 index that can be edited while it serves queries.

Why not a library: ``rank-bm25`` scores every document in a Python loop for each query term
(O(N) interpreter steps per term, tens of milliseconds at 10,000 documents), and ``bm25s``
pre-computes scores into a frozen scipy matrix with no way to add or change one document short of
re-indexing the whole corpus. The needs library must make a new or edited need matchable within a
second while serving matches in a few milliseconds, so this module keeps

* a *base segment*: a scipy CSC matrix of raw term frequencies (documents × terms), rebuilt
  ("compacted") only when the pending segment grows past a threshold, and
* a *pending segment*: the documents added or changed since the last compaction, as small
  per-term posting dictionaries.

A changed document keeps its slot; its base row is masked out until the next compaction. Scores
are computed at query time from raw frequencies, so document frequencies, the live document
count and the average length are always exact (the Lucene form of the idf, which is never
negative). ``bm25s`` is the peer this is benchmarked against in ``bench/matching.py``.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np
from scipy import sparse


class _Growable:
    """A 1-D numpy array with amortised O(1) append-by-index."""

    def __init__(self, dtype, fill=0) -> None:
        self.fill = fill
        self.data = np.full(64, fill, dtype=dtype)

    def ensure(self, size: int) -> None:
        if size > len(self.data):
            capacity = max(size, 2 * len(self.data))
            grown = np.full(capacity, self.fill, dtype=self.data.dtype)
            grown[: len(self.data)] = self.data
            self.data = grown


class BM25Index:
    """BM25 over integer slots (the caller owns the slot numbering)."""

    def __init__(self, k1: float = 1.2, b: float = 0.75, compact_every: int = 512) -> None:
        self.k1 = k1
        self.b = b
        self.compact_every = compact_every
        self._lock = threading.RLock()
        self.vocabulary: dict[str, int] = {}
        self.terms_of_id: list[str] = []
        self._df = _Growable(np.int64)
        self._length = _Growable(np.float64)
        self._alive = _Growable(bool, False)
        self._in_base = _Growable(bool, False)
        self._doc: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # slot -> (term ids, frequencies)
        self._base = sparse.csc_array((0, 0), dtype=np.float32)
        self._pending: dict[int, dict[int, float]] = {}  # term id -> {slot: tf}
        self._pending_slots: set[int] = set()
        self._live = 0
        self._total_length = 0.0

    # ----- editing -------------------------------------------------------------------------
    def upsert(self, slot: int, terms: Sequence[str], *, defer_compaction: bool = False) -> None:
        """Index (or re-index) one document; it is searchable as soon as this returns."""
        with self._lock:
            self._drop(slot)
            counts = Counter(self._term_id(term) for term in terms)
            ids = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
            tfs = np.fromiter(counts.values(), dtype=np.float32, count=len(counts))
            for array in (self._length, self._alive, self._in_base):
                array.ensure(slot + 1)
            self._doc[slot] = (ids, tfs)
            self._df.data[ids] += 1
            self._length.data[slot] = float(tfs.sum())
            self._alive.data[slot] = True
            self._in_base.data[slot] = False
            self._live += 1
            self._total_length += float(tfs.sum())
            for term_id, tf in zip(ids.tolist(), tfs.tolist(), strict=True):
                self._pending.setdefault(term_id, {})[slot] = tf
            self._pending_slots.add(slot)
            if not defer_compaction and len(self._pending_slots) >= self.compact_every:
                self.compact()

    def upsert_many(self, items: Iterable[tuple[int, Sequence[str]]]) -> None:
        with self._lock:
            for slot, terms in items:
                self.upsert(slot, terms, defer_compaction=True)
            self.compact()

    def remove(self, slot: int) -> None:
        with self._lock:
            self._drop(slot)

    def _drop(self, slot: int) -> None:
        old = self._doc.pop(slot, None)
        if old is None:
            return
        ids, tfs = old
        self._df.data[ids] -= 1
        self._alive.data[slot] = False
        self._in_base.data[slot] = False
        self._live -= 1
        self._total_length -= float(tfs.sum())
        if slot in self._pending_slots:
            self._pending_slots.discard(slot)
            for term_id in ids.tolist():
                self._pending[term_id].pop(slot, None)

    def _term_id(self, term: str) -> int:
        term_id = self.vocabulary.get(term)
        if term_id is None:
            term_id = len(self.terms_of_id)
            self.vocabulary[term] = term_id
            self.terms_of_id.append(term)
            self._df.ensure(term_id + 1)
        return term_id

    def compact(self) -> None:
        """Fold the pending documents into a fresh base matrix."""
        with self._lock:
            slots = list(self._doc)
            if slots:
                lengths = [len(self._doc[s][0]) for s in slots]
                rows = np.repeat(np.asarray(slots, dtype=np.int64), lengths)
                cols = np.concatenate([self._doc[s][0] for s in slots])
                data = np.concatenate([self._doc[s][1] for s in slots])
            else:
                rows = cols = np.zeros(0, dtype=np.int64)
                data = np.zeros(0, dtype=np.float32)
            shape = (len(self._alive.data), max(len(self.terms_of_id), 1))
            self._base = sparse.csc_array((data, (rows, cols)), shape=shape, dtype=np.float32)
            self._in_base.data[:] = False
            self._in_base.data[np.asarray(slots, dtype=np.int64)] = True
            self._pending.clear()
            self._pending_slots.clear()

    # ----- querying ------------------------------------------------------------------------
    def __len__(self) -> int:
        return self._live

    def _idf(self, term_ids: np.ndarray) -> np.ndarray:
        df = self._df.data[term_ids].astype(np.float64)
        return np.log1p((self._live - df + 0.5) / (df + 0.5))

    def _weights(self, tf: np.ndarray, slots: np.ndarray, idf: float) -> np.ndarray:
        avgdl = self._total_length / max(self._live, 1)
        norm = self.k1 * (1.0 - self.b + self.b * self._length.data[slots] / max(avgdl, 1e-9))
        return idf * tf * (self.k1 + 1.0) / (tf + norm)

    def query_ids(self, terms: Iterable[str]) -> np.ndarray:
        """Distinct known term ids of a query (BM25 counts each query term once)."""
        known = {self.vocabulary[t] for t in terms if t in self.vocabulary}
        return np.fromiter(sorted(known), dtype=np.int64, count=len(known))

    def scores(self, terms: Iterable[str], size: int | None = None) -> np.ndarray:
        """BM25 score of every slot (0 for dead or non-matching slots), as float64."""
        with self._lock:
            n_slots = len(self._alive.data) if size is None else size
            term_ids = self.query_ids(terms)
            if not len(term_ids) or not self._live:
                return np.zeros(n_slots)
            idfs = self._idf(term_ids)
            base = self._base
            rows_parts, weight_parts = [], []
            for term_id, idf in zip(term_ids.tolist(), idfs.tolist(), strict=True):
                if term_id < base.shape[1]:
                    start, end = base.indptr[term_id], base.indptr[term_id + 1]
                    if end > start:
                        rows = base.indices[start:end]
                        current = self._in_base.data[rows]  # rows edited since compaction are stale
                        rows, tf = rows[current], base.data[start:end][current]
                        rows_parts.append(rows)
                        weight_parts.append(self._weights(tf, rows, idf))
                pending = self._pending.get(term_id)
                if pending:
                    rows = np.fromiter(pending.keys(), dtype=np.int64, count=len(pending))
                    tf = np.fromiter(pending.values(), dtype=np.float64, count=len(pending))
                    rows_parts.append(rows)
                    weight_parts.append(self._weights(tf, rows, idf))
            if not rows_parts:
                return np.zeros(n_slots)
            total = np.bincount(
                np.concatenate(rows_parts), weights=np.concatenate(weight_parts), minlength=n_slots
            )
            return total[:n_slots]

    def best_possible(self, terms: Iterable[str]) -> float:
        """The score a document holding every distinct query term (tf saturated) would reach.

        Terms no indexed document holds count too, at the idf of a term with no document: a query
        whose words are mostly absent from the corpus is poorly covered by whatever shares the rest,
        however small the corpus (one solution sharing only 医生 must not cover a whole need)."""
        with self._lock:
            distinct = set(terms)
            if not distinct or not self._live:
                return 0.0
            term_ids = self.query_ids(distinct)
            unknown = len(distinct) - len(term_ids)
            unknown_idf = float(np.log1p((self._live + 0.5) / 0.5))
            return float((self._idf(term_ids).sum() + unknown * unknown_idf) * (self.k1 + 1.0))

    def contributions(self, terms: Iterable[str], slot: int) -> dict[str, float]:
        """Per-term share of one slot's score: the raw material of the "why matched" line."""
        with self._lock:
            doc = self._doc.get(slot)
            if doc is None:
                return {}
            query = set(self.query_ids(terms).tolist())
            out: dict[str, float] = {}
            slot_array = np.asarray([slot])
            for term_id, tf in zip(doc[0].tolist(), doc[1].tolist(), strict=True):
                if term_id in query:
                    idf = float(self._idf(np.asarray([term_id]))[0])
                    out[self.terms_of_id[term_id]] = float(
                        self._weights(np.asarray([tf]), slot_array, idf)[0]
                    )
            return out
