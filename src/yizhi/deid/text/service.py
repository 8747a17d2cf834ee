"""The rules of the text de-identification tool as the web uses it (no HTTP here).

A pasted note is processed in memory and never stored or logged: nothing about it reaches the
database or the ledger. Only people acting for an approved organisation may use the tool.
"""

from __future__ import annotations

from yizhi.accounts.permissions import active_orgs, is_platform_admin, rule
from yizhi.deid.text import LANGUAGES, POLICIES, DeidResult, deidentify
from yizhi.errors import N_, PayloadTooLarge, ValidationFailed

MAX_TEXT_BYTES = 1024 * 1024  # 1 MB, the API's documented limit
FORM_OVERHEAD_BYTES = 64 * 1024  # a page's form: multipart boundaries and the small fields beside the note or file


@rule("deid.text.use")
def _may_use(person, _obj=None) -> bool:
    return is_platform_admin(person) or bool(active_orgs(person))


def check_size(size: int) -> None:
    if size > MAX_TEXT_BYTES:
        raise PayloadTooLarge(N_("the note is %(size)s bytes; at most %(limit)s bytes (1 MB) are accepted"),
                              params={"size": f"{size:,}", "limit": f"{MAX_TEXT_BYTES:,}"})


def run(text: str, lang: str = "auto", policy: str = "redact", patient_id: str | None = None) -> DeidResult:
    """De-identify one note; surrogates use the deployment key so they match the CLI's."""
    if not isinstance(text, str):
        raise ValidationFailed(N_("`text` must be a string"), field="text")
    check_size(len(text.encode("utf-8")))
    if lang not in LANGUAGES:
        raise ValidationFailed(N_("`lang` must be one of %(choices)s"), params={"choices": ", ".join(LANGUAGES)}, field="lang")
    if policy not in POLICIES:
        raise ValidationFailed(N_("`policy` must be one of %(choices)s"), params={"choices": ", ".join(POLICIES)}, field="policy")
    key = None
    if policy == "surrogate":
        from yizhi.deid.keys import load_key

        key = load_key()
    return deidentify(text, lang=lang, policy=policy, key=key, patient_id=patient_id)


def segments(text: str, spans) -> list[dict]:
    """The original text cut into plain and identifier pieces, for highlighting without raw HTML."""
    pieces = []
    cursor = 0
    for span in spans:
        if span.start > cursor:
            pieces.append({"text": text[cursor : span.start], "type": None})
        pieces.append({"text": text[span.start : span.end], "type": span.type,
                       "confidence": round(span.confidence, 2), "recognizer": span.recognizer})
        cursor = span.end
    if cursor < len(text):
        pieces.append({"text": text[cursor:], "type": None})
    return pieces


MAX_GOLD_BYTES = 20 * 1024 * 1024  # a gold file from the page: a few hundred notes fit in far less


def evaluate_upload(stream, lang: str = "auto") -> dict:
    """Store an uploaded gold file (nothing lost: it is kept by its hash), then score the de-identifier
    on it. The report carries the misses with their context (the uploader's own notes)."""
    from yizhi import storage
    from yizhi.deid.text.evaluate import evaluate, read_gold

    digest, _size = storage.put_stream(stream, max_bytes=MAX_GOLD_BYTES)
    with storage.open_file(digest) as handle:
        documents = read_gold(handle, max_bytes=MAX_GOLD_BYTES)
    report = evaluate(documents, lang)
    report["sha256"] = digest
    return report
