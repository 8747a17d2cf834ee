"""The recognizer plug-in interface: a registered recognizer takes part in detect()."""

import re

from yizhi.deid.text import detect
from yizhi.deid.text.recognizers import PatternRecognizer, PatternRule, register, unregister

import pytest

# Touches no database: run once, in the SQLite run (tests/conftest.py checks it).
pytestmark = pytest.mark.db_independent


def test_registered_recognizer_is_used_and_can_be_removed():
    text = "Ward code KX-4471 noted."
    assert not any(s.text == "KX-4471" for s in detect(text, "en"))
    register(PatternRecognizer("ward_codes", frozenset({"en"}), [PatternRule("RECORD_NUMBER", re.compile(r"KX-\d{4}"), 0.9)]))
    try:
        found = [s for s in detect(text, "en") if s.text == "KX-4471"]
        assert found and found[0].recognizer == "ward_codes" and found[0].type == "RECORD_NUMBER"
    finally:
        unregister("ward_codes")
    assert not any(s.text == "KX-4471" for s in detect(text, "en"))


def test_overlapping_findings_keep_every_character():
    text = "住院号：20240305"
    spans = detect(text, "zh")
    assert len(spans) == 1 and spans[0].type == "RECORD_NUMBER" and spans[0].text == "20240305"
