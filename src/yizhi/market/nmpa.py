"""NMPA medical-device registration (医疗器械注册证) and filing (备案) numbers: format and validity.

The numbering is the one set by the 2014 registration rules and kept by the 2021 rules
(《医疗器械注册与备案管理办法》, 国家市场监督管理总局令第47号, articles on 注册证编号 and 备案编号):

* registration ``×1械注×2××××3×4××5××××6`` — ×1 the approving authority (``国`` for domestic class III
  and for every imported class II/III device, else the province's abbreviation), ×2 the form (``准``
  domestic, ``进`` imported, ``许`` Hong Kong, Macao, Taiwan), ××××3 the year of first registration,
  ×4 the management class (2 or 3), ××5 the category code of the classification catalogue
  (《医疗器械分类目录》, 01–22; stand-alone software is 21), ××××6 the serial number;
* filing (class I) ``×1械备××××2××××3号`` — ×1 the filing authority (province + city abbreviation for
  domestic devices, ``国`` for imported ones), the year and a serial number. A filing has no expiry.

A registration certificate is valid for five years. Pure: no database, no web layer.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from yizhi.errors import N_, ValidationFailed

CLASSES = ("I", "II", "III")
# Province-level abbreviations, with the alternative characters used on certificates (黔/贵, 滇/云, 川/蜀, 陕/秦, 甘/陇)
PROVINCES = "京津冀晋蒙辽吉黑沪苏浙皖闽赣鲁豫鄂湘粤桂琼渝川蜀贵黔云滇藏陕秦甘陇青宁新"
REGISTRATION = re.compile(r"^(?P<authority>[^\W\d_])械注(?P<form>[准进许])(?P<year>\d{4})(?P<klass>\d)"
                          r"(?P<code>\d{2})(?P<serial>\d{4})号?$")
FILING = re.compile(r"^(?P<authority>[^\W\d_]{1,4})械备(?P<year>\d{4})(?P<serial>\d{4,6})号?$")
OLD_STYLE = re.compile(r"(食药监|药监)械|字\d{4}第")
FIRST_YEAR = 2014            # the numbering above started with the 2014 rules
MAX_CATEGORY_CODE = 22       # subdirectories of the 2017 classification catalogue
VALIDITY_YEARS = 5
MAX_NUMBER_LENGTH = 40


@dataclass(frozen=True)
class Registration:
    number: str
    device_class: str            # I, II, III
    authority: str
    form: str                    # 准 / 进 / 许, or 备 for a class I filing
    year: int
    category_code: str | None
    serial: str
    filing: bool

    @property
    def imported(self) -> bool:
        return self.form in ("进", "许") or (self.filing and self.authority == "国")


def normalise(number: str) -> str:
    """Full-width digits and letters to ASCII, spaces removed (certificates are often typed with either)."""
    return "".join(unicodedata.normalize("NFKC", number or "").split())


def _fail(message: str, **params) -> ValidationFailed:
    return ValidationFailed(message, params=params, field="nmpa_certificate", code="nmpa_invalid")


def parse(number: str, device_class: str, today: date | None = None) -> Registration:
    """Check a certificate or filing number against the declared class; the error says what is wrong."""
    today = today or date.today()
    text = normalise(number)
    if device_class not in CLASSES:
        raise ValidationFailed(N_("the NMPA class must be I, II or III (got %(value)s)"),
                               params={"value": str(device_class)[:10]}, field="nmpa_class", code="nmpa_invalid")
    if not text:
        raise _fail(N_("give the NMPA registration certificate (or class I filing) number"))
    if len(text) > MAX_NUMBER_LENGTH:
        raise _fail(N_("the NMPA number is longer than %(max)s characters"), max=MAX_NUMBER_LENGTH)
    if OLD_STYLE.search(text):
        raise _fail(N_("%(number)s is numbered before the 2014 rules; such certificates have expired — give the "
                       "current certificate number"), number=text)
    if device_class == "I":
        return _parse_filing(text, today)
    return _parse_registration(text, device_class, today)


def _parse_filing(text: str, today: date) -> Registration:
    found = FILING.match(text)
    if found is None:
        raise _fail(N_("%(number)s is not a class I filing number (expected e.g. 京海械备20200012号)"), number=text)
    authority = found["authority"]
    if authority[0] not in PROVINCES + "国":
        raise _fail(N_("%(number)s: the filing authority %(authority)s is not a province or 国"),
                    number=text, authority=authority)
    year = _year(found["year"], text, today)
    return Registration(text, "I", authority, "备", year, None, found["serial"], filing=True)


def _parse_registration(text: str, device_class: str, today: date) -> Registration:
    found = REGISTRATION.match(text)
    if found is None:
        if "械备" in text:
            raise _fail(N_("%(number)s is a class I filing number; class %(klass)s devices need a registration "
                           "certificate (械注)"), number=text, klass=device_class)
        raise _fail(N_("%(number)s is not an NMPA registration number (expected e.g. 国械注准20233210123)"),
                    number=text)
    authority, form, digit = found["authority"], found["form"], found["klass"]
    if {"2": "II", "3": "III"}.get(digit) != device_class:
        raise _fail(N_("%(number)s is registered as class %(digit)s, but the product declares class %(klass)s"),
                    number=text, digit=digit, klass=device_class)
    if (device_class == "III" or form != "准") and authority != "国":
        raise _fail(N_("%(number)s: class III and imported devices are registered by the NMPA (国), not %(authority)s"),
                    number=text, authority=authority)
    if device_class == "II" and form == "准" and authority not in PROVINCES:
        raise _fail(N_("%(number)s: a domestic class II device is registered by a province, not %(authority)s"),
                    number=text, authority=authority)
    if not 1 <= int(found["code"]) <= MAX_CATEGORY_CODE:
        raise _fail(N_("%(number)s: category code %(code)s is not in the classification catalogue (01-22)"),
                    number=text, code=found["code"])
    year = _year(found["year"], text, today)
    return Registration(text, device_class, authority, form, year, found["code"], found["serial"], filing=False)


def _year(text: str, number: str, today: date) -> int:
    year = int(text)
    if not FIRST_YEAR <= year <= today.year:
        raise _fail(N_("%(number)s: the year %(year)s must be between %(first)s and this year"),
                    number=number, year=year, first=FIRST_YEAR)
    return year


def check_validity(registration: Registration, valid_from: date | None, valid_until: date | None,
                   today: date | None = None) -> None:
    """A registration certificate has a start, an end at most five years later, and must not have expired."""
    today = today or date.today()
    if registration.filing:
        if valid_until is not None and valid_until < today:
            raise ValidationFailed(N_("the NMPA filing %(number)s ended on %(date)s"),
                                   params={"number": registration.number, "date": valid_until.isoformat()},
                                   field="nmpa_valid_until", code="nmpa_expired")
        return
    if valid_from is None or valid_until is None:
        raise ValidationFailed(N_("give the registration certificate's validity (from and until)"),
                               field="nmpa_valid_until", code="nmpa_invalid")
    if valid_until <= valid_from:
        raise ValidationFailed(N_("the registration must end after it starts"), field="nmpa_valid_until",
                               code="nmpa_invalid")
    if valid_until < today:
        raise ValidationFailed(N_("the NMPA registration %(number)s expired on %(date)s"),
                               params={"number": registration.number, "date": valid_until.isoformat()},
                               field="nmpa_valid_until", code="nmpa_expired")
    if valid_from.year < registration.year:
        raise ValidationFailed(N_("%(number)s was first registered in %(year)s, after the validity start %(date)s"),
                               params={"number": registration.number, "year": registration.year,
                                       "date": valid_from.isoformat()}, field="nmpa_valid_from", code="nmpa_invalid")
    latest_end = _add_years(valid_from, VALIDITY_YEARS)
    if valid_until > latest_end:
        raise ValidationFailed(N_("a registration certificate is valid for at most %(years)s years (until %(date)s)"),
                               params={"years": VALIDITY_YEARS, "date": latest_end.isoformat()},
                               field="nmpa_valid_until", code="nmpa_invalid")


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def check(number: str, device_class: str, valid_from: date | None, valid_until: date | None,
          today: date | None = None) -> Registration:
    """Format and validity together (what a product's registration must pass to be certified)."""
    registration = parse(number, device_class, today)
    check_validity(registration, valid_from, valid_until, today)
    return registration
