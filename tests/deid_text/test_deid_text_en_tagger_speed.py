"""The English tagger's fast tokenization (recognizers/english_tagger.py) reads what the plain one reads.

Text all in ASCII is split with an ASCII-only expression (`re` tests ASCII classes by table, faster
than Unicode ones). The reference is the plain reading: ``TOKEN.findall`` over the text and each
token's offset found by walking the text (``offsets``). Compared on every ASCII character, every
labelled English file, the presidio-research set and random texts of words, digits, punctuation and
every ASCII control and space character (the information separators \\x1c-\\x1f are spaces to Unicode
but not to an ASCII \\s).
"""

from __future__ import annotations

import random

import pytest
from deid_text_corpora import corpus_texts

from yizhi.deid.text.recognizers import english_tagger as et

# Touches no database: run once, in the SQLite run (tests/conftest.py checks it).
pytestmark = pytest.mark.db_independent



def _random_texts(count: int, seed: int = 29) -> list[str]:
    rng = random.Random(seed)
    pieces = ["Ana", "Ruiz", "rue", "St.", "x_y", "_", "12", "2024", "O'Neil", "co-op", "Vesivärava", "ΛΕΥΚΩΣΙΑ"]
    pieces += [chr(code) for code in range(128)]

    def text() -> str:
        return "".join(rng.choice(pieces) for _ in range(rng.randint(0, 30)))

    return [text() for _ in range(count)]


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return corpus_texts(("en_dev", "en_test")) + _random_texts(5000)


def test_ascii_expression_splits_every_ascii_character_as_the_unicode_one():
    for code in range(128):
        for text in (chr(code), "a" + chr(code) + "b", chr(code) * 3, " " + chr(code) + "\n1"):
            assert et._ASCII_TOKEN_SPLIT.split(text) == et._TOKEN_SPLIT.split(text), repr(text)


def test_tokens_and_offsets_equal_the_plain_reading(texts):
    ascii_texts = 0
    for text in texts:
        tokens = et.TOKEN.findall(text)
        assert et.tokens_and_starts(text) == (tokens, et.offsets(text, tokens)), repr(text)
        ascii_texts += text.isascii()
    assert 1000 < ascii_texts < len(texts)  # both expressions were exercised
