"""The English name recognizers read precomputed per-word facts; they find what the plain reading finds.

`EnglishNameRecognizer` and `LowercaseNameRecognizer` look each distinct token up once (``_WordFacts``)
and walk runs by index. The reference here is the plain reading: strip the token and ask the
dictionaries at every step — in general text as before issue 16, in clinical text (``clinical_context``)
with issue 16's rules (the clinical lexicon silences its words, one unknown word makes no run suspicious,
a guessed span needs a word outside the lexicon, two names or two unknown written-out words are a name),
each written out plainly. Placeholders after a title ("Dr. X") are no name in either. Both run on every labeled file, the presidio-research set, and random
texts built from names, places, titles, credentials, clinical terms, connectors and separators.
Also: cue phrases tried only where the Aho-Corasick pass found their first words match as a scan does,
lower-case countries skipped when no country name occurs are what the scan finds;
digit-run triggers answered from the longest digit run pass exactly where their search does, and
overlaps resolve as they did with one sort by (start, -end).
"""

from __future__ import annotations

import random
import re

import pytest
from deid_text_corpora import corpus_texts

from yizhi.deid.text.recognizers import english as en
from yizhi.deid.text.recognizers import patterns
from yizhi.deid.text.recognizers.base import _longest_digit_run, digit_run_asked
from yizhi.deid.text.spans import make_span

# Touches no database: run once, in the SQLite run (tests/conftest.py checks it).
pytestmark = pytest.mark.db_independent



# --- the plain reading (the recognizers as they were before the per-word facts) ----------------------
PARTICLES = ("and", "of", "de", "van", "von", "der", "la", "le", "du", "da", "di", "do", "dos", "das", "del", "della",
             "delle", "pod", "nad", "sur", "sous", "los", "las")
PARTICLE_PAIRS = (("an", "der"), ("de", "la"), ("de", "los"), ("de", "las"), ("van", "de"), ("van", "der"), ("von", "der"))

class PlainNameRecognizer:
    def __init__(self, name: str, strict: bool):
        self.name, self.strict = name, strict

    def find(self, text: str) -> list:
        tokens = list(en._TOKEN.finditer(text))
        found, resume = [], 0
        for index, token in enumerate(tokens):
            word = token.group()
            title = en._strip(word) in en.TITLES
            if index < resume or not (word[0].isupper() or title):
                continue
            if not word[0].isupper() or title:
                resume = index + 1
                if title and resume < len(tokens) and tokens[resume].group()[0].isupper() \
                        and en._strip(tokens[resume].group()) not in en.TITLES:
                    end_index = self._run_end(text, tokens, resume)
                    found += self._emit(text, tokens, resume, end_index, forced=True)
                    resume = end_index
                continue
            end_index = self._run_end(text, tokens, index)
            resume = end_index
            found += self._emit(text, tokens, index, end_index, forced=False)
        return found

    @staticmethod
    def _run_end(text, tokens, index):
        # (particles joining a run, as written: "Guerra do Sul"; pairs: "Krems an der Donau")
        end = index + 1
        while end < len(tokens):
            gap = text[tokens[end - 1].end() : tokens[end].start()]
            if gap not in (" ", "", "-") and gap != ", " and gap != " & ":
                break
            word, previous = tokens[end].group(), tokens[end - 1].group()
            if previous.endswith(".") and len(previous) > 2 and previous.lower() not in ("st.", "mt.", "ft."):
                break
            particle = word in PARTICLES
            if en._strip(word) in en.CREDENTIALS and not particle:
                break
            if len(en._strip(word)) <= 2 and re.match(r"(?:M\.D|D\.O|Ph\.D|R\.N|N\.P|P\.A|D\.D\.S)\.?(?![A-Za-z])", text[tokens[end].start():]):
                break
            if len(en._strip(previous)) == 1 and previous.endswith(".") and en._strip(word) in en.very_common_words() \
                    and en._strip(word) not in en.name_words():
                break
            if word[0].isupper() and en._strip(word) not in en.TITLES:
                if gap == ", " and en._strip(previous) not in en.name_words():
                    break
                end += 1
            elif particle and end + 1 < len(tokens) and tokens[end + 1].group()[0].isupper() \
                    and en._strip(tokens[end + 1].group()) not in en.TITLES and tokens[end + 1].group() != "I":
                end += 2
            elif end + 2 < len(tokens) and (word, tokens[end + 1].group()) in PARTICLE_PAIRS \
                    and tokens[end + 2].group()[0].isupper() and en._strip(tokens[end + 2].group()) not in en.TITLES:
                end += 3
            else:
                break
        return end

    def _emit(self, text, tokens, first, stop, forced):
        clinical = en.clinical_context(text)
        lexicon = en.clinical_lexicon() | en.NURSING_SHORTHAND if clinical else frozenset()
        run = _plain_trim(tokens[first:stop])
        if not run:
            return []
        sentence_start = en._at_sentence_start(text, run[0].start())
        while len(run) > 1 and en._strip(run[0].group()) in en.KINSHIP:
            run, sentence_start = run[1:], False
        while run and en._strip(run[-1].group()) in en.CREDENTIALS:
            run = run[:-1]
        if not run:
            return []
        if len(run) > 1 and en._strip(run[0].group()) in en._DETERMINERS:
            run, sentence_start = run[1:], False
        words = [en._strip(t.group()) for t in run]
        names, common, places, very_common = en.name_words(), en.common_words(), en.place_words(), en.very_common_words()
        shouting = all(t.group().isupper() for t in run) and en._mostly_upper(text, run[0].start())
        def unknown(w, t):
            return (w not in common and w not in en.CLINICAL_TERMS and w not in en.HEADER_WORDS and len(w) > 1
                    and not en._abbreviation(t.group()) and w not in lexicon)

        suspicious = [
            (w in names and w not in en.CLINICAL_TERMS and w not in very_common and w not in lexicon)
            or (w in places and w not in very_common and w not in lexicon and not self.strict)
            or (not self.strict and not clinical and unknown(w, t) and not text[t.end() : t.end() + 1].isdigit())
            for w, t in zip(words, run)
        ]
        written = [(w, t) for w, t in zip(words, run) if len(w) > 1 and t.group() not in en._CONNECTORS]
        all_names = len(written) > 1 and all(w in names and not t.group().isupper() and w not in en.CLINICAL_TERMS
                                             for w, t in written)
        if not self.strict:
            suspicious.append(len(written) > 1 and all(unknown(w, t) and not t.group().isupper() for w, t in written))
        suspicious.append(all_names)
        if en._HEADER_OR_CLINICAL.issuperset(words):
            return []
        if shouting:
            suspicious = [(w in names and w not in very_common and w not in common)
                          or (w in places and w not in very_common and w not in lexicon and len(w) > 2)
                          or (w in names and len(run) > 1 and all(x in names or x in places for x in words)) for w in words]
        if any(t.start() > 0 and text[t.start() - 1] in "_^/\\" and en._camel_case(t.group()) for t in run):
            return []
        weekdays = "mon tue tues wed thu thur thurs fri sat sun monday tuesday wednesday thursday friday saturday sunday".split()
        months = ("jan feb mar apr may jun jul aug sep sept oct nov dec january february march april june july august "
                  "september october november december").split()
        if not forced and len(run) == 1 and not en._HEADER_OR_CLINICAL.issuperset(words) and (words[0] in weekdays or (
                words[0] in months and re.match(r"\.?[ ]+(?:3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?\b", text[run[0].end():]))):
            return []
        following = text[run[-1].end() : run[-1].end() + 12].split()
        subject = len(run) == 1 and words[0] in names and words[0] not in ("he", "she", "it", "we", "they", "i", "you", "his",
                                                                           "her", "him", "them") and ((
            words[0] not in lexicon and ((bool(following) and following[0].lower() in en.SUBJECT_VERBS)
                                         or text[run[-1].end() : run[-1].end() + 1] == ":"))
            or re.match(r"[ ]+(?:is|was)[ ]+an?[ ]+\d{1,3}[- ]?(?:years?|yrs?|y/?o|months?|weeks?|days?)\b",
                        text[run[-1].end():], re.IGNORECASE))
        suspicious.append(subject)
        joined = " ".join(words)
        suspicious.append(not self.strict and len(words) >= 2 and words[-1] in en.ORG_SUFFIXES)
        suspicious.extend(w in places and w not in common and w not in lexicon for w in words)
        if not forced:
            if not any(suspicious) and (joined not in places or joined in very_common or lexicon.issuperset(words)):
                return []
            if sentence_start and len(run) == 1 and words[0] in common and words[0] not in places and not subject:
                return []
        start, end = run[0].start(), run[-1].end()
        if forced and all(w in en.PLACEHOLDERS for w in words):
            return []  # "Dr. X"
        institution = (len(run) >= 2 and words[-1] in en.ORG_SUFFIXES and (words[0] in names or words[0] in places)
                       and not run[0].group().isupper() and words[0] not in very_common)
        if not forced and clinical and not (en.words_say_identifier(text[start:end]) or all_names or institution):
            return []  # only clinical vocabulary
        kind = "NAME"
        if words[-1] in en.ORG_SUFFIXES or "and" in words or "&" in text[run[0].start() : run[-1].end()]:
            kind = "ORGANIZATION"
        elif (joined in places and joined not in very_common) or not en.LOCATION_WORDS.isdisjoint(words):
            kind = "LOCATION"
        start, end = run[0].start(), run[-1].end()
        house = re.search(r"(?<![\w.,/-])(?:\d{1,6}[A-Za-z]?[ ]+){1,3}$", text[max(0, start - 30) : start])
        if house and kind != "ORGANIZATION" and not forced:
            start, kind = max(0, start - 30) + house.start(), "ADDRESS"
        if en._POSSESSIVE.search(text[start:end]):
            end -= 2
        if text[end - 1] == "." and en._strip(run[-1].group()) not in {"jr", "sr", "inc", "ltd", "co", "corp"} \
                and len(run[-1].group()) > 2:
            end -= 1
        confidence = 0.9 if forced else (0.8 if not names.isdisjoint(words) else 0.6)
        spans = [make_span(text, start, end, kind, confidence, self.name)]
        number = en._HOUSE_NUMBER_AFTER.match(text, end)
        if number and kind != "ORGANIZATION":
            spans.append(make_span(text, start, number.end(), "ADDRESS", confidence, self.name))
        postcode = en.postcode_after(text, end) if kind != "ORGANIZATION" else None
        if postcode:
            spans.append(make_span(text, postcode[0], postcode[1], "ZIP", 0.55, self.name))
        return [span for span in spans if span is not None]


def _plain_trim(run):
    def droppable(token):
        word = token.group()
        key = en._strip(word)
        if key in en.EPONYMS:
            end = token.end() - (2 if en._POSSESSIVE.search(word) else 0)
            return en._EPONYM_USE.match(token.string, end) is not None
        return key in en.CLINICAL_TERMS or word in en._CONNECTORS

    while run and droppable(run[-1]):
        run = run[:-1]
    while run and droppable(run[0]):
        run = run[1:]
    return run


def plain_lowercase_names(text: str) -> list:
    names, common = en.name_words(), en.common_words()
    tokens = list(en._TOKEN.finditer(text))

    def part(token):
        word = token.group()
        return word.islower() and (en._strip(word) in names or (len(word.rstrip(".")) == 1 and word.isalpha()))

    found, resume = [], 0
    for index, token in enumerate(tokens):
        word = token.group()
        key = en._strip(word)
        if index < resume or not (word.islower() and key in names and key not in common):
            continue
        first = last = index
        while first > 0 and part(tokens[first - 1]) and text[tokens[first - 1].end() : tokens[first].start()] == " ":
            first -= 1
        while last + 1 < len(tokens) and part(tokens[last + 1]) and text[tokens[last].end() : tokens[last + 1].start()] == " ":
            last += 1
        clinical = en.clinical_context(text)
        if (last > first or key not in common) and (last > first or not clinical):
            span = make_span(text, tokens[first].start(), en._end_without_possessive(text, tokens[last]), "NAME", 0.6,
                             "en_lowercase_names")
            if span is not None and (not clinical or en.words_say_identifier(span.text)):
                found.append(span)
        resume = last + 1
    return found


# --- texts ----------------------------------------------------------------------------------------

_PIECES = (
    "Dr.", "dr", "Mrs", "Mr.", "Prof.", "Sir", "MD", "RN", "PhD", "Wife", "son", "The", "the", "and", "of", "van", "de", "Du",
    "John", "john", "Maria", "krylova", "olga", "Smith", "Smith's", "Murphy", "Murphy's", "sign", "Parkinson's", "disease",
    "Glasgow", "Coma", "Scale", "Hospital", "General", "Massachusetts", "Inc.", "Corp", "Jr.", "Boston", "LONDON", "Paris",
    "Street", "County", "Lake", "Patient", "She", "Insurance", "ID", "WBC", "CT", "Tylenol", "Hx", "is", "was", "reports",
    "Xqzvt", "Abdomen^1_AbdomenRoutine", "McDonald", "O'Brien", "St.", "Kuefer.", "P.", "J.", "Hammarvägen", "Zhang", "Wei",
    "12", "20789", "4B", "2024", "&", ":", "5",
)
_GAPS = (" ", " ", " ", ", ", " - ", "-", ". ", "\n", " & ", "_", "^", "/", ": ", "  ")


def _random_texts(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        parts = [rng.choice(_PIECES) + rng.choice(_GAPS) for _ in range(rng.randint(1, 14))]
        text = "".join(parts)
        texts.append(text.upper() if rng.random() < 0.1 else text)
    return texts


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return corpus_texts() + _random_texts(4000, seed=5)


def _rows(spans) -> list[tuple]:
    return [(s.start, s.end, s.type, s.text, s.confidence, s.recognizer) for s in spans]


@pytest.mark.parametrize("name,strict", [("en_capitalised", False), ("en_names_in_zh", True)])
def test_name_runs_from_word_facts_are_what_the_plain_reading_finds(texts, name, strict):
    fast = en.EnglishNameRecognizer(name, strict=strict)
    plain = PlainNameRecognizer(name, strict)
    for text in texts:
        assert _rows(fast.find(text)) == _rows(plain.find(text)), text


def test_lowercase_names_from_word_facts_are_what_the_plain_reading_finds(texts):
    fast = en.LowercaseNameRecognizer()
    for text in texts:
        assert _rows(fast.find(text)) == _rows(plain_lowercase_names(text)), text


def test_digit_run_triggers_pass_exactly_where_their_search_does(texts):
    triggers = {rule.trigger.pattern: rule.trigger for rule in
                (*patterns.SHARED_RULES, *patterns.EN_RULES, *patterns.ZH_RULES) if isinstance(rule.trigger, re.Pattern)}
    asked = {pattern: digit_run_asked(trigger) for pattern, trigger in triggers.items() if digit_run_asked(trigger)}
    assert set(asked.values()) >= {1, 5, 9, 15}  # \d, DIGIT_RUN, long numbers, 15-digit ids
    assert digit_run_asked(re.compile(r"\d(?<!\d\d)\d\d[- ]\d")) == 0 and digit_run_asked(re.compile(r"\d", re.ASCII)) == 0
    assert digit_run_asked(re.compile(r"\d(?<!\d\d)\d{2}")) == 0  # three digits: not read exactly
    for text in texts + ["٣٤٥٦٧", "12 345", "x1234y", "1234 123456", ""]:
        longest = _longest_digit_run(text)
        plain = max(map(len, re.findall(r"\d+", text)), default=0)
        assert longest == (plain if plain >= 5 else min(plain, 1)), text
        for pattern, needed in asked.items():
            assert (longest >= needed) == (triggers[pattern].search(text) is not None), (pattern, text)


def test_overlaps_resolve_as_with_one_sort_by_start_then_longest():
    from yizhi.deid.text import spans as spans_module
    from yizhi.deid.text.spans import Span, resolve_overlaps

    def merge(text, group):
        start, end = min(span.start for span in group), max(span.end for span in group)
        best = max(group, key=spans_module._type_rank)
        return Span(start, end, best.type, text[start:end], max(span.confidence for span in group),
                    "+".join(sorted({span.recognizer for span in group})))

    def plain(text, found):  # the earlier form: one sort with a (start, -end) key, min/max per group
        ordered = sorted(found, key=lambda span: (span.start, -span.end))
        resolved, group, group_end = [], [ordered[0]], ordered[0].end
        for span in ordered[1:]:
            if span.start < group_end:
                group.append(span)
                group_end = max(group_end, span.end)
            else:
                resolved.append(group[0] if len(group) == 1 else merge(text, group))
                group, group_end = [span], span.end
        resolved.append(group[0] if len(group) == 1 else merge(text, group))
        return resolved

    rng = random.Random(3)
    text = "x" * 60
    kinds = ["NAME", "DATE", "ADDRESS", "LOCATION", "PHONE"]
    for _ in range(3000):
        found = []
        for _ in range(rng.randint(1, 8)):
            start = rng.randint(0, 50)
            end = start + rng.randint(1, 9)
            found.append(Span(start, end, rng.choice(kinds), text[start:end], rng.choice([0.5, 0.6, 0.9]), rng.choice("abc")))
        assert resolve_overlaps(text, found) == plain(text, found), found


def test_cues_tried_where_their_words_occur_are_what_a_scan_finds(texts):
    cue_texts = [a + b + c for a, b, c in zip(
        _random_texts(3000, seed=9),
        random.Random(2).choices(["my name is ", "My Name Is  ", "hi ", "Hi  ", "thank you ", "call me ", "calls me ",
                                  "works at ", "WORKED FOR ", "employer: ", "company ", "seen by ", "ſeen by ", "İ ", "chi "],
                                 k=3000),
        _random_texts(3000, seed=10))]
    for text in texts + cue_texts:
        assert [m.span() for m in en._cues(text)] == [m.span() for m in en._CUE.finditer(text)], text


def test_spans_made_by_filling_slots_equal_spans_made_by_the_dataclass():
    from dataclasses import FrozenInstanceError

    from yizhi.deid.text.spans import Span, _filled_span

    made = make_span("  Zhang Wei ", 0, 12, "NAME", 0.8, "t")
    assert made == Span(2, 11, "NAME", "Zhang Wei", 0.8, "t") and type(made) is Span
    assert hash(made) == hash(Span(2, 11, "NAME", "Zhang Wei", 0.8, "t"))
    assert made.to_dict() == {"start": 2, "end": 11, "type": "NAME", "text": "Zhang Wei", "confidence": 0.8, "recognizer": "t"}
    with pytest.raises(FrozenInstanceError):
        made.start = 0
    assert _filled_span(1, 2, "DATE", "x", 0.5, "r") == Span(1, 2, "DATE", "x", 0.5, "r")


def test_lowercase_countries_found_only_where_a_name_occurs_are_what_a_scan_finds(texts):
    def plain(text):
        found = []
        for match in en._PLACE_CUE.finditer(text):
            words = match.group(1).split(" ")
            for length in range(len(words), 0, -1):
                candidate = " ".join(words[:length])
                if candidate in en.country_words():
                    found.append((match.start(1), match.start(1) + len(candidate)))
                    break
        return found

    rng = random.Random(4)
    extra = [f"{rng.choice(['came from ', 'moved to ', 'lives in ', 'born in ', 'visiting ', 'to '])}"
             f"{rng.choice(['tunisia', 'new zealand', 'papua new guinea', 'oman', 'woman', 'india ink', 'chad', 'x'])}"
             f"{rng.choice(['', ' and', '.', ' 12', ' mali'])}" for _ in range(2000)]
    recognizer = en.LowercaseCountryRecognizer()
    for text in texts + extra:
        assert [(s.start, s.end) for s in recognizer.find(text)] == plain(text), text
