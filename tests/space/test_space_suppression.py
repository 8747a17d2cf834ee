"""Small cells and the complementary cells that would let them be derived are suppressed; magnitude
cells failing dominance or the p% rule too; the table checker Tier B's airlock uses says why."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog
from space_helpers import grant_on, person, version_of

from yizhi.space.disclosure import DisclosureRules, check_table, magnitude_fails, round_count
from yizhi.space.query_models import DatasetRules
from yizhi.space.query_schemas import parse_query
from yizhi.space.query_service import run_query
from yizhi.space.suppression import suppress


def _bounds(cells, table, index):
    """What an attacker can learn of flat entry ``index`` from the published entries (LP, independently)."""
    rows, cols = cells.shape
    values = np.concatenate([cells.ravel(), cells.sum(1), cells.sum(0), [cells.sum()]])
    masked = np.concatenate([table.cell_mask.ravel(), table.row_mask, table.column_mask, [table.total_masked]])
    unknown = list(np.flatnonzero(masked))
    lines = [([r * cols + c for c in range(cols)], rows * cols + r) for r in range(rows)]
    lines += [([r * cols + c for r in range(rows)], rows * cols + rows + c) for c in range(cols)]
    lines += [(list(range(rows * cols, rows * cols + rows)), len(values) - 1),
              (list(range(rows * cols + rows, len(values) - 1)), len(values) - 1)]
    a, b = [], []
    for members, total in lines:
        row, const = np.zeros(len(unknown)), 0.0
        for i, sign in [(m, 1) for m in members] + [(total, -1)]:
            if masked[i]:
                row[unknown.index(i)] += sign
            else:
                const += sign * values[i]
        if row.any():
            a.append(row)
            b.append(-const)
    k = unknown.index(index)
    c = np.zeros(len(unknown))
    c[k] = 1
    low = linprog(c, A_eq=a or None, b_eq=b or None, bounds=[(0, None)] * len(unknown)).fun
    high = linprog(-c, A_eq=a or None, b_eq=b or None, bounds=[(0, None)] * len(unknown))
    return low, (np.inf if high.status == 3 else -high.fun)


def test_a_lone_small_cell_takes_complements_with_it():
    cells = np.array([[3, 40, 50], [20, 30, 45], [60, 70, 12]])
    table = suppress(cells, (cells > 0) & (cells < 10), protection=10)
    assert table.cell_mask[0, 0]
    assert table.cell_mask[0].sum() >= 2 and table.cell_mask[:, 0].sum() >= 2  # its row and column both hide another
    low, high = _bounds(cells, table, 0)
    assert high - low >= 10


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 6).flatmap(lambda r: st.integers(1, 5).flatmap(
    lambda c: st.lists(st.integers(0, 60), min_size=r * c, max_size=r * c).map(
        lambda v: np.array(v).reshape(r, c)))))
def test_no_small_cell_can_be_narrowed_below_the_threshold(cells):
    primary = (cells > 0) & (cells < 10)
    table = suppress(cells, primary, protection=10)
    assert (table.cell_mask | ~primary).all()
    for index in np.flatnonzero(primary.ravel()):
        low, high = _bounds(cells, table, int(index))
        assert high - low >= 10 - 1e-6, (cells.tolist(), index, low, high)


def test_rounding_and_magnitude_rules():
    rules = DisclosureRules(round_to=5)
    assert [round_count(v, rules) for v in (12, 13, 10, 0)] == [10, 15, 10, 0]
    assert magnitude_fails(100.0, 3, [50, 40], DisclosureRules()) == "threshold"
    assert magnitude_fails(100.0, 12, [80, 15], DisclosureRules()) == "dominance"   # 95% > 90%
    assert magnitude_fails(100.0, 12, [60, 35], DisclosureRules()) == "dominance"
    assert magnitude_fails(100.0, 12, [50, 45], DisclosureRules()) == "dominance"   # 95 > 90
    assert magnitude_fails(1000.0, 12, [500, 420], DisclosureRules()) == "dominance"  # 920 > 900
    assert magnitude_fails(1000.0, 12, [500, 390], DisclosureRules()) is None        # 890, rest 110 >= 50
    assert magnitude_fails(1000.0, 12, [400, 300], DisclosureRules()) is None
    assert magnitude_fails(1000.0, 12, [700, 290], DisclosureRules(dominance_k=1.0)) == "p_ratio"  # rest 10 < 70


def test_crosstab_suppresses_small_cells_and_complements_end_to_end(db, cast):
    people = pa.table({"patient": [f"P{i}" for i in range(200)],
                       "ward": ["a"] * 100 + ["b"] * 96 + ["c"] * 4,
                       "sex": (["F", "M"] * 100)})
    version = version_of(db, "small-cells", {"people": people})
    grant = grant_on(db, cast, version)
    db.commit()
    out = run_query(db, person(db, cast.company), grant.id,
                    parse_query({"table": "people", "op": "crosstab", "rows": ["ward"], "columns": ["sex"]}))
    cells = {(c["row"]["ward"], c["column"]["sex"]): c["n"] for c in out["result"]["cells"]}
    assert cells[("c", "F")] is None and cells[("c", "M")] is None          # 2 and 2
    margins = out["result"]["margins"]
    ward_c = next(m for m in margins["rows"] if m["row"]["ward"] == "c")
    assert ward_c["n"] is None                                              # the margin of 4 too
    # the sex margins are published, so each of ward a and b must hide a cell of each sex
    assert sum(v is None for k, v in cells.items() if k[0] != "c") >= 2
    assert out["suppressed"] and all(p.startswith(("cells", "margins")) for p in out["suppressed"])
    # released numbers are still exact
    frame = people.to_pandas()
    expected = pd.crosstab(frame.ward, frame.sex)
    for (ward, sex), n in cells.items():
        assert n is None or n == expected.loc[ward, sex]


def test_owner_rounding_applies(db, cast):
    people = pa.table({"patient": [f"P{i}" for i in range(123)], "sex": ["F"] * 61 + ["M"] * 62})
    version = version_of(db, "rounded", {"people": people})
    db.add(DatasetRules(dataset_id=version.dataset_id, round_to=5))
    grant = grant_on(db, cast, version)
    db.commit()
    out = run_query(db, person(db, cast.company), grant.id, parse_query({"table": "people", "op": "count"}))
    assert out["result"] == {"n": 125}
    tab = run_query(db, person(db, cast.company), grant.id,
                    parse_query({"table": "people", "op": "crosstab", "rows": ["sex"]}))["result"]
    assert [c["n"] for c in tab["cells"]] == [60, 60] and tab["margins"]["total"] == 125


def test_summary_of_a_small_group_is_suppressed_min_and_max_included(db, cast):
    people = pa.table({"patient": [f"P{i}" for i in range(50)], "age": list(range(20, 70)),
                       "ward": ["x"] * 45 + ["y"] * 5})
    version = version_of(db, "small-group", {"people": people})
    grant = grant_on(db, cast, version)
    db.commit()
    out = run_query(db, person(db, cast.company), grant.id, parse_query(
        {"table": "people", "op": "summary", "column": "age", "where": [["ward", "=", "y"]]}))
    assert out["status"] == "released"
    assert out["result"]["min"] is None and out["result"]["max"] is None and out["result"]["n"] is None
    assert set(out["suppressed"]) == {"n", "mean", "sd", "min", "max", "quantiles"}


def test_dominated_sum_cell_is_suppressed(db, cast):
    # ward y: one patient's 10,000 dwarfs nine others' 10s — dominance; ward x: fine
    costs = [100.0] * 30 + [10000.0] + [10.0] * 11
    people = pa.table({"patient": [f"P{i}" for i in range(42)], "cost": costs,
                       "ward": ["x"] * 30 + ["y"] * 12, "sex": ["F", "M"] * 21})
    version = version_of(db, "dominance", {"people": people})
    grant = grant_on(db, cast, version)
    db.commit()
    out = run_query(db, person(db, cast.company), grant.id, parse_query(
        {"table": "people", "op": "sum", "column": "cost", "rows": ["ward"]}))
    cells = {c["row"]["ward"]: c for c in out["result"]["cells"]}
    assert cells["y"]["sum"] is None
    assert cells["x"]["sum"] is None or cells["x"]["sum"] == 3000.0
    assert out["result"]["margins"]["total"]["sum"] is None or cells["x"]["sum"] is None  # y not derivable


def test_model_with_too_few_degrees_of_freedom_is_refused(db, cast):
    people = pa.table({"patient": [f"P{i}" for i in range(15)], "y": [float(i % 4) for i in range(15)],
                       "a": [float(i) for i in range(15)], "b": [float(i * i % 7) for i in range(15)],
                       "c": [float(i % 3) for i in range(15)], "d": [float(i % 5) for i in range(15)],
                       "e": [float(i % 2) for i in range(15)]})
    version = version_of(db, "few-df", {"people": people})
    grant = grant_on(db, cast, version)
    db.commit()
    out = run_query(db, person(db, cast.company), grant.id, parse_query(
        {"table": "people", "op": "glm", "family": "gaussian", "outcome": "y", "covariates": ["a", "b", "c", "d", "e"]}))
    assert out["status"] == "refused" and out["reason_code"] == "too_few_degrees_of_freedom"
    assert "9 residual degrees of freedom" in out["reason"] and out["result"] is None


# --- the checker Tier B's airlock runs -------------------------------------------------------------

def test_check_table_flags_small_counts_rounding_df_and_identifiers():
    rules = DisclosureRules()
    assert check_table(pd.DataFrame({"ward": ["a", "b"], "n": [12, 40]}), rules) == []
    problems = check_table(pd.DataFrame({"ward": ["a", "b"], "n": [3, 40]}), rules)
    assert problems == ["column n row 1: count 3 is below 10"]
    assert check_table(pa.table({"ward": ["a"], "count": [0]}), rules) == []   # zeros are published
    assert any("rounded" in p for p in check_table(pd.DataFrame({"n": [12]}), DisclosureRules(round_to=5)))
    assert any("degrees of freedom" in p for p in check_table(pd.DataFrame({"term": ["x"], "df_resid": [4]}), rules))
    assert any("patient" in p for p in check_table(pd.DataFrame({"patient": ["P1"], "n": [20]}), rules))
    # no named count column: non-negative integer columns are read as frequencies
    assert check_table(pd.DataFrame({"ward": ["a"], "people": [4]}), rules)
    declared = pa.table({"year": [2021], "people": [40]}).replace_schema_metadata(
        {"yizhi.disclosure": '{"counts": ["people"], "keys": ["year"]}'})
    assert check_table(declared, rules) == []
    assert any("minimum or maximum" in p for p in check_table(pd.DataFrame({"max_age": [90.0]}), rules))


def test_check_table_judges_declared_magnitudes():
    rules = DisclosureRules()
    good = pd.DataFrame({"cost": [1000.0], "cost__contributors": [20], "cost__top1": [100.0], "cost__top2": [90.0]})
    assert check_table(good, rules) == []
    dominated = good.assign(cost__top1=[900.0], cost__top2=[50.0])
    assert any("largest contributors" in p for p in check_table(dominated, rules))
    few = good.assign(cost__contributors=[4])
    assert any("contributors, fewer than 10" in p for p in check_table(few, rules))
    undeclared = pd.DataFrame({"cost": [1000.0], "cost__contributors": [20]})
    assert any("largest contributions" in p for p in check_table(undeclared, rules))
