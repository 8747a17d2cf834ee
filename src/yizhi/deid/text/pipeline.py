"""detect(): run every registered recognizer for the note's language and merge what they found.

detect_many(): the same for a batch of notes, faster. The answers are detect()'s, note by note; only
the order of the work changes. Run note after note between the rules, the English tagger's find()
takes about 10% longer than run note after note alone (about 4% after a loop that only writes 4 MB of
memory), executing the same instructions (valgrind's cachegrind counts them equal to 0.05%); the
garbage collector plays no part (disabling it changes nothing). So the processor's state (caches,
branch predictors, address translation) left by the code and data in between costs it that time;
cachegrind's simple model (L1, a 1 MB L2, its branch predictor) does not reproduce the difference, so
which of those it is was not pinned down. Hence a recognizer that declares ``own_batch_pass`` (the
English tagger) runs over the whole batch in a pass of its own, and the recognizers between such ones
run together note by note, as they share one reading of each note (``base._read`` and
``english._read_tokens`` keep only the last note's; running every recognizer in a pass of its own is
slower than detect()). Measured on batches of 32 notes, interleaved with detect() in one process:
about 7% less time on the English clinical notes, 13% on the presidio-research sentences.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from operator import attrgetter

from yizhi.deid.text.normalize import normalise, original_range
from yizhi.deid.text.recognizers import base, english_span_filter
from yizhi.deid.text.recognizers.chinese import chinese_recognizers
from yizhi.deid.text.recognizers.english import english_in_chinese_recognizers, english_recognizers
from yizhi.deid.text.recognizers.chinese_context import ChineseContextRecognizer, clean_chinese
from yizhi.deid.text.recognizers.english_clean import clean_english
from yizhi.deid.text.recognizers.english_context import EnglishContextRecognizer
from yizhi.deid.text.recognizers.english_nursing_names import EnglishNursingNamesRecognizer, split_name_lists
from yizhi.deid.text.recognizers.english_tagger import EnglishTaggerRecognizer
from yizhi.deid.text.recognizers.patterns import chinese_recognizer, english_recognizer, shared_recognizer
from yizhi.deid.text.spans import Span, resolve_overlaps

LANGUAGES = ("auto", "zh", "en")
# Places that touch (or are one space/comma apart) form one address: 北京市|朝阳区|建国路88号.
# What may sit between two pieces of one address (and so joins them): separators, house and unit
# numbers, state codes and military post codes (APO AA), Hungarian/Polish street markers (u., ul.).
_ADDRESS_GLUE = re.compile(
    r"^(?:[ ,，\n]|\b(?:[A-Z]{2,3}|\d{1,6}[A-Za-z]?\.?|u\.|ul\.|apt\.?|suite|unit|box|nan|and|do|de|des|du|la|le|del|di|nad|u)\b"
    r"|(?<![\w])[a-zà-ÿ]{3,}(?= \d)|\b[A-ZÀ-ÖØ-Þ\u0391-\u03a9∆]{2,}\b|\([^()\n]{1,20}\))*$"
)
_ADDRESS_TAIL = re.compile(
    r"(?:[ ,\n]*(?:[A-Z]{2,3}\b|nan\b|\d{1,6}(?:-\d{3,4})?\b\.?|u\. ?\d+\.?|\([^()\n]{1,20}\)"
    r"|[A-ZÀ-ÖØ-Þ\u0391-\u03a9∆]{3,}\b))+"
)
# "(?<![\w.,:/+-])(?:\d{1,6}[A-Za-z]?[ ]+){1,2}$" written to start with a digit `re` can jump to (same matches)
_HOUSE_LEFT = re.compile(r"\d(?<![\w.,:/+-]\d)\d{0,5}[A-Za-z]?[ ]+(?:\d{1,6}[A-Za-z]?[ ]+)?$")
_CORNER = re.compile(r"the corner of $", re.IGNORECASE)
_ADDRESS_KINDS = frozenset({"ADDRESS", "LOCATION"})
_TYPE = attrgetter("type")


class LanguageError(ValueError):
    """An unknown language code was asked for."""


def _install_defaults() -> None:
    for recognizer in (
        shared_recognizer(),
        chinese_recognizer(),
        english_recognizer(),
        *chinese_recognizers(),
        ChineseContextRecognizer(),
        *english_in_chinese_recognizers(),
        *english_recognizers(),
        EnglishContextRecognizer(),
        EnglishNursingNamesRecognizer(),
        EnglishTaggerRecognizer(),
    ):
        base.register(recognizer)


_install_defaults()


def detect_language(text: str) -> str:
    """'zh' when Chinese characters make up at least a tenth of the letters, else 'en'.

    Counted without a list of every letter (findall cost ~1 ms a 4 KB English note, ~10% of its
    de-identification): an ASCII sample holds no Chinese; otherwise both counts are read off the UTF-8
    encoding. The ASCII letters are its bytes A-Z, a-z (a character outside ASCII encodes to bytes >= 0x80
    only); a character of U+4E00-U+9FFF is three bytes led by E5-E9, or by E4 then B8-BF (U+4E00-U+4FFF;
    E4 80-B7 is U+4000-U+4DFF), and a lead byte is never a continuation byte (80-BF): counting those
    leads costs half of counting the characters by runs with `re` (~4 against ~8 µs a Chinese note)."""
    sample = text[:4000]
    if sample.isascii():
        return "en"
    data = sample.encode("utf-8", "surrogatepass")
    cjk = sum(map(data.count, _HAN_LEADS)) + len(_HAN_E4.findall(data))
    if not cjk:
        return "en"
    latin = len(data.translate(None, _NOT_ASCII_LETTER))
    return "zh" if cjk * 10 >= (cjk + latin) else "en"


_HAN_LEADS = (0xE5, 0xE6, 0xE7, 0xE8, 0xE9)  # U+5000-U+9FFF
_HAN_E4 = re.compile(rb"\xe4[\xb8-\xbf]")  # U+4E00-U+4FFF
_NOT_ASCII_LETTER = bytes(byte for byte in range(256) if not (65 <= byte <= 90 or 97 <= byte <= 122))


def resolve_language(text: str, lang: str) -> str:
    if lang not in LANGUAGES:
        raise LanguageError(f"unknown language {lang!r}; use one of: {', '.join(LANGUAGES)}")
    return detect_language(text) if lang == "auto" else lang


def detect(text: str, lang: str = "auto") -> list[Span]:
    """Every identifier in ``text`` as non-overlapping spans, offsets into ``text``, sorted by start.

    Detection reads a normalised copy (normalize.py: zero-width and format characters, accents piled on
    letters, right-to-left overrides); spans are mapped back onto ``text``."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, not {type(text).__name__}")
    language = resolve_language(text, lang)
    if not text.strip():
        return []
    normalised, where = normalise(text)
    found: list[Span] = []
    for recognizer in base.registered(language):
        found.extend(recognizer.find(normalised))
    return _in_original(text, where, _finish(normalised, language, found))


def _in_original(text: str, where: list[int] | None, spans: list[Span]) -> list[Span]:
    """Spans found on the normalised copy, as spans of the original text (characters a normalisation
    dropped inside a span are removed with it)."""
    if where is None:
        return spans
    mapped = []
    for span in spans:
        start, end = original_range(where, span.start, span.end)
        mapped.append(Span(start, end, span.type, text[start:end], span.confidence, span.recognizer))
    return resolve_overlaps(text, mapped)


def _finish(text: str, language: str, found: list[Span]) -> list[Span]:
    if language == "zh":
        return _join_addresses(text, resolve_overlaps(text, clean_chinese(text, found)))
    # (two names joined by "and"/"&" are two spans: "daughters Carol & Joan")
    # (then the learned filter drops guessed spans it scores as clinical words: english_span_filter.py)
    merged = english_span_filter.filter_guessed(text, resolve_overlaps(text, clean_english(text, found)))
    return _join_addresses(text, split_name_lists(merged))


def detect_many(texts: Iterable[str], lang: str = "auto") -> list[list[Span]]:
    """``[detect(text, lang) for text in texts]``, with the work ordered for speed (see the module's
    docstring): recognizers grouped by ``_passes``, each group over every note of its language in turn."""
    texts = list(texts)
    languages = []
    for text in texts:  # (checked note by note, so the error raised is the one detect() meets first)
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, not {type(text).__name__}")
        languages.append(resolve_language(text, lang))
    found: list[list[Span]] = [[] for _ in texts]
    originals = texts
    normalised = [normalise(text) for text in texts]
    texts = [copy for copy, _ in normalised]
    for language in dict.fromkeys(languages):
        notes = [(text, spans) for text, spans, note_language in zip(texts, found, languages)
                 if note_language == language and text.strip()]
        for recognizers in _passes(base.registered(language)):
            for text, spans in notes:
                for recognizer in recognizers:
                    spans.extend(recognizer.find(text))
    return [_in_original(original, where, _finish(text, language, spans)) if text.strip() else []
            for original, (text, where), spans, language in zip(originals, normalised, found, languages)]


def _passes(recognizers: list) -> list[list]:
    """The recognizers, in order, cut into passes: one declaring ``own_batch_pass`` alone, the ones
    between together (each note's findings then come in registry order, as in detect)."""
    passes: list[list] = [[]]
    for recognizer in recognizers:
        if getattr(recognizer, "own_batch_pass", False):
            passes += [[recognizer], []]
        else:
            passes[-1].append(recognizer)
    return [group for group in passes if group]


def _join_addresses(text: str, spans: list[Span]) -> list[Span]:
    if _ADDRESS_KINDS.isdisjoint(map(_TYPE, spans)):
        return spans  # no place or address: nothing to join or extend (a C loop over the types)
    joined: list[Span] = []
    for span in spans:
        previous = joined[-1] if joined else None
        if (
            previous is not None
            and previous.type in _ADDRESS_KINDS
            and span.type in _ADDRESS_KINDS
            and span.start - previous.end <= 40
            and _ADDRESS_GLUE.match(text[previous.end : span.start])
        ):
            joined[-1] = Span(
                previous.start,
                span.end,
                "ADDRESS",
                text[previous.start : span.end],
                max(previous.confidence, span.confidence),
                previous.recognizer if previous.recognizer == span.recognizer else f"{previous.recognizer}+{span.recognizer}",
            )
        else:
            joined.append(span)
    return [_with_trailing_zip(text, span) if span.type == "ADDRESS" else span for span in joined]


def _with_trailing_zip(text: str, span: Span) -> Span:
    """An address runs on over its postcode, state code and numbers ("Hungary 18695", ", CO\n 70079")."""
    start, end = span.start, span.end
    # (the numbers end in a space just before the address, or one more back before a final line break)
    house = _HOUSE_LEFT.search(text, max(0, start - 16), start) if " " in text[max(0, start - 2) : start] else None
    if house:  # "74678 midtvollen 130", "643 ul. Biskupa 118": leading numbers belong to the address
        start = house.start()
    corner = _CORNER.search(text, max(0, start - 14), start)
    if corner:
        start = corner.start()
    match = _ADDRESS_TAIL.match(text, end)
    if match:
        end = match.end()
    if (start, end) == (span.start, span.end):
        return span
    return Span(start, end, span.type, text[start:end], span.confidence, span.recognizer)
