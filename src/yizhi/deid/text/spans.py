"""Spans: what a recognizer found, and how overlapping findings become one answer.

Offsets are Python string indices (code points) into the ORIGINAL text, end exclusive.

Speed: every finding becomes a Span, so ``make_span`` fills a Span's slots directly (``_filled_span``)
rather than through the frozen dataclass's ``__init__``: the same object, in half the time.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from operator import attrgetter

# Canonical PHI types with their redaction tags. The English code is what the API and the output
# JSON carry; the tags are what `redact` writes into the text, in the note's own language.
PHI_TYPES: dict[str, tuple[str, str]] = {
    "NAME": ("姓名", "NAME"),
    "ID_NUMBER": ("证件号", "ID"),
    "PHONE": ("电话", "PHONE"),
    "EMAIL": ("邮箱", "EMAIL"),
    "URL": ("网址", "URL"),
    "IP_ADDRESS": ("IP地址", "IP"),
    "SOCIAL_ID": ("社交账号", "SOCIAL_ID"),
    "BANK_CARD": ("银行卡号", "ACCOUNT"),
    "PLATE": ("车牌号", "PLATE"),
    "DEVICE_ID": ("设备号", "DEVICE_ID"),
    "RECORD_NUMBER": ("病历号", "RECORD_NUMBER"),
    "ADDRESS": ("地址", "ADDRESS"),
    "ZIP": ("邮编", "ZIP"),
    "LOCATION": ("地点", "LOCATION"),
    "ORGANIZATION": ("机构", "ORGANIZATION"),
    "DATE": ("日期", "DATE"),
    "AGE": ("年龄", "AGE"),
}

# When two findings overlap, the more specific type wins the shared characters. A record number
# that looks like a date (住院号 20240305) must stay a record number, an address swallows the
# places inside it, and a name is more specific than the organisation LAC guessed around it.
TYPE_PRIORITY: dict[str, int] = {
    "RECORD_NUMBER": 100,
    "ID_NUMBER": 95,
    "BANK_CARD": 90,
    "EMAIL": 88,
    "URL": 87,
    "IP_ADDRESS": 86,
    "SOCIAL_ID": 85,
    "PHONE": 80,
    "PLATE": 78,
    "DEVICE_ID": 76,
    "ZIP": 70,
    "DATE": 65,
    "AGE": 60,
    "ADDRESS": 55,
    "NAME": 50,
    "ORGANIZATION": 45,
    "LOCATION": 40,
}


@dataclass(frozen=True, slots=True)
class Span:
    """One identifier found in a text."""

    start: int
    end: int
    type: str
    text: str
    confidence: float
    recognizer: str

    def to_dict(self) -> dict:
        return asdict(self)

    def public(self) -> dict:
        """The four fields the output file carries."""
        return {"start": self.start, "end": self.end, "type": self.type, "text": self.text}


def _filled_span(start: int, end: int, type_: str, text: str, confidence: float, recognizer: str) -> Span:
    """``Span(start, end, type_, text, confidence, recognizer)``, made twice as fast: a frozen dataclass's
    ``__init__`` sets each field through ``object.__setattr__``; here the slots are filled directly.
    (Recognizers make a span per finding, so this is on every note's path.)"""
    span = _NEW(Span)
    _SET_START(span, start)
    _SET_END(span, end)
    _SET_TYPE(span, type_)
    _SET_TEXT(span, text)
    _SET_CONFIDENCE(span, confidence)
    _SET_RECOGNIZER(span, recognizer)
    return span


_NEW = object.__new__
_SET_START, _SET_END, _SET_TYPE, _SET_TEXT, _SET_CONFIDENCE, _SET_RECOGNIZER = (
    Span.__dict__[name].__set__ for name in ("start", "end", "type", "text", "confidence", "recognizer"))


def make_span(text: str, start: int, end: int, type_: str, confidence: float, recognizer: str) -> Span | None:
    """A span with surrounding whitespace trimmed; None when nothing is left."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start >= end:
        return None
    return _filled_span(start, end, type_, text[start:end], confidence, recognizer)


def resolve_overlaps(text: str, spans: list[Span]) -> list[Span]:
    """Turn overlapping findings into non-overlapping spans, losing no covered character.

    Recall first: every character any recognizer flagged stays flagged. Overlapping spans merge into
    one, typed by the highest-priority type among them (ties: the longer span, then confidence).
    """
    if not spans:
        return []
    # By start, the longer first (two stable sorts on one attribute each: the same order as the key
    # (start, -end), without a Python key function per span).
    ordered = sorted(sorted(spans, key=_END, reverse=True), key=_START)
    resolved: list[Span] = []
    group = [ordered[0]]
    group_end = ordered[0].end
    for span in ordered[1:]:
        if span.start < group_end:
            group.append(span)
            if span.end > group_end:
                group_end = span.end
        else:
            resolved.append(group[0] if len(group) == 1 else _merge_group(text, group, group_end))
            group = [span]
            group_end = span.end
    resolved.append(group[0] if len(group) == 1 else _merge_group(text, group, group_end))
    return resolved


def _merge_group(text: str, group: list[Span], end: int) -> Span:
    """One span over ``group`` (sorted by start, overlapping, ending at ``end``)."""
    start = group[0].start
    best = max(group, key=_type_rank)
    names = set(map(_RECOGNIZER, group))
    recognizers = "+".join(sorted(names)) if len(names) > 1 else group[0].recognizer
    confidence = max(map(_CONFIDENCE, group))
    return _filled_span(start, end, best.type, text[start:end], confidence, recognizers)


_START, _END, _RECOGNIZER, _CONFIDENCE = (attrgetter(name) for name in ("start", "end", "recognizer", "confidence"))


def _type_rank(span: Span) -> tuple:
    # Low-confidence fallbacks (a bare long number) never out-type a confident finding.
    return span.confidence >= 0.6, TYPE_PRIORITY.get(span.type, 0), span.end - span.start, span.confidence
