"""getReferenceKey: the id part of references (shared by the fhirpathpy functions and the fast path)."""

from __future__ import annotations


def reference_key(inputs, wanted: str | None = None) -> list[str]:
    """Ids of ``Type/id`` references (``.../Type/id/_history/v`` too), only of type ``wanted`` if given."""
    keys = []
    for item in inputs:
        reference = item.get("reference") if isinstance(item, dict) else None
        if not isinstance(reference, str) or "/" not in reference:
            continue
        parts = reference.split("/")
        kind, key = (parts[-4], parts[-3]) if len(parts) >= 4 and parts[-2] == "_history" else (parts[-2], parts[-1])
        if wanted is None or kind == wanted:
            keys.append(key)
    return keys
