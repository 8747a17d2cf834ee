"""Leftmost-longest matches of a large word list (the Chinese place names) in one Hyperscan scan.

Why not pyahocorasick, as before: its trie looks a character up among a node's children one by one,
and the place automaton's root has hundreds of children (every first character of ~730 names), so
each character of a note costs ~1,000 instructions there even though a note holds ~1.6 place names
(callgrind on the 353 Chinese dev notes: a third of the name, organisation and address rules' work).
Hyperscan matches the same literals in the note's UTF-8 bytes at about a byte a nanosecond and calls
back once per occurrence, as few as the names found. A literal of valid UTF-8 matched in valid
UTF-8 begins and ends on character boundaries, so every occurrence ``automaton.iter`` reports is
reported here and no other (HS_FLAG_SOM_LEFTMOST gives each one's start); the choice among them is
``chinese_address._longest_matches``'s. Where the ``hyperscan`` wheel is missing, ``longest`` answers None and
the caller keeps the automaton. test_deid_text_zh_speed.py compares both on the dev notes and random text.
A note outside ASCII is scanned in UTF-32, where offsets need no conversion (unit_scan.py;
test_deid_text_zh_speed3.py compares with the UTF-8 scan).
"""

from __future__ import annotations

import threading

from yizhi.deid.text.recognizers.unit_scan import encode_units, literal_units

try:
    import hyperscan
except ImportError:  # pragma: no cover - exercised only where no wheel exists
    hyperscan = None


class LiteralScanner:
    """``longest(text)``: the (start, end, word) ``chinese_address._longest_matches`` gives for these words."""

    def __init__(self, words):
        self.words = sorted(words)  # (sorted: the on-disk cache key must not depend on set order)
        self._lock = threading.Lock()
        self._database = None
        self._units = None  # the same words over UTF-32 code units (see _unit_database)

    def _compiled(self):
        if self._database is None:
            with self._lock:
                if self._database is None:
                    from yizhi.deid.text.recognizers.hs_cache import compiled  # (compiled once per machine)

                    flags = hyperscan.HS_FLAG_UTF8 | hyperscan.HS_FLAG_SOM_LEFTMOST
                    self._database = compiled([_literal(word) for word in self.words], list(range(len(self.words))),
                                              [flags] * len(self.words))
        return self._database

    def _unit_database(self):
        """The words over UTF-32 code units (unit_scan.py), compiled once."""
        if self._units is None:
            with self._lock:
                if self._units is None:
                    from yizhi.deid.text.recognizers.hs_cache import compiled

                    self._units = compiled([literal_units(word) for word in self.words], list(range(len(self.words))),
                                           [hyperscan.HS_FLAG_SOM_LEFTMOST] * len(self.words))
        return self._units

    def longest(self, text: str) -> list[tuple[int, int, str]] | None:
        if hyperscan is None:
            return None
        if not text.isascii() and _UNITS:
            data = encode_units(text)
            if data is not None:
                return self._longest_in_units(data)
        database = self._compiled()
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: no valid UTF-8 for Hyperscan to read
            return None
        hits: list[tuple[int, int, int]] = []

        def on_match(index, start, end, flags, context):
            hits.append((start, end, index))

        with self._lock:  # (a Hyperscan scratch space serves one scan at a time)
            database.scan(data, match_event_handler=on_match)
        if not hits:
            return []
        words = self.words
        if len(data) == len(text):
            ordered = sorted([(start, -end, words[index]) for start, end, index in hits])
        else:
            chars: dict[int, int] = {}

            def to_char(offset: int) -> int:  # (the characters before a byte offset; few offsets a note)
                char = chars.get(offset)
                if char is None:
                    char = chars[offset] = len(data[:offset].decode("utf-8"))
                return char

            ordered = sorted([(to_char(start), -to_char(end), words[index]) for start, end, index in hits])
        return leftmost_longest(ordered)


    def _longest_in_units(self, data: bytes) -> list[tuple[int, int, str]]:
        """``longest`` on the note's UTF-32-LE units: offsets divided by four are character offsets, with
        no conversion (a hit ending inside a unit was found across units and is dropped: unit_scan.py)."""
        hits: list[tuple[int, int, int]] = []

        def on_match(index, start, end, flags, context):
            if not end & 3:
                hits.append((start >> 2, -(end >> 2), index))

        database = self._unit_database()
        with self._lock:
            database.scan(data, match_event_handler=on_match)
        if not hits:
            return []
        words = self.words
        return leftmost_longest(sorted([(start, negative_end, words[index]) for start, negative_end, index in hits]))


# False: every note is scanned in UTF-8 (the tests compare both ways).
_UNITS = True


def leftmost_longest(ordered: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """(start, end, word) of the leftmost-longest non-overlapping hits, from hits given as sorted
    (start, -end, word) tuples (by start, the longer first)."""
    chosen: list[tuple[int, int, str]] = []
    last_end = -1
    for start, negative_end, word in ordered:
        if start >= last_end:
            last_end = -negative_end
            chosen.append((start, last_end, word))
    return chosen


def _literal(word: str) -> bytes:
    """The word as a Hyperscan expression matching it literally (every character written as a code point)."""
    return "".join(f"\\x{{{ord(char):x}}}" for char in word).encode("ascii")
