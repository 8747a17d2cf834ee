"""Text de-identification for Chinese and English clinical notes.

    from yizhi.deid.text import detect, deidentify
    spans = detect(text, lang="auto")          # list[Span]: start, end, type, text, confidence, recognizer
    found = detect_many(texts, lang="auto")    # [detect(t) for t in texts], faster on a batch
    result = deidentify(text, policy="redact")  # result.text, result.spans (offsets into the ORIGINAL text)

Recall first (as Philter argues): a missed identifier is a privacy breach, a false positive only
costs a few words. Add recognizers with ``yizhi.deid.text.recognizers.register``.
"""

from __future__ import annotations

from yizhi.deid.text.pipeline import LANGUAGES, LanguageError, detect, detect_language, detect_many, resolve_language
from yizhi.deid.text.spans import PHI_TYPES, Span
from yizhi.deid.text.transform import POLICIES, DeidResult, PolicyError, apply_policy

__all__ = [
    "LANGUAGES", "PHI_TYPES", "POLICIES", "DeidResult", "LanguageError", "PolicyError", "Span",
    "deidentify", "detect", "detect_language", "detect_many",
]


def deidentify(
    text: str,
    lang: str = "auto",
    policy: str = "redact",
    key: bytes | None = None,
    patient_id: str | None = None,
) -> DeidResult:
    """Find identifiers and transform them.

    ``policy``: ``redact`` (type tags such as [姓名]/[NAME]), ``mask`` (one * per character) or
    ``surrogate`` (consistent fakes and date shifting derived from ``key``; without a key a random
    one is used, so surrogates are consistent only within this call). ``patient_id`` picks the
    per-patient date offset.
    """
    language = resolve_language(text, lang)
    spans = detect(text, language)
    return apply_policy(text, spans, language, policy, key, patient_id)
