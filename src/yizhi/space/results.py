"""What an operation hands back before release: the result, what was suppressed, the population."""

from __future__ import annotations

import datetime as dt
import decimal
import math
from dataclasses import dataclass, field

import numpy as np

from yizhi.errors import YizhiError


@dataclass
class Release:
    result: dict
    suppressed: list[str] = field(default_factory=list)
    population_n: int | None = None           # rows in the population (for the log)
    not_null: list[str] = field(default_factory=list)  # columns the operation required present
    epsilon: float | None = None              # ε the result cost (DP only)


class DisclosureRefusal(YizhiError):
    """The result would break a disclosure rule and cannot be released even in part."""

    status = 200
    code = "disclosure"


def plain(value):
    """A JSON-safe value: numpy and decimal numbers made plain, NaN/inf to None, dates as ISO text."""
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating, decimal.Decimal)):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat()
    return str(value) if not isinstance(value, str) else value


def sort_key(value):
    """Order levels of any type, missing last."""
    return (value is None, str(type(value).__name__), value if value is not None else 0)
