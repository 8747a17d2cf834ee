"""The plug-in interface every recognizer implements, and the registry the pipeline reads.

A recognizer is anything with a ``name``, the ``languages`` it serves and a ``find(text)`` that
yields spans. Register a new one with ``register(MyRecognizer())``; ``detect`` picks it up.
Recognizers must be pure (no I/O, no global state changed) so they run the same in a web request,
a CLI and a worker process.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol, runtime_checkable

from yizhi.deid.text.spans import Span, make_span


@runtime_checkable
class Recognizer(Protocol):
    name: str
    languages: frozenset[str]  # subset of {"zh", "en"}

    def find(self, text: str) -> Iterable[Span]: ...


Validator = Callable[[str], float | None]
"""Given the matched text, return a confidence (0..1], or None to reject the match."""


@dataclass
class PatternRule:
    """One regular expression; ``group`` picks the identifier out of a larger match (context)."""

    type: str
    regex: re.Pattern[str]
    confidence: float
    group: int | str = 0
    validator: Validator | None = None
    # A cheap test that must pass before the full expression runs (most notes hold no e-mail at all):
    # a regex, or lower-case substrings of which one must occur (a label such as "mrn" or "住院号").
    trigger: re.Pattern[str] | tuple[str, ...] | None = None


@dataclass
class PatternRecognizer:
    """Regular expressions with optional validators (check digits, calendar checks)."""

    name: str
    languages: frozenset[str]
    rules: list[PatternRule] = field(default_factory=list)

    def find(self, text: str) -> Iterator[Span]:
        checked: dict[object, bool] = {}
        lower = None
        foldable = None
        present = None  # which trigger words occur in the lower-cased text (one Aho-Corasick pass)
        for rule in self.rules:
            trigger = rule.trigger
            if trigger is not None:
                if trigger not in checked:
                    if isinstance(trigger, tuple):
                        lower = text.lower() if lower is None else lower
                        if present is None:
                            present = _present_words(self._trigger_words(), lower)
                        checked[trigger] = not present.isdisjoint(trigger)
                    else:
                        folded = _FOLDED.get(trigger, _UNKNOWN)
                        if folded is _UNKNOWN:
                            folded = _FOLDED[trigger] = _folded(trigger)
                        if folded is not None:  # case-insensitive ("http|www"): on the lower-cased text
                            lower = text.lower() if lower is None else lower
                            if foldable is None:
                                foldable = _foldable(text, lower)
                        if folded is not None and foldable:
                            checked[trigger] = folded.search(lower) is not None
                        else:
                            checked[trigger] = trigger.search(text) is not None
                if not checked[trigger]:
                    continue
            regex, subject = rule.regex, text
            folded = _FOLDED.get(regex, _UNKNOWN)
            if folded is _UNKNOWN:
                folded = _FOLDED[regex] = _folded(regex)
            if folded is not None:  # case-insensitive: match the lower-cased text instead (twice as fast)
                lower = text.lower() if lower is None else lower
                if foldable is None:
                    foldable = _foldable(text, lower)
                if foldable:
                    regex, subject = folded, lower
            for match in regex.finditer(subject):
                start, end = match.span(rule.group)
                if start < 0 or start == end:
                    continue
                if text[start] == "(" and ")" not in text[start:end]:
                    start += 1  # "({PHONE})": the bracket around a value is not part of it
                confidence = rule.confidence
                if rule.validator is not None:
                    verdict = rule.validator(text[start:end])
                    if verdict is None:
                        continue
                    confidence = verdict
                span = make_span(text, start, end, rule.type, confidence, self.name)
                if span is not None:
                    yield span

    def _trigger_words(self):
        """An Aho-Corasick automaton of every trigger word of these rules (rebuilt if the rules change)."""
        triggers = [rule.trigger for rule in self.rules]
        cached = self.__dict__.get("_automaton")
        if cached is None or cached[0] != triggers:
            words = frozenset(word for trigger in triggers if isinstance(trigger, tuple) for word in trigger)
            cached = self.__dict__["_automaton"] = (triggers, _automaton(words))
        return cached[1]


# Characters whose case-insensitive matching in `re` is not plain lower-casing (ı, ſ, K, µ, Greek...).
def _special_case_chars() -> re.Pattern[str]:
    try:
        from re._casefix import _EXTRA_CASES
    except ImportError:  # another Python: treat every non-ASCII cased letter as special
        return re.compile(r"[^\x00-\x7f]")
    chars = set()
    for key, values in _EXTRA_CASES.items():
        for code in (key, *values):
            char = chr(code)
            chars.update((char, char.upper(), char.lower()))
    chars = {c for c in chars if len(c) == 1 and not c.isascii()}
    return re.compile("[" + "".join(re.escape(c) for c in sorted(chars)) + "]")


_SPECIAL_CASE = _special_case_chars()


def _foldable(text: str, lower: str) -> bool:
    """Does matching case-insensitively on ``text`` equal matching case-sensitively on ``lower``?"""
    return len(lower) == len(text) and _SPECIAL_CASE.search(text) is None


_UNKNOWN = object()
_FOLDED: dict[re.Pattern[str], re.Pattern[str] | None] = {}


def _folded(regex: re.Pattern[str]) -> re.Pattern[str] | None:
    """``regex`` lower-cased and compiled without IGNORECASE, when that is safe: no upper-case escape
    (\\W, \\D, \\S, \\B would change meaning), no character given by its code (\\x41) or back-reference,
    no inline flag group and no named group (its name must stay)."""
    if not regex.flags & re.IGNORECASE or re.search(r"\\[A-Zxu0-9]|\(\?[a-zA-Z-]+[:)]|\(\?P", regex.pattern):
        return None
    if not _foldable(regex.pattern, regex.pattern.lower()):  # İ, ſ, ẞ... in the expression itself
        return None
    return re.compile(regex.pattern.lower(), regex.flags & ~re.IGNORECASE)


@lru_cache(maxsize=64)
def _automaton(words: frozenset[str]):
    import ahocorasick

    automaton = ahocorasick.Automaton()
    for word in words:
        automaton.add_word(word, word)
    automaton.make_automaton()
    return automaton


def _present_words(automaton, lower: str) -> set[str]:
    """The trigger words that occur in ``lower`` (overlapping occurrences included): the same answer as
    searching for each word, in one pass."""
    if not len(automaton):
        return set()
    return {word for _, word in automaton.iter(lower)}


_REGISTRY: list[Recognizer] = []


def register(recognizer: Recognizer) -> Recognizer:
    """Add a recognizer to the pipeline (replacing one with the same name)."""
    _REGISTRY[:] = [r for r in _REGISTRY if r.name != recognizer.name]
    _REGISTRY.append(recognizer)
    return recognizer


def unregister(name: str) -> None:
    _REGISTRY[:] = [r for r in _REGISTRY if r.name != name]


def registered(lang: str) -> list[Recognizer]:
    return [r for r in _REGISTRY if lang in r.languages]
