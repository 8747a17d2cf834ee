"""One compiled pass over a note for many context rules: where each rule's match can begin.

The context rules (english_context, chinese_context) each look for a cue ("wife", "transferred to",
"pager", 先生, 原…厂) and then read the value with a Python expression that looks behind and ahead.
Searched one by one, the expressions cost ~17 ms per 3 KB English report (`re` cannot jump to a
look-behind or an alternation of words, so it tries every position, rule after rule). Here every rule
gives an *anchor*: a plain expression (no look-around) that matches wherever the rule's match begins
(or, for rules read backwards from a noun, ends). All anchors go into one Hyperscan database
(``hyperscan``, Intel's compiled multi-pattern engine; wheels on PyPI), scanned once per note; the
rule's own expression is then tried only at those places (``pattern.match(text, position)``: its
look-behinds still see the text before). Same matches as a full scan, as long as each anchor matches
wherever its rule can (tests/deid_text/test_deid_text_scanner.py checks that on real and random text).

Fallback: where the ``hyperscan`` wheel is missing (a platform without one), the same anchors are
searched with `re`, joined into one alternation of named groups per note: slower, same answer.
Anchors are compiled caseless when marked so (ASCII case, ASCII \\b: Hyperscan has no \\b in its
Unicode mode), and in UTF-8 mode with byte offsets turned back into
character offsets. A note outside ASCII is scanned in UTF-32 instead, where a byte offset divided by four
is the character offset (unit_scan.py: the conversion cost three times the scan), when every anchor can be
rewritten over code units (the Chinese ones; the English ones use \\b and stay in UTF-8).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass

from yizhi.deid.text.recognizers.unit_scan import NotUnitwise, encode_units, unit_expression

try:
    import hyperscan
except ImportError:  # pragma: no cover - exercised only where no wheel exists
    hyperscan = None


@dataclass(frozen=True)
class Anchor:
    name: str
    pattern: str  # a Hyperscan- and re-compatible expression, no look-around, no back-reference
    caseless: bool = False


class Scanner:
    """Anchors compiled once; ``scan(text)`` gives ``{anchor name: [(start, end) in characters]}``."""

    def __init__(self, anchors: Iterable[Anchor]):
        self.anchors = list(anchors)
        self._lock = threading.Lock()
        self._database = None
        self._fallback = None
        self._units = None  # the UTF-32 database (see _unit_database); False: none can be made

    def _compiled(self):
        if hyperscan is None:
            if self._fallback is None:
                self._fallback = [(anchor.name, re.compile(anchor.pattern, re.IGNORECASE if anchor.caseless else 0))
                                  for anchor in self.anchors]
            return None
        if self._database is None:
            with self._lock:
                if self._database is None:
                    from yizhi.deid.text.recognizers.hs_cache import compiled  # (compiled once per machine)

                    flags = [hyperscan.HS_FLAG_SOM_LEFTMOST | hyperscan.HS_FLAG_UTF8
                             | (hyperscan.HS_FLAG_CASELESS if anchor.caseless else 0) for anchor in self.anchors]
                    self._database = compiled([anchor.pattern.encode("utf-8") for anchor in self.anchors],
                                              list(range(len(self.anchors))), flags)
        return self._database

    def _unit_database(self):
        """The anchors rewritten over UTF-32 code units (unit_scan.py), compiled once; None when one of
        them cannot be (the UTF-8 database then serves every note)."""
        if self._units is None:
            with self._lock:
                if self._units is None:
                    from yizhi.deid.text.recognizers.hs_cache import compiled

                    try:
                        expressions = [unit_expression(anchor.pattern, anchor.caseless).encode("ascii")
                                       for anchor in self.anchors]
                        self._units = compiled(expressions, list(range(len(self.anchors))),
                                               [hyperscan.HS_FLAG_SOM_LEFTMOST] * len(self.anchors))
                    except (NotUnitwise, hyperscan.error):
                        self._units = False
        return self._units or None

    def scan(self, text: str) -> dict[str, list[tuple[int, int]]]:
        database = self._compiled()
        if database is None:
            return {name: [match.span() for match in pattern.finditer(text)] for name, pattern in self._fallback}
        if not text.isascii() and _UNITS:
            units, data = self._unit_database(), encode_units(text)
            if units is not None and data is not None:
                return self._scan_units(units, data)
        found: dict[int, list[tuple[int, int]]] = {}
        data = text.encode("utf-8")

        def on_match(index, start, end, flags, context):
            found.setdefault(index, []).append((start, end))

        with self._lock:  # (a Hyperscan scratch space serves one scan at a time)
            database.scan(data, match_event_handler=on_match)
        if not found:
            return {}
        names = self.anchors
        if len(data) == len(text):
            return {names[index].name: sorted(set(spans)) for index, spans in found.items()}
        to_char = _byte_to_char(data, {offset for spans in found.values() for span in spans for offset in span})
        return {names[index].name: sorted({(to_char[start], to_char[end]) for start, end in spans})
                for index, spans in found.items()}


    def _scan_units(self, units, data: bytes) -> dict[str, list[tuple[int, int]]]:
        """``scan`` on the note's UTF-32-LE units: offsets divided by four are character offsets (a match
        ending inside a unit was found across units and is dropped: see unit_scan.py)."""
        found: dict[int, list[tuple[int, int]]] = {}

        def on_match(index, start, end, flags, context):
            if not end & 3:
                found.setdefault(index, []).append((start >> 2, end >> 2))

        with self._lock:
            units.scan(data, match_event_handler=on_match)
        names = self.anchors
        return {names[index].name: sorted(set(spans)) for index, spans in found.items()}


# False: every note is scanned in UTF-8 (the tests compare both ways).
_UNITS = True


def _byte_to_char(data: bytes, offsets: set[int]) -> dict[int, int]:
    """The character offset of each UTF-8 byte offset in ``offsets`` (they always fall on character
    boundaries here): the characters begun before it (a byte that is no continuation byte, 10xxxxxx,
    begins a character), counted in C in the note's bytes mapped to 1 (a start) or 0. Counted from one
    offset to the next in increasing order, so each byte is counted once (counting from the note's start
    for each of the ~50 offsets of a Chinese note read ~20 KB; a table of every byte's answer cost an
    integer object a byte)."""
    count = data.translate(_CHARACTER_STARTS).count
    chars, counted, previous = {}, 0, 0
    for offset in sorted(offsets):
        counted += count(1, previous, offset)
        chars[offset] = counted
        previous = offset
    return chars


_CHARACTER_STARTS = bytes(0 if (byte & 0xC0) == 0x80 else 1 for byte in range(256))  # (a translate table)


def matches_at(pattern: re.Pattern[str], text: str, starts: Iterable[int]) -> list[re.Match[str]]:
    """``pattern.finditer(text)`` when every match begins at one of ``starts``: tried there only, in
    order, skipping starts inside the previous match (what finditer does)."""
    found, end = [], -1
    for start in sorted(set(starts)):
        if start < end:
            continue
        match = pattern.match(text, start)
        if match is not None and match.end() > match.start():
            found.append(match)
            end = match.end()
    return found
