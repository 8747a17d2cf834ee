"""The query builder's form fields → the query JSON (then checked like any other query)."""

from __future__ import annotations

import json
import math

from yizhi.errors import N_, ValidationFailed

LIST_FIELDS = ("rows", "columns", "covariates", "join")
TEXT_FIELDS = ("table", "op", "column", "family", "outcome", "time", "event", "group", "dataset")
NUMBER_LIST_FIELDS = ("probs", "times", "bounds")
FILTERS = 5


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _value(text: str):
    """A filter value as typed: a number, true/false, else text."""
    text = text.strip()
    if text in ("true", "false"):
        return text == "true"
    try:
        number = float(text)
    except ValueError:
        return text
    if not math.isfinite(number):
        return text
    return int(number) if number.is_integer() and "." not in text and "e" not in text.lower() else number


def _numbers(text: str, field: str) -> list[float]:
    try:
        return [float(part) for part in _split(text)]
    except ValueError:
        raise ValidationFailed(N_("%(field)s: numbers separated by commas"), params={"field": field},
                               field=field) from None


def query_from_form(form) -> tuple[dict, bool, float | None]:
    """(query, dp, ε) from the builder's fields; the advanced JSON box, when filled, is the query."""
    get = lambda name: str(form.get(name) or "").strip()[:2000]  # noqa: E731
    dp_mode = get("dp") in ("on", "true", "1")
    epsilon = None
    if get("epsilon"):
        try:
            epsilon = float(get("epsilon"))
        except ValueError:
            raise ValidationFailed(N_("epsilon: a number"), field="epsilon") from None
    if get("advanced"):
        try:
            return json.loads(get("advanced")), dp_mode, epsilon
        except (ValueError, RecursionError):
            raise ValidationFailed(N_("the query is not valid JSON"), field="advanced") from None
    query: dict = {}
    for name in TEXT_FIELDS:
        if get(name):
            query[name] = get(name)
    for name in LIST_FIELDS:
        if get(name):
            query[name] = _split(get(name))
    for name in NUMBER_LIST_FIELDS:
        if get(name):
            query[name] = _numbers(get(name), name)
    if get("bins"):
        bins = _numbers(get("bins"), "bins")
        query["bins"] = int(bins[0]) if len(bins) == 1 and bins[0].is_integer() else bins
    if get("categories"):
        query["categories"] = _split(get("categories"))
    query["where"] = _filters(get)
    return query, dp_mode, epsilon


def _filters(get) -> list[list]:
    where = []
    for i in range(FILTERS):
        column, operator, value = get(f"where_column_{i}"), get(f"where_op_{i}"), get(f"where_value_{i}")
        if not column:
            continue
        if operator == "is_null":
            where.append([column, "is_null", value != "false"])
        elif operator in ("in", "between"):
            where.append([column, operator, [_value(v) for v in _split(value)]])
        else:
            where.append([column, operator or "=", _value(value)])
    return where
