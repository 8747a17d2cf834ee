"""Disclosure control for what public pages show about a dataset.

Counts under 10 are shown as "<10"; ages are widened to 5-year bounds; sizes become buckets.
Public pages never show a table's values, ranges or distinct counts. Pure functions.
"""

from __future__ import annotations

SMALL = 10
SIZE_BUCKETS = ((1_000, "<1k"), (10_000, "1k–10k"), (100_000, "10k–100k"), (1_000_000, "100k–1M"))


def count(value) -> str:
    """A count safe to publish: '<10' below the threshold, the number otherwise."""
    if value is None:
        return ""
    number = int(value)
    return f"<{SMALL}" if number < SMALL else str(number)


def size_bucket(records) -> str:
    if records is None:
        return ""
    for limit, label in SIZE_BUCKETS:
        if int(records) < limit:
            return label
    return "≥1M"


def age_bounds(low, high) -> tuple[int, int] | None:
    """The typical age range widened to multiples of 5 (HealthDCAT-AP asks for an approximate range)."""
    if low is None or high is None:
        return None
    return (int(low) // 5) * 5, -(-int(high) // 5) * 5


def public_tables(tables: dict) -> list[dict]:
    """Table names, column names and types, and row counts after control — nothing from the values."""
    return [{"table": name, "rows": count(info.get("rows")), "columns": dict(info.get("columns") or {})}
            for name, info in sorted((tables or {}).items())]


def public_card(card: dict) -> dict:
    """The card with its counts controlled and its age range widened."""
    shown = dict(card)
    for key in ("number_of_records", "number_of_unique_individuals"):
        if key in shown and shown[key] is not None:
            shown[key] = count(shown[key])
    bounds = age_bounds(card.get("min_typical_age"), card.get("max_typical_age"))
    if bounds:
        shown["min_typical_age"], shown["max_typical_age"] = bounds
    shown.pop("quality_annotation", None)  # written for the owner; holds exact per-table counts
    return shown
