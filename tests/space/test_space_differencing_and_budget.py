"""The differencing pair is refused; ε budgets are spent once and refused when exhausted, also when
queries race from threads (SQLite and PostgreSQL alike)."""

from __future__ import annotations

import threading

import pyarrow as pa
import pytest
from space_helpers import grant_on, person, version_of
from sqlalchemy import select

from space_data import synthetic_tables
from yizhi.db import session_factory
from yizhi.ledger.models import LedgerEntry
from yizhi.space import budget
from yizhi.space.query_models import EpsilonSpent, QueryLog
from yizhi.space.query_schemas import parse_query
from yizhi.space.query_service import run_query


@pytest.fixture
def emr(db, cast):
    version = version_of(db, "emr-audit", synthetic_tables())
    grant = grant_on(db, cast, version, epsilon=0.5)
    db.commit()
    return grant


def _ask(db, cast, grant, query, **kw):
    return run_query(db, person(db, cast.company), grant.id, parse_query(query), **kw)


def test_the_differencing_pair_is_refused_with_the_reason(db, cast, emr):
    first = _ask(db, cast, emr, {"table": "patients", "op": "count", "where": [["age", ">", 50]]})
    assert first["status"] == "released" and first["result"]["n"] > 100
    second = _ask(db, cast, emr, {"table": "patients", "op": "count",
                                  "where": [["age", ">", 50], ["patient", "!=", "P00003"]]})
    assert second["status"] == "refused" and second["reason_code"] == "differencing"
    assert f"query {first['query_id']}" in second["reason"] and second["result"] is None
    log = db.get(QueryLog, second["query_id"])
    entry = db.scalar(select(LedgerEntry).where(LedgerEntry.index == second["ledger_index"]))
    assert log.status == "refused" and '"space.query_refused"' in entry.leaf and "differencing" in entry.leaf


def test_what_the_audit_lets_through_and_what_it_catches(db, cast, emr):
    base = [["age", ">", 50]]
    assert _ask(db, cast, emr, {"table": "patients", "op": "count", "where": base})["status"] == "released"
    # the same population described another way: fine
    same = _ask(db, cast, emr, {"table": "patients", "op": "crosstab", "rows": ["sex"], "where": base})
    assert same["status"] == "released"
    # a population that differs by many patients: fine
    assert _ask(db, cast, emr, {"table": "patients", "op": "count", "where": [["age", ">", 60]]})["status"] == "released"
    # a few patients removed by an innocent-looking second filter: refused
    small = _ask(db, cast, emr, {"table": "patients", "op": "count", "where": [*base, ["ward", "!=", "rare-ward"]]})
    assert small["reason_code"] == "differencing"
    # through a join: labs of the age > 50 patients, then the same minus one patient's labs
    people = synthetic_tables()["patients"].to_pandas()
    older = people[people.age > 50].patient.iloc[0]
    joined = [["patients.age", ">", 50]]
    assert _ask(db, cast, emr, {"table": "labs", "join": ["patients"], "op": "count", "where": joined})["status"] == "released"
    minus_one = _ask(db, cast, emr, {"table": "labs", "join": ["patients"], "op": "count",
                                     "where": [*joined, ["patient", "!=", older]]})
    assert minus_one["reason_code"] == "differencing"
    # a differentially private query is not audited: its noise is the protection
    dp = _ask(db, cast, emr, {"table": "patients", "op": "count", "where": [*base, ["patient", "!=", "P00003"]]},
              dp_mode=True, epsilon=0.1)
    assert dp["status"] == "released" and dp["epsilon_spent"] == pytest.approx(0.1)


def test_missing_values_change_the_population_too(db, cast):
    values = [float(i) for i in range(60)]
    for i in (1, 2, 3):
        values[i] = None
    table = pa.table({"patient": [f"P{i}" for i in range(60)], "x": pa.array(values, type=pa.float64())})
    version = version_of(db, "nulls-audit", {"t": table})
    grant = grant_on(db, cast, version)
    db.commit()
    assert _ask(db, cast, grant, {"table": "t", "op": "count"})["status"] == "released"
    refused = _ask(db, cast, grant, {"table": "t", "op": "summary", "column": "x"})   # the 57 with x present
    assert refused["reason_code"] == "differencing"


def test_budget_is_spent_and_exhaustion_refused(db, cast, emr):
    spent = 0.0
    for _ in range(2):
        out = _ask(db, cast, emr, {"table": "patients", "op": "count"}, dp_mode=True, epsilon=0.2)
        spent += out["epsilon_spent"]
        assert out["status"] == "released" and out["epsilon_left"] == pytest.approx(0.5 - spent)
    refused = _ask(db, cast, emr, {"table": "patients", "op": "count"}, dp_mode=True, epsilon=0.2)
    assert refused["status"] == "refused" and refused["reason_code"] == "budget_exhausted"
    assert refused["epsilon_spent"] == 0.0 and refused["epsilon_left"] == pytest.approx(0.1)
    db.expire_all()
    assert budget.spent_of(db, emr) == pytest.approx(0.4)
    # what is left can still be spent exactly
    assert _ask(db, cast, emr, {"table": "patients", "op": "count"}, dp_mode=True, epsilon=0.1)["status"] == "released"


def test_concurrent_queries_cannot_overspend(db, cast, emr):
    grant_id, who = emr.id, cast.company.id
    results, errors = [], []

    def worker():
        session = session_factory()()
        try:
            from yizhi.accounts.models import Person

            for _ in range(3):
                out = run_query(session, session.get(Person, who), grant_id,
                                parse_query({"table": "patients", "op": "count"}), dp_mode=True, epsilon=0.1)
                results.append(out["status"])
        except BaseException as exc:  # noqa: BLE001 — reported below
            errors.append(exc)
        finally:
            session.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert results.count("released") == 5 and results.count("refused") == 7
    db.expire_all()
    row = db.get(EpsilonSpent, grant_id)
    assert row.spent == pytest.approx(0.5) and row.queries == 5
    logged = db.scalars(select(QueryLog).where(QueryLog.grant_id == grant_id)).all()
    assert sum(q.status == "released" for q in logged) == 5 and sum(q.epsilon or 0 for q in logged) == pytest.approx(0.5)
