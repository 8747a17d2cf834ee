"""Ranking quality on the held-out part of the labeled set (never used for tuning), categories hidden."""

from yizhi.needs.matching.categories import CategorySuggester
from yizhi.needs.matching.engine import keys_of
from yizhi.needs.matching.evaluation import ranking_quality, split_of

import pytest

# Touches no database: run once, in the SQLite run (tests/conftest.py checks it).
pytestmark = pytest.mark.db_independent


def _quality(engine, needs, split, method):
    subset = [n for n in needs if n.split == split]
    rankings = [keys_of(engine.match("need", n.doc.key, top=10, method=method)) for n in subset]
    return ranking_quality(rankings, [n.relevant for n in subset])


def test_eval_set_is_big_enough_and_split(eval_set):
    solutions, needs, _ = eval_set
    assert len(solutions) >= 90 and len(needs) >= 60
    heldout = [n for n in needs if n.split == "heldout"]
    assert 0.4 * len(needs) <= len(heldout) <= 0.8 * len(needs)
    assert all(n.relevant <= {s.key for s in solutions} for n in needs)
    assert all(n.doc.category is None for n in needs)  # categories hidden


def test_split_is_a_fixed_function_of_the_id():
    assert split_of("N001") == split_of("N001")
    assert {split_of(f"N{i:03d}") for i in range(1, 40)} == {"dev", "heldout"}


def test_fused_meets_the_targets_on_heldout(eval_set, eval_engine):
    quality = _quality(eval_engine, eval_set[1], "heldout", "fused")
    assert quality.hit_at_1 >= 0.85, quality
    assert quality.hit_at_3 >= 0.95, quality


def test_fusion_is_not_worse_than_either_retriever_on_heldout(eval_set, eval_engine):
    fused = _quality(eval_engine, eval_set[1], "heldout", "fused")
    for method in ("bm25", "dense"):
        single = _quality(eval_engine, eval_set[1], "heldout", method)
        assert fused.mrr >= single.mrr - 0.02, (method, single, fused)


def test_category_suggestion_on_labeled_records(eval_set):
    solutions, needs, labels = eval_set
    suggester = CategorySuggester()
    docs = solutions + [n.doc for n in needs]
    top1 = sum(suggester.suggest(d.dense_text(), top=1)[0].category == labels[d.key] for d in docs)
    assert top1 / len(docs) >= 0.75
