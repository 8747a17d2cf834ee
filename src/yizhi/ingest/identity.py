"""One key per dataset: the patient's pseudonym and date shift, the same in every modality.

* pseudonym = ``"P"`` + 16 hex digits of HMAC(key, patient id) (``yizhi.deid.keys.derive``): the
  same patient id gives the same pseudonym in FHIR tables, notes, DICOM PatientID and CSV tables;
  another dataset (another key) gives another, so datasets cannot be joined on it.
* date shift = the text de-identifier's own per-patient shift (``Surrogates(key, ..., pseudonym)``),
  so a date written in a note moves exactly as the same date in a FHIR resource, a table column or a
  DICOM header. Structured dates are moved here with that number of days; note text goes through
  ``yizhi.deid.text`` with ``patient_id=pseudonym``, which picks the same shift.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

from yizhi.deid.keys import derive
from yizhi.ingest.known import scrub

# The text de-identifier (its recognizers, tagger and Faker) is imported where it is first used: a
# process that only pseudonymises (the planner) or only writes DICOM without descriptors should not
# pay its start-up.

SPAN_CACHE_SIZE = 50_000
SPAN_CACHE_TEXT = 200  # characters: longer texts (notes) rarely repeat
NO_PATIENT = "\x00no-patient"  # records that name no patient share one dataset-wide shift
_ISO_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(T.*)?")


class Identity:
    """Pseudonyms, date shifts and text cleaning under one dataset key (cheap to build)."""

    def __init__(self, key: bytes, text_policy: str = "surrogate", language: str = "auto",
                 known: dict[str, list[list[str]]] | None = None) -> None:
        if not isinstance(key, bytes) or len(key) < 16:
            raise ValueError("the dataset key must be at least 16 bytes")
        self.key = key
        self.text_policy = text_policy
        self.language = language
        self.known = known or {}  # pseudonym -> [[value, type]]: what the dataset says identifies them
        self._pseudonyms: dict[str, str] = {}
        self._shifts: dict[str, int] = {}
        self._span_cache: dict[str, list] = {}
        self._long: dict[str, list] = {}

    # ---- patients ---------------------------------------------------------------------------
    def pseudonym(self, patient_id: str) -> str:
        patient_id = str(patient_id).strip()
        found = self._pseudonyms.get(patient_id)
        if found is None:
            if len(self._pseudonyms) > 500_000:
                self._pseudonyms.clear()
            found = self._pseudonyms[patient_id] = "P" + derive(self.key, "ingest-patient", patient_id)[:8].hex().upper()
        return found

    def shift_days(self, pseudonym: str | None) -> int:
        """Days every date of this patient moves (the text de-identifier's shift for them)."""
        pseudonym = pseudonym or NO_PATIENT
        found = self._shifts.get(pseudonym)
        if found is None:
            if len(self._shifts) > 500_000:
                self._shifts.clear()
            from yizhi.deid.text.transform import Surrogates

            found = self._shifts[pseudonym] = Surrogates(self.key, "en", pseudonym).shift_days
        return found

    # ---- structured dates ----------------------------------------------------------------------
    def shift_iso(self, value: str, pseudonym: str | None) -> str | None:
        """A FHIR/ISO date, dateTime or instant moved by the patient's shift, same precision;
        None when it is not such a date."""
        return shift_iso(value, self.shift_days(pseudonym))

    def shift_any(self, value: str, pseudonym: str | None) -> str | None:
        """A date in any format the text de-identifier reads (ISO, 2024/3/5, 20240305, 2024年3月5日,
        March 5, 2024...), moved and written back in the same format; None when unreadable."""
        from yizhi.deid.text.transform import shift_date

        value = str(value).strip()
        days = self.shift_days(pseudonym)
        return shift_iso(value, days) or shift_date(value, days)

    # ---- free text ---------------------------------------------------------------------------
    def clean_texts(self, texts: list[str], pseudonyms: list[str | None]) -> list[str]:
        """Each text through the text de-identifier, dates shifted by its patient's shift."""
        out: list[str] = list(texts)
        todo = [i for i, text in enumerate(texts) if text and text.strip()]
        if not todo:
            return out
        from yizhi.deid.text.pipeline import resolve_language
        from yizhi.deid.text.transform import apply_policy

        batch = [texts[i] for i in todo]
        languages = [resolve_language(text, self.language) for text in batch]
        if self.known:
            batch = [self._scrub_known(text, pseudonyms[i], lang) for i, text, lang in zip(todo, batch, languages)]
        found = self._detect(batch)
        for i, text, lang, spans in zip(todo, batch, languages, found):
            out[i] = text
            if spans:
                out[i] = apply_policy(text, spans, lang, self.text_policy, self.key,
                                      pseudonyms[i] or NO_PATIENT).text
        return out

    def _detect(self, batch: list[str]) -> list:
        """detect_many, with the spans of short texts remembered: terminology strings (a lab's
        name, a dosage text) repeat in every resource, and the same text has the same spans."""
        cache = self._span_cache
        missing = list(dict.fromkeys(text for text in batch if text not in cache))
        if missing:
            if len(cache) > SPAN_CACHE_SIZE:
                cache.clear()
            from yizhi.deid.text import detect_many

            for text, spans in zip(missing, detect_many(missing, self.language)):
                if len(text) <= SPAN_CACHE_TEXT:
                    cache[text] = spans
                else:
                    self._long[text] = spans
        found = [cache[text] if text in cache else self._long[text] for text in batch]
        self._long.clear()
        return found

    def _scrub_known(self, text: str, pseudonym: str | None, lang: str) -> str:
        from yizhi.deid.text.transform import tag_for

        known = self.known.get(pseudonym or "")
        return scrub(text, known, lambda kind: tag_for(kind, lang)) if known else text

    def clean_text(self, text: str, pseudonym: str | None) -> str:
        return self.clean_texts([text], [pseudonym])[0]


def shift_iso(value: str, days: int) -> str | None:
    """``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD`` (optionally ``T...``) moved by ``days``, same precision.

    A year or a year-month has no day: the first day of the period moves, and the result keeps the
    source's precision.
    """
    match = _ISO_DATE.fullmatch(value)
    if not match:
        return None
    year, month, day, rest = match[1], match[2], match[3], match[4]
    if rest and not day:
        return None
    try:
        moved = dt.date(int(year), int(month or 1), int(day or 1)) + dt.timedelta(days=days)
    except (ValueError, OverflowError):
        return None
    if day:
        return moved.isoformat() + (rest or "")
    if month:
        return f"{moved.year:04d}-{moved.month:02d}"
    return f"{moved.year:04d}"


def birth_year(value: str, days: int, reference_year: int, max_age: int) -> str | None:
    """A birth date reduced to its (shifted) year; years implying an age above ``max_age`` at
    ``reference_year`` become the year of age max_age + 1 (Safe Harbor's "90 or older")."""
    shifted = shift_iso(value, days)
    if shifted is None:
        return None
    year = int(shifted[:4])
    oldest = reference_year - (max_age + 1)
    return str(max(year, oldest))


def top_code_age(value, max_age: int):
    """Ages above ``max_age`` become max_age + 1; other values unchanged."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return value
    if number > max_age:
        return type(value)(max_age + 1) if isinstance(value, (int, float)) else str(max_age + 1)
    return value


def truncate_postcode(value, digits: int):
    if value is None:
        return None
    text = str(value).strip()
    return text[:digits] if digits else None


@lru_cache(maxsize=8)
def identity_for(key: bytes, text_policy: str, language: str) -> Identity:
    """One Identity per worker process and key (it caches pseudonyms and shifts)."""
    return Identity(key, text_policy, language)
