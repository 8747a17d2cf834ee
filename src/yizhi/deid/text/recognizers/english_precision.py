"""Sixth round of English precision rules (issue 16), from the second annotated MTSamples dev sample
(``tests/deid_text/data/real/build_mtsamples_gold_dev2.py``): what the name and organisation rules still
took there, each dropped by a general rule rather than by its string.

* "No significant MR. Mitral inflow": "MR." or "MS." in capitals after a lower-case word ends a sentence
  (mitral regurgitation, multiple sclerosis); the clinical word after it is no name;
* "Brother, colon CA": a lower-case word after a relation word that real reports use as clinical
  vocabulary is no name when no name list has it, or when a clinical word follows it ("colon CA", "lung
  cancer"); "brother frank", "partner ray" (names that are clinical words too) stay;
* "Dr. G of Urology": a stand-in initial and the department after it;
* "the Homeless Clinic", "by Rescue Squad": a facility or service noun after one common English word
  is a kind of place, not a named institution ("Renal Clinic" is already a department);
* "removed from the Integra": a single capitalised word that only a move or place cue makes an
  organisation, after "the" and in no name or place list, is a product or a device (a hospital named by
  one word goes without the article: "to Heartland", "at Ochsner"; an abbreviation stays: "the MBTA");
* "famotidine 20 mg, Bayer Aspirin": a guessed word right before a drug name is its maker or brand;
* "employed as a United States Marine officer": no person's name starts with a country or a state of two
  words or more (one-word states stay: "Georgia", "Virginia" are given names too);
* "Serum Albumin 4520 (normal 3150-4500)": a lab's reference range, no phone number;
* (from a seed-61 sample of 400 unannotated reports, after the rules above) "Ewing sarcoma": a guessed
  single word right before a lower-case clinical word that is no common English word names a disease or a
  thing (the possessive form, "Meckel's diverticulum", is english_clean's); "A 37-year-old German woman":
  a word between an age and the person it describes is a nationality or a descriptor, no name; "mild PI",
  "trace TR": a short abbreviation after a grade of severity is a finding; "Cordis 6Fr JR 4.0", "AVA 3.5
  guide": a short abbreviation before a decimal size is a catheter's shape or a model;
* (from a seed-71 sample) "Dr. Y. An echocardiogram", "Dr. R. He was": a stand-in initial, then a
  pronoun or an article, is no name; "The biological father allegedly was": a lower-case adverb in -ly
  after a relation word, a common English word in no name list ("kelly", "holly" are in one), is no
  name; "McCall culdoplasty": a word before a procedure named by its suffix
  (-plasty, -ectomy, -otomy, -ostomy, -pexy, -rrhaphy, -scopy) is an eponym.
* (issue 16, seventh round, dev2) "Coblation Evac Xtra Wand on 7/3", "cautery at 30/30": a slash pair right
  after a surgical device and "on"/"at" is its power setting, whichever rule read "on 7/3" as a date ("placed
  on", "vent on 7/21" are no such device: dates in nursing notes stay); and one right before a unit it
  measures ("on 3/4 L of oxygen", "10/7 mmHg"), which the "on 3/14" pattern does not read;
  "Arnold Chiari II with syrinx", "Hunt Hess III subarachnoid": a guessed name ending in a Roman numeral,
  then a technical word (no common English word: "John Smith III was seen" stays), is an eponymous grade or
  type. (Not "Moya Moya": a word said twice is a disease there, but a person too: "RN: James James".)
"""

from __future__ import annotations

import re

from yizhi.deid.text.spans import Span

_CAPITAL_TITLE_AFTER_WORD = re.compile(r"[a-z][ ]+(?:MR|MS)\.[ ]+$")
_INITIAL_AND_DEPARTMENT = re.compile(r"[A-Z]\.?,?[ ]+of[ ]+[A-Z][a-z]+")  # ("Dr. S, of Rheumatology")
_FACILITY_KINDS = frozenset("clinic squad service services team unit program".split())
_THE_BEFORE = re.compile(r"\b(?i:the)[ ]+$")
_REFERENCE_RANGE_BEFORE = re.compile(r"\b(?i:normal|ref(?:erence)?|range|nl)[ ]*[:=(]?[ ]*$")
_AGED_BEFORE = re.compile(r"\b(?:year|month|week|day)s?[- ]old[ ]+$", re.IGNORECASE)
_PERSON_AFTER = re.compile(r"[ ]+(?:woman|man|female|male|lady|gentleman|boy|girl|child|infant|patient)\b")
_LOWER_NEXT = re.compile(r"[ ]+([a-z]{4,})\b")
_DOSE_NEXT = re.compile(r"[ ]+\d+(?:\.\d+)?[ ]?(?:mg|mcg|g|units?|mEq|ml|mL)\b")
_SEVERITY_BEFORE = re.compile(r"\b(?i:mild|moderate|severe|trace|trivial|minimal|significant|small|large)[ ]+$")
_SHORT_CAPITALS = re.compile(r"[A-Z]{2,4}")
_DECIMAL_AFTER = re.compile(r"[ ]+\d{1,2}\.\d\b")
_INITIAL_THEN_COMMON = re.compile(r"[A-Z]\.?[ ]+(?i:he|she|it|an|a|the|they|we|his|her|was|is|and)")
_PROCEDURE_AFTER = re.compile(r"[ ]+[a-z]+(?:plasty|ectomy|otomy|ostomy|pexy|rrhaphy|scopy)\b")
_NEXT_WORD = re.compile(r"[ ]+([A-Za-z][A-Za-z-]{1,})\b")
_SLASH_PAIR = re.compile(r"\d{1,2}/\d{1,2}")
_DEVICE_ON_BEFORE = re.compile(r"\b(?:wand|probe|cautery|electrocautery|bovie|coblator|coblation|laser|generator|"
                               r"settings?|power)[ ]+(?:on|at|of)[ ]*$", re.IGNORECASE)
_UNIT_AFTER = re.compile(r"[ ]*(?:(?:l|liters?|lpm)[ ]+(?:of|o2|oxygen|nc|via)|mm[ ]?hg|mg|mcg|ml|cc|units?)\b", re.IGNORECASE)


def _clinical_word_after(text: str, end: int) -> bool:
    from yizhi.deid.text.recognizers.english import clinical_lexicon, common_words

    after = _NEXT_WORD.match(text, end)
    if after is None:
        return False
    word = after.group(1)
    return (word.isupper() and len(word) <= 4) or (word.lower() in clinical_lexicon() and word.lower() not in common_words())


def _country_first(words: list[str]) -> bool:
    from yizhi.deid.text.recognizers.english_clean import STATES_AND_COUNTRIES

    return any(" ".join(words[:size]) in STATES_AND_COUNTRIES for size in (2, 3) if len(words) > size)


def reference_range(text: str, span: Span) -> bool:
    """A PHONE read in a lab's reference range ("(normal 3150-4500)")."""
    return span.type == "PHONE" and _REFERENCE_RANGE_BEFORE.search(text, max(0, span.start - 14), span.start) is not None


_ROMAN_TAIL = re.compile(r"[ ]+(?:I|II|III|IV|V|VI)$")
_TECHNICAL_AFTER = re.compile(r"[ ]+(?:(?:with|and|of)[ ]+)?([a-z][a-z-]{2,})\b")
_GRADED_THINGS = frozenset("fracture fractures malformation type classification grade lesion injury disease deformity "
                           "tear configuration pattern".split())


def _eponymous_grade(text: str, span: Span) -> bool:
    """"Arnold Chiari II with syrinx" (see the module)."""
    from yizhi.deid.text.recognizers.english import common_words

    words = span.text.split()
    if len(words) < 2 or not _ROMAN_TAIL.search(span.text):
        return False
    after = _TECHNICAL_AFTER.match(text, span.end)
    return after is not None and (after.group(1) in _GRADED_THINGS or after.group(1) not in common_words())


def device_setting(text: str, span: Span) -> bool:
    """A DATE "7/3" that is a surgical device's power setting ("Wand on 7/3") or a measure ("on 3/4 L of O2")."""
    return span.type == "DATE" and _SLASH_PAIR.fullmatch(span.text) is not None and (
        _DEVICE_ON_BEFORE.search(text, max(0, span.start - 20), span.start) is not None
        or _UNIT_AFTER.match(text, span.end) is not None)


def sixth_round_drop(text: str, span: Span, guessed: bool) -> bool:
    """Is ``span`` (a NAME, LOCATION, ORGANIZATION or ADDRESS) one of the module's phenomena?"""
    if span.type in ("NAME", "LOCATION", "ORGANIZATION") and _SHORT_CAPITALS.fullmatch(span.text) and (
            _SEVERITY_BEFORE.search(text, max(0, span.start - 12), span.start) or _DECIMAL_AFTER.match(text, span.end)):
        return True
    if span.type == "NAME" and _not_a_name(text, span):
        return True
    if guessed and span.type == "NAME" and _eponymous_grade(text, span):
        return True
    if span.type == "ORGANIZATION" and _not_an_organisation(text, span, guessed):
        return True
    return guessed and span.type in ("NAME", "LOCATION") and _guessed_word_names_a_thing(text, span)


def _not_a_name(text: str, span: Span) -> bool:
    """"MR. Mitral", "Brother, colon CA", "Dr. G of Urology", "Dr. R. He", "father allegedly", "United States
    Marine"."""
    from yizhi.deid.text.recognizers.english import clinical_lexicon, common_words, name_words

    value = span.text
    key = value.lower()
    if _CAPITAL_TITLE_AFTER_WORD.search(text, max(0, span.start - 12), span.start) and key.split()[0] in clinical_lexicon():
        return True
    if value.islower() and " " not in value and key in clinical_lexicon() and (
            key not in name_words() or _clinical_word_after(text, span.end)):
        return True
    if _INITIAL_AND_DEPARTMENT.fullmatch(" ".join(value.split())) or _INITIAL_THEN_COMMON.fullmatch(value):
        return True
    if value.islower() and " " not in value and key.endswith("ly") and key in common_words() and key not in name_words():
        return True  # (an adverb; common words in general are not enough: "walt", "deb", "abe" are in that list)
    return _country_first(key.split())


def _not_an_organisation(text: str, span: Span, guessed: bool) -> bool:
    """"the Homeless Clinic", "by Rescue Squad", "removed from the Integra"."""
    from yizhi.deid.text.recognizers.english import common_words, name_words, place_words

    value = span.text
    key = value.lower()
    words = key.split()
    after = _NEXT_WORD.match(text, span.end)
    if len(words) == 1 and after is not None:
        words.append(after.group(1).lower())  # ("the Homeless" found alone, "Clinic" after it)
    if len(words) == 2 and words[1] in _FACILITY_KINDS and words[0] in common_words() \
            and words[0] not in name_words() and words[0] not in place_words():
        return True
    return " " not in value and not value.isupper() and not guessed \
        and _THE_BEFORE.search(text, max(0, span.start - 5), span.start) is not None and key not in name_words() \
        and key not in place_words()


def _guessed_word_names_a_thing(text: str, span: Span) -> bool:
    """A guessed word before a procedure, a clinical noun or a drug, or between an age and a person ("McCall
    culdoplasty", "Ewing sarcoma", "Bayer Aspirin 81 mg", "37-year-old German woman")."""
    from yizhi.deid.text.recognizers.english import clinical_lexicon, common_words, name_words
    from yizhi.deid.text.recognizers.english_clean import drug_words

    if _PROCEDURE_AFTER.match(text, span.end):
        return True
    if " " in span.text:
        return False
    lower_after = _LOWER_NEXT.match(text, span.end)
    if lower_after is not None and lower_after.group(1) in clinical_lexicon() and lower_after.group(1) not in common_words():
        return True
    if _AGED_BEFORE.search(text, max(0, span.start - 14), span.start) and _PERSON_AFTER.match(text, span.end):
        return True
    after = _NEXT_WORD.match(text, span.end)
    if span.type != "NAME" or after is None:
        return False
    drug = after.group(1).lower()
    # (the drug list read from real medication lists holds common words too: "will", "lives", "general"; a
    # common one counts before its dose only: "Bayer Aspirin 81 mg", not "Jacob lives on")
    return drug in drug_words() and drug not in name_words() and (
        drug not in common_words() or _DOSE_NEXT.match(text, after.end()) is not None)


# --- issue 16, third precision round: from the TUNE sample of bench/deid_text_review.py (fresh MTSamples
# reports, every predicted span reviewed); each a general rule, none a string exception.
#
# * "Adriamycin, and Abraxane", "IgG, and IgA", "Massachusetts and Maine": a list joined by "and" whose every
#   item is a clinical word, a drug or a state is no institution or name (a list of people names a person:
#   "Ruby and Camilla" keeps it); long words no list knows count as drugs when a known drug begins the list;
# * "Xxxxx's condition", "Y office notes": the transcription's stand-ins (a run of x, a lone capital letter);
# * "curved Masterson", "Straight Masterson": a capitalised word after a shape word is an instrument;
# * "Whitnall's tubercle", "Gardner-Wells tongs": one word that a move cue ("to", "via") made an organisation,
#   then a lower-case clinical word that is no common English word, is an eponymous structure or device;
# * "Neuro-Oncology Clinic": a facility noun after a specialty (a word in -ology, -iatry, with clinical words in
#   no name or place list beside it) is a department ("Codman Sq health center" names no specialty: it stays);
# * "2/6 SEM", "5/4 @ elbow", "5/5 @ and below knees" (not "placed 7/21 @ OSH", "7/21 @ 1400"), "2/2 archilles", "6/14 OD", "rated himself 4/7", "1/2 atrophy": a slash pair
#   beside an examination word is a score, grade or fraction, no date; "3-4 years" is a duration;
# * "Alcon AcrySof", "Cordis Vista Brite Tip", "Tussionex Pennkinetic", "for Barrett in 3 years", "curved Glover":
#   in a clinical note a capitalised run that only its capitals made a name (no title, relation word, cue or
#   credential) needs a given name to be one: a surname alone there is mostly an eponym, and products and
#   devices hold no name at all ("Natalie was placed", "Lynn Holmberg", "Instructed Ben" keep theirs; a place
#   word or an institution word keeps the run for the place and organisation rules; so does the subject of a
#   sentence: "0800: Frey alert and oriented", "Salazar states");
# * "Her MS Contin", "MR Mitral": "MS"/"MR" in capitals with no full stop, then a word of no name list, is an
#   abbreviation (morphine sulfate, multiple sclerosis, mitral regurgitation), no title;
# * "An SN60WS diopter lens", "SN60AT, 23.0 D", "a PG 2960 BPX Genesis stent": a number inside a letter token,
#   or before a lens power or (within three capitalised words) a device noun, is a model number, no phone or
#   serial (unless a serial label is before it: "serial number 864414 ... implant" stays);
# * "to Operating Suite #1", "Endoscopy Room 3": a numbered room after a clinical room word is no address;
# * "seen by ENT", "lost a son to SIDS": a service or disease abbreviation (the list below) that a move cue
#   made an organisation, or the capitalised-run rule a place ("until the OSA is treated"); "referred to Community Mental Health Agencies": a plural kind is no named body;
# * "retired from State of Pennsylvania": a state however it is written is no location (Safe Harbor);
# * "2.  Cordis Vista Brite Tip 6Fr JR 4.0": a guessed run right before a French or millimetre size is a device;
# * "MEDICAL RECORD#: 123": a record number of fewer than four digits is the transcription's stand-in.

_CAPITAL_ABBREVIATION_BEFORE = re.compile(r"(?<![A-Za-z.])(?:MS|MR)[ ]+$")
_MODEL_AFTER = re.compile(r"(?:,?[ ]*\d{1,2}(?:\.\d)?[ ]?(?:D|diopters?)\b|[ ]+diopters?\b|"
                          r"(?:[ ]+[A-Z][\w/-]*){0,3}[ ]+(?:stents?|catheters?|balloons?|lens|wires?|sheaths?|grafts?|"
                          r"valves?|leads?|screws?|plates?|implants?)\b)")
_SERIAL_BEFORE = re.compile(r"\b(?i:serial|s/n|lot)\b[^.\n]{0,14}$")  # (a serial is a DEVICE_ID, whatever follows)
_LETTERS_BEFORE = re.compile(r"(?<![A-Za-z])(?!(?i:ext))[A-Za-z]{2,3}$")
_ROOM = re.compile(r"(?i:suite|room|bay|theatre|theater)[ ]*#?[ ]*\d{1,2}")
_ROOM_WORD_BEFORE = re.compile(r"\b(?i:operating|operative|procedure|endoscopy|recovery|cath|catheterization|trauma|delivery|"
                               r"exam|examination|treatment|surgical|surgery|or|ir|labor|dialysis)[ ]+$")
# (services and diseases that real reports name by an abbreviation after "seen by", "referred to", "lost ... to")
SERVICE_AND_DISEASE_ABBREVIATIONS = frozenset("ent gi id ir ot pt slp pmr pm&r obgyn ob/gyn gyn uro ortho neuro cts "
                                              "sids osa ards copd esrd ckd aki chf cad pvd ptsd adhd".split())
_STATE_OF = re.compile(r"(?i:(?:the[ ]+)?state[ ]+of[ ]+)")
_MIXED_ABBREVIATION = re.compile(r"[A-Z][a-z]?[A-Z][A-Za-z0-9]{0,3}")
_SIZE_AFTER = re.compile(r"[ ]+\d+(?:\.\d+)?[ ]?(?:Fr|French|mm|cm)\b")
_ITEM_BEFORE = re.compile(r"([A-Za-z][A-Za-z-]+)[ ]*,[ ]*$")
_SUBJECT_AFTER = re.compile(r"[ ]+(?:alert|awake|resting|sleeping|ambulating|oriented|calm|comfortable|lethargic|"
                            r"agitated|tolerating|c/o)\b", re.IGNORECASE)
_STAND_IN = re.compile(r"(?i:x{3,})(?:'s)?|[A-Z]")
_SHAPE_WORDS = frozenset("curved straight angled right-angle right-angled long short fine small large toothed "
                         "smooth blunt sharp heavy".split())
_WORD_BEFORE = re.compile(r"([A-Za-z-]+)[ ]+$")
_LIST_JOIN = re.compile(r",?[ ]+and[ ]+|,[ ]*")
_SPECIALTY_ENDINGS = ("ology", "iatry", "ologic", "iatrics")
_FACILITY_NOUNS = frozenset("clinic department service unit center centre division".split())
_EXAM_AFTER = re.compile(
    # ("@" then a time, an abbreviation or a place is an event's date: "7/21 @ 1400", "placed 7/21 @ OSH")
    r"[ ]*@(?![ ]*(?:\d|[A-Z]{2,}\b|(?i:osh|outside|bedside|home)\b))|[ ]*(?:at|on the|in)?[ ]*(?i:od|os|ou|sem|murmurs?|achilles|archilles|patellae?|biceps|triceps|"
    r"brachioradialis|knees?|ankles?|elbows?|wrists?|hands?|hips?|grip|strength|reflex(?:es)?|atrophy|scale|"
    r"proximally|distally|throughout|bilaterally)\b")
_LATE_DAY = re.compile(r"/(?:[7-9]|1[1-9]|2\d|3[01])$")
_EXAM_BEFORE = re.compile(r"(?i:scores?:?|rated (?:him|her)self|strength|reflexes|murmur|grade|power)[ ]*$")
_RANGE_DURATION = re.compile(r"\d{1,2}-\d{1,2}")
_DURATION_AFTER = re.compile(r"[ ]+(?:years?|months?|weeks?|days?|hours?|times?)\b")


def exam_score(text: str, span: Span) -> bool:
    """A DATE that is an examination score or a duration (see the block above)."""
    if span.type != "DATE":
        return False
    if _SLASH_PAIR.fullmatch(span.text):
        after = _EXAM_AFTER.match(text, span.end)
        if after is not None and "@" in after.group() and _LATE_DAY.search(span.text):
            after = None  # ("crani 5/17 @ bwh": no score is out of more than 6 but pain's out of 10)
        return after is not None or \
            _EXAM_BEFORE.search(text, max(0, span.start - 24), span.start) is not None
    return _RANGE_DURATION.fullmatch(span.text) is not None and _DURATION_AFTER.match(text, span.end) is not None


def model_or_room(text: str, span: Span) -> bool:
    """A DEVICE_ID, PHONE, RECORD_NUMBER or ZIP that is a model number, or an ADDRESS that is a numbered room."""
    if span.type == "RECORD_NUMBER" and span.text.isdigit() and len(span.text) < 4:
        return True
    if span.type in ("DEVICE_ID", "PHONE", "RECORD_NUMBER", "ZIP") and len(span.text) <= 8:
        # (after two letters or more: "SN60WS"; "x7412", "ext 2211" are a phone's extension)
        inside_token = span.type != "PHONE" and _LETTERS_BEFORE.search(text, max(0, span.start - 4), span.start) is not None
        serial = _SERIAL_BEFORE.search(text, max(0, span.start - 24), span.start) is not None
        return not serial and (inside_token or _MODEL_AFTER.match(text, span.end) is not None)
    return span.type == "ADDRESS" and _ROOM.fullmatch(span.text) is not None and \
        _ROOM_WORD_BEFORE.search(text, max(0, span.start - 24), span.start) is not None


def third_round_drop(text: str, span: Span, guessed: bool) -> bool:
    """Is ``span`` (a NAME, LOCATION, ORGANIZATION or ADDRESS) one of the third round's phenomena?"""
    value = span.text
    if span.type == "NAME" and _CAPITAL_ABBREVIATION_BEFORE.search(text, max(0, span.start - 4), span.start) \
            and not any(_in_name_list(word) for word in value.split()):
        return True
    if value.lower() in SERVICE_AND_DISEASE_ABBREVIATIONS or (span.type == "ORGANIZATION" and _plural_kind(text, value)):
        return True
    if guessed and _SIZE_AFTER.match(text, span.end):
        return True
    if span.type == "LOCATION" and _state_written_out(value):
        return True
    if _STAND_IN.fullmatch(value):
        return True
    if _clinical_list(text, span):
        return True
    if span.type == "NAME" and guessed and (_shape_before(text, span) or _no_name_evidence(text, span)):
        return True
    if span.type == "ORGANIZATION" and " " not in value and not value.isupper() and _clinical_word_lower_after(text, span):
        return True
    return span.type in ("ORGANIZATION", "NAME") and _department(text, span)


def _in_name_list(word: str) -> bool:
    from yizhi.deid.text.recognizers.english import name_words

    return word.strip(".,").lower() in name_words()


def _plural_kind(text: str, value: str) -> bool:
    """"Community Mental Health Agencies": common words ending in a plural, none a name or a place, in a
    clinical note ("Amazon Web Services" in general text is a company)."""
    from yizhi.deid.text.recognizers.english import clinical_context, common_words, name_words, place_words

    words = value.lower().split()
    return len(words) >= 2 and clinical_context(text) and words[-1].endswith(("ies", "ices", "ers", "ups")) and all(
        word in common_words() and word not in name_words() and word not in place_words() for word in words)


def _state_written_out(value: str) -> bool:
    from yizhi.deid.text.recognizers.english_clean import STATES_AND_COUNTRIES

    stripped = _STATE_OF.match(value)
    return stripped is not None and value[stripped.end():].lower() in STATES_AND_COUNTRIES


def _clinical_list(text: str, span: Span) -> bool:
    from yizhi.deid.text.recognizers.english import clinical_context, clinical_lexicon, common_words, name_words
    from yizhi.deid.text.recognizers.english_clean import STATES_AND_COUNTRIES, drug_words

    value = span.text
    items = [item.strip() for item in _LIST_JOIN.split(value) if item.strip()]
    if len(items) < 2 or " and " not in f" {value} ":
        return False
    if all(item.lower() in STATES_AND_COUNTRIES for item in items):
        return True
    unknown = False
    for item in items:
        if _MIXED_ABBREVIATION.fullmatch(item):
            continue  # ("IgG, and IgA")
        for word in item.lower().split():
            if word in name_words():
                return False
            if not (word in clinical_lexicon() or word in drug_words()):
                if word in common_words() or len(word) <= 6 or not item[0].isupper():
                    return False
                unknown = True
    if not unknown:
        return True
    # (a word no list knows, "Adriamycin, and Abraxane": a drug list when a known drug or clinical word begins it)
    before = _ITEM_BEFORE.search(text, max(0, span.start - 30), span.start)
    return before is not None and clinical_context(text) and (
        before.group(1).lower() in drug_words() or before.group(1).lower() in clinical_lexicon())


def _shape_before(text: str, span: Span) -> bool:
    first = span.text.split()[0].lower()
    if first in _SHAPE_WORDS:
        return True
    before = _WORD_BEFORE.search(text, max(0, span.start - 16), span.start)
    return before is not None and before.group(1).lower() in _SHAPE_WORDS


def _clinical_word_lower_after(text: str, span: Span) -> bool:
    from yizhi.deid.text.recognizers.english import clinical_lexicon, common_words

    after = _LOWER_NEXT.match(text, span.end)
    return after is not None and after.group(1) in clinical_lexicon() and after.group(1) not in common_words()


def _department(text: str, span: Span) -> bool:
    from yizhi.deid.text.recognizers.english import clinical_lexicon, name_words, place_words

    words = span.text.lower().replace("-", " ").split()
    after = _NEXT_WORD.match(text, span.end)
    if after is not None and after.group(1).lower() in _FACILITY_NOUNS:
        words.append(after.group(1).lower())  # ("Neuro-Oncology" found alone, "Clinic" after it)
    if len(words) < 2 or words[-1] not in _FACILITY_NOUNS:
        return False
    specialty = tuple(word.endswith(_SPECIALTY_ENDINGS) for word in words[:-1])
    return any(specialty) and all(is_one or (word in clinical_lexicon() and word not in name_words()
                                             and word not in place_words()) for word, is_one in zip(words, specialty))


_INSTITUTION_WORDS = frozenset("industries products corporation company university college school hospital clinic "
                               "center centre institute foundation church hosp".split())


def _no_name_evidence(text: str, span: Span) -> bool:
    """A NAME that only the capitalised-run rule found, in a clinical note, with no given name, place or
    institution word in it (see the block above)."""
    from yizhi.deid.text.recognizers.english import clinical_context, place_words
    from yizhi.deid.text.recognizers.english_words import SUBJECT_VERBS, first_name_words

    if span.recognizer != "en_capitalised" or span.text.isupper() or not clinical_context(text):
        return False  # (a run in capitals is shouted text: what it holds is for the later rules to cut out)
    words = [word.strip(".,'’").lower() for word in span.text.replace("-", " ").split()]
    words = [word[:-2] if word.endswith(("'s", "’s")) else word for word in words]
    firsts, places = first_name_words(), place_words()
    after = _NEXT_WORD.match(text, span.end)
    if _SUBJECT_AFTER.match(text, span.end) or (after is not None and after.group(1).lower() in SUBJECT_VERBS):
        return False  # ("0800: Frey alert and oriented", "Salazar states"): the subject of a sentence is a person
    return not any(word in firsts or word in places or word in _INSTITUTION_WORDS for word in words)


# --- issue 16, fourth precision round: from the remaining false positives of the TUNE and CHECK samples of
# bench/deid_text_review.py (1,200 reviewed MTSamples reports), each a general rule, none a string exception.
#
# * "Santa Barbara T-tube", "Bill Roth Procedure Type 1", "Cryptococcal Antigen and India Ink", "HIV ELISA",
#   "BECK TESTING": a guessed capitalised run holding an instrument, procedure or test noun after its first word,
#   a laboratory test word anywhere, or ending in a lettered device ("T-tube", "J-stent") names a thing;
# * "A #15 Bard Parker": a number right after "#" that begins a guessed address is an instrument's size;
# * "SAP FROM THE MANGO TREE", "OF BREATH IN HER": a run in capitals with a preposition or a pronoun of prose
#   in it is shouted text (institutions in capitals keep "OF", "THE", "AND");
# * "worked at an herbicide plant": a lower-case run after an indefinite article names no one thing;
# * "green hospital gown", "vocational rehab assessment": a facility noun before what belongs to a hospital
#   stay or a kind of assessment is a kind, not a named facility; "Alcoholics Anonymous": a fellowship;
# * "Instructed Ben": a capitalised past-tense verb in no name list is cut off the front of a name;
# * "April of 1999.  The": a sentence break inside a date ends it;
# * "scored 10/11", "9/12 for gait", "knee extension ... was 1/5", "3/3 proximal", "H&H 10/32", "PREP: 4/4",
#   "Marcaine 1/4 percent", "(9/1 mixture)", "the 10/20 international system", "10/12 Visiport trocar",
#   "1-10 volts", "5-9 RBCs": a slash pair or a range with a score, strength, ratio, port size or unit
#   beside it is no date; "plate C3-C5": a span of vertebral levels is no licence plate.

_THING_NOUNS = frozenset("tube tubes catheter catheters procedure procedures type test tests clamp clamps retractor "
                         "retractors forceps trocar trocars stent stents suture sutures needle blade scissors drain "
                         "speculum elevator dissector syndrome disease scale score criteria classification maneuver "
                         "technique operation repair".split())
_LAB_WORDS = frozenset("elisa ifat antigen antigens antibody antibodies ink assay titer titre pcr stain smear "
                       "testing".split())
_LETTERED_DEVICE = re.compile(r"[ ][A-Z]-(?:tubes?|stents?|drains?|pieces?|bars?|plates?)$")
_HASH_BEFORE = re.compile(r"#[ ]?$")
_STREET_LAST = re.compile(r"(?i:[ ](?:street|st|avenue|ave|road|rd|drive|dr|lane|ln|boulevard|blvd|way|court|ct|"
                          r"place|pl|highway|hwy|parkway|pkwy|circle|terrace)\.?)$")
_PROSE_CAPITALS = frozenset("FROM IN HER HIS WITH WAS IS TO ON AT INTO BY WERE HAS HAD SHE HE".split())
_INDEFINITE_START = re.compile(r"an?[ ]+[a-z]")
_STAY_NOUN_AFTER = re.compile(r"[ ]+(?i:gowns?|beds?|bracelets?|assessments?|evaluations?|records?|course|stay|"
                              r"admissions?|food|staff|setting)\b")
_FACILITY_LAST = re.compile(r"(?i:(?:hospital|rehab|clinic|facility|center|centre))$")
_FELLOWSHIP = re.compile(r"(?i:(?:alcoholics|narcotics|gamblers|overeaters|cocaine)[ ]+anonymous)")
_VERB_FIRST = re.compile(r"([A-Z][a-z]+ed)[ ]+(?=[A-Z])")
_DATE_SENTENCE_TAIL = re.compile(r"(?<=\d)\.[ ]+[A-Z][a-z]*$")
_RANGE = re.compile(r"\d{1,2}-\d{1,2}")
_SCORE_NEAR_AFTER = re.compile(
    r"[ ]*\(?(?:(?:[A-Za-z-]+[ ]+)?(?i:trocars?|ports?)\b|(?i:mixture|percent|international|proximal|distal|volts?|hz|"
    r"rbcs?|wbcs?|hpf)\b|%|[ ]*for[ ]+(?:gait|balance)\b|[ ]*in[ ]+(?:the[ ]+)?[a-z]+(?:[ ]+and[ ]+[a-z]+)?[ ]+domains?\b)")
_SCORE_NEAR_BEFORE = re.compile(r"\b(?i:scored|score[ ]+of|h&h|h/h|hgb/hct|prep|difficulty)[:,]*[ ]*$")
_STRENGTH_BEFORE = re.compile(r"(?i:flexion|extension|dorsiflexion|abduction|adduction|strength|motor|power|grip|"
                              r"weakness|deltoids?|biceps|triceps|quadriceps|hamstrings?|iliopsoas)[^.;\n]{0,40}$")
_OUT_OF_FIVE = re.compile(r"[0-5]/5")
_SPINE_LEVELS = re.compile(r"[CTLS]\d{1,2}-[CTLS]?\d{1,2}")


def fourth_round_number(text: str, span: Span) -> bool:
    """A DATE that is a score, strength grade, ratio, port size or counted range; a PLATE that is spine levels."""
    value = span.text
    if span.type == "PLATE":
        return _SPINE_LEVELS.fullmatch(value) is not None
    if span.type != "DATE" or not (_SLASH_PAIR.fullmatch(value) or _RANGE.fullmatch(value)):
        return False
    if _SCORE_NEAR_AFTER.match(text, span.end) or _SCORE_NEAR_BEFORE.search(text, max(0, span.start - 20), span.start):
        return True
    return _OUT_OF_FIVE.fullmatch(value) is not None and \
        _STRENGTH_BEFORE.search(text, max(0, span.start - 60), span.start) is not None


def fourth_round_drop(text: str, span: Span, guessed: bool) -> bool:
    """Is ``span`` (a NAME, LOCATION, ORGANIZATION or ADDRESS) one of the fourth round's phenomena?"""
    from yizhi.deid.text.recognizers.english import common_words, name_words, place_words

    value = span.text
    words = [word.strip("(),.;:").lower() for word in value.split()]
    if guessed and (any(word in _THING_NOUNS for word in words[1:]) or any(word in _LAB_WORDS for word in words)
                    or _LETTERED_DEVICE.search(value)):
        return True
    if guessed and span.type == "ADDRESS" and value[:1].isdigit() and not _STREET_LAST.search(value) \
            and _HASH_BEFORE.search(text, max(0, span.start - 2), span.start):
        return True
    if value.isupper() and len(words) >= 3 and any(word.upper() in _PROSE_CAPITALS for word in words) and not any(
            word in name_words() or word in place_words() or word not in common_words()
            for word in words if word.upper() not in _PROSE_CAPITALS and word not in ("of", "the", "and", "a", "an")):
        return True  # ("O M TRANSFERRED FROM CAPE COD HOSP" keeps its place)
    if value.islower() and _INDEFINITE_START.match(value):
        return True
    if span.type in ("ORGANIZATION", "LOCATION") and _FACILITY_LAST.search(value) and _STAY_NOUN_AFTER.match(text, span.end):
        return True
    return _FELLOWSHIP.fullmatch(value) is not None


def fourth_round_trim(text: str, span: Span) -> Span | None:
    """"Instructed Ben" -> "Ben"; "April of 1999.  The" -> "April of 1999"."""
    from yizhi.deid.text.recognizers.english import common_words, name_words
    from yizhi.deid.text.recognizers.english_words import first_name_words

    value = span.text
    if (tail := _DATE_SENTENCE_TAIL.search(value)) is not None:  # (the capitalised run read past the year too)
        return Span(span.start, span.start + tail.start(), span.type, value[: tail.start()], span.confidence, span.recognizer)
    verb = _VERB_FIRST.match(value) if span.type == "NAME" else None
    if verb is not None and verb.group(1).lower() in common_words() and verb.group(1).lower() not in name_words() \
            and value[verb.end():].lower() in first_name_words():  # (a given name after it: not "United States")
        start = span.start + verb.end()
        return Span(start, span.end, "NAME", text[start : span.end], span.confidence, span.recognizer)
    return span
