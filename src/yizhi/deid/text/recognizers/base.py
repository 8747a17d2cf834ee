"""The plug-in interface every recognizer implements, and the registry the pipeline reads.

A recognizer is anything with a ``name``, the ``languages`` it serves and a ``find(text)`` that
yields spans. Register a new one with ``register(MyRecognizer())``; ``detect`` picks it up.
Recognizers must be pure (no I/O, no global state changed) so they run the same in a web request,
a CLI and a worker process. (Remembering work already done, as the caches here do, is fine: the
answer never depends on what was asked before.)

Speed (``PatternRecognizer``): besides the Aho-Corasick pass (pyahocorasick), a plan indexes its rules
by what their triggers ask, so a note visits only the rules it can need, and the triggers that ask
only for a run of digits ("\\d", "\\d(?<!\\d\\d)\\d{4}") are answered from the note's longest digit run,
read once. Those readings of an expression are hand-written: no installed package reads them out of
a Python regular expression (see regex_facts.py); test_deid_text_en_speed.py and
test_deid_text_en_word_facts.py check each against the plain search.

The same reading lists where the runs of four or more digits lie. `re` tries an expression that opens
with a digit at every digit of a note, a cost paid per rule; a rule declaring ``run_start`` (a card, a
身份证 number, an ISO date...) is tried only where its long runs begin, and a trigger declaring
``trigger_run`` only where it must sit against one (a note holds a few such runs among dozens of
digits). And a note holding µ or μ (Chinese lab values) still lets the case-insensitive rules whose
letters are all ASCII read the lower-cased text: `re` folds neither to an ASCII letter (see
_folds_for_ascii). test_deid_text_rules_speed3.py checks these against the plain scan.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol, runtime_checkable

from yizhi.deid.text.recognizers.pattern_gates import Gates
from yizhi.deid.text.recognizers.regex_facts import (
    _ASCII_KIN, _ascii_letters, _foldable, _folded, _folds_for_ascii, needs_digit_to_match, start_words,
)
from yizhi.deid.text.spans import Span, make_span

# The plug-in interface, and the names of regex_facts.py read here by the tests from before the split.
__all__ = [
    "PatternRecognizer", "PatternRule", "Recognizer", "Validator", "register", "registered", "unregister",
    "digit_run_asked", "needs_digit_to_match", "start_words", "_ASCII_KIN", "_foldable", "_folded", "_folds_for_ascii",
]

# Pattern rules gated by one Hyperscan pass (pattern_gates.py); False: every rule's trigger is read, as
# before (the tests compare both ways).
_GATED = True


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
    # Every match begins with the first digit of a run of at least this many digits (four or more), no
    # digit before it: the rule is then tried only where such runs begin (see _run_starts); 0: anywhere.
    run_start: int = 0
    # Where a regex trigger's every match sits against a run of four or more digits: (anchor, shift,
    # digits), the match beginning ``shift`` characters after the "start" or "end" of a run of at least
    # ``digits`` digits. The trigger is then tried only there (see _passes_at_runs) instead of searched for.
    trigger_run: tuple[str, int, int] | None = None
    # False: scan the text even when start words can be read out of the expression, because they occur
    # too often in lower-cased text (US_ZIP's state codes: "al ", "in ", "or "...; measured slower).
    use_start_words: bool = True

    def __post_init__(self):
        object.__setattr__(self, "_made", True)

    def __setattr__(self, name, value):
        # Recognizers cache a plan built from their rules; changing a rule once made makes every plan
        # stale (making a new rule does not: it is in no plan yet).
        global _RULES_VERSION
        object.__setattr__(self, name, value)
        if "_made" in self.__dict__:
            _RULES_VERSION += 1


_RULES_VERSION = 0


@dataclass(frozen=True, slots=True)
class _Step:
    """One rule, prepared: what ``PatternRecognizer.find`` needs, looked up once instead of per text."""

    rule: PatternRule
    folded: re.Pattern[str] | None  # the same expression for the lower-cased text, or None
    trigger_words: frozenset[str] | None  # a word trigger, as a set
    trigger: re.Pattern[str] | None  # a regex trigger
    folded_trigger: re.Pattern[str] | None  # ... and the same for the lower-cased text, or None
    trigger_needs_digit: bool  # the regex trigger cannot pass on a text without a digit
    # The regex trigger asks only for a run of this many digits ("\\d", "\\d(?<!\\d\\d)\\d{4}"): answered
    # from the note's longest digit run, read once, instead of a search per trigger; else 0.
    trigger_digit_run: int
    starts: frozenset[str] | None  # every match begins with one of these (lower case), or None
    run_start: int  # the rule's run_start when at least _SHORTEST_RUN_KEPT, else 0
    trigger_run: tuple[bool, int, int] | None  # the rule's trigger_run as (at the run's end, shift, digits)
    ascii_letters: bool  # every cased letter of the expression is ASCII (see _folds_for_ascii)


@dataclass(frozen=True, slots=True)
class _Plan:
    rules: list[PatternRule]
    version: int
    steps: tuple[_Step, ...]
    # Which steps a note can need, by what their triggers ask (step numbers, in rule order), so that
    # a note visits only the rules whose trigger it passes instead of testing every rule's trigger:
    untriggered: tuple[int, ...]
    by_trigger_word: dict[str, tuple[int, ...]]
    by_digit_run: tuple[tuple[int, tuple[int, ...]], ...]  # (digits in a row needed, steps)
    by_regex_trigger: tuple[tuple[_Step, tuple[int, ...]], ...]  # (the first step with that trigger, steps)
    # The same regex triggers as bound searches, read per note without a call per trigger (see
    # _trigger_searches); those needing a digit apart, so a note without one skips them at once.
    searches_any_text: tuple[tuple, ...]
    searches_needing_digit: tuple[tuple, ...]
    # The regex triggers read from the runs of digits: (bound search, as above, for a note whose runs are
    # unknown; bound match, at the run's end, shift, digits, steps).
    run_triggers: tuple[tuple, ...]
    # The rules' own expressions in one Hyperscan database: which steps can match a note at all.
    gates: Gates | None = None


@dataclass
class PatternRecognizer:
    """Regular expressions with optional validators (check digits, calendar checks).

    How it stays fast without changing a match: one Aho-Corasick pass over the lower-cased text finds
    every trigger word and where each rule's matches can start (the literal words an expression must
    begin with, read from the expression itself: "mrn", "accession", "jan"...). A rule whose trigger
    is absent is skipped; a rule with start words is only tried at those positions
    (``regex.match(text, pos)``, left to right, skipping positions inside the previous match, which is
    what ``finditer`` does) instead of scanning the whole text. The pattern recognizers share that
    pass: the shared rules and the language's own read each note once.
    """

    name: str
    languages: frozenset[str]
    rules: list[PatternRule] = field(default_factory=list)

    def find(self, text: str) -> Iterator[Span]:
        plan = self._plan()
        # foldable: positions in `lower` are positions in `text` (and the case-insensitive rules may read
        # `lower`; folds_for_ascii: those whose letters are all ASCII may); runs: where runs of 4+ digits lie
        fired = plan.gates.fired(text) if _GATED else None  # (pattern_gates: which rules can match at all)
        if fired is not None and True not in fired:
            return
        lower, foldable, found, longest_digit_run, runs, folds_for_ascii = _read_all(text)
        present = found.keys()
        steps = plan.steps
        if fired is None:
            to_run = _steps_to_run(plan, text, lower, foldable, found, longest_digit_run, runs)
        else:
            to_run = [index for index, may_match in enumerate(fired) if may_match
                      and _passes_trigger(steps[index], text, lower, foldable, found, longest_digit_run, runs)]
        for index in to_run:
            step = steps[index]
            rule = step.rule
            folds = foldable or (folds_for_ascii and step.ascii_letters)
            if folds and step.folded is not None:  # case-insensitive: on the lower-cased text (twice as fast)
                regex, subject = step.folded, lower
            else:
                regex, subject = rule.regex, text
            if step.run_start and runs is not None:
                matches = _matches_at(regex, subject, _run_starts(runs, step.run_start))
            elif folds and step.starts is not None:
                occurring = present & step.starts  # (a set operation that walks the few words found)
                if not occurring:
                    continue  # none of the words a match must begin with occurs
                matches = _matches_at(regex, subject, _starts_in(found, occurring))
            else:
                matches = regex.finditer(subject)
            # (one span at a time, not a generator per rule: most rules match nothing in a note)
            for match in matches:
                span = _span_of(text, match, rule, self.name)
                if span is not None:
                    yield span

    def _plan(self) -> _Plan:
        """The prepared rules, rebuilt when the rule list or any rule changed."""
        plan = self.__dict__.get("_cached_plan")
        if plan is None or plan.version != _RULES_VERSION or plan.rules != self.rules:
            plan = self.__dict__["_cached_plan"] = _make_plan(self.rules)
        return plan


def _steps_to_run(plan: _Plan, text: str, lower: str, foldable: bool, found: dict[str, list[int]],
                  longest_digit_run: int, runs: list[tuple[int, int]] | None = None) -> list[int]:
    """The steps whose trigger the text passes (or that have none), in rule order. ``runs``: the runs of
    four or more digits (_digit_runs), or None: the triggers read from them are then searched for."""
    chosen = list(plan.untriggered)
    by_word = plan.by_trigger_word
    for word in found:  # (the few words found, not every rule's trigger)
        indices = by_word.get(word)
        if indices is not None:
            chosen += indices
    for needed, indices in plan.by_digit_run:
        if longest_digit_run >= needed:
            chosen += indices
    if not longest_digit_run:
        searches = plan.searches_any_text
    elif runs is None:
        searches = plan.searches_needing_digit + tuple(trigger[0] for trigger in plan.run_triggers) + plan.searches_any_text
    else:
        searches = plan.searches_needing_digit + plan.searches_any_text
        for _, match, at_end, shift, needed, indices in plan.run_triggers:
            if _passes_at_runs(match, text, runs, at_end, shift, needed):
                chosen += indices
    for search_lower, search_text, indices in searches:  # (case-insensitive triggers on the lower-cased text)
        if foldable and search_lower is not None:
            if search_lower(lower) is not None:
                chosen += indices
        elif search_text(text) is not None:
            chosen += indices
    return sorted(set(chosen))


def _passes_trigger(step: _Step, text: str, lower: str, foldable: bool, found: dict[str, list[int]],
                    longest_digit_run: int, runs: list[tuple[int, int]] | None) -> bool:
    """Does the text pass ``step``'s trigger? The answer _steps_to_run gives for one step, read the same
    way (a word found, the longest digit run, a run-anchored match, or a search on the lower-cased text
    where foldable), for the few steps whose gate fired."""
    if step.trigger_words is not None:
        return not step.trigger_words.isdisjoint(found)
    if step.trigger_digit_run:
        return longest_digit_run >= step.trigger_digit_run
    if step.trigger is None:
        return True
    if step.trigger_run is not None:
        if not longest_digit_run:
            return False
        if runs is not None:
            return _passes_at_runs(step.trigger.match, text, runs, *step.trigger_run)
    elif step.trigger_needs_digit and not longest_digit_run:
        return False
    if foldable and step.folded_trigger is not None:
        return step.folded_trigger.search(lower) is not None
    return step.trigger.search(text) is not None


def _passes_at_runs(match: Callable, text: str, runs: list[tuple[int, int]], at_end: bool, shift: int,
                    needed: int) -> bool:
    """Does a trigger whose every match begins ``shift`` characters after the start (or end) of a run of
    at least ``needed`` digits match in ``text``? Tried at those places only: a note holds few long runs,
    where a search tries the trigger at each of its digits."""
    for start, end in runs:
        if end - start >= needed:
            position = (end if at_end else start) + shift
            if position >= 0 and match(text, position) is not None:  # (a negative position would mean 0)
                return True
    return False


def _trigger_searches(by_regex_trigger: tuple, needing_digit: bool) -> tuple[tuple, ...]:
    """(search on the lower-cased text or None, search on the text, steps) for the regex triggers that
    need a digit (``needing_digit``) or not, bound once per plan; those read from runs of digits apart."""
    return tuple(
        _bound_search(step, indices)
        for step, indices in by_regex_trigger if step.trigger_needs_digit == needing_digit and step.trigger_run is None)


def _bound_search(step: _Step, indices: tuple[int, ...]) -> tuple:
    return step.folded_trigger.search if step.folded_trigger is not None else None, step.trigger.search, indices


def _run_triggers(by_regex_trigger: tuple) -> tuple[tuple, ...]:
    """The regex triggers read from runs of digits (see _Plan.run_triggers)."""
    return tuple((_bound_search(step, indices), step.trigger.match, *step.trigger_run, indices)
                 for step, indices in by_regex_trigger if step.trigger_run is not None)


def _step_index(steps: list[_Step]) -> tuple:
    """The plan's step numbers grouped by what their triggers ask (see _Plan)."""
    untriggered: list[int] = []
    by_word: dict[str, list[int]] = {}
    by_digits: dict[int, list[int]] = {}
    by_regex: dict[tuple, tuple[_Step, list[int]]] = {}
    for index, step in enumerate(steps):
        if step.trigger_words is not None:
            for word in step.trigger_words:
                by_word.setdefault(word, []).append(index)
        elif step.trigger_digit_run:
            by_digits.setdefault(step.trigger_digit_run, []).append(index)
        elif step.trigger is not None:
            by_regex.setdefault((step.trigger, step.trigger_run), (step, []))[1].append(index)
        else:
            untriggered.append(index)
    by_regex_trigger = tuple((step, tuple(indices)) for step, indices in by_regex.values())
    return (
        tuple(untriggered),
        {word: tuple(indices) for word, indices in by_word.items()},
        tuple((needed, tuple(indices)) for needed, indices in sorted(by_digits.items())),
        by_regex_trigger,
        _trigger_searches(by_regex_trigger, needing_digit=False),
        _trigger_searches(by_regex_trigger, needing_digit=True),
        _run_triggers(by_regex_trigger),
    )


def _trigger_run(rule: PatternRule) -> tuple[bool, int, int] | None:
    """The rule's trigger_run, checked and made (at the run's end, shift, digits); None without one (or
    for a digit-run trigger, answered from the longest run already)."""
    if rule.trigger_run is None or not isinstance(rule.trigger, re.Pattern) or digit_run_asked(rule.trigger):
        return None
    anchor, shift, needed = rule.trigger_run
    if anchor not in ("start", "end") or needed < _SHORTEST_RUN_KEPT:
        raise ValueError(f"trigger_run wants ('start' or 'end', shift, digits >= {_SHORTEST_RUN_KEPT}), not {rule.trigger_run!r}")
    return anchor == "end", shift, needed


def _make_plan(rules: list[PatternRule]) -> _Plan:
    version = _RULES_VERSION  # read first: a rule changed while this runs makes the plan stale at once
    rules = list(rules)
    steps = []
    words: set[str] = set()
    for rule, starts in zip(rules, _start_words_of(rules)):
        trigger = rule.trigger
        starts = frozenset(starts) if starts is not None else None
        run_start = rule.run_start if rule.run_start >= _SHORTEST_RUN_KEPT else 0
        if isinstance(trigger, tuple):
            steps.append(_Step(rule, _folded(rule.regex), frozenset(trigger), None, None, False, 0, starts, run_start, None,
                               _ascii_letters(rule.regex.pattern)))
            words.update(trigger)
        else:
            folded_trigger = _folded(trigger) if trigger is not None else None
            needs_digit = trigger is not None and needs_digit_to_match(trigger)
            steps.append(_Step(rule, _folded(rule.regex), None, trigger, folded_trigger, needs_digit,
                               digit_run_asked(trigger) if trigger is not None else 0, starts, run_start,
                               _trigger_run(rule), _ascii_letters(rule.regex.pattern)))
        words.update(starts or ())
    _add_words(words)
    return _Plan(rules, version, tuple(steps), *_step_index(steps), gates=Gates([rule.regex for rule in rules]))


def _start_words_of(rules: list[PatternRule]) -> list[tuple[str, ...] | None]:
    """``start_words`` of each rule's expression (None where the rule turns them off), kept on disk.

    Reading them out of the parsed expressions cost ~0.045 s of CPU in every process (the shared and one
    language's plan, ~40 expressions parsed by `re`'s parser in Python): 2-3% of de-identifying 3 MB
    through the CLI. The file is keyed by the expressions, their flags, the Python version and
    regex_facts.py's own source, so any change there reads them afresh; a damaged file reads as missing
    (disk_cache.py)."""
    import hashlib
    import json
    import sys
    from pathlib import Path

    from yizhi.deid.text.recognizers import regex_facts
    from yizhi.deid.text.recognizers.disk_cache import cache_directory, read_checked, write_checked

    asked = [(rule.regex.pattern, rule.regex.flags, rule.use_start_words) for rule in rules]
    try:
        source = hashlib.sha256(Path(regex_facts.__file__).read_bytes()).hexdigest()
    except OSError:
        source = None
    if source is None or not all(isinstance(pattern, str) for pattern, _, _ in asked):
        return [start_words(rule.regex) if rule.use_start_words else None for rule in rules]
    key = hashlib.sha256(repr((sys.version, source, asked)).encode()).hexdigest()
    path = cache_directory("start_words") / f"{key}.json"
    body = read_checked(path)
    if body is not None:
        try:
            found = json.loads(body)
            if len(found) == len(rules):
                return [tuple(words) if words is not None else None for words in found]
        except (ValueError, TypeError):
            pass
    found = [start_words(rule.regex) if rule.use_start_words else None for rule in rules]
    write_checked(path, json.dumps(found, ensure_ascii=False).encode("utf-8"))
    return found


# One automaton holds the words of every pattern recognizer's plan, so the recognizers that read a
# note one after the other (shared patterns, then the language's own) share one pass over it: the
# last note's lower-cased text and word positions are kept (a tuple swapped whole, thread-safe).
_WORDS: frozenset[str] = frozenset()
_LAST_READ: tuple = ("", None, "", False, {}, 0, None, False)


def _add_words(words: set[str]) -> None:
    """Add a plan's words to the shared automaton's (only ever grows; locked so no word is lost)."""
    global _WORDS
    with _WORDS_LOCK:
        if not words <= _WORDS:
            _WORDS = _WORDS | words


_WORDS_LOCK = threading.Lock()


def _read(text: str) -> tuple[str, bool, dict[str, list[int]], int]:
    """``text`` lower-cased, whether that keeps every position, where each known word begins, and
    its longest run of digits (most triggers need a digit or a run of them: a sentence without
    digits skips them all)."""
    return _read_all(text)[:4]


def _read_all(text: str) -> tuple[str, bool, dict[str, list[int]], int, list[tuple[int, int]] | None, bool]:
    """What _read gives, the runs of four or more digits (see _digit_runs) and _folds_for_ascii."""
    global _LAST_READ
    automaton = _automaton(_WORDS)
    last = _LAST_READ
    if last[0] is text and last[1] is automaton:
        return last[2:]
    lower = text.lower()
    foldable = _foldable(text, lower)
    found = _word_positions(automaton, lower)
    longest_digit_run, runs = _digit_runs(text)
    folds_for_ascii = foldable or _folds_for_ascii(text, lower)
    _LAST_READ = (text, automaton, lower, foldable, found, longest_digit_run, runs, folds_for_ascii)
    return lower, foldable, found, longest_digit_run, runs, folds_for_ascii


def _longest_digit_run(text: str) -> int:
    """How many digits in a row ``text`` holds, exactly when five or more; 1 for shorter runs (no digit-run
    trigger asks for two to four: see digit_run_asked), 0 when it holds no digit."""
    return _digit_runs(text)[0]


def _digit_runs(text: str) -> tuple[int, list[tuple[int, int]] | None]:
    """_longest_digit_run, and (start, end) of each run of four or more digits, in order; None instead
    when one of those runs holds a digit outside ASCII (see _run_starts). (`re` spends its time at each
    digit it tries; only the runs of four or more are read whole.)"""
    if _DIGIT.search(text) is None:
        return 0, []
    runs = [match.span() for match in _LONG_DIGIT_RUNS.finditer(text)]
    longest = max([end - start for start, end in runs], default=1)
    if not text.isascii() and not all(text[start:end].isascii() for start, end in runs):
        runs = None
    return (longest if longest >= _SHORTEST_RUN_READ else 1), runs


def _run_starts(runs: list[tuple[int, int]], needed: int) -> list[int]:
    """Where the runs of at least ``needed`` digits begin: the only places a rule with that run_start can
    match. (Its expression asks for a digit with no digit before it, ``\\d(?<!\\d\\d)`` or ``(?<![\\d.])``,
    and ``needed`` digits from there; the Chinese ID rules' "(?<![0-9A-Za-z])" lets a digit outside ASCII
    stand before, so a note with such a digit in a long run is scanned whole: _digit_runs gives None.)"""
    return [start for start, end in runs if end - start >= needed]


_DIGIT = re.compile(r"\d")
_LONG_DIGIT_RUNS = re.compile(r"\d(?<!\d\d)\d{3,}")
_SHORTEST_RUN_KEPT = 4  # the runs _digit_runs lists
_SHORTEST_RUN_READ = 5  # the shortest run _longest_digit_run tells exactly
# "\d" alone, or a digit starting a run ("(?<!\d\d)" after it: no digit before) and n more digits.
_DIGIT_RUN_TRIGGER = re.compile(r"\\d(?:\(\?<!\\d\\d\)\\d\{(\d+)\})?")


@lru_cache(maxsize=1024)
def digit_run_asked(trigger: re.Pattern[str]) -> int:
    """How many digits in a row ``trigger`` asks for, when that is all it asks: "\\d" gives 1,
    "\\d(?<!\\d\\d)\\d{4}" 5 (a text holds a match exactly when its longest digit run is that long);
    0 for any other expression, and for two to four digits (see _longest_digit_run). (re.ASCII would narrow
    \\d to fewer digits than _longest_digit_run counts: 0.)"""
    match = _DIGIT_RUN_TRIGGER.fullmatch(trigger.pattern)
    if match is None or not isinstance(trigger.pattern, str) or trigger.flags & re.ASCII:
        return 0
    needed = 1 + int(match.group(1) or 0)
    return needed if needed == 1 or needed >= _SHORTEST_RUN_READ else 0  # (_longest_digit_run is exact there)


def _starts_in(found: dict[str, list[int]], words: set[str]) -> list[int]:
    """Where any of ``words`` (all found) begins, in increasing order, each position once."""
    positions = [found[word] for word in words]
    if len(positions) == 1:
        return positions[0]
    return sorted({position for group in positions for position in group})


def _matches_at(regex: re.Pattern[str], subject: str, starts: list[int]) -> Iterator[re.Match[str]]:
    """``regex.finditer(subject)`` when every match must begin at one of ``starts`` (sorted).

    ``finditer`` takes the leftmost match at or after the end of the previous one; trying only the
    possible starts, in order, and skipping those inside the previous match finds the same matches.
    (Matches are never empty here: each begins with a start word.)
    """
    end = 0
    for position in starts:
        if position < end:
            continue
        match = regex.match(subject, position)
        if match is not None:
            end = match.end()
            yield match


def _span_of(text: str, match: re.Match[str], rule: PatternRule, name: str) -> Span | None:
    """The span a rule's match stands for, or None (an empty group, a value its validator rejects)."""
    start, end = match.span(rule.group)
    if start < 0 or start == end:
        return None
    if text[start] == "(" and ")" not in text[start:end]:
        start += 1  # "({PHONE})": the bracket around a value is not part of it
    confidence = rule.confidence
    if rule.validator is not None:
        confidence = rule.validator(text[start:end])
        if confidence is None:
            return None
    return make_span(text, start, end, rule.type, confidence, name)


@lru_cache(maxsize=64)
def _automaton(words: frozenset[str]):
    import ahocorasick

    automaton = ahocorasick.Automaton()
    for word in words:
        automaton.add_word(word, word)
    automaton.make_automaton()
    return automaton


def _word_positions(automaton, lower: str) -> dict[str, list[int]]:
    """Where each word of ``automaton`` begins in ``lower`` (overlapping occurrences included, each list
    in increasing order): the same answer as searching for each word, in one pass."""
    if not len(automaton):
        return {}
    found: dict[str, list[int]] = {}
    for last, word in automaton.iter(lower):
        start = last - len(word) + 1
        positions = found.get(word)
        if positions is None:
            found[word] = [start]
        else:
            positions.append(start)
    return found


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
