"""Speed work must not change what is found: detect() on every labeled file gives the recorded spans.

`data/spans_snapshot.json` holds, per file and document, a digest of detect()'s spans (start, end,
type, text, confidence, recognizer) as recorded before the English speed-ups. A deliberate change to
the recognizers changes these digests: regenerate the snapshot with
`python tests/deid_text/test_deid_text_same_spans.py --write` and say so in the commit.
"""

from __future__ import annotations

import hashlib
import json
import sys

import pytest
from deid_text_corpora import DATA, LABELED, PRESIDIO_SET, labeled_texts, presidio_texts

from yizhi.deid.text import detect

# Touches no database: run once, in the SQLite run (tests/conftest.py checks it).
pytestmark = pytest.mark.db_independent

SNAPSHOT = DATA / "spans_snapshot.json"
FILES = LABELED


def _texts(name: str) -> list[str]:
    return presidio_texts() if name == "presidio" else labeled_texts(name)


def digest(spans) -> str:
    rows = [[s.start, s.end, s.type, s.text, s.confidence, s.recognizer] for s in spans]
    return hashlib.sha1(json.dumps(rows, ensure_ascii=False).encode()).hexdigest()[:12]


def _digests(name: str) -> list[str]:
    lang = "zh" if name.startswith("zh") else "en"
    return [digest(detect(text, lang)) for text in _texts(name)]


@pytest.mark.parametrize("name", [*FILES, "presidio"])
def test_detect_gives_the_recorded_spans(name):
    if name == "presidio" and not PRESIDIO_SET.exists():
        pytest.skip("presidio-research set not present")
    expected = json.loads(SNAPSHOT.read_text(encoding="utf-8"))[name]
    got = _digests(name)
    changed = [i for i, (a, b) in enumerate(zip(expected, got)) if a != b]
    assert len(got) == len(expected)
    assert not changed, f"{len(changed)} documents of {name} now give other spans, e.g. #{changed[:10]}"


if __name__ == "__main__" and "--write" in sys.argv:
    names = [*FILES, *(["presidio"] if PRESIDIO_SET.exists() else [])]
    SNAPSHOT.write_text(json.dumps({name: _digests(name) for name in names}) + "\n", encoding="utf-8")


def test_case_insensitive_rules_match_as_before_when_run_on_lower_cased_text():
    import re

    from yizhi.deid.text.recognizers.base import PatternRecognizer, PatternRule

    text = "MRN: AB123, mrn: cd456, ſtaff İD: XY789"
    for pattern, group in ((r"mrn:\s*([a-z]{2}\d+)", 1), (r"MRN:\s*(?P<Value>[A-Z]{2}\d+)", "Value"),
                           (r"\x4dRN:\s*([a-z]{2}\d+)", 1), (r"staff\s+id:\s*(\w+)", 1)):
        regex = re.compile(pattern, re.IGNORECASE)
        rule = PatternRule("RECORD_NUMBER", regex, 0.9, group=group)
        got = [(s.start, s.end) for s in PatternRecognizer("t", frozenset({"en"}), [rule]).find(text)]
        expected = [m.span(group) for m in regex.finditer(text)]
        assert got == expected, pattern
