"""English places and organisations found by their form or by the words around them (split out of
english.py): country names typed in lower case after a place preposition, an organisation named by the
noun after it ("Mint office"), a company's legal form ("Jakobsen A/S"), a postcode after a place.
Each reads positions the shared Aho-Corasick pass (base._read) or the name runs already give."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from yizhi.deid.text.recognizers.base import _add_words, _matches_at, _read, _starts_in
from yizhi.deid.text.recognizers.english_words import (
    _DETERMINERS, _POSSESSIVE, _WordFacts, _facts_of, _strip, very_common_words,
)
from yizhi.deid.text.spans import Span, make_span


@lru_cache(maxsize=1)
def country_words() -> frozenset[str]:
    """Country names (pycountry's names and common names), lower case."""
    import pycountry

    names = set()
    for country in pycountry.countries:
        names.add(country.name.lower())
        common = getattr(country, "common_name", None)
        if common:
            names.add(common.lower())
    return frozenset(names)


# "\b(?:from|to|...)" with the word boundary written after each first letter (same matches, faster in `re`)
_PLACE_CUE = re.compile("(?:" + "|".join(f"{w[0]}(?<!\\w{w[0]}){w[1:]}" for w in (
    "from", "to", "in", "near", "visiting", "moved to", "lives in", "born in")) + r")[ ]+([a-z]+(?:[ ][a-z]+){0,2})\b")


class LowercaseCountryRecognizer:
    """Country names typed without a capital after a place preposition ("came here from tunisia").

    Only countries, not cities: too many city names are ordinary words (bath, reading, mobile)."""

    name = "en_lowercase_country"
    languages = frozenset({"en"})

    def find(self, text: str) -> Iterator[Span]:
        # A span is a country name written as it stands in the text; the shared Aho-Corasick pass over
        # the note finds those names too, and most notes hold none: then the cue scan is not needed.
        typeable = _typeable_countries()  # (added to the pass's words on first use)
        _, _, found, _ = _read(text)
        if found.keys().isdisjoint(typeable):
            return
        countries = country_words()
        for match in _PLACE_CUE.finditer(text):
            words = match.group(1).split(" ")
            for length in range(len(words), 0, -1):
                candidate = " ".join(words[:length])
                if candidate in countries:
                    start = match.start(1)
                    span = make_span(text, start, start + len(candidate), "LOCATION", 0.7, self.name)
                    if span is not None:
                        yield span
                    break


@lru_cache(maxsize=1)
def _typeable_countries() -> frozenset[str]:
    """The country names the cue's words can spell (lower-case letters, up to three words), added once
    to the words the shared Aho-Corasick pass looks for."""
    names = frozenset(name for name in country_words() if _TYPEABLE.fullmatch(name))
    _add_words(set(names))
    return names


_TYPEABLE = re.compile(r"[a-z]+(?:[ ][a-z]+){0,2}")


# --- organisations named by the noun after them ------------------------------------------------------
# "The Mint office is at", "U.N. headquarters", "Uber's CEO": a capitalised run before these nouns is
# an organisation even when its words are common ("Mint", "Adaptive"), which the capitalised-run rule
# must leave alone elsewhere. Where these nouns begin is found by the shared Aho-Corasick pass.
_ORG_NOUNS = (" office", " offices", " headquarters", " hq", " employees", " spokesperson", " spokesman",
              " spokeswoman", "'s ceo", "’s ceo", " ceo")
_add_words(set(_ORG_NOUNS))
_CAPITAL_RUN_BEFORE = re.compile(
    r"(?<![\w'’.&-])((?:[A-Z][\w'’.&-]*)(?:[ ](?:[A-Z][\w'’.&-]*|&|and|of)){0,3})$")
# Words that name a kind of office rather than an organisation ("the Post office", "Billing office").
_OFFICE_KINDS = frozenset(
    "front main post home head back box doctor doctor's dental medical billing business admissions admitting records "
    "nursing clinic clinical county state district field regional central local sales press registrar registrar's "
    "dean's principal's president's oval patent tax ticket war foreign branch corporate satellite outpatient "
    "primary care physician physician's provider provider's surgeon surgeon's".split())


class OrganisationBeforeNounRecognizer:
    """A capitalised run just before "office", "headquarters", "'s CEO"... is an organisation."""

    name = "en_org_before_noun"
    languages = frozenset({"en"})

    def find(self, text: str) -> Iterator[Span]:
        found = _read(text)[2]
        if found.keys().isdisjoint(_ORG_NOUN_SET):  # (most notes: no new set built)
            return
        nouns = found.keys() & _ORG_NOUN_SET
        for position in _starts_in(found, nouns):
            span = self._run_before(text, position)
            if span is not None:
                yield span

    def _run_before(self, text: str, position: int) -> Span | None:
        noun_end = text.find(" ", position + 2)
        noun_end = len(text) if noun_end < 0 else noun_end
        noun = text[position:noun_end].lower().rstrip(".,;:!?)")
        if noun not in _ORG_NOUN_SET:
            return None  # a longer word ("officer", "ceos")
        match = _CAPITAL_RUN_BEFORE.search(text, max(0, position - 80), position)
        if match is None:
            return None
        words = match.group(1).split(" ")
        start = match.start(1)
        while words and _strip(words[0]) in _NOT_THE_NAME:
            start += len(words.pop(0)) + 1  # "The Mint office": the article is not the name
        if words:
            words[-1] = _POSSESSIVE.sub("", words[-1])  # "Uber's CEO"
        while words and words[-1] in ("&", "and", "of", ""):
            words.pop()
        if not words or not self._organisation_words([_facts_of(word) for word in words]):
            return None
        end = start + len(" ".join(words))
        return make_span(text, start, end, "ORGANIZATION", 0.7, self.name)

    @staticmethod
    def _organisation_words(run: list[_WordFacts]) -> bool:
        if any(word.title or word.credential or word.kinship for word in run):
            return False
        if all(word.header_or_clinical for word in run):
            return False
        if len(run) == 1 and (run[0].key in very_common_words() or run[0].key in _OFFICE_KINDS):
            return False
        return True


_ORG_NOUN_SET = frozenset(_ORG_NOUNS)
_NOT_THE_NAME = frozenset(_DETERMINERS) | _OFFICE_KINDS


# --- company legal forms ----------------------------------------------------------------------------
# The legal forms companies carry across Europe and Latin America, as written ("Kft.", "A/S",
# "s.r.o.", "Sp. z o.o.", "GmbH & Co. KG", "S/A", "- ME"). The capitalised-run rule stops at their
# dots and slashes ("Jakobsen A", "Duarte S"); a form right after a capitalised word that is a name,
# a place or no common word is taken with that word, and the overlap joins it to the name the run
# found. (ORG_SUFFIXES is not extended: the English tagger reads it as a feature, and its model was
# trained with today's list.)
_LEGAL_FORMS = (
    "Kft. Zrt. Nyrt. Bt. Kkt. Kht. Rt. A/S ApS I/S Oyj Osk ASA OHG GmbH e.V. KGaA GbR B.V. N.V. VOF CommV S.A. SAS "
    "SARL Sàrl Sàrl. SNC S.L. S.L.L. S.Coop. S.Com. S.A.U. S.p.A. SpA SPA s.r.l. S.r.l. Srl SRL s.a.s. s.n.c. Lda. "
    "Ltda. S/A EPP EIRELI s.r.o. a.s. v.o.s. k.s. o.s. Sp.j. Sp.k. s.c. S.C. d.o.o. d.d. j.d.o.o. k.d. LLP PLC SCS "
    "AB HB KB Oy Ky AS BA AG KG OG UG SE BV NV CV SA ME EI").split() + [
    "Sp. z o.o.", "GmbH & Co. KG", "AG & Co. KG", "& Co. KG", "& Co. OHG", "spol. s r.o."]
_FORM_ENDS = (" ", ",", ".", "\n", ")", ";")
# Lookup keys for the shared Aho-Corasick pass: " form" when the form holds a mark (" a/s", " s.r.o.":
# already distinctive), else " form" and one following character (" spa" alone begins " spasm").
_LEGAL_FORM_KEYS: dict[str, list[str]] = {}
for _form in _LEGAL_FORMS:
    for _key in ([" " + _form.lower()] if not _form.isalpha() else [" " + _form.lower() + end for end in _FORM_ENDS]):
        _LEGAL_FORM_KEYS.setdefault(_key, []).append(_form)
for _spellings in _LEGAL_FORM_KEYS.values():
    _spellings.sort(key=len, reverse=True)
_add_words(set(_LEGAL_FORM_KEYS))
_DIGIT_AFTER = re.compile(r",?[ ]+\d")
_WORD_BEFORE_FORM = re.compile(r"([^\W\d_][\w'’.-]*|&)(?:,|[ ]-)?$")


class LegalFormRecognizer:
    """A company's legal form and the capitalised word before it ("Jakobsen A/S", "Putz GmbH & Co. KG")."""

    name = "en_legal_form"
    languages = frozenset({"en"})

    def find(self, text: str) -> Iterator[Span]:
        found = _read(text)[2]
        keys = found.keys() & _LEGAL_FORM_KEYS.keys()
        for key in sorted(keys):  # (sorted: the same order of spans whatever the string hashing)
            for position in found[key]:
                span = self._form_at(text, position + 1, _LEGAL_FORM_KEYS[key])
                if span is not None:
                    yield span

    def _form_at(self, text: str, start: int, spellings: list[str]) -> Span | None:
        # (the longest spelling first: "Sàrl." before "Sàrl"; a longer form may begin with this one)
        form = next((f for f in _LONGER_FORMS.get(spellings[-1], ()) + tuple(spellings) if text.startswith(f, start)
                     and not text[start + len(f) : start + len(f) + 1].isalnum()), None)
        if form is None:
            return None
        before = _WORD_BEFORE_FORM.search(text, max(0, start - 60), start - 1)
        if before is None or before.group(1) != "&" and not _company_word(before.group(1)):
            return None
        if len(form) == 2 and (before.end(1) != start - 1 or _DIGIT_AFTER.match(text, start + 2)):
            return None  # "West Louis, ME 13908", "Reno NV 89501": a state code, not a company's form
        return make_span(text, before.start(1), start + len(form), "ORGANIZATION", 0.7, self.name)


def _company_word(word: str) -> bool:
    """Could this word end a company's name before its legal form? Capitalised, and a name, a place or
    no common word: "Severe AS" (aortic stenosis) and "type O AB" are not companies."""
    facts = _facts_of(word)
    return (facts.capital and len(facts.key) > 1 and not facts.header_or_clinical
            and (facts.name or facts.place or not facts.common))


# Forms that begin with a shorter one found at the same place ("GmbH & Co. KG" where " gmbh " is found).
_LONGER_FORMS = {short: tuple(sorted((f for f in _LEGAL_FORMS if f != short and f.startswith(short + " ")), key=len,
                                     reverse=True)) for short in _LEGAL_FORMS}


# --- postcodes after a place --------------------------------------------------------------------------
# A postcode written without a label after a place ("Agra 722638", "Zadar (76500)", "Holm, 4717",
# "South Paigetown, NT K9S2Y4", "VIC, 3695", "Cyprus (Greek) 13429"): read where a capitalised run the
# name rules emit ends, so no scan of the note is needed (a run is a name, a place or an unknown word:
# "Platelets 250000" and "Tylenol 1000" give none). The shapes are those of patterns.POSTCODE_BY_LABEL: digits with their
# groupings, a country letter before them, Dutch letters after them, the UK, Canadian and Irish shapes.
# A bare four-digit number that reads as a year (1900-2099) is left out: "Boston 2019" is a date.
_POSTCODE_AFTER_RUN = re.compile(
    r"(?:[ ]\([^()\n]{1,20}\))?(?:,?[ ]|,?\n|[ ]\()(?:[A-Z]{2,3},?[ ]+)?("
    r"(?<![\w-])(?:\d{4,6}(?:-\d{3,4})?|\d{3}[ ]\d{2}|\d\d-\d{3}|\d{4}[ ]?[A-Z]{2}|[A-Z]{1,2}-\d{4,5}"
    r"|[A-Z]{1,2}\d[A-Z\d]?[ ]?\d[A-Z]{2}|[A-Z]\d[A-Z][ ]?\d[A-Z]\d|[A-Z]\d[\dW][ ]?[A-Z\d]{4}))"
    r"(?![\w%/-]|[.,:]\d)")
_YEAR = re.compile(r"(?:19|20)\d\d")
_LETTERS_GLUED_TO_DIGITS = re.compile(r"[ ][A-Z]{1,2}-?$")


def postcode_after(text: str, end: int) -> tuple[int, int] | None:
    """Where a postcode right after a place ending at ``end`` lies (see _POSTCODE_AFTER_RUN), or None.
    (A run may have taken a postcode's opening letters as an initial, "India A|942FHR", "Evelyn Ville
    H|83RH7H": the postcode is then looked for where they begin.)"""
    if text[end : end + 1].isdigit() or text[end : end + 1] == "-":
        initial = _LETTERS_GLUED_TO_DIGITS.search(text, max(0, end - 3), end)
        if initial is not None:
            end = initial.start()
    match = _POSTCODE_AFTER_RUN.match(text, end)
    if match is None or _YEAR.fullmatch(match.group(1)):
        return None
    return match.span(1)


# --- where the patient lives or comes from (issue 16, sixth round) -----------------------------------
# "He lives in Sacaton with his sister", "his wife who lives in Coolidge", "born and raised in Tampo": a
# capitalised run after a residence verb and its preposition is a town (or, ending in an institution noun,
# the facility: "residing at South Valley Care Center"). The second annotated MTSamples dev sample missed
# such towns where no city list knows them and the note is clinical (an unknown word alone is no name there).
_RESIDENCE_VERBS = frozenset("lives lived living resides resided residing moved born raised relocated stays stayed".split()
                             ) | {"grew up"}
_add_words(set(_RESIDENCE_VERBS))  # (where they begin comes from the shared Aho-Corasick pass: no scan here)
_RESIDENCE = re.compile(
    r"(?<!\w)(?:lives|lived|living|resides|resided|residing|moved|born|raised|grew[ ]up|relocated|stays|stayed)"
    r"(?:[ ]+(?:here|there|alone|independently|now|currently|back))?[ ]+(?:in|to|outside[ ]of|near|at)[ ]+"
    r"([A-Z][a-z]+(?:[ ][A-Z][a-z]+){0,3})")
_INSTITUTION_LAST = frozenset("center centre home hospital manor village residence facility rehab clinic house "
                              "terrace court apartments".split())


class ResidenceRecognizer:
    """A town or a care facility named after a residence verb ("lives in", "residing at", "born in")."""

    name = "en_residence"
    languages = frozenset({"en"})

    def find(self, text: str) -> Iterator[Span]:
        from yizhi.deid.text.recognizers.english_clean import STATES_AND_COUNTRIES
        from yizhi.deid.text.recognizers.english_words import PLACEHOLDERS, clinical_lexicon, place_words

        _, foldable, found, _ = _read(text)
        present = _RESIDENCE_VERBS & found.keys()
        if not present:
            return
        # (the positions are those of the lower-cased text: the same as the text's when lower-casing keeps them)
        matches = _matches_at(_RESIDENCE, text, _starts_in(found, present)) if foldable else _RESIDENCE.finditer(text)
        for match in matches:
            value = match.group(1)
            words = [_strip(word) for word in value.split()]
            if value.lower() in STATES_AND_COUNTRIES or words[0] in PLACEHOLDERS or value.startswith("Sample"):
                continue  # (Safe Harbor keeps states and countries; "lives in XYZ" is the transcription's stand-in)
            if all(word in clinical_lexicon() and word not in place_words() for word in words):
                continue  # ("lives in Assisted Living", "resides at Home")
            kind = "ORGANIZATION" if len(words) > 1 and words[-1] in _INSTITUTION_LAST else "LOCATION"
            span = make_span(text, match.start(1), match.end(1), kind, 0.7, self.name)
            if span is not None:
                yield span


# --- facilities chosen in discharge planning (issue 16, item 3: organisations without a move cue) --------
# "Discussed rehab options; family prefers Spaulding or Youville", "SNF choices: Hebrew Rehab, Sherrill": after
# a word of choice, in a sentence about placement, capitalised names that are no clinical vocabulary, no
# common word and no drug are the facilities weighed (a drug choice, "prefers Tylenol or Motrin", stays out).
_CHOICE = re.compile(
    r"(?<!\w)(?i:prefers?|preferred|preference|choices?|options?|considering|chose|choose|choosing|"
    r"referrals?[ ]+(?:sent[ ]+)?to|accepted[ ]+(?:at|to|by)|bed[ ]+offers?[ ]+(?:at|from))[ ]*:?[ ]+"
    r"([A-Z][\w'’-]+(?:[ ][A-Z][\w'’-]+)?(?:(?:,[ ]*|[ ]+or[ ]+|[ ]+and[ ]+|/)[A-Z][\w'’-]+(?:[ ][A-Z][\w'’-]+)?)*)")
_PLACEMENT = re.compile(r"(?i:rehab|snf|nursing[ ]home|facilit(?:y|ies)|placement|ltach|ltc|subacute|"
                        r"assisted[ ]living|skilled[ ]nursing|hospice|d/c[ ]plan|discharge[ ]plan)")
_CHOICE_ITEM = re.compile(r"[A-Z][\w'’-]+(?:[ ][A-Z][\w'’-]+)?")
_CHOICE_WORDS = frozenset(w.split()[0].lower() for w in ("prefer", "prefers", "preferred", "preference", "choice", "choices",
                                                          "option", "options", "considering", "chose", "choose",
                                                          "choosing", "referral", "referrals", "accepted", "bed"))
_add_words(set(_CHOICE_WORDS))


class FacilityChoiceRecognizer:
    """Facilities named as the choices of a placement ("family prefers Spaulding or Youville")."""

    name = "en_facility_choice"
    languages = frozenset({"en"})

    def find(self, text: str) -> Iterator[Span]:
        _, _, found, _ = _read(text)
        if _CHOICE_WORDS.isdisjoint(found.keys()):
            return
        for match in _CHOICE.finditer(text):
            sentence_start = max(text.rfind(".", 0, match.start()), text.rfind("\n", 0, match.start())) + 1
            sentence_end = min((i for i in (text.find(".", match.end()), text.find("\n", match.end())) if i >= 0),
                               default=len(text))
            if not _PLACEMENT.search(text, sentence_start, sentence_end):
                continue
            for item in _CHOICE_ITEM.finditer(text, match.start(1), match.end(1)):
                if _facility_name(item.group()):
                    span = make_span(text, item.start(), item.end(), "ORGANIZATION", 0.7, self.name)
                    if span is not None:
                        yield span


def _facility_name(value: str) -> bool:
    """A capitalised item that is no clinical word, common word, drug, state or country."""
    from yizhi.deid.text.recognizers.english_clean import STATES_AND_COUNTRIES, drug_words
    from yizhi.deid.text.recognizers.english_words import PLACEHOLDERS, clinical_lexicon, common_words

    words = [_strip(word) for word in value.split()]
    if value.lower() in STATES_AND_COUNTRIES or words[0] in PLACEHOLDERS:
        return False
    return any(word not in clinical_lexicon() and word not in common_words() and word not in drug_words()
               for word in words)
