"""The query JSON of Tier A: read with hard limits, then checked field by field.

``{"dataset": "SLUG@N", "table": T, "join": [..], "where": [[column, operator, value], ..], "op": ...,
<the operation's parameters>}``. Anything hostile — a body too large, nesting too deep, NaN or
infinity, numbers too large, lists too long, names too long or with control characters, unknown
keys — is refused with :class:`ValidationFailed` naming the field, never a crash.
"""

from __future__ import annotations

import json
import math
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from yizhi.errors import N_, PayloadTooLarge, ValidationFailed

OPERATIONS = ("count", "crosstab", "summary", "histogram", "quantiles", "correlation", "glm", "km", "cox",
              "sum", "mean")
DP_OPERATIONS = ("count", "sum", "mean", "histogram", "quantiles")
OPERATORS = ("=", "!=", "<", "<=", ">", ">=", "in", "between", "is_null")
MAX_NUMBER = 1e15
MAX_DEPTH = 8

Name = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[^\x00-\x1f\x7f]+$")]
Scalar = str | bool | int | float | None


def _check_scalar(value: Any, where: str) -> Any:
    if isinstance(value, str) and len(value) > 500:
        raise ValueError(f"{where}: text longer than 500 characters")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{where}: NaN and infinity are not numbers a query can use")
        if abs(value) > MAX_NUMBER:
            raise ValueError(f"{where}: numbers must lie within ±1e15")
    if isinstance(value, (list, dict)):
        raise ValueError(f"{where}: expected a single value")
    return value


class Condition(BaseModel):
    column: str
    operator: str
    value: Any = None


class QueryIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    dataset: Annotated[str, Field(max_length=80)] | None = None
    table: Name
    join: Annotated[list[Name], Field(max_length=3)] = []
    where: Annotated[list[list[Any]], Field(max_length=20)] = []
    op: Literal[OPERATIONS]  # type: ignore[valid-type]
    rows: Annotated[list[Name], Field(max_length=3)] | None = None
    columns: Annotated[list[Name], Field(max_length=10)] | None = None
    column: Name | None = None
    bins: Annotated[int, Field(ge=1, le=100)] | Annotated[list[float], Field(min_length=2, max_length=101)] | None = None
    probs: Annotated[list[float], Field(min_length=1, max_length=20)] | None = None
    family: Literal["gaussian", "binomial", "poisson"] | None = None
    outcome: Name | None = None
    covariates: Annotated[list[Name], Field(max_length=20)] | None = None
    time: Name | None = None
    event: Name | None = None
    group: Name | None = None
    times: Annotated[list[float], Field(min_length=1, max_length=100)] | None = None
    bounds: Annotated[list[float], Field(min_length=2, max_length=2)] | None = None
    categories: Annotated[list[Scalar], Field(min_length=1, max_length=100)] | None = None

    @field_validator("bins", "probs", "times", "bounds")
    @classmethod
    def _finite(cls, value, info):
        if isinstance(value, list):
            for i, item in enumerate(value):
                _check_scalar(item, f"{info.field_name}[{i}]")
        return value

    @field_validator("probs")
    @classmethod
    def _probabilities(cls, value):
        if value is not None and not all(0.0 <= p <= 1.0 for p in value):
            raise ValueError("probabilities must lie between 0 and 1")
        return value

    @field_validator("categories")
    @classmethod
    def _categories(cls, value):
        for i, item in enumerate(value or []):
            _check_scalar(item, f"categories[{i}]")
        return value

    @field_validator("where")
    @classmethod
    def _conditions(cls, value):
        for i, clause in enumerate(value):
            _check_condition(clause, i)
        return value

    @model_validator(mode="after")
    def _parameters_of_the_operation(self):
        required = {
            "crosstab": ["rows"], "summary": ["column"], "histogram": ["column"], "quantiles": ["column", "probs"],
            "correlation": ["columns"], "glm": ["family", "outcome", "covariates"], "km": ["time", "event"],
            "cox": ["time", "event", "covariates"], "sum": ["column"], "mean": ["column"],
        }.get(self.op, [])
        for name in required:
            if getattr(self, name) in (None, []):
                raise ValueError(f"{name}: the {self.op} operation needs it")
        if self.op == "crosstab" and len(self.rows or []) + len(self.columns or []) > 3:
            raise ValueError("rows: a crosstab takes at most 3 variables (rows and columns together)")
        if self.op in ("sum", "mean") and len(self.rows or []) + len(self.columns or []) > 3:
            raise ValueError("rows: a grouped table takes at most 3 variables (rows and columns together)")
        if self.op == "correlation" and not 2 <= len(self.columns or []) <= 10:
            raise ValueError("columns: a correlation takes 2 to 10 columns")
        if isinstance(self.bins, list) and any(b <= a for a, b in zip(self.bins, self.bins[1:])):
            raise ValueError("bins: edges must increase")
        if self.bounds is not None and not self.bounds[0] < self.bounds[1]:
            raise ValueError("bounds: the lower bound must be below the upper one")
        return self

    def conditions(self) -> list[Condition]:
        out = []
        for clause in self.where:
            value = clause[2] if len(clause) > 2 else True
            out.append(Condition(column=clause[0], operator=clause[1], value=value))
        return out

    def canonical(self) -> dict:
        """The query as stored and hashed: the fields given, in a fixed order."""
        return self.model_dump(exclude_none=True, exclude_defaults=False)


def _check_condition(clause: list, index: int) -> None:
    where = f"where[{index}]"
    if not 2 <= len(clause) <= 3:
        raise ValueError(f"{where}: write [column, operator, value]")
    column, operator = clause[0], clause[1]
    if not isinstance(column, str) or not 1 <= len(column) <= 128 or any(ord(ch) < 32 for ch in column):
        raise ValueError(f"{where}[0]: a column name")
    if operator not in OPERATORS:
        raise ValueError(f"{where}[1]: the operator must be one of {', '.join(OPERATORS)}")
    value = clause[2] if len(clause) == 3 else None
    if operator == "is_null":
        if len(clause) == 3 and not isinstance(value, bool):
            raise ValueError(f"{where}[2]: is_null takes true or false")
        return
    if len(clause) != 3:
        raise ValueError(f"{where}: the operator {operator} needs a value")
    if operator == "in":
        if not isinstance(value, list) or not 1 <= len(value) <= 200:
            raise ValueError(f"{where}[2]: in takes a list of 1 to 200 values")
        for i, item in enumerate(value):
            _check_scalar(item, f"{where}[2][{i}]")
            if item is None:
                raise ValueError(f"{where}[2][{i}]: use is_null to select missing values")
    elif operator == "between":
        if not isinstance(value, list) or len(value) != 2:
            raise ValueError(f"{where}[2]: between takes [low, high]")
        for i, item in enumerate(value):
            _check_scalar(item, f"{where}[2][{i}]")
    else:
        _check_scalar(value, f"{where}[2]")
        if value is None:
            raise ValueError(f"{where}[2]: use is_null to select missing values")


# --- reading the raw body ---------------------------------------------------------------------

def _reject_constant(name: str):
    raise ValueError(f"{name} is not a number a query can use")


def _depth(value: Any, level: int = 0) -> int:
    if level > MAX_DEPTH:
        return level
    if isinstance(value, dict):
        return max([_depth(v, level + 1) for v in value.values()] or [level + 1])
    if isinstance(value, list):
        return max([_depth(v, level + 1) for v in value] or [level + 1])
    return level


def parse_query_bytes(raw: bytes, *, max_bytes: int) -> QueryIn:
    if len(raw) > max_bytes:
        raise PayloadTooLarge(N_("the query is larger than %(max)s bytes"), params={"max": max_bytes}, field="query")
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except RecursionError:
        raise ValidationFailed(N_("the query is nested too deeply"), field="query") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationFailed(N_("the query is not valid JSON: %(detail)s"), params={"detail": str(exc)[:200]},
                               field="query") from None
    return parse_query(data)


def parse_query(data: Any) -> QueryIn:
    if not isinstance(data, dict):
        raise ValidationFailed(N_("the query must be a JSON object"), field="query")
    if _depth(data) > MAX_DEPTH:
        raise ValidationFailed(N_("the query is nested too deeply"), field="query")
    try:
        return QueryIn.model_validate(data)
    except ValidationError as exc:
        raise _first_error(exc) from None
    except (RecursionError, OverflowError, ValueError) as exc:
        raise ValidationFailed(N_("the query could not be read: %(detail)s"), params={"detail": str(exc)[:200]},
                               field="query") from None


def _first_error(exc: ValidationError) -> ValidationFailed:
    error = exc.errors(include_url=False)[0]
    location = [str(part) for part in error.get("loc", ()) if not str(part).startswith(("function-", "constrained-"))]
    message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    field = ".".join(location) or "query"
    prefix, colon, rest = message.partition(": ")
    if colon and " " not in prefix:
        field, message = prefix, rest
    return ValidationFailed(N_("%(field)s: %(detail)s"), params={"field": field, "detail": message[:300]},
                            field=field)
