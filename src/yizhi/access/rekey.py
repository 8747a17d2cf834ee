"""Per-grant pseudonyms for extracts: the pseudonym columns of a dataset version are re-keyed with
an HMAC under a key of the grant's own, so two grantees' extracts of the same version cannot be
joined on them, and a leaked file tells the platform which grant it came from.

Pure: no database, no web. Arrow arrays are dictionary-encoded first, so each distinct pseudonym
is hashed once however many rows repeat it.
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

# Column names that hold a patient's (or visit's) pseudonym when the card does not list them.
CONVENTIONAL = frozenset({
    "patient", "patient_id", "patientid", "person_id", "subject", "subject_id", "pseudonym", "pid", "mrn",
    "encounter_id", "visit_id", "admission_id", "study_subject",
})


def grant_key(platform_key: bytes, grant_id: int, salt: str) -> bytes:
    """The grant's extract key: derived, never stored, never shown to the grantee."""
    return hmac.new(platform_key, f"yizhi-extract\x1f{grant_id}\x1f{salt}".encode(), hashlib.sha256).digest()


def rekey_value(key: bytes, value: str) -> str:
    """``X`` + 96 bits of HMAC-SHA256 in hex (OpenSSL's one-shot ``hmac.digest``: the fast path)."""
    return "X" + hmac.digest(key, f"pseudonym\x1f{value}".encode(), "sha256")[:12].hex()


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


def write_rekeyed(source: Path, target: Path, columns: list[str], rekeyed: set[str], key: bytes,
                  metadata: dict[str, str], batch_rows: int) -> int:
    """Copy ``columns`` of the Parquet file ``source`` to ``target`` in batches of ``batch_rows``,
    the ``rekeyed`` ones replaced by per-grant pseudonyms; the rows written."""
    parquet = pq.ParquetFile(source)
    fields = [pa.field(c, pa.string()) if c in rekeyed else parquet.schema_arrow.field(c) for c in columns]
    schema = pa.schema(fields).with_metadata({**metadata, "yizhi.watermark": watermark(key),
                                              "yizhi.rekeyed": ",".join(sorted(rekeyed))})
    rows = 0
    with pq.ParquetWriter(target, schema) as writer:
        for batch in parquet.iter_batches(batch_size=batch_rows, columns=columns):
            arrays = [rekey_array(key, batch.column(c)) if c in rekeyed else batch.column(c) for c in columns]
            writer.write_batch(pa.record_batch(arrays, schema=schema))
            rows += batch.num_rows
        if rows == 0:
            writer.write_table(schema.empty_table())
    return rows
