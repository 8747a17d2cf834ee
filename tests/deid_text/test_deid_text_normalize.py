"""Normalisation before detection (issue 17, item 8): offsets always map into the original, and an
identifier split by invisible characters, accents or a right-to-left override is still found whole."""

from __future__ import annotations

import unicodedata

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yizhi.deid.text import deidentify, detect
from yizhi.deid.text.normalize import normalise

import pytest

# Touches no database: run once, in the SQLite run (tests/conftest.py checks it).
pytestmark = pytest.mark.db_independent

INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u200e", "\u200f", "\u202a", "\u202c",
             "\u2066", "\u2069"]
COMBINING = ["\u0301", "\u0300", "\u0308", "\u0327", "\u20dd"]
settings.register_profile("deid", deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("deid")


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=80))
def test_the_map_points_into_the_original(text):
    normalised, where = normalise(text)
    if where is None:
        assert normalised == text
        return
    assert len(where) == len(normalised) + 1 and where[-1] == len(text)
    assert all(0 <= position < len(text) for position in where[:-1])


@given(st.text(alphabet=st.sampled_from(list("张三李 John Smith 138 5678 ，。:\n") + INVISIBLE + COMBINING + ["\u202e"]),
               max_size=60))
def test_spans_are_ranges_of_the_original_text(text):
    for span in detect(text, "zh") + detect(text, "en"):
        assert 0 <= span.start < span.end <= len(text)
        assert text[span.start : span.end] == span.text


def _split(value: str, draw_inserts) -> str:
    """``value`` with an invisible character or an accent after some of its characters."""
    pieces = []
    for char, insert in zip(value, draw_inserts):
        pieces.append(char + insert)
    return "".join(pieces) + value[len(draw_inserts):]


@given(st.lists(st.sampled_from(["", *INVISIBLE]), min_size=11, max_size=11))
def test_a_phone_split_by_invisible_characters_is_found(inserts):
    phone = _split("13812345678", inserts)
    text = f"患者联系电话{phone}，已告知。"
    result = deidentify(text, "zh")
    assert "138" not in result.text and "5678" not in result.text, result.text
    start = text.index(phone[:3])
    assert any(span.start <= start and span.end >= start + len(phone) - len(inserts[-1]) for span in result.spans)


@given(st.lists(st.sampled_from(["", *COMBINING, *INVISIBLE]), min_size=2, max_size=2))
def test_a_chinese_name_with_accents_is_found(inserts):
    name = _split("张三", inserts)
    result = deidentify(f"患者{name}，男，58岁，因胸闷入院。", "zh")
    assert "张" not in result.text and "三" not in result.text, result.text


@given(st.lists(st.sampled_from(["", *COMBINING, *INVISIBLE]), min_size=4, max_size=4))
def test_an_english_name_with_accents_is_found(inserts):
    name = _split("John", inserts) + " Smith"
    result = deidentify(f"Pt {name} called from home, wife at bedside.", "en")
    assert "Smith" not in result.text and "Joh" not in result.text, result.text


def test_a_name_behind_a_right_to_left_override_is_found():
    text = "Seen by Dr. \u202ehtimS\u202c today; wife \u202enavaN\u202c called."
    result = deidentify(text, "en")
    assert "htimS" not in result.text and "navaN" not in result.text, result.text


def test_what_is_left_alone():
    for text in ("患者，：（）。", "WBC 10⁹/L, m², ½ tab", "Ⅱ、Ⅲ、aVF导联", unicodedata.normalize("NFC", "naïve café")):
        assert normalise(text)[0] == text, text  # full-width punctuation, superscripts, Roman numerals, precomposed letters
    assert normalise("ＡＢＣ１２３")[0] == "ABC123"
    assert normalise("a\u00a0b")[0] == "a b"
    assert normalise("plain ascii")[1] is None


def test_the_class_of_changed_characters_read_from_disk_is_the_one_built(tmp_path, monkeypatch):
    """normalize._special keeps its ranges on disk (~0.065 s of CPU a process otherwise): the class read
    back is the one built from unicodedata, and a damaged file is built again rather than read."""
    from yizhi.deid.text import normalize

    monkeypatch.setenv("YIZHI_CACHE_DIR", str(tmp_path))
    built = "[" + normalize._special_ranges() + "]|" + normalize._ASTRAL
    normalize._special.cache_clear()
    try:
        assert normalize._special().pattern == built  # built, then written
        (path,) = (tmp_path / "yizhi" / "normalise").glob("*.txt")
        normalize._special.cache_clear()
        assert normalize._special().pattern == built  # read back
        path.write_bytes(path.read_bytes().replace(b"-", b"+", 1))  # damaged: its checksum no longer holds
        normalize._special.cache_clear()
        assert normalize._special().pattern == built
        assert normalise("１３８\u200b1234") == ("1381234", [0, 1, 2, 4, 5, 6, 7, 8])
    finally:
        normalize._special.cache_clear()
