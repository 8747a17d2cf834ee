"""Rules tried only where long digit runs begin (``PatternRule.run_start``) find what a plain scan finds.

The reference is ``rule.regex.finditer(text)`` on the whole text (test_deid_text_en_speed's
reference_find). Texts: every labeled file, the presidio-research set, and random digit-heavy texts
mixing ASCII digits with digits outside ASCII (full-width "１", Arabic-Indic "٣") next to and inside
runs, which the Chinese ID rules' look-behind lets stand before a match.
"""

from __future__ import annotations

import random
import re

import pytest
import test_deid_text_en_speed as en_speed  # this folder is on the path (conftest.py)
from deid_text_corpora import corpus_texts

from yizhi.deid.text.recognizers import base, patterns

# Touches no database: run once, in the SQLite run (tests/conftest.py checks it).
pytestmark = pytest.mark.db_independent


_outcome, fast_find, reference_find = en_speed._outcome, en_speed.fast_find, en_speed.reference_find

RUN_RULES = [rule for rule in (*patterns.SHARED_RULES, *patterns.ZH_RULES, *patterns.EN_RULES) if rule.run_start]


def _digit_texts(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    pieces = ["1", "19", "20", "0", "8", "x", "X", "A", "a", " ", "-", ".", ",", "/", "年", "号", "１", "٣", "ID ", "卡号"]

    def digits(count: int) -> str:
        return "".join(rng.choice("0123456789１٣") if rng.random() < 0.05 else rng.choice("0123456789") for _ in range(count))

    def grouped() -> str:
        """An ID, card or date shape, its groups apart or not ("110101 1990 0307 451X", "2024-01-02")."""
        groups = rng.choice([[6, 4, 4, 3], [4, 4, 4, 4, 3], [4, 3, 4], [4, 2, 2], [8], [15], [6, 8, 3], [9]])
        parts = [digits(n) for n in groups]
        if groups[0] in (4, 6, 8) and rng.random() < 0.5:  # a year where the shapes want one
            at = 1 if groups[0] == 6 else 0
            parts[at] = rng.choice(["18", "19", "20"]) + parts[at][2:]
        return "".join(part + rng.choice(["", " ", "-", "/", "."]) for part in parts) + rng.choice(["", "X", "x", "年"])

    def piece() -> str:
        if rng.random() < 0.25:
            return grouped()
        if rng.random() < 0.6:
            return "".join(rng.choice("0123456789１٣") if rng.random() < 0.1 else rng.choice("0123456789")
                           for _ in range(rng.choice([1, 3, 4, 5, 6, 8, 9, 14, 15, 17, 18, 19])))
        return rng.choice(pieces)

    return ["".join(piece() for _ in range(rng.randint(1, 25))) for _ in range(count)]


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return corpus_texts(presidio_every=4) + _digit_texts(3000, seed=11)


def test_there_are_rules_tried_at_run_starts():
    assert len(RUN_RULES) >= 5 and all(rule.run_start >= base._SHORTEST_RUN_KEPT for rule in RUN_RULES)


def test_run_start_rules_find_what_a_plain_scan_finds(texts):
    for rule in RUN_RULES:
        differing = [text for text in texts if _outcome(fast_find, [rule], text) != _outcome(reference_find, rule, text)]
        assert not differing, (rule.regex.pattern[:80], differing[:3])


def test_digit_runs_are_the_runs_of_four_or_more(texts):
    for text in texts:
        longest, runs = base._digit_runs(text)
        plain = [(start, end) for start, end in _plain_runs(text) if end - start >= 4]
        if runs is None:
            assert any(not text[start:end].isascii() for start, end in plain), text
        else:
            assert runs == plain, text
        most = max((end - start for start, end in _plain_runs(text)), default=0)
        assert longest == (most if most >= 5 else min(most, 1)), text


def _plain_runs(text: str) -> list[tuple[int, int]]:
    runs, start = [], None
    for index, char in enumerate(text + " "):  # (the space ends a run at the end of the text)
        if char.isdecimal():  # (`re`'s \d: Unicode's decimal digits)
            start = index if start is None else start
        elif start is not None:
            runs.append((start, index))
            start = None
    return runs


def test_a_rule_without_a_run_start_scans_the_whole_text():
    """A run_start below four is ignored (the runs kept are those of four or more)."""
    rule = base.PatternRule("ID_NUMBER", re.compile(r"\d(?<!\d\d)\d{2}X"), 0.9, run_start=3)
    assert [span[:2] for span in fast_find([rule], "ab 123X 4567")] == [(3, 7)]


def test_run_start_rules_match_only_where_long_runs_begin(texts):
    """The premise itself, before any validator: every match of the expression begins where the runs
    of run_start digits begin (or the text holds a long run with a digit outside ASCII)."""
    for rule in RUN_RULES:
        for text in texts:
            runs = base._digit_runs(text)[1]
            if runs is None:
                continue
            tried = [match.span() for match in base._matches_at(rule.regex, text, base._run_starts(runs, rule.run_start))]
            assert tried == [match.span() for match in rule.regex.finditer(text)], (rule.regex.pattern[:60], text)


TRIGGER_RULES = [rule for rule in (*patterns.SHARED_RULES, *patterns.ZH_RULES, *patterns.EN_RULES) if rule.trigger_run]


def test_triggers_read_from_runs_answer_as_their_search(texts):
    assert len(TRIGGER_RULES) >= 3
    for rule in TRIGGER_RULES:
        at_end, shift, needed = base._trigger_run(rule)
        for text in texts:
            runs = base._digit_runs(text)[1]
            if runs is None:
                continue
            passes = base._passes_at_runs(rule.trigger.match, text, runs, at_end, shift, needed)
            assert passes == (rule.trigger.search(text) is not None), (rule.trigger.pattern, text)


def test_steps_chosen_with_runs_are_the_steps_chosen_by_searching(texts):
    recognizers = [r for lang in ("en", "zh") for r in base.registered(lang) if isinstance(r, base.PatternRecognizer)]
    for text in texts[::2]:
        lower, foldable, found, longest, runs, _ = base._read_all(text)
        for recognizer in recognizers:
            plan = recognizer._plan()
            assert base._steps_to_run(plan, text, lower, foldable, found, longest, runs) == base._steps_to_run(
                plan, text, lower, foldable, found, longest), (recognizer.name, text)


def test_a_malformed_trigger_run_is_refused():
    rule = base.PatternRule("ID_NUMBER", re.compile(r"\d{3}-\d{4}"), 0.9, trigger=re.compile(r"\d-\d"), trigger_run=("middle", 0, 4))
    with pytest.raises(ValueError):
        list(base.PatternRecognizer("t", frozenset({"en"}), [rule]).find("123-4567"))


def test_ascii_kin_holds_every_character_re_folds_to_an_ascii_letter():
    """Brute force over every code point: which characters outside ASCII match [a-z] ignoring case."""
    letters = re.compile("[a-z]", re.IGNORECASE)
    kin = {chr(code) for code in range(0x80, 0x110000) if letters.match(chr(code))}
    assert kin and all(base._ASCII_KIN.match(char) for char in kin), kin


def _greek_texts(count: int, seed: int) -> list[str]:
    """Chinese-note-like texts with the special characters of case folding: μ and µ (as in μmol/L),
    Greek capitals and final sigma, and the ASCII kin ı, ſ, K, İ, next to labels and numbers."""
    rng = random.Random(seed)
    words = ["μmol/L", "µg", "ΣΑΣ", "Σ", "ς", "Μ", "ı", "ſ", "\u212a", "İ", "ID", "id", "MRN", "mrn", "Tel", "phone", "SSN",
             "住院号", "身份证号", "电话", "卡号", "card", "Acct", "Serial", "S/N", "plate", "WeChat", "passport", "age", "Age",
             "street", "Apt", "Suite", "zip", "ul.", "via", "ſtreet", "Kase", "aſ", ": ", " ", "：", "-", "\n", "号"]

    def piece() -> str:
        if rng.random() < 0.4:
            return "".join(rng.choice("0123456789") for _ in range(rng.choice([2, 4, 5, 6, 8, 11])))
        return rng.choice(words)

    return ["".join(piece() for _ in range(rng.randint(1, 20))) for _ in range(count)]


def test_rules_with_ascii_letters_read_the_lower_cased_text_as_the_plain_scan(texts):
    rules = list({id(rule): rule for rule in (*patterns.SHARED_RULES, *patterns.ZH_RULES, *patterns.EN_RULES)}.values())
    greek = _greek_texts(3000, seed=5)
    assert sum(not base._foldable(t, t.lower()) and base._folds_for_ascii(t, t.lower()) for t in greek) > 500
    for rule in rules:
        differing = [text for text in greek if _outcome(fast_find, [rule], text) != _outcome(reference_find, rule, text)]
        assert not differing, (rule.regex.pattern[:80], differing[:3])


def test_an_expression_with_letters_outside_ascii_reads_the_text_itself():
    """A range of Greek letters holds β, to which `re` folds the beta symbol ϐ; lower-casing keeps ϐ:
    only expressions whose letters are all ASCII may read the lower-cased text of such a note."""
    rule = base.PatternRule("ID_NUMBER", re.compile(r"[α-ω]{3}\d", re.IGNORECASE), 0.9)
    text = "μmol ϐϐϐ7"
    assert not base._foldable(text, text.lower()) and base._folds_for_ascii(text, text.lower())
    assert base._folded(rule.regex) is not None  # (the expression alone would be read folded)
    assert [found[:2] for found in fast_find([rule], text)] == [found[:2] for found in reference_find(rule, text)] == [(5, 9)]


def test_rewritten_triggers_occur_where_their_earlier_forms_do(texts):
    earlier = [(patterns.GENERIC_PHONE, r"\d(?:(?<=\d[ .-]\d)|(?<=\d\)[ .-]\d))\d")]
    rng = random.Random(3)
    shapes = ["".join(rng.choice("0123456789 .-)(/x１") for _ in range(rng.randint(1, 12))) for _ in range(20000)]
    for rule, form in earlier:
        form = re.compile(form)
        for text in texts + shapes:
            assert (rule.trigger.search(text) is None) == (form.search(text) is None), text


def test_luhn_sum_is_the_plain_sum():
    from yizhi.deid.text.recognizers import validators

    def plain(digits: str) -> int:
        total = 0
        for place, char in enumerate(reversed(digits)):
            value = int(char) * (2 if place % 2 else 1)
            total += value // 10 + value % 10
        return total

    rng = random.Random(9)
    for _ in range(20000):
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(0, 25)))
        assert validators._luhn_sum(digits) == plain(digits), digits


def test_card_check_takes_out_separators_as_before():
    from yizhi.deid.text.recognizers import validators

    def before(value: str) -> float | None:
        number = re.sub(r"[\s-]", "", value)
        if not number.isdigit() or not 13 <= len(number) <= 19 or len(set(number)) == 1:
            return None
        return 0.95 if number.isascii() and validators._luhn_sum(number) % 10 == 0 else None

    rng = random.Random(4)
    for _ in range(20000):
        value = "".join(rng.choice("0123456789") if rng.random() < 0.85 else rng.choice([" ", "-", "\t", "١", "²", "x"])
                        for _ in range(rng.randint(10, 24)))
        assert validators.luhn_card(value) == before(value), value
    assert validators.luhn_card("4111 1111 1111 1111") == 0.95
