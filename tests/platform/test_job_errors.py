"""Job pages and /api/v1/jobs/{id} show what went wrong in the reader's language — one message per
bad input line, every bad line — and never a traceback (issue 17, item 11)."""

from __future__ import annotations

import logging

from sqlalchemy import select

from yizhi.jobs import service
from yizhi.jobs.models import Job, JobState


def _upload(client, text: str):
    return client.http.post("/needs/import", data={"csrf_token": client.csrf, "org": "hospital"},
                            files={"file": ("needs.jsonl", text.encode(), "application/octet-stream")})


def _last_job(db) -> Job:
    db.expire_all()
    return db.scalars(select(Job).order_by(Job.id.desc())).first()


def test_every_bad_line_is_reported_in_the_readers_language(web, api, cast, db):
    lines = ['{"title": "好的需求"}', '{"title": ""}', "not json at all", '{"title": "x", "budget_min": -5}',
             '{"title": "y", "urgency": "whenever"}', "[1, 2]"]
    client = web(cast.owner)
    assert _upload(client, "\n".join(lines) + "\n").status_code == 303
    assert service.work_once()
    job = _last_job(db)
    assert job.state == JobState.failed
    lines_with_problems = sorted({p["line"] for p in job.problems})
    assert lines_with_problems == [3, 6]  # the lines that are not records at all, both of them

    page = client.get(f"/jobs/{job.id}").text
    assert "第 3 行：不是有效的 JSON" in page and "第 6 行：应为 JSON 对象" in page
    assert "Traceback" not in page and "/tmp" not in page and "files/" not in page

    english = api(cast.owner).get(f"/api/v1/jobs/{job.id}?lang=en").json()
    assert any(p.startswith("line 3: not valid JSON") for p in english["problems"])
    chinese = api(cast.owner).get(f"/api/v1/jobs/{job.id}?lang=zh").json()
    assert chinese["error"] == "needs.jsonl：有 2 行无法读取；没有导入任何记录"
    plain = api(cast.colleague).get(f"/api/v1/jobs/{job.id}").json()  # no language asked: English
    assert plain["error"] == "needs.jsonl: 2 line(s) cannot be read; nothing was imported"


def test_schema_problems_of_all_lines_are_listed(web, cast, db):
    lines = ['{"title": ""}', '{"title": "x", "budget_min": -5}', '{"title": "y", "urgency": "whenever"}']
    client = web(cast.owner)
    _upload(client, "\n".join(lines) + "\n")
    assert service.work_once()
    job = _last_job(db)
    assert sorted({p["line"] for p in job.problems}) == [1, 2, 3]
    page = client.get(f"/jobs/{job.id}").text
    assert "第 1 行：标题 至少需要 1 个字符" in page
    assert "第 2 行：最低预算 不能小于 0" in page
    assert "第 3 行：紧急程度 必须是以下之一" in page


def test_an_unexpected_failure_keeps_its_traceback_in_the_log_only(api, cast, db, caplog):
    from yizhi.jobs.service import handler

    @handler("test.explodes")
    def explodes(ctx):
        raise KeyError("/srv/yizhi/secret/path")

    job = service.enqueue(db, "test.explodes", {}, created_by_id=cast.owner.id, max_attempts=1)
    db.commit()
    with caplog.at_level(logging.ERROR, logger="yizhi.jobs"):
        service.work_once()
    assert any("Traceback" in (r.exc_text or "") or r.exc_info for r in caplog.records)
    body = api(cast.owner).get(f"/api/v1/jobs/{job.id}").json()
    assert body["state"] == "failed"
    assert "/srv/yizhi" not in str(body) and "KeyError" not in str(body)
    assert f"job {job.id}" in body["error"]
