"""Durable jobs: enqueue, run, progress, failure, retry, no double claims, restart survival."""

import threading
from datetime import timedelta

import pytest

from yizhi.db import session_scope, utcnow
from yizhi.jobs import service
from yizhi.jobs.models import Job, JobState

CALLS: list[int] = []


@service.handler("test.count")
def _count(ctx):
    CALLS.append(ctx.job_id)
    ctx.progress(0.5, "half way")
    return {"n": ctx.params.get("n", 0) * 2}


@service.handler("test.flaky")
def _flaky(ctx):
    raise RuntimeError("disk full")


def enqueue(kind, **params):
    with session_scope() as s:
        return service.enqueue(s, kind, params, max_attempts=2).id


def state_of(job_id):
    with session_scope() as s:
        job = s.get(Job, job_id)
        return job.state, job.attempts, job.result, job.error, job.progress


def test_job_runs_and_records_result():
    job_id = enqueue("test.count", n=21)
    assert service.work_once("w1") is True
    state, attempts, result, error, progress = state_of(job_id)
    assert (state, attempts, result, error, progress) == (JobState.succeeded, 1, {"n": 42}, None, 1.0)
    assert service.work_once("w1") is False


def test_failure_is_retried_then_recorded_with_error_text():
    job_id = enqueue("test.flaky")
    service.work_once("w1")
    assert state_of(job_id)[0] == JobState.queued  # first failure: back to the queue
    service.work_once("w1")
    state, attempts, _result, error, _p = state_of(job_id)
    assert state == JobState.failed and attempts == 2
    # The reader learns that it failed and where the details are; the exception stays in the log.
    assert "failed unexpectedly" in error and f"job {job_id}" in error
    assert "RuntimeError" not in error and "disk full" not in error


def test_failed_job_can_be_retried_by_hand():
    job_id = enqueue("test.flaky")
    service.work_once("w")
    service.work_once("w")
    with session_scope() as s:
        service.retry(s, s.get(Job, job_id))
    assert state_of(job_id)[0] == JobState.queued
    with session_scope() as s, pytest.raises(Exception, match="only failed jobs"):
        service.retry(s, s.get(Job, job_id))


def test_unknown_kind_is_refused():
    with session_scope() as s, pytest.raises(Exception, match="unknown job kind"):
        service.enqueue(s, "no.such.kind")


def test_concurrent_workers_never_run_a_job_twice():
    CALLS.clear()
    ids = [enqueue("test.count", n=i) for i in range(12)]
    barrier = threading.Barrier(3)

    def work(name):
        barrier.wait()
        while service.work_once(name):
            pass

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(CALLS) == sorted(ids)
    assert all(state_of(i)[0] == JobState.succeeded for i in ids)


def test_job_left_running_by_a_dead_worker_is_requeued():
    job_id = enqueue("test.count", n=1)
    assert service.claim_next("dead-worker") == job_id
    with session_scope() as s:
        s.get(Job, job_id).heartbeat_at = utcnow() - timedelta(hours=1)
    with session_scope() as s:
        assert service.requeue_stale(s) == 1
    assert service.work_once("new-worker")
    assert state_of(job_id)[0] == JobState.succeeded


def test_jobs_api_and_pages_respect_ownership(api, web, cast, db):
    from yizhi.accounts import service as accounts

    hospital = accounts.get_org_by_slug(db, "hospital")
    job = service.enqueue(db, "test.flaky", created_by_id=cast.owner.id, organization_id=hospital.id, max_attempts=1)
    db.commit()
    service.work_once("w")
    assert api(cast.owner).get(f"/api/v1/jobs/{job.id}").json()["state"] == "failed"
    assert api(cast.colleague).get(f"/api/v1/jobs/{job.id}").status_code == 200  # same organisation
    assert api(cast.colleague).post(f"/api/v1/jobs/{job.id}/retry").status_code == 403
    assert api(cast.outsider).get(f"/api/v1/jobs/{job.id}").status_code == 404
    assert api(cast.owner).post(f"/api/v1/jobs/{job.id}/retry").json()["state"] == "queued"
    page = web(cast.owner).get(f"/jobs/{job.id}")
    assert page.status_code == 200 and 'data-state="queued"' in page.text


def test_periodic_jobs_are_enqueued_once_per_interval():
    service.periodic("test.count", lambda: 3600)
    try:
        with session_scope() as s:
            assert "test.count" in service.enqueue_due_periodic(s)
        with session_scope() as s:
            assert "test.count" not in service.enqueue_due_periodic(s)  # one is already waiting
        while service.work_once("w"):
            pass
        with session_scope() as s:
            assert "test.count" not in service.enqueue_due_periodic(s)  # interval not yet over
            s.query(Job).update({Job.created_at: utcnow() - timedelta(hours=2)})
        with session_scope() as s:
            assert "test.count" in service.enqueue_due_periodic(s)
    finally:
        service._PERIODIC.pop("test.count", None)
