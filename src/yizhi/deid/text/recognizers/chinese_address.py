"""Chinese places and addresses: province, city and district names (Faker's zh_CN providers) and
admin-suffix chains, grown into street addresses (路/号/楼/单元/室, 邮编). Split from ``chinese`` by
responsibility; the rules are ours for the reason that module's docstring gives."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

import ahocorasick

from yizhi.deid.text.recognizers.chinese_memo import _rule_spans
from yizhi.deid.text.recognizers.literal_scan import LiteralScanner, leftmost_longest
from yizhi.deid.text.spans import Span, make_span

_ADMIN = r"(?:省|自治区|特别行政区|市|自治州|地区|盟|区|县|自治县|旗|镇|乡|街道)"
_ADDRESS_TAIL = re.compile(
    r"(?:[\u4e00-\u9fff]{1,10}?(?:大街|大道|路|街|道|巷|弄|胡同|里|村|组|屯|庄|小区|花园|苑|公寓|大厦|广场|新村|家园|社区|园|城|湾|府|居)"
    r"|[\u4e00-\u9fff]{1,4}(?=[0-9A-Za-z一二三四五六七八九十]{1,6}(?:号院|号楼|号|栋|幢|座|单元)))?"
    r"(?:[ ]?[0-9A-Za-z一二三四五六七八九十甲乙丙丁东西南北-]{1,6}[ ]?(?:号院|号楼|号|栋|幢|座|单元|层|楼|室|户|门|组|排|巷|弄))+"
    r"(?:[ ]?[0-9A-Za-z-]{1,6}(?![0-9A-Za-z]))?"
)
_ADMIN_CHAIN = re.compile(r"(?:[\u4e00-\u9fff]{1,8}?" + _ADMIN + r")+")
_ADDRESS_LEFT_STOP = ("出生于", "生于", "生在", "家住", "住址", "现住", "现居", "居住于", "居住在", "居住", "住在", "位于", "来自", "籍贯", "出生地", "户籍", "地址", "住", "于", "在", "至", "到", "自", "从", "往", "赴", "省内", "由")
_ZIP_AFTER = re.compile(r"[ ，,]?(?:邮编[:：]?)?[ ]?(\d{6})(?!\d)")


@lru_cache(maxsize=1)
def _place_automaton() -> ahocorasick.Automaton:
    """Province, city and district names (Faker zh_CN), with and without their admin suffix."""
    from faker.providers.address.zh_CN import Provider

    automaton = ahocorasick.Automaton()
    names = set(Provider.provinces) | set(Provider.cities) | set(Provider.districts)
    for name in names:
        for form in {name, re.sub(_ADMIN + "$", "", name)}:
            if len(form) >= 2:
                automaton.add_word(form, form)
    for suffix in ("市", "区", "县", "省"):
        for name in list(Provider.cities) + list(Provider.districts):
            automaton.add_word(name + suffix, name + suffix)
    automaton.make_automaton()
    return automaton


@lru_cache(maxsize=1)
def _place_scanner() -> LiteralScanner:
    """The place names of ``_place_automaton`` in one Hyperscan database (see literal_scan.py)."""
    return LiteralScanner(_place_automaton().keys())


def _longest_matches(automaton: ahocorasick.Automaton, text: str) -> list[tuple[int, int, str]]:
    """Leftmost-longest non-overlapping matches from an Aho–Corasick automaton whose values are its words."""
    # (start, -end, word) tuples sort by start, the longer first, without a key function per hit (two hits
    # with the same start and end are the same word)
    return leftmost_longest(sorted([(last + 1 - len(word), ~last, word) for last, word in automaton.iter(text)]))


class ChineseAddressRecognizer:
    """Places from a dictionary and admin-suffix chains, grown into addresses (路/号/楼/单元/室, 邮编)."""

    name = "zh_address"
    languages = frozenset({"zh"})

    def find(self, text: str) -> Iterator[Span]:
        return iter(_rule_spans(self, text))

    def _find(self, text: str) -> Iterator[Span]:
        places = _place_scanner().longest(text)  # (Hyperscan: literal_scan.py; None without it)
        if places is None:
            places = _longest_matches(_place_automaton(), text)
        pieces: list[tuple[int, int]] = [(s, e) for s, e, _ in places]
        for match in _admin_chains(text):
            known = [s for s, _e, _ in _longest_matches(_place_automaton(), match.group())]
            start = match.start() + known[0] if known else _trim_address_left(text, match.start(), match.end())
            if match.end() - start >= 2:
                pieces.append((start, match.end()))
        for start, end in _chain(sorted(pieces)):
            end, is_address = _grow_address(text, end)
            yield from self._emit(text, start, end, "ADDRESS" if is_address else "LOCATION")
        # Street addresses without a city ("建国路88号院3号楼2单元501室").
        for match in _street_numbers(text):
            start = _trim_address_left(text, match.start(), match.end())
            end, _ = _grow_address(text, start)
            yield from self._emit(text, start, max(end, match.end()), "ADDRESS")

    def _emit(self, text: str, start: int, end: int, kind: str) -> Iterator[Span]:
        span = make_span(text, start, end, kind, 0.85, self.name)
        if span is not None:
            yield span
        zip_match = _ZIP_AFTER.match(text, end)
        if kind == "ADDRESS" and zip_match:
            zip_span = make_span(text, zip_match.start(1), zip_match.end(1), "ZIP", 0.85, self.name)
            if zip_span is not None:
                yield zip_span


# A street and its house number ("建国路88号"), and the end of one: every street match holds its end.
_STREET_NUMBER = re.compile(r"[\u4e00-\u9fff]{1,8}?(?:大街|大道|路|街|巷|弄|胡同)[ ]?[0-9一二三四五六七八九十]{1,5}[ ]?号")
_STREET_NUMBER_END = re.compile(r"(?:路|街|巷|弄|胡同|大道)[ ]?[0-9一二三四五六七八九十]{1,5}[ ]?号")
# Each admin suffix's first character, where the rest of the suffix follows (one character a match).
_ADMIN_SUFFIX_AT = re.compile(r"省|自(?=治区|治州|治县)|特(?=别行政区)|市|地(?=区)|盟|区|县|旗|镇|乡|街(?=道)")


def _street_numbers(text: str) -> Iterator[re.Match[str]]:
    """``_STREET_NUMBER.finditer(text)``; most notes hold no street number, and the end of one is
    found much faster (it begins with a plain word) than the lazy run of characters before it."""
    if _STREET_NUMBER_END.search(text) is None:
        return iter(())
    return _STREET_NUMBER.finditer(text)


def _admin_chains(text: str) -> Iterator[re.Match[str]]:
    """The matches of ``_ADMIN_CHAIN.finditer(text)``, tried only where one can start.

    Why: the expression's lazy run of 1–8 characters before a suffix makes the regex engine try
    up to eight suffixes at every character of the note. A match starts at s exactly when some
    suffix begins at q, s + 1 <= q <= s + 8, with text[s:q] all Chinese. So the suffixes are
    found first (a fast scan: each begins with a plain character), and from the earliest such s
    at or after where the last match ended, the expression is matched there, as finditer would.
    """
    suffixes = [match.start() for match in _ADMIN_SUFFIX_AT.finditer(text)]
    pos = 0
    for q in suffixes:
        if q - 1 < pos or not "\u4e00" <= text[q - 1] <= "\u9fff":
            continue
        start = q - 1
        while start > pos and start > q - 8 and "\u4e00" <= text[start - 1] <= "\u9fff":
            start -= 1
        match = _ADMIN_CHAIN.match(text, start)
        yield match
        pos = match.end()


def _trim_address_left(text: str, start: int, end: int) -> int:
    changed = True
    while changed:
        changed = False
        for stop in _ADDRESS_LEFT_STOP:
            if text.startswith(stop, start) and end - start - len(stop) >= 2:
                start += len(stop)
                changed = True
        while start < end and text[start] in "，,。；：:的、患者曾现原已均并及与和或因在于住":
            start += 1
            changed = True
    return start


def _chain(pieces: list[tuple[int, int]]) -> Iterator[tuple[int, int]]:
    """Join place pieces that touch (北京市|朝阳区) into one run."""
    current: tuple[int, int] | None = None
    for start, end in pieces:
        if current and start <= current[1]:
            current = (current[0], max(current[1], end))
        else:
            if current:
                yield current
            current = (start, end)
    if current:
        yield current


def _grow_address(text: str, pos: int) -> tuple[int, bool]:
    """Extend a place over the street/house-number tail that follows it."""
    grown = False
    while True:
        match = _ADDRESS_TAIL.match(text, pos)
        if not match or match.end() == pos:
            return pos, grown
        pos = match.end()
        grown = True
