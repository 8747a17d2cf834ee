"""A small statistical tagger for English names, organisations, addresses and places (CRF, offline).

The rules in ``english.py`` stop where an identifier does not look like one: lower-case names
("naomi ryan"), companies made of common words ("Social Health Insights"), foreign addresses
("5638 Aasa 43\\nHumilimont"). A linear-chain CRF over word shapes, word-frequency ranks, small
gazetteers and the neighbouring tokens' shapes learns those patterns from labelled sentences; its
spans are unioned with the rule spans by the pipeline (recall first). The shipped model reads text that
does not read as clinical; a second one, trained on real-style notes (``train_en_tagger_real``), reads
clinical notes written in nursing shorthand; dictated clinical prose gets no tagger span.

Why these pieces:
- python-crfsuite (the C CRFsuite library) does the learning and the Viterbi decoding; the model is
  CRFsuite's own binary file, trained by ``yizhi.deid.text.train_en_tagger`` and shipped in
  ``recognizers/data/``. No pickle, no download.
- CRFsuite decodes, not a hand-written Viterbi over weights exported from the model: this model's
  emission scores are small beside its transition scores (their spread is about 14), so on the
  clinical notes of en_dev no tagged token's label is settled by its own scores (0 of 10,886 tokens:
  a label is settled only when it leads every other by that label pair's largest possible transition
  difference), and a Viterbi in numpy costs about 5 µs a step: about 240 µs a note decoding window by window,
  about 420 µs batched over a note's windows (their longest runs ~39 tokens), against ~60 µs for CRFsuite's
  whole call (feature conversion, attribute lookup and decoding). Dropping the ~15% of feature names the
  model does not know saves CRFsuite ~5 µs a note, about what rebuilding each item without them costs.
- Features are written here, not taken from a package, because the packages that extract features
  (spaCy, NLTK) bring models or corpora we cannot ship, and because the cost budget (tens of
  microseconds a sentence) needs features that are computed once per distinct word and cached.
- Lexical identity features are kept only for frequent English words (context such as "at", "lives",
  "corner", "Inc"): identity features on rare capitalised words would memorise the generator's value
  pools (presidio-research draws names and companies from lists both halves share).
- The rule recognizers' own spans are NOT features: running them a second time costs about 100 µs a
  sentence, several times this tagger's budget. The same dictionaries the rules read (names, places,
  organisation suffixes) are features instead. The name list is Faker's, as is the generator's of the
  presidio-research set: on that set the flag is partly memory, on real text only a dictionary.
- Four features a token (its signature, its word or suffix, each neighbour's word or shape), not six:
  on the template-group validation of ``train_en_tagger`` the neighbours two away added no recall
  (0.982 with or without them) and cost precision (0.941 with them, 0.951 without) and a third of the
  feature lookups. Training, not features, carries the generalisation: value-swapped, lower-cased and
  context-dropped copies of the sentences and hand-written frames (``train_en_tagger.augmented``).
- Cost: only tokens within two of a "candidate" (anything but frequent lower-case words, punctuation
  and numbers) are tagged, and the tagged runs are cut and trimmed by hand-written checks (sentence
  ends, common words unless the whole text is lower case, titles, credentials, drug names; pieces of
  weak tokens dropped) because the synthetic training sentences let addresses run over lines and
  clauses, a habit that spills over prose such as clinical notes. The lines of one address run
  (" Suite 170\\n MITTERLOBMING\\n, OV\\n 02032") are judged together: a state code or a postcode is
  weak alone but not after a street. Stretches whose every piece those checks would drop whatever
  the labels ("Temp 38", "ZIP: 3520") are not tagged at all.
- Address runs are then widened by hand where the model is reliably short: back over a leading house
  number or two ("8116 56 rue La Boétie"), on over a state code and postcode after commas and line
  breaks ("Leeds, NY 10001"), over a lone "and" to a neighbouring name, place or address run (a
  crossing: "Bygget 64 and Komel Club") and back over "the corner of ". On the template-group
  validation the first, third and fourth raised the union's recall 0.9830 -> 0.9849 at precision
  0.9513 -> 0.9512, the second (measured last) 0.9873 -> 0.9878 at 0.9500 -> 0.9501; the model unchanged.
- In text written all in lower case ("have you heard nijito asano speak yet?") a word outside the
  frequency list is what a capitalised word is elsewhere: a tagged piece holding one stands. Elsewhere
  such words stay weak (clinical terms such as "hyperlipidemia" are rare and lower case). Validation
  0.9849 -> 0.9873 recall, precision 0.9512 -> 0.9500; the notes unchanged (never all lower case).

If python-crfsuite is not installed the recognizer logs once and finds nothing (the rules still run).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator
from functools import lru_cache
from itertools import accumulate
from operator import itemgetter
from pathlib import Path

from yizhi.deid.text.spans import Span, make_span

log = logging.getLogger(__name__)

MODEL_PATH = Path(__file__).parent / "data" / "en_tagger.crfsuite"
# A second model for clinical text that is telegraphic (nursing shorthand, ``english_dates.telegraphic``),
# trained on real-style notes and reports by ``train_en_tagger_real`` (its docstring: data and held-out
# figures). Dictated clinical prose gets no tagger span; without the file, no clinical text does.
CLINICAL_MODEL_PATH = Path(__file__).parent / "data" / "en_tagger_clinical.crfsuite"
# In clinical text a token keeps its entity label only at this marginal probability or more (see find): on
# the leave-one-set-out folds 0 and 0.5 gave the same spans, 0.7 and 0.9 lost recall on fresh notes.
CLINICAL_MIN_MARGINAL = 0.5
LABEL_TYPES = ("NAME", "ORGANIZATION", "ADDRESS", "LOCATION")
# Confidence below the rules' (0.6-0.95): where both find something, overlap resolution is by type, and
# a tagger-only span is a guess.
CONFIDENCE = 0.5

TOKEN = re.compile(r"\w+|[^\w\s]|\n")  # a line break is a token: it separates address lines
_TOKEN_SPLIT = re.compile(f"({TOKEN.pattern})")  # the same tokens, with the spaces between them
# The same, for text all in ASCII: `re` tests ASCII classes by table, a quarter faster than Unicode ones.
# For ASCII characters the two readings of \w agree; Unicode's \s also holds \x1c-\x1f, hence the class.
_ASCII_TOKEN_SPLIT = re.compile(r"(\w+|[^\w\s\x1c-\x1f]|\n)", re.ASCII)
_GREEK = re.compile(r"[\u0370-\u03ff]")
_VOCABULARY_SIZE = 2000  # frequent words whose identity is a feature (function words, street/company words)
_RANK_BANDS = ((600, "r1"), (5000, "r2"), (25000, "r3"))
_PLAIN_RANK = 5000
_CACHE_LIMIT = 200_000  # distinct words cached before the cache is dropped (bounded memory on long runs)


# --- word lists (lazy, shared with the rules) ------------------------------------------------------
@lru_cache(maxsize=1)
def _word_ranks() -> dict[str, int]:
    # (kept on disk: importing wordfreq alone costs ~0.3 s, paid in every process at its first telegraphic note)
    from yizhi.deid.text.recognizers.word_cache import cached_word_list

    def build() -> list[str]:
        from wordfreq import top_n_list

        return top_n_list("en", _RANK_BANDS[-1][0])

    ranked = cached_word_list(f"en_top_words:{_RANK_BANDS[-1][0]}", ("wordfreq",), build)
    return {word: rank for rank, word in enumerate(ranked)}


@lru_cache(maxsize=1)
def _gazetteers() -> tuple[frozenset[str], ...]:
    from yizhi.deid.text.recognizers import english

    return (english.name_words(), english.place_words(), frozenset(english.ORG_SUFFIXES) | _EXTRA_ORG_WORDS,
            frozenset(english.LOCATION_WORDS) | _STREET_WORDS, english.TAGGER_TITLES,
            frozenset(english.CLINICAL_TERMS) | frozenset(english.EPONYMS))


# Small hand lists the rules do not hold: address words of several languages and company endings.
_STREET_WORDS = frozenset(
    "st rd ave avenue blvd lane ln drive dr way court ct place pl square sq flat apt apartment suite unit floor "
    "road street strasse straße str via calle rue ul utca ulica trg cesta gade vej gatan vägen katu tie kuja "
    "plaza piazza platz weg allee rua avenida box po".split()
)
_EXTRA_ORG_WORDS = frozenset("inc llc ltd plc gmbh ag sa spa bv nv oy ab as co corp limited".split())


# --- features ---------------------------------------------------------------------------------------
# CRFsuite spends about 0.2 µs converting and looking up each feature name of each token, so a token
# carries four conjunctive features rather than twenty atomic ones: its signature (case, frequency band,
# dictionary flags), its word (frequent words) or suffix (rare ones), and what the token either side
# looks like. Each word's strings and flags are computed once and cached.
def _case_class(word: str) -> str:
    if word == "\n":
        return "nl"
    if word.isdigit():
        return "d" + str(min(len(word), 6))  # house numbers (1-4 digits) vs postcodes (5) vs longer ids
    if len(word) == 1 and not word.isalnum():
        return "p" + word
    if word.isupper():
        return "upper" if len(word) > 1 else "initial"
    if word.islower():
        return "lower"
    if word[0].isupper() and word[1:].islower():
        return "title"
    return "mixed"


def _word_features(word: str) -> tuple:
    """Four feature names (signature, word-or-suffix, then as seen from the token to its right and
    left), then the flags ``windows`` and ``labelled_runs`` read (see the _PLAIN... positions)."""
    lower = word.lower()
    case = _case_class(word)
    names, places, org_words, street_words, titles, clinical = _gazetteers()
    rank = _word_ranks().get(lower)
    band = "r0" if rank is None else next(b for limit, b in _RANK_BANDS if rank < limit)
    flags = "".join(flag for flag, words in (("N", names), ("P", places), ("O", org_words), ("S", street_words),
                                             ("T", titles)) if lower in words)
    if word.isalpha() and not word.isascii():
        flags += "G" if _GREEK.search(word) else "A"
    signature = f"{case}.{band}.{flags}"
    known = rank is not None and rank < _VOCABULARY_SIZE or lower in street_words or lower in org_words
    if word == "\n":
        lexical = "w=NL"  # no line break inside a feature name: CRFsuite's model dump is line-based
    elif known or not word.isalnum():
        lexical = "w=" + lower
    elif word.isalpha() and len(word) > 3:
        lexical = "suf=" + lower[-3:]
    else:
        lexical = "len=" + str(min(len(word), 6))
    context = lexical if known or not word.isalnum() else signature  # neighbours see frequent words themselves
    # Plain: a frequent lower-case or upper-case word (headings) that is no name or place, a very
    # frequent capitalised one ("The", "He") or a punctuation mark: not worth tagging on its own (see ``windows``).
    plain = not flags and rank is not None and (
        rank < _PLAIN_RANK and case in ("lower", "upper") or rank < 600 and case == "title")
    # Numbers too: the rules find dates, phones and ids; a house number or postcode is tagged when a
    # word of its address is within reach.
    plain = plain or (len(word) == 1 and not word.isalnum()) or word.isdigit()
    # Inert: a token that cannot make a tagged run an identifier by itself (a run of drug names,
    # eponyms and plain words is dropped: "Lipitor and", "Hodgkin").
    inert = plain or lower in clinical
    # Identifier-style: an underscore or a capital deep inside ("1_AbdomenRoutine"): a code, not a name
    # (the rules' reading too); a tagged run holding one is dropped.
    coded = "_" in word or (not word.isupper() and any(char.isupper() for char in word[4:]))
    role = _role(word, lower, case, rank, flags, clinical)
    # Weak: proves nothing alone (a number, an abbreviation, a unit, a common capitalised word, a street
    # word that is also common English written in lower case: "Temp 38", "RR 22", "EBL 50 mL", "Dictated",
    # "OPERATIVE NOTE", "via PEG 2"); a piece of weak tokens needs two capitalised words ("Walk Score") to stand.
    weak = inert or word.isdigit() or role == _CREDENTIAL or flags in ("", "O") and (
        case == "title" and rank is not None
        or case in ("upper", "initial") and (len(word) <= 3 or rank is not None)
        or case == "mixed" and len(word) <= 3
        or case == "lower") or flags == "S" and case == "lower" and rank is not None and rank < _PLAIN_RANK
    # Feature names as UTF-8 bytes: CRFsuite wants bytes, and converting once here saves it ~10%.
    names = ("s=" + signature, lexical, "-1=" + context, "+1=" + context)
    # Rare lower-case: a lower-case word outside the frequency list ("nijito", "midtvollen"). In text
    # written all in lower case it is what a capitalised word is elsewhere (see ``_piece_verdict``).
    rare_lower = case == "lower" and rank is None and word.isalpha() and not inert
    return (*(name.encode() for name in names), plain, inert, coded, role, weak, case == "title", rare_lower)


def _role(word: str, lower: str, case: str, rank: int | None, flags: str, clinical: frozenset[str]) -> str:
    """Where a tagged run is cut (a common lower-case word, a line break, a colon, a field label such as
    DOB), what is trimmed off its ends (connectors, brackets, commas, titles at the start, credentials
    and drug names at the end) and what may end with a full stop that is no sentence end (Apt., Inc.)."""
    if word in _BREAK_MARKS or (case == "upper" and lower in _field_labels()):
        return _BREAK
    if case == "lower" and not flags and rank is not None and lower not in _CONNECTORS:
        # A lone letter may be an initial ("eric g. samoylova"); a common word ends a name in prose but
        # may belong to one in text written all in lower case ("belfast, south africa").
        return _ABBREVIATION if len(word) == 1 else _COMMON
    if lower in _CONNECTORS or (len(word) == 1 and not word.isalnum()) or lower in clinical:
        return _EDGE_TOKEN
    if "T" in flags or lower in _kinship():
        return _TITLE  # "Dr. Ana Ruiz", "Wife Ana Ruiz": the rules keep these outside the name too
    if lower in _credentials():
        return _CREDENTIAL
    if word.isalpha() and (len(word) <= 4 or "S" in flags or "O" in flags):
        return _ABBREVIATION
    return ""


@lru_cache(maxsize=1)
def _kinship() -> frozenset[str]:
    from yizhi.deid.text.recognizers import english

    return english.TAGGER_KINSHIP  # (the list the shipped model was trained with)


@lru_cache(maxsize=1)
def _field_labels() -> frozenset[str]:
    from yizhi.deid.text.recognizers import english

    return frozenset(english.HEADER_WORDS)


_CONNECTORS = frozenset("and of de del della di da do dos das du des la le van von der den y e u na nad am an "
                        "im zum the &".split())
_BREAK_MARKS = frozenset({"\n", ":", ";", "!", "?", '"'})
_BREAK, _COMMON, _EDGE_TOKEN, _ABBREVIATION, _TITLE, _CREDENTIAL = (
    "break", "common", "edge", "abbreviation", "title", "credential")
_SHORTENED = (_ABBREVIATION, _TITLE, _CREDENTIAL)  # a full stop after these is no sentence end


@lru_cache(maxsize=1)
def _credentials() -> frozenset[str]:
    from yizhi.deid.text.recognizers import english

    return english.TAGGER_CREDENTIALS  # (the list the shipped model was trained with)


_FEATURE_CACHE: dict[str, tuple] = {}


def _cached_word_features(word: str) -> tuple:
    found = _FEATURE_CACHE.get(word)
    if found is None:
        if len(_FEATURE_CACHE) >= _CACHE_LIMIT:
            _FEATURE_CACHE.clear()
        found = _FEATURE_CACHE[word] = _word_features(word)
    return found


def tokenize(text: str) -> list[str]:
    """The tokens of ``text``: words, single punctuation marks and line breaks (no offsets: see ``offsets``)."""
    return TOKEN.findall(text)


def offsets(text: str, tokens: list[str], count: int | None = None) -> list[int]:
    """Start offset of each of the first ``count`` tokens. Only blanks other than line breaks lie between
    tokens, so each one is the next occurrence of its string (used in training; ``find`` sums lengths)."""
    starts = []
    position = 0
    for token in tokens[:count]:
        position = text.find(token, position)
        starts.append(position)
        position += len(token)
    return starts


_OUTSIDE = (b"", b"", b"-1=BOS", b"+1=EOS", True, True, False, "", True, False, False)
# What a token before the first or after the last is seen as, and where the flags sit in a word's tuple.
_PLAIN, _INERT, _CODED, _ROLE, _WEAK, _CAPITALISED, _RARE_LOWER = 4, 5, 6, 7, 8, 9, 10
_CONTEXT = 2  # tokens either side of a candidate that are tagged with it (and seen by its features)
# Flag readers for map() (all/any/sum over a map run in C, a generator expression in Python).
_inert_of, _coded_of, _weak_of, _capitalised_of, _rare_lower_of = (itemgetter(position) for position in (
    _INERT, _CODED, _WEAK, _CAPITALISED, _RARE_LOWER))


def word_features(tokens: list[str]) -> list[tuple]:
    """Each token's cached feature tuple: what ``windows``, ``labelled_runs`` and ``shape_context`` read."""
    found = list(map(_FEATURE_CACHE.get, tokens))  # (a C loop; words not seen before are filled in below)
    if all(found):  # (a feature tuple is never empty, so never false)
        return found
    return [known or _cached_word_features(token) for known, token in zip(found, tokens)]


def windows(words: list[tuple], hopeless_too: bool = True, lower_text: bool = False
            ) -> list[tuple[int, int, list[tuple[bytes, ...]]]]:
    """(first, stop, CRFsuite item features) of each stretch of tokens worth tagging (``words`` holds
    their ``word_features``).

    Only tokens within two of a non-plain token are tagged: long plain stretches ("was admitted for
    the", "and had the") cost CRFsuite time and can hold no identifier. Each item carries the token's
    own two features and one from each neighbour (neighbours outside the window are still seen).
    ``hopeless_too=False`` leaves out stretches whose every piece ``labelled_runs`` would drop whatever
    the labels ("Temp 38", "ZIP : 3520"): the same spans for less tagging (training keeps them all).
    """
    candidates = [index for index, word in enumerate(words) if not word[_PLAIN]]
    if not candidates:
        return []
    # (plain loops, not comprehensions over comprehensions: a sentence holds one or two stretches, and
    # each comprehension is a function call)
    count = len(words)
    stretches = []
    first, stop = candidates[0] - _CONTEXT, candidates[0] + _CONTEXT + 1
    for index in candidates[1:]:
        if index - _CONTEXT > stop:
            stretches.append((first if first > 0 else 0, stop if stop < count else count))
            first = index - _CONTEXT
        stop = index + _CONTEXT + 1
    stretches.append((first if first > 0 else 0, stop if stop < count else count))
    padded = [_OUTSIDE, *words, _OUTSIDE]  # padded[i + 1] is words[i]
    found = []
    for first, stop in stretches:
        if hopeless_too or _may_stand(words[first:stop], lower_text):
            found.append((first, stop, [(own[0], own[1], left[2], right[3]) for own, left, right in zip(
                words[first:stop], padded[first:stop], padded[first + 2 : stop + 2])]))
    return found


def shape_context(word: tuple, side: bytes) -> bytes:
    """The feature a neighbour (its ``word_features`` tuple) gives when only its shape is seen (``side``
    is b"-1=" or b"+1="): what rare words always give, and what training's context dropout gives for
    frequent ones too."""
    return side + word[0][2:]  # the signature without its "s="


def _may_stand(words: list[tuple], lower_text: bool) -> bool:
    """Whether some piece of these words could pass ``_piece_verdict`` (stretches never touch, so a
    tagged run stays inside its stretch): a word that is not weak, or two capitalised ones."""
    return (not all(map(_weak_of, words)) or sum(map(_capitalised_of, words)) >= 2
            or lower_text and any(map(_rare_lower_of, words)))


def bio_labels(text: str, tokens: list[str], gold: list[tuple[int, int, str]]) -> list[str]:
    """B-/I-/O label of each token given gold (start, end, type) spans: a token inside a span is in it."""
    starts = offsets(text, tokens)
    labels = ["O"] * len(tokens)
    for start, end, kind in gold:
        first = True
        for index, (token, token_start) in enumerate(zip(tokens, starts)):
            if token_start < end and token_start + len(token) > start:
                labels[index] = ("B-" if first else "I-") + kind
                first = False
    return labels


def tokens_and_starts(text: str) -> tuple[list[str], list[int]]:
    """``tokenize(text)`` and each token's start offset, summed from the lengths of the pieces in C
    (``offsets`` walks the tokens in Python: the same answer, slower on a long note)."""
    parts = (_ASCII_TOKEN_SPLIT if text.isascii() else _TOKEN_SPLIT).split(text)
    return parts[1::2], list(accumulate(map(len, parts), initial=0))[1:-1:2]


def labelled_runs(text: str, tokens: list[str], words: list[tuple], labels: list[str], starts: list[int],
                  lower_text: bool | None = None) -> Iterator[tuple[int, int, str]]:
    """(start, end, type) of each run of tokens the tagger labelled as one entity (``words``: the
    tokens' ``word_features``; ``starts``: their offsets in ``text``; ``lower_text``: ``text.islower()``
    when the caller knows it)."""
    runs = _runs(labels)
    if not runs:
        return
    if lower_text is None:
        lower_text = text.islower()
    cuts = (_BREAK,) if lower_text else (_BREAK, _COMMON)
    for first, last, kind in runs:
        if kind != "ADDRESS":  # (each piece alone: what a block of one piece gives)
            for piece_first, piece_last in _pieces(tokens, words, first, last, cuts):
                if _piece_verdict(words[piece_first : piece_last + 1], lower_text) == _STANDS:
                    yield starts[piece_first], starts[piece_last] + len(tokens[piece_last]), kind
            continue
        first, last = _with_house_numbers(tokens, first), _with_address_tail(tokens, last)
        for block in _address_blocks(tokens, _pieces(tokens, words, first, last, cuts)):
            verdicts = [_piece_verdict(words[piece_first : piece_last + 1], lower_text)
                        for piece_first, piece_last in block]
            if _A_CODE in verdicts or _STANDS not in verdicts:
                continue
            (block_first, _), (_, block_last) = block[0], block[-1]
            yield starts[block_first], starts[block_last] + len(tokens[block_last]), kind


def _runs(labels: list[str]) -> list[list]:
    """[first token, last token, type] of each run of labels that is one entity: a B- label, or an I-
    label not continuing the run before it, starts one."""
    runs: list[list] = []
    previous_index, previous_kind = -2, None
    parts = _LABEL_PARTS
    for index, label in enumerate(labels):
        if label == "O":
            continue
        inside, kind = parts.get(label) or _label_parts(label)
        if inside and kind == previous_kind and previous_index == index - 1:
            runs[-1][1] = index
        else:
            runs.append([index, index, kind])
        previous_index, previous_kind = index, kind
    return runs


def _label_parts(label: str) -> tuple[bool, str]:
    """Whether a label continues a run (I-) and its type, kept for the next time it is read."""
    parts = _LABEL_PARTS[label] = (label[0] == "I", label[2:])
    return parts


_LABEL_PARTS: dict[str, tuple[bool, str]] = {}


def joined_intersections(text: str, runs: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Two tagged runs joined by a lone "and" become one address when one of them is an address and the
    other could be a street ("the corner of Bygget 64 and Komel Club", "Hanne and ul. Stefana 28"):
    the model labels the two streets of a crossing apart, often the first as a name or a place."""
    joined: list[tuple[int, int, str]] = []
    for run in runs:
        if joined and text[joined[-1][1] : run[0]] == " and " and _INTERSECTION_KINDS >= {joined[-1][2], run[2]} \
                and "ADDRESS" in (joined[-1][2], run[2]):
            joined[-1] = (joined[-1][0], run[1], "ADDRESS")
        else:
            joined.append(run)
    return [_with_corner(text, run) for run in joined]


def _with_corner(text: str, run: tuple[int, int, str]) -> tuple[int, int, str]:
    """An address after "the corner of " starts there: the phrase names the place as much as the streets
    do (presidio-research's gold holds it; the pipeline adds it only to a rule address it can see)."""
    start, end, kind = run
    if kind == "ADDRESS" and text[max(0, start - len(_CORNER)) : start].lower() == _CORNER:
        return start - len(_CORNER), end, kind
    return run


_CORNER = "the corner of "


_INTERSECTION_KINDS = frozenset({"ADDRESS", "LOCATION", "NAME"})


def _with_house_numbers(tokens: list[str], first: int) -> int:
    """The first token of an address run moved back over up to two numbers just before it ("74678
    midtvollen 130", "8116 56 rue La Boétie"): the model often leaves a leading house or building
    number outside, as numbers are plain tokens it sees little of."""
    for _ in range(_HOUSE_NUMBERS):
        if first and tokens[first - 1].isdigit() and len(tokens[first - 1]) <= 6:
            first -= 1
    return first


_HOUSE_NUMBERS = 2


def _with_address_tail(tokens: list[str], last: int) -> int:
    """The last token of an address run moved on over what may end an address after commas and line
    breaks: a state code of two or three capitals and a postcode ("Kaster\n, VWV\n 04494"), which
    the model often leaves outside as they are weak tokens it sees little of."""
    end = last
    for index in range(last + 1, min(len(tokens), last + 1 + _TAIL_TOKENS)):
        token = tokens[index]
        if token in _LINE_JOINERS:
            continue
        if token.isdigit() and 4 <= len(token) <= 6 or token.isalpha() and token.isupper() and 2 <= len(token) <= 3:
            end = index
        else:
            break
    return end


_TAIL_TOKENS = 6
_STANDS, _FALLS, _A_CODE = "stands", "falls", "code"


def _piece_verdict(words: list[tuple], lower_text: bool = False) -> str:
    """Whether a piece of a tagged run (its words' features) is an identifier by itself, a code (never
    one) or too weak alone."""
    if any(map(_coded_of, words)):
        return _A_CODE
    if all(map(_inert_of, words)):
        return _FALLS
    if lower_text and any(map(_rare_lower_of, words)):
        return _STANDS  # "have you heard nijito asano speak", "74678 midtvollen 130 st."
    if all(map(_weak_of, words)) and sum(map(_capitalised_of, words)) < 2:
        return _FALLS
    return _STANDS


def _address_blocks(tokens: list[str], pieces: list[tuple[int, int]]) -> list[list[tuple[int, int]]]:
    """Pieces of one address run that only line breaks and commas separate, grouped: an address's later
    lines ("\n, OV\n 02032", a state code, a postcode) are weak alone but belong to the lines before
    them, so a block stands if any of its pieces does and is kept whole."""
    blocks: list[list[tuple[int, int]]] = []
    for piece in pieces:
        if blocks and all(token in _LINE_JOINERS for token in tokens[blocks[-1][-1][1] + 1 : piece[0]]):
            blocks[-1].append(piece)
        else:
            blocks.append([piece])
    return blocks


_LINE_JOINERS = frozenset({"\n", ","})


def _pieces(tokens: list[str], words: list[tuple], first: int, last: int, cuts: tuple[str, ...]
            ) -> list[tuple[int, int]]:
    """A tagged run cut where an identifier cannot go on (a line break, a sentence's full stop, a word
    whose role is in ``cuts``: a frequent lower-case word unless the whole text is lower case) and
    trimmed of connectors, punctuation and (in lower-case text) common words at both ends. The model
    learnt from synthetic sentences whose addresses run over lines and commas; in prose such as clinical
    notes that habit spills runs over whole clauses ("RR 22. Treated with Tylenol")."""
    pieces = []
    start = None
    for index in range(first, last + 1):
        role = words[index][_ROLE]
        full_stop = tokens[index] == "." and index > first and words[index - 1][_ROLE] not in _SHORTENED
        if role in cuts or full_stop:
            if start is not None:
                pieces.append((start, index - 1))
            start = None
        elif start is None:
            start = index
    if start is not None:
        pieces.append((start, last))
    trimmed = []
    for piece_first, piece_last in pieces:
        while piece_first <= piece_last and words[piece_first][_ROLE] in (
                _EDGE_TOKEN, _TITLE, _COMMON):
            piece_first += 1  # "Dr. Ana Ruiz": the title stays outside, as the rules keep it
        while piece_last >= piece_first and words[piece_last][_ROLE] in (
                _EDGE_TOKEN, _CREDENTIAL, _COMMON) and not _kept_at_end(tokens, words, piece_first, piece_last):
            piece_last -= 1
        if piece_first <= piece_last:
            trimmed.append((piece_first, piece_last))
    return trimmed


def _kept_at_end(tokens: list[str], words: list[tuple], first: int, last: int) -> bool:
    """A full stop after an abbreviation ("Apt.", "Inc.") or a bracket closing one opened in the piece
    ("Cyprus (Greek)") ends an identifier rather than the sentence around it."""
    if last <= first:
        return False
    if tokens[last] == ".":
        return words[last - 1][_ROLE] in _SHORTENED
    return tokens[last] == ")" and "(" in tokens[first:last]


# --- the recognizer ---------------------------------------------------------------------------------
_MISSING = object()
# Two models: the general one (presidio-research sentences and generated notes) for text that does not
# read as clinical, and the clinical one (real-style notes and reports, see train_en_tagger) for text that
# does. Opened once per process each.
_TAGGERS: dict[bool, object] = {}
# A CRFsuite tagger holds the sequence it is decoding: one call at a time (web requests use threads).
_TAG_LOCK = threading.Lock()


def _tagger(clinical: bool = False):
    """The CRFsuite tagger with the shipped model (general or clinical), opened once per process; None
    without crfsuite or without the model file."""
    tagger = _TAGGERS.get(clinical)
    if tagger is None:  # a race here opens the file twice, harmlessly
        path = _model_paths[clinical]
        try:
            import pycrfsuite
        except ImportError:
            log.warning("python-crfsuite is not installed: the English tagger is off (the rules still run)")
            tagger = _MISSING
        else:
            if path.exists():
                tagger = pycrfsuite.Tagger()
                tagger.open(str(path))
            else:  # (no clinical model is shipped: see CLINICAL_MODEL_PATH)
                log.debug("no English tagger model at %s: that tagger is off", path)
                tagger = _MISSING
        _TAGGERS[clinical] = tagger
    return None if tagger is _MISSING else tagger


_model_paths = {False: MODEL_PATH, True: CLINICAL_MODEL_PATH}


def use_model(path: Path, clinical: bool = False) -> None:
    """Tag with another model file from now on (training and tests); the shipped ones by default."""
    with _TAG_LOCK:
        _model_paths[clinical] = Path(path)
        _TAGGERS.pop(clinical, None)


def _label_greek_words(tokens: list[str], starts: list[int], labels: list[str]) -> None:
    """Greek-script words the model left out become places ("I am in ΛΕΥΚΩΣΙΑ"): in English text a
    word in another script is a name or a place, and the training set holds too few to learn them.
    A mark glued between two Greek words joins them ("ΠΟΛΕΜΙ∆ΙΑ")."""
    greek = [index for index, token in enumerate(tokens) if _GREEK.search(token) and labels[index] == "O"]
    for index in greek:
        previous = labels[index - 1] if index else "O"
        if (previous == "O" and index > 1 and labels[index - 2].endswith("LOCATION") and len(tokens[index - 1]) == 1
                and starts[index - 1] + 1 == starts[index] and starts[index - 2] + len(tokens[index - 2]) == starts[index - 1]):
            labels[index - 1] = previous = "I-LOCATION"
        labels[index] = "I-LOCATION" if previous.endswith("LOCATION") else "B-LOCATION"


from yizhi.deid.text.recognizers.english import clinical_context  # noqa: E402  (english imports nothing from here)
from yizhi.deid.text.recognizers.english_tagger_clinical import (  # noqa: E402
    confident_labels, telegraphic_note, with_clinical_evidence)


class EnglishTaggerRecognizer:
    """Names, organisations, addresses and places tagged by the shipped CRF model."""

    name = "en_tagger"
    languages = frozenset({"en"})
    # detect_many runs it over a batch in a pass of its own: its model and feature tables stay in the
    # processor's caches (see pipeline's docstring).
    own_batch_pass = True

    def find(self, text: str) -> Iterator[Span]:
        if text.isupper():  # all capitals (a DICOM descriptor, a heading): the rules' dictionaries decide
            return
        clinical = clinical_context(text)
        tagger = _tagger(clinical)
        if tagger is None:
            return  # (before the shorthand check: without a clinical model, clinical text costs nothing here)
        if clinical and not telegraphic_note(text):
            # Dictated clinical prose (MTSamples): the tagger's guesses added recall there only at a loss of
            # precision the rules had won, and cost about half the time (train_en_tagger_real's docstring).
            return
        tokens, starts = tokens_and_starts(text)
        words = word_features(tokens)
        lower_text = text.islower()
        stretches = windows(words, hopeless_too=False, lower_text=lower_text)
        if not stretches:
            return
        labels = ["O"] * len(tokens)
        with _TAG_LOCK:
            for first, stop, items in stretches:
                found = tagger.tag(items)
                if clinical and found.count("O") < len(found):
                    found = confident_labels(tagger, found, CLINICAL_MIN_MARGINAL)
                labels[first:stop] = found
        if not text.isascii() and _GREEK.search(text):  # one scan of the text, not one per token (none in ASCII)
            _label_greek_words(tokens, starts, labels)
        for start, end, kind in joined_intersections(text, list(labelled_runs(text, tokens, words, labels, starts,
                                                                              lower_text))):
            if clinical:
                start, end = with_clinical_evidence(text, start, end)
                if start == end:
                    continue
            span = make_span(text, start, end, kind, CONFIDENCE, self.name)
            if span is not None:
                yield span
