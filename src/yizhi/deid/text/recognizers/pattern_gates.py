"""The pattern rules' expressions in one compiled pass: which rules can match in a note at all.

The pattern recognizers (base.PatternRecognizer: dates, phones, ids, e-mails...) try each rule whose
trigger a note passes; the triggers themselves cost a search each (~50 per English note), and most
rules that pass still match nothing. Here each rule's own expression is turned into a *gate*: an
expression Hyperscan compiles that matches wherever the rule can (a superset: look-arounds, \\b, ^ and
$ dropped, as they only narrow a match; possessive and lazy repeats read as plain ones), all compiled
into one database scanned once per note (``HS_FLAG_SINGLEMATCH``: only whether each fires). A rule
whose gate does not fire cannot match and is skipped without its trigger being read; the rules that
fire run exactly as before (trigger, start words, digit runs, then `re`), so the spans are the same.
Back-references are read as their group's gate, inline flags as the region's case rules, a case-
insensitive letter outside ASCII as any character outside ASCII, and an alternation with an empty branch
(which `re` leaves after factoring "号码|号") as optional, so every rule now has a gate (before, seven
had none and ran on every note: the record-number rule, whose new triggers "mr",
"adm", "unit", "reg" pass in nearly every English note, cost ~0.2 s per 3 MB of MTSamples alone). A rule
whose expression still cannot be written for Hyperscan (a conditional, an expression that may match
nothing) has no gate and runs as before; so do all rules on a note holding a character `re` folds specially (Kelvin sign, long s,
dotless i: Hyperscan folds ASCII case only) or a lone surrogate, on a mostly Chinese note (see
``Gates.fired``: there the gates cost more than they save), and all rules where the
``hyperscan`` wheel is missing. test_deid_text_pattern_gates.py checks that the gated and the plain
path give identical spans on every dev and test file, MTSamples and random text, and the class tables
below against every ASCII character. Classes are read for ASCII exactly and as "any character"
beyond it (see _SUPERSET). Measured on 3 MB of MTSamples (CPU time of the pattern recognizers alone, three rounds): 0.56-0.59 s
plain, 0.36-0.41 s gated; with every rule gated (this round) 0.47 s -> 0.22 s for the shared and English
pattern recognizers in one process each. Compiling the three databases costs ~1.4 s (was ~0.9 s), once
per machine (hs_cache.py keeps them on disk).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable

try:
    import hyperscan
except ImportError:  # pragma: no cover - exercised only where no wheel exists
    hyperscan = None

try:
    from re import _constants as _c
    from re import _parser as _sre_parse
except ImportError:  # pragma: no cover - Python < 3.11
    import sre_constants as _c  # type: ignore[no-redef]
    import sre_parse as _sre_parse  # type: ignore[no-redef]

class _NoGate(Exception):
    """The expression cannot be written as a Hyperscan superset: the rule runs ungated."""


# `re`'s classes as Hyperscan reads them: ASCII exactly, and any character outside ASCII may belong
# (a superset, for a class that is not negated, and outside classes) or none does (a subset, for the
# members of a negated class, whose complement must stay a superset). Exact Unicode classes (UCP mode)
# cost seconds to compile for these expressions, and Hyperscan's Unicode tables are older than
# Python's (they lack ~29,000 of `re`'s \\w characters); the superset only makes a gate fire more often
# on text outside ASCII, never less.
_ANY_BEYOND_ASCII = "\\x{80}-\\x{10ffff}"
_SUPERSET = {
    _c.CATEGORY_DIGIT: "0-9" + _ANY_BEYOND_ASCII,
    _c.CATEGORY_NOT_DIGIT: "\\x00-\\x2f\\x3a-\\x7f" + _ANY_BEYOND_ASCII,
    _c.CATEGORY_WORD: "0-9A-Za-z_" + _ANY_BEYOND_ASCII,
    _c.CATEGORY_NOT_WORD: "\\x00-\\x2f\\x3a-\\x40\\x5b-\\x5e\\x60\\x7b-\\x7f" + _ANY_BEYOND_ASCII,
    _c.CATEGORY_SPACE: "\\x09-\\x0d\\x1c-\\x20" + _ANY_BEYOND_ASCII,
    _c.CATEGORY_NOT_SPACE: "\\x00-\\x08\\x0e-\\x1b\\x21-\\x7f" + _ANY_BEYOND_ASCII,
}
_SUBSET = {category: members.removesuffix(_ANY_BEYOND_ASCII) for category, members in _SUPERSET.items()}


def _char(code: int) -> str:
    char = chr(code)
    return char if char.isascii() and char.isalnum() else f"\\x{{{code:x}}}"


def _cased(code: int) -> bool:
    char = chr(code)
    return char.lower() != char or char.upper() != char


def gate_expression(regex: re.Pattern[str]) -> str:
    """A Hyperscan expression (UTF-8; caseless when ``regex`` is) matching wherever ``regex`` can,
    or _NoGate. (Raises _NoGate for an expression that may match the empty string: it gates nothing.)"""
    if not isinstance(regex.pattern, str) or regex.flags & (re.ASCII | re.LOCALE):
        raise _NoGate
    parsed = _sre_parse.parse(regex.pattern, regex.flags)
    if parsed.getwidth()[0] == 0:
        raise _NoGate  # (the gate, built item for item, is as short as the expression: it may match nothing)
    caseless, dotall = bool(regex.flags & re.IGNORECASE), bool(regex.flags & re.DOTALL)
    expression = _Translation(caseless, dotall).sequence(list(parsed), caseless, dotall)
    if not expression:
        raise _NoGate
    return expression


class _Translation:
    """One expression's gate, item by item. ``caseless``: does `re` ignore case here (the expression's
    flag or an inline ``(?i:...)``); ``self.folded``: does Hyperscan fold ASCII case for the whole gate
    (HS_FLAG_CASELESS, set when the expression itself is case-insensitive; folding more than `re` only
    widens the gate, so an inline ``(?-i:...)`` there needs nothing). Where `re` ignores case and
    Hyperscan does not, ASCII letters are written in both cases; the same for ``(?s:...)`` and "." (the
    expression's own DOTALL is HS_FLAG_DOTALL: see _flags). A back-reference matches what its group
    matched, so it is read as that group's gate again."""

    def __init__(self, folded: bool, dotall: bool):
        self.folded = folded
        self.dotall = dotall
        self.groups: dict[int, str] = {}

    def sequence(self, items, caseless: bool, dotall: bool) -> str:
        return "".join(self.item(item, caseless, dotall) for item in items)

    def item(self, item, caseless: bool, dotall: bool) -> str:
        op, av = item
        if op is _c.LITERAL:
            char = chr(av)
            if not caseless or (char.isascii() and (self.folded or not char.isalpha())) or not _cased(av):
                return _char(av)
            return _class([(op, av)], caseless, self.folded)
        if op is _c.NOT_LITERAL:
            if caseless and not chr(av).isascii() and _cased(av):
                return _ANY_CHARACTER  # (a subset of what `re` refuses here would be hard to bound: refuse nothing)
            return f"[^{_char(av)}]"
        if op is _c.ANY:
            return _ANY_CHARACTER if dotall and not self.dotall else "."
        if op is _c.IN:
            return _class(av, caseless, self.folded)
        if op in (_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", None)):
            low, high, body = av
            inner = self.sequence(body, caseless, dotall)
            if not inner:
                return ""
            bound = "{%d,}" % low if high == _c.MAXREPEAT else "{%d,%d}" % (low, high)
            return f"(?:{inner}){bound}"
        if op is _c.SUBPATTERN:
            group, add_flags, del_flags, body = av
            if add_flags & re.IGNORECASE:
                caseless = True
            if del_flags & re.IGNORECASE:
                caseless = False  # (where Hyperscan folds anyway, the gate only grows)
            dotall = (dotall or bool(add_flags & re.DOTALL)) and not del_flags & re.DOTALL
            inner = self.sequence(body, caseless, dotall)
            if group is not None:
                self.groups[group] = inner
            return f"(?:{inner})" if inner else ""
        if op is getattr(_c, "ATOMIC_GROUP", None):
            inner = self.sequence(av, caseless, dotall)
            return f"(?:{inner})" if inner else ""
        if op is _c.BRANCH:
            branches = [self.sequence(branch, caseless, dotall) for branch in av[1]]
            written = [branch for branch in branches if branch]
            if not written:
                return ""
            # (an empty branch, such as the one `re` leaves after "号码|号" shares "号", makes the rest optional)
            return "(?:" + "|".join(written) + (")" if len(written) == len(branches) else ")?")
        if op in (_c.GROUPREF, getattr(_c, "GROUPREF_IGNORE", None), getattr(_c, "GROUPREF_UNI_IGNORE", None)):
            if av not in self.groups:
                raise _NoGate  # (a reference inside its own group)
            inner = self.groups[av]
            return f"(?:{inner})" if inner else ""
        if op in (_c.AT, _c.ASSERT, _c.ASSERT_NOT):
            return ""  # zero width: dropping it only widens the matches
        raise _NoGate  # conditionals, anything else


_ANY_CHARACTER = "[\\x{0}-\\x{10ffff}]"


def _class(items, caseless: bool, folded: bool) -> str:
    """A class (or, from ``item``, one literal read case-insensitively) as a Hyperscan class. Where `re`
    ignores case: a cased character beyond ASCII stands for every character beyond ASCII and the ASCII
    ones `re` matches it with (the Kelvin sign with k; Hyperscan folds ASCII only); in a negated class it
    is left out (its complement then only grows). ASCII letters get their other case unless Hyperscan
    folds them itself."""
    negated = bool(items) and items[0][0] is _c.NEGATE
    members = []
    for op, av in items[1:] if negated else items:
        if op is _c.LITERAL:
            low = high = av
        elif op is _c.RANGE:
            low, high = av
        elif op is _c.CATEGORY:
            table = _SUBSET if negated else _SUPERSET
            if av not in table:
                raise _NoGate
            members.append(table[av])
            continue
        else:
            raise _NoGate
        if not caseless:
            members.append(_char(low) if low == high else f"{_char(low)}-{_char(high)}")
        elif negated:
            if low < 0x80:  # (the ASCII part only: characters beyond it that `re` folds are left out)
                top = min(high, 0x7F)
                members.append(_char(low) if low == top else f"{_char(low)}-{_char(top)}")
        else:
            members.extend(_caseless_members(low, high, folded))
    if not members:
        if negated:
            return _ANY_CHARACTER
        raise _NoGate
    return ("[^" if negated else "[") + "".join(members) + "]"


def _caseless_members(low: int, high: int, folded: bool) -> list[str]:
    """Class members for the characters ``low``..``high`` read case-insensitively (see _class)."""
    members = []
    if low < 0x80:
        top = min(high, 0x7F)
        members.append(_char(low) if low == top else f"{_char(low)}-{_char(top)}")
        if not folded:
            members += sorted({_char(ord(chr(code).swapcase())) for code in range(low, top + 1)
                               if chr(code).isalpha()})
    if high >= 0x80:
        beyond = range(max(low, 0x80), high + 1)
        if any(_cased(code) for code in beyond):
            piece = re.compile(f"[{re.escape(chr(beyond.start))}-{re.escape(chr(beyond.stop - 1))}]", re.IGNORECASE)
            members.append(_ANY_BEYOND_ASCII)
            members += [_char(code) for code in range(0x80) if piece.fullmatch(chr(code))]
        else:
            members.append(_char(beyond.start) if len(beyond) == 1 else f"{_char(beyond.start)}-{_char(beyond.stop - 1)}")
    return members


class Gates:
    """The gates of a list of expressions, compiled into one database: ``fired(text)`` gives, for each
    expression, False when it cannot match in ``text`` and True when it may (always True for an
    expression without a gate)."""

    def __init__(self, expressions: Iterable[re.Pattern[str]]):
        self.expressions = list(expressions)
        self._lock = threading.Lock()
        self._database = None
        self._ungated: list[int] = []
        self._ready = False

    def _compile(self) -> None:
        gated: list[tuple[int, str, int]] = []
        for index, regex in enumerate(self.expressions):
            try:
                gated.append((index, gate_expression(regex), _flags(regex)))
            except (_NoGate, re.error, RecursionError):
                self._ungated.append(index)
        self._database = _database(gated)
        if self._database is None:  # one expression Hyperscan refuses (too large...): leave those out
            gated = [entry for entry in gated if _compiles(*entry[1:])]
            self._database = _database(gated)
        self._ungated = sorted(set(range(len(self.expressions))) - {index for index, _, _ in gated})

    def fired(self, text: str) -> list[bool] | None:
        """None where Hyperscan is missing or ``text`` holds a character `re` folds specially."""
        if hyperscan is None:
            return None
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: no valid UTF-8 for Hyperscan to read
            return None
        if len(data) > len(text) + (len(text) >> 4):
            # Mostly Chinese (over ~1/32 of the characters outside ASCII): there every class reads as "any
            # character" beyond ASCII, most gates fire, and the scan cost more than it saved (Chinese
            # notes: 0.68-0.73 s plain, 0.83-0.85 s gated; English 0.59-0.63 s plain, 0.38-0.41 s gated).
            # (Tested before the special folds: a Chinese note then skips that search of its text.)
            # (And before the gates are made: a process reading only Chinese notes never makes them, whose
            # expressions cost ~0.03 s of CPU to write even when the compiled database is on disk.)
            return None
        if not self._ready:
            with self._lock:
                if not self._ready:
                    self._compile()
                    self._ready = True
        if len(data) != len(text) and _SPECIAL_FOLDS.search(text) is not None:
            return None
        fired = [False] * len(self.expressions)
        for index in self._ungated:
            fired[index] = True
        if self._database is not None:
            def on_match(index, start, end, flags, context):
                fired[index] = True

            if len(data) < _SMALL_WRITE_LIMIT:
                data += b"\n" * (_SMALL_WRITE_LIMIT - len(data))  # (see _SMALL_WRITE_LIMIT)
            with self._lock:  # (a Hyperscan scratch space serves one scan at a time)
                self._database.scan(data, match_event_handler=on_match)
        return fired


# Hyperscan scans a block of at most 70 bytes with its "small write" engine, which in the installed build
# (python-hyperscan 0.9.1) misses some matches ending at the block's last byte when the expression is not
# compiled for the start of match: "ab.|st" does not fire on 15 to 32 "q"s then "st" (17 to 34 bytes);
# fuzzing small alternations against `re` gives such misses on ~0.1% of short texts, always at the end,
# and none once the block is padded. So a shorter text is scanned with line breaks after it (a gate may
# fire more there, never less: nothing is cut). The scanners compiled with HS_FLAG_SOM_LEFTMOST
# (scanner.py, literal_scan.py) showed no such miss.
_SMALL_WRITE_LIMIT = 71


def _flags(regex: re.Pattern[str]) -> int:
    flags = hyperscan.HS_FLAG_UTF8 | hyperscan.HS_FLAG_SINGLEMATCH
    if regex.flags & re.IGNORECASE:
        flags |= hyperscan.HS_FLAG_CASELESS
    if regex.flags & re.DOTALL:
        flags |= hyperscan.HS_FLAG_DOTALL
    return flags


def _compiles(expression: str, flags: int) -> bool:
    try:
        hyperscan.Database().compile(expressions=[expression.encode()], ids=[0], flags=[flags])
    except hyperscan.error:  # (too large, or a construct Hyperscan refuses)
        return False
    return True


def _database(gated: list[tuple[int, str, int]]):
    """The compiled database of (index, expression, flags), or None when Hyperscan refuses one (or
    there is none)."""
    if not gated:
        return None
    from yizhi.deid.text.recognizers.hs_cache import compiled

    try:
        return compiled([expression.encode() for _, expression, _ in gated], [index for index, _, _ in gated],
                        [flags for _, _, flags in gated])
    except hyperscan.error:
        return None


def _special_folds() -> re.Pattern[str]:
    """The characters outside ASCII that `re` matches case-insensitively to a character other than
    their plain lower and upper case (re._casefix), and the Kelvin sign and dotted capital I."""
    chars = {"\u212a", "\u0130", "\u017f", "\u0131"}
    try:
        from re._casefix import _EXTRA_CASES
    except ImportError:  # pragma: no cover - another Python: every character outside ASCII
        return re.compile(r"[^\x00-\x7f]")
    for key, values in _EXTRA_CASES.items():
        chars |= {chr(code) for code in (key, *values) if not chr(code).isascii()}
    return re.compile("[" + "".join(re.escape(char) for char in sorted(chars)) + "]")


_SPECIAL_FOLDS = _special_folds()
