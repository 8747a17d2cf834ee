"""Amounts of money and the price of metered compute. Pure: no database, no web layer.

Amounts are whole fen (分, 0.01 yuan) in integers everywhere they are stored or added, so no sum is
ever off by a rounding error; people type and read yuan (``1234.5`` → 123450 fen → ``¥1,234.50``).
Compute is priced per CPU-hour and per GiB-hour of peak memory held for the job's wall time, and
rounded *up* to the fen, so a voucher never pays less than what was used.
"""

from __future__ import annotations

import re
from decimal import ROUND_CEILING, Decimal, InvalidOperation

from yizhi.errors import N_, ValidationFailed

MAX_FEN = 10**14  # 1 trillion yuan: far above any budget, far below the BIGINT limit
AMOUNT = re.compile(r"^\d{1,12}(\.\d{1,2})?$")
RATE = re.compile(r"^\d{1,6}(\.\d{1,6})?$")
GIB = 1024**3


def parse_yuan(text: object, field: str = "amount") -> int:
    """``"1,234.50"`` or ``1234.5`` → 123450 fen; refuses negatives, more than 2 decimals, nonsense."""
    if isinstance(text, bool) or text is None:
        raise ValidationFailed(N_("give an amount in yuan, e.g. 5000 or 1234.50"), field=field, code="bad_amount")
    raw = str(text).strip().replace(",", "").replace("，", "").lstrip("¥￥")
    if not AMOUNT.match(raw):
        raise ValidationFailed(N_("%(value)s is not an amount in yuan with at most two decimals"),
                               params={"value": str(text)[:30]}, field=field, code="bad_amount")
    fen = int(Decimal(raw) * 100)
    if not 0 < fen <= MAX_FEN:
        raise ValidationFailed(N_("an amount must be above zero and at most %(max)s yuan"),
                               params={"max": MAX_FEN // 100}, field=field, code="bad_amount")
    return fen


def yuan(fen: int | None) -> str:
    """123450 → ``¥1,234.50`` (negative amounts keep their sign)."""
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(int(fen)), 100)
    return f"{sign}¥{whole:,}.{cents:02d}"


def parse_rate(text: object, field: str) -> str:
    """A price per unit in yuan with up to six decimals, kept as its exact decimal text."""
    raw = str(text if text is not None else "").strip()
    if not RATE.match(raw):
        raise ValidationFailed(N_("%(field)s must be a price in yuan with at most six decimals"),
                               params={"field": field}, field=field, code="bad_rate")
    return str(Decimal(raw))


def compute_cost(cpu_seconds: float, peak_memory_bytes: int, wall_seconds: float, rates: dict) -> int:
    """Fen owed for one job: CPU-hours × ``cpu_hour`` + peak GiB × wall hours × ``gib_hour``, rounded up."""
    try:
        cpu_rate = Decimal(str(rates.get("cpu_hour", "0")))
        memory_rate = Decimal(str(rates.get("gib_hour", "0")))
        cpu = Decimal(repr(max(float(cpu_seconds or 0), 0.0))) / 3600
        wall = Decimal(repr(max(float(wall_seconds or 0), 0.0))) / 3600
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationFailed(N_("the programme's compute rates are not numbers"), field="rates") from None
    gib = Decimal(max(int(peak_memory_bytes or 0), 0)) / GIB
    yuan_owed = cpu * cpu_rate + gib * wall * memory_rate
    return int((yuan_owed * 100).to_integral_value(rounding=ROUND_CEILING))
