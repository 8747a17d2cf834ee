"""The fast paths of the pattern recognizers find exactly what a plain scan finds.

`PatternRecognizer.find` skips rules whose trigger is absent, matches case-insensitive rules on the
lower-cased text and tries rules with start words only where those words occur. The reference here
is the simple reading of a rule: trigger test, then ``rule.regex.finditer(text)`` on the original
text. Both are run on every labeled file, the presidio-research set and random texts built from the
rules' own words, digits and separators.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest

from yizhi.deid.text.recognizers import patterns
from yizhi.deid.text.recognizers.base import PatternRecognizer, PatternRule, start_words
from yizhi.deid.text.spans import make_span

DATA = Path(__file__).parent / "data"
PRESIDIO_SET = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "deid-text" / "presidio_synth_dataset_v2.json"
RULES = list({id(rule): rule for rule in (*patterns.SHARED_RULES, *patterns.EN_RULES, *patterns.ZH_RULES)}.values())


def reference_find(rule: PatternRule, text: str) -> list[tuple]:
    """What the rule finds, read plainly: no lower-casing, no start positions."""
    trigger = rule.trigger
    if isinstance(trigger, tuple) and not any(word in text.lower() for word in trigger):
        return []
    if isinstance(trigger, re.Pattern) and trigger.search(text) is None:
        return []
    found = []
    for match in rule.regex.finditer(text):
        start, end = match.span(rule.group)
        if start < 0 or start == end:
            continue
        if text[start] == "(" and ")" not in text[start:end]:
            start += 1
        confidence = rule.confidence
        if rule.validator is not None:
            confidence = rule.validator(text[start:end])
            if confidence is None:
                continue
        span = make_span(text, start, end, rule.type, confidence, "t")
        if span is not None:
            found.append((span.start, span.end, span.type, span.confidence))
    return found


_RECOGNIZERS: dict[tuple[int, ...], PatternRecognizer] = {}


def fast_find(rules: list[PatternRule], text: str) -> list[tuple]:
    key = tuple(map(id, rules))
    recognizer = _RECOGNIZERS.get(key) or _RECOGNIZERS.setdefault(key, PatternRecognizer("t", frozenset({"en"}), rules))
    return [(s.start, s.end, s.type, s.confidence) for s in recognizer.find(text)]


def _corpus_texts() -> list[str]:
    texts = []
    for name in ("en_dev", "en_test", "zh_dev", "zh_test"):
        texts += [json.loads(line)["text"] for line in (DATA / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()]
    if PRESIDIO_SET.exists():
        texts += [sample["full_text"] for sample in json.loads(PRESIDIO_SET.read_text(encoding="utf-8"))][::4]
    return texts


def _random_texts(count: int, seed: int = 7) -> list[str]:
    """Texts made of the rules' start and trigger words (in random case), numbers and separators, so
    that near-matches, overlapping candidates and matches at the very start and end all occur."""
    rng = random.Random(seed)
    words = sorted({w for rule in RULES for w in (start_words(rule.regex) or ())}
                   | {w for rule in RULES if isinstance(rule.trigger, tuple) for w in rule.trigger})
    words += ["Jan", "March", "Street", "St", "NY", "CA", "ZIP", "age", "years", "on", "of", "Dr", "Via", "ſ", "İD", "K"]
    separators = [" ", " ", " ", ": ", "#", "-", "/", ".", ",", "\n", "(", ")", "：", "号", "@", "www.", "http://"]

    def piece() -> str:
        roll = rng.random()
        if roll < 0.35:
            word = rng.choice(words)
            return rng.choice([word, word.upper(), word.title()])
        if roll < 0.7:
            return "".join(rng.choice("0123456789") for _ in range(rng.choice([1, 2, 3, 4, 5, 8, 9, 10, 15, 18])))
        if roll < 0.8:
            return "".join(rng.choice("ABCXYZabcxyz") for _ in range(rng.randint(1, 6)))
        return rng.choice(separators)

    return ["".join(piece() for _ in range(rng.randint(1, 40))) for _ in range(count)]


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return _corpus_texts() + _random_texts(2000)


def _outcome(find, *args):
    # (stdnum's Chinese ID check raises KeyError on some random numbers: then both must raise)
    try:
        return find(*args)
    except Exception as error:  # noqa: BLE001
        return type(error)


def test_each_rule_finds_what_a_plain_scan_finds(texts):
    for rule in RULES:
        differing = [text for text in texts if _outcome(fast_find, [rule], text) != _outcome(reference_find, rule, text)]
        assert not differing, (rule.regex.pattern[:80], differing[:3])


def test_all_rules_together_find_what_each_finds_alone(texts):
    for text in texts[::5]:
        expected = _outcome(lambda: [found for rule in patterns.EN_RULES for found in reference_find(rule, text)])
        assert _outcome(fast_find, list(patterns.EN_RULES), text) == expected


def test_start_words_are_read_from_the_expression():
    assert start_words(re.compile(r"(?:MRN|Acct\.?)\d")) == ("mrn", "acct")  # "acct" covers "acct."
    assert start_words(re.compile(r"\b(?:aged?|Age:?)[ ]+\d", re.IGNORECASE)) == ("age ", "age: ", "aged ")
    assert start_words(re.compile(r"(?<![\w/])licen[cs]e")) == ("licenc", "licens")
    assert start_words(re.compile(r"S/?N:")) == ("sn:", "s/n:")
    assert start_words(re.compile(r"\d{3}-\d{4}")) is None  # digits: the expression's own scan is faster
    assert start_words(re.compile(r"(?:x)?MRN")) == ("mrn", "xmrn")
    assert start_words(re.compile(r"(?:x|MRN)\d")) is None  # one branch begins with a single letter
    assert start_words(re.compile(r"[A-Z]{2}\d")) is None


def test_a_changed_rule_is_used_at_once():
    rule = PatternRule("RECORD_NUMBER", re.compile(r"KX-\d{4}"), 0.9)
    recognizer = PatternRecognizer("t", frozenset({"en"}), [rule])
    assert [s.text for s in recognizer.find("code KX-4471 and QQ-1234")] == ["KX-4471"]
    rule.regex = re.compile(r"QQ-\d{4}")
    assert [s.text for s in recognizer.find("code KX-4471 and QQ-1234")] == ["QQ-1234"]
    recognizer.rules.append(PatternRule("RECORD_NUMBER", re.compile(r"KX-\d{4}"), 0.9, trigger=("kx",)))
    assert [s.text for s in recognizer.find("code KX-4471 and QQ-1234")] == ["QQ-1234", "KX-4471"]
