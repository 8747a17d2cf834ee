"""Text analysis: jieba with the medical dictionary, English folding, cross-language synonyms."""

from yizhi.needs.matching.text import default_analyzer, normalize, stem_english

import pytest

# Touches no database: run once, in the SQLite run (tests/conftest.py checks it).
pytestmark = pytest.mark.db_independent


def test_medical_dictionary_keeps_clinical_terms_whole():
    terms = default_analyzer().terms("基于胸部CT的肺结节良恶性分类")
    assert "肺结节" in terms
    assert "良恶性" in terms


def test_english_phrase_adds_the_chinese_canonical_term():
    terms = default_analyzer().terms("Detection of pulmonary nodules on chest CT scans")
    assert "肺结节" in terms  # from "pulmonary nodules"
    assert "ct" in terms
    assert "nodule" in terms  # plural folded


def test_synonym_only_matches_at_word_boundaries():
    # "ai" must not fire inside "detail" or "chain"
    assert "人工智能" not in default_analyzer().terms("supply chain detail")
    assert "人工智能" in default_analyzer().terms("an AI tool")


def test_stopwords_and_numbers_are_dropped():
    terms = default_analyzer().terms("我们希望提供一个 system for the 2026 year")
    assert not {"我们", "希望", "system", "the", "2026"} & set(terms)


def test_full_width_text_is_normalized():
    assert normalize("ＣＴ影像") == "ct影像"
    assert "ct" in default_analyzer().terms("ＣＴ影像")


def test_stemming_is_conservative():
    assert stem_english("studies") == "study"
    assert stem_english("nodules") == "nodule"
    assert stem_english("diagnosis") == "diagnosis"
    assert stem_english("class") == "class"
