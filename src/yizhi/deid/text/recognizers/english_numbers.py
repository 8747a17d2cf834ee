"""Numbers that nursing notes name by context (issue 16, branch en-recall; split out of english_context.py,
whose one scanner pass carries these rules' anchors and which calls ``find_numbers``).

Ages over 89 written telegraphically ("93M", "pt is 91,", "turning 92"), street addresses in lower case after
a residence cue ("lives at 22 elm st"), a hospital extension after a calling cue ("call 5-1234") and a dotted
month.day after an admission or an event ("s/p STEMI 10.2"). Each rule reads a cue and a value with `re`,
tried only where its anchor matched (scanner.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from yizhi.deid.text.recognizers.english import _strip, clinical_lexicon, common_words, place_words
from yizhi.deid.text.recognizers.english_dates import DATE_ANCHORS, find_dates
from yizhi.deid.text.recognizers.scanner import Anchor, matches_at

_I = re.IGNORECASE

# A month.day with a dot after an admission or an event ("s/p inferior STEMI 10.2", "admitted 12.07"): a date; after
# anything else a dotted pair is a value ("WBC 10.2", "on 2.5L", "Cr 1.4 (adm 1.2)"), and a unit after it makes it one here too.
_DOTTED_DATE = re.compile(r"\b(?:admitted|readmitted|dated|stemi|nstemi|mi|arrest|cabg|surgery|dos|doa|fell|fall|intubated|extubated|"
                          r"transferred|discharged)[ ]+"
                          r"((?:1[0-2]|0?[1-9])\.(?:3[01]|[12]\d|0?[1-9]))(?![\d.%/]|[ ]?(?:l|g|kg|lbs?|cm|mm|mg|mcg|ml|cc|hrs?|"
                          r"mins?|units?|u|x|days?|d|wks?|weeks?|mos?|months?)\b)", _I)
# "93M fall down stairs", "pt 91F": an age and a sex letter at a line's head or after "pt" (patterns.AGES reads
# "92 yo", "95yoF", "aged 93"); "pt is 91, came in w/ PNA", "she is 94.": an age said of the patient, the
# number ending the clause (not "pt is 92% on RA", "pt is 96 on 2L").
_AGE_SEX = re.compile(r"(?:(?<![^\n])|(?<=[Pp][Tt] )|(?<=^[ \t]))(9\d|1[0-2]\d)[ ]?[MF](?![\w/'’.])", re.M)
_AGE_SAID = re.compile(r"\b(?:(?:pt|patient|she|he)[ ]+is[ ]+(?:an?[ ]+)?|turn(?:s|ed|ing)?[ ]+)(9\d|1[0-2]\d)"
                       r"(?=[ ]*(?:[,;]|\.(?!\d)|\n|$)|[ ]+(?:and|w/|with|from|who|last|this|next|today)\b)", _I)
# "lives at 22 elm st", "home: 14 beacon street apt 3", "d/c home to 118 w broadway": after a residence cue a
# house number, up to three words and a street word (patterns.US_STREET reads capitalised streets anywhere).
# (Not "dr", "ct", "pl", "place", "way": "home in 2 days per dr", "2 wks s/p ct", "foley 2 days in place". Nor a
# count or a time right after the number: "home in 2 days ...".)
_STREET_WORD = r"(?:st|street|ave|avenue|rd|road|blvd|ln|lane|drive|court|terrace|circle|pkwy|hwy|sq)"
_NOT_A_STREET_NAME = (r"(?!(?:days?|d|weeks?|wks?|hrs?|hours?|mins?|months?|mos?|years?|yrs?|l|lpm|liters?|units?|u|mg|"
                      r"tabs?|pills?|meds?|times|x|am|pm)\b)")
# (The name in lower case, or in any case before a street word abbreviated in lower case, "22 Elm st": a capitalised
# name before "Street" is US_STREET's, and "lives on 90 Whitchurch Road street" names no street "Road street".)
_LOWER_STREET = re.compile(r"\b(?:lives?|living|resides?|residence|home|address|addr|moved)\b(?:[ ]+(?:at|on|in|to|is|@)|[ ]+(?:in|to)[ ]+"
                           r"(?:an?|the|his|her|their)[ ]+(?:apt|apartment|house|home|condo|unit)[ ]+(?:at|on|@))?[ ]*:?[ ]*"
                           r"(\d{1,5}[ ]+" + _NOT_A_STREET_NAME + r"(?:[nsew]\.?[ ]+)?(?:(?:(?!" + _STREET_WORD + r"\b)(?-i:[a-z])[a-z'’-]*[ ]+){1,3}" + _STREET_WORD
                           + r"|(?:(?!" + _STREET_WORD + r"\b)[a-z][a-z'’-]*[ ]+){1,3}(?-i:st|ave|rd|blvd|ln|sq))"
                           + r"\b(?:,?[ ]+(?:apt|unit|#)[ ]*#?\d+[a-z]?\b)?|\d{1,5}[ ]+(?:[nsew]\.?[ ]+)?broadway\b)", _I)
# A number dialled abroad from the US: "011", a country code and groups ("011 353 1 555 0192", "011-44-20-7946-0321"):
# 9 to 15 digits in all (patterns.py reads "+44 ..." forms)
_INTERNATIONAL = re.compile(r"(?<![\w+/.-])011[ .-](?=(?:[ .-]?\d){9,15}(?![\d/-]|\.\d))\d{1,3}(?:[ .-]\d{1,5}){2,5}(?![\w/-]|\.\d)")
# A hospital extension "5-1234" after a calling cue ("call 5-1234 with questions", "reach daughter at 5-1234")
_SHORT_EXTENSION = re.compile(r"(?<![\w/.-])\d-\d{4}(?![\w/-]|\.\d)")
# A local seven-digit number right after a phone label ("home # 732-4418, cell ...", "(h) 732-4418"): the shared
# grouped-digits rule refuses one before a comma (lists of numbers), a label makes it a phone
_LOCAL_NUMBER = re.compile(r"(?<![\w/.:-])[2-9]\d{2}[-.]\d{4}(?![\w/-]|\.\d)")
_PHONE_LABEL_BEFORE = re.compile(r"(?:\b(?:home|hm|work|wk|cell|cel|ph|phone|tel|number|num|call(?:ed)?|reach(?:ed)?|contact)\b"
                                 r"|\((?:h|c|w|m)\)|\b(?:h|c|w|m):|#)[ ]*[:#]?[ ]*$", _I)
_CALL_BEFORE = re.compile(r"(?:\b(?:call(?:ed)?|reach(?:ed)?|contact(?:ed)?|phone|tel|cell|at)\b|[@#])[^\n\d]{0,25}$", _I)

# What follows a street address: its town and ZIP ("221 Dudley St, Roxbury, 02119", "45 walnut ave apt 3, somerville",
# "22 elm st in quincy MA 02169"). The town is one or two words the place lists know, or capitalised words no word
# list holds; a state's two letters may stand between it and the ZIP (a state is no identifier: Safe Harbor keeps it).
_ANY_STREET_WORD = r"(?:st|street|ave|avenue|rd|road|blvd|ln|lane|dr|drive|ct|court|terr?|terrace|cir|circle|pl|place|pkwy|hwy|sq|way)"
_ADDRESS_TAIL = re.compile(r"\d{1,5}[ ]+(?:[nsew]\.?[ ]+)?(?:[a-z][\w'’-]*[ ]+){1,3}" + _ANY_STREET_WORD + r"\b\.?"
                           r"(?:,?[ ]+(?:apt|unit|#)[ ]*#?\w+)?(?:,[ ]*|[ ]+in[ ]+)"
                           r"([a-z][a-z'’-]+(?:[ ][a-z][a-z'’-]+)?)(?![\w'’-])(?:,?[ ]+[A-Z]{2})?(?:,?[ ]+(\d{5}(?:-\d{4})?)(?![\d-]))?", _I)
# A street named without its number after "on" ("lives on Elm Street", "an apt on Beacon St", "outside Dunkin on Mass Ave"):
# capitalised words and a street word spelled out or abbreviated as addresses do (not "Dr", "Ct", "Way": people, scans)
_STREET_ON = re.compile(r"\b(?i:on|off)[ ]+((?:[A-Z][a-z'’-]+[ ]){1,2}(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|"
                        r"Terrace|Terr|Parkway|Pkwy|Highway|Hwy|Square|Sq)\b\.?)(?![ ]*[A-Z][a-z])")
# A record number after its label and a few words ("MRN at Brigham: 31940021", "NH MR#: 880431"), and reference
# numbers of an insurance call or a claim ("call ref # A448810", "auth no: 55120934"; not a lot's "reference #"): unique numbers Safe Harbor removes.
_RECORD_AFTER_WORDS = re.compile(r"\b(?:mrn|mr[ ]?#|med[ ]rec(?:ord)?|medical[ ]record(?:[ ]number)?|unit[ ](?:no|number)|"
                                 r"(?:auth(?:ori[sz]ation)?|insurance|call)[ ]+(?:ref(?:erence)?|no\.?|number)|auth(?:ori[sz]ation)?|confirmation|claim|"
                                 r"ref(?=[ ]*#[ ]*[A-Za-z]{0,3}\d))\b[^\n\d]{0,24}?"  # (an abbreviated "ref #": "BCBS, ref # AB88213046")
                                 # (the mark may be left out before a long number: "MRN there 5562019", "auth ref HP7730192")
                                 r"(?:[#:][ ]*|[ ](?=[A-Za-z]{0,3}\d{6}))"
                                 r"([A-Za-z]{0,3}-?\d{5,12})(?![\w-])", _I)

NUMBER_ANCHORS = [
    Anchor("dotted_date", r"\b(?:admitted|readmitted|dated|stemi|nstemi|mi|arrest|cabg|surgery|dos|doa|fell|fall|intubated|"
                          r"extubated|transferred|discharged) +\d{1,2}\.\d",
           caseless=True),
    Anchor("age_sex", r"(?:9\d|1[0-2]\d) ?[MF]"),
    Anchor("age_said", r"\b(?:(?:pt|patient|she|he) +is +(?:an? +)?|turn(?:s|ed|ing)? +)(?:9\d|1[0-2]\d)", caseless=True),
    Anchor("residence", r"\b(?:lives?|living|resides?|residence|home|address|addr|moved)\b", caseless=True),
    Anchor("short_extension", r"\d-\d{4}"),
    Anchor("international", r"011[ .-]\d"),
    Anchor("local_number", r"[2-9]\d\d[-.]\d{4}"),
    Anchor("street_tail", r"\d{1,5} +(?:[a-z][\w'’-]* +){1,4}" + _ANY_STREET_WORD + r"\b\.?(?:,? +(?:apt|unit|#) *#?\w+)?(?:,| in )",
           caseless=True),
    Anchor("street_on", r"\b(?:on|off) +[A-Z]", caseless=True),
    Anchor("record_words", r"\b(?:mrn|mr ?#|med rec|medical record|unit no|unit number|auth|insurance|call|confirmation|claim|ref *#)",
           caseless=True),
    *DATE_ANCHORS,
]


def find_numbers(text: str, hits: dict) -> Iterator[tuple[int, int, str, float]]:
    """(start, end, type, confidence) of each number these rules find; ``hits`` is the scanner's answer."""
    def starts(name: str) -> list[int]:
        return [start for start, _ in hits.get(name, ())]

    for pattern, anchor, kind in ((_AGE_SEX, "age_sex", "AGE"), (_AGE_SAID, "age_said", "AGE"),
                                  (_LOWER_STREET, "residence", "ADDRESS"), (_DOTTED_DATE, "dotted_date", "DATE")):
        for match in matches_at(pattern, text, starts(anchor)):
            yield match.start(1), match.end(1), kind, 0.7 if kind == "DATE" else 0.8
    for match in matches_at(_SHORT_EXTENSION, text, starts("short_extension")):
        if _CALL_BEFORE.search(text, max(0, match.start() - 40), match.start()):
            yield match.start(), match.end(), "PHONE", 0.75
    for match in matches_at(_LOCAL_NUMBER, text, starts("local_number")):
        if _PHONE_LABEL_BEFORE.search(text, max(0, match.start() - 16), match.start()):
            yield match.start(), match.end(), "PHONE", 0.75
    for match in matches_at(_INTERNATIONAL, text, starts("international")):
        yield match.start(), match.end(), "PHONE", 0.75
    yield from _address_tails(text, hits)
    for match in matches_at(_STREET_ON, text, starts("street_on")):
        yield match.start(1), match.end(1), "ADDRESS", 0.7
    for match in matches_at(_RECORD_AFTER_WORDS, text, starts("record_words")):
        yield match.start(1), match.end(1), "RECORD_NUMBER", 0.75
    yield from find_dates(text, hits)


def _address_tails(text: str, hits: dict) -> Iterator[tuple[int, int, str, float]]:
    for match in matches_at(_ADDRESS_TAIL, text, [start for start, _ in hits.get("street_tail", ())]):
        words = match.group(1).split(" ")
        if len(words) == 2 and not _town_word(words[1], words[0]):
            words = words[:1]
        if not _town_word(words[0], None) and not _town_closing_address(text, match, words):
            continue
        # (below 0.6: where an address rule took the whole line, "7512 Day Drive, Bradleyton, GU 88987", it stays an ADDRESS)
        yield match.start(1), match.start(1) + len(" ".join(words)), "LOCATION", 0.55
        if match.group(2) and len(words) == len(match.group(1).split(" ")):
            yield match.start(2), match.end(2), "ZIP", 0.55


def _town_word(word: str, before: str | None) -> bool:
    """A word of a town's name: a place the lists know, or a word no word list holds (a second word only in the
    first's case: "Jamaica Plain", "east boston", not "Walpole with")."""
    key = _strip(word)
    if before is not None and word[:1].isupper() != before[:1].isupper():
        return False
    if key in place_words():
        return True
    return key not in common_words() and key not in clinical_lexicon()


_CLAUSE_END = re.compile(r"[ ]*(?:[.;\n]|,?[ ]+[A-Z]{2}\b|,?[ ]+\d{5}\b|$)")


def _town_closing_address(text: str, match: re.Match[str], words: list[str]) -> bool:
    """One capitalised word after a street address that ends the clause ("88 Old Post Rd, Sandwich."): in that
    place a town even when it is an English word; not a clinical word ("12 Elm St, Foley ...")."""
    from yizhi.deid.text.recognizers.english import CLINICAL_TERMS, very_common_words

    word = words[0]
    key = _strip(word)
    return (len(words) == 1 and word[:1].isupper() and word[1:].islower() and key not in very_common_words()
            and key not in CLINICAL_TERMS and _CLAUSE_END.match(text, match.start(1) + len(word)) is not None)
