"""What a regular expression asks, read from the expression itself (split out of base.py).

Case folding: when matching an expression case-insensitively on a note equals matching it lower-cased on
the lower-cased note (``_foldable``, ``_folds_for_ascii``, ``_folded``), and where a match can start and
whether it needs a digit (``start_words``, ``needs_digit_to_match``). Hand-written rather than a package:
no installed package reads these out of a Python expression; `re`'s own parser gives the tree, and these
walk it (conservatively: None or False when unsure). base.py re-exports these names.
"""

from __future__ import annotations

import re
from functools import lru_cache


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
    chars = {c for c in chars if len(c) == 1 and not c.isascii()}  # (ASCII letters fold plainly: _foldable)
    return re.compile("[" + "".join(re.escape(c) for c in sorted(chars)) + "]")


_SPECIAL_CASE = _special_case_chars()


def _foldable(text: str, lower: str) -> bool:
    """Does matching case-insensitively on ``text`` equal matching case-sensitively on ``lower``?"""
    # (every special character is outside ASCII, and str.isascii() is read from the string's header)
    return len(lower) == len(text) and (text.isascii() or _SPECIAL_CASE.search(text) is None)


def _folds_for_ascii(text: str, lower: str) -> bool:
    """Does matching case-insensitively on ``text`` equal matching case-sensitively on ``lower``, for an
    expression whose cased letters are all ASCII? A special character (_foldable) only matters to such an
    expression when `re` folds it to an ASCII letter (ı, ſ; K and İ by their own lower case): the µ and
    μ of Chinese lab values ("μmol/L") match no ASCII letter either way, and lower-case as one character."""
    return len(lower) == len(text) and _ASCII_KIN.search(text) is None


def _ascii_kin() -> re.Pattern[str]:
    """The characters outside ASCII that `re` matches to an ASCII letter when ignoring case: those folded
    together with one (re._casefix), and the Kelvin sign and dotted capital I, whose lower case is one
    (test_deid_text_rules_speed3.py checks every code point)."""
    chars = {"\u212a", "\u0130"}
    try:
        from re._casefix import _EXTRA_CASES
    except ImportError:  # another Python: no text with a special character is taken as foldable
        return _SPECIAL_CASE
    for key, values in _EXTRA_CASES.items():
        group = {chr(code) for code in (key, *values)}
        if any(char.isascii() for char in group):
            chars |= {char for char in group if not char.isascii()}
    return re.compile("[" + "".join(re.escape(c) for c in sorted(chars)) + "]")


_ASCII_KIN = _ascii_kin()


def _ascii_letters(pattern: str) -> bool:
    """Are all the cased letters of ``pattern`` ASCII (CJK and punctuation have no case)?"""
    return all(char.isascii() or char.lower() == char == char.upper() for char in pattern)


@lru_cache(maxsize=1024)
def _folded(regex: re.Pattern[str]) -> re.Pattern[str] | None:
    """``regex`` lower-cased and compiled without IGNORECASE, when that is safe: no upper-case escape
    (\\W, \\D, \\S, \\B would change meaning), no character given by its code (\\x41) or back-reference,
    no inline flag group and no named group (its name must stay)."""
    if not regex.flags & re.IGNORECASE or re.search(r"\\[A-Zxu0-9]|\(\?[a-zA-Z-]+[:)]|\(\?P", regex.pattern):
        return None
    if not _foldable(regex.pattern, regex.pattern.lower()):  # İ, ſ, ẞ... in the expression itself
        return None
    return re.compile(regex.pattern.lower(), regex.flags & ~re.IGNORECASE)


# --- what an expression needs: where a match can start, whether the text must hold a digit ---------
# Hand-written rather than a package: no installed package reads these out of a Python expression;
# `re`'s own parser gives the tree, and these walk it (conservatively: None or False when unsure).
_MAX_START = 6  # start words are cut at this length: longer ones would rule out hardly any more positions
_MAX_WORDS = 64  # more spellings than this and the beginnings found so far are used


@lru_cache(maxsize=1024)
def start_words(regex: re.Pattern[str]) -> tuple[str, ...] | None:
    """Lower-case words one of which every match of ``regex`` begins with, or None when the expression
    does not begin with literal text of at least two characters on every branch ("(?:MRN|Acct\\.?)\\d"
    gives ("mrn", "acct"); "\\d{3}" gives None). Zero-width tests (look-arounds, \\b) are stepped over:
    they consume nothing, so the next literal still starts the match."""
    try:
        from re import _parser as sre_parse
    except ImportError:  # Python < 3.11
        import sre_parse  # type: ignore[no-redef]
    try:
        prefixes = _prefixes(list(sre_parse.parse(regex.pattern, regex.flags)))
    except _NotLiteral:
        return None
    if len(prefixes) > _MAX_WORDS:
        return None
    words = sorted(set(prefixes), key=lambda w: (len(w), w))
    shortest: list[str] = []
    for word in words:  # "acc" already marks every place "accession" could start
        if not any(word.startswith(kept) for kept in shortest):
            shortest.append(word)
    # A word of one character, or digits only ("19"), would be tried nearly everywhere in a note:
    # the expression's own scan is faster there.
    if not shortest or any(len(word) < 2 or not any(char.isalpha() for char in word) for word in shortest):
        return None
    return tuple(shortest)


class _NotLiteral(Exception):
    pass


def _prefixes(sequence: list) -> list[str]:
    """Every literal beginning (up to _MAX_START characters) of the parsed ``sequence``."""
    return [text for text, _ in _sequence_prefixes(sequence)]


def _item_prefixes(item) -> list[tuple[str, bool]]:
    from re import _constants as c

    op, av = item
    if op is c.LITERAL:
        return [(_lower_char(av), True)]
    if op is c.IN:
        chars = _set_chars(av)
        return [(char, True) for char in chars] if chars else [("", False)]
    if op in (c.AT, c.ASSERT, c.ASSERT_NOT):
        return [("", True)]  # zero width
    if op is c.SUBPATTERN:
        return _sequence_prefixes(av[3])
    if op is c.BRANCH:
        return [prefix for branch in av[1] for prefix in _sequence_prefixes(branch)]
    if op in (c.MAX_REPEAT, c.MIN_REPEAT):
        low, high, body = av
        once = [(text, False) for text, _ in _sequence_prefixes(body)]  # how often it repeats is unknown: stop
        if low == 0 and high == 1:
            return [("", True), *_sequence_prefixes(body)]
        return once if low >= 1 else [("", True), *once]
    return [("", False)]


def _sequence_prefixes(sequence) -> list[tuple[str, bool]]:
    """Like _prefixes, keeping whether each beginning covers the whole ``sequence`` (may grow after it)."""
    partial = [("", True)]
    for item in sequence:
        grown = []
        for text, open_ in partial:
            if not open_:
                grown.append((text, False))
                continue
            for more, more_open in _item_prefixes(item):
                joined = text + more
                grown.append((joined[:_MAX_START], more_open and len(joined) < _MAX_START))
        grown = list(dict.fromkeys(grown))
        if len(grown) > _MAX_WORDS:  # too many spellings: the beginnings so far will do
            return [(text, False) for text, _ in partial]
        partial = grown
        if not any(open_ for _, open_ in partial):
            break
    return partial


def _lower_char(code: int) -> str:
    char = chr(code).lower()
    if len(char) != 1:
        raise _NotLiteral  # "İ" lower-cases to two characters: positions would shift
    return char


def _set_chars(items) -> list[str] | None:
    """The characters of a small set written as letters and ranges ("[cs]"); None for classes (\\d)."""
    from re import _constants as c

    chars: list[str] = []
    for op, av in items:
        if op is c.LITERAL:
            chars.append(_lower_char(av))
        elif op is c.RANGE and av[1] - av[0] < 8:
            chars.extend(_lower_char(code) for code in range(av[0], av[1] + 1))
        else:
            return None
    return list(dict.fromkeys(chars))


@lru_cache(maxsize=1024)
def needs_digit_to_match(regex: re.Pattern[str]) -> bool:
    """Can ``regex`` only match in a text that holds a digit (``\\d``)? Read from the expression: a
    digit, digit set or required repetition of one in its main sequence, every branch of an
    alternation needing one, or a look-around that does. False when unsure."""
    try:
        from re import _parser as sre_parse
    except ImportError:  # Python < 3.11
        import sre_parse  # type: ignore[no-redef]
    return _sequence_needs_digit(list(sre_parse.parse(regex.pattern, regex.flags)))


def _sequence_needs_digit(sequence) -> bool:
    return any(_item_needs_digit(item) for item in sequence)


def _item_needs_digit(item) -> bool:
    from re import _constants as c

    op, av = item
    if op is c.LITERAL:
        return chr(av) in "0123456789"
    if op is c.IN:
        return bool(av) and all(
            (kind is c.CATEGORY and value is c.CATEGORY_DIGIT) or (kind is c.LITERAL and chr(value) in "0123456789")
            or (kind is c.RANGE and 48 <= value[0] and value[1] <= 57) for kind, value in av)
    if op in (c.MAX_REPEAT, c.MIN_REPEAT):
        return av[0] >= 1 and _sequence_needs_digit(av[2])
    if op is c.SUBPATTERN:
        return _sequence_needs_digit(av[3])
    if op is c.BRANCH:
        return all(_sequence_needs_digit(branch) for branch in av[1])
    if op is c.ASSERT:  # a positive look-around: the text holds what it looks for
        return _sequence_needs_digit(av[1])
    return False
