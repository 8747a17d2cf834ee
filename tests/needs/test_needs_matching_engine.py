"""Engine behaviour: filters, incremental edits, the "why matched" line, both directions, both languages."""

import time

import pytest

from yizhi.needs.matching.engine import Filters, MatchDocument, MatchingEngine, keys_of

# Touches no database: run once, in the SQLite run (tests/conftest.py checks it).
pytestmark = pytest.mark.db_independent


@pytest.fixture(scope="module")
def engine():
    engine = MatchingEngine()
    engine.upsert_many("solution", [
        MatchDocument("ct", "肺结节CT智能检测", "胸部CT肺结节自动检出与良恶性评估", "imaging", ("ct",), "nmpa_registered"),
        MatchDocument("dr", "DR胸片肺结节筛查", "X线胸片中的肺结节与肺炎识别", "imaging", ("xray",), "prototype"),
        MatchDocument("fundus", "Diabetic retinopathy screening", "fundus photographs graded by AI", "imaging", ("fundus",), "research"),
        MatchDocument("tcm", "中医舌诊仪", "舌象采集与体质辨识", "tcm", ("image",), "product"),
    ])
    engine.upsert_many("need", [
        MatchDocument("n1", "社区糖网筛查", "社区医院用眼底照相筛查糖尿病视网膜病变"),
        MatchDocument("n2", "Lung nodule detection on chest CT", "Our screening centre reads thousands of CT scans"),
    ])
    return engine


def test_cross_language_match_and_why_line(engine):
    best = engine.match("need", "n1", top=1)[0]
    assert best.key == "fundus"
    assert "糖尿病视网膜病变" in best.shared_terms
    assert best.why.startswith("共同关键词：") and "语义相似度" in best.why
    english = engine.match("need", "n2", top=1, lang="en")[0]
    assert english.key == "ct"
    assert english.why.startswith("shared terms:") and "肺结节" in english.shared_terms


def test_hard_filters_exclude_documents(engine):
    assert "ct" not in keys_of(engine.match("need", "n2", filters=Filters(modalities=frozenset({"xray"}))))
    mature = keys_of(engine.match("need", "n2", filters=Filters(min_maturity="product")))
    assert set(mature) <= {"ct", "tcm"}
    assert keys_of(engine.match("need", "n2", filters=Filters(categories=frozenset({"tcm"})))) == ["tcm"]
    assert "ct" not in keys_of(engine.match("need", "n2", filters=Filters(exclude_keys=frozenset({"ct"}))))


def test_unknown_filter_values_are_refused():
    with pytest.raises(ValueError, match="unknown category"):
        Filters(categories=frozenset({"astrology"}))
    with pytest.raises(ValueError, match="unknown maturity"):
        Filters(min_maturity="mature")


def test_solution_side_ranks_needs(engine):
    assert engine.match("solution", "fundus", top=1)[0].key == "n1"


def test_new_and_edited_documents_are_matchable_at_once(engine):
    started = time.perf_counter()
    engine.upsert("solution", MatchDocument("tongue2", "舌象智能分析云平台", "舌诊 舌象 中医"))
    results = engine.match_text("中医舌象分析", "solution", top=2)
    assert time.perf_counter() - started < 1.0
    assert "tongue2" in keys_of(results)
    engine.upsert("solution", MatchDocument("tongue2", "医院停车场管理", "车位引导"))
    assert keys_of(engine.match_text("中医舌象分析", "solution", top=1)) == ["tcm"]
    assert engine.remove("solution", "tongue2")
    assert "tongue2" not in keys_of(engine.match_text("停车场", "solution", top=10, method="bm25"))


def test_unknown_key_is_a_clear_error(engine):
    with pytest.raises(KeyError, match="no need with key 'missing'"):
        engine.match("need", "missing")


def test_why_line_prefers_specific_terms_and_skips_synonym_repeats():
    from yizhi.needs.matching.engine import _top_shared

    shared = _top_shared({"颅内出血": 1.0, "出血": 1.0, "颅内": 1.0, "ct": 1.0, "ai": 0.5, "人工智能": 0.5},
                         synonyms={"ai": "人工智能"})
    assert shared == ("颅内出血", "ct", "人工智能")
