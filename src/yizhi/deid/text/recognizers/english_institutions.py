"""Hospitals named by one word that the clinical lexicon knows (issue 16, seventh round; called from
english_context._organisations).

The lexicon (build_lexicon.py) holds every word of three or more real reports, and so the hospitals a
transcription service's clients name often: "transferred to Methodist", "at Ochsner where his family is",
"evaluated at Mayo". The place rules refuse lexicon words, rightly for "to Recovery" or "from Integra".
Here such a word is taken when (1) the reports write it capitalised and never in lower case (a proper
noun: ``en_proper_words.txt``; "temple" and "partners" are written in lower case too), (2) it is no drug,
and (3) the context names an institution: a move cue before the preposition ("transferred to", "referred
from", "seen at") or, after the word, "where" or "for" and what one goes to a hospital for ("for further
care", "for evaluation"). A word followed by a lower-case noun is a thing ("Mayo stand", "Foley catheter").
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

# "at/to/from Word" (the scanner's "place_word" anchor marks where these can start; no "the" before a hospital
# named by one word: "removed from the Integra" is a device)
_AFTER_PREPOSITION = re.compile(r"\b(?i:at|to|from)[ ]+([A-Z][a-z]+(?:['’]s)?)(?![\w'’-])")
_MOVE_BEFORE = re.compile(
    r"\b(?:transferred|transfer|sent|arrived|admitted|readmitted|referred|returned|discharged|seen|followed|"
    r"treated|evaluated|hospitali[sz]ed|went|taken|brought|flown|airlifted|transported|presented|performed|"
    r"done|care|surgery|biopsy|cath)(?:[ ]+[\w/'’.-]+){0,2}?[ ]+$", re.IGNORECASE)
# What only a hospital keeps of the patient ("MRN at Brigham: 3194", "records from Lahey", "old chart from Carney"):
# after it any capitalised word that is no clinical word and none of the commonest is the hospital, even one an
# English word list holds ("Brigham")
_RECORD_BEFORE = re.compile(r"\b(?:mrn|mr[ ]?#|records?|chart|films?|imaging)(?:[ ]+[\w/'’.-]+){0,2}?[ ]+$", re.IGNORECASE)
_INSTITUTION_AFTER = re.compile(r"[ ]+(?:where\b|for[ ]+(?:further|definitive|her|his|their|an?|the|evaluation|"
                                r"care|treatment|management|surgery|workup|work-up)\b)", re.IGNORECASE)
# What may follow a hospital's name: the end of a clause or a function word, not a noun ("Mayo stand")
_CLAUSE_GOES_ON = re.compile(r"[ ]*(?:[.,;:)\n]|$)|[ ]+(?:where|for|in|on|and|with|since|until|by|after|before|last|"
                             r"this|today|yesterday|recently|again|per|who|which|emergency|ER|ED)\b")

_TITLES = frozenset("dr mr mrs ms miss st prof".split())  # ("presented to Dr. Y's office": a person, found elsewhere)


@lru_cache(maxsize=1)
def proper_words() -> frozenset[str]:
    """Lexicon words the reports only write capitalised (``build_lexicon.build_proper``)."""
    from importlib.resources import files

    data = files("yizhi.deid.text.recognizers").joinpath("data/en_proper_words.txt").read_text(encoding="utf-8")
    return frozenset(data.split())


def named_hospitals(text: str, starts: list[int]) -> Iterator[tuple[int, int, str, float]]:
    """(start, end, type, confidence) of each one-word hospital the lexicon knows (see the module)."""
    from yizhi.deid.text.recognizers.english import CLINICAL_TERMS, PLACEHOLDERS, clinical_lexicon, very_common_words
    from yizhi.deid.text.recognizers.english_clean import STATES_AND_COUNTRIES, drug_words
    from yizhi.deid.text.recognizers.english_context import _NOT_A_MOVE_BEFORE  # ("switched to Xeroform")

    for start in starts:
        match = _AFTER_PREPOSITION.match(text, start)
        if match is None:
            continue
        key = re.sub(r"['’]s$", "", match.group(1)).lower()
        line_start = text.rfind("\n", 0, match.start()) + 1
        recorded = _RECORD_BEFORE.search(text, max(line_start, match.start() - 30), match.start()) is not None
        if recorded and key not in clinical_lexicon() and key not in very_common_words() and key not in _TITLES:
            yield match.start(1), match.end(1), "ORGANIZATION", 0.7
            continue
        if key not in proper_words() or key in _TITLES or key in drug_words() or key in CLINICAL_TERMS \
                or key in PLACEHOLDERS or key in STATES_AND_COUNTRIES:
            continue
        if not _CLAUSE_GOES_ON.match(text, match.end(1)):
            continue
        if _NOT_A_MOVE_BEFORE.search(text, max(line_start, match.start() - 40), match.start()):
            continue
        moved = _MOVE_BEFORE.search(text, max(line_start, match.start() - 40), match.start()) is not None
        if moved or _INSTITUTION_AFTER.match(text, match.end(1)):
            yield match.start(1), match.end(1), "ORGANIZATION", 0.7
