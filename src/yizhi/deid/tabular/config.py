"""The anonymization config: YAML validated by pydantic, errors pointing at the YAML line.

```yaml
quasi_identifiers:
  age: {intervals: [5, 10, 20, 40]}        # numeric: widths per level, then *
  zip: {mask: 6}                           # string: mask 1..N characters from the right, then *
  admit_date: {dates: [month, quarter, year]}
  race: {hierarchy: path/to/race.csv}      # ARX hierarchy file (relative to the config file)
  sex: {}                                  # value, then *
identifiers: [record_id]                   # removed
sensitive: {diagnosis: {l: 3}}             # or {t: 0.2}, or {l: 2, entropy: true}
k: 5
max_suppression: 0.05
metric: loss                               # or discernibility
```
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from yizhi.deid.tabular.errors import ConfigError
from yizhi.deid.tabular.hierarchies import DATE_UNITS
from yizhi.deid.tabular.privacy import SensitiveRequirement


# Every setting is bounded: one config like {mask: 1000000000} built a billion hierarchy levels and
# took the host's memory (issue 17, item 2). The bounds are far above any real use.
MAX_LEVELS = 32  # levels of one hierarchy (intervals, dates)
MAX_MASK = 64  # characters masked (codes and postcodes are shorter)
MAX_WIDTH = 1e15
MAX_COLUMNS = 1000
MAX_QUASI_IDENTIFIERS = 16  # the lattice is the product of their levels; it is bounded again at search
MAX_K = 1_000_000
MAX_POPULATION = 10**11  # more people than live on Earth
MAX_ORDER_VALUES = 100_000
ColumnName = Annotated[str, Field(min_length=1, max_length=200)]


class QuasiIdentifierSpec(BaseModel):
    """How one quasi-identifier is generalized; at most one of the keys (none = value, then *)."""

    model_config = ConfigDict(extra="forbid")

    intervals: list[Annotated[float, Field(gt=0, le=MAX_WIDTH, allow_inf_nan=False)]] | None = Field(
        default=None, min_length=1, max_length=MAX_LEVELS, description="Interval width per level, coarser each level.")
    mask: int | None = Field(default=None, ge=1, le=MAX_MASK, description="Mask 1..N characters from the right, then *.")
    dates: list[Literal["month", "quarter", "half", "year", "decade"]] | None = Field(
        default=None, min_length=1, max_length=5, description=f"Date units per level, from {DATE_UNITS}."
    )
    hierarchy: str | None = Field(default=None, max_length=255,
                                  description="ARX hierarchy CSV (';'-separated, level 0 first).")

    @model_validator(mode="after")
    def one_kind(self) -> QuasiIdentifierSpec:
        given = [name for name in ("intervals", "mask", "dates", "hierarchy") if getattr(self, name) is not None]
        if len(given) > 1:
            raise ValueError(f"give only one of intervals, mask, dates, hierarchy (got {', '.join(given)})")
        return self

    def as_dict(self) -> dict:
        return self.model_dump(exclude_none=True)


class SensitiveSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    l: int | None = Field(default=None, ge=2, le=MAX_K, description="l-diversity: at least l values per class.")  # noqa: E741
    entropy: bool = Field(default=False, description="Entropy l-diversity instead of distinct.")
    t: float | None = Field(default=None, gt=0, le=1, allow_inf_nan=False,
                            description="t-closeness threshold (Earth Mover's Distance).")
    distance: Literal["equal", "ordered"] = Field(default="equal", description="Ground distance for t-closeness.")
    order: list[Annotated[str, Field(max_length=1000)]] | None = Field(
        default=None, max_length=MAX_ORDER_VALUES,
        description="Value order for ordered distance (default: numeric, else text).")

    @model_validator(mode="after")
    def one_model(self) -> SensitiveSpec:
        if (self.l is None) == (self.t is None):
            raise ValueError("give exactly one of l (l-diversity) or t (t-closeness)")
        if self.entropy and self.l is None:
            raise ValueError("entropy: true applies to l-diversity; add l")
        if self.t is None and (self.distance != "equal" or self.order is not None):
            raise ValueError("distance and order apply to t-closeness; add t")
        return self


class AnonymizeConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    quasi_identifiers: dict[ColumnName, QuasiIdentifierSpec | None] = Field(min_length=1, max_length=MAX_QUASI_IDENTIFIERS)
    identifiers: list[ColumnName] = Field(default_factory=list, max_length=MAX_COLUMNS,
                                          description="Columns removed from the output.")
    sensitive: dict[ColumnName, SensitiveSpec] = Field(default_factory=dict, max_length=MAX_QUASI_IDENTIFIERS)
    k: int = Field(default=1, ge=1, le=MAX_K, description="Every released class has at least k records.")
    max_suppression: float = Field(default=0.0, ge=0, le=1, allow_inf_nan=False,
                                   description="Share of records that may be suppressed.")
    metric: Literal["loss", "discernibility"] = "loss"
    separator: str | None = Field(default=None, min_length=1, max_length=1, description="CSV separator (default: detected).")
    population_size: int | None = Field(
        default=None, ge=1, le=MAX_POPULATION,
        description="Size of the population the table was sampled from (journalist risk)."
    )
    base_dir: Path | None = Field(default=None, exclude=True, description="Where relative hierarchy paths start.")

    @field_validator("metric", mode="before")
    @classmethod
    def metric_alias(cls, value):
        aliases = {"gil": "loss", "dm": "discernibility", "discernability": "discernibility"}
        return aliases.get(str(value).lower(), value) if isinstance(value, str) else value

    @model_validator(mode="after")
    def roles_and_target(self) -> AnonymizeConfig:
        roles: dict[str, str] = {}
        for role, names in (
            ("quasi_identifiers", self.quasi_identifiers),
            ("identifiers", self.identifiers),
            ("sensitive", self.sensitive),
        ):
            for name in names:
                if name in roles:
                    raise ValueError(f"column '{name}' is listed under both {roles[name]} and {role}")
                roles[name] = role
        if self.k < 2 and not self.sensitive:
            raise ValueError("no privacy model: set k >= 2 and/or a sensitive attribute with l or t")
        return self

    def spec(self, attribute: str) -> dict:
        spec = self.quasi_identifiers[attribute]
        return spec.as_dict() if spec is not None else {}

    def requirements(self) -> list[SensitiveRequirement]:
        return [
            SensitiveRequirement(name, l=spec.l, entropy=spec.entropy, t=spec.t, distance=spec.distance)
            for name, spec in self.sensitive.items()
        ]


def load_config(path: Path) -> AnonymizeConfig:
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    text = path.read_text(encoding="utf-8-sig")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark else ""
        raise ConfigError(f"{path}{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    return parse_config(data, source=str(path), text=text, base_dir=path.resolve().parent)


def parse_config(data, source: str = "config", text: str | None = None, base_dir: Path | None = None) -> AnonymizeConfig:
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping of settings (quasi_identifiers, k, ...)")
    try:
        config = AnonymizeConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, source, text)) from None
    config.base_dir = base_dir
    return config


def _describe(exc: ValidationError, source: str, text: str | None) -> str:
    lines, seen = [], set()
    for error in exc.errors():
        location = [part for part in error["loc"] if not _is_type_tag(part)]
        dotted = ".".join(str(part) for part in location) or "(top level)"
        if dotted in seen:  # a union type reports one failure per member; the first says enough
            continue
        seen.add(dotted)
        line = _yaml_line(text, location) if text else None
        where = f", line {line}" if line else ""
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown setting"
        lines.append(f"{source}{where}: {dotted}: {message}")
    return "\n".join(lines)


_UNION_TAGS = {"QuasiIdentifierSpec", "SensitiveSpec", "int", "float", "str", "none", "[key]"}


def _is_type_tag(part) -> bool:
    # pydantic adds union member names ("QuasiIdentifierSpec", "int", "float") to locations.
    return isinstance(part, str) and part in _UNION_TAGS


def _yaml_line(text: str, location: list) -> int | None:
    """Line of the deepest YAML node along ``location`` (1-based), for pointing at the mistake."""
    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        return None
    line = node.start_mark.line + 1 if node is not None else None
    for part in location:
        if isinstance(node, yaml.MappingNode):
            match = next(((key, value) for key, value in node.value if key.value == str(part)), None)
            if match is None:
                break
            line = match[0].start_mark.line + 1
            node = match[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line
