"""The exact API and CLI: submit a zip, follow the job, list, review and download its outputs;
bad input answered with a clear error; strangers refused; compute metered against the grant."""

from __future__ import annotations

import io
import json

import pytest
from typer.testing import CliRunner

from yizhi.jobs import service as queue
from yizhi.space.project import zip_folder

pytestmark = pytest.mark.slow

CODE = """
    import pandas as pd
    frame = pd.read_parquet("/data/cohort.parquet")
    frame.groupby("site").size().rename("n").reset_index().to_csv("/output/result.csv", index=False)
"""


def _submit(client, grant_id, data: bytes, **extra):
    return client.post("/api/v1/space/jobs", data={"grant": str(grant_id), **extra},
                       files={"project": ("project.zip", io.BytesIO(data), "application/zip")})


def test_submit_follow_and_list_through_the_api(cast, api, grant, write_project):
    company = api(cast.company)
    created = _submit(company, grant.id, zip_folder(write_project(CODE), 1 << 20))
    assert created.status_code == 201, created.text
    job_id = created.json()["id"]
    assert created.json()["state"] == "queued"
    assert queue.work_once("test-worker")
    job = company.get(f"/api/v1/space/jobs/{job_id}").json()
    assert job["state"] == "succeeded" and job["dataset"] == "dm-cohort@1"
    assert job["metering"]["cpu_seconds"] > 0 and job["metering"]["wall_seconds"] > 0
    assert job["metering"]["output_bytes"] > 0 and job["metering"]["peak_memory_bytes"] > 0
    outputs = company.get(f"/api/v1/space/jobs/{job_id}/outputs").json()
    by_name = {o["name"]: o for o in outputs}
    assert set(by_name) == {"result.csv", "stdout.log", "stderr.log"}
    assert by_name["result.csv"]["review_state"] == "pending" and not by_name["result.csv"]["downloadable"]
    usage = company.get(f"/api/v1/space/grants/{grant.id}/compute").json()
    assert usage["usage"]["jobs"] == 1 and usage["usage"]["cpu_seconds"] == job["metering"]["cpu_seconds"]

    # strangers: the outsider sees nothing; anonymous must log in; the outsider cannot review
    assert api(cast.outsider).get(f"/api/v1/space/jobs/{job_id}").status_code == 404
    assert api().get(f"/api/v1/space/jobs/{job_id}").status_code == 401
    refused = api(cast.outsider).post(f"/api/v1/space/jobs/{job_id}/outputs/result.csv/review",
                                      json={"decision": "approve", "comment": "x"})
    assert refused.status_code == 404


@pytest.mark.parametrize("payload, status, words", [
    (b"not a zip", 422, "not a zip"),
    (b"", 422, "not a zip"),
])
def test_bad_uploads_get_a_clear_error(cast, api, grant, payload, status, words):
    answer = _submit(api(cast.company), grant.id, payload)
    assert answer.status_code == status
    assert words in answer.json()["error"]["message"]


def test_other_refusals(cast, api, grant, write_project):
    data = zip_folder(write_project(CODE), 1 << 20)
    assert _submit(api(cast.outsider), grant.id, data).status_code == 404  # not their grant
    assert _submit(api(cast.owner), grant.id, data).status_code == 403  # the holder is not the grantee
    assert _submit(api(cast.company), 999999, data).status_code == 404
    bad_review = api(cast.owner).post("/api/v1/space/jobs/1/outputs/x/review", json={"decision": "maybe"})
    assert bad_review.status_code in (404, 422)


def test_limits_per_grant_stop_new_jobs(cast, api, grant, write_project):
    owner = api(cast.owner)  # the data holder sets the grant's compute limits
    assert api(cast.company).put(f"/api/v1/space/grants/{grant.id}/compute", json={"max_jobs": 1}).status_code == 403
    assert owner.put(f"/api/v1/space/grants/{grant.id}/compute", json={"max_jobs": 1, "max_cpu_seconds": 600}).status_code == 200
    data = zip_folder(write_project(CODE), 1 << 20)
    assert _submit(api(cast.company), grant.id, data).status_code == 201
    assert queue.work_once("test-worker")
    again = _submit(api(cast.company), grant.id, data)
    assert again.status_code == 403
    assert "compute limit" in again.json()["error"]["message"]


def test_the_cli_runs_lists_and_downloads_approved_files_only(db, cast, grant, write_project, tmp_path):
    from yizhi.cli import app
    from yizhi.space import jobs_service, review

    from .conftest import person

    runner = CliRunner()
    folder = write_project(CODE)
    ran = runner.invoke(app, ["space", "run", "--grant", str(grant.id), str(folder), "--as", cast.company.email])
    assert ran.exit_code == 0, ran.output
    job_id = int(ran.stdout.strip().splitlines()[-1])
    assert queue.work_once("test-worker")
    listed = runner.invoke(app, ["space", "outputs", str(job_id), "--json"])
    rows = json.loads(listed.stdout)
    assert {r["name"] for r in rows} == {"result.csv", "stdout.log", "stderr.log"}
    assert all(r["review_state"] == "pending" for r in rows)

    out = tmp_path / "released"
    held = runner.invoke(app, ["space", "download", str(job_id), str(out)])
    assert held.exit_code == 0 and list(out.iterdir()) == []

    job = jobs_service.get_job(db, job_id)
    result = jobs_service.output_of(job, "result.csv")
    review.review(db, person(db, cast.owner), result, "approve", "counts above 10")
    review.review(db, person(db, cast.colleague), result, "approve", "agree")
    db.commit()
    got = runner.invoke(app, ["space", "download", str(job_id), str(out)])
    assert got.exit_code == 0, got.output
    assert sorted(p.name for p in out.iterdir()) == ["result.csv"]
    assert (out / "result.csv").read_text().startswith("site,n")


def test_the_cli_says_what_is_wrong(grant, tmp_path):
    from yizhi.cli import app

    (tmp_path / "p").mkdir()
    result = CliRunner().invoke(app, ["space", "run", "--grant", str(grant.id), str(tmp_path / "p")])
    assert result.exit_code == 1
    assert "project.yaml" in result.output and "Traceback" not in result.output


def test_dummy_runs_use_dummy_data_and_need_no_review(cast, grant, write_project):
    pytest.importorskip("yizhi.space.dummy", reason="dummy data comes with Tier A (yizhi.space.dummy)")
    from typer.testing import CliRunner

    from yizhi.cli import app

    folder = write_project("""
        import pandas as pd
        frame = pd.read_parquet("/data/cohort.parquet")
        assert list(frame.columns) == ["age", "hba1c", "site", "outcome"], frame.columns
        open("/output/result.csv", "w").write("rows\\n%d\\n" % len(frame))
    """)
    ran = CliRunner().invoke(app, ["space", "run", "--grant", str(grant.id), str(folder), "--dummy",
                                   "--as", cast.company.email])
    assert ran.exit_code == 0, ran.output
    from yizhi.db import session_scope
    from yizhi.space import jobs_service

    with session_scope() as session:
        job = jobs_service.get_job(session, int(ran.stdout.strip().splitlines()[-1]))
        assert job.dummy and job.state.value == "succeeded", job.error_code
        assert {o.review_state.value for o in job.outputs} == {"not_needed"}
