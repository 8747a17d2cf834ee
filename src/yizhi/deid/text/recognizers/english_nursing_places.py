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
  Alicia Grant at BHCHP", "counselor from JRI";
- (en-orgs) a facility and the town it stands in, as one name: "Lives at Wingate at Needham"; the alternative
  after a facility and "or": "hebrew rehab or youville"; a name before a service and clinic/center in lower case,
  "f/u w/ brigham anticoag clinic" (a hospital's clinic: the hospital only), "at neponset valley sleep center" (a
  centre: all of it); an agency by its capitalised name before its kind or after what it provides: "Partners Home
  Care to open case", "hospice by Care Dimensions"; a company's capitalised name before a lower-case kind of home,
  after a place preposition, "vs" or "or": "home vs Benchmark senior living" (see ``_facility_forms``).
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
    # (en-orgs: the anchors of _facility_forms)
    Anchor("at_town", r"[A-Za-z] at [A-Z][a-z]"),
    Anchor("facility_or", r"\b(?:rehab|manor|village|house|center|hospital|nursing home|ltach|snf|facility) or [a-z]", caseless=True),
    Anchor("service_kind", r"[a-z] (?:clinic|center|centre|ctr)\b"),
    Anchor("agency_kind", r"[A-Za-z] (?:Home Care|Home Health|Hospice|VNA)\b"),
    Anchor("home_kind", r"[A-Za-z] (?:senior living|assisted living|nursing home|senior residence)\b"),
    Anchor("provided_by", r"\b(?:hospice|vna|home care|home health|services|provided) (?:by|through|thru|via|w/) [A-Z]",
           caseless=True),
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
                            "fire town local basic advanced critical paramedic association".split())


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
                                             "from_town", "caps_kind", "town_state", "at_town", "facility_or",
                                             "service_kind", "agency_kind", "provided_by", "home_kind")) \
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
    yield from _facility_forms(text, hits)
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


# --- en-orgs: facilities named by a form around them (``_facility_forms``) ---------------------------------------
_TOWN_AFTER_AT = re.compile(r"[A-Z][a-z]+(?:[ ][A-Z][a-z]+)?")
_CAPITAL_WORD = re.compile(r"[A-Z][\w'’&-]*")
_LOWER_WORD = re.compile(r"[a-z][a-z'’/-]*")
# What stands before a facility's name: a place preposition, "w/", "@", a colon or a bracket ("Lives at X", "home: X")
_FACILITY_CUE = re.compile(r"(?:\b(?i:at|to|from|into|in|w/|with|by|vs|or)|[:@(])[ ]*$")
_ALTERNATIVE = re.compile(r"[A-Za-z][a-z'’-]+(?:[ ][A-Za-z][a-z'’-]+)?(?![\w'’-])")
# A service a hospital's clinic or a centre is for, when the lexicons do not hold it ("anticoag clinic")
_SERVICES = frozenset("anticoag anticoagulation coumadin warfarin inr sleep wound pain cancer heart vein vascular dialysis "
                      "infusion transplant diabetes breast spine memory stroke eye ear lipid weight headache".split())
# Common words a place's name may go on with ("neponset valley", "blue hills")
_PLACE_TAIL = frozenset("valley hill hills river lake park square bay harbor harbour shore point falls".split())
_PROVIDED_BY = re.compile(r"\b(?i:hospice|vna|home[ ]care|home[ ]health|services|provided)[ ]+(?i:by|through|thru|via|w/)[ ]+"
                          r"([A-Z][\w'’&-]*(?:[ ][A-Z][\w'’&-]*){0,3})")
_TITLE_WORDS = frozenset("dr mr mrs ms miss st prof rn md np pa".split())
# (what a service is paid by or when it starts is no provider: "hospice by Medicare benefit", "by Friday")
_NOT_A_PROVIDER = frozenset("medicare medicaid masshealth insurance tricare "
                      "monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu thur thurs fri sat sun "
                      "january february march april may june july august september october november december".split())


def _facility_forms(text: str, hits: dict) -> Iterator[tuple[int, int, str, float]]:
    """The en-orgs forms (see the module): each from its own anchor, each refusing clinical and generic words."""
    from yizhi.deid.text.recognizers.english_nursing_names import _unknown

    for start, _ in hits.get("at_town", ()):
        yield from _facility_at_town(text, start + 1)
    for _, end in hits.get("facility_or", ()):
        yield from _alternative(text, end - 1)
    for start, end in hits.get("service_kind", ()):
        yield from _service_kind(text, start + 2, end)
    for start, end in hits.get("agency_kind", ()):
        words = _capitals_before(text, start + 1)
        if words and not _ordinary_agency([w.group() for w in words], strict=False) and _strip(words[0].group()) not in _TITLE_WORDS:
            yield words[0].start(), end, "ORGANIZATION", 0.65
    for start, _ in hits.get("home_kind", ()):
        # (a company's capitalised name before a lower-case kind of home: "home w/ services vs Benchmark senior living")
        words = _capitals_before(text, start + 1)
        if words and not _ordinary_agency([w.group() for w in words], strict=True) and _strip(words[0].group()) not in _TITLE_WORDS \
                and _FACILITY_CUE.search(text, max(0, words[0].start() - 8), words[0].start()) is not None:
            yield words[0].start(), start + 1, "ORGANIZATION", 0.65
    for match in matches_at(_PROVIDED_BY, text, [start for start, _ in hits.get("provided_by", ())]):
        words = match.group(1).split()
        if _ordinary_agency(words, strict=False) or _strip(words[0]) in _TITLE_WORDS:
            continue
        if _strip(words[0]) not in _NOT_A_PROVIDER and (len(words) > 1 or _unknown(words[0])):
            yield match.start(1), match.end(1), "ORGANIZATION", 0.65


def _capitals_before(text: str, end: int) -> list[re.Match[str]]:
    """Up to three capitalised words that end at ``end``, one space apart, on the same line."""
    line_start = text.rfind("\n", 0, end) + 1
    taken: list[re.Match[str]] = []
    for word in reversed(list(_CAPITAL_WORD.finditer(text, max(line_start, end - 48), end))):
        if len(taken) == 3 or word.end() != (taken[0].start() - 1 if taken else end) or (word.start() > 0 and text[word.start() - 1].isalnum()):
            break
        taken.insert(0, word)
    return taken


def _facility_at_town(text: str, end: int) -> Iterator[tuple[int, int, str, float]]:
    """"<facility> at <town>" as one name ("Lives at Wingate at Needham"): the town one the lists know, the facility's
    capitalised words a name (``_place_words``, none cut off), after a place preposition or a colon."""
    from yizhi.deid.text.recognizers.english import place_words
    from yizhi.deid.text.recognizers.english_clean import STATES_AND_COUNTRIES
    from yizhi.deid.text.recognizers.english_words import us_town_words

    town = _TOWN_AFTER_AT.match(text, end + 4)
    if town is None:
        return
    words = town.group().split(" ")
    for length in range(len(words), 0, -1):
        value = " ".join(words[:length])
        after = town.start() + len(value)
        if value.lower() in STATES_AND_COUNTRIES or (after < len(text) and (text[after].isalnum() or text[after] in "'’-")):
            continue
        if value.lower() in place_words() or value.lower() in us_town_words():
            break
    else:
        return
    facility = _capitals_before(text, end)
    if not facility or _FACILITY_CUE.search(text, max(0, facility[0].start() - 12), facility[0].start()) is None:
        return
    from yizhi.deid.text.recognizers.english_words import first_name_words

    names = _place_words(text[facility[0].start():end])
    # (a person at a place is no facility: "consultation from Craig Connor at Cottonwood")
    if names and len(names) == len(facility) and _strip(names[0]) not in first_name_words():
        yield facility[0].start(), after, "ORGANIZATION", 0.7


def _alternative(text: str, start: int) -> Iterator[tuple[int, int, str, float]]:
    """The facility after "<facility> or" ("hebrew rehab or youville"): words no English word list holds."""
    from yizhi.deid.text.recognizers.english_nursing_names import _rare, _unknown

    match = _ALTERNATIVE.match(text, start)
    if match is None:
        return
    words = match.group().split(" ")
    while words and not (_unknown(words[-1]) and _rare(words[-1])):
        words.pop()
    if words and all(_unknown(word) and _rare(word) for word in words) and len(words[0]) > 3:
        yield start, start + len(" ".join(words)), "ORGANIZATION", 0.65


def _service_kind(text: str, kind_start: int, end: int) -> Iterator[tuple[int, int, str, float]]:
    """A lower-case name before a service and "clinic"/"center" ("w/ brigham anticoag clinic", "at neponset valley
    sleep center"): one or two service words, then up to three name words, the first no word the lexicons hold,
    after a place preposition. A clinic is a hospital's service: the hospital alone is the name; a centre is all of it."""
    from yizhi.deid.text.recognizers.english_context import _verb_form
    from yizhi.deid.text.recognizers.english_nursing_names import _unknown

    line_start = text.rfind("\n", 0, kind_start) + 1
    words = list(_LOWER_WORD.finditer(text, max(line_start, kind_start - 60), kind_start))
    chain: list[re.Match[str]] = []  # (the words one space apart that end right before the kind word)
    for word in reversed(words):
        if word.end() != (chain[0].start() - 1 if chain else kind_start - 1) or len(chain) == 5:
            break
        chain.insert(0, word)
    services = 0
    while chain and services < 2 and _service(chain[-1].group()):
        chain.pop()
        services += 1
    names: list[re.Match[str]] = []
    for word in reversed(chain):
        if len(names) == 3 or "/" in word.group() or _verb_form(_strip(word.group())) \
                or not (_unknown(word.group()) or (names and _strip(word.group()) in _PLACE_TAIL)):
            break
        names.insert(0, word)
    while names and _strip(names[0].group()) in _PLACE_TAIL:
        names.pop(0)
    if not services or not names or names[0].start() != (chain[0].start() if len(names) == len(chain) else names[0].start()) \
            or _FACILITY_CUE.search(text, max(0, names[0].start() - 8), names[0].start()) is None:
        return
    clinic = text.startswith("clinic", kind_start)
    yield names[0].start(), (names[-1].end() if clinic else end), "ORGANIZATION", 0.65


def _service(word: str) -> bool:
    """A word a clinic or centre may be for ("anticoag", "sleep"), none of the commonest ("to reschedule his pain clinic")."""
    from yizhi.deid.text.recognizers.english import very_common_words
    from yizhi.deid.text.recognizers.english_institutions import proper_words

    key = _strip(word)
    if key in _SERVICES:
        return True
    if key in _STOP or key in very_common_words() or key in proper_words():
        return False  # (a hospital the reports name is no service: "lahey coumadin clinic")
    return key in clinical_lexicon() or key in CLINICAL_TERMS or key in NURSING_SHORTHAND or key in clinical_markers()
