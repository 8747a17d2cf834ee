"""Every operation's released numbers equal pandas / numpy / statsmodels / lifelines on real data where
nothing is suppressed: the UCI Adult census extract (../shared/data/adult, 30,162 people) and the Rossi
recidivism data (432 released prisoners, shipped with lifelines)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from space_helpers import grant_on, person, version_of

from space_data import adult_frame, rossi_frame, synthetic_tables
from yizhi.space.query_schemas import parse_query
from yizhi.space.query_service import run_query

REL = 1e-9


@pytest.fixture
def adult(db, cast):
    frame = adult_frame()
    version = version_of(db, "adult-census", {"people": pa.Table.from_pandas(frame, preserve_index=False)})
    grant = grant_on(db, cast, version)
    db.commit()
    return frame, grant


def _run(db, cast, grant, query: dict, **kw) -> dict:
    out = run_query(db, person(db, cast.company), grant.id, parse_query({"table": "people", **query}), **kw)
    assert out["status"] == "released", out
    return out


def test_count_with_every_filter_operator(db, cast, adult):
    frame, grant = adult
    cases = [
        ([["age", ">", 50]], frame.age > 50), ([["age", "<=", 30]], frame.age <= 30),
        ([["sex", "=", "Female"]], frame.sex == "Female"), ([["sex", "!=", "Female"]], frame.sex != "Female"),
        ([["race", "in", ["Black", "Asian-Pac-Islander"]]], frame.race.isin(["Black", "Asian-Pac-Islander"])),
        ([["age", "between", [30, 40]], ["sex", "=", "Male"]], frame.age.between(30, 40) & (frame.sex == "Male")),
        ([["age", ">=", 17], ["age", "<", 90]], (frame.age >= 17) & (frame.age < 90)),
        ([["occupation", "is_null"]], frame.occupation.isna()), ([["occupation", "is_null", False]], frame.occupation.notna()),
    ]
    for where, mask in cases:
        out = _run(db, cast, grant, {"op": "count", "where": where})
        assert out["result"] == {"n": int(mask.sum())}, where
        assert out["suppressed"] == []


def test_crosstab_equals_pandas_with_margins(db, cast, adult):
    frame, grant = adult
    out = _run(db, cast, grant, {"op": "crosstab", "rows": ["sex", "salary_class"], "columns": ["race"]})
    expected = pd.crosstab([frame.sex, frame.salary_class], frame.race, margins=True)
    result = out["result"]
    cells = {(c["row"]["sex"], c["row"]["salary_class"], c["column"]["race"]): c["n"] for c in result["cells"]}
    released = 0
    for (sex, salary), row in expected.iloc[:-1].iterrows():
        for race in expected.columns.drop("All"):
            want, got = int(row[race]), cells[(sex, salary, race)]
            if 0 < want < 10:
                assert got is None, (sex, salary, race)     # small: always suppressed
            elif got is not None:
                assert got == want, (sex, salary, race)     # released: exactly pandas'
                released += 1
    assert released >= 12 and len(out["suppressed"]) < len(result["cells"]) // 2
    assert result["margins"]["total"] == len(frame)
    for margin in result["margins"]["columns"]:
        assert margin["n"] == int(expected.iloc[-1][margin["column"]["race"]])
    unsuppressed = _run(db, cast, grant, {"op": "crosstab", "rows": ["sex"], "columns": ["salary_class"]})["result"]
    plain = pd.crosstab(frame.sex, frame.salary_class)
    assert {(c["row"]["sex"], c["column"]["salary_class"]): c["n"] for c in unsuppressed["cells"]} == {
        (s, k): int(plain.loc[s, k]) for s in plain.index for k in plain.columns}


def test_summary_quantiles_histogram_correlation_equal_pandas_and_numpy(db, cast, adult):
    frame, grant = adult
    where = [["sex", "=", "Female"]]
    ages = frame.loc[frame.sex == "Female", "age"]
    s = _run(db, cast, grant, {"op": "summary", "column": "age", "where": where,
                               "probs": [0.1, 0.5, 0.9]})["result"]
    assert s["n"] == len(ages) and s["min"] == ages.min() and s["max"] == ages.max()
    assert s["mean"] == pytest.approx(ages.mean(), rel=REL) and s["sd"] == pytest.approx(ages.std(), rel=REL)
    for p in (0.1, 0.5, 0.9):
        assert s["quantiles"][format(p, "g")] == pytest.approx(ages.quantile(p), rel=REL)
    q = _run(db, cast, grant, {"op": "quantiles", "column": "age", "probs": [0.05, 0.33, 0.95]})["result"]
    assert q["quantiles"] == {format(p, "g"): pytest.approx(np.quantile(frame.age, p), rel=REL) for p in (0.05, 0.33, 0.95)}
    h = _run(db, cast, grant, {"op": "histogram", "column": "age", "bins": 12})["result"]
    counts, edges = np.histogram(frame.age, bins=12)
    assert h["counts"] == counts.tolist() and h["edges"] == pytest.approx(edges.tolist()) and h["total"] == len(frame)
    edges_given = [20, 30, 45, 60, 90]
    h2 = _run(db, cast, grant, {"op": "histogram", "column": "age", "bins": edges_given})["result"]
    assert h2["counts"] == np.histogram(frame.age, bins=edges_given)[0].tolist()
    c = _run(db, cast, grant, {"op": "correlation", "columns": ["age", "high_income"]})["result"]
    assert c["matrix"][0][1] == pytest.approx(frame.age.corr(frame.high_income), rel=1e-9)


def test_sum_and_mean_tables_equal_pandas(db, cast, adult):
    frame, grant = adult
    out = _run(db, cast, grant, {"op": "mean", "column": "age", "rows": ["sex"], "columns": ["salary_class"]})
    expected = frame.groupby(["sex", "salary_class"]).age.mean()
    for cell in out["result"]["cells"]:
        assert cell["mean"] == pytest.approx(expected[(cell["row"]["sex"], cell["column"]["salary_class"])], rel=REL)
    assert out["result"]["margins"]["total"]["mean"] == pytest.approx(frame.age.mean(), rel=REL)
    total = _run(db, cast, grant, {"op": "sum", "column": "age", "rows": ["race"]})["result"]
    sums = frame.groupby("race").age.sum()
    for cell in total["cells"]:
        assert cell["sum"] == pytest.approx(sums[cell["row"]["race"]], rel=REL)


@pytest.mark.parametrize("family", ["gaussian", "binomial", "poisson"])
def test_glm_equals_statsmodels(db, cast, adult, family):
    frame, grant = adult
    outcome = {"gaussian": "age", "binomial": "high_income", "poisson": "age"}[family]
    covariates = ["sex", "race"] + ([] if outcome == "age" else ["age"])
    out = _run(db, cast, grant, {"op": "glm", "family": family, "outcome": outcome, "covariates": covariates})["result"]
    fam = {"gaussian": sm.families.Gaussian(), "binomial": sm.families.Binomial(), "poisson": sm.families.Poisson()}[family]
    formula = f"{outcome} ~ " + " + ".join(covariates)
    fitted = smf.glm(formula, data=frame, family=fam).fit()
    assert out["n"] == int(fitted.nobs) and out["df_resid"] == pytest.approx(fitted.df_resid)
    assert set(out["coefficients"]) == set(fitted.params.index)
    ci = fitted.conf_int()
    for term, coefficient in out["coefficients"].items():
        assert coefficient["estimate"] == pytest.approx(fitted.params[term], rel=1e-6, abs=1e-9)
        assert coefficient["se"] == pytest.approx(fitted.bse[term], rel=1e-6)
        assert coefficient["ci"] == pytest.approx([ci.loc[term, 0], ci.loc[term, 1]], rel=1e-6, abs=1e-9)
        assert coefficient["p"] == pytest.approx(fitted.pvalues[term], rel=1e-5, abs=1e-12)


@pytest.fixture
def rossi(db, cast):
    frame = rossi_frame()
    version = version_of(db, "rossi", {"people": pa.Table.from_pandas(frame, preserve_index=False)})
    grant = grant_on(db, cast, version)
    db.commit()
    return frame, grant


def test_kaplan_meier_with_groups_equals_lifelines(db, cast, rossi):
    from lifelines import KaplanMeierFitter

    frame, grant = rossi
    out = _run(db, cast, grant, {"op": "km", "time": "week", "event": "arrest", "group": "group"})["result"]
    assert [g["group"] for g in out["groups"]] == ["aid", "no_aid"]
    for group in out["groups"]:
        part = frame[frame.group == group["group"]]
        fitter = KaplanMeierFitter().fit(part.week, part.arrest)
        assert group["n"] == len(part) and group["events"] == int(part.arrest.sum())
        assert group["curve"], "the curve was cut entirely"
        for point in group["curve"]:
            assert point["survival"] == pytest.approx(float(fitter.survival_function_.loc[point["time"]].iloc[0]))
            assert point["at_risk"] == int(fitter.event_table.loc[point["time"], "at_risk"]) >= 10
    times = _run(db, cast, grant, {"op": "km", "time": "week", "event": "arrest", "times": [10, 26, 52]})["result"]
    fitter = KaplanMeierFitter().fit(frame.week, frame.arrest)
    assert [p["survival"] for p in times["groups"][0]["curve"]] == pytest.approx(
        fitter.survival_function_at_times([10, 26, 52]).tolist())


def test_cox_equals_lifelines(db, cast, rossi):
    from lifelines import CoxPHFitter

    frame, grant = rossi
    covariates = ["fin", "age", "race", "wexp", "mar", "paro", "prio"]
    out = _run(db, cast, grant, {"op": "cox", "time": "week", "event": "arrest", "covariates": covariates})["result"]
    fitted = CoxPHFitter().fit(frame[["week", "arrest", *covariates]], duration_col="week", event_col="arrest")
    assert out["n"] == len(frame) and out["events"] == int(frame.arrest.sum())
    for name in covariates:
        row = fitted.summary.loc[name]
        got = out["coefficients"][name]
        assert got["estimate"] == pytest.approx(row["coef"], rel=1e-6)
        assert got["se"] == pytest.approx(row["se(coef)"], rel=1e-6)
        assert got["p"] == pytest.approx(row["p"], rel=1e-5)
        assert got["hr"] == pytest.approx(row["exp(coef)"], rel=1e-6)
        assert got["ci"] == pytest.approx([row["coef lower 95%"], row["coef upper 95%"]], rel=1e-6)


def test_join_on_patient_counts_like_a_pandas_merge(db, cast):
    tables = synthetic_tables()
    version = version_of(db, "emr-join", tables)
    grant = grant_on(db, cast, version)
    db.commit()
    patients, labs = tables["patients"].to_pandas(), tables["labs"].to_pandas()
    merged = labs.merge(patients, on="patient")
    out = run_query(db, person(db, cast.company), grant.id, parse_query(
        {"table": "labs", "join": ["patients"], "op": "crosstab", "rows": ["test"], "columns": ["patients.sex"],
         "where": [["patients.age", ">=", 40]]}))
    sub = merged[merged.age >= 40]
    expected = pd.crosstab(sub.test, sub.sex)
    got = {(c["row"]["test"], c["column"]["patients.sex"]): c["n"] for c in out["result"]["cells"]}
    assert got == {(t, s): int(expected.loc[t, s]) for t in expected.index for s in expected.columns}
    mean = run_query(db, person(db, cast.company), grant.id, parse_query(
        {"table": "labs", "op": "mean", "column": "value", "rows": ["test"]}))["result"]
    for cell in mean["cells"]:
        assert cell["mean"] == pytest.approx(labs[labs.test == cell["row"]["test"]].value.mean(), rel=REL)
