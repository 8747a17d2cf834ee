"""A company sees its own reports and the leaderboards, never another organisation's submission; the
evaluator sees every submission of its benchmark; only evaluators hold benchmarks, on data they hold."""

from __future__ import annotations

import pytest


@pytest.fixture
def scored(db, cast, benchmark, pima_model):
    from yizhi.evaluation import service
    from yizhi.jobs.service import work_once

    sub = service.submit(db, benchmark=service.get_benchmark(db, benchmark), org=service.org_by_slug(db, "company"),
                         model=pima_model)
    db.commit()
    assert work_once("test")
    return sub.id


def test_who_sees_a_report(api, web, cast, db, scored, evaluator):
    from yizhi.accounts import service as accounts
    from evaluation_helpers import add_member

    url = f"/api/v1/evaluation/submissions/{scored}/report"
    assert api(cast.company).get(url).status_code == 200
    assert api(cast.outsider).get(url).status_code == 404
    assert api(cast.owner).get(url).status_code == 404          # a hospital that is not the evaluator
    assert api(cast.admin).get(url).status_code == 200          # the commission
    evaluator_member = add_member(db, evaluator, "reviewer@eval.test")
    assert api(evaluator_member).get(url).status_code == 200
    assert web(cast.company).get(f"/evaluation/submissions/{scored}").status_code == 200
    assert web(cast.outsider).get(f"/evaluation/submissions/{scored}").status_code == 404
    board = api(cast.outsider).get("/api/v1/evaluation/benchmarks/pima-diabetes").json()
    rows = api(cast.outsider).get(f"/api/v1/evaluation/phases/{board['phases'][0]['id']}/leaderboard").json()["rows"]
    assert rows[0]["organization"] == "company" and set(rows[0]) >= {"value", "ci", "rank"}
    assert "metrics" not in rows[0] and "report" not in rows[0]
    accounts  # noqa: B018


def test_only_evaluators_holding_the_data_create_benchmarks(db, cast, evaluator):
    from yizhi.accounts import service as accounts
    from yizhi.catalog.testing import make_version
    from yizhi.errors import PermissionDenied
    from yizhi.evaluation import service

    from evaluation_data import TASK, hidden_table, pima

    hospital = accounts.get_org_by_slug(db, "hospital")
    make_version(db, hospital, "hospital-pima", {"test": hidden_table(pima()[1])})
    with pytest.raises(PermissionDenied):
        service.create_benchmark(db, slug="x-bench", dataset="hospital-pima@1", task_yaml=TASK,
                                 org=accounts.get_org_by_slug(db, "company"))
    with pytest.raises(PermissionDenied):   # the evaluator has no grant on the hospital's version
        service.create_benchmark(db, slug="x-bench", dataset="hospital-pima@1", task_yaml=TASK, org=evaluator)
    from yizhi.access.grants import create_grant
    from yizhi.catalog.service import resolve_version

    create_grant(db, org=evaluator, versions={resolve_version(db, "hospital-pima@1"): None}, days=30)
    assert service.create_benchmark(db, slug="x-bench", dataset="hospital-pima@1", task_yaml=TASK,
                                    org=evaluator).slug == "x-bench"


def test_submission_cap_per_period(db, cast, benchmark, pima_model):
    from yizhi.errors import TooManyRequests
    from yizhi.evaluation import service

    bench = service.get_benchmark(db, benchmark)
    bench.phases[0].cap = 1
    company = service.org_by_slug(db, "company")
    service.submit(db, benchmark=bench, org=company, model=pima_model)
    with pytest.raises(TooManyRequests):
        service.submit(db, benchmark=bench, org=company, model=pima_model)


def test_leaderboard_marks_overlapping_cis_as_ties(db, evaluator, benchmark):
    from datetime import timedelta

    from yizhi.accounts import service as accounts
    from yizhi.db import utcnow
    from yizhi.evaluation import service
    from yizhi.evaluation.leaderboard import leaderboard
    from yizhi.evaluation.models import Submission, SubmissionState

    bench = service.get_benchmark(db, benchmark)
    phase = bench.phases[0]
    orgs = [accounts.create_organization(db, slug=f"co-{i}", name=f"co {i}", kind="company") for i in range(3)]
    rows = [(0.90, 0.85, 0.95), (0.88, 0.83, 0.93), (0.70, 0.65, 0.75)]
    for org, (value, low, high) in zip(orgs, rows, strict=True):
        db.add(Submission(benchmark_id=bench.id, phase_id=phase.id, organization_id=org.id, model_sha256="0" * 64,
                          model_bytes=1, state=SubmissionState.scored, primary_value=value, primary_low=low,
                          primary_high=high, scored_at=utcnow() - timedelta(minutes=1)))
    db.flush()
    board = leaderboard(db, phase)
    assert [r["organization"] for r in board] == ["co-0", "co-1", "co-2"]
    assert [r["rank"] for r in board] == [1, 1, 3]
    assert [r["tied_with_above"] for r in board] == [False, True, False]
