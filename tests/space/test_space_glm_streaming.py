"""The streamed GLM (IRLS over chunks, tall-skinny QR) equals statsmodels where both run: the pure fit
over many chunk sizes, rank-deficient designs, and the released query on real data (UCI Adult) read
in small chunks, also on a table with several rows per patient."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from space_helpers import grant_on, person, version_of

from space_data import adult_frame, synthetic_tables
from yizhi.space import glm_fit, glm_query
from yizhi.space.query_schemas import parse_query
from yizhi.space.query_service import run_query

FAMILIES = {"gaussian": sm.families.Gaussian(), "binomial": sm.families.Binomial(), "poisson": sm.families.Poisson()}


def _generated(family: str, n: int, seed: int = 3):
    rng = np.random.default_rng(seed)
    x = np.column_stack([np.ones(n), rng.normal(50, 12, n), rng.integers(0, 2, n), rng.integers(0, 3, n) == 2])
    eta = {"gaussian": x @ [2, 0.1, 0.5, -1], "binomial": x @ [-4, 0.06, 0.5, -0.7], "poisson": x @ [-1, 0.02, 0.3, -0.2]}
    y = {"gaussian": lambda: eta["gaussian"] + rng.normal(0, 3, n),
         "binomial": lambda: (rng.random(n) < 1 / (1 + np.exp(-eta["binomial"]))).astype(float),
         "poisson": lambda: rng.poisson(np.exp(eta["poisson"])).astype(float)}[family]()
    return y, x


def _chunked(y, x, size):
    def chunks():
        for start in range(0, len(y), size):
            yield y[start: start + size], x[start: start + size]
    return chunks


@pytest.mark.parametrize("family", sorted(FAMILIES))
@pytest.mark.parametrize("chunk", [1, 7, 500, 10_000])
def test_the_streamed_fit_equals_statsmodels_whatever_the_chunks(family, chunk):
    y, x = _generated(family, 3000)
    ours = glm_fit.fit(_chunked(y, x, chunk), family, x.shape[1], nobs=len(y), y_mean=float(y.mean()))
    theirs = sm.GLM(y, x, family=FAMILIES[family]).fit()
    assert ours.converged and ours.df_resid == theirs.df_resid
    np.testing.assert_allclose(ours.params, theirs.params, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(ours.bse, theirs.bse, rtol=1e-8)
    np.testing.assert_allclose(ours.conf_int, theirs.conf_int(), rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(ours.pvalues, theirs.pvalues, rtol=1e-6, atol=1e-300)
    assert ours.scale == pytest.approx(theirs.scale, rel=1e-8)


def test_a_rank_deficient_design_gives_statsmodels_minimum_norm_answer():
    y, x = _generated("gaussian", 800)
    doubled = np.column_stack([x, 2 * x[:, 1]])
    ours = glm_fit.fit(_chunked(y, doubled, 64), "gaussian", doubled.shape[1], nobs=len(y), y_mean=float(y.mean()))
    with pytest.warns(Warning):
        theirs = sm.GLM(y, doubled).fit()
    assert ours.rank == 4 and ours.df_resid == theirs.df_resid
    np.testing.assert_allclose(ours.params, theirs.params, rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(ours.bse, theirs.bse, rtol=1e-7, atol=1e-12)


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_a_value_that_is_not_a_number_is_an_error_not_a_result(family):
    y, x = _generated(family, 200)
    x[17, 1] = np.nan
    with pytest.raises(ValueError):
        glm_fit.fit(_chunked(y, x, 50), family, x.shape[1], nobs=len(y), y_mean=float(y.mean()))


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_the_released_glm_read_in_small_chunks_equals_statsmodels_on_adult(db, cast, monkeypatch, family):
    frame = adult_frame()
    version = version_of(db, "adult-glm", {"people": pa.Table.from_pandas(frame, preserve_index=False)})
    grant = grant_on(db, cast, version)
    db.commit()
    monkeypatch.setattr(glm_query, "CHUNK_ROWS", 1000)   # 31 chunks per pass
    outcome = {"gaussian": "age", "binomial": "high_income", "poisson": "age"}[family]
    covariates = ["sex", "race", "workclass"] + ([] if outcome == "age" else ["age"])
    out = run_query(db, person(db, cast.company), grant.id, parse_query(
        {"table": "people", "op": "glm", "family": family, "outcome": outcome, "covariates": covariates}))
    assert out["status"] == "released", out
    fitted = smf.glm(f"{outcome} ~ " + " + ".join(covariates), data=frame, family=FAMILIES[family]).fit()
    result = out["result"]
    assert result["n"] == int(fitted.nobs) and result["df_resid"] == fitted.df_resid
    assert set(result["coefficients"]) == set(fitted.params.index)
    ci = fitted.conf_int()
    for term, coefficient in result["coefficients"].items():
        assert coefficient["estimate"] == pytest.approx(fitted.params[term], rel=1e-7, abs=1e-10), term
        assert coefficient["se"] == pytest.approx(fitted.bse[term], rel=1e-7), term
        assert coefficient["ci"] == pytest.approx([ci.loc[term, 0], ci.loc[term, 1]], rel=1e-7, abs=1e-10)
        assert coefficient["p"] == pytest.approx(fitted.pvalues[term], rel=1e-5, abs=1e-12)


def test_several_rows_per_patient_count_patients_for_the_rules_and_rows_for_the_fit(db, cast, monkeypatch):
    tables = synthetic_tables()
    version = version_of(db, "labs-glm", tables)
    grant = grant_on(db, cast, version)
    db.commit()
    monkeypatch.setattr(glm_query, "CHUNK_ROWS", 97)
    query = {"table": "labs", "op": "glm", "family": "gaussian", "outcome": "value", "covariates": ["test"]}
    out = run_query(db, person(db, cast.company), grant.id, parse_query(query))
    assert out["status"] == "released", out
    labs = tables["labs"].to_pandas().dropna(subset=["value"])
    fitted = smf.glm("value ~ test", data=labs).fit()
    coefficients = out["result"]["coefficients"]
    assert out["result"]["n"] == len(labs)
    assert coefficients["test[T.hba1c]"]["estimate"] == pytest.approx(fitted.params["test[T.hba1c]"], rel=1e-8)
    assert coefficients["Intercept"]["se"] == pytest.approx(fitted.bse["Intercept"], rel=1e-8)
    # a level held by few patients is refused even when they have many rows
    rare = {"table": "labs", "join": ["patients"], "op": "glm", "family": "gaussian", "outcome": "value",
            "covariates": ["patients.ward"]}
    refused = run_query(db, person(db, cast.company), grant.id, parse_query(rare))
    people = tables["patients"].to_pandas()
    assert (people.ward == "rare-ward").sum() < 10
    assert refused["status"] == "refused" and refused["reason_code"] == "small_level"


@pytest.mark.parametrize("family", ["gaussian", "poisson"])
def test_an_intercept_only_model_equals_statsmodels(db, cast, family):
    """The only covariate is the outcome itself, so the model keeps none: nothing runs between the
    population's count and the streamed pass (hypothesis found a DuckDB result left open there)."""
    frame = adult_frame()
    version = version_of(db, "adult-intercept", {"people": pa.Table.from_pandas(frame, preserve_index=False)})
    grant = grant_on(db, cast, version)
    db.commit()
    out = run_query(db, person(db, cast.company), grant.id, parse_query(
        {"table": "people", "op": "glm", "family": family, "outcome": "age", "covariates": ["age"]}))
    assert out["status"] == "released", out
    fitted = smf.glm("age ~ 1", data=frame, family=FAMILIES[family]).fit()
    assert out["result"]["coefficients"]["Intercept"]["estimate"] == pytest.approx(fitted.params["Intercept"], rel=1e-8)
    assert out["result"]["coefficients"]["Intercept"]["se"] == pytest.approx(fitted.bse["Intercept"], rel=1e-7)
