"""The differencing audit compares only populations that could differ by fewer than the threshold: each
population is kept with its size in patients, and earlier ones whose size alone differs by the
threshold or more never reach the data pass — without letting any differencing pair through."""

from __future__ import annotations

import pytest
from space_helpers import grant_on, person, version_of

from space_data import synthetic_tables
from yizhi.space import query_service
from yizhi.space.query_models import QueryLog
from yizhi.space.query_schemas import parse_query
from yizhi.space.query_service import run_query


@pytest.fixture
def emr(db, cast):
    version = version_of(db, "emr-size", synthetic_tables())
    grant = grant_on(db, cast, version)
    db.commit()
    return grant


@pytest.fixture
def compared(monkeypatch):
    """The earlier query ids each audit pass was asked to compare."""
    seen: list[list[int]] = []
    real = query_service.closest_difference

    def recording(con, plan, population, earlier, threshold, *rest):
        seen.append([query_id for query_id, _ in earlier])
        return real(con, plan, population, earlier, threshold, *rest)

    monkeypatch.setattr(query_service, "closest_difference", recording)
    return seen


def _ask(db, cast, grant, query):
    return run_query(db, person(db, cast.company), grant.id, parse_query(query))


def test_populations_of_other_sizes_skip_the_data_pass_and_the_pair_is_still_refused(db, cast, emr, compared):
    people = synthetic_tables()["patients"].to_pandas()
    first = _ask(db, cast, emr, {"table": "patients", "op": "count", "where": [["age", ">", 50]]})
    assert first["status"] == "released"
    assert db.get(QueryLog, first["query_id"]).population["units"] == int((people.age > 50).sum())
    other = _ask(db, cast, emr, {"table": "patients", "op": "crosstab", "rows": ["sex"], "where": [["age", ">", 60]]})
    assert other["status"] == "released" and compared[-1] == []   # sizes differ by far more than 10
    one = people[people.age > 50].patient.iloc[0]
    pair = _ask(db, cast, emr, {"table": "patients", "op": "count", "where": [["age", ">", 50], ["patient", "!=", one]]})
    assert pair["status"] == "refused" and pair["reason_code"] == "differencing"
    assert compared[-1] == [first["query_id"]]


def test_populations_of_the_same_size_but_other_patients_are_compared(db, cast, emr, compared):
    ids = synthetic_tables()["patients"].to_pandas().patient
    assert _ask(db, cast, emr, {"table": "patients", "op": "count",
                                "where": [["patient", "!=", ids.iloc[0]]]})["status"] == "released"
    # the same number of patients, two of them swapped: the size cannot tell, the data pass does
    swapped = _ask(db, cast, emr, {"table": "patients", "op": "count", "where": [["patient", "!=", ids.iloc[1]]]})
    assert swapped["status"] == "refused" and swapped["reason_code"] == "differencing" and len(compared[-1]) == 1


def test_several_rows_per_patient_are_sized_in_patients(db, cast, emr, compared):
    labs = synthetic_tables()["labs"].to_pandas()
    out = _ask(db, cast, emr, {"table": "labs", "op": "summary", "column": "value"})
    assert out["status"] == "released"
    assert db.get(QueryLog, out["query_id"]).population["units"] == labs.dropna(subset=["value"]).patient.nunique()
    histogram = _ask(db, cast, emr, {"table": "labs", "op": "mean", "column": "value", "rows": ["test"]})
    assert histogram["status"] == "released"   # mean does not count patients itself: the audit does
    assert db.get(QueryLog, histogram["query_id"]).population["units"] == labs.dropna(subset=["value"]).patient.nunique()


def test_a_population_logged_without_its_size_is_still_compared(db, cast, emr, compared):
    first = _ask(db, cast, emr, {"table": "patients", "op": "count", "where": [["age", ">", 50]]})
    log = db.get(QueryLog, first["query_id"])
    log.population = {k: v for k, v in log.population.items() if k != "units"}   # as logged by the first round
    db.commit()
    people = synthetic_tables()["patients"].to_pandas()
    one = people[people.age > 50].patient.iloc[3]
    pair = _ask(db, cast, emr, {"table": "patients", "op": "count", "where": [["age", ">", 50], ["patient", "!=", one]]})
    assert pair["reason_code"] == "differencing" and compared[-1] == [first["query_id"]]


def test_the_pass_over_this_population_alone_counts_the_same_differences_as_the_pass_over_all_rows(db, cast, emr):
    """Where a row is a patient, the audit scans only this population's rows and reckons the difference
    from the kept sizes (|A| + |B| − 2|A ∩ B|); it must equal the full pass and the set difference."""
    from yizhi.space import audit, engine
    from yizhi.space.plan import build_plan
    from yizhi.space.query_service import required_columns

    people = synthetic_tables()["patients"].to_pandas()
    ids = list(people.patient)
    wheres = [[["age", ">", 50]], [["age", ">", 50], ["patient", "!=", ids[5]]], [["age", ">=", 51]],
              [["age", ">", 50], ["sex", "=", "F"]], [["patient", "in", ids[:40]]], [["patient", "in", ids[3:45]]],
              [["ward", "is_null"]], []]
    masks = [people.age > 50, (people.age > 50) & (people.patient != ids[5]), people.age >= 51,
             (people.age > 50) & (people.sex == "F"), people.patient.isin(ids[:40]), people.patient.isin(ids[3:45]),
             people.ward.isna(), people.age.notna() | people.age.isna()]
    entry = next(e for e in emr.datasets)
    con = engine.connect(entry.version)
    try:
        found = []
        for where in wheres:
            query = parse_query({"table": "patients", "op": "count", "where": where})
            plan = build_plan(query, entry, con)
            population = audit.population_of(plan, required_columns(query))
            found.append((plan, {**population, "units": audit.population_units(con, plan, population)}))
        assert [p["units"] for _, p in found] == [int(m.sum()) for m in masks]
        everyone = len(people) + 1
        for (plan, mine), mask in zip(found, masks, strict=True):
            for i, ((_, other), other_mask) in enumerate(zip(found, masks, strict=True)):
                truth = int((mask != other_mask).sum())
                by_size = audit.closest_difference(con, plan, mine, [(i, other)], everyone)
                unsized = {k: v for k, v in other.items() if k != "units"}   # forces the pass over all rows
                full = audit.closest_difference(con, plan, mine, [(i, unsized)], everyone)
                expected = (i, truth) if truth else None
                assert by_size == expected and full == expected, (mine["where"], other["where"])
    finally:
        con.close()
