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


def _dev_notes() -> list[str]:
    import json
    from pathlib import Path

    data = Path(__file__).parent / "data"
    return [json.loads(line)["text"] for name in ("zh_dev.jsonl", "notes/zh_notes_dev.jsonl")
            for line in (data / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def _random_texts(seed: int, alphabet: str, count: int) -> list[str]:
    rng = random.Random(seed)
    # (U+6100 then U+4E00 hold the unit of "a" one byte in: a match across units must be dropped)
    return ["".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 60))) for _ in range(count)]


def test_chinese_anchors_scanned_in_utf32_as_in_utf8(monkeypatch):
    pytest.importorskip("hyperscan")
    from yizhi.deid.text.recognizers import chinese_context

    anchors = chinese_context._ANCHORS
    assert anchors._unit_database() is not None  # (every Chinese anchor is rewritten: the test compares)
    alphabet = "患者张三在于丈夫儿子先生女士厂公司大学 1920.-0123456789１２٣姓名：:\n\t愀一a\u6100\u4e00\x00😀éÉ"
    for text in _dev_notes() + _random_texts(11, alphabet, 3000):
        monkeypatch.setattr(scanner, "_UNITS", True)
        units = anchors.scan(text)
        monkeypatch.setattr(scanner, "_UNITS", False)
        assert units == anchors.scan(text), text


def test_place_names_scanned_in_utf32_as_in_utf8(monkeypatch):
    pytest.importorskip("hyperscan")
    from yizhi.deid.text.recognizers import chinese_address, literal_scan

    places = chinese_address._place_scanner()
    rng = random.Random(12)
    words = list(places.words)
    mixed = ["".join(rng.choice(words) if rng.random() < 0.3 else rng.choice("在于a1 。愀一\u6100\u4e00😀")
                     for _ in range(rng.randrange(1, 30))) for _ in range(2000)]
    for text in _dev_notes() + mixed:
        monkeypatch.setattr(literal_scan, "_UNITS", True)
        units = places.longest(text)
        monkeypatch.setattr(literal_scan, "_UNITS", False)
        assert units == places.longest(text), text


def test_unit_expressions_match_the_characters_of_their_class():
    """Each class rewritten over units matches the unit of exactly its characters (ranges across the
    byte boundaries of a code point, categories, ASCII case)."""
    hyperscan = pytest.importorskip("hyperscan")
    import re

    from yizhi.deid.text.recognizers.unit_scan import NotUnitwise, unit_expression

    probes = [chr(code) for code in (0, 9, 10, 13, 32, 48, 57, 65, 90, 95, 97, 122, 0xFF, 0x100, 0x3000, 0x4DFF, 0x4E00,
                                     0x6100, 0x9FFF, 0xA000, 0xFF10, 0xFFFF, 0x10000, 0x1F600, 0x10FFFF)]
    for pattern, caseless, expected in (
        (r"[\u4e00-\u9fff]", False, r"[\u4e00-\u9fff]"), (r"[\x00-\u4e00]", False, r"[\x00-\u4e00]"),
        (r"[\u00ff-\U0001f600]", False, r"[\u00ff-\U0001f600]"), (r"\d", False, r"[0-9]"),
        (r"\s", False, r"[\t\n\x0b\x0c\r ]"), (r"\w", False, r"[0-9A-Za-z_]"), ("a", True, "[aA]"), ("[A-Z]", True, "[a-zA-Z]"),
    ):
        database = hyperscan.Database()
        database.compile(expressions=[unit_expression(pattern, caseless).encode()], ids=[0],
                         flags=[hyperscan.HS_FLAG_SOM_LEFTMOST])
        for probe in probes:
            hits = []
            database.scan(probe.encode("utf-32-le"), match_event_handler=lambda *match: hits.append(match[1:3]))
            assert (hits == [(0, 4)]) == bool(re.fullmatch(expected, probe)), (pattern, hex(ord(probe)), hits)
    for unsupported in (r"\bx", "a.b", "[^a]", "(?<=a)b", "a+?", "(?i)a"):
        with pytest.raises(NotUnitwise):
            unit_expression(unsupported)


def test_a_chinese_note_does_not_make_the_pattern_gates():
    """A process reading only Chinese notes never writes the gates' expressions (they are not used there)."""
    pytest.importorskip("hyperscan")
    from yizhi.deid.text.recognizers.pattern_gates import Gates

    gates = Gates([rule.regex for rule in shared_recognizer().rules])
    assert gates.fired("患者张三，男，45岁，电话13800138000，于2024年3月5日入院。") is None and not gates._ready
    assert gates.fired("Seen on 2024-03-05 by Dr. Smith.") is not None and gates._ready


def _name_before_by_fullmatch(text: str, title_start: int):
    """chinese._name_before as it was: each candidate length tested for Chinese characters by a regex."""
    import re

    from yizhi.deid.text.recognizers import chinese

    family, run = chinese.surnames(), re.compile(r"[\u4e00-\u9fff]+")
    for length in (4, 3, 2, 1):
        start = title_start - length
        candidate = text[start:title_start] if start >= 0 else ""
        if start < 0 or not run.fullmatch(candidate):
            continue
        if not chinese._STOP_CHARS.isdisjoint(candidate[1:]) or (
                candidate[0] in chinese._STOP_CHARS and candidate[0] not in chinese._FIRST_CHAR_OK):
            continue
        if chinese._starts_clinical(text, start) or candidate in chinese._ROLE_WORDS \
                or text[start - 1 : title_start] in chinese._ROLE_WORDS:
            continue
        if candidate[:2] in family and len(candidate[:2]) == 2:
            return start, title_start
        if candidate[0] in family and length <= 3:
            return start, title_start
    return None


def test_name_before_a_title_as_with_a_regex_per_length():
    from yizhi.deid.text.recognizers import chinese

    alphabet = "张王欧阳李先生女士主任医师护士长副主任 ，。1a\u9fff\u4e00\u9fa5\u3400"
    for text in _dev_notes()[:100] + _random_texts(13, alphabet, 1500):
        for position in range(len(text) + 1):
            assert chinese._name_before(text, position) == _name_before_by_fullmatch(text, position), (text, position)
