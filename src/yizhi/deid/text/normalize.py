"""Normalisation before detection, with a map back to the original offsets (issue 17, item 8).

An identifier hidden by characters a reader does not see still identifies: a phone written with zero-
width spaces (``138\\u200b1234\\u200b5678``), a name with combining accents (``John\\u0301 Smith``,
``张\\u0301三``), a name behind a right-to-left override (``\\u202ehtimS`` shows as "Smith"). Detection
runs on a normalised copy of the note; every span found there is mapped back to the original, so the
characters in between are removed with it.

What is changed, and why only this (NFKC where safe):
- format characters (Unicode category Cf: zero-width space/joiners, BOM, soft hyphen, bidi controls)
  are dropped;
- combining marks (Mn, Me) right after a Latin, Greek, Cyrillic or Han letter are dropped (they are
  part of other scripts' spelling, which is left alone);
- a run after a right-to-left override (U+202E) up to the pop (U+202C) or the line's end is reversed,
  so it reads in the order it is shown;
- NFKC is applied to full-width ASCII letters and digits, non-breaking and other spaces (not the
  ideographic space), letter-like font variants and Latin ligatures only. Not to full-width punctuation
  (the Chinese rules read "：" and "，"), superscripts ("10⁹/L" must not become "109/L"), fractions,
  circled numbers or Roman numerals (ECG leads Ⅱ, Ⅲ).
Written here: no installed package maps offsets through a normalisation (``unicodedata`` gives the
character facts; the map is ours).
"""

from __future__ import annotations

import hashlib
import re
import sys
import unicodedata
from functools import lru_cache
from pathlib import Path

_RLO, _PDF = "\u202e", "\u202c"
_MARK_BASES = re.compile(r"[A-Za-zÀ-ɏͰ-ϿЀ-ӿ\u4e00-\u9fff\u3400-\u4dbf]")
_SAFE_TAGS = ("<wide>", "<noBreak>", "<font>", "<compat>")
# Astral characters normalise() may change: letter-like font variants (mathematical alphanumerics),
# enclosed alphanumeric supplement, tag characters and variation selectors (format and combining).
_ASTRAL = "[\U0001D400-\U0001D7FF\U0001F100-\U0001F1FF\U000E0000-\U000E01FF]"


@lru_cache(maxsize=1)
def _special() -> re.Pattern[str]:
    """One character class of everything normalise() may change (read once, at the first non-ASCII note)."""
    # (the Basic Multilingual Plane, and the supplementary blocks holding format characters, font
    # variants of letters and combining marks: reading all 1.1 million code points took 3.5 s)
    # Written as ranges of the Basic Multilingual Plane only: `re` then tests a character against a
    # bitmap (a class of ~2,000 single characters, or one holding astral ones, is searched item by item:
    # 4.9 ms a Chinese note). Astral characters are looked for apart (_ASTRAL), rarely needed.
    # Reading the 65,408 characters costs ~0.065 s of CPU in every process that reads a non-ASCII note
    # (a few percent of de-identifying 3 MB through the CLI), so the ranges are kept on disk (disk_cache.py)
    # under the Python and Unicode versions and this module's source: reading them back costs ~1 ms.
    from yizhi.deid.text.recognizers.disk_cache import cache_directory, read_checked, write_checked

    key = hashlib.sha256(repr((sys.version, unicodedata.unidata_version, Path(__file__).read_bytes())).encode())
    path = cache_directory("normalise") / f"{key.hexdigest()}.txt"
    body = read_checked(path)
    try:
        ranges = body.decode("utf-8") if body is not None else None
    except UnicodeDecodeError:
        ranges = None
    if ranges is None:
        ranges = _special_ranges()
        write_checked(path, ranges.encode("utf-8"))
    return re.compile("[" + ranges + "]|" + _ASTRAL)


def _special_ranges() -> str:
    """The inside of a character class of the Basic Multilingual Plane characters normalise() may change."""
    codes = [code for code in range(0x80, 0x10000) if _changed(chr(code))]
    ranges, first = [], None
    for index, code in enumerate(codes):
        if first is None:
            first = code
        if index + 1 == len(codes) or codes[index + 1] != code + 1:
            ranges.append(re.escape(chr(first)) + ("-" + re.escape(chr(code)) if code != first else ""))
            first = None
    return "".join(ranges)


@lru_cache(maxsize=4096)
def _replacement(char: str) -> str | None:
    """What a character becomes: None (unchanged), "" (dropped) or its safe NFKC form."""
    category = unicodedata.category(char)
    if category == "Cf":
        return ""
    if category == "Zs" and char not in (" ", "\u3000"):
        return " "
    decomposition = unicodedata.decomposition(char)
    if decomposition.startswith(_SAFE_TAGS) and not ("\u2160" <= char <= "\u2188"):
        if decomposition.startswith("<wide>") and not char.isalnum():
            return None  # full-width punctuation stays: the Chinese rules read it
        folded = unicodedata.normalize("NFKC", char)
        if folded != char and (folded.isalnum() or folded.isspace()) and folded.isascii():
            return folded
    return None


def _changed(char: str) -> bool:
    return _replacement(char) is not None or unicodedata.category(char) in ("Mn", "Me")


def normalise(text: str) -> tuple[str, list[int] | None]:
    """(normalised text, map) where ``map[i]`` is the original index of normalised character ``i``
    (``map[len]`` = ``len(text)``); ``(text, None)`` when nothing changes (every ASCII note)."""
    if text.isascii() or _special().search(text) is None:
        return text, None
    if _RLO not in text:
        return _normalise_segments(text)
    return _normalise_each(text)


def _normalise_each(text: str) -> tuple[str, list[int]]:
    """``normalise`` character by character (a text with a right-to-left override is read reordered)."""
    out: list[str] = []
    where: list[int] = []
    index, length = 0, len(text)
    while index < length:
        char = text[index]
        if char == _RLO:  # read the overridden run in the order it is shown
            stop = text.find(_PDF, index + 1)
            line = text.find("\n", index + 1)
            stop = min(s for s in (stop, line, length) if s != -1)
            for position in range(stop - 1, index, -1):
                _emit(text, position, out, where)
            index = stop + 1 if stop < length and text[stop] == _PDF else stop
            continue
        _emit(text, index, out, where)
        index += 1
    where.append(length)
    return "".join(out), where


def _normalise_segments(text: str) -> tuple[str, list[int]]:
    """What the loop of ``normalise`` gives for a text without a right-to-left override, with the runs of
    characters it keeps as they are copied whole: only the characters ``_special`` lists (and astral
    ones, which ``_emit`` also reads) go through ``_emit``. A note holding one accented letter or
    full-width digit no longer costs a Python step per character (~0.5 µs each: 5% of an English run)."""
    out: list[str] = []
    where: list[int] = []
    done = 0
    for match in _candidates().finditer(text):
        position = match.start()
        if position > done:
            out.append(text[done:position])  # (a run kept as it is: _emit reads only its last character)
            where.extend(range(done, position))
        _emit(text, position, out, where)
        done = position + 1
    if done < len(text):
        out.append(text[done:])
        where.extend(range(done, len(text)))
    where.append(len(text))
    return "".join(out), where


@lru_cache(maxsize=1)
def _candidates() -> re.Pattern[str]:
    """The characters ``_emit`` may change: those of ``_special``, and any astral character."""
    return re.compile(_special().pattern + "|[\U00010000-\U0010FFFF]")


def _emit(text: str, position: int, out: list[str], where: list[int]) -> None:
    char = text[position]
    category = unicodedata.category(char)
    if category in ("Mn", "Me"):
        if out and _MARK_BASES.match(out[-1][-1]):  # (the last character out: out may hold runs)
            return  # an accent piled on a letter: dropped
        out.append(char)
        where.append(position)
        return
    replacement = _replacement(char)
    if replacement is None:
        out.append(char)
        where.append(position)
    else:
        for piece in replacement:
            out.append(piece)
            where.append(position)


def original_range(where: list[int], start: int, end: int) -> tuple[int, int]:
    """The original range covering normalised characters ``start:end`` (a reversed run maps backwards,
    hence min and max)."""
    positions = where[start:end]
    return min(positions), max(positions) + 1
