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
    CLINICAL_TERMS, NURSING_SHORTHAND, PLACEHOLDERS, _strip, clinical_context, clinical_lexicon, clinical_markers,
    common_words, name_words, place_words, very_common_words,
)
from yizhi.deid.text.recognizers.english_clean import STATES_AND_COUNTRIES
from yizhi.deid.text.recognizers.english_dates import EARLIER_CREDENTIALS as _EARLIER_CREDENTIALS, MONTH_BEFORE as _MONTH_BEFORE, MOVE_TO_UNIT
from yizhi.deid.text.recognizers.english_dates import STUDY_AFTER as _STUDY_AFTER  # ("7-21 cxr")
from yizhi.deid.text.recognizers.english_institutions import named_hospitals
from yizhi.deid.text.recognizers.english_numbers import NUMBER_ANCHORS, find_numbers
from yizhi.deid.text.recognizers.scanner import Anchor, Scanner, matches_at
from yizhi.deid.text.spans import Span, make_span

_I = re.IGNORECASE
# --- dates -----------------------------------------------------------------------------------------
# A month/day written with a slash ("7/21", "12/07") is, in a clinical note, a date far more often than
# anything else: it is taken unless what surrounds it makes it a score, a fraction or a setting (pain 7/10,
# 5/5 strength, murmur 2/6, 1/2 tab, 2/2 bottles, PS 10/5). Such a reading without a cue is what the nursing
# notes need ("LMP 11/22", "Trach 12/1, PEG 12/4", "last drink 12/24"): the cue lists of the first round
# fitted the notes they were written from. A month-day written with a dash ("12-07") looks like a range
# (HR 80-90s, 10-12 hrs): it is taken after a date cue, at an entry's head, or in a list of dates only.
_DATE_CUE = (r"(?:on|since|from|until|till|thru|through|by|adm(?:it(?:ted)?|ission|\.)?|admitted|dated?|"
             r"placed|started|start|began|due|appt|appointment|f/u|follow[- ]?up|visit|seen|returned|discharged|"
             r"d/c'?d|transferred|surgery|cath|extubated|intubated|done|last|next|before|after|dos|dob|lmp|"
             r"accepted|entry|for|drink|trach|peg|picc|intubation|effective|expires?|planned|scheduled|booked|"
             r"changed|replaced|exchanged|removed|inserted|reinserted|pulled|tomorrow|today|yesterday|tmrw|tonight|"  # (lines, tubes: "trach changed 4/10")
             r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tues?|wed|thurs?|fri|sat|sun)")
_SHORT_DATE = re.compile(r"(?<![\w/.:+-])(1[0-2]|0?[1-9])([/-])(3[01]|[12]\d|0?[1-9]|\d{2})(?![\w/%]|\.\d|[-/]\d)")
# "here 10/14-10/22": a stay written as a range of two month/days (each half a date by itself)
_DATE_RANGE = re.compile(r"(?<![\w/.:+-])((?:1[0-2]|0?[1-9])/(?:3[01]|[12]\d|0?[1-9]))-((?:1[0-2]|0?[1-9])/(?:3[01]|[12]\d|0?[1-9]))"
                         r"(?![\w/%]|\.\d|[-/]\d)")
# "held 7/20-21": a month/day and a later day of the same month (each a date element)
_DAY_RANGE = re.compile(r"(?<![\w/.:+-])((1[0-2]|0?[1-9])/(3[01]|[12]\d|0?[1-9]))-(3[01]|[12]\d|0?[1-9])(?![\w/%]|\.\d|[-/]\d)")
# Culture bottles are counted "2/4", "1/2": after a culture word a slash pair that cannot be such a count is a date
# A clock time just after a month-day dates it ("faxed 1-17 1530", "1-17 @ 0800"): no range or score is timed so
_CLOCK_AFTER = re.compile(r"[ ]+(?:@[ ]*)?(?:[01]\d|2[0-3])[0-5]\d(?![\w:/%-]|\.\d)")
_CULTURE_BEFORE = re.compile(r"\b(?:cx|bcx|ucx|cultures?)[ ]*[:=]?[ ]*$", _I)
_CUE_BEFORE = re.compile(r"\b" + _DATE_CUE + r"[ ]*[:,(]?[ ]*\(?$", _I)
_ENTRY_HEAD = re.compile(r"(?:^|\n)[ \t]*$")
_SECONDARY_TO = re.compile(r"2/2[ ]+[a-z]")
# A score, a measure, a lab or a setting named just before ("pain 7/10", "strength 4/5", "PS 10/5", "WBC 10/5",
# "day 3/7" of antibiotics, "x 2/3")
_SCORE_BEFORE = re.compile(r"\b(?:pain|strength|reflex(?:es)?|dtrs?|murmur|mmse|moca|score|scale|graded?|grade|rated?|"
                           r"ratio|motor|power|gcs|apgars?|strength is|x|ps|peep|cpap|bipap|ac|simv|vent|settings?|i:e|tof|twitch(?:es)?|"
                           r"cx|cultures?|bcx|sets?|bottles?|fields?|lobes?|ef|vision|va|day|pod|pupils?|recall|"
                           r"wbc|hgb|hb|hct|h/h|plts?|bun|cr|creat|na|k|cl|co2|glu|ca|mg|phos|inr|ptt|alt|ast|lfts?|"
                           r"hr|rr|bp|sbp|map|cvp|uop|i/o|ins|outs?|vt|tv|sats?|"
                           # (a pressure said with its verb: "right atrial pressure was 10/7", "wedge 18/12")
                           r"pressures?(?:[ ]+(?:was|were|is|are|measured))?|wedge|pcwp|"
                           r"(?:decreas|constrict|reduc)(?:es|ed|ing)[ ]+to|"
                           # (a biophysical profile, not a lab's: "lipid profile 7/21" is a date)
                           r"(?:fluid[ ]+volume|bpp|biophysical[ ]+profile)(?:[ ]+(?:is|was|of))?)(?:[ ]+of)?[ ]*[:=]?[ ]*$", _I)
# ... or just after ("5/5 strength", "1/2 tab", "2/6 systolic murmur", "3/4 of the way", "2/2 bottles", "1/2 NS")
# (the units as whole words: "EKG 7/21 NSR", "7/21 CCU admit", "7/21 MGH" are dates)
# (a unit may be joined by a hyphen: "a 1/2-mile walk"; counted things of pathology: "8/12 cores positive")
_NOT_DATE_AFTER = re.compile(r"(?:[ ]*|-)(?:(?:mm[ ]?hg|mm|cm|cc|mg|mcg|ml|ns|nss|min(?:ute)?s?|sec(?:ond)?s?)\b|weeks?|wks?|units?|strength|"
                             r"miles?\b|blocks?\b|flights?\b|feet\b|ft\b|yards?\b|hours?\b|lbs?\b|pounds?\b|oz\b|ounces?\b|"
                             r"cups?\b|glass(?:es)?\b|packs?\b|ppd\b|cores?\b|specimens?\b|fragments?\b|nodes?\b|"
                             r"murmur|pain|hrs?|tabs?|tablets?|caps?|pills?|inch(?:es)?|in\.|of\b|bottles?|sets?|cultures?|blood|bcx|"
                             r"fields?|lobes?|power|motor|reflex(?:es)?|pulses?|bilat(?:erally)?|throughout|sessions?|"
                             r"days?|doses?|times|systolic|diastolic|holosystolic|ejection|recall|objects|words|"
                             r"x\b|\+|%|patell\w*|ankles?|achilles|biceps|triceps|brachioradialis|knees?|"
                             r"beats?|daily\b|bid\b|tid\b|qid\b|qd\b|qhs\b|q\.d\.|b\.i\.d\.|t\.i\.d\.|lpm\b|liters?\b|"
                             r"l[ ]+(?:of|o2|oxygen|nc|via)\b)", _I)
_EXAM_WORDS = re.compile(r"\b(?:strength|motor|power|reflex(?:es)?|dtrs?|murmur|pulses?|grade|scale|score|apgars?|"
                         r"extremit(?:y|ies)|grip|deltoids?|biceps|triceps|quadriceps|hamstrings?|(?:hip[ ]+)?flexors|"
                         # (manual muscle testing by movement, "knee flexion 4/5"; "3/3 object registration"; a
                         # biophysical profile, "fluid volume is 8/8")
                         # (a movement with its joint: "extension" alone is a phone's too)
                         r"(?:hip|knee|ankle|elbow|wrist|shoulder|neck|trunk|finger|toe|foot|internal|external)[ ]+"
                         r"(?:flexion|extension|rotation|abduction|adduction)|(?:dorsi|plantar[ ]?)flexion|inversion|eversion|"
                         r"extensors|abductors|adductors|interosse(?:i|ous)|registration|bpp|biophysical|"
                         r"mmse|moca|cultures?|bottles?|bcx|sets?|fields?|lobes?|pain|pupils?|systolic|diastolic|recall)\b",
                         _I)
_VENT_WORDS = re.compile(r"\b(?:vent|ps|peep|ac|simv|cpap|bipap|fio2|tv|vt|settings?|mode|ipap|epap|prvc|aprv|cmv|imv|psv)\b",
                         _I)
_LIST_BREAKER = re.compile(r"\b(?:at|x|of|is|was|to|ribs?|fx|levels?)[ ]*$", _I)  # (a dash pair after these is a range or value)
_MIXED_FRACTION = re.compile(r"(?<![\d.xX#])\d[ ]$")  # "1 1/2 tabs" (not "0200 8/13", "CABG x3 7/8")
# "10 1/2 inches": two digits before a proper fraction of halves, thirds, quarters or eighths (not "HR 88 7/21")
_MIXED_FRACTION_TWO = re.compile(r"(?<![\d.:])\d\d[ ]$")
# "3-Dec-2003", "28-Aug-03", "7-Dec": day, month name and year joined by dashes (dictation systems, lab printouts)
_DAY_MONTH_DASHED = re.compile(r"(?<![\w-])(?:3[01]|[12]\d|0?[1-9])-(?:jan|feb|mar|apr|may|jun|jul|aug|sept?|oct|nov|dec)"
                               r"[a-z]{0,6}\.?(?:-(?:19|20)?\d\d)?(?![\w-])", _I)
_MONTH_YEAR = re.compile(r"(?<![\d/.])(?:0?[1-9]|1[0-2])/(?:19|20)\d\d(?![\d/])")  # 06/2006: month and year
_APOSTROPHE_YEAR = re.compile(r"(?<![\w'’])['’]\d\d(?![\w'’])")
_HISTORY_CUE = (r"(?:s/p|h/o|hx|history of|dx(?:'d)?|diagnosed|repair|cabg(?:x\d)?|mi|nstemi|stemi|cva|tia|"
                r"stroke|surgery|transplant|stent(?:ed)?|pci|appy|ccy|chole|turp|tkr|thr|lap|ectomy|plasty|bypass|"
                r"fx|fracture|tx|treated|quit|dvt|pe|ca|cancer|tace|aka|bka)")
_TWO_DIGIT_YEAR = re.compile(r"(?<=[a-z)]) (\d\d)(?![\w/%'’-]|\.\d| ?(?:mg|mcg|cc|ml|%|y|yo|yrs?|years?|x|times|months?|mos?|"
                             r"weeks?|wks?|days?|d|hours?|hrs?|h|minutes?|mins?|units?|u|pack|ppd|lbs?|kg|cm|mm)\b)", _I)
# (the event, a count, then "in": "CABG x3 in 94", "MI in 94")
_HISTORY_BEFORE = re.compile(r"(?:^|[\s,;(])" + _HISTORY_CUE + r"(?:[ ]+x[ ]?\d)?(?:[ ]+in)?$", _I)
# A dashed month-day a few words after a history cue on the same line: "s/p lap chole 11-09", "hx PNA 3-14"
_HISTORY_WORDS_BEFORE = re.compile(r"\b(?:s/p|h/o|hx|dx'?d?)(?:[ ]+[A-Za-z][\w/-]*){1,3}[ ]+$", _I)
# (not an amount: "withdraw 2000 mL", "Basal energy expenditure 1960 x 1.44 activity factor")
_YEAR = re.compile(r"(?<![\w/.:@#$-])(?:19[3-9]\d|20[0-3]\d)(?![\w/:]|-\d|\.\d| ?(?:hours?|hrs?|h\b|units?|u\b|mg|mcg|(?i:ml)|cc|g\b|%|kcal|"
                   r"'?s\b(?!/))|[ ]?x[ ]?\d+\.\d)")
_NOT_YEAR_BEFORE = re.compile(r"(?:\bat|@|~|\bx|\bof about|\bbolus|\bgtt|\bis|\bwas|\bglucose|\bbg|\bfs|\bfsbg|"
                              r"\b(?:level|count|titer|value|quant)s?(?:[ ]+(?:of|was|is))?)[ ]*$", _I)
# A study or procedure named just before a dashed month-day ("stress test 3-15 neg", "echo 3-15: EF 55%"):
# a date, as after a date cue (a range after these is rare: "rib fx 4-7" and "HR 80-90" name no study).
_STUDY_BEFORE = re.compile(r"\b(?:test|echo|tte|tee|egd|eeg|emg|mri|cxr|ekg|ecg|scan|study|bx|biopsy|colonoscopy|"
                           r"endoscopy|ercp|lp|paracentesis|thoracentesis|cath)[ ]*[:,]?[ ]*$", _I)
# Reflexes graded "2+/2+", strength "4+/5", "+4/5", "4/5-": a grade with its sign makes the pairs around grades too
# (not a range of dates, "7/20-7/25": the sign there follows a digit or comes before one)
_GRADED_NEAR = re.compile(r"\d\+/\d\+|\d\+[ ]+(?:and|bilat)|\d[+-]/\d|(?<![\d/])[+-]\d/\d|\d/\d[+-](?![\d/])")
# --- phones and pagers ---------------------------------------------------------------------------------
_PAGER = re.compile(r"\b(?:(?:pager|pgr|pg|beeper|bpr|paged?(?: at)?|page[ ]?#)\.?[ ]*[:#]{0,2}[ ]*){1,2}#?[ ]*(\d[\d-]{3,9}\d)(?![\d/])"
                    # ... or a few words on, the number marked by "#": "Pager for neurosurg resident #48820"
                    r"|\b(?:pager|pgr|beeper)[ ]+(?:for|of|to)[ ]+(?:[A-Za-z/.'’-]+[ ]+){0,3}#[ ]*(\d{4,7})(?![\d/])"
                    # ... or after "at"/"@" when it is no clock time (five digits or more): "paged Dr. Lee at 53211",
                    # "Page resident @ 34567" (not "paged resident at 0300")
                    r"|\b(?:page|paged|pager|pgr|beeper)[ ]+(?:[A-Za-z/.'’-]+[ ]+){0,3}?(?:at|@)[ ]*(\d{5,7})(?![\d/:])"
                    # ... or four digits right after the pager's own name ("pgr 4432", "beeper # 4432"; not after "paged")
                    r"|\b(?:pager|pgr|pg|beeper|bpr)\.?[ ]*[:#]{0,2}[ ]*(\d{4})(?![\d/:-]|\.\d)", _I)
_BRACKET_PHONE = re.compile(r"\(\d{3}\)[ ]?\d{7}(?!\d)")
# --- names by context ----------------------------------------------------------------------------------
_TITLE_LOWER = re.compile(r"\b(?i:mr|mrs|ms|miss|dr|rabbi|fr|rev|reverend|pastor|father|sister)\.?[ ]+(?!(?i:and|&)[ ])"  # ("mr. and mrs. o'connor")
                          r"(?:(?i:rev|fr|dr|sgt)\.?[ ]+)?"  # (a title after a role: "pastor rev hutchins")
                          r"([a-z][a-z'’-]+(?:[ ][a-z][a-z'’-]+)?)\b")
_RELATIVE = re.compile(
    r"\b(?:wife|husband|son|daughter|mother|mom|father|dad|brother|sister|niece|nephew|grandson|granddaughter|"
    r"grandma|grandmother|grandfather|stepfather|stepmother|(?:son|daughter|mother|father|brother|sister)-in-law|"
    r"dtr|bro|sis|"  # (nursing shorthand: "dtr peggy", "pt's bro walt")
    r"partner|spouse|boyfriend|girlfriend|fianc[ée]e?|friend|neighbou?r|aunt|uncle|cousin|hcp|proxy|guardian)"
    # (not a verb or a function word right after the relation: "HCP is son abe" is read at "son", not at
    # "HCP is"; a second word only with its capital: "daughter, Patty summarized" is Patty)
    r"\b(?:'s)?(?:[ ]*[,:(-][ ]*|[ ]+)(?!(?:is|was|and|or|at|in|to|of|for|with|who|has|had|will|here|aware|updated)\b)"
    r"([A-Za-z][a-z'’-]+(?:[ ](?-i:[A-Z])[a-z'’-]+)?)", _I)
# A name after the word "name" ("rep name joanne ext 4471", "name: carol"): a given name or surname of the
# name list only, not a word that follows "name" in a phrase ("name and DOB verified", "name band on").
_NAME_CUE = re.compile(r"\bname(?:[ ]+is|[ ]*[:-])?[ ]+([A-Za-z][a-z'’-]+)\b", _I)
_RN_LOWER = re.compile(r"(?:rn|RN)[ ]+([a-z][a-z'’-]+)\b")
_SOCIAL = re.compile(r"\bsocial[ ]*[:-][ ]*([a-z][a-z'’-]+)(?=[ ]+(?:visited|called|in|here|at|came|and))", _I)
_NOT_A_NAME = frozenset(
    "at is was and or the a an in on to of for with who has had will would called visited visiting here there "
    "present aware updated notified states stated says said came left lives living in-law hcp his her their "
    "x2 x3 bedside phone tel home work also very not no yes ok unable able atty attorney".split())
# --- organisations by context --------------------------------------------------------------------------
_UNITS = frozenset(
    "micu sicu tsicu t-sicu csru ccu cvicu nicu picu icu ed er or pacu tcu ir ct mri ep floor home rehab cath lab "
    "emu sdu pcu ctu cdu ou als bls "  # (epilepsy monitoring, step-down, progressive care, clinical decision units)
    "ward unit bed room wards floors hospital hosp snf nh ltc ltach vna ems ambulance clinic office pcp osh".split())
_MOVE_CUE = (r"\b(?:transferred|transfer(?:red)?|txf(?:d|'d)?|xfer(?:red|'d)?|tx'?d|sent|arrived|admitted|adm|came|"
             r"brought(?: in)?|transported|referred|returned|d/c'?d|discharged|coming|going|went|taken|"
             r"seen|followed|treated|pcp|dialysis)")
_ORG_AFTER_MOVE = re.compile(
    "(?i:" + _MOVE_CUE + r"(?:[ ]+[\w/'’.-]+){0,2}?[ ]+(?:to|from|at|by)[ ]+"
    r"(?:the[ ]+)?)((?:St\.?[ ]+)?[A-Z][A-Za-z'’.&-]*(?:[ ]+[A-Z][A-Za-z'’.&-]*){0,3}|[a-z]+(?:[ ][a-z]+){0,2}[ ]"
    r"(?:hospital|rehab|nursing home|medical center|health center|manor))")
# A hospital's abbreviation written in lower case after a move ("transferred to gh", "arrived from vamc", "sent
# to mgh ed", "readmitted from nebh"): the shapes hospitals' abbreviations take (ending in h, mc or hc), never a
# unit, a clinical term, shorthand or a common word ("to or", "from ed", "to ccu", "secondary to sah" has no move).
_LOWER_ABBREVIATION_AFTER_MOVE = re.compile(
    "(?i:" + _MOVE_CUE + r"(?:[ ]+[\w/'’.-]+){0,2}?[ ]+(?:to|from|at)[ ]+(?:the[ ]+)?)([a-z]{1,3}(?:h|mc|hc))\b(?![/'’-])")
_ORG_NOUN = re.compile(r"((?:[A-Z][\w'’.&-]*[ ]+){1,3}(?:Ambulance|Manor|Rehab|VNA|Home Care|House|Nursing Home|"
                       r"Health Center|Medical Center|Health Ctr|Med(?:ical)? Ctr|Hospital|Clinic))\b")  # ("Codman Square Health Ctr")
_LOWER_ORG = re.compile(r"\b((?:[A-Za-z]+[ ]){1,2}(?:hospital|rehab|medical center|health center|nursing home))\b")


_INSTITUTION_TAIL = re.compile(r"[ ]+(?i:ambulance|manor|rehab|vna|home care|house|nursing home|health center|"
                               r"medical center|health ctr|med(?:ical)? ctr|hospital|clinic)$")


_SPECIALTY = re.compile(r"(?:ology|surgery|iatry|iatrics|ics|ine)$")  # "Neurosurgery Clinic", "Medicine Clinic"


def _named_before_noun(value: str) -> bool:
    """A capitalised name before an institution noun that the clinical lexicon knows only because real reports
    name that institution often ("Codman Sq health center", "Lahey Clinic"): the first word is capitalised, no
    common English word unless a name ("Emergency Medical Center", "Physical Therapy Clinic", "Memorial
    Hospital" stay departments or generic), no unit, title or month, and no other word of three letters or
    more is a clinical marker ("Lahey Cardiac Rehab" is a department of a named place, the place alone is kept
    by the other rules)."""
    tail = _INSTITUTION_TAIL.search(value)
    if tail is None or tail.start() == 0:
        return False
    words = value[: tail.start()].split()
    first, names = _strip(words[0]), name_words()
    if not words[0][:1].isupper() or (first in common_words() and first not in names) or first in _UNITS \
            or first in _ORG_STOP_WORDS or first in CLINICAL_TERMS or first in PLACEHOLDERS or first in _MONTHS_AND_DAYS \
            or _SPECIALTY.search(first):
        return False
    return not any(len(_strip(word)) >= 3 and _strip(word) in clinical_markers() and _strip(word) not in names
                   for word in words)


def _proper(value: str) -> bool:
    """A value with one word outside the clinical lexicon, the commonest words, clinical terms, ward names
    and placeholders."""
    lexicon, very_common = clinical_lexicon(), very_common_words()
    for word in re.findall(r"[A-Za-z][A-Za-z'’-]*", value):
        key = _strip(word)
        if len(key) > 1 and key not in lexicon and key not in very_common and key not in CLINICAL_TERMS \
                and key not in PLACEHOLDERS and key not in _UNITS and key not in NURSING_SHORTHAND:
            return True
    return False


def _signature_word(word: str) -> bool:
    """A word of a signed name: an initial ("K.", "m.") or a word that could be a name."""
    core = word.rstrip(".")
    if len(core) == 1:
        return core.isalpha()
    return _strip(word) not in _ORG_STOP_WORDS and _strip(word) not in _UNITS and _name_like(word)  # ("Peds floor RN")


# What makes "to"/"from" no move between places: a change of drug or dose ("switch her to Brevibloc", "put patient
# to Seasonale"), a reaction or a cause ("allergic to LOBSTER", "secondary to X"), a record or a reference
# ("according to MEDITECH", "recorded from the EDB", "prior to Plastics doing"), a body part ("supply to the
# Meckel's diverticulum", "radiating to"). The cue stands at most two words before the preposition, on its line.
_NOT_A_MOVE_BEFORE = re.compile(
    r"\b(?:switch(?:ed|ing)?|chang(?:e|ed|ing)|convert(?:ed|ing)?|increas(?:e|ed|ing)|decreas(?:e|ed|ing)|titrat(?:e|ed|ing)|"
    r"wean(?:ed|ing)?|advanc(?:e|ed|ing)|put|allerg(?:ic|y|ies)|sensitiv(?:e|ity)|intoleran(?:t|ce)|reaction|"
    r"secondary|due|related|according|prior|compared|similar|adjacent|proximal|distal|recorded|radiat(?:e|es|ed|ing)|"
    r"extend(?:s|ed|ing)?|suppl(?:y|ies|ied)|attached|sutured|applied|exposure|exposed|respon(?:se|ds|ded|sive)|"
    r"add(?:ed)?|upgraded|downgraded)\b(?:[ ]+[\w'’/-]+){0,2}[ ]*$", _I)
# Conditions, hormones and labels spelled like a hospital's abbreviation ending in H ("recovering from SDH", "OSH")
_H_CONDITIONS = frozenset("osh sah sdh edh ich ivh iph bph lvh rvh lah rah pph nph cah pah iih pnh lch aih hlh siadh adh tsh fsh "
                          "pth acth dish cteph ipah hh bmh fhh dkah mah".split())
_PLURAL_ABBREVIATION = re.compile(r"[A-Z]{2,5}s")  # "the INRs", "ABGs": lab values, not a hospital


def _named_place(text: str, match: re.Match[str]) -> tuple[int, int, str, float] | None:
    """The organisation or town a clinical note names after "at", "from", "to", "via" or an employment cue,
    when one of its words is no clinical word, unit, shorthand, title, month or common word."""
    if _NOT_A_MOVE_BEFORE.search(text, max(0, text.rfind("\n", 0, match.start()) + 1, match.start() - 40),
                                 match.start()):
        return None
    if _PLURAL_ABBREVIATION.fullmatch(match.group(1)) or text[match.end(1) : match.end(1) + 1] == ":" \
            or match.group(1).lower() in _H_CONDITIONS:
        return None  # ("the INRs"; "MOTIVATION TO DONATE:": a heading)
    words = match.group(1).split()
    while words and (_strip(words[-1]) in _ORG_STOP_WORDS or _strip(words[-1]) in _UNITS or words[-1] == "&"):
        words.pop()
    if not words or any(char.isdigit() for word in words for char in word):
        return None
    if _strip(words[0]) in _ORG_STOP_WORDS or _strip(words[0]) in _MONTHS_AND_DAYS:
        return None
    value = " ".join(words)
    upper_short = value.isupper() and len(value) <= 2
    if not upper_short and _hospital_abbreviation(value):
        return match.start(1), match.start(1) + len(value), "ORGANIZATION", 0.7  # ("evaluation at UIHC")
    if upper_short or not (_proper(value) or _named_institution(value)) or _strip(value) in STATES_AND_COUNTRIES:
        return None
    kind = "LOCATION" if _strip(value) in place_words() else "ORGANIZATION"
    end = match.start(1) + len(value)
    if _INSTITUTION_LAST.search(value):  # "at Baylor College of Medicine", "from Tufts University School of Medicine"
        tail = _OF_TAIL.match(text, end)
        if tail is not None:
            end, kind = tail.end(), "ORGANIZATION"
    return match.start(1), end, kind, 0.7


_INSTITUTION_LAST = re.compile(r"\b(?:College|University|School|Institute|Academy|Center|Centre|Hospital)$")
_OF_TAIL = re.compile(r"[ ]+of[ ]+(?:the[ ]+)?[A-Z][\w'’-]*(?:[ ]+(?:and[ ]+)?[A-Z][\w'’-]*){0,3}")


def _named_institution(value: str) -> bool:
    """One capitalised word after "at"/"from"/"to" that is a name of the name list and no common word: a hospital
    named after a person ("placed 2012 at Lahey", "from Spaulding"), which the clinical lexicon knows because
    real reports name it often."""
    key = _strip(value)
    return (" " not in value and value[:1].isupper() and value[1:].islower() and key in name_words()
            and key not in common_words() and key not in CLINICAL_TERMS and key not in _UNITS)


def _hospital_abbreviation(value: str) -> bool:
    """An all-capitals word of 3-5 letters ending in HC (health care) or MC (medical center) that is no
    clinical term, unit, shorthand or placeholder: after "at"/"from"/"to" in a clinical note, a hospital
    (UIHC, VAMC, BIDMC; not LAD, RCA, PACS). One ending in H alone is not taken here: conditions end so too
    ("secondary to SAH", "due to BPH"); after a transfer cue any abbreviation is (``_ORG_AFTER_MOVE``). The
    clinical lexicon is not asked: a hospital's abbreviation recurs across that hospital's reports."""
    key = _strip(value)
    return (value.isalpha() and value.isupper() and 3 <= len(value) <= 5 and value.endswith(("HC", "MC"))
            and key not in CLINICAL_TERMS and key not in PLACEHOLDERS and key not in _UNITS
            and key not in NURSING_SHORTHAND)


_MONTHS_AND_DAYS = frozenset(
    "jan feb mar apr may jun jul aug sep sept oct nov dec january february march april june july august september "
    "october november december mon tue tues wed thu thur thurs fri sat sun monday tuesday wednesday thursday friday "
    "saturday sunday".split())


def _name_like(word: str) -> bool:
    """After a relation word or a title: a name unless it is a common word, clinical vocabulary or a
    placeholder ("wife marge", "Son Kevin"; not "wife at bedside", "son aware")."""
    key = _strip(word)
    if key in _NOT_A_NAME or key in PLACEHOLDERS or key in CLINICAL_TERMS:
        return False
    if key in very_common_words():
        return False
    if key in name_words():
        return True
    if word.islower() and _verb_form(key):
        return False  # "daughter adds", "husband threw", "neighbor suspects": the relation is the subject
    return _proper(word)


# Irregular past tenses a relation word is often the subject of ("husband threw", "son brought").
_IRREGULAR_PAST = frozenset("threw went came took gave brought told said left got found felt fell ran saw thought kept "
                            "drove stayed sat stood wrote spoke knew heard paid sent spent".split())


def _verb_form(key: str) -> bool:
    """A lower-case word that is an inflected verb: a common stem + s/es/ed/ing, or an irregular past."""
    if key in _IRREGULAR_PAST:
        return True
    common = common_words()
    for suffix in ("ing", "ed", "es", "s", "d"):
        if key.endswith(suffix) and len(key) - len(suffix) >= 3:
            stem = key[: -len(suffix)]
            if stem in common or stem + "e" in common:
                return True
    return False


# An institution named before the noun that says what it is, the noun in any case ("Lifeline ambulance",
# "Shaw's supermarket", "St. Anne's parish", "Lincoln Elementary"): read backwards from the noun.
_INSTITUTION_NOUNS = (r"ambulance|supermarket|market|parish|church|synagogue|temple|mosque|school|elementary|academy|"
                      r"college|university|ltach|ltac|snf|dialysis|manor|village|residence|assisted living|rehab|vna|"
                      r"nursing home|home care|health center|medical center|hospital|clinic|pharmacy|institute")
_ORG_BEFORE_NOUN = re.compile(r"((?:St\.?[ ]+)?[A-Z][\w'’.&-]*(?:[ ]+(?:&[ ]+)?[A-Z][\w'’.&-]*){0,2})[ ]+(?i:"
                              + _INSTITUTION_NOUNS + r")\b")
# In clinical text, a capitalised name after "at", "from", "to" or "via" that is no clinical word, unit or
# shorthand: a hospital, a practice or an employer ("at Lahey", "from NEBH", "at Joslin", "at Raytheon").
_ORG_AFTER_PLACE_WORD = re.compile(r"\b(?i:at|from|to|via)[ ]+(?:the[ ]+)?((?:St\.?[ ]+)?[A-Z][\w'’&-]*(?:[ ]+(?:&[ ]+)?"
                                   r"[A-Z][\w'’&-]*){0,2})")
# ... and after "worked/works/retired ... for (the)": "a bus driver for the MBTA"
_EMPLOYER = re.compile(r"\b(?i:work(?:s|ed|ing)?|employed|retired|job)\b[^.\n]{0,40}?\b(?i:for|with|at|from)[ ]+(?:the[ ]+)?"
                       r"([A-Z][\w'’&-]*(?:[ ]+[A-Z][\w'’&-]*){0,2})")
# --- phone extensions and names signed with a credential ---------------------------------------------
_EXTENSION = re.compile(r"(?<![\w/])(?i:x|ext\.?|extension)[ ]?(\d-?\d{4}|\d{4,5})(?![\w/])")
# A signature: a name (any case, initials too) and a credential closing a line or a note ("-- K. Bradley, RN",
# "m. dubois rn"), read back from the credential; or a name right before "RN" ("report to Jill RN on 4 south").
_SIGNED_NAME = re.compile(r"(?:^|(?<=[\n>:-])|(?<=[.!?;] ))[ \t]*([A-Za-z][A-Za-z'’-]*\.?(?:[ ][A-Za-z][A-Za-z'’-]*\.?){0,2}),?[ ]+$")
_LINE_ENDS_AFTER = re.compile(r"[ \t]*(?:\n|$)")
_NAME_BEFORE_RN = re.compile(r"([A-Za-z][a-z'’-]+)[ ]+$")
_ORG_STOP_WORDS = frozenset("the a an and or of in on at to for with by from via per as is was be this that these those "
                            "he she it we they his her their our my your dr mr mrs ms".split())


_ANCHORS = Scanner([
    Anchor("short_date", r"\d{1,2}[/-]\d{1,2}"),
    Anchor("month_year", r"\d{1,2}/(?:19|20)\d\d"),
    Anchor("day_month_dashed", r"\d{1,2}-(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)", caseless=True),
    Anchor("apostrophe_year", r"['’]\d\d"),
    Anchor("two_digit_year", r" \d\d"),
    Anchor("year", r"(?:19[3-9]|20[0-3])\d"),
    Anchor("pager", r"\b(?:pager|pgr|pg|beeper|bpr|page)", caseless=True),
    Anchor("bracket_phone", r"\(\d{3}\)"),
    Anchor("title", r"\b(?:mr|mrs|ms|miss|dr|rabbi|fr|rev|reverend|pastor|father|sister)", caseless=True),
    Anchor("relative", r"\b(?:wife|husband|son|daughter|mother|mom|father|dad|brother|sister|niece|nephew|grand|"
                       r"step|partner|spouse|boyfriend|girlfriend|fianc|friend|neighbo|aunt|uncle|cousin|hcp|proxy|guardian|dtr|bro|sis)",
           caseless=True),
    Anchor("social", r"\bsocial", caseless=True),
    Anchor("name_cue", r"\bname\b", caseless=True),
    Anchor("move", r"\b(?:transfer|txf|xfer|tx'?d|sent|arrived|admitted|adm|came|brought|transported|referred|"
                   r"returned|d/c|discharged|coming|going|went|taken|seen|followed|treated|pcp|dialysis)", caseless=True),
    Anchor("org_noun", r"(?:Ambulance|Manor|Rehab|VNA|Home Care|House|Nursing Home|Health Center|Medical Center|Health Ctr|Med Ctr|Medical Ctr|"
                       r"Hospital|Clinic)\b"),
    Anchor("lower_org", r"(?:hospital|rehab|medical center|health center|nursing home)\b"),
    Anchor("institution", r"(?:" + _INSTITUTION_NOUNS + r")\b", caseless=True),
    Anchor("place_word", r"\b(?i:at|from|to|via)[ ]+(?:(?i:the)[ ]+)?[A-Z]"),
    Anchor("employer", r"\b(?:work|employed|retired|job)", caseless=True),
    Anchor("extension", r"(?:\b[xX]|\b(?:ext|EXT|Ext|extension))\.?[ ]?\d"),
    Anchor("credential", r"\b(?:rn|RN|R\.N\.|md|MD|M\.D\.|np|NP|lpn|LPN|licsw|LICSW|lcsw|LCSW|msw|MSW|rrt|RRT|pa-c|PA-C|DPT|OTR|SLP)\b|, (?:PT|OT)\b"),
    *NUMBER_ANCHORS,
])


def _score_or_setting(text: str, match: re.Match[str], before: str) -> bool:
    """Is a slash month/day with no date cue a score, a fraction or a setting instead ("pain 7/10",
    "strength 4/5 bilat", "1 1/2", "PS 10/5")? Read from the words just around it."""
    first, second = int(match.group(1)), int(match.group(3))
    if (second > 6 or first > second) and _CULTURE_BEFORE.search(before):
        return False  # ("cx 7/21 NGTD")
    if _SCORE_BEFORE.search(before) or _MIXED_FRACTION.search(before):
        return True
    if first < second and second in (2, 3, 4, 8) and _MIXED_FRACTION_TWO.search(before):
        return True
    if match.group(0) == "2/2" and re.match(r"[ ]+[A-Za-z]", text[match.end() : match.end() + 2]):  # (not "2/02")
        return True  # ("2/2 hypovolemia", "pt 2/2 afib": "secondary to"; a date 2/2 comes with a cue)
    if second == 10 and first <= 10:
        return True  # (a pain score: dates written x/10 come with a cue: "on 5/10", "adm 6/10")
    line_start = text.rfind("\n", 0, match.start()) + 1
    if _VENT_WORDS.search(text, max(line_start, match.start() - 20), match.start()):
        return True
    if second <= 6 and first <= second:  # "5/5", "2/6", "3/4": an exam score when an exam word is near
        near = text[max(line_start, match.start() - 30) : match.end() + 20]
        return _EXAM_WORDS.search(near) is not None or _GRADED_NEAR.search(near) is not None
    return False


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
        finders = [self._short_dates, self._date_ranges, self._month_dates, self._phones, find_numbers, self._names,
                   self._signed, self._organisations]
        if clinical_context(text):  # (a year alone is a date of the patient's history in a clinical note only:
            finders.append(self._years)  # elsewhere Safe Harbor keeps years, "founded in 1977")
        for finder in finders:
            for start, end, kind, confidence in finder(text, hits):
                span = make_span(text, start, end, kind, confidence, self.name)
                if span is not None:
                    yield span

    @staticmethod
    def _short_dates(text: str, hits: dict):
        last_end = -1000  # where the last date this rule took ends: a list of dates needs one cue ("placed 5/17, ... 5/19")
        for match in matches_at(_SHORT_DATE, text, _starts(hits, "short_date")):
            if _NOT_DATE_AFTER.match(text, match.end()):
                continue
            before = text[max(0, match.start() - 24) : match.start()]
            cue = _CUE_BEFORE.search(before) is not None or MOVE_TO_UNIT.search(before) is not None or (match.group(2) == "-" and (
                _STUDY_BEFORE.search(before) is not None or _HISTORY_WORDS_BEFORE.search(before) is not None
                or _STUDY_AFTER.match(text, match.end()) is not None
                or (_CLOCK_AFTER.match(text, match.end()) is not None and not _SCORE_BEFORE.search(before)
                    and not _VENT_WORDS.search(before))))
            entry_head = _ENTRY_HEAD.search(before) is not None and text[match.end() : match.end() + 1] in (":", " ", "-", "\n", "") \
                and not _SECONDARY_TO.match(text, match.start())  # ("2/2 copious secretions" heads a line: "secondary to")
            in_list = match.start() - last_end <= 40 and "\n" not in text[last_end : match.start()]
            if match.group(2) == "/" and not (cue or entry_head):
                taken = not _score_or_setting(text, match, before)
            else:
                taken = cue or entry_head or (in_list and not _SCORE_BEFORE.search(before)
                                              and not _LIST_BREAKER.search(before))
            if taken:
                last_end = match.end()
                yield match.start(), match.end(), "DATE", 0.8

    @staticmethod
    def _date_ranges(text: str, hits: dict):
        for match in matches_at(_DATE_RANGE, text, _starts(hits, "short_date")):
            before = text[max(0, match.start() - 24) : match.start()]
            if _SCORE_BEFORE.search(before) or _VENT_WORDS.search(before) or _NOT_DATE_AFTER.match(text, match.end()):
                continue
            yield match.start(1), match.end(1), "DATE", 0.75
            yield match.start(2), match.end(2), "DATE", 0.75
        for match in matches_at(_DAY_RANGE, text, _starts(hits, "short_date")):
            before = text[max(0, match.start() - 24) : match.start()]
            if int(match.group(4)) <= int(match.group(3)) or _SCORE_BEFORE.search(before) or _VENT_WORDS.search(before) \
                    or _NOT_DATE_AFTER.match(text, match.end()):
                continue
            yield match.start(1), match.end(1), "DATE", 0.75
            yield match.start(4), match.end(4), "DATE", 0.75

    @staticmethod
    def _month_dates(text: str, hits: dict):
        for match in matches_at(_MONTH_YEAR, text, _starts(hits, "month_year")):
            yield match.start(), match.end(), "DATE", 0.85
        for match in matches_at(_DAY_MONTH_DASHED, text, _starts(hits, "day_month_dashed")):
            yield match.start(), match.end(), "DATE", 0.85

    @staticmethod
    def _years(text: str, hits: dict):
        for match in matches_at(_APOSTROPHE_YEAR, text, _starts(hits, "apostrophe_year")):
            month = _MONTH_BEFORE.search(text, max(0, match.start() - 12), match.start())  # ("TKR Jan '03": month and year)
            yield (match.start() if month is None else month.start()), match.end(), "DATE", 0.8
        for match in matches_at(_TWO_DIGIT_YEAR, text, _starts(hits, "two_digit_year")):
            if _HISTORY_BEFORE.search(text, max(0, match.start() - 20), match.start()):
                yield match.start(1), match.end(1), "DATE", 0.7
        for match in matches_at(_YEAR, text, _starts(hits, "year")):
            if not _NOT_YEAR_BEFORE.search(text, max(0, match.start() - 12), match.start()):
                yield match.start(), match.end(), "DATE", 0.7

    @staticmethod
    def _phones(text: str, hits: dict):
        for match in matches_at(_PAGER, text, _starts(hits, "pager")):
            group = next(index for index in (1, 2, 3, 4) if match.group(index) is not None)
            yield match.start(group), match.end(group), "PHONE", 0.85
        for match in matches_at(_BRACKET_PHONE, text, _starts(hits, "bracket_phone")):
            yield match.start(), match.end(), "PHONE", 0.85
        for match in matches_at(_EXTENSION, text, _starts(hits, "extension")):
            yield match.start(1), match.end(1), "PHONE", 0.75

    @staticmethod
    def _names(text: str, hits: dict):
        for match in matches_at(_TITLE_LOWER, text, _starts(hits, "title")):
            words = match.group(1).split(" ")
            if not _name_like(words[0]) and not (_strip(words[0]) not in _NOT_A_NAME and _proper(words[0])):
                continue
            end = match.start(1) + len(words[0]) - (2 if words[0].lower().endswith(("'s", "’s")) else 0)  # ("Mr. quinlan's wife")
            if len(words) > 1 and _strip(words[1]) in name_words() and _name_like(words[1]):
                end = match.end(1)
            yield match.start(1), end, "NAME", 0.85
        for match in matches_at(_NAME_CUE, text, _starts(hits, "name_cue")):
            word = match.group(1)
            if _strip(word) in name_words() and _name_like(word) and _strip(word) not in _NOT_A_NAME \
                    and _strip(word) not in very_common_words():
                yield match.start(1), match.end(1), "NAME", 0.7
        for start, end in hits.get("credential", ()):
            match = _RN_LOWER.match(text, start)
            if match is not None and _strip(match.group(1)) in name_words() and _name_like(match.group(1)) \
                    and _strip(match.group(1)) not in very_common_words():
                yield match.start(1), match.end(1), "NAME", 0.7  # ("report given by rn tess", "called to rn jo")
        for pattern, anchor in ((_RELATIVE, "relative"), (_SOCIAL, "social")):
            found = matches_at(pattern, text, _starts(hits, anchor))
            for match in list(found):
                again = _RELATIVE.match(text, match.start(1)) if pattern is _RELATIVE else None
                if again is not None:
                    found.append(again)  # "HCP (son Phil)": the relation named after a relation
            for match in found:
                words = match.group(1).split(" ")
                if not _name_like(words[0]):
                    continue
                if words[0][0].islower() and "'" in text[match.start() : match.start(1)].replace("’", "'"):
                    continue  # "mother's pants", "father's whereabouts": a possessive names a thing
                end = match.start(1) + len(words[0])
                if len(words) > 1 and _name_like(words[1]):
                    end = match.end(1)
                yield match.start(1), end, "NAME", 0.8

    @staticmethod
    def _signed(text: str, hits: dict):
        for start, end in ((at + 2 if text[at] == "," else at, end) for at, end in hits.get("credential", ())):  # (", PT")
            # (or a name and its credential inside a line, after a label or a stop: "PCP: Sanjay Rao, MD, Codman ...")
            signed = _LINE_ENDS_AFTER.match(text, end) is not None or (text[start - 2 : start] == ", " and text[start:end].isupper())
            base = max(text.rfind("\n", 0, start) + 1, start - 48)
            before = _EARLIER_CREDENTIALS.sub(" ", text[base:start]) if signed else text[base:start]  # ("M. Delgado, PT, DPT")
            match = (_SIGNED_NAME if signed else _NAME_BEFORE_RN).search(before)
            if match is None or (not signed and text[start:end].lower() != "rn"):
                continue
            words = match.group(1).split(" ")
            skip = max((i + 1 for i, word in enumerate(words[:-1]) if signed and len(word) > 2 and word.endswith(".")), default=0)
            shift, words = len(" ".join(words[:skip])) + (1 if skip else 0), words[skip:]  # ("Recs: rehab. K. Walsh, PT")
            if not signed and _verb_form(_strip(words[-1])) and _strip(words[-1]) not in name_words():
                continue  # ("Accepting RN Caitlin", "Covering RN"): a verb before the role
            if all(_signature_word(word) for word in words) and any(len(word.rstrip(".")) > 1 for word in words):
                yield base + match.start(1) + shift, base + match.end(1), "NAME", 0.75

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
        for match in matches_at(_LOWER_ABBREVIATION_AFTER_MOVE, text, _starts(hits, "move")):
            key = match.group(1)
            if key in _UNITS or key in CLINICAL_TERMS or key in NURSING_SHORTHAND or key in PLACEHOLDERS \
                    or key in common_words() or (not key.endswith(("mc", "hc")) and key in clinical_markers()) \
                    or _NOT_A_MOVE_BEFORE.search(text, max(0, match.start() - 40), match.start(1)):
                continue  # (a condition ending in h that real reports name often, "bph"; "switched to ...")
            yield match.start(1), match.end(1), "ORGANIZATION", 0.7
        for pattern, anchor in ((_ORG_NOUN, "org_noun"), (_LOWER_ORG, "lower_org")):
            for match in _ending_near(pattern, text, hits, anchor):
                if _proper(match.group(1)) or _named_before_noun(match.group(1)):
                    yield match.start(1), match.end(1), "ORGANIZATION", 0.75
        for start, end in hits.get("institution", ()):
            for match in _ORG_BEFORE_NOUN.finditer(text, max(0, start - 60), end):
                if match.end() == end and _proper(match.group(1)) and _strip(match.group(1).split()[0]) not in _ORG_STOP_WORDS:
                    yield match.start(1), match.end(1), "ORGANIZATION", 0.75
        if not clinical_context(text):
            return  # (in general text a capitalised name after "at" is found by the name rules already)
        yield from named_hospitals(text, _starts(hits, "place_word"))  # ("transferred to Methodist", "at Ochsner where")
        for pattern, anchor in ((_ORG_AFTER_PLACE_WORD, "place_word"), (_EMPLOYER, "employer")):
            for match in matches_at(pattern, text, _starts(hits, anchor)):
                span = _named_place(text, match)
                if span is not None:
                    yield span
