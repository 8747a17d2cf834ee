"""Statistical disclosure control rules, and an output checker for aggregate tables.

The defaults are the UK output-checking rules as ACRO (the SACRO project's checker) and the
SDC handbook of the UK Data Service ship them: a minimum of 10 units in any cell or group, at least 10
residual degrees of freedom for a model, the (n=2, k=90%) dominance rule and the p-ratio (p%) rule at
10% for magnitude tables, no minimum or maximum of a group below the threshold, and optional rounding
of counts. A dataset's owning hospital may tighten or loosen them for its datasets
(:func:`rules_for` reads its settings; the settings page and API write them).

:func:`check_table` is the checker Tier B's airlock runs on a table a job wants to release (and Tier A
uses on its own results in tests). What it judges, exactly:

* **count columns** — a column named ``n``, ``count``, ``counts``, ``freq``, ``frequency``, or a name
  beginning ``n_``/``count_``/``num_`` or ending ``_n``/``_count``/``_freq``; or named in the table's
  declaration (below). If a table has none of these, every integer column whose values are all ≥ 0 is
  read as a frequency column (a table of keys and whole numbers is taken to be a frequency table) except
  declared keys. A value ``0 < v < min_count`` is a problem; so is a value that is not a multiple of
  ``round_to`` when the owner asked for rounding. Nulls are taken as suppressed.
* **magnitude columns** that *declare their contributors*: for a column ``M``, companion columns
  ``M__contributors`` (units contributing to the cell), ``M__top1`` … ``M__topN`` (the N largest
  absolute contributions, N = dominance_n). A cell fails when it has fewer than ``min_count``
  contributors, when its N largest contributions exceed ``dominance_k`` of the cell's total of absolute
  contributions (taken as ``|M|`` unless ``M__abs_total`` is given), or when the total less the two
  largest is below ``p_ratio`` × the largest (the second-largest contributor could estimate the largest
  within p%).
* **degrees of freedom** — a column ``df``, ``df_resid``, ``dof`` or ``residual_df`` below ``min_df``.
* **extremes** — a column whose name begins ``min``/``max`` in a table with no count column to say how
  many units the row covers.
* **identifiers** — a column named ``patient`` (row-level pseudonyms never leave the space).

What it cannot judge: magnitude columns without declared contributors (a mean, a sum or a ratio is
taken as it is); whether a suppressed cell can be derived from other cells or margins of the same table
(it does not know the table's structure — Tier A's own tables are protected by :mod:`.suppression`);
differences between this table and earlier releases; free text; values that identify through
knowledge outside the table. Those stay with the human checkers of the airlock.

Declaration: an Arrow schema's metadata key ``yizhi.disclosure`` (or a pandas ``DataFrame.attrs``
entry of that name) holding ``{"counts": [..], "keys": [..]}``.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass, fields

DECLARATION_KEY = "yizhi.disclosure"
_COUNT_NAME = re.compile(r"^(n|count|counts|freq|frequency)$|^(n|count|num)_|_(n|count|freq)$", re.IGNORECASE)
_DF_NAME = re.compile(r"^(df|df_resid|dof|residual_df)$", re.IGNORECASE)
_EXTREME_NAME = re.compile(r"^(min|max)", re.IGNORECASE)


@dataclass
class DisclosureRules:
    """The output rules of one dataset (its owner's settings or these defaults)."""

    min_count: int = 10        # minimum units in a cell or group
    min_df: int = 10           # minimum residual degrees of freedom of a model
    dominance_n: int = 2       # (n, k) dominance: the n largest contributors ...
    dominance_k: float = 0.9   # ... may not make up more than k of a cell's total
    p_ratio: float = 0.10      # p% rule: the rest must exceed p × the largest contribution
    round_to: int | None = None  # round released counts to a multiple of this (e.g. 5); None: no rounding

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> DisclosureRules:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in (values or {}).items() if k in known})


def rules_for(session, version) -> DisclosureRules:
    """The rules of ``version``'s dataset: its owner's settings, or the defaults."""
    from yizhi.space.query_models import DatasetRules

    row = session.get(DatasetRules, version.dataset_id)
    return row.rules() if row is not None else DisclosureRules()


# --- rules applied to Tier A's own results -------------------------------------------------------

def small_count(value: float | int | None, rules: DisclosureRules) -> bool:
    """A count the threshold forbids: 0 < value < min_count (zeros are published)."""
    return value is not None and 0 < value < rules.min_count


def round_count(value: int | None, rules: DisclosureRules) -> int | None:
    if value is None or not rules.round_to:
        return value
    base = int(rules.round_to)
    return int(base * math.floor(value / base + 0.5))


def magnitude_fails(total_abs: float, contributors: int, top: list[float], rules: DisclosureRules) -> str | None:
    """Why a magnitude cell may not be published (None: it may). ``top`` = largest absolute
    contributions, largest first."""
    if contributors < rules.min_count:
        return "threshold"
    if total_abs <= 0:
        return None
    leading = sorted((abs(v) for v in top), reverse=True)
    if sum(leading[: rules.dominance_n]) > rules.dominance_k * total_abs:
        return "dominance"
    if len(leading) >= 2 and total_abs - leading[0] - leading[1] < rules.p_ratio * leading[0]:
        return "p_ratio"
    return None


# --- the checker for tables from elsewhere (Tier B's airlock) ------------------------------------

def check_table(table, rules: DisclosureRules) -> list[str]:
    """Problems that forbid releasing aggregate ``table`` (pyarrow.Table or pandas.DataFrame) under
    ``rules``; an empty list means it passes what this checker can judge (see the module docstring)."""
    frame, declaration = _as_frame(table)
    problems: list[str] = []
    if "patient" in [str(c).lower() for c in frame.columns]:
        problems.append("column patient: row-level identifiers may not be released")
    counts = _count_columns(frame, declaration)
    for column in counts:
        problems += _check_counts(frame, column, rules)
    for column in frame.columns:
        name = str(column)
        if _DF_NAME.match(name):
            problems += _check_df(frame, column, rules)
        if _EXTREME_NAME.match(name) and not counts:
            problems.append(f"column {name}: a minimum or maximum needs a count column saying how many units "
                            "each row covers")
    problems += _check_magnitudes(frame, rules)
    return problems


def _as_frame(table):
    import pandas as pd

    if isinstance(table, pd.DataFrame):
        declaration = table.attrs.get(DECLARATION_KEY) or {}
        return table, _parse_declaration(declaration)
    import pyarrow as pa

    if isinstance(table, pa.Table):
        metadata = table.schema.metadata or {}
        raw = metadata.get(DECLARATION_KEY.encode()) or b"{}"
        return table.to_pandas(), _parse_declaration(raw)
    raise TypeError("check_table reads a pyarrow.Table or a pandas.DataFrame")


def _parse_declaration(raw) -> dict:
    if isinstance(raw, (bytes, str)):
        try:
            raw = json.loads(raw)
        except ValueError:
            return {}
    return raw if isinstance(raw, dict) else {}


def _count_columns(frame, declaration: dict) -> list:
    import pandas as pd

    declared = [c for c in frame.columns if str(c) in set(map(str, declaration.get("counts") or []))]
    named = [c for c in frame.columns if _COUNT_NAME.search(str(c)) and "__" not in str(c)]
    found = list(dict.fromkeys(declared + named))
    if found:
        return found
    keys = set(map(str, declaration.get("keys") or []))
    integer = []
    for column in frame.columns:
        series = frame[column]
        if str(column) in keys or "__" in str(column) or not pd.api.types.is_integer_dtype(series) or pd.api.types.is_bool_dtype(series):
            continue
        if (series.dropna() >= 0).all():
            integer.append(column)
    return integer


def _numeric(series):
    import pandas as pd

    return pd.to_numeric(series, errors="coerce")


def _check_counts(frame, column, rules: DisclosureRules) -> list[str]:
    problems = []
    values = _numeric(frame[column])
    for position, value in enumerate(values):
        if value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        if 0 < value < rules.min_count:
            problems.append(f"column {column} row {position + 1}: count {value:g} is below {rules.min_count}")
        elif rules.round_to and value % rules.round_to:
            problems.append(f"column {column} row {position + 1}: count {value:g} is not rounded to a "
                            f"multiple of {rules.round_to}")
    non_numeric = frame[column].notna() & values.isna()
    if non_numeric.any():
        problems.append(f"column {column}: holds values that are not counts")
    return problems


def _check_df(frame, column, rules: DisclosureRules) -> list[str]:
    problems = []
    for position, value in enumerate(_numeric(frame[column])):
        if not math.isnan(value) and value < rules.min_df:
            problems.append(f"column {column} row {position + 1}: {value:g} residual degrees of freedom, "
                            f"fewer than {rules.min_df}")
    return problems


def _check_magnitudes(frame, rules: DisclosureRules) -> list[str]:
    problems = []
    names = {str(c): c for c in frame.columns}
    for name in names:
        contributors = f"{name}__contributors"
        if contributors not in names:
            continue
        tops = [names[f"{name}__top{i}"] for i in range(1, max(2, rules.dominance_n) + 1) if f"{name}__top{i}" in names]
        totals = names.get(f"{name}__abs_total")
        for position in range(len(frame)):
            value = _numeric(frame[names[name]]).iloc[position]
            if math.isnan(value):
                continue
            count = _numeric(frame[names[contributors]]).iloc[position]
            top = [float(_numeric(frame[t]).iloc[position]) for t in tops]
            top = [v for v in top if not math.isnan(v)]
            total = float(_numeric(frame[totals]).iloc[position]) if totals is not None else abs(float(value))
            failed = magnitude_fails(total, 0 if math.isnan(count) else int(count), top, rules)
            if failed == "threshold":
                problems.append(f"column {name} row {position + 1}: {count:g} contributors, fewer than "
                                f"{rules.min_count}")
            elif failed == "dominance":
                problems.append(f"column {name} row {position + 1}: the {rules.dominance_n} largest contributors "
                                f"make up more than {rules.dominance_k:.0%} of the total")
            elif failed == "p_ratio":
                problems.append(f"column {name} row {position + 1}: the rest of the total is less than "
                                f"{rules.p_ratio:.0%} of the largest contribution")
            if len(top) < min(2, rules.dominance_n) and failed is None:
                problems.append(f"column {name}: declares contributors but not its {rules.dominance_n} largest "
                                f"contributions ({name}__top1 …)")
                break
    return problems
