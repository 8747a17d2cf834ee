r"""Ledger events as RFC 8785 canonical JSON, and the guard against personal data.

Canonicalisation is done by ``rfc8785`` (Trail of Bits, pure Python, maintained); we only build the
event object and check it. Because that package is pure Python (~150 µs an event), events without
floats and whose keys are all in the Basic Multilingual Plane take a fast path through the standard
``json`` encoder, whose output for exactly that subset is the RFC 8785 text (same escapes, lower-case
``\u00xx``, no ASCII escaping, and code-point key order equals UTF-16 order inside the BMP). A
hypothesis test holds the fast path byte-equal to ``rfc8785`` on random events. The log is permanent while people have a right to erasure, so an event
carries ids and content hashes only: keys that name personal fields, and values that look like an
e-mail address, a mainland mobile number or a resident ID number, are refused with the path to the
offending field.
"""

from __future__ import annotations

import json
import math
import re
from functools import lru_cache
from datetime import UTC, datetime
from typing import Any

import rfc8785

EVENT_FIELDS = ("kind", "time", "actor", "org", "subject", "data")

# Normalised (lower case, no "_", "-", " ") keys that hold personal data.
PERSONAL_KEYS = frozenset(
    {
        "email", "mail", "emailaddress", "name", "fullname", "firstname", "lastname", "givenname",
        "familyname", "surname", "displayname", "username", "phone", "phonenumber", "mobile",
        "telephone", "tel", "address", "homeaddress", "idcard", "idnumber", "nationalid", "ssn",
        "passport", "birthdate", "dateofbirth", "dob", "birthday", "password", "patientname",
        "姓名", "名字", "电话", "手机", "手机号", "身份证", "身份证号", "地址", "住址", "邮箱", "出生日期",
    }
)
PERSONAL_KEY_SUFFIXES = ("email", "phone", "mobile", "password", "idcard", "姓名", "电话", "手机", "身份证")

EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")
MOBILE_RE = re.compile(r"(\+?86[- ]?)?1[3-9]\d{9}")
RESIDENT_ID_RE = re.compile(r"\d{17}[\dXx]")
KIND_RE = re.compile(r"[a-z][a-z0-9_]*(\.[a-z0-9_]+)+")
MAX_EVENT_BYTES = 64 * 1024


class LedgerDataError(ValueError):
    """An event that may not be recorded; the message names the field."""


@lru_cache(maxsize=4096)
def _normalise_key(key: str) -> str:
    return re.sub(r"[\s_\-]", "", key).lower()


def _key_is_bmp(key: str) -> bool:
    return key.isascii() or not any(ord(ch) > 0xFFFF or 0xD800 <= ord(ch) <= 0xDFFF for ch in key)


def _check_value(value: Any, path: str) -> bool:
    """Refuse personal data and non-JSON values; True when the fast canonical path applies."""
    if isinstance(value, str):
        if (
            ("@" in value and EMAIL_RE.search(value))
            or (len(value) <= 24 and (MOBILE_RE.fullmatch(value.strip()) or RESIDENT_ID_RE.fullmatch(value.strip())))
        ):
            raise LedgerDataError(
                f"{path}: value looks like an e-mail address, phone or ID number; "
                "record an id or a content hash instead"
            )
        return True
    if isinstance(value, dict):
        fast = True
        for key, inner in value.items():
            if not isinstance(key, str):
                raise LedgerDataError(f"{path}: keys must be strings, got {type(key).__name__}")
            norm = _normalise_key(key)
            if norm in PERSONAL_KEYS or norm.endswith(PERSONAL_KEY_SUFFIXES):
                raise LedgerDataError(
                    f"{path}.{key}: looks like personal data; the ledger is permanent, "
                    "record an id or a content hash instead"
                )
            fast = _check_value(inner, f"{path}.{key}") and fast and _key_is_bmp(key)
        return fast
    if isinstance(value, list | tuple):
        fast = True
        for position, inner in enumerate(value):
            fast = _check_value(inner, f"{path}[{position}]") and fast
        return fast
    if isinstance(value, bool) or value is None:
        return True
    if isinstance(value, int):
        if abs(value) > 2**53 - 1:
            raise LedgerDataError(f"{path}: integer {value} is outside the JSON-safe range; use a string")
        return True
    if isinstance(value, float):
        if not math.isfinite(value):
            raise LedgerDataError(f"{path}: {value} is not a JSON number")
        return False
    raise LedgerDataError(f"{path}: {type(value).__name__} is not a JSON value")


def format_time(moment: datetime) -> str:
    """UTC, millisecond precision, RFC 3339 with a Z: stable text inside the hashed leaf."""
    if moment.tzinfo is None:
        raise LedgerDataError("time: naive datetime; give a timezone-aware UTC time")
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def build_event(
    kind: str,
    subject: str,
    data: dict[str, Any],
    *,
    time: datetime,
    actor: str | None = None,
    org: str | None = None,
) -> dict[str, Any]:
    """The event object that becomes a leaf, after checking every field."""
    if not isinstance(kind, str) or not KIND_RE.fullmatch(kind):
        raise LedgerDataError(f"kind: {kind!r} is not like 'org.created' (lower case, dotted)")
    if not isinstance(subject, str) or not subject.strip() or len(subject) > 200:
        raise LedgerDataError(f"subject: {subject!r} must be a non-empty string like 'org:3'")
    if not isinstance(data, dict):
        raise LedgerDataError(f"data: must be a JSON object, got {type(data).__name__}")
    for field, value in (("actor", actor), ("org", org)):
        if value is not None and (not isinstance(value, str) or len(value) > 200):
            raise LedgerDataError(f"{field}: must be an id or slug as a string, got {value!r}")
    _check_value({"subject": subject, "actor": actor, "org": org}, "event")
    _check_value(data, "data")
    return {
        "kind": kind,
        "time": format_time(time),
        "actor": actor,
        "org": org,
        "subject": subject,
        "data": data,
    }


def _fast_path_applies(value: Any) -> bool:
    """True when the json module's sorted compact output is the RFC 8785 text for ``value``."""
    if isinstance(value, dict):
        return all(_key_is_bmp(key) and _fast_path_applies(inner) for key, inner in value.items())
    if isinstance(value, list | tuple):
        return all(_fast_path_applies(inner) for inner in value)
    return not isinstance(value, float)


def canonical_bytes(event: dict[str, Any]) -> bytes:
    """RFC 8785 canonical JSON of ``event`` (the exact bytes that are hashed)."""
    try:
        if _fast_path_applies(event):  # (a cheap walk; build_event already checked the content)
            encoded = json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        else:
            encoded = rfc8785.dumps(event)
    except (rfc8785.CanonicalizationError, TypeError, ValueError, UnicodeEncodeError) as exc:
        raise LedgerDataError(f"event cannot be canonicalised: {exc}") from None
    if len(encoded) > MAX_EVENT_BYTES:
        raise LedgerDataError(f"event is {len(encoded)} bytes; the limit is {MAX_EVENT_BYTES}")
    return encoded
