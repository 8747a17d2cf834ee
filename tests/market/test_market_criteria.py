"""The criteria table: validation naming the criterion and key, and the check of each kind against
reports — hand-built ones where the answer is known, and the evaluation center's real Pima report."""

from __future__ import annotations

import pytest

from yizhi.errors import ValidationFailed
from yizhi.market import criteria

# Touches no database: run once, in the SQLite run (tests/conftest.py checks it).
pytestmark = pytest.mark.db_independent

REPORT = {
    "metrics": {"auroc": {"value": 0.86, "ci": [0.82, 0.90]}, "sensitivity": {"value": 0.61, "ci": [0.51, 0.69]},
                "brier": {"value": 0.14, "ci": [0.12, 0.16]}},
    "subgroups": {
        "age_band": {"groups": {"21-29": {"n": 197, "metrics": {"auroc": {"value": 0.87}}},
                                "30-44": {"n": 90, "metrics": {"auroc": {"value": 0.83}}},
                                "80+": {"n": "<10", "suppressed": True}},
                     "gaps": {"equalized_odds_difference": 0.44}},
        "site": {"groups": {"a": {"n": 100, "metrics": {"auroc": {"value": 0.79}}}},
                 "gaps": {"equalized_odds_difference": 0.08}}},
    "robustness": [{"perturbation": "noise", "delta_auroc": -0.003}, {"perturbation": "out_of_range",
                                                                      "delta_auroc": -0.049}],
    "verdict": {"overall": "pass"},
}


def _one(row):
    return criteria.check_report(criteria.validate([row]), REPORT)[0]


def test_each_kind_reads_its_figure():
    assert _one({"kind": "metric", "metric": "auroc", "bound": "ci_lower", "min": 0.80}).observed == 0.82
    assert not _one({"kind": "metric", "metric": "auroc", "bound": "ci_lower", "min": 0.85}).passed
    assert _one({"kind": "metric", "metric": "brier", "bound": "ci_upper", "max": 0.2}).passed
    worst = _one({"kind": "worst_group", "metric": "auroc", "min": 0.80})
    assert not worst.passed and worst.observed == 0.79 and worst.where == "subgroups.site.a.auroc"
    assert _one({"kind": "worst_group", "metric": "auroc", "min": 0.80, "subgroup": "age_band"}).passed
    gap = _one({"kind": "subgroup_gap", "gap": "equalized_odds_difference", "max": 0.1})
    assert not gap.passed and gap.observed == 0.44
    assert _one({"kind": "subgroup_gap", "gap": "equalized_odds_difference", "max": 0.1, "subgroup": "site"}).passed
    robust = _one({"kind": "robustness", "metric": "auroc", "min_delta": -0.03})
    assert not robust.passed and robust.observed == -0.049 and "out_of_range" in robust.where
    assert _one({"kind": "verdict"}).passed


def test_a_missing_figure_never_passes():
    missing = _one({"kind": "metric", "metric": "specificity", "bound": "value", "min": 0})
    assert not missing.passed and missing.observed is None and missing.problem
    assert not _one({"kind": "subgroup_gap", "gap": "demographic_parity_difference", "max": 1}).passed
    assert not criteria.check_report(criteria.validate([{"kind": "verdict"}]), {})[0].passed


@pytest.mark.parametrize("rows, fragment", [
    ([], "non-empty list"),
    ("auroc > 0.8", "non-empty list"),
    ([{"kind": "vibes"}], "criterion 1: kind must be one of"),
    ([{"kind": "metric", "metric": "auroc", "bound": "value"}], "give min or max"),
    ([{"kind": "metric", "metric": "auroc", "bound": "median", "min": 0.5}], "bound must be one of"),
    ([{"kind": "metric", "metric": "coolness", "bound": "value", "min": 0.5}], "unknown metric"),
    ([{"kind": "metric", "metric": "auroc", "bound": "value", "min": "0.8"}], "finite number"),
    ([{"kind": "metric", "metric": "auroc", "bound": "value", "min": float("nan")}], "finite number"),
    ([{"kind": "verdict"}, {"kind": "metric", "metric": "auroc", "bound": "value", "min": 0.9, "max": 0.1}],
     "criterion 2: min is larger than max"),
    ([{"kind": "verdict", "sql": "drop"}], "unknown sql"),
    ([{"kind": "subgroup_gap", "gap": "vibes", "max": 0.1}], "gap must be one of"),
    ([{"kind": "robustness", "metric": "auroc", "min_delta": -0.1, "perturbation": "earthquake"}],
     "perturbation must be one of"),
    ([{"kind": "verdict"}] * 51, "at most 50"),
])
def test_bad_criteria_are_refused_naming_the_criterion(rows, fragment):
    with pytest.raises(ValidationFailed) as refused:
        criteria.validate(rows)
    assert fragment in refused.value.message


def test_a_version_passes_only_when_every_report_passes():
    rows = criteria.validate([{"kind": "metric", "metric": "auroc", "bound": "value", "min": 0.8}])
    weak = {**REPORT, "metrics": {"auroc": {"value": 0.7, "ci": [0.6, 0.8]}}}
    assert criteria.summary(rows, {1: REPORT})["passed"]
    assert not criteria.summary(rows, {1: REPORT, 2: weak})["passed"]
    assert not criteria.summary(rows, {})["passed"]


def test_on_the_real_pima_report(pima_report):
    """The scorer's own report: figures read where the report keeps them."""
    rows = criteria.validate([
        {"kind": "metric", "metric": "auroc", "bound": "ci_lower", "min": 0.0},
        {"kind": "worst_group", "metric": "auroc", "min": 0.0},
        {"kind": "subgroup_gap", "gap": "equalized_odds_difference", "max": 1.0},
        {"kind": "robustness", "metric": "auroc", "min_delta": -1.0},
        {"kind": "verdict"}])
    outcomes = criteria.check_report(rows, pima_report)
    assert all(o.passed for o in outcomes), [o.as_dict() for o in outcomes]
    assert outcomes[0].observed == pima_report["metrics"]["auroc"]["ci"][0]
    groups = pima_report["subgroups"]["age_band"]["groups"]
    shown = [g["metrics"]["auroc"]["value"] for g in groups.values() if "metrics" in g]
    assert outcomes[1].observed == min(shown)
    assert outcomes[2].observed == pima_report["subgroups"]["age_band"]["gaps"]["equalized_odds_difference"]
    assert outcomes[3].observed == min(r["delta_auroc"] for r in pima_report["robustness"])


def test_a_robustness_criterion_may_name_an_image_perturbation():
    rows = criteria.validate([{"kind": "robustness", "metric": "auroc", "min_delta": -0.05,
                               "perturbation": "image_blur:2"}])
    report = {**REPORT, "robustness": [{"perturbation": "image_blur:1", "delta_auroc": -0.2},
                                       {"perturbation": "image_blur:2", "delta_auroc": -0.01}]}
    assert criteria.summary(rows, {1: report})["passed"]
    worse = {**REPORT, "robustness": [{"perturbation": "image_blur:2", "delta_auroc": -0.2}]}
    assert not criteria.summary(rows, {1: worse})["passed"]
