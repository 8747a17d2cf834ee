"""Uploading a spreadsheet from the web: stored first, imported by a background job, all or nothing."""

from sqlalchemy import func, select


def upload(client, url, name, content):
    return client.http.post(url, data={"csrf_token": client.csrf}, files={"file": (name, content.encode("utf-8"))},
                            follow_redirects=False)


def test_upload_runs_as_a_job_and_reports_bad_lines(web, cast, db):
    from yizhi.jobs.models import Job
    from yizhi.jobs.service import work_once
    from yizhi.needs.models import Need

    doctor = web(cast.owner)
    good = "id,title,description,modalities\nA1,社区糖网筛查,眼底照相筛查糖尿病视网膜病变,fundus\n"
    response = upload(doctor, "/needs/import", "needs.csv", good)
    assert response.status_code == 303 and response.headers["location"].startswith("/jobs/")
    assert work_once()
    job = db.scalar(select(Job))
    assert job.state.value == "succeeded" and job.result["imported"] == 1
    imported = db.scalar(select(Need).where(Need.external_id == "A1"))
    assert imported.category_suggested and imported.category in ("imaging", "chronic_disease")

    bad = "id,title,budget_min\nB1,好的标题,5\nB2,,abc\n"
    upload(doctor, "/needs/import", "more.csv", bad)
    assert work_once()
    db.expire_all()
    failed = db.scalars(select(Job).order_by(Job.id.desc())).first()
    assert failed.state.value == "failed"
    problems = {(p["line"], p["field"]) for p in failed.problems}
    assert {(3, "title"), (3, "budget_min")} <= problems
    page = doctor.get(f"/jobs/{failed.id}").text
    assert "第 3 行：标题 至少需要 1 个字符" in page and "Traceback" not in page
    assert db.scalar(select(func.count()).select_from(Need)) == 1  # nothing from the bad file

    assert upload(doctor, "/needs/import", "needs.xlsx", "x").status_code == 422
    assert upload(web(cast.company), "/needs/import", "needs.csv", good).status_code == 403
    company_page = web(cast.company).get("/solutions/import")
    assert company_page.status_code == 200 and 'type="file"' in company_page.text


def test_reembed_job_refreshes_rows_of_another_encoder(cast, db):
    from yizhi.accounts.models import Organization
    from yizhi.jobs.service import enqueue, work_once
    from yizhi.needs import service
    from yizhi.needs.models import Solution
    from yizhi.needs.schemas import SolutionIn

    company = db.scalar(select(Organization).where(Organization.slug == "company"))
    solution = service.create_solution(db, None, company, SolutionIn(title="肺结节CT检测", description="胸部CT"))
    fresh = solution.embedding
    solution.embedding, solution.embedding_model = b"\x00" * 2048, "old-encoder"
    enqueue(db, "needs.reembed")
    db.commit()
    assert work_once()
    db.expire_all()
    row = db.get(Solution, solution.id)
    assert row.embedding_model == "use-multilingual-v3" and row.embedding == fresh
