"""The grant's page shows its use of the trusted data space — Tier A queries (released, refused, DP, ε
spent and left, last use) and Tier B jobs (by state, outputs released, compute against its limits) —
to the grantee and to the dataset's owner, in Chinese and English; not to an outsider."""

from __future__ import annotations

import re

import pytest
from space_helpers import grant_on, person, version_of

from space_data import synthetic_tables
from yizhi.space.query_schemas import parse_query
from yizhi.space.query_service import run_query


@pytest.fixture
def used(db, cast):
    from yizhi.space import metering
    from yizhi.space.jobs_models import AutoStatus, ReviewState, SpaceJob, SpaceJobOutput, SpaceJobState

    version = version_of(db, "emr-use", synthetic_tables())
    grant = grant_on(db, cast, version, epsilon=2.0)
    db.commit()
    company = person(db, cast.company)
    people = synthetic_tables()["patients"].to_pandas()
    asked = [({"table": "patients", "op": "count", "where": [["age", ">", 50]]}, False),
             ({"table": "patients", "op": "count", "where": [["age", ">", 50],
                                                              ["patient", "!=", people[people.age > 50].patient.iloc[0]]]},
              False),
             ({"table": "patients", "op": "count"}, True)]
    outcomes = [run_query(db, company, grant.id, parse_query({"dataset": version.ref, **q}), dp_mode=dp,
                          epsilon=0.5 if dp else None)["status"] for q, dp in asked]
    assert outcomes == ["released", "refused", "released"]
    # Tier B jobs as the runner leaves them (the sandbox itself is tested in tests/space_jobs)
    done = SpaceJob(grant_id=grant.id, version_id=version.id, organization_id=grant.organization_id,
                    requester_id=company.id, project_digest="0" * 64, state=SpaceJobState.succeeded, cpu_seconds=12.5,
                    wall_seconds=20.0)
    done.outputs.append(SpaceJobOutput(name="result.csv", kind="table", auto_status=AutoStatus.passed,
                                       review_state=ReviewState.approved))
    failed = SpaceJob(grant_id=grant.id, version_id=version.id, organization_id=grant.organization_id,
                      requester_id=company.id, project_digest="1" * 64, state=SpaceJobState.failed, cpu_seconds=1.0)
    dummy = SpaceJob(grant_id=grant.id, version_id=version.id, organization_id=grant.organization_id,
                     requester_id=company.id, project_digest="2" * 64, state=SpaceJobState.succeeded, dummy=True)
    db.add_all([done, failed, dummy])
    metering.set_limits(db, grant, person(db, cast.admin), max_cpu_seconds=100)
    db.commit()
    return grant


def _row(text: str, row_id: str) -> str:
    found = re.search(rf'<tr id="{row_id}".*?</tr>', text, re.S)
    assert found, row_id
    return re.sub(r"\s+", " ", found.group(0))


def test_the_grantee_and_the_owner_see_the_use_in_both_languages(db, web, cast, used):
    from yizhi.space.grant_use import grant_use

    use = grant_use(db, used)
    assert use["queries"] | {"last_use": None} == {
        "total": 3, "released": 2, "refused": 1, "dp": 1, "epsilon_budget": 2.0, "epsilon_spent": 0.5,
        "epsilon_left": 1.5, "last_use": None}
    assert use["queries"]["last_use"] is not None
    assert use["jobs"]["by_state"] == {"succeeded": 1, "failed": 1} and use["jobs"]["dummy"] == 1
    assert use["jobs"]["outputs_released"] == 1
    assert use["jobs"]["limits"] == {"cpu_seconds": {"limit": 100.0, "used": 13.5, "left": 86.5}}
    for member in (cast.company, cast.owner):
        client = web(member)
        en = client.get(f"/access/grants/{used.id}?lang=en")
        assert en.status_code == 200 and 'id="space-use"' in en.text
        queries, jobs = _row(en.text, "use-queries"), _row(en.text, "use-jobs")
        assert "1 refused" in queries and "2 released" in queries and "1 differentially private" in queries
        assert "ε 0.5 spent of 2.0, 1.5 left" in queries and "never" not in queries
        assert "succeeded 1" in jobs and "failed 1" in jobs and "1 outputs released, 1 dummy-data runs" in jobs
        assert "CPU seconds: 13.5 spent of 100.0, 86.5 left" in jobs
        zh = client.get(f"/access/grants/{used.id}?lang=zh")
        queries, jobs = _row(zh.text, "use-queries"), _row(zh.text, "use-jobs")
        assert "可信数据空间" in zh.text and "拒绝" in queries and "1.5" in queries and "成功 1" in jobs
        assert "1 refused" not in queries and "outputs released" not in jobs


def test_an_unused_grant_says_never_and_an_outsider_sees_nothing(db, web, cast):
    version = version_of(db, "emr-unused", synthetic_tables())
    grant = grant_on(db, cast, version)
    db.commit()
    page = web(cast.company).get(f"/access/grants/{grant.id}?lang=en")
    assert _row(page.text, "use-queries").count("never") == 1 and _row(page.text, "use-jobs").count("never") == 1
    assert "no compute limit set" in page.text
    assert web(cast.outsider).get(f"/access/grants/{grant.id}").status_code == 404
