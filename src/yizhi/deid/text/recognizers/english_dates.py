"""Dates that telegraphic nursing notes write without a month number (issue 16, en-nursing7; called from
english_numbers.find_numbers, whose anchors ride english_context's one scanner pass).

- a day of the month as an ordinal after a time preposition or a weekday: "arrest on the 14th", "surg on 10th", "Fri the 12th", "fine until the 3rd",
  "since the 22nd", a range "on the 3rd-5th" (not a count: "for the 2nd time", "on the 4th floor");
- the later day of a month-name range: "Sept 3rd-8th", "Dec 3-5" (patterns.EN_DATES reads "Sept 3rd"; in any note);
- a month named alone after a time preposition: "baseline Cr in March", "EVAR attempt in Oct", "since Jan";
- a holiday named as the day of an event: "last drink xmas", "fell on Thanksgiving";
- a month typed in lower case with its day: "jan 3rd had fall", "seen 3 jan" (en-nursing8).
GUIDELINE.md counts each as a date element; the MTSamples annotation (real dictated prose: "seen on the
13th", "in December") does not mark them, and dictated prose writes them often, so these rules run only
in telegraphic notes: nursing shorthand (pt, w/, s/p, c/o, hx, gtt, sats, x1, npo, hcp ...) at 3 or more words
in 100. (Of the 4,966 MTSamples reports 12 reach that density; of the 184 hand-written dev nursing notes 170.)
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from yizhi.deid.text.recognizers.scanner import Anchor, matches_at

_I = re.IGNORECASE
# (counted on the note's word tokens and a few marks, not with one regular expression of alternatives: that
# cost a millisecond a report, the tokens a tenth of it)
_SHORTHAND_WORDS = frozenset("pt pts hx npn prn abx gtt gtts sat sats nc vss o2 npo hcp dtr osh vna sw cm rn yo".split())
_SHORTHAND_MARKS = ("w/", "s/p", "c/o", "d/c", "f/u", "y/o", "->", "a&o", "a+o", "c/d/i")
_WORD = re.compile(r"\w+")
_LAST: list = [None, False]  # (the last note's answer: find_dates and the nursing organisations both ask)


def telegraphic(text: str) -> bool:
    """Nursing shorthand at 3 or more words in 100 (see the module)."""
    if _LAST[0] is text:
        return _LAST[1]
    lower = text.lower()
    words = _WORD.findall(lower)
    shorthand = sum(1 for word in words if word in _SHORTHAND_WORDS or (word[:1] == "x" and word[1:].isdigit()))
    shorthand += sum(lower.count(mark) for mark in _SHORTHAND_MARKS)
    answer = shorthand >= 1 and 100 * shorthand >= 3 * max(1, len(words))
    _LAST[:] = [text, answer]
    return answer


_ORDINAL = r"(?:3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)"
# What an ordinal counts when it is no day of a month ("on the 4th floor", "for the 2nd time", "of the 3rd rib")
_COUNTED = (r"times?|days?|nights?|weeks?|wks?|months?|years?|hours?|hrs?|doses?|floor|fl|degree|percentile|ribs?|toes?|"
            r"fingers?|digits?|metatarsals?|metacarpals?|ventricle|nerves?|cranial|intercostal|interspace|space|grade|"
            r"trimester|attempts?|try|tries|admissions?|episodes?|cycles?|lines?|rounds?|bags?|units?|liters?|stage|"
            r"generation|decade|place|person|shift|visits?|sessions?|courses?|fractions?|pod|post-?op|step|phase|level|"
            r"lobe|segments?|vertebra|heart|sound|order|set|pack|bottle|layer|branch|portion|child|pregnancy|baby|"
            r"vessel|division|lumbar|cervical|thoracic|sacral|molar|premolar")
# (a weekday names the day too: "until Fri the 12th", "last drink Sunday the 6th")
_WEEKDAY = r"mon(?:day)?|tue(?:s|sday)?|wed(?:nesday)?|thu(?:r|rs|rsday)?|fri(?:day)?|sat(?:urday)?|sun(?:day)?"
_ORDINAL_DAY = re.compile(r"\b(?:on|for|since|until|till|thru|through|by|before|after|from|starting|effective|as[ ]of|"
                          + _WEEKDAY + r")\.?[ ]+(?:the[ ]+)?"
                          r"(" + _ORDINAL + r")(?:[ ]?-[ ]?(" + _ORDINAL + r"))?(?![\w/-])"
                          # (not a count, nor a list of counts: "the 2nd and 3rd toes")
                          r"(?!(?:[ ]*(?:,|and|or|&|to|through)[ ]*" + _ORDINAL + r")*[ ]*-?[ ]*(?:" + _COUNTED + r")(?![\w]))", _I)
_MONTH = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?|Oct(?:ober)?|"
          r"Nov(?:ember)?|Dec(?:ember)?)")
# "Sept 3rd-8th", "Dec 3-5": the second day (a clock time or a count after it is no day: "Dec 3 0800-1200")
_MONTH_DAY_RANGE = re.compile(r"(?<![\w])(?i:" + _MONTH + r")\.?[ ]+(3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?[ ]?-[ ]?"
                              r"((3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?)(?![\w/:.-]|[ ]?(?:days?|d|hrs?|am|pm)\b)")
# A month alone after a time preposition, capitalised or in capitals ("in March", "IN OCT"; not "in may"), not
# before a capitalised word ("since Jan Smith called") or a number (patterns.EN_DATES reads "in March 2009").
_MONTH_ALONE = re.compile(r"\b(?i:in|since|during|until|till|thru|through|early|mid|late|last|before|after|around|"
                          r"this[ ]+past|back[ ]+in)[ ]+(?:(?i:early|mid|late)[ -]+)?"
                          # (a capitalised word after the sentence's full stop is the next sentence: "until Sept. Husband ...")
                          r"(" + _MONTH + r"|" + _MONTH.upper() + r")(?:\.(?=[ ]+[A-Z][a-z]+[ ]+[a-z])|\.?(?![\w'’-])(?![ ]+(?:[A-Z][a-z]|\d)))"
                          # ("May" the verb: "in May be weaned", "MAY NEED")
                          r"(?<![Mm][Aa][Yy])(?<![Mm][Aa][Yy]\.)|\b(?i:in|since|during|until|till|early|mid|late|last|before|after|around)"
                          r"[ ]+(May|MAY)(?![\w'’-])(?![ ]+(?i:be|have|need|require|benefit|want|go|get|help|not|also|take|use|"
                          r"cause|develop|return|resume|consider|continue|start|stop)\b|[ ]+[A-Z][a-z]|[ ]+\d)")
_HOLIDAY = re.compile(r"\b(?:christmas(?:[ ]eve)?|xmas|thanksgiving|new[ ]year['’]?s(?:[ ]day|[ ]eve)?|easter|memorial[ ]day|"
                      r"labor[ ]day|independence[ ]day|july[ ]4th|4th[ ]of[ ]july|fourth[ ]of[ ]july|halloween|"
                      r"valentine['’]?s[ ]day)\b", _I)

# A month written in lower case with its day, as nurses type fast: "jan 3rd had fall", "seen 3 jan", "oct 12 echo".
# ("dec" is "decreased" and "may" a verb in these notes: each only before an ordinal, "dec 3rd", not "UO 30 dec"; a unit or a value
# after the number makes it a measure: "dec 2 units", "mar 10 mg")
_LOWER_MONTHS = r"jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov"
_LOWER_MONTH_DAY = re.compile(r"(?<![\w/.-])(?:(?:" + _LOWER_MONTHS + r")\.?[ ]+(?:3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?|"
                              r"(?:dec|may)\.?[ ]+(?:3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)|"
                              r"(?:3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?[ ]+(?:" + _LOWER_MONTHS + r"))(?![\w/:%-]|\.\d|"
                              r"[ ]?(?:units?|u|mg|mcg|g|kg|ml|cc|l|lpm|mmhg|%|hrs?|days?|mins?|x)\b)")

# A study named just after a dashed month-day makes it a date ("7-21 cxr clear", "3-15 echo: EF 55%"; not "3-4 ct
# scans"): english_context._short_dates reads it beside its _STUDY_BEFORE.
STUDY_AFTER = re.compile(r"[ ]+(?:echo|tte|tee|egd|eeg|emg|mri|cxr|ekg|ecg|ct|cta|ercp|colonoscopy|endoscopy|cath|us|u/s|"
                         r"duplex|doppler|lenis|kub|bx|biopsy)\b(?![ ]+(?:scans|slices|views|images|films|studies|cuts)\b)", _I)

# english_context reads these two: a month just before an apostrophe year ("TKR Jan '03"); credentials before the
# last one of a signature ("M. Delgado, PT, DPT")
MONTH_BEFORE = re.compile(r"\b(?i:jan|feb|mar|apr|may|june?|july?|aug|sept?|oct|nov|dec)(?i:[a-z]{0,6})\.?[ ]+$")
# ... and a move to or from a unit just before a month/day: "admitted to CCU 5/6 w/ chest pain" (no exam score)
MOVE_TO_UNIT = re.compile(r"\b(?:adm(?:itted)?|readmitted|transferred|tx'?d|sent|arrived|came|returned|moved|called[ ]out)[ ]+"
                          r"(?:to|from|in)[ ]+(?:the[ ]+)?[A-Za-z][\w-]*[ ]+$", re.IGNORECASE)
EARLIER_CREDENTIALS = re.compile(r"(?<=\w)(?:,?[ ]+(?:PT|OT|RN|BSN|MS|MSN|MPT|CCC|RRT|NP)\b)+,?[ ]+$")

DATE_ANCHORS = [
    Anchor("lower_month_day", r"\b(?:jan|feb|mar|apr|jun|jul|aug|sep|oct|nov|dec|may)\.? +\d|\d +(?:jan|feb|mar|apr|jun|jul|aug|"
                              r"sep|oct|nov)\b"),
    # ("on the 3rd"; "surg on 10th", "NPO since 3rd": the article left out)
    Anchor("ordinal_day", r"\b(?:the|on|since|until|till|thru|through|by|before|after|from|starting|effective) +\d{1,2}(?:st|nd|rd|th)",
           caseless=True),
    Anchor("month_day_range", r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? +\d{1,2}(?:st|nd|rd|th)? ?- ?\d",
           caseless=True),
    Anchor("month_alone", r"\b(?:in|since|during|until|till|thru|through|early|mid|late|last|before|after|around|past|back) +"
                          r"(?:(?:early|mid|late)[ -]+)?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)", caseless=True),
    Anchor("holiday", r"\b(?:christmas|xmas|thanksgiving|new year|easter|memorial day|labor day|independence day|july 4th|"
                      r"4th of july|fourth of july|halloween|valentine)", caseless=True),
]


def _begun_before(pattern: re.Pattern[str], text: str, ends: list[tuple[int, int]], reach: int = 24) -> list[re.Match[str]]:
    """Matches of ``pattern`` that hold an anchor (the preposition comes before "the 3rd")."""
    found, last = [], -1
    for start, _ in ends:
        for match in pattern.finditer(text, max(0, start - reach), start + 40):
            if match.start() <= start < match.end() and match.start() > last:
                found.append(match)
                last = match.start()
                break
    return found


def find_dates(text: str, hits: dict) -> Iterator[tuple[int, int, str, float]]:
    """(start, end, type, confidence) of each date these rules find (telegraphic notes only: see the module)."""
    for match in matches_at(_MONTH_DAY_RANGE, text, [start for start, _ in hits.get("month_day_range", ())]):
        if int(match.group(3)) > int(match.group(1)):  # (any note: nothing else is written so)
            yield match.start(2), match.end(2), "DATE", 0.7
    if not any(name in hits for name in ("ordinal_day", "month_alone", "holiday", "lower_month_day")) or not telegraphic(text):
        return
    for match in _begun_before(_LOWER_MONTH_DAY, text, hits.get("lower_month_day", ()), reach=4):
        yield match.start(), match.end(), "DATE", 0.7
    for match in _begun_before(_ORDINAL_DAY, text, hits.get("ordinal_day", ())):
        yield match.start(1), match.end(1), "DATE", 0.7
        if match.group(2):
            yield match.start(2), match.end(2), "DATE", 0.7
    for match in _begun_before(_MONTH_ALONE, text, hits.get("month_alone", ())):
        group = 1 if match.group(1) else 2
        yield match.start(group), match.end(group), "DATE", 0.65
    for match in matches_at(_HOLIDAY, text, [start for start, _ in hits.get("holiday", ())]):
        yield match.start(), match.end(), "DATE", 0.65
