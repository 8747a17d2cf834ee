"""The pattern rules' Hyperscan gates (recognizers/pattern_gates.py): a rule is skipped when its gate
does not fire, so every gate must fire wherever its rule can match. Checked by running every pattern
recognizer both ways (gated, and every trigger read as before) on every labeled and hand-written file
(the sealed test files too: this compares old code to new, not to gold), MTSamples and random text,
and requiring identical spans; and the pieces the gates are built from, one by one."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest

from yizhi.deid.text import detect
from yizhi.deid.text.pipeline import detect_language
from yizhi.deid.text.recognizers import base, pattern_gates

# Touches no database: run once, in the SQLite run (tests/conftest.py checks it).
pytestmark = pytest.mark.db_independent

hyperscan = pytest.importorskip("hyperscan")

DATA = Path(__file__).parent / "data"
MTSAMPLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "clinical-text" / "en_mtsamples.jsonl"
FILES = ("en_dev", "en_test", "zh_dev", "zh_test", "notes/en_nursing_dev", "notes/en_nursing_dev2",
         "notes/en_nursing_dev3", "notes/en_nursing_test", "notes/zh_notes_dev", "notes/zh_notes_test")


def _file_texts(name: str) -> list[str]:
    return [json.loads(line)["text"] for line in (DATA / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
            if line.strip()]


def _random_texts(count: int, seed: int) -> list[str]:
    """Text made of what the rules look for: digits and separators, the words their expressions begin
    with, Chinese labels, case variants, and characters `re` folds specially."""
    rng = random.Random(seed)
    words = sorted({word for recognizer in _pattern_recognizers() for rule in recognizer.rules
                    for word in (base.start_words(rule.regex) or ())} | {"mrn", "MRN: ", "住院号", "电话", "身份证"})
    alphabet = list("0123456789/.-:()+# ,，。：\n@xX年月日号") + list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
    pieces = ["2024-03-05 ", "03/05/2024", "110101199003071234", "138 0013 8000", "(617) 555-1234", "j.doe@example.org ",
              "www.example.com", "192.168.1.20", "SSN 123-45-6789", "Zip code 02139", "Jan 3, 2021", "4111 1111 1111 1111",
              "京A12345", "12 Main Street", "P-2023-3691", "on 7/21 ", "ſ", "K", "İ", "É", "é"]
    texts = []
    for _ in range(count):
        parts = []
        for _ in range(rng.randrange(3, 40)):
            roll = rng.random()
            parts.append(rng.choice(words) if roll < 0.2 else rng.choice(pieces) if roll < 0.4 else rng.choice(alphabet))
        texts.append("".join(parts))
    return texts


def _pattern_recognizers() -> list[base.PatternRecognizer]:
    return [recognizer for recognizer in base._REGISTRY if isinstance(recognizer, base.PatternRecognizer)]


def _rows(recognizer, text: str) -> list[tuple]:
    return [(s.start, s.end, s.type, s.text, s.confidence, s.recognizer) for s in recognizer.find(text)]


def _both_ways(texts: list[str]) -> tuple[list, list]:
    gated, plain = [], []
    try:
        for flag, out in ((True, gated), (False, plain)):
            base._GATED = flag
            for text in texts:
                out.append([_rows(recognizer, text) for recognizer in _pattern_recognizers()])
    finally:
        base._GATED = True
    return gated, plain


@pytest.mark.parametrize("name", FILES)
def test_gated_pattern_rules_find_what_the_plain_ones_find(name):
    texts = _file_texts(name)
    gated, plain = _both_ways(texts)
    changed = [index for index, (a, b) in enumerate(zip(gated, plain)) if a != b]
    assert not changed, f"{name}: documents {changed[:10]} give other spans with the gates"
    assert any(rows for note in plain for rows in note), "the file holds pattern matches (the check is not empty)"


def test_gated_pattern_rules_on_mtsamples_and_random_text():
    texts = _random_texts(600, 16)
    if MTSAMPLES.exists():
        texts += [json.loads(line)["text"] for line in MTSAMPLES.read_text(encoding="utf-8").splitlines()[:300]]
    gated, plain = _both_ways(texts)
    changed = [texts[index][:80] for index, (a, b) in enumerate(zip(gated, plain)) if a != b]
    assert not changed, f"{len(changed)} texts give other spans with the gates, e.g. {changed[:3]}"
    assert sum(bool(rows) for note in plain for rows in note) > 100


def test_most_rules_are_gated_and_gates_skip_rules():
    """The gates do work: most rules have one, and on an ordinary English note most do not fire."""
    for recognizer in _pattern_recognizers():
        gates = recognizer._plan().gates
        fired = gates.fired("Patient seen in clinic today, doing well.")
        assert fired is not None
        assert len(gates._ungated) < len(recognizer.rules) / 2, recognizer.name
        assert sum(fired) <= len(gates._ungated) + 2, recognizer.name


def test_gate_expressions_drop_zero_width_tests_and_refuse_what_they_cannot_bound():
    gate = pattern_gates.gate_expression
    assert gate(re.compile(r"(?<![\d.])\d{3}\b(?!-)")) == "(?:[0-9\\x{80}-\\x{10ffff}]){3,3}"
    assert gate(re.compile(r"MRN:\s*[A-Z]\d+", re.IGNORECASE)).startswith("MRN\\x{3a}")
    for pattern, flags in ((r"(?:|a)\d?", 0), (r"\d", re.ASCII), (r"\b", 0), (r"(a)?(?(1)b|c)", 0)):
        with pytest.raises(pattern_gates._NoGate):
            gate(re.compile(pattern, flags))
    # a letter beyond ASCII read case-insensitively: any character beyond ASCII, and the ASCII ones `re` matches
    assert gate(re.compile("\u212a", re.IGNORECASE)) == "[\\x{80}-\\x{10ffff}Kk]"
    assert gate(re.compile(r"(\d)-\1")) == "(?:[0-9\\x{80}-\\x{10ffff}])\\x{2d}(?:[0-9\\x{80}-\\x{10ffff}])"


# Expressions with what the gates once refused (back-references, inline flags, cased letters beyond
# ASCII read case-insensitively, empty branches), each with the pieces its random strings are built from.
_HARD = [
    (r"\d(?<![\d./-]\d)\d?([-/.])\d{1,2}\1(?:\d{4}|\d{2})", 0, ["1", "3/", "12/", "4-", "12-", "5.", "2024", "24", "/", "-", " ", "x"]),
    (r"\b(?i:phone|tel\.?)[ :]*(\d{3})-\1", 0, ["phone", "PHONE", "Tel.", "tEl", ": ", " ", "123-", "123", "124", "x"]),
    (r"(?i:zip(?:[ ]?code)?)[ ]?\d{5}|(?-i:ZZ)x", re.IGNORECASE, ["zip", "ZIP code", "Zip", "ZZ", "zz", "x", "X", " ", "12345"]),
    (r"(?:út|utca|tér)[ ]\d{1,4}\.?|[sș]oseaua \d|Ärzte", re.IGNORECASE,
     ["út", "ÚT", "utca", "UTCA", "TÉR", "tér", "ter", "ș", "Ș", "S", "oseaua", "OSEAUA", "ärzte", "ÄRZTE", " ", "12", "."]),
    (r"[à-ÿ][^éa]\d|straße \d", re.IGNORECASE, ["à", "À", "é", "É", "a", "A", "b", "straße", "STRASSE", "STRAẞE", " ", "1"]),
    (r"(?:号码|号)\d{2}|(?:(?<=[12])\d|(?<=3)[01]|(?<=[1-9]))(?:st|nd)", 0, ["号码", "号", "12", "3", "0", "st", "ND", "nd", " x"]),
    (r"a(?s:.)b|c.d", 0, ["a", "b", "c", "d", "\n", "x"]),
    (r"k\d|s\d", re.IGNORECASE, ["k", "K", "s", "S", "\u212a", "\u017f", "1", " "]),
]


def _gate(regex: re.Pattern[str]):
    """The rule's gate alone, as a function of a text scanned as Gates.fired scans it (padded), without its
    skipping of mostly non-ASCII text (those pieces are what is tested here)."""
    database = hyperscan.Database()
    database.compile(expressions=[pattern_gates.gate_expression(regex).encode()], ids=[0],
                     flags=[pattern_gates._flags(regex)])

    def fires(text: str) -> bool:
        data = text.encode("utf-8")
        data += b"\n" * max(0, pattern_gates._SMALL_WRITE_LIMIT - len(data))
        hits = []
        database.scan(data, match_event_handler=lambda *args: hits.append(1))
        return bool(hits)

    return fires


@pytest.mark.parametrize("pattern, flags, pieces", _HARD)
def test_gates_of_hard_expressions_fire_wherever_re_matches(pattern, flags, pieces):
    regex = re.compile(pattern, flags)
    fires = _gate(regex)
    rng = random.Random(pattern)
    matched = 0
    for _ in range(1500):
        text = "".join(rng.choice(pieces) for _ in range(rng.randrange(1, 12)))
        if regex.search(text) and not pattern_gates._SPECIAL_FOLDS.search(text):  # (those run ungated)
            matched += 1
            assert fires(text), (pattern, text)
    assert matched >= 20, "the strings exercise the expression"


def test_hard_gates_stay_narrow_on_plain_english():
    """The gates still skip: ASCII text without the pieces does not fire a gate read from non-ASCII letters."""
    for pattern, flags, _ in _HARD[3:5]:
        assert not _gate(re.compile(pattern, flags))("Patient seen in clinic today, doing well, street 12.")


def test_short_texts_are_padded_for_hyperscans_small_write_engine():
    gates = pattern_gates.Gates([re.compile("ab.|st")])
    assert all(gates.fired("q" * count + "st")[0] for count in range(0, 100))
    raw = hyperscan.Database()  # (the engine's miss itself: if a new wheel fixes it, the padding can go)
    raw.compile(expressions=[b"ab.|st"], ids=[0], flags=[hyperscan.HS_FLAG_SINGLEMATCH])
    hits = []
    raw.scan(b"q" * 15 + b"st", match_event_handler=lambda *args: hits.append(1))
    assert not hits


def test_every_rule_has_a_gate_that_fires_on_its_own_matches():
    """Each rule's gate fires on every text of the dev files and random text where its expression matches
    (validators and triggers aside: a gate that misses would otherwise hide behind them)."""
    texts = _random_texts(300, 5) + [text for name in ("en_dev", "notes/en_nursing_dev2", "notes/en_nursing_dev5")
                                     for text in _file_texts(name)]
    checked = 0
    for recognizer in _pattern_recognizers():
        gates = recognizer._plan().gates
        assert not gates._ungated, recognizer.name
        for text in texts:
            fired = gates.fired(text)
            if fired is None:
                continue
            for index, regex in enumerate(gates.expressions):
                if not fired[index] and regex.search(text) is not None:
                    pytest.fail(f"{recognizer.name} rule {index} matches {text[:60]!r} but its gate did not fire")
                checked += 1
    assert checked > 10_000


def _members(cls: str) -> set[str]:
    database = hyperscan.Database()
    database.compile(expressions=[f"[{cls}]".encode()], ids=[0], flags=[hyperscan.HS_FLAG_UTF8])
    hits = set()
    for code in list(range(0x80)) + [0x85, 0xA0, 0x660, 0x3000, 0x4E00, 0xFF10, 0x1D7CE]:
        database.scan(chr(code).encode("utf-8"), match_event_handler=lambda *args, c=code: hits.add(chr(c)))
    return hits


@pytest.mark.parametrize("category, expression", [("DIGIT", r"\d"), ("NOT_DIGIT", r"\D"), ("WORD", r"\w"),
                                                  ("NOT_WORD", r"\W"), ("SPACE", r"\s"), ("NOT_SPACE", r"\S")])
def test_class_tables_bound_the_python_classes(category, expression):
    """Every ASCII character in exactly when `re` says so; beyond ASCII every character in the superset
    and none in the subset (so a negated class stays a superset)."""
    key = getattr(pattern_gates._c, f"CATEGORY_{category}")
    superset, subset = _members(pattern_gates._SUPERSET[key]), _members(pattern_gates._SUBSET[key])
    python = re.compile(expression)
    for code in range(0x80):
        char = chr(code)
        assert (char in superset) == (char in subset) == bool(python.match(char)), (category, code)
    beyond = {chr(code) for code in (0x85, 0xA0, 0x660, 0x3000, 0x4E00, 0xFF10, 0x1D7CE)}
    assert beyond <= superset and not beyond & subset


def test_special_case_folds_and_surrogates_run_every_rule():
    gates = _pattern_recognizers()[0]._plan().gates
    for text in ("Kelvin \u212a 12", "ſtaff 12", "lone \ud800 surrogate"):
        assert gates.fired(text) is None


def test_detect_with_and_without_gates_on_special_folds():
    text = "MRN: ab123, ſtaff İD: XY789, \u212aelvin 2024-03-05, phone 138 0013 8000"
    gated = detect(text, "en")
    try:
        base._GATED = False
        plain = detect(text, "en")
    finally:
        base._GATED = True
    assert gated == plain and gated


def _old_detect_language(text: str) -> str:
    sample = text[:4000]
    cjk = len(re.findall(r"[\u4e00-\u9fff]", sample))
    latin = len(re.findall(r"[A-Za-z]", sample))
    return "zh" if cjk and cjk * 10 >= (cjk + latin) else "en"


def test_language_detection_counts_as_before():
    rng = random.Random(7)
    alphabet = list("abcXYZ 12,.é中文患者，。ＡＢ\u3400\u9fff\ua000") + ["Ω", "ß", "\U0001f600"]
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 60))) for _ in range(3000)]
    texts += ["a" * 3999 + "中", "中" * 400 + "a" * 3600, "中" * 401 + "a" * 3600, "x" * 4000 + "中文" * 10]
    texts += _file_texts("zh_dev")[:50] + _file_texts("en_dev")[:50]
    for text in texts:
        assert detect_language(text) == _old_detect_language(text), text


def test_common_words_read_as_line_by_line():
    """chinese._common_words reads jieba's dictionary with one expression; the same words as split()
    line by line (the tagger gate's answers depend on them)."""
    import jieba

    from yizhi.deid.text.recognizers.chinese import CLINICAL_PREFIXES, NOT_NAMES, _common_words

    words = set(NOT_NAMES) | set(CLINICAL_PREFIXES)
    with jieba.get_dict_file() as handle:
        for raw in handle:
            word, freq, tag = raw.decode("utf-8").split()
            if 2 <= len(word) <= 4 and int(freq) >= 5 and not tag.startswith("nr"):
                words.add(word)
    assert _common_words() == frozenset(words) and len(words) > 50_000


def test_mostly_chinese_notes_run_ungated_and_english_ones_gated():
    gates = _pattern_recognizers()[0]._plan().gates
    assert gates.fired("患者张三，男，45岁，电话13800138000，于2024年3月5日入院。") is None
    assert gates.fired("Seen on 2024-03-05 by Dr. Smith, café au lait spots noted.") is not None
