"""Validators for pattern matches: check digits (python-stdnum) and calendar sanity.

Recall first: a well-formed identifier whose check digit is wrong is still kept (a typo in a
身份证号 still identifies the patient), only with a lower confidence.

Speed: two stdnum checks are called in a cheaper way with the same answers. The 身份证号 check
runs stdnum's own steps in its order; the slow one (the birth-place database walk) is read from a
table of each province's county entries, filled from stdnum's own lookups once per machine and kept on
disk (word_cache.py; tested against stdnum), and remembered per region and birth year; the Luhn sum for plain ASCII digits is a few lines, where stdnum's generic
version (any alphabet) costs several times more per call.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from collections.abc import Iterator
from functools import lru_cache

from stdnum import iban
from stdnum.cn import ric
from stdnum.exceptions import ValidationError
from stdnum.util import isdigits

_DIGITS_ONLY = re.compile(r"[^0-9Xx]")
_NUMBERS = re.compile(r"\d+")


def _valid_date(year: int, month: int, day: int) -> bool:
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return 1880 <= year <= 2100


def cn_resident_id(value: str) -> float | None:
    """18-digit 身份证号: ISO 7064 MOD 11-2 check (0.99); a bad check digit with a real birth date 0.8."""
    number = _DIGITS_ONLY.sub("", value).upper()
    if len(number) != 18:
        return None
    if _resident_id_valid(number):
        return 0.99
    if _valid_date(int(number[6:10]), int(number[10:12]), int(number[12:14])):
        return 0.8
    return None


def _resident_id_valid(number: str) -> bool:
    """``ric.is_valid`` for an 18-character number: digits, check digit, birth date, birth place."""
    if not isdigits(number[:-1]) or number[-1] != ric.calc_check_digit(number):
        return False
    try:
        ric.get_birth_date(number)
    except ValidationError:
        return False
    return _birth_place_known(number[:6], number[6:10])


@lru_cache(maxsize=1 << 14)
def _birth_place_known(region: str, year: str) -> bool:
    """Was ``region`` a county in ``year``? (stdnum reads only these two parts of the number.)"""
    counties = _counties_in_province(region[:2]).get(region, _NOT_LISTED)
    if counties is _NOT_LISTED:  # a code the table does not list: stdnum itself answers, when it can know it
        return _unlisted_may_have_county() and _birth_place_known_by_stdnum(region, year)
    return counties is not None and _county_in_year(counties, int(year))


def _birth_place_known_by_stdnum(region: str, year: str) -> bool:
    try:
        ric.get_birth_place(region + year + "0101")
    except (ValidationError, KeyError):  # (stdnum raises KeyError for regions its data lists without a county)
        return False
    return True


_NOT_LISTED = object()


@lru_cache(maxsize=64)
def _counties_in_province(province: str) -> dict[str, str | None]:
    """stdnum's ``county`` entry (None when it has none) for every region code its data lists under
    ``province`` (two digits), looked up with stdnum's own ``info``: one dictionary read instead of the
    ~35 µs walk per region and birth year."""
    return _county_tables().get(province, {})


def _unlisted_may_have_county() -> bool:
    """Can stdnum find a county for a code the table does not list? Only through an entry of its prefix
    tree shorter than six digits that carries one (the table lists every six-digit path), and its data
    has none: so an unlisted code is answered False without reading stdnum's database (~0.06 s of CPU in
    a process that met one). Read off the same cached table (its marker line)."""
    _county_tables()
    return _SHORTER_COUNTY[0]


_SHORTER_COUNTY = [True]  # (set by _county_tables from the table's marker line; True until read)
_SHORTER_COUNTY_MARKER = "*shorter-county"
_NO_SHORTER_COUNTY_MARKER = "*no-shorter-county"


@lru_cache(maxsize=1)
def _county_tables() -> dict[str, dict[str, str | None]]:
    """Every province's table, kept on disk (word_cache.py, keyed by stdnum's version): filling them from
    stdnum cost ~10 ms a province, ~0.25 s of CPU in each process that read a note with 身份证号 from
    twenty provinces; reading them back costs a few ms. A line is "code" (no county entry) or
    "code<TAB>county", plus one marker line: does an entry shorter than six digits carry a county?"""
    from yizhi.deid.text.recognizers.word_cache import cached_words

    tables: dict[str, dict[str, str | None]] = {}
    shorter = True  # (no marker: ask stdnum, as before)
    for line in cached_words("cn_loc_counties_v2", ("python-stdnum",), _county_lines):
        if line.startswith("*"):
            shorter = line != _NO_SHORTER_COUNTY_MARKER
            continue
        code, tab, county = line.partition("\t")
        tables.setdefault(code[:2], {})[code] = county if tab else None
    _SHORTER_COUNTY[0] = shorter
    return tables


def _shorter_county(prefixes: list, depth: int = 0) -> bool:
    """Does an entry of stdnum's prefix tree ending before the sixth digit carry a county?"""
    return any((depth + length < 6 and "county" in props) or _shorter_county(children, depth + length)
               for length, _low, _high, props, children in prefixes)


def _county_lines() -> list[str]:
    from stdnum import numdb

    database = numdb.get("cn/loc")
    lines = [_SHORTER_COUNTY_MARKER if _shorter_county(database.prefixes) else _NO_SHORTER_COUNTY_MARKER]
    for province in (f"{number:02d}" for number in range(100)):
        for code in _listed_codes(database.prefixes, "", province):
            info = {key: value for _, props in database.info(code) for key, value in props.items()}
            county = info.get("county")
            lines.append(code if county is None else f"{code}\t{county}")
    return lines


def _listed_codes(prefixes: list, code: str, province: str) -> Iterator[str]:
    """The six-digit codes spelled out by stdnum's prefix tree (ranges expanded) under ``province``."""
    for length, low, high, _, children in prefixes:
        for value in range(int(low), int(high) + 1):
            longer = code + str(value).zfill(length)
            if longer[:2] != province[: len(longer)]:  # another province
                continue
            if len(longer) == 6:
                yield longer
            elif len(longer) < 6:
                yield from _listed_codes(children, longer, province)


def _county_in_year(counties: str, year: int) -> bool:
    """stdnum's ``get_birth_place`` test on its ``county`` entry: one county without dates, or one whose
    "[start-end]" years hold ``year``."""
    if year < 1:  # (stdnum's birth date would not parse)
        return False
    for county in counties.split(","):
        if not county.startswith("["):
            return True
        years = county[1:].split("]")[0]
        start, end = years.split("-")
        if start and year < int(start):
            continue
        if end and year > int(end):
            continue
        return True
    return False


def cn_resident_id_legacy(value: str) -> float | None:
    """15-digit first-generation 身份证号 (birth date YYMMDD at offset 6, no check digit)."""
    number = _DIGITS_ONLY.sub("", value)
    if len(number) != 15 or not number.isdigit():
        return None
    if _valid_date(1900 + int(number[6:8]), int(number[8:10]), int(number[10:12])):
        return 0.85
    return None


def luhn_card(value: str) -> float | None:
    """Payment card number: passes Luhn (0.95). Without context a non-Luhn number is not a card."""
    number = value if value.isdigit() else _CARD_SEPARATORS.sub("", value)  # (digits alone: nothing to take out)
    if not 13 <= len(number) <= 19 or not number.isdigit():
        return None
    if len(set(number)) == 1:
        return None
    return 0.95 if number.isascii() and _luhn_sum(number) % 10 == 0 else None  # (stdnum: other digits fail)


_CARD_SEPARATORS = re.compile(r"[\s-]")
# Each digit's character to the character of its double's digit sum (0->0, 5->1, 9->9): a byte table.
_LUHN_DOUBLED = bytes.maketrans(b"0123456789", "".join(str((2 * d) // 10 + (2 * d) % 10) for d in range(10)).encode())


def _luhn_sum(digits: str) -> int:
    """The Luhn sum of a string of ASCII digits: every second digit from the right doubled. Read as bytes
    (a digit's byte less 48 is its value), the doubled ones through a table: no Python step per digit,
    half the time of a dictionary look-up per digit."""
    backwards = digits[::-1].encode("ascii")
    return sum(backwards[0::2]) + sum(backwards[1::2].translate(_LUHN_DOUBLED)) - 48 * len(backwards)


def iban_number(value: str) -> float | None:
    return 0.95 if iban.is_valid(value) else None


def ipv4(value: str) -> float | None:
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        return None
    return 0.9


def ipv6(value: str) -> float | None:
    try:
        ipaddress.IPv6Address(value)
    except ValueError:
        return None
    return 0.9 if value.count(":") >= 2 else None


def compact_date(value: str) -> float | None:
    """YYYYMMDD written without separators: a date only if the calendar says so."""
    if _valid_date(int(value[0:4]), int(value[4:6]), int(value[6:8])):
        return 0.6
    return None


def numeric_date(value: str) -> float | None:
    """Dates like 2024-03-05, 2024.9.12, 03/14/1951, 3-5-24: reject impossible month/day pairs."""
    parts = [int(p) for p in _NUMBERS.findall(value)[:3]]
    if len(parts) < 3:
        return None
    if parts[0] > 31:  # year first
        year, month, day = parts
    else:  # US month/day/year; day/month/year also accepted, either reading keeps it a date
        month, day, year = parts
        if month > 12:
            month, day = day, month
        if year < 100:
            year += 2000 if year < 50 else 1900
    return 0.9 if _valid_date(year, month, day) else None


_DATE_SHAPE = re.compile(r"\d{1,4}([/.-])\d{1,2}\1\d{2,4}")
_EXTENSION = re.compile(r"[ ]?(?:x|ext\.?)[ ]?\d{1,5}$", re.IGNORECASE)


def phone_number(value: str) -> float | None:
    """A phone number after a phone word: 6 to 15 digits (ITU E.164 allows 15; a subscriber number
    of a small country has 6) besides an extension, and not a date ("call on 05/06/2019": the date
    rules own that)."""
    digits = sum(map(str.isdigit, _EXTENSION.sub("", value)))
    if not 6 <= digits <= 15 or _DATE_SHAPE.fullmatch(value):
        return None
    return 0.9
