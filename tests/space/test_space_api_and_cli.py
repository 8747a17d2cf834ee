"""POST /api/v1/space/query, the history, rules and dummy-data routes, and `yizhi space query`:
hostile input is a 422 naming the field, never a 5xx; API tokens are DP-only unless allowed."""

from __future__ import annotations

import io
import json
import zipfile

import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from space_helpers import grant_on, org, person, version_of
from typer.testing import CliRunner

from space_data import synthetic_tables
from yizhi.access.models import GrantMember


@pytest.fixture
def granted(db, cast):
    version = version_of(db, "emr-api", synthetic_tables())
    grant = grant_on(db, cast, version, {"patients": ["patient", "sex", "age", "ward"], "labs": ["patient", "test", "value"]},
                     epsilon=1.0)
    db.commit()
    return grant


def _post(client, grant_id, query, **extra):
    return client.request("POST", "/api/v1/space/query", json={"grant": grant_id, "query": query, **extra})


def test_a_query_through_the_api_is_released_and_on_the_ledger(web, cast, granted):
    client = web(cast.company)
    response = _post(client, granted.id, {"table": "patients", "op": "crosstab", "rows": ["sex"]})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "released" and {c["row"]["sex"] for c in body["result"]["cells"]} == {"F", "M"}
    assert set(body) >= {"status", "reason", "result", "suppressed", "epsilon_spent", "epsilon_left", "ledger_index"}
    entry = client.get(f"/api/v1/ledger/entries/{body['ledger_index']}").json()
    assert "space.query_released" in json.dumps(entry)
    history = client.get(f"/api/v1/space/grants/{granted.id}/queries").json()
    assert history["epsilon_left"] == 1.0 and history["queries"][0]["id"] == body["query_id"]
    # the data holder sees the history too; an outsider does not
    assert web(cast.owner).get(f"/api/v1/space/grants/{granted.id}/queries").status_code == 200
    assert web(cast.outsider).get(f"/api/v1/space/grants/{granted.id}/queries").status_code == 404
    owner_view = web(cast.owner).get("/api/v1/space/datasets/emr-api/queries").json()
    assert owner_view["queries"][0]["id"] == body["query_id"]


HOSTILE = [
    (b"{", "body"),
    (b"[" * 3000 + b"]" * 3000, "body"),
    (b'{"grant": 1, "query": {"table": "patients", "op": "count", "where": [["age", ">", NaN]]}}', "body"),
    (b'{"grant": 1, "query": {"table": "patients", "op": "count", "where": [["age", ">", 1e999]]}}', "where[0][2]"),
    (b'{"grant": 1, "query": {"table": "patients", "op": "count", "where": [["age", ">", 1e300]]}}', "where[0][2]"),
    (b'{"grant": 1, "query": {"table": "patients", "op": "count", "where": [["age", ">", ' + b"9" * 5000 + b"]]}}", "body"),
    (b'{"grant": 1, "query": {"table": "patients", "op": "count", "where": [["age", "in", ' +
     json.dumps(list(range(500))).encode() + b"]]}}", "where[0][2]"),
    (b'{"grant": 1, "query": {"table": "patients", "op": "crosstab", "rows": ["sex", "a", "b", "c"]}}', "rows"),
    (b'{"grant": 1, "query": {"table": "patients", "op": "count", "where": [["x\\"; DROP TABLE t; --", "=", 1]]}}',
     "where[0][0]"),
    (b'{"grant": 1, "query": {"table": "patients; DROP TABLE t", "op": "count"}}', "table"),
    (b'{"grant": 1, "query": {"table": "patients", "op": "exec"}}', "op"),
    (b'{"grant": 1, "query": {"table": "patients", "op": "count", "extra": 1}}', "extra"),
    (b'{"grant": 1, "query": {"table": "patients", "op": "count", "where": [[[[[[[[[[1]]]]]]]]]]}}', "query"),
    (b'{"grant": "1", "query": {}}', "grant"),
    (b'{"grant": 1e30, "query": {}}', "grant"),
    (b'{"grant": 1, "query": {"table": "patients", "op": "summary", "column": "' + b"a" * 200 + b'"}}', "column"),
    (b'{"grant": 1, "query": "count"}', "query"),
    (b'{"grant": 1, "query": {"table": "patients", "op": "histogram", "column": "age", "bins": 100000}}', "bins"),
    (b'{"grant": 1, "dp": true, "epsilon": -1, "query": {"table": "patients", "op": "count"}}', "epsilon"),
]


@pytest.mark.parametrize("raw, field", HOSTILE, ids=[str(i) for i in range(len(HOSTILE))])
def test_hostile_json_is_422_with_the_field_named(web, cast, granted, raw, field):
    client = web(cast.company)
    raw = raw.replace(b'"grant": 1,', f'"grant": {granted.id},'.encode())
    response = client.request("POST", "/api/v1/space/query", content=raw, headers={"content-type": "application/json"})
    assert response.status_code == 422, (response.status_code, response.text)
    error = response.json()["error"]
    assert error["field"] == field, error


def test_an_oversized_body_is_413(web, cast, granted):
    big = b'{"grant": 1, "query": {"table": "' + b"x" * 70_000 + b'"}}'
    response = web(cast.company).request("POST", "/api/v1/space/query", content=big,
                                         headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_api_tokens_are_dp_only_unless_the_grant_allows(api, cast, granted, db):
    client = api(cast.company)
    refused = _post(client, granted.id, {"table": "patients", "op": "count"}).json()
    assert refused["status"] == "refused" and refused["reason_code"] == "dp_only"
    dp = _post(client, granted.id, {"table": "patients", "op": "count"}, dp=True, epsilon=0.25).json()
    assert dp["status"] == "released" and dp["epsilon_spent"] == pytest.approx(0.25) and "dp" in dp["result"]
    assert dp["epsilon_left"] == pytest.approx(0.75)
    granted.allow_non_dp_automation = True
    db.commit()
    assert _post(client, granted.id, {"table": "patients", "op": "count"}).json()["status"] == "released"


def test_refusal_reason_in_the_readers_language(api, cast, granted):
    client = api(cast.company)
    body = client.post("/api/v1/space/query?lang=zh", json={"grant": granted.id, "query": {
        "table": "patients", "op": "count"}}).json()
    assert body["status"] == "refused" and any("\u4e00" <= ch <= "\u9fff" for ch in body["reason"])


def test_dummy_data_download_for_grantees_only(web, cast, granted):
    response = web(cast.company).get(f"/api/v1/space/grants/{granted.id}/dummy")
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = sorted(n.rsplit("/", 1)[-1] for n in archive.namelist())
    assert names == ["README.txt", "labs.parquet", "patients.parquet"]
    table = pq.read_table(io.BytesIO(archive.read(next(n for n in archive.namelist() if n.endswith("patients.parquet")))))
    assert table.schema.names == ["patient", "sex", "ward", "age", "diabetic"]
    assert web(cast.outsider).get(f"/api/v1/space/grants/{granted.id}/dummy").status_code == 404
    assert web(cast.owner).get(f"/api/v1/space/grants/{granted.id}/dummy").status_code == 403


def test_rules_are_set_by_the_owning_hospitals_owner_only(web, cast, granted):
    url = "/api/v1/space/datasets/emr-api/rules"
    assert web(cast.owner).get(url).json()["min_count"] == 10
    assert web(cast.colleague).request("PUT", url, json={"min_count": 5}).status_code == 403
    assert web(cast.company).request("PUT", url, json={"min_count": 5}).status_code == 404  # not even shown
    bad = web(cast.owner).request("PUT", url, json={"min_count": 0})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "min_count"
    saved = web(cast.owner).request("PUT", url, json={"min_count": 20, "round_to": 5, "default_epsilon": 2.0})
    assert saved.status_code == 200 and saved.json()["min_count"] == 20 and saved.json()["round_to"] == 5
    out = _post(web(cast.company), granted.id, {"table": "patients", "op": "count"}).json()
    assert out["result"]["n"] % 5 == 0


def test_cli_prints_the_released_json(db, cast, granted, tmp_path):
    from yizhi.cli import app

    granted.team = [GrantMember(person_id=cast.company.id)]
    db.commit()
    path = tmp_path / "q.json"
    path.write_text(json.dumps({"table": "patients", "op": "count", "where": [["age", ">=", 18]]}))
    runner = CliRunner()
    result = runner.invoke(app, ["space", "query", "--grant", str(granted.id), str(path)])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert list(body) == ["status", "reason", "result", "suppressed", "epsilon_spent", "epsilon_left", "ledger_index"]
    assert body["status"] == "released" and body["result"] == {"n": 400}
    dp = runner.invoke(app, ["space", "query", "--grant", str(granted.id), str(path), "--dp", "--epsilon", "0.5"])
    assert dp.exit_code == 0, dp.output
    assert json.loads(dp.stdout)["epsilon_left"] == pytest.approx(0.5)
    bad = tmp_path / "bad.json"
    bad.write_text('{"table": "patients", "op": "count", "where": [["wardx", "=", 1]]}')
    failed = runner.invoke(app, ["space", "query", "--grant", str(granted.id), str(bad)])
    assert failed.exit_code == 1 and "no column wardx" in failed.stderr and "Traceback" not in failed.output
    hidden = tmp_path / "hidden.json"
    hidden.write_text('{"table": "patients", "op": "summary", "column": "diabetic"}')
    refused = runner.invoke(app, ["space", "query", "--grant", str(granted.id), str(hidden)])
    assert refused.exit_code == 1 and "diabetic" in refused.stderr
    assert org(db, "company") is not None and person(db, cast.company) is not None


_json = st.recursive(
    st.none() | st.booleans() | st.integers(-10**20, 10**20) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30) | st.sampled_from(["patients", "labs", "age", "sex", "count", "crosstab", "glm", "in", "="]),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(
        st.sampled_from(["table", "op", "where", "rows", "columns", "column", "bins", "probs", "family", "outcome",
                         "covariates", "time", "event", "group", "join", "dataset", "x"]), children, max_size=6),
    max_leaves=25)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=_json)
def test_any_json_gets_an_answer_never_a_server_error(web, cast, granted, query):
    client = web(cast.company)
    response = client.request("POST", "/api/v1/space/query", json={"grant": granted.id, "query": query})
    assert response.status_code in (200, 403, 404, 413, 422), response.text
    if response.status_code == 422:
        assert response.json()["error"]["field"]
