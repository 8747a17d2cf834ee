"""The import pages offer a sample file, and the sample imports as it is (a first-day request)."""

from sqlalchemy import select

from yizhi.jobs.models import Job, JobState
from yizhi.jobs.service import work_once


def _import(client, path: str, name: str, content: bytes):
    return client.http.post(path, data={"csrf_token": client.csrf},
                            files={"file": (name, content, "text/csv")})


def test_needs_sample_imports_cleanly(web, cast, db):
    client = web(cast.owner)
    assert "/needs/import/sample.csv" in client.get("/needs/import").text
    sample = client.get("/needs/import/sample.csv")
    assert sample.status_code == 200 and "attachment" in sample.headers["content-disposition"]
    assert _import(client, "/needs/import", "needs-sample.csv", sample.content).status_code == 303
    assert work_once()
    job = db.scalars(select(Job).order_by(Job.id.desc())).first()
    assert job.state == JobState.succeeded, job.problems
    assert job.result["imported"] == 2


def test_solutions_sample_imports_cleanly(web, cast, db):
    client = web(cast.company)
    sample = client.get("/solutions/import/sample.csv")
    assert _import(client, "/solutions/import", "solutions-sample.csv", sample.content).status_code == 303
    assert work_once()
    job = db.scalars(select(Job).order_by(Job.id.desc())).first()
    assert job.state == JobState.succeeded, job.problems and job.result["imported"] == 1
