"""Speed-ups of the third Chinese pass, each checked against the plain computation: the pattern plans'
start words read from the disk cache, the scanner's byte-to-character offsets counted from one offset to
the next, and an unlisted 身份证 region answered without stdnum's database."""

from __future__ import annotations

import random

import pytest

from yizhi.deid.text.recognizers import base, scanner, validators
from yizhi.deid.text.recognizers.patterns import chinese_recognizer, english_recognizer, shared_recognizer

# Touches no database: run once, in the SQLite run (tests/conftest.py checks it).
pytestmark = pytest.mark.db_independent


def _plain_start_words(rules):
    return [base.start_words(rule.regex) if rule.use_start_words else None for rule in rules]


def test_start_words_read_back_from_the_cache_and_a_damaged_file_is_rebuilt(tmp_path, monkeypatch):
    monkeypatch.setenv("YIZHI_CACHE_DIR", str(tmp_path))
    rules = [rule for make in (shared_recognizer, chinese_recognizer, english_recognizer) for rule in make().rules]
    plain = _plain_start_words(rules)
    assert any(words for words in plain) and None in plain  # (both kinds are compared)
    assert base._start_words_of(rules) == plain  # built, then written
    (path,) = (tmp_path / "yizhi" / "start_words").glob("*.json")
    assert base._start_words_of(rules) == plain  # read back
    path.write_bytes(path.read_bytes().replace(b'"', b"'", 1))  # damaged: its checksum no longer holds
    assert base._start_words_of(rules) == plain
    assert base._start_words_of(rules[:3]) == plain[:3]  # other rules, another file


def _plain_offsets(data: bytes, offsets):
    return {offset: len(data[:offset].decode("utf-8")) for offset in offsets}


@pytest.mark.parametrize("seed", range(3))
def test_byte_offsets_become_the_character_offsets(seed):
    rng = random.Random(seed)
    alphabet = "ab 1。患者张三é€😀\n"
    for _ in range(200):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 60)))
        data = text.encode("utf-8")
        boundaries = [len(text[:index].encode("utf-8")) for index in range(len(text) + 1)]
        offsets = set(rng.sample(boundaries, min(len(boundaries), rng.randrange(1, 8))))
        assert scanner._byte_to_char(data, offsets) == _plain_offsets(data, offsets)


def test_unlisted_regions_are_answered_as_stdnum_answers():
    from stdnum.cn import ric
    from stdnum.exceptions import ValidationError

    assert validators._unlisted_may_have_county() is False  # (stdnum's data today: the fast path is taken)
    rng = random.Random(5)
    listed = {code for province in range(100) for code in validators._counties_in_province(f"{province:02d}")}
    unlisted = [code for code in (f"{rng.randrange(1_000_000):06d}" for _ in range(400)) if code not in listed]
    assert len(unlisted) > 100
    for region in unlisted:
        try:
            ric.get_birth_place(region + "19800101")
            stdnum_knows = True
        except (ValidationError, KeyError):
            stdnum_knows = False
        validators._birth_place_known.cache_clear()
        assert validators._birth_place_known(region, "1980") is stdnum_knows is False
