"""Facilities telegraphic nursing notes name by where they stand in the note (issue 16, en-nursing9; called
from english_nursing_names, whose one scanner pass carries these anchors).

- the place an event of the history happened, right after its date: "trach 2014 at Kindred Park View",
  "ICD placed 3-11 at nemc", "cath '19 @ Lahey" (a capitalised run or a lower-case hospital abbreviation);
- every facility of a referral or choice list, once the list's cue has opened it: "Referrals: Braintree
  Rehab, Tobey, HealthSouth Woburn", "acute rehab (Whittier or Fairlawn)", "screened by X and Y";
- an agency or an ambulance company named by its last word: "Minuteman Senior Services", "St. Joseph Health
  Services", "via Action Ambulance" (not "Social Security Agency", "Private Ambulance": generic words only);
- the town a physician practises in: "PCP Dr. Grossman in Newton"; a church, school or home named after a
  saint: "St. Mark's Church";
- where the patient is from ("pt is from norwood"); an institution in a note typed in capitals ("SEEN IN SOUTH
  SHORE HOSPITAL ED");
- an abbreviation in capitals after a worker, a counsellor or a therapist and "at"/"from"/"with": "case worker
  Alicia Grant at BHCHP", "counselor from JRI".
Each value is refused when its words are clinical vocabulary, units, shorthand, a ward or the commonest English
words (the lists english_nursing_names reads). Clinical or telegraphic text only (english_words.clinical_context, english_dates.telegraphic): the forms
are nursing notes', but not only telegraphic ones (a PT evaluation or a social-work note writes full sentences).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from yizhi.deid.text.recognizers.english import CLINICAL_TERMS, NURSING_SHORTHAND, _strip, clinical_lexicon, clinical_markers
from yizhi.deid.text.recognizers.english_dates import telegraphic
from yizhi.deid.text.recognizers.english_words import clinical_context
from yizhi.deid.text.recognizers.scanner import Anchor, matches_at

_CAPITAL_RUN = r"[A-Z][\w'’&.-]*(?:[ ][A-Z][\w'’&.-]*){0,3}"
# A date (month/day, a year, an apostrophe year) and "at"/"@" a place: where that event happened
_DATE_AT = re.compile(r"(?<![\w/.:-])(?:(?:1[0-2]|0?[1-9])[/-](?:3[01]|[12]\d|0?[1-9])(?:[/-](?:19|20)?\d\d)?|(?:19|20)\d\d|['’]\d\d)"
                      r"[ ]+(?:at|@)[ ]+(?:the[ ]+)?(" + _CAPITAL_RUN + r"|[a-z]{1,3}(?:h|mc|hc))(?![\w'’-])")
# A list the cue opens ("Referrals: A, B, C", "rehab (A or B)"): items of capitalised words
_LIST_CUE = (r"(?i:referrals?(?:[ ]+(?:sent|faxed|made))?(?:[ ]+to)?[ ]*:|referred[ ]+to|screened[ ]+(?:by|at)|"
             r"(?:options?|choices?)[ ]*:|rehab[ ]*\(|"
             r"(?:applications?|apps?)[ ]+(?:sent|made)[ ]+to)")
_LIST = re.compile(r"\b" + _LIST_CUE + r"[ ]*(" + _CAPITAL_RUN + r"(?:[ ]*(?:,|/|(?i:or|and)[ ]|&)[ ]*" + _CAPITAL_RUN + r"){1,5})")
_LIST_ITEM = re.compile(_CAPITAL_RUN)
# An agency named by its last word ("South Shore Elder Services"): two capitalised words or more before it
_AGENCY = re.compile(r"((?:St\.[ ])?(?:[A-Z][\w'’&-]*[ ]){2,4})(?:Services|Agency|Ambulance)\b"
                     # (an ambulance company by one word: "via Action Ambulance", "Fallon Ambulance")
                     r"|((?:[A-Z][\w'’&-]*[ ]){1,2})Ambulance\b")
# A capital abbreviation after a worker who works there ("case worker Alicia Grant at BHCHP")
_WORKER_AT = re.compile(r"\b(?i:case[ ]?worker|social[ ]worker|worker|counsell?or|therapist|advocate|sponsor|coach)\b"
                        r"(?:[ ]+[\w.'’-]+){0,3}?[ ]+(?i:at|from|with|of)[ ]+([A-Z]{3,6})(?![\w'’-])")

# The town a physician practises in ("PCP Dr. Grossman in Newton", "PCP in Quincy"): a town the lists know
_PRACTICE_TOWN = re.compile(r"\b(?i:dr|pcp)\.?[ ]+(?:[A-Z][\w'’-]+[ ]+)?(?i:in|of)[ ]+([A-Z][a-z]+(?:[ ][A-Z][a-z]+)?)(?![\w'’-])")
# Where the patient is from, in any case ("Pt from Norwood", "pt is from norwood", "PT FROM NORWOOD"): a town the
# city lists know, not a state or a country (Safe Harbor keeps them), nor a word the clinical lexicon holds
_FROM_TOWN = re.compile(r"\b(?i:pt|patient|he|she)(?:[ ]+(?i:is|was))?[ ]+(?:(?i:originally)[ ]+)?(?i:from)[ ]+"
                        r"([A-Za-z][a-z'’-]*(?:[ ][A-Za-z][a-z'’-]*){0,2}|[A-Z][A-Z'’-]+(?:[ ][A-Z][A-Z'’-]+){0,2})(?![\w'’-])")
# An institution in a note typed in capitals, read back from its kind ("SEEN IN SOUTH SHORE HOSPITAL ED")
_CAPS_KIND = re.compile(r"(?:HOSPITAL|HOSP|MEDICAL CENTER|HEALTH CENTER|NURSING HOME|NURSING CENTER|REHAB|MANOR|CLINIC)\b")
_CAPS_WORD = re.compile(r"[A-Z][A-Z'’&.-]*")
# A church, school or home named after a saint ("St. Mark's Church", "Saint Clare Academy")
_SAINT_INSTITUTION = re.compile(r"\b((?:St\.?|Saint)[ ]+[A-Z][\w'’-]+(?:[ ][A-Z][\w'’-]+)?[ ]+"
                                r"(?:Church|Parish|School|Academy|Cemetery|Villa|Manor|Home))\b")
# A town before a US state's code ("keene nh", "Hingham, MA", "NASHUA NH"): up to three words before it, the longest
# run a town list knows. In lower case only the codes no note uses as a word or shorthand ("me", "or", "pa", "md",
# "ct", "nc", "va", "vt", "ca" are words, titles, studies or hospitals); in capitals the codes that are no word,
# study or credential ("IN", "OR", "ME", "CT", "MI", "VA", "NC" only after a comma: "Portland, ME"; never "MD", "PA").
_LOWER_STATE_CODES = "ma|nh|ny|nj|ri|fl|tx|az|nm|nv|wv|sd|nd|ky|tn"
_UPPER_STATE_CODES = "AK|AZ|AR|CA|FL|IL|IA|KS|KY|MA|MN|MT|NV|NH|NJ|NM|NY|ND|RI|SD|TN|TX|UT|WA|WV|WI|WY"
_COMMA_STATE_CODES = "AL|CO|CT|DE|GA|HI|ID|IN|LA|ME|MI|MS|MO|NE|NC|OH|OK|OR|SC|VT|VA"
_WORDS_BEFORE = re.compile(r"((?:[A-Za-z][A-Za-z'’-]*[ ]){0,2}[A-Za-z][A-Za-z'’-]{2,})(,?)[ ]$")

ANCHORS = [
    Anchor("town_state", r"[A-Za-z],? (?:" + _LOWER_STATE_CODES + "|" + _UPPER_STATE_CODES + r")\b|[A-Za-z], (?:" + _COMMA_STATE_CODES
           + r")\b"),
    Anchor("date_at", r"(?:\d|['’]\d\d) +(?:at|@) +[A-Za-z]", caseless=True),
    Anchor("facility_list", r"\b(?:referral|referred|screened|option|choice|rehab *\(|application|apps)", caseless=True),
    Anchor("agency", r"[A-Z][\w'’&-]* (?:Services|Agency|Ambulance)\b"),
    Anchor("practice_town", r"\b(?:[Dd][Rr]|[Pp][Cc][Pp])\.? +(?:[A-Z][\w'’-]* +)?(?:[Ii][Nn]|[Oo][Ff]) +[A-Z][a-z]"),
    Anchor("saint_institution", r"\b(?:St\.?|Saint) [A-Z]"),
    Anchor("from_town", r"\b(?:pt|patient|he|she)(?: +(?:is|was))?(?: +originally)? +from\b", caseless=True),
    Anchor("caps_kind", r"[A-Z] (?:HOSPITAL|HOSP|MEDICAL CENTER|HEALTH CENTER|NURSING HOME|NURSING CENTER|REHAB|MANOR|CLINIC)\b"),
    Anchor("worker_at", r"\b(?:case ?worker|social worker|worker|counsell?or|therapist|advocate|sponsor|coach)\b", caseless=True),
]


_KINDS = frozenset("Clinic Hospital Hosp Rehab Home Ambulance VNA".split())  # (a name's own last word: "Lake Joseph Community Clinic")


def _place_words(value: str) -> list[str] | None:
    """The words of a facility's name, ordinary words cut off its end; None when nothing in it names a place."""
    from yizhi.deid.text.recognizers.english_context import _ORG_STOP_WORDS, _UNITS
    from yizhi.deid.text.recognizers.english_nursing_names import _ordinary, _unknown

    words = value.split()
    if words and words[-1].endswith(".") and len(words[-1]) > 4:
        words[-1] = words[-1][:-1]  # (the sentence's full stop: "at Lake Joseph Community Clinic.")
    while words and (_strip(words[-1]) in _UNITS and not (len(words) > 1 and words[-1] in _KINDS)
                     or _strip(words[-1]) in _ORG_STOP_WORDS or _strip(words[-1]) in CLINICAL_TERMS
                     or _strip(words[-1]) in NURSING_SHORTHAND):
        words.pop()  # ("at MGH ED", "at Lahey for"; "Kindred Park View" keeps its last word)
    if not words or _ordinary(_strip(words[0])) or _strip(words[0]) in ("dr", "mr", "mrs", "ms", "st"):
        return None
    if all(_strip(word) in clinical_markers() or _strip(word) in CLINICAL_TERMS for word in words):
        return None  # ("options: PT, OT"; "at Physical Therapy")
    return words if any(_unknown(word) for word in words) else None


# What a public or generic agency is called ("Child Protective Services", "Social Services", "Home Health Agency")
_STOP = frozenset("the a an and or of in on at to for with by from via per as this that his her their our".split())
_GENERIC_AGENCY = frozenset("protective social human health medical emergency family families community home support legal "
                            "veterans child children elder elderly senior seniors youth disability mental behavioral public "
                            "state county city department dept of and & the visiting nurse nursing care hospice security private municipal "
                            "fire town local basic advanced critical paramedic".split())


def _ordinary_agency(words: list[str], strict: bool) -> bool:
    """Every word generic or clinical (``strict``: or one of the commonest words, as an agency's words often are),
    or led by a function word: no agency's own name. (An ambulance company's one word may be a common one: "Action".)"""
    from yizhi.deid.text.recognizers.english_context import _UNITS
    from yizhi.deid.text.recognizers.english_nursing_names import _ordinary

    keys = [_strip(word) for word in words]
    return keys[0] in _STOP or all(key in _GENERIC_AGENCY or key in clinical_markers() or key in _UNITS or key in CLINICAL_TERMS
                                   or (strict and _ordinary(key)) for key in keys)


def find_places(text: str, hits: dict) -> Iterator[tuple[int, int, str, float]]:
    """(start, end, type, confidence) of each facility these rules find (see the module)."""
    if not any(name in hits for name in ("date_at", "facility_list", "agency", "worker_at", "practice_town", "saint_institution",
                                             "from_town", "caps_kind", "town_state")) \
            or not (clinical_context(text) or telegraphic(text)):
        return
    for match in _ending_or_starting(_DATE_AT, text, hits.get("date_at", ())):
        value = match.group(1)
        if value.islower():  # (a hospital's abbreviation: "at nemc", not "at bmh" a unit the lists know)
            if _strip(value) in clinical_lexicon() or _strip(value) in NURSING_SHORTHAND or _strip(value) in CLINICAL_TERMS:
                continue
            yield match.start(1), match.end(1), "ORGANIZATION", 0.65
            continue
        words = _place_words(value)
        if words:
            yield match.start(1), match.start(1) + len(" ".join(words)), "ORGANIZATION", 0.65
    for match in matches_at(_LIST, text, [start for start, _ in hits.get("facility_list", ())]):
        for item in _LIST_ITEM.finditer(match.group(1)):
            words = _place_words(item.group())
            if words:
                start = match.start(1) + item.start()
                yield start, start + len(" ".join(words)), "ORGANIZATION", 0.65
    for _, end in hits.get("agency", ()):
        for match in _AGENCY.finditer(text, max(0, end - 60), end):
            if match.end() == end:
                words = (match.group(1) or match.group(2)).split()
                if not _ordinary_agency(words, strict=match.group(1) is not None):
                    yield match.start(), end, "ORGANIZATION", 0.65
                break
    yield from _towns_and_saints(text, hits)
    for match in matches_at(_WORKER_AT, text, [start for start, _ in hits.get("worker_at", ())]):
        key = _strip(match.group(1))
        if key not in clinical_lexicon() and key not in clinical_markers() and _place_words(match.group(1)):
            yield match.start(1), match.end(1), "ORGANIZATION", 0.65


def _towns_and_saints(text: str, hits: dict) -> Iterator[tuple[int, int, str, float]]:
    from yizhi.deid.text.recognizers.english import place_words
    from yizhi.deid.text.recognizers.english_clean import STATES_AND_COUNTRIES
    from yizhi.deid.text.recognizers.english_nursing_names import _ordinary
    from yizhi.deid.text.recognizers.english_words import us_town_words

    for match in matches_at(_PRACTICE_TOWN, text, [start for start, _ in hits.get("practice_town", ())]):
        words = match.group(1).split()
        for length in (len(words), 1):
            value = " ".join(words[:length]).lower()
            if (value in place_words() or value in us_town_words()) and value not in STATES_AND_COUNTRIES:
                yield match.start(1), match.start(1) + len(value), "LOCATION", 0.65
                break
    for match in matches_at(_SAINT_INSTITUTION, text, [start for start, _ in hits.get("saint_institution", ())]):
        yield match.start(1), match.end(1), "ORGANIZATION", 0.7
    for match in matches_at(_FROM_TOWN, text, [start for start, _ in hits.get("from_town", ())]):
        words = match.group(1).split()
        for length in range(len(words), 0, -1):
            value = " ".join(words[:length]).lower()
            if (value in place_words() or value in us_town_words()) and value not in STATES_AND_COUNTRIES and (length > 1 or not (_ordinary(value) or value in
                                                                                           clinical_markers())):
                yield match.start(1), match.start(1) + len(value), "LOCATION", 0.65
                break
    yield from _towns_before_states(text, hits.get("town_state", ()))
    for start, _ in hits.get("caps_kind", ()):
        kind = _CAPS_KIND.match(text, start + 2)
        if kind is not None:
            yield from _caps_institution(text, start + 2, kind.end())


def _towns_before_states(text: str, anchors) -> Iterator[tuple[int, int, str, float]]:
    """The town before a state's code (``_WORDS_BEFORE``): the longest run of its last words that a town list knows,
    not a state or a country; one word of the big-town list no common clinical word ("Reading, MA", not "home NH").
    A code in lower case only after words in lower case ("keene nh", not "Pt nh")."""
    from yizhi.deid.text.recognizers.english import place_words
    from yizhi.deid.text.recognizers.english_clean import STATES_AND_COUNTRIES
    from yizhi.deid.text.recognizers.english_nursing_names import _ordinary
    from yizhi.deid.text.recognizers.english_words import common_words, us_town_words

    for _, end in anchors:
        code_start = end - 2
        if end < len(text) and (text[end].isalnum() or text[end] in "'’-"):
            continue  # (the anchor's \b let "ma'am", "ny-" through)
        begin = max(text.rfind("\n", 0, code_start) + 1, code_start - 60)
        match = _WORDS_BEFORE.search(text, begin, code_start)
        if match is None or (text[code_start].islower() and not match.group(1).islower()):
            continue
        words = match.group(1).split(" ")
        for first in range(len(words)):
            value = " ".join(words[first:]).lower()
            if value in STATES_AND_COUNTRIES or len(value) < 4:
                continue
            if value in us_town_words() or (value in place_words() and (first < len(words) - 1 or not (
                    _ordinary(value) or value in common_words() and value in clinical_lexicon()))):
                start = match.start(1) + len(" ".join(words[:first])) + (1 if first else 0)
                yield start, start + len(value), "LOCATION", 0.7
                break


def _caps_institution(text: str, start: int, end: int) -> Iterator[tuple[int, int, str, float]]:
    """Up to three words in capitals before the kind word at ``start``, none a function word, a generic word, a
    ward or clinical vocabulary; one word alone no word of the commonest ("CALLED HOSPITAL")."""
    from yizhi.deid.text.recognizers.english import very_common_words
    from yizhi.deid.text.recognizers.english_context import _ORG_STOP_WORDS, _UNITS
    from yizhi.deid.text.recognizers.english_nursing_names import _GENERIC

    line_start = text.rfind("\n", 0, start) + 1
    words = [word for word in _CAPS_WORD.finditer(text, max(line_start, start - 40), start)]
    taken: list[re.Match[str]] = []
    for word in reversed(words):
        key = _strip(word.group())
        if len(taken) == 3 or (taken and taken[0].start() - word.end() != 1) or (not taken and start - word.end() != 1) \
                or key in _ORG_STOP_WORDS or key in _GENERIC or key in _UNITS or key in CLINICAL_TERMS or key in NURSING_SHORTHAND:
            break
        taken.insert(0, word)
    if taken and (len(taken) > 1 or _strip(taken[0].group()) not in very_common_words()):
        yield taken[0].start(), end, "ORGANIZATION", 0.65


def _ending_or_starting(pattern: re.Pattern[str], text: str, anchors: list[tuple[int, int]]) -> list[re.Match[str]]:
    """Matches of ``pattern`` that begin within a few characters before an anchor (the date's first digits
    come before the anchor's last one)."""
    found, last = [], -1
    for start, _ in anchors:
        for begin in range(max(0, start - 10, last + 1), start + 1):  # (tried where it may begin: no scan to the text's end)
            match = pattern.match(text, begin)
            if match is not None and start < match.end():
                found.append(match)
                last = match.start()
                break
    return found
