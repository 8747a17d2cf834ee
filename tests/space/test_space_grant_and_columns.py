"""A query runs only on a live grant, by its team, on the columns it allows — whatever parameter names
them (fuzzed with hypothesis)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from space_helpers import grant_on, person, version_of
from sqlalchemy import select

from space_data import synthetic_tables
from yizhi.errors import NotFound, PermissionDenied, ValidationFailed
from yizhi.space.query_models import QueryLog
from yizhi.space.query_schemas import parse_query
from yizhi.space.query_service import Refusal, run_query

GRANTED = {"patients": ["patient", "sex", "age"], "labs": ["patient", "test"]}
NOT_GRANTED = {"ward", "diabetic", "value", "labs.value", "patients.ward", "patients.diabetic"}


@pytest.fixture
def partial(db, cast):
    version = version_of(db, "emr-columns", synthetic_tables())
    grant = grant_on(db, cast, version, GRANTED)
    db.commit()
    return grant


def test_an_expired_grant_is_refused_and_the_refusal_logged(db, cast, partial):
    partial.expires_at = partial.expires_at - timedelta(days=40)
    db.commit()
    with pytest.raises(PermissionDenied, match="expired") as caught:
        run_query(db, person(db, cast.company), partial.id, parse_query({"table": "patients", "op": "count"}))
    assert caught.value.code == "grant_expired"
    log = db.scalars(select(QueryLog).where(QueryLog.grant_id == partial.id)).one()
    assert log.status == "refused" and log.reason_code == "grant_expired" and log.ledger_index is not None


def test_people_off_the_grant_are_refused(db, cast, partial):
    with pytest.raises(NotFound):
        run_query(db, person(db, cast.outsider), partial.id, parse_query({"table": "patients", "op": "count"}))
    with pytest.raises(PermissionDenied):   # the data holder sees the grant but does not act under it
        run_query(db, person(db, cast.owner), partial.id, parse_query({"table": "patients", "op": "count"}))


@pytest.mark.parametrize("query, column", [
    ({"op": "crosstab", "rows": ["sex"], "columns": ["ward"]}, "ward"),
    ({"op": "summary", "column": "diabetic"}, "diabetic"),
    ({"op": "count", "where": [["ward", "=", "endo"]]}, "ward"),
    ({"op": "glm", "family": "gaussian", "outcome": "age", "covariates": ["sex", "diabetic"]}, "diabetic"),
    ({"op": "km", "time": "age", "event": "sex", "group": "ward"}, "ward"),
    ({"op": "count", "join": ["labs"], "where": [["labs.value", ">", 3]]}, "value"),
])
def test_a_column_outside_the_grant_is_refused_by_name(db, cast, partial, query, column):
    with pytest.raises(PermissionDenied) as caught:
        run_query(db, person(db, cast.company), partial.id, parse_query({"table": "patients", **query}))
    assert caught.value.code == "column_not_granted" and column in caught.value.message


def test_unknown_columns_tables_and_bad_values_are_422_with_the_field(db, cast, partial):
    who = person(db, cast.company)
    cases = [({"table": "nope", "op": "count"}, "table"),
             ({"table": "patients", "op": "summary", "column": "nope"}, "column"),
             ({"table": "patients", "op": "count", "where": [["age", ">", "old"]]}, "where[0][2]"),
             ({"table": "patients", "op": "count", "where": [["sex", "<", "F"]]}, "where[0][1]"),
             ({"table": "patients", "op": "summary", "column": "sex"}, "column"),
             ({"table": "patients", "op": "count", "join": ["labs"]}, "join[0]")]   # labs: several rows per patient
    for query, field in cases:
        with pytest.raises(ValidationFailed) as caught:
            run_query(db, who, partial.id, parse_query(query))
        assert caught.value.field == field, (query, caught.value.message)


_names = st.sampled_from(sorted({"patient", "sex", "age", "test", "labs.test", "patients.age"} | NOT_GRANTED
                                | {"x'; DROP TABLE people; --", 'a"b', "age)", "*"}))
_ops = st.sampled_from(["count", "crosstab", "summary", "histogram", "quantiles", "correlation", "glm", "km",
                        "cox", "sum", "mean"])


@st.composite
def _queries(draw):
    query = {"table": draw(st.sampled_from(["patients", "labs"])), "op": draw(_ops)}
    if draw(st.booleans()):
        query["join"] = ["labs" if query["table"] == "patients" else "patients"]
    query["where"] = [[draw(_names), draw(st.sampled_from(["=", "!=", ">", "is_null"])),
                       draw(st.one_of(st.integers(0, 90), st.sampled_from(["F", "endo"]), st.booleans()))]
                      for _ in range(draw(st.integers(0, 2)))]
    for key in ("column", "outcome", "time", "event", "group"):
        if draw(st.booleans()):
            query[key] = draw(_names)
    for key in ("rows", "columns", "covariates"):
        if draw(st.booleans()):
            query[key] = draw(st.lists(_names, min_size=1, max_size=3))
    if query["op"] == "glm":
        query.setdefault("family", "gaussian")
    if query["op"] == "quantiles":
        query["probs"] = [0.5]
    return query


def _named(query: dict) -> set[str]:
    names = {c[0] for c in query.get("where", [])}
    for key in ("column", "outcome", "time", "event", "group"):
        if key in query:
            names.add(query[key])
    for key in ("rows", "columns", "covariates"):
        names |= set(query.get(key, []))
    return names


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=_queries())
def test_no_column_outside_the_grant_is_reachable_by_any_parameter(db, cast, partial, query):
    who = person(db, cast.company)
    try:
        parsed = parse_query(query)
    except ValidationFailed:
        return
    try:
        out = run_query(db, who, partial.id, parsed)
    except PermissionDenied as exc:
        assert exc.code == "column_not_granted"
        assert any(name.split(".")[-1] in exc.message for name in _named(query) if name in NOT_GRANTED)
        return
    except (ValidationFailed, Refusal):
        return
    # released or refused by the output rules: then it named only granted (or unknown) columns
    assert not (_named(query) & NOT_GRANTED), (query, out["status"])
