"""A submission's state follows its scoring job: a crash that is not the model's leaves it queued
while the job has attempts left, then failed with a readable reason; a retry re-scores it; a worker
killed mid-score has its job requeued and the submission recovers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update


def _submit(db, benchmark, model):
    from yizhi.evaluation import service

    sub = service.submit(db, benchmark=service.get_benchmark(db, benchmark), org=service.org_by_slug(db, "company"),
                         model=model)
    db.commit()
    return sub.id, sub.job_id


def _state(db, submission_id):
    from yizhi.evaluation.models import Submission

    db.expire_all()
    return db.get(Submission, submission_id)


def test_a_crash_fails_the_submission_readably_and_a_retry_rescores(db, api, cast, benchmark, pima_model,
                                                                    monkeypatch):
    from yizhi.evaluation import tasks
    from yizhi.jobs.models import Job, JobState
    from yizhi.jobs.service import work_once

    submission_id, job_id = _submit(db, benchmark, pima_model)

    def crash(*args, **kwargs):
        raise RuntimeError("case 17 has glucose 199")   # text that must not reach the submitter

    monkeypatch.setattr(tasks, "score_with_cases", crash)
    assert work_once("test")
    sub = _state(db, submission_id)
    assert sub.state.value == "queued" and sub.error_code == "scoring_error"    # one attempt left
    assert db.get(Job, job_id).state == JobState.queued

    assert work_once("test")
    sub = _state(db, submission_id)
    assert sub.state.value == "failed" and db.get(Job, job_id).state == JobState.failed
    company = api(cast.company)
    shown = company.get(f"/api/v1/evaluation/submissions/{submission_id}").json()
    assert shown["state"] == "failed" and shown["error"]["code"] == "scoring_error"
    assert "RuntimeError" in shown["error"]["message"] and "199" not in shown["error"]["message"]
    report = company.get(f"/api/v1/evaluation/submissions/{submission_id}/report")
    assert report.status_code == 422 and report.json()["error"]["code"] == "scoring_error"
    page = company.get(f"/evaluation/submissions/{submission_id}", headers={"Accept-Language": "zh-CN"})
    assert page.status_code == 401 or "RuntimeError" in page.text   # bearer clients get the API answer

    assert api(cast.outsider).post(f"/api/v1/evaluation/submissions/{submission_id}/retry").status_code == 404
    monkeypatch.undo()
    retried = company.post(f"/api/v1/evaluation/submissions/{submission_id}/retry")
    assert retried.status_code == 202 and retried.json()["state"] == "queued"
    assert company.post(f"/api/v1/evaluation/submissions/{submission_id}/retry").status_code == 409
    assert work_once("test")
    sub = _state(db, submission_id)
    assert sub.state.value == "scored" and sub.error_code is None and sub.report["metrics"]["auroc"]["value"] > 0.8
    events = _ledger_kinds(db, submission_id)
    assert events.index("evaluation.submission_failed") < events.index("evaluation.submission_retried") \
        < events.index("evaluation.report_signed")


def _ledger_kinds(db, submission_id) -> list[str]:
    from yizhi.ledger.models import LedgerEntry

    rows = db.scalars(select(LedgerEntry).where(LedgerEntry.subject == f"submission:{submission_id}")
                      .order_by(LedgerEntry.index))
    return [row.kind for row in rows]


def test_a_job_retried_from_the_jobs_page_takes_the_submission_along(db, web, cast, benchmark, pima_model,
                                                                     monkeypatch):
    from yizhi.evaluation import tasks
    from yizhi.jobs.models import Job
    from yizhi.jobs.service import retry, work_once

    submission_id, job_id = _submit(db, benchmark, pima_model)
    monkeypatch.setattr(tasks, "score_with_cases", lambda *a, **k: (_ for _ in ()).throw(OSError("disk full")))
    assert work_once("test") and work_once("test")
    assert _state(db, submission_id).state.value == "failed"
    retry(db, db.get(Job, job_id))          # what the jobs page's button does
    db.commit()
    page = web(cast.company).get(f"/evaluation/submissions/{submission_id}")
    assert page.status_code == 200
    assert _state(db, submission_id).state.value == "queued"
    monkeypatch.undo()
    assert work_once("test")
    assert _state(db, submission_id).state.value == "scored"


def test_the_retry_button_is_offered_and_works(db, web, cast, benchmark, pima_model, monkeypatch):
    from yizhi.evaluation import tasks
    from yizhi.jobs.service import work_once

    submission_id, _ = _submit(db, benchmark, pima_model)
    monkeypatch.setattr(tasks, "score_with_cases", lambda *a, **k: (_ for _ in ()).throw(KeyError("x")))
    assert work_once("test") and work_once("test")
    client = web(cast.company)
    page = client.get(f"/evaluation/submissions/{submission_id}")
    assert 'id="retry"' in page.text and "KeyError" in page.text
    assert 'id="retry"' not in web(cast.admin).get(f"/evaluation/submissions/{999999}").text
    monkeypatch.undo()
    done = client.post_form(f"/evaluation/submissions/{submission_id}/retry", {})
    assert done.status_code in (200, 303)
    assert _state(db, submission_id).state.value == "queued"
    assert work_once("test")
    assert _state(db, submission_id).state.value == "scored"


def test_a_worker_killed_mid_score_is_requeued_and_the_submission_recovers(db, api, cast, benchmark, pima_model):
    """A real `yizhi worker` process is killed (SIGKILL) while it scores; once its heartbeat is stale
    the job goes back to the queue, the submission says so, and the next worker scores it."""
    from yizhi.db import utcnow
    from yizhi.jobs.models import Job, JobState
    from yizhi.jobs.service import requeue_stale, work_once

    submission_id, job_id = _submit(db, benchmark, pima_model)
    source = str(Path(__file__).resolve().parents[2] / "src")
    env = {**os.environ, "PYTHONPATH": source}
    worker = subprocess.Popen([sys.executable, "-m", "yizhi", "worker", "--poll", "0.2"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            sub = _state(db, submission_id)
            if sub.state.value == "running":
                break
            assert worker.poll() is None, "the worker stopped by itself"
            time.sleep(0.1)
        else:
            pytest.fail("the worker never started scoring")
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
    assert _state(db, submission_id).state.value == "running"     # killed mid-score, nothing finished it
    assert db.get(Job, job_id).state == JobState.running

    # ten minutes pass without a heartbeat: the next worker to start requeues the job
    db.execute(update(Job).where(Job.id == job_id).values(heartbeat_at=utcnow() - timedelta(minutes=11)))
    assert requeue_stale(db) == 1
    db.commit()
    shown = api(cast.company).get(f"/api/v1/evaluation/submissions/{submission_id}").json()
    assert shown["state"] == "queued"
    assert work_once("test")
    sub = _state(db, submission_id)
    assert sub.state.value == "scored" and sub.verdict == "pass"
    assert db.get(Job, job_id).state == JobState.succeeded and db.get(Job, job_id).attempts == 2
