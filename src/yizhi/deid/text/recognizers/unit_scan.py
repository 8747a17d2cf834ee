"""Hyperscan expressions over a note's UTF-32 code units, so that match offsets are character offsets.

Why: Hyperscan reads bytes. The context anchors (scanner.py) and the place names (literal_scan.py) were
scanned in the note's UTF-8, and each byte offset found was turned back into a character offset by
counting character starts in Python-called C: for a Chinese note that conversion cost three times the
scan itself (~14 against ~4 µs a note for the Chinese anchors). In UTF-32 (little-endian) every
character is four bytes, so a character offset is the byte offset divided by four, and the note's
encoding is one C call. The expressions are rewritten unit by unit: a character c becomes its four
bytes, a class of characters an alternation of byte ranges (a code point is at most three bytes wide:
U+10FFFF), the rest (groups, alternations, repeats) stays as it was. Every expression so made matches
whole units only, so a match's length is a multiple of four: a match that ends on a unit boundary also
starts on one, and a match found across units (possible: U+6100 then U+4E00 hold the unit of "a" one
byte in) is simply dropped by its end. Classes keep the meaning Hyperscan gives them in its UTF-8 mode
without Unicode properties, which the anchors were written for: \\d, \\s and \\w are ASCII, case is
ASCII case. An expression using anything else (look-arounds, \\b, ".", negated classes, lazy repeats,
inline flags) raises ``NotUnitwise``, and its scanner keeps its UTF-8 database.
test_deid_text_zh_speed3.py compares the two on the dev notes, MTSamples and random text.
"""

from __future__ import annotations

try:
    from re import _constants as _c
    from re import _parser as _sre_parse
except ImportError:  # pragma: no cover - Python < 3.11
    import sre_constants as _c  # type: ignore[no-redef]
    import sre_parse as _sre_parse  # type: ignore[no-redef]


class NotUnitwise(Exception):
    """The expression uses something ``unit_expression`` does not rewrite."""


# Hyperscan's classes without HS_FLAG_UCP: ASCII only.
_CATEGORIES = {
    _c.CATEGORY_DIGIT: [(0x30, 0x39)],
    _c.CATEGORY_SPACE: [(0x09, 0x0D), (0x20, 0x20)],
    _c.CATEGORY_WORD: [(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)],
}


def encode_units(text: str) -> bytes | None:
    """``text`` in UTF-32-LE, or None when it holds a lone surrogate (no valid encoding)."""
    try:
        return text.encode("utf-32-le")
    except UnicodeEncodeError:
        return None


def unit_expression(pattern: str, caseless: bool = False) -> str:
    """A Hyperscan expression (raw bytes mode, no flags) matching the UTF-32-LE units of exactly the
    characters ``pattern`` matches in Hyperscan's UTF-8 mode (caseless: ASCII letters either case)."""
    try:
        parsed = _sre_parse.parse(pattern)
    except Exception as error:  # (re.error and the parser's own)
        raise NotUnitwise from error
    if parsed.state.flags & ~_c.SRE_FLAG_UNICODE:
        raise NotUnitwise  # (an inline flag for the whole expression)
    expression = _sequence(list(parsed), caseless)
    if not expression:
        raise NotUnitwise
    return expression


def literal_units(word: str) -> bytes:
    """A word as a Hyperscan expression matching its UTF-32-LE units literally."""
    return "".join(_unit(ord(char)) for char in word).encode("ascii")


def _sequence(items, caseless: bool) -> str:
    return "".join(_item(item, caseless) for item in items)


def _item(item, caseless: bool) -> str:
    op, av = item
    if op is _c.LITERAL:
        return _class([(av, av)], caseless)
    if op is _c.IN:
        ranges = []
        for member, value in av:
            if member is _c.LITERAL:
                ranges.append((value, value))
            elif member is _c.RANGE:
                ranges.append(value)
            elif member is _c.CATEGORY and value in _CATEGORIES:
                ranges += _CATEGORIES[value]
            else:
                raise NotUnitwise  # (a negated class, a negated category)
        return _class(ranges, caseless)
    if op is _c.MAX_REPEAT:
        low, high, body = av
        inner = _sequence(body, caseless)
        bound = "{%d,}" % low if high == _c.MAXREPEAT else "{%d,%d}" % (low, high)
        return f"(?:{inner}){bound}"
    if op is _c.SUBPATTERN:
        _group, add_flags, del_flags, body = av
        if add_flags or del_flags:
            raise NotUnitwise
        return f"(?:{_sequence(body, caseless)})"
    if op is _c.BRANCH:
        return "(?:" + "|".join(_sequence(branch, caseless) for branch in av[1]) + ")"
    raise NotUnitwise  # ".", look-arounds, \b, lazy repeats, back-references...


def _class(ranges: list[tuple[int, int]], caseless: bool) -> str:
    """One unit whose code point lies in one of ``ranges`` (with the other ASCII case when caseless)."""
    if caseless:
        ranges = ranges + [(ord(chr(code).swapcase()),) * 2 for low, high in ranges
                           for code in range(max(low, 0x41), min(high, 0x7A) + 1) if chr(code).isalpha()]
    merged: list[list[int]] = []
    for low, high in sorted(ranges):
        if merged and low <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], high)
        else:
            merged.append([low, high])
    pieces = [piece + "\\x00" for low, high in merged for piece in _little_endian(low, high, 3)]
    return pieces[0] if len(pieces) == 1 else "(?:" + "|".join(pieces) + ")"


def _little_endian(low: int, high: int, width: int) -> list[str]:
    """Expressions for the ``width``-byte little-endian numbers low..high, least significant byte first."""
    if width == 1:
        return [_byte(low) if low == high else f"[{_byte(low)}-{_byte(high)}]"]
    shift = 8 * (width - 1)
    rest = (1 << shift) - 1
    top_low, top_high = low >> shift, high >> shift
    if top_low == top_high:
        return [piece + _byte(top_low) for piece in _little_endian(low & rest, high & rest, width - 1)]
    pieces: list[str] = []
    if low & rest:  # the first top byte, partly
        pieces += [piece + _byte(top_low) for piece in _little_endian(low & rest, rest, width - 1)]
        top_low += 1
    tail: list[str] = []
    if high & rest != rest:  # the last top byte, partly
        tail = [piece + _byte(top_high) for piece in _little_endian(0, high & rest, width - 1)]
        top_high -= 1
    if top_low <= top_high:  # every number under the top bytes between
        middle = _byte(top_low) if top_low == top_high else f"[{_byte(top_low)}-{_byte(top_high)}]"
        pieces.append("[\\x00-\\xff]" * (width - 1) + middle)
    return pieces + tail


def _byte(value: int) -> str:
    return f"\\x{value:02x}"


def _unit(code: int) -> str:
    return "".join(_byte(byte) for byte in code.to_bytes(4, "little"))
