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
        for rule in self.rules:
            trigger = rule.trigger
            if trigger is not None:
                if trigger not in checked:
                    if isinstance(trigger, tuple):
                        lower = text.lower() if lower is None else lower
                        checked[trigger] = _words_regex(trigger).search(lower) is not None
                    else:
                        checked[trigger] = trigger.search(text) is not None
                if not checked[trigger]:
                    continue
            for match in rule.regex.finditer(text):
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


@lru_cache(maxsize=256)
def _words_regex(words: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(map(re.escape, words)))


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
