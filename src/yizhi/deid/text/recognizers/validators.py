"""Validators for pattern matches: check digits (python-stdnum) and calendar sanity.

Recall first: a well-formed identifier whose check digit is wrong is still kept (a typo in a
身份证号 still identifies the patient), only with a lower confidence.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re

from stdnum import iban, luhn
from stdnum.cn import ric

_DIGITS_ONLY = re.compile(r"[^0-9Xx]")


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
    if ric.is_valid(number):
        return 0.99
    if _valid_date(int(number[6:10]), int(number[10:12]), int(number[12:14])):
        return 0.8
    return None


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
    number = re.sub(r"[\s-]", "", value)
    if not number.isdigit() or not 13 <= len(number) <= 19:
        return None
    if len(set(number)) == 1:
        return None
    return 0.95 if luhn.is_valid(number) else None


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
    parts = [int(p) for p in re.findall(r"\d+", value)[:3]]
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
