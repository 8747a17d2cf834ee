"""The pages: the overview, a grant's query builder (results, suppressed cells marked, history with
budget), a dataset's rules and history for its owner; outsiders refused."""

from __future__ import annotations

import pyarrow as pa
import pytest
from space_helpers import grant_on, version_of

from space_data import synthetic_tables


@pytest.fixture
def granted(db, cast):
    version = version_of(db, "emr-pages", synthetic_tables())
    grant = grant_on(db, cast, version, epsilon=2.0)
    grant.title = "HbA1c study"
    db.commit()
    return grant


def test_overview_lists_usable_grants_and_held_datasets(web, cast, granted):
    page = web(cast.company).get("/space")
    assert page.status_code == 200 and f"/space/grants/{granted.id}" in page.text and "HbA1c study" in page.text
    owner = web(cast.owner).get("/space")
    assert "/space/datasets/emr-pages" in owner.text and f"/space/grants/{granted.id}" not in owner.text


def test_the_builder_runs_a_query_and_shows_it_with_suppressed_cells_marked(web, cast, granted):
    client = web(cast.company)
    response = client.post_form(f"/space/grants/{granted.id}/query", {
        "table": "patients", "op": "crosstab", "rows": "ward", "columns": "sex"})
    assert response.status_code == 303 and "?query=" in response.headers["location"]
    page = client.get(response.headers["location"])
    assert page.status_code == 200
    text = page.text
    assert 'data-status="released"' in text and "<svg" in text and "data-suppressed" in text   # rare ward hidden
    assert "data-history" in text and "ε" in text
    # a filter typed in the form, then a DP query spending ε
    dp = client.post_form(f"/space/grants/{granted.id}/query", {
        "table": "patients", "op": "count", "where_column_0": "age", "where_op_0": ">", "where_value_0": "40",
        "dp": "on", "epsilon": "0.5"})
    shown = client.get(dp.headers["location"]).text
    assert "DP ε=0.5" in shown and 'data-epsilon-left>1.5<' in shown


def test_a_bad_query_comes_back_to_the_form_with_the_message(web, cast, granted):
    client = web(cast.company)
    response = client.post_form(f"/space/grants/{granted.id}/query", {"table": "patients", "op": "summary",
                                                                      "column": "nope"})
    assert response.status_code == 303 and "draft=" in response.headers["location"]
    page = client.get(response.headers["location"])
    assert "nope" in page.text and 'value="nope"' in page.text


def test_histogram_and_km_draw_charts(web, cast, db):
    table = pa.table({"patient": [f"P{i}" for i in range(120)], "t": [float(i % 40 + 1) for i in range(120)],
                      "e": [i % 3 != 0 for i in range(120)], "g": ["a", "b"] * 60})
    version = version_of(db, "survival-pages", {"s": table})
    grant = grant_on(db, cast, version)
    db.commit()
    client = web(cast.company)
    for form in ({"table": "s", "op": "histogram", "column": "t", "bins": "8"},
                 {"table": "s", "op": "km", "time": "t", "event": "e", "group": "g"}):
        location = client.post_form(f"/space/grants/{grant.id}/query", form).headers["location"]
        assert "<svg" in client.get(location).text


def test_owner_sets_rules_on_the_page_and_sees_the_queries(web, cast, granted):
    web(cast.company).post_form(f"/space/grants/{granted.id}/query", {"table": "patients", "op": "count"})
    owner = web(cast.owner)
    page = owner.get("/space/datasets/emr-pages")
    assert page.status_code == 200 and "data-history" in page.text and "count" in page.text
    saved = owner.post_form("/space/datasets/emr-pages/rules", {
        "min_count": "15", "min_df": "10", "dominance_n": "2", "dominance_k": "0.9", "p_ratio": "0.1",
        "round_to": "", "default_epsilon": "1", "dp_rows_per_patient": "1"})
    assert saved.status_code == 303
    assert 'value="15"' in owner.get("/space/datasets/emr-pages").text
    colleague = web(cast.colleague)
    assert colleague.get("/space/datasets/emr-pages").status_code == 200           # sees, cannot edit
    assert colleague.post_form("/space/datasets/emr-pages/rules", {"min_count": "1"}).status_code == 403


def test_outsiders_are_refused_every_page(web, cast, granted):
    outsider = web(cast.outsider)
    assert outsider.get(f"/space/grants/{granted.id}").status_code == 404
    assert outsider.post_form(f"/space/grants/{granted.id}/query", {"table": "patients", "op": "count"}).status_code == 404
    assert outsider.get("/space/datasets/emr-pages").status_code == 403
    # the data holder sees the grant page (history) but has no builder
    holder = web(cast.owner).get(f"/space/grants/{granted.id}")
    assert holder.status_code == 200 and 'id="builder"' not in holder.text
