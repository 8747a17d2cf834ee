"""The incremental BM25 index scores exactly like the textbook formula, whatever the edit history."""

import math
from collections import Counter

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from yizhi.needs.matching.bm25 import BM25Index

import pytest

# Touches no database: run once, in the SQLite run (tests/conftest.py checks it).
pytestmark = pytest.mark.db_independent

K1, B = 1.2, 0.75


def reference_scores(docs: dict[int, list[str]], query: list[str], size: int) -> np.ndarray:
    """Lucene BM25 written out directly from the definition."""
    n = len(docs)
    avgdl = sum(len(t) for t in docs.values()) / n
    df = Counter(term for terms in docs.values() for term in set(terms))
    out = np.zeros(size)
    for slot, terms in docs.items():
        tf = Counter(terms)
        for term in set(query):
            if tf[term]:
                idf = math.log(1 + (n - df[term] + 0.5) / (df[term] + 0.5))
                out[slot] += idf * tf[term] * (K1 + 1) / (tf[term] + K1 * (1 - B + B * len(terms) / avgdl))
    return out


WORDS = st.sampled_from(["肺结节", "ct", "筛查", "糖尿病", "眼底", "病理", "随访", "ai"])
DOC = st.lists(WORDS, min_size=1, max_size=8)
EDIT = st.tuples(st.sampled_from(["upsert", "remove"]), st.integers(0, 9), DOC)


@settings(max_examples=60, deadline=None)
@given(edits=st.lists(EDIT, min_size=1, max_size=30), compact_every=st.integers(1, 5), query=st.lists(WORDS, min_size=1, max_size=4))
def test_scores_equal_reference_after_any_edit_history(edits, compact_every, query):
    index = BM25Index(k1=K1, b=B, compact_every=compact_every)
    docs: dict[int, list[str]] = {}
    for action, slot, terms in edits:
        if action == "upsert":
            index.upsert(slot, terms)
            docs[slot] = terms
        else:
            index.remove(slot)
            docs.pop(slot, None)
    got = index.scores(query, size=10)
    if not docs:
        assert not got.any()
        return
    np.testing.assert_allclose(got, reference_scores(docs, query, 10), rtol=1e-5, atol=1e-6)
    assert len(index) == len(docs)


def test_contributions_add_up_to_the_score():
    index = BM25Index()
    index.upsert_many([(0, ["肺结节", "ct", "筛查"]), (1, ["眼底", "筛查"]), (2, ["病理"])])
    query = ["肺结节", "筛查", "不存在"]
    parts = index.contributions(query, 0)
    assert set(parts) == {"肺结节", "筛查"}
    assert math.isclose(sum(parts.values()), index.scores(query)[0], rel_tol=1e-6)


def test_unknown_terms_score_nothing():
    index = BM25Index()
    index.upsert(0, ["ct"])
    assert not index.scores(["mri"]).any()
