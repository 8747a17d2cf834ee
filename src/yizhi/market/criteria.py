"""A category's certification criteria and their check against evaluation reports.

The commission publishes, per needs-library category, a list of criteria (a table it edits; each
publication is a new numbered revision). Each criterion reads one part of the evaluation center's
report (``yizhi.evaluation.report.build_report``):

* ``metric``       — ``metrics[m]``: its value or a bound of its 95% CI, at least ``min`` / at most ``max``
* ``worst_group``  — every shown (not suppressed) subgroup's value of ``metric`` (optionally one column)
* ``subgroup_gap`` — ``subgroups[col].gaps[gap]`` (equalized odds / demographic parity difference) ≤ ``max``
* ``robustness``   — every perturbation's change of ``metric`` (``delta_<metric>``) ≥ ``min_delta``
* ``verdict``      — the report's own verdict against its benchmark's pass criteria is ``pass``

A criterion whose figure the report does not hold fails, saying so: a missing number never passes.
Pure: no database, no web layer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from yizhi.errors import N_, ValidationFailed
from yizhi.evaluation.contract import BOUNDS, LOWER_IS_BETTER, METRICS
from yizhi.evaluation.robustness import PERTURBATIONS, image_perturbation_names

KINDS = ("metric", "worst_group", "subgroup_gap", "robustness", "verdict")
GAPS = ("equalized_odds_difference", "demographic_parity_difference")
ALL_METRICS = tuple(sorted({m for names in METRICS.values() for m in names}))
KEYS = {
    "metric": ({"kind", "metric", "bound"}, {"min", "max", "note"}),
    "worst_group": ({"kind", "metric"}, {"min", "max", "subgroup", "note"}),
    "subgroup_gap": ({"kind", "gap", "max"}, {"subgroup", "note"}),
    "robustness": ({"kind", "metric", "min_delta"}, {"perturbation", "note"}),
    "verdict": ({"kind"}, {"note"}),
}
MAX_CRITERIA = 50
LIMIT = 1e6


@dataclass(frozen=True)
class Outcome:
    """One criterion checked against one report."""

    criterion: dict
    passed: bool
    observed: float | str | None
    where: str           # which figure of the report was read
    problem: str = ""    # msgid when the figure is missing

    def as_dict(self) -> dict:
        return {"criterion": self.criterion, "passed": self.passed, "observed": self.observed, "where": self.where,
                "problem": self.problem}


def _bad(message: str, position: int, **params) -> ValidationFailed:
    return ValidationFailed(message, params={"n": position + 1, **params}, field="criteria", code="criteria_invalid")


def _number(value, position: int, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or abs(value) > LIMIT:
        raise _bad(N_("criterion %(n)s: %(key)s must be a finite number"), position, key=key)
    return float(value)


def validate(rows: object) -> list[dict]:
    """The criteria as clean dicts (key order fixed); every error names the criterion and the key."""
    if not isinstance(rows, list) or not rows:
        raise ValidationFailed(N_("criteria must be a non-empty list"), field="criteria", code="criteria_invalid")
    if len(rows) > MAX_CRITERIA:
        raise ValidationFailed(N_("at most %(max)s criteria per category"), params={"max": MAX_CRITERIA},
                               field="criteria", code="criteria_invalid")
    return [_validate_one(row, position) for position, row in enumerate(rows)]


def _validate_one(row: object, position: int) -> dict:
    if not isinstance(row, dict) or row.get("kind") not in KINDS:
        raise _bad(N_("criterion %(n)s: kind must be one of %(known)s"), position, known=", ".join(KINDS))
    kind = row["kind"]
    required, optional = KEYS[kind]
    missing, unknown = required - set(row), set(row) - required - optional
    if missing or unknown:
        raise _bad(N_("criterion %(n)s (%(kind)s): missing %(missing)s; unknown %(unknown)s"), position, kind=kind,
                   missing=", ".join(sorted(missing)) or "-", unknown=", ".join(sorted(map(str, unknown))) or "-")
    clean: dict = {"kind": kind}
    if "metric" in required and row["metric"] not in ALL_METRICS:
        raise _bad(N_("criterion %(n)s: unknown metric %(metric)s"), position, metric=str(row["metric"])[:40])
    for key in ("metric", "bound", "gap", "subgroup", "perturbation"):
        if key in row:
            clean[key] = str(row[key])[:80]
    if kind == "metric" and clean["bound"] not in BOUNDS:
        raise _bad(N_("criterion %(n)s: bound must be one of %(known)s"), position, known=", ".join(BOUNDS))
    if kind == "subgroup_gap" and clean["gap"] not in GAPS:
        raise _bad(N_("criterion %(n)s: gap must be one of %(known)s"), position, known=", ".join(GAPS))
    known = (*PERTURBATIONS, *image_perturbation_names())     # a table benchmark's rows or an image one's
    if kind == "robustness" and clean.get("perturbation", PERTURBATIONS[0]) not in known:
        raise _bad(N_("criterion %(n)s: perturbation must be one of %(known)s"), position, known=", ".join(known))
    for key in ("min", "max", "min_delta"):
        if key in row and row[key] is not None:
            clean[key] = _number(row[key], position, key)
    if kind in ("metric", "worst_group") and "min" not in clean and "max" not in clean:
        raise _bad(N_("criterion %(n)s: give min or max"), position)
    if "min" in clean and "max" in clean and clean["min"] > clean["max"]:
        raise _bad(N_("criterion %(n)s: min is larger than max"), position)
    if "note" in row:
        clean["note"] = str(row["note"])[:300]
    return clean


def _within(value: float, criterion: dict) -> bool:
    low, high = criterion.get("min"), criterion.get("max")
    return (low is None or value >= low) and (high is None or value <= high)


def _missing(criterion: dict, where: str) -> Outcome:
    return Outcome(criterion, False, None, where, N_("the report does not hold this figure"))


def _figure(value) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) \
        else None


def check_metric(criterion: dict, report: dict) -> Outcome:
    name, bound = criterion["metric"], criterion["bound"]
    found = (report.get("metrics") or {}).get(name) or {}
    where = f"metrics.{name}.{bound}"
    value = found.get("value") if bound == "value" else (found.get("ci") or [None, None])[BOUNDS.index(bound) - 1]
    value = _figure(value)
    if value is None:
        return _missing(criterion, where)
    return Outcome(criterion, _within(value, criterion), value, where)


def _subgroup_sections(criterion: dict, report: dict) -> list[tuple[str, dict]]:
    sections = report.get("subgroups") or {}
    wanted = criterion.get("subgroup")
    return [(column, section) for column, section in sorted(sections.items())
            if isinstance(section, dict) and (wanted is None or column == wanted)]


def check_worst_group(criterion: dict, report: dict) -> Outcome:
    name = criterion["metric"]
    values = []
    for column, section in _subgroup_sections(criterion, report):
        for group, row in (section.get("groups") or {}).items():
            value = _figure(((row.get("metrics") or {}).get(name) or {}).get("value")) if isinstance(row, dict) else None
            if value is not None:
                values.append((value, f"subgroups.{column}.{group}.{name}"))
    if not values:
        return _missing(criterion, f"subgroups.*.{name}")
    worst = max(values) if name in LOWER_IS_BETTER else min(values)
    failing = [v for v in values if not _within(v[0], criterion)]
    chosen = failing[0] if failing else worst
    return Outcome(criterion, not failing, chosen[0], chosen[1])


def check_gap(criterion: dict, report: dict) -> Outcome:
    gaps = [(_figure((section.get("gaps") or {}).get(criterion["gap"])), f"subgroups.{column}.gaps.{criterion['gap']}")
            for column, section in _subgroup_sections(criterion, report)]
    gaps = [g for g in gaps if g[0] is not None]
    if not gaps:
        return _missing(criterion, f"subgroups.*.gaps.{criterion['gap']}")
    largest = max(gaps)
    return Outcome(criterion, largest[0] <= criterion["max"], largest[0], largest[1])


def check_robustness(criterion: dict, report: dict) -> Outcome:
    key, wanted = f"delta_{criterion['metric']}", criterion.get("perturbation")
    rows = [row for row in report.get("robustness") or [] if isinstance(row, dict)
            and (wanted is None or row.get("perturbation") == wanted)]
    deltas = [(_figure(row.get(key)), f"robustness.{row.get('perturbation')}.{key}") for row in rows]
    deltas = [d for d in deltas if d[0] is not None]
    if not deltas or (wanted is None and len(deltas) < len(rows)):
        return _missing(criterion, f"robustness.*.{key}")
    # a metric that should fall (brier, ece, mae, rmse) is checked on the change with its sign turned
    sign = -1.0 if criterion["metric"] in LOWER_IS_BETTER else 1.0
    worst = min(deltas, key=lambda d: sign * d[0])
    return Outcome(criterion, sign * worst[0] >= criterion["min_delta"], worst[0], worst[1])


def check_verdict(criterion: dict, report: dict) -> Outcome:
    overall = ((report.get("verdict") or {}).get("overall"))
    if overall is None:
        return _missing(criterion, "verdict.overall")
    return Outcome(criterion, overall == "pass", overall, "verdict.overall")


CHECKS = {"metric": check_metric, "worst_group": check_worst_group, "subgroup_gap": check_gap,
          "robustness": check_robustness, "verdict": check_verdict}


def check_report(criteria: list[dict], report: dict) -> list[Outcome]:
    return [CHECKS[c["kind"]](c, report) for c in criteria]


def summary(criteria: list[dict], reports: dict[int, dict]) -> dict:
    """Every criterion against every report: ``passed`` only when each report meets each criterion.

    A version is certified on all the hidden test sets it was evaluated on, not its best one."""
    per_report = {str(key): [o.as_dict() for o in check_report(criteria, report)] for key, report in reports.items()}
    passed = bool(reports) and all(o["passed"] for rows in per_report.values() for o in rows)
    return {"passed": passed, "reports": per_report}
