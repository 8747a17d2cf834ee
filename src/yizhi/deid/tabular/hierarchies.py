"""Generalization hierarchies: one per quasi-identifier, level 0 = the original value.

A hierarchy is materialised over its *domain* (the rows of an ARX hierarchy file, or the distinct
values of the column for generated hierarchies) as one integer code per domain value and level.
Everything the search needs is precomputed here once, as numpy arrays indexed by code:

* ``value_codes[level]``: code at ``level`` of each distinct value that occurs in the data;
* ``labels[level]``: the text written to the output for each code;
* ``shares[level]``: ARX's *domain share* of each generalized value — how many domain values it
  covers divided by the domain size (used by the Loss metric);
* ``ncp[level]``: the Normalized Certainty Penalty of each generalized value (Xu et al. 2006):
  covered numeric range / full range for numeric hierarchies, covered values / domain size for
  categorical ones, 0 for original values.

Full-domain generalization is only monotone when each level is a function of the level below it
(a tree), so every builder checks that and names the offending label if not.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np

from yizhi.deid.tabular.errors import ConfigError, DataError

SUPPRESSED = "*"
DATE_UNITS = ("month", "quarter", "half", "year", "decade")
_INTEGER = re.compile(r"^[+-]?\d+$")


@dataclass
class Hierarchy:
    attribute: str
    kind: str
    value_codes: list[np.ndarray]
    labels: list[np.ndarray]
    shares: list[np.ndarray]
    ncp: list[np.ndarray]
    domain_size: int
    _domain_codes: list[np.ndarray] = field(repr=False, default_factory=list)
    _up_cache: dict[tuple[int, int], np.ndarray] = field(repr=False, default_factory=dict)

    @property
    def height(self) -> int:
        """Highest level (level 0 is the original value)."""
        return len(self.labels) - 1

    def cardinality(self, level: int) -> int:
        return len(self.labels[level])

    def up(self, from_level: int, to_level: int) -> np.ndarray:
        """Array mapping a code at ``from_level`` to its generalization at ``to_level``."""
        key = (from_level, to_level)
        cached = self._up_cache.get(key)
        if cached is None:
            cached = np.zeros(self.cardinality(from_level), dtype=np.int64)
            cached[self._domain_codes[from_level]] = self._domain_codes[to_level]
            self._up_cache[key] = cached
        return cached


Locate = Callable[[int], str]


def _no_location(_: int) -> str:
    return ""


def build_hierarchy(
    attribute: str,
    spec: dict,
    values: np.ndarray,
    base_dir: Path | None = None,
    locate: Locate = _no_location,
) -> Hierarchy:
    """Build the hierarchy of ``attribute`` from its config ``spec`` for the distinct ``values``.

    ``locate(i)`` describes where distinct value ``i`` first occurs (e.g. "row 17"), for errors.
    """
    values = np.asarray(values, dtype=object)
    if "hierarchy" in spec:
        path = Path(spec["hierarchy"])
        if base_dir is not None and not path.is_absolute():
            path = base_dir / path
        columns = read_hierarchy_file(path, attribute)
        domain_rows = _locate_in_domain(attribute, columns[0], values, path, locate)
        return _materialise(attribute, "file", columns, domain_rows, numeric=None, source=str(path))
    if "intervals" in spec:
        return _interval_hierarchy(attribute, list(spec["intervals"]), values, locate)
    if "mask" in spec:
        return _mask_hierarchy(attribute, int(spec["mask"]), values)
    if "dates" in spec:
        return _date_hierarchy(attribute, list(spec["dates"]), values, locate)
    return _materialise(
        attribute, "flat", [values, np.full(len(values), SUPPRESSED, dtype=object)],
        np.arange(len(values)), numeric=None,
    )


def read_hierarchy_file(path: Path, attribute: str) -> list[np.ndarray]:
    """Read an ARX hierarchy file (';'-separated, one row per original value, level 0 first)."""
    if not path.is_file():
        raise ConfigError(f"quasi_identifiers.{attribute}.hierarchy: file not found: {path}")
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = [row for row in csv.reader(handle, delimiter=";")]
    except (UnicodeDecodeError, csv.Error) as exc:
        raise DataError(f"hierarchy file {path}: cannot be read as UTF-8 ';'-separated text ({exc})") from None
    rows_with_lines = [(line, row) for line, row in enumerate(rows, start=1) if row and any(cell for cell in row)]
    if not rows_with_lines:
        raise DataError(f"hierarchy file {path} for column '{attribute}' is empty")
    width = len(rows_with_lines[0][1])
    seen: dict[str, int] = {}
    for line, row in rows_with_lines:
        if len(row) != width:
            raise DataError(
                f"hierarchy file {path}, line {line}: {len(row)} levels, but line "
                f"{rows_with_lines[0][0]} has {width}; every row needs the same number of levels"
            )
        if row[0] in seen:
            raise DataError(
                f"hierarchy file {path}, line {line}: value '{row[0]}' already defined on line {seen[row[0]]}"
            )
        seen[row[0]] = line
    matrix = np.array([row for _, row in rows_with_lines], dtype=object)
    return [matrix[:, level] for level in range(width)]


def _locate_in_domain(
    attribute: str, domain_values: np.ndarray, values: np.ndarray, path: Path, locate: Locate
) -> np.ndarray:
    position = {value: index for index, value in enumerate(domain_values.tolist())}
    rows = np.empty(len(values), dtype=np.int64)
    for index, value in enumerate(values.tolist()):
        row = position.get(value)
        if row is None:
            where = locate(index)
            raise DataError(
                f"column '{attribute}': value '{value}'{(' (' + where + ')') if where else ''} "
                f"is absent from level 0 of hierarchy file {path}"
            )
        rows[index] = row
    return rows


def _materialise(
    attribute: str,
    kind: str,
    columns: list[np.ndarray],
    domain_rows: np.ndarray,
    numeric: np.ndarray | None,
    source: str = "",
) -> Hierarchy:
    """Encode per-level label columns over the domain and derive shares, NCP and tree checks."""
    domain_size = len(columns[0])
    labels, domain_codes, shares, ncps = [], [], [], []
    for level, column in enumerate(columns):
        level_labels, codes = np.unique(column.astype(str), return_inverse=True)
        codes = codes.astype(np.int64)
        covered = np.bincount(codes, minlength=len(level_labels))
        labels.append(level_labels.astype(object))
        domain_codes.append(codes)
        shares.append(covered / domain_size)
        ncps.append(_ncp(level, codes, covered, domain_size, numeric))
    for level in range(len(columns) - 1):
        _check_tree(attribute, source, level, labels, domain_codes)
    value_codes = [codes[domain_rows] for codes in domain_codes]
    return Hierarchy(attribute, kind, value_codes, labels, shares, ncps, domain_size, domain_codes)


def _ncp(level: int, codes: np.ndarray, covered: np.ndarray, domain_size: int, numeric: np.ndarray | None) -> np.ndarray:
    if level == 0:
        return np.zeros(len(covered))
    if numeric is None:
        return covered / domain_size
    span = float(numeric.max() - numeric.min()) if len(numeric) else 0.0
    lows = np.full(len(covered), np.inf)
    highs = np.full(len(covered), -np.inf)
    np.minimum.at(lows, codes, numeric)
    np.maximum.at(highs, codes, numeric)
    return (highs - lows) / span if span > 0 else np.zeros(len(covered))


def _check_tree(attribute: str, source: str, level: int, labels: list, domain_codes: list) -> None:
    lower, upper = domain_codes[level], domain_codes[level + 1]
    pairs = np.unique(np.stack([lower, upper], axis=1), axis=0)
    if len(pairs) == len(labels[level]):
        return
    codes, counts = np.unique(pairs[:, 0], return_counts=True)
    bad = codes[counts > 1][0]
    parents = sorted(labels[level + 1][pairs[pairs[:, 0] == bad][:, 1]].tolist())
    where = f" in {source}" if source else ""
    raise DataError(
        f"hierarchy of column '{attribute}'{where}: level {level} value '{labels[level][bad]}' generalizes "
        f"to more than one level-{level + 1} value ({', '.join(map(repr, parents[:3]))}); "
        "each level must be a coarsening of the one below"
    )


def _parse_numbers(attribute: str, values: np.ndarray, locate: Locate) -> np.ndarray:
    numbers = np.empty(len(values))
    for index, value in enumerate(values.tolist()):
        try:
            number = float(str(value).strip())
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            where = locate(index)
            raise DataError(
                f"column '{attribute}': value '{value}'{(' (' + where + ')') if where else ''} is not a number, "
                "but the column is generalized with intervals"
            )
        numbers[index] = number
    return numbers


def _interval_hierarchy(attribute: str, widths: list, values: np.ndarray, locate: Locate) -> Hierarchy:
    if not widths:
        raise ConfigError(f"quasi_identifiers.{attribute}.intervals: give at least one width")
    for position, width in enumerate(widths):
        if not isinstance(width, int | float) or isinstance(width, bool) or width <= 0:
            raise ConfigError(f"quasi_identifiers.{attribute}.intervals[{position}]: width {width!r} must be a positive number")
        if position and not _is_multiple(width, widths[position - 1]):
            raise ConfigError(
                f"quasi_identifiers.{attribute}.intervals: width {width:g} is not a multiple of {widths[position - 1]:g}; "
                "each level must merge whole intervals of the level below"
            )
    numbers = _parse_numbers(attribute, values, locate)
    integral = all(_INTEGER.match(str(value).strip()) for value in values.tolist()) and all(
        float(width).is_integer() for width in widths
    )
    columns = [values]
    for width in widths:
        lows = np.floor(numbers / width) * width
        if integral:
            column = [f"{int(low)}-{int(low + width - 1)}" for low in lows]
        else:
            column = [f"[{low:g}, {low + width:g})" for low in lows]
        columns.append(np.array(column, dtype=object))
    columns.append(np.full(len(values), SUPPRESSED, dtype=object))
    return _materialise(attribute, "intervals", columns, np.arange(len(values)), numeric=numbers)


def _is_multiple(width: float, previous: float) -> bool:
    ratio = width / previous
    return ratio >= 1 and abs(ratio - round(ratio)) < 1e-9


def _mask_hierarchy(attribute: str, characters: int, values: np.ndarray) -> Hierarchy:
    if characters < 1:
        raise ConfigError(f"quasi_identifiers.{attribute}.mask: {characters} must be at least 1")
    texts = [str(value) for value in values.tolist()]
    columns = [values]
    for masked in range(1, characters + 1):
        column = [text[: max(len(text) - masked, 0)] + "*" * min(masked, len(text)) for text in texts]
        columns.append(np.array(column, dtype=object))
    columns.append(np.full(len(values), SUPPRESSED, dtype=object))
    return _materialise(attribute, "mask", columns, np.arange(len(values)), numeric=None)


def _date_label(moment: datetime, unit: str) -> str:
    if unit == "month":
        return f"{moment.year:04d}-{moment.month:02d}"
    if unit == "quarter":
        return f"{moment.year:04d}-Q{(moment.month - 1) // 3 + 1}"
    if unit == "half":
        return f"{moment.year:04d}-H{(moment.month - 1) // 6 + 1}"
    if unit == "year":
        return f"{moment.year:04d}"
    return f"{moment.year // 10 * 10:04d}s"


def _date_hierarchy(attribute: str, units: list, values: np.ndarray, locate: Locate) -> Hierarchy:
    if not units:
        raise ConfigError(f"quasi_identifiers.{attribute}.dates: give at least one of {', '.join(DATE_UNITS)}")
    order = []
    for unit in units:
        if unit not in DATE_UNITS:
            raise ConfigError(
                f"quasi_identifiers.{attribute}.dates: unknown unit {unit!r}; use {', '.join(DATE_UNITS)}"
            )
        order.append(DATE_UNITS.index(unit))
    if order != sorted(set(order)):
        raise ConfigError(
            f"quasi_identifiers.{attribute}.dates: units must go from fine to coarse without repeats "
            f"({' < '.join(DATE_UNITS)}), got {units}"
        )
    moments = []
    for index, value in enumerate(values.tolist()):
        try:
            moments.append(datetime.fromisoformat(str(value).strip().replace("/", "-")))
        except ValueError:
            where = locate(index)
            raise DataError(
                f"column '{attribute}': value '{value}'{(' (' + where + ')') if where else ''} is not an ISO date "
                "(YYYY-MM-DD), but the column is generalized by dates"
            ) from None
    columns = [values]
    for unit in units:
        columns.append(np.array([_date_label(moment, unit) for moment in moments], dtype=object))
    columns.append(np.full(len(values), SUPPRESSED, dtype=object))
    days = np.array([moment.toordinal() for moment in moments], dtype=float)
    return _materialise(attribute, "dates", columns, np.arange(len(values)), numeric=days)
