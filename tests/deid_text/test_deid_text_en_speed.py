"""The fast paths of the pattern recognizers find exactly what a plain scan finds.

`PatternRecognizer.find` skips rules whose trigger is absent, matches case-insensitive rules on the
lower-cased text and tries rules with start words only where those words occur. The reference here
is the simple reading of a rule: trigger test, then ``rule.regex.finditer(text)`` on the original
text. Both are run on every labeled file, the presidio-research set and random texts built from the
rules' own words, digits and separators.
"""

from __future__ import annotations

import random
import re

import pytest
from deid_text_corpora import corpus_texts

from yizhi.deid.text.recognizers import patterns
from yizhi.deid.text.recognizers.base import PatternRecognizer, PatternRule, start_words
from yizhi.deid.text.spans import make_span

# Touches no database: run once, in the SQLite run (tests/conftest.py checks it).
pytestmark = pytest.mark.db_independent

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
    return corpus_texts(presidio_every=4) + _random_texts(2000)


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


# Expressions as they were before being rewritten to start with a character set `re` can jump to.
EARLIER_FORMS = {
    "IBAN": (patterns.IBAN, r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b"),
    "GENERIC_PHONE": (patterns.GENERIC_PHONE, "(?:" + "|".join(
        first + r"\d{2,4}\)?(?:[ .-]\d{2,4}){0,3}[ .-]\d{2,8}(?:x\d{1,5})?(?![\w/,]|\.\d|-\d)"
        for first in (r"\+(?<![\w.,/:-]\+)\d{1,3}[ .-]?\(?", r"\((?<![\w.,/:-]\()")) + "|"
        + r"\d(?<![\w.,/:-]\d)\d{1,3}\)?(?:[ .-]\d{2,4}){0,3}[ .-]\d{2,8}(?:x\d{1,5})?(?![\w/,]|\.\d|-\d))"),
    "US_PHONE": (patterns.US_PHONE, "(?:" + "|".join((
        r"\+(?<![\w/]\+)1[ .-]?(?:\(\d{3}\)[ ]?|\d{3}[ .-])",
        r"1(?<![\w/]1)[ .-]?(?:\(\d{3}\)[ ]?|\d{3}[ .-])",
        r"\((?<![\w/]\()\d{3}\)[ ]?",
        r"\d(?<![\w/]\d)\d{2}[ ./-]",  # (a slash after the area code: "617/555-0102")
    )) + r")\d{3}[ .-]\d{4}(?:[ ]?(?:x|ext\.?)[ ]?\d{1,5})?(?![\d-])"),
    "EN_DATE_DAY_MONTH": (patterns.EN_DATES[1], r"(?:[12](?<!\w[12])\d|3(?<!\w3)[01]|0(?<!\w0)[1-9]|[1-9](?<!\w[1-9]))"
                          r"(?:st|nd|rd|th)?[ ]+(?:of[ ]+)?" + patterns._MONTH + r"(?:,?[ ]+(?:1[89]|20)\d{2})?\b"),
    "EN_DATE_ON": (patterns.EN_DATES[3],
                   r"(?:0(?<=\bon 0)[1-9]|[1-9](?<=\bon [1-9])|1(?<=\bon 1)[0-2])/(?:[12]\d|3[01]|0?[1-9])\b(?!/)"),
    "US_ZIP": (patterns.US_ZIP, r"(?:\b(?:A[LKZR]|C[AOT]|D[EC]|FL|GA|HI|I[DLNA]|K[SY]|LA|M[EDAINSOT]|N[EVHJMYCD]|O[HKR]|PA|RI|"
               r"S[CD]|T[NX]|UT|V[TA]|W[AVIY]|AA|AE|AP)[ ]+(?!" + patterns._CLOCK + r")|\b(?:ZIP|zip code|postal code|postcode)[ :]*)"
               r"(\d{5}(?:-\d{4})?|(?<=[: ])\d{3,5}(?:[ -]\d{2,4}|[ ][A-Z]{2})?)\b"),
    "CN_LANDLINE": (patterns.CN_LANDLINE,
                    r"(?<![\d.])(?:\(0\d{2,3}\)|（0\d{2,3}）|0\d{2,3}[ -])[ ]?\d{7,8}(?:[-转]\d{1,5})?(?![\d.])"),
    "PASSPORT_CN": (patterns.PASSPORT_CN, patterns._NB + r"(?:[EG]\d{8}|E[A-HJ-NP-Z]\d{7}|[DSP]E?\d{7}|[CW]\d{8}|[HM]\d{8,10})"
                    + patterns._NA),
    "CN_DATE_YEAR": (patterns.CN_DATES[0], r"(?<!\d)(?:1[89]|20)\d{2}[ ]?年[ ]?\d{1,2}[ ]?月(?:[ ]?\d{1,2}[ ]?[日号])?"
                     r"(?:[ ]?(?:上午|下午|凌晨|晚上|早上|中午|晚)?[ ]?\d{1,2}[:：时点](?:\d{1,2}分?)?)?"),
    "CN_DATE_MONTH": (patterns.CN_DATES[1], r"(?<![\d年])\d{1,2}[ ]?月[ ]?\d{1,2}[ ]?[日号]"
                      r"(?:[ ]?(?:上午|下午|凌晨|晚上|早上|中午|晚)?[ ]?\d{1,2}[:：时点](?:\d{1,2}分?)?)?"),
    "CN_DATE_WORDS": (patterns.CN_DATES[2], r"[〇零一二三四五六七八九十]{4}年[〇零一二三四五六七八九十]{1,2}月(?:[〇零一二三四五六七八九十]{1,3}[日号])?"),
}


def _shape_texts(count: int, seed: int = 11) -> list[str]:
    """Random digits, signs and the words around phone numbers and dates, Chinese and Unicode digits too."""
    rng = random.Random(seed)
    pieces = ["+", "(", ")", "（", "）", ".", "-", " ", " ", "/", "x", "ext", "ext.", ",", ":", "on ", "on ", "of ", " Jan", " March ", "Sept ",
              "st", "th", "年", "月", "日", "号", "转", "下午", "时", "分", "E", "G", "D", "S", "P", "C", "W", "H", "M", "DE", "GB",
              "٣", "a", "\n", "〇", "二", "十", "on 1", "on 0", "on 3", "2019年", "1999 年", "3月", "12 月", "二〇一九年", "三月", "CA ", "NY ", "zip code ", "ZIP: ", "postal code ", "xCA ", "_WA ", "AP ", "postcode", " TX", "aZIP "]

    def piece() -> str:
        roll = rng.random()
        if roll < 0.6:  # a digit group and what usually follows one
            digits = "".join(rng.choice("0123456789") for _ in range(rng.choice([1, 1, 2, 2, 3, 3, 4, 4, 5, 8])))
            return digits + rng.choice(["", " ", "-", ".", "/", " ", "-"])
        return rng.choice(pieces)

    return ["".join(piece() for _ in range(rng.randint(1, 30))) for _ in range(count)]


@pytest.mark.parametrize("name", sorted(EARLIER_FORMS))
def test_rewritten_expressions_match_as_before(name, texts):
    rule, earlier = EARLIER_FORMS[name]
    earlier = re.compile(earlier, rule.regex.flags)
    for text in texts + _shape_texts(4000):
        now = [(m.span(), m.groups()) for m in rule.regex.finditer(text)]
        assert now == [(m.span(), m.groups()) for m in earlier.finditer(text)], text


@pytest.mark.parametrize("name", sorted(EARLIER_FORMS))
def test_new_triggers_pass_wherever_the_expression_matches(name, texts):
    rule, _ = EARLIER_FORMS[name]
    if not isinstance(rule.trigger, re.Pattern):
        return
    for text in texts + _shape_texts(4000):
        if rule.regex.search(text):
            assert rule.trigger.search(text), text


def test_upper_share_quick_answer_equals_the_count():
    from yizhi.deid.text.recognizers import english

    rng = random.Random(3)
    alphabet = "aZ bY.1ÉéßİıſK\n中"
    heads = ["", "ABCDe", "ABCD e", "ABCDE", "abcde", "WBC 12", "HEAD\nline"]
    heads += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 30))) for _ in range(5000)]
    heads += ["".join(rng.choice("ABCDEFGH ab") for _ in range(rng.randint(1, 30))) for _ in range(5000)]
    for head in heads:
        letters = [c for c in head if c.isalpha()]
        counted = bool(letters) and sum(c.isupper() for c in letters) >= 0.8 * len(letters)
        assert english._upper_share_at_least(head) == counted, head


def test_house_number_guard_keeps_every_address(texts):
    """The space test before the house-number searches only skips searches that would find nothing."""
    from yizhi.deid.text import pipeline
    from yizhi.deid.text.recognizers import english

    for text in texts[::3]:
        for start in range(1, len(text), 3):
            if " " not in text[max(0, start - 2) : start]:
                assert english._HOUSE_BEFORE.search(text, max(0, start - 30), start) is None
                assert pipeline._HOUSE_LEFT.search(text, max(0, start - 16), start) is None
            if not english._DIGIT.search(text, max(0, start - 30), start):
                assert english._HOUSE_BEFORE.search(text, max(0, start - 30), start) is None


def test_house_number_gate_answers_as_the_search(texts):
    """``_house_before`` reads the characters before a run and searches only where a house number can
    end: at every position of every text it answers what the search over the thirty characters does."""
    from yizhi.deid.text.recognizers import english

    rng = random.Random(23)
    pieces = [" ", "  ", "\n", "1", "23", "4a", "B", "x", "Ab", ",", ".", "-", "/", "٣", "_", "Ä", "\t"]
    glued = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 25))) for _ in range(20000)]
    found = 0
    for text in texts + _shape_texts(2000, seed=19) + glued:
        for start in range(len(text) + 1):
            want = english._HOUSE_BEFORE.search(text, max(0, start - 30), start)
            got = english._house_before(text, start)
            assert (got and got.span()) == (want and want.span()), (text, start)
            found += want is not None
    assert found > 1000  # (the comparison saw house numbers, not only misses)


def test_no_house_number_or_postcode_begins_where_a_word_follows(texts):
    """Where ``_word_follows`` says a lower-case word follows, the house-number and postcode readers
    find nothing: skipping them there changes no span."""
    from yizhi.deid.text.recognizers import english

    rng = random.Random(31)
    pieces = [" ", "a", "é", "ß", "A", "1", "٣", "(", ")", ",", ", ", "\n", "-", "ab", "Zx", "12345", "K9S 2Y4", "NY"]
    glued = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 20))) for _ in range(20000)]
    skipped = 0
    for text in texts + _shape_texts(2000, seed=37) + glued:
        for end in range(len(text)):
            if english._word_follows(text, end):
                assert english._HOUSE_NUMBER_AFTER.match(text, end) is None, (text, end)
                assert english.postcode_after(text, end) is None, (text, end)
                skipped += 1
    assert skipped > 10000


def test_every_trigger_passes_wherever_its_rule_matches(texts):
    """A trigger only decides whether the rule is worth running: it must hold wherever the rule matches."""
    for rule in RULES:
        for text in texts + _shape_texts(2000, seed=5):
            if rule.trigger is None or not rule.regex.search(text):
                continue
            if isinstance(rule.trigger, tuple):
                assert any(word in text.lower() for word in rule.trigger), (rule.regex.pattern[:60], text)
            else:
                assert rule.trigger.search(text), (rule.regex.pattern[:60], text)


def test_house_number_expressions_match_as_before(texts):
    from yizhi.deid.text import pipeline
    from yizhi.deid.text.recognizers import english

    earlier_before = re.compile(r"(?<![\w.,/-])(?:\d{1,6}[A-Za-z]?[ ]+){1,3}$")
    earlier_left = re.compile(r"(?<![\w.,:/+-])(?:\d{1,6}[A-Za-z]?[ ]+){1,2}$")
    for text in texts[::2] + _shape_texts(3000, seed=13):
        for start in range(1, len(text), 2):
            for now, earlier, reach in ((english._HOUSE_BEFORE, earlier_before, 30), (pipeline._HOUSE_LEFT, earlier_left, 16)):
                got, want = now.search(text, max(0, start - reach), start), earlier.search(text, max(0, start - reach), start)
                assert (got and got.span()) == (want and want.span()), (text, start)


def test_digit_run_triggers_find_what_a_plain_run_search_finds(texts):
    for text in texts + _shape_texts(3000, seed=17):
        assert bool(patterns.DIGIT_RUN.search(text)) == bool(re.search(r"\d{5}", text)), text
        assert bool(patterns.CN_ID_15.trigger.search(text)) == bool(re.search(r"\d{15}", text)), text
        assert bool(patterns.LONG_NUMBER.trigger.search(text)) == bool(re.search(r"\d{9}", text)), text
        assert bool(patterns.NUMERIC_DATES[2].trigger.search(text)) == bool(re.search(r"\d{8}", text)), text


def test_recognizers_sharing_a_read_of_the_note_find_what_each_finds_alone():
    text = "MRN 12345 and Ward KX-4471, code QQ-1234"
    first = PatternRecognizer("a", frozenset({"en"}), [PatternRule("RECORD_NUMBER", re.compile(r"KX-\d{4}"), 0.9, trigger=("kx",))])
    expected_first = [s.text for s in first.find(text)]
    second = PatternRecognizer("b", frozenset({"en"}), [PatternRule("RECORD_NUMBER", re.compile(r"QQ-\d{4}"), 0.9,
                                                                    trigger=("qq",))])
    # the second plan adds words: the first recognizer must read the note again with them, and still agree
    assert [s.text for s in second.find(text)] == ["QQ-1234"]
    assert [s.text for s in first.find(text)] == expected_first == ["KX-4471"]
    assert [s.text for s in second.find(text)] == ["QQ-1234"]


def test_triggers_said_to_need_a_digit_never_pass_without_one(texts):
    from yizhi.deid.text.recognizers.base import needs_digit_to_match

    assert needs_digit_to_match(re.compile(r"\d"))
    assert needs_digit_to_match(re.compile(r"[-/.](?<=\d[-/.])x"))  # a digit in a look-behind
    assert needs_digit_to_match(re.compile(r"ab(?:1|[2-5]x)"))
    assert not needs_digit_to_match(re.compile(r"ab(?:1|x)"))
    assert not needs_digit_to_match(re.compile(r"a\d?"))
    assert not needs_digit_to_match(re.compile(r"[\da]"))
    assert not needs_digit_to_match(re.compile(r"(?!\d)a"))
    triggers = [rule.trigger for rule in RULES if isinstance(rule.trigger, re.Pattern) and needs_digit_to_match(rule.trigger)]
    words = [re.sub(r"\d", "", text) for text in texts]  # the same texts with every digit taken out
    for trigger in triggers:
        assert not any(trigger.search(text) for text in words), trigger.pattern


def test_making_a_new_rule_keeps_the_plans_of_other_recognizers():
    recognizer = patterns.english_recognizer()
    list(recognizer.find("Seen on 3/14 at 555-123-4567"))
    plan = recognizer._plan()
    PatternRule("RECORD_NUMBER", re.compile(r"KX-\d{4}"), 0.9)  # e.g. a plug-in made per request
    assert recognizer._plan() is plan
