"""A note's word tokens read without a match object per token.

The English name rules read every word token of a note (english_words._read_words: ~500 in a 3 KB
report) but look at the positions of only the few that start or continue a capitalised run. Reading
them with ``finditer`` made a match object per token, about half of the reading's time, and those
objects are tracked by the garbage collector, whose passes they set off (~1.3 million per 3 MB of
MTSamples). Here the strings come from one ``split`` on the token expression in a group (the
separators and the tokens alternate) and the positions from the running sum of the pieces' lengths,
both made in C; a token's match object is made only when a rule asks for it, by matching the same
expression at its start. That is the match ``finditer`` gave: the expression has no look-around, so
its match from a position depends on nothing before it, and ``split`` finds the same non-overlapping
matches as ``finditer`` (test_deid_text_token_read.py compares both on real and random text).
"""

from __future__ import annotations

import re
from itertools import accumulate


class Tokens:
    """The tokens of one text as a read-only sequence of match objects, made on demand."""

    __slots__ = ("_match", "_text", "starts")

    def __init__(self, pattern: re.Pattern[str], text: str, starts: list[int]):
        self._match = pattern.match
        self._text = text
        self.starts = starts

    def __len__(self) -> int:
        return len(self.starts)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self._match(self._text, start) for start in self.starts[index]]
        return self._match(self._text, self.starts[index])

    def __iter__(self):
        match, text = self._match, self._text
        return (match(text, start) for start in self.starts)


def read_tokens(pattern: re.Pattern[str], splitter: re.Pattern[str], text: str) -> tuple[list[str], Tokens]:
    """The token strings of ``text`` and the tokens themselves (see the module). ``splitter`` is
    ``pattern`` wrapped in one capturing group (``splitter_of``); ``pattern`` must hold no group of its
    own, no look-around and never match the empty string."""
    pieces = splitter.split(text)
    words = pieces[1::2]
    offsets = list(accumulate(map(len, pieces)))  # (offsets[2i]: where token i begins)
    return words, Tokens(pattern, text, offsets[0 : 2 * len(words) : 2])


def splitter_of(pattern: re.Pattern[str]) -> re.Pattern[str]:
    if pattern.groups:
        raise ValueError("the token expression must hold no group")
    return re.compile(f"({pattern.pattern})", pattern.flags)
