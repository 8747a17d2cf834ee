"""What happens to a found identifier: redact (type tag), mask, or a keyed surrogate with date shifting.

Surrogates are consistent: the same value of the same type maps to the same fake under the same key
(``yizhi.deid.keys.derive``), so a dataset keeps its links (the same patient is the same fake person in
every note) while nobody without the key can go back. Dates move by one offset per patient, so
intervals between them survive. Faker (zh_CN / en_US) supplies realistic values.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from faker import Faker

from yizhi.deid.keys import derive
from yizhi.deid.text.spans import PHI_TYPES, Span

POLICIES = ("redact", "mask", "surrogate")
MAX_SHIFT_DAYS = 365


class PolicyError(ValueError):
    """An unknown transformation policy was asked for."""


@dataclass
class DeidResult:
    text: str
    spans: list[Span]
    lang: str
    policy: str
    replacements: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "text": self.text,
            "lang": self.lang,
            "policy": self.policy,
            "spans": [span.public() for span in self.spans],
        }


def tag_for(span_type: str, lang: str) -> str:
    zh, en = PHI_TYPES.get(span_type, (span_type, span_type))
    return f"[{zh}]" if lang == "zh" else f"[{en}]"


def apply_policy(text: str, spans: list[Span], lang: str, policy: str, key: bytes | None, patient_id: str | None) -> DeidResult:
    if policy not in POLICIES:
        raise PolicyError(f"unknown policy {policy!r}; use one of: {', '.join(POLICIES)}")
    if policy == "surrogate":
        surrogates = Surrogates(key if key is not None else secrets.token_bytes(32), lang, patient_id)
        replace: Callable[[Span], str] = surrogates.replace
    elif policy == "mask":
        replace = _mask
    else:
        replace = lambda span: tag_for(span.type, lang)  # noqa: E731
    pieces: list[str] = []
    replacements: list[str] = []
    cursor = 0
    for span in sorted(spans, key=lambda s: s.start):
        pieces.append(text[cursor : span.start])
        replacement = replace(span)
        replacements.append(replacement)
        pieces.append(replacement)
        cursor = span.end
    pieces.append(text[cursor:])
    return DeidResult("".join(pieces), spans, lang, policy, replacements)


def _mask(span: Span) -> str:
    return "".join(ch if ch in " -·/:：." else ("＊" if ord(ch) > 0x2E80 else "*") for ch in span.text)


# --- surrogates -------------------------------------------------------------------------------------
_local = threading.local()


def _faker(locale: str) -> Faker:
    """One Faker per thread and locale: re-seeding a shared instance would race between requests."""
    fakers = getattr(_local, "fakers", None)
    if fakers is None:
        fakers = _local.fakers = {}
    if locale not in fakers:
        fakers[locale] = Faker(locale)
    return fakers[locale]


_DIGIT_RUN = re.compile(r"\d")
_LETTER = re.compile(r"[A-Za-z]")
_PLATE_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"


class Surrogates:
    """Keyed, consistent fake values; one instance per document (cheap)."""

    def __init__(self, key: bytes, lang: str, patient_id: str | None) -> None:
        self.key = key
        self.lang = lang
        self.shift_days = self._shift_days(patient_id or "")

    def _seed(self, purpose: str, value: str) -> int:
        return int.from_bytes(derive(self.key, purpose, value)[:8], "big")

    def _shift_days(self, patient_id: str) -> int:
        seed = self._seed("date-shift", patient_id)
        shift = seed % (2 * MAX_SHIFT_DAYS) - MAX_SHIFT_DAYS
        return shift or 1  # never zero: a zero shift would leave the real dates

    def replace(self, span: Span) -> str:
        method = getattr(self, f"_{span.type.lower()}", None)
        value = method(span.text) if method else None
        return value if value is not None else self._characters(span.type, span.text)

    def _fake(self, purpose: str, value: str, zh: bool | None = None) -> Faker:
        use_zh = self.lang == "zh" if zh is None else zh
        fake = _faker("zh_CN" if use_zh else "en_US")
        fake.seed_instance(self._seed(purpose, value))
        return fake

    def _characters(self, purpose: str, value: str) -> str:
        """Format-preserving keyed replacement: digits stay digits, letters letters, length kept."""
        digest = derive(self.key, purpose, value)
        out = []
        for index, ch in enumerate(value):
            byte = digest[index % len(digest)] ^ index
            if ch.isdigit() and ch.isascii():
                out.append(str(byte % 10))
            elif ch.isascii() and ch.isalpha():
                letter = chr(ord("A") + byte % 26)
                out.append(letter if ch.isupper() else letter.lower())
            elif ch in _PLATE_PROVINCES:
                out.append(_PLATE_PROVINCES[byte % len(_PLATE_PROVINCES)])
            else:
                out.append(ch)
        return "".join(out)

    def _name(self, value: str) -> str:
        is_zh = bool(re.search(r"[\u4e00-\u9fff]", value))
        fake = self._fake("name", value, zh=is_zh)
        if is_zh:
            if len(value) == 1:  # a surname alone before 女士/先生
                return fake.last_name()
            return fake.last_name() + fake.first_name()[: max(1, len(value) - 1)]
        parts = value.split()
        if len(parts) == 1:
            return fake.last_name() if value[0].isupper() else fake.first_name()
        return fake.first_name() + " " + fake.last_name()

    def _id_number(self, value: str) -> str:
        if re.fullmatch(r"\d{17}[\dXx]", value):
            return self._fake("id", value, zh=True).ssn()
        return self._characters("id", value)

    def _phone(self, value: str) -> str:
        digits = self._characters("phone", value)
        # Keep a Chinese mobile number plausible: it starts with 1 and a carrier digit 3-9.
        # The second digit need not follow the first ("+1 901 473 8686"): look it up, don't assume.
        places = [i for i, ch in enumerate(value) if ch.isdigit()]
        if len(places) == 11 and value[places[0]] == "1":
            first, second = places[0], places[1]
            carrier = str(3 + int(digits[second]) % 7)
            digits = digits[:first] + "1" + digits[first + 1 : second] + carrier + digits[second + 1 :]
        return digits

    def _email(self, value: str) -> str:
        return self._fake("email", value, zh=False).email()

    def _url(self, value: str) -> str:
        return self._fake("url", value, zh=False).url()

    def _ip_address(self, value: str) -> str:
        return self._fake("ip", value).ipv4_private() if "." in value else self._fake("ip", value).ipv6()

    def _address(self, value: str) -> str:
        fake = self._fake("address", value)
        if self.lang == "zh":
            return f"{fake.province()}{fake.city()}{fake.street_name()}{fake.random_int(1, 300)}号"
        return fake.street_address()

    def _location(self, value: str) -> str:
        return self._fake("location", value).city()

    def _organization(self, value: str) -> str:
        fake = self._fake("org", value)
        if self.lang == "zh":
            for suffix in ("医院", "卫生服务中心", "卫生院", "大学", "学院", "学校"):
                if value.endswith(suffix):
                    return f"{fake.city_name()}第{fake.random_int(1, 9)}{'人民' if suffix == '医院' else ''}{suffix}"
            return fake.company()
        return fake.company()

    def _age(self, value: str) -> str:
        return "90岁以上" if self.lang == "zh" or "岁" in value else "90+"

    def _date(self, value: str) -> str | None:
        return shift_date(value, self.shift_days)


# --- date shifting ---------------------------------------------------------------------------------------
_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
_MONTH_NAMES = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]
_ZH_FULL = re.compile(r"(\d{4})[ ]?年[ ]?(\d{1,2})[ ]?月(?:[ ]?(\d{1,2})[ ]?([日号]))?(.*)", re.S)
_ZH_MONTH_DAY = re.compile(r"(\d{1,2})[ ]?月[ ]?(\d{1,2})[ ]?([日号])(.*)", re.S)
_ISO = re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(.*)", re.S)
_US = re.compile(r"(\d{1,2})([-/.])(\d{1,2})\2(\d{2,4})(.*)", re.S)
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_EN_MONTH_FIRST = re.compile(r"([A-Za-z]+)\.?[ ]+(\d{1,2})(?:st|nd|rd|th)?(?:(,?[ ]+)(\d{4}))?(.*)", re.S)
_EN_DAY_FIRST = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?[ ]+(?:of[ ]+)?([A-Za-z]+)\.?(?:(,?[ ]+)(\d{4}))?(.*)", re.S)


def _month_number(word: str) -> int | None:
    prefix = word[:3].lower()
    return _MONTHS.index(prefix) + 1 if prefix in _MONTHS else None


def _shift(year: int, month: int, day: int, days: int) -> dt.date | None:
    try:
        return dt.date(year, month, day) + dt.timedelta(days=days)
    except (ValueError, OverflowError):
        return None


def shift_date(value: str, days: int) -> str | None:
    """The same date moved by ``days``, written in the same format; None when it cannot be parsed.

    A date without a year (3月5日, October 16) is shifted within a leap reference year, so 2月29日
    stays valid. The year is left out of the result as it was out of the input.
    """
    if m := _ZH_FULL.fullmatch(value):
        year, month, day = int(m[1]), int(m[2]), int(m[3] or 1)
        moved = _shift(year, month, day, days)
        if moved is None:
            return None
        if m[3] is None:
            return f"{moved.year}年{moved.month}月{m[5]}"
        return f"{moved.year}年{moved.month}月{moved.day}{m[4]}{m[5]}"
    if m := _ZH_MONTH_DAY.fullmatch(value):
        moved = _shift(2000, int(m[1]), int(m[2]), days)
        return None if moved is None else f"{moved.month}月{moved.day}{m[3]}{m[4]}"
    if m := _ISO.fullmatch(value):
        moved = _shift(int(m[1]), int(m[3]), int(m[4]), days)
        if moved is None:
            return None
        width = 2 if len(m[3]) == 2 else 1
        return f"{moved.year}{m[2]}{moved.month:0{width}d}{m[2]}{moved.day:0{width}d}{m[5]}"
    if m := _COMPACT.fullmatch(value):
        moved = _shift(int(m[1]), int(m[2]), int(m[3]), days)
        return None if moved is None else moved.strftime("%Y%m%d")
    if m := _US.fullmatch(value):
        year = int(m[4]) if len(m[4]) == 4 else (2000 + int(m[4]) if int(m[4]) < 50 else 1900 + int(m[4]))
        moved = _shift(year, int(m[1]), int(m[3]), days)
        if moved is None:
            return None
        year_text = str(moved.year) if len(m[4]) == 4 else f"{moved.year % 100:02d}"
        return f"{moved.month:0{len(m[1])}d}{m[2]}{moved.day:0{len(m[3])}d}{m[2]}{year_text}{m[5]}"
    if (m := _EN_MONTH_FIRST.fullmatch(value)) and _month_number(m[1]):
        year = int(m[4]) if m[4] else 2000
        moved = _shift(year, _month_number(m[1]), int(m[2]), days)
        if moved is None:
            return None
        year_text = f"{m[3]}{moved.year}" if m[4] else ""
        return f"{_MONTH_NAMES[moved.month - 1]} {moved.day}{year_text}{m[5]}"
    if (m := _EN_DAY_FIRST.fullmatch(value)) and _month_number(m[2]):
        year = int(m[4]) if m[4] else 2000
        moved = _shift(year, _month_number(m[2]), int(m[1]), days)
        if moved is None:
            return None
        year_text = f"{m[3]}{moved.year}" if m[4] else ""
        return f"{moved.day} {_MONTH_NAMES[moved.month - 1]}{year_text}{m[5]}"
    return None
