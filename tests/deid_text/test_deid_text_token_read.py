"""token_read.py: the English word tokens read by one split, their match objects made on demand, are
finditer's (strings, positions and the match objects' answers) on real and random text."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest

from yizhi.deid.text.recognizers.english_words import _TOKEN, _TOKEN_SPLITTER
from yizhi.deid.text.recognizers.token_read import read_tokens, splitter_of

# Touches no database: run once, in the SQLite run (tests/conftest.py checks it).
pytestmark = pytest.mark.db_independent

DATA = Path(__file__).parent / "data"


def _texts() -> list[str]:
    rng = random.Random(3)
    alphabet = list("aZé’'-. ,\n0Ωж中") + ["Dr. ", "O'Neil", "-x", "..", "’s"]
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 40))) for _ in range(400)]
    texts += [json.loads(line)["text"] for line in (DATA / "en_dev.jsonl").read_text(encoding="utf-8").splitlines()[:40]]
    return texts + ["", "a", "...", "Smith"]


def test_tokens_are_finditers():
    for text in _texts():
        words, tokens = read_tokens(_TOKEN, _TOKEN_SPLITTER, text)
        expected = list(_TOKEN.finditer(text))
        assert words == [match.group() for match in expected]
        assert len(tokens) == len(expected)
        assert [(m.start(), m.end(), m.group()) for m in tokens] == [(m.start(), m.end(), m.group()) for m in expected]
        if expected:
            assert tokens[-1].span() == expected[-1].span()
            assert [m.span() for m in tokens[1:3]] == [m.span() for m in expected[1:3]]


def test_splitter_refuses_a_pattern_with_groups():
    with pytest.raises(ValueError):
        splitter_of(re.compile(r"(a)b"))
