"""Per-grant pseudonyms for extracts: the pseudonym columns of a dataset version are re-keyed with
an HMAC under a key of the grant's own, so two grantees' extracts of the same version cannot be
joined on them, and a leaked file tells the platform which grant it came from.

Pure: no database, no web. Arrow arrays are dictionary-encoded first, so each distinct pseudonym
is hashed once however many rows repeat it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

import pyarrow as pa
import pyarrow.compute as pc

# Column names that hold a patient's (or visit's) pseudonym when the card does not list them.
CONVENTIONAL = frozenset({
    "patient", "patient_id", "patientid", "person_id", "subject", "subject_id", "pseudonym", "pid", "mrn",
    "encounter_id", "visit_id", "admission_id", "study_subject",
})


def grant_key(platform_key: bytes, grant_id: int, salt: str) -> bytes:
    """The grant's extract key: derived, never stored, never shown to the grantee."""
    return hmac.new(platform_key, f"yizhi-extract\x1f{grant_id}\x1f{salt}".encode(), hashlib.sha256).digest()


def rekey_value(key: bytes, value: str) -> str:
    digest = hmac.new(key, f"pseudonym\x1f{value}".encode(), hashlib.sha256).digest()
    return "X" + base64.b32encode(digest[:15]).decode().lower()


def rekey_array(key: bytes, array: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Every value replaced by its per-grant pseudonym (as text); nulls stay null."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    encoded = pc.dictionary_encode(array.cast(pa.string()))
    replaced = pa.array([rekey_value(key, v) for v in encoded.dictionary.to_pylist()], type=pa.string())
    return replaced.take(encoded.indices)


def watermark(key: bytes) -> str:
    """A tag for the file's metadata (the pseudonyms are the watermark that survives stripping it)."""
    return hmac.new(key, b"watermark", hashlib.sha256).hexdigest()[:32]


def pseudonym_columns(card: dict | None, table: str, columns: list[str]) -> list[str]:
    """The columns of ``table`` that hold pseudonyms: as the version's card lists them
    (``pseudonym_columns``: a list for every table, or ``{table: [...]}``), else by name."""
    listed = (card or {}).get("pseudonym_columns")
    if isinstance(listed, dict):
        wanted = set(listed.get(table) or [])
    elif isinstance(listed, list):
        wanted = set(listed)
    else:
        wanted = {c for c in columns if c.lower() in CONVENTIONAL}
    return [c for c in columns if c in wanted]
