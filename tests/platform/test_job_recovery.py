"""A worker that dies mid-job (issue 17, item 7): heartbeats with a short timeout, requeue by any
live worker, retry of a stale job, a poison job failed with its reason, temporary folders of dead
workers removed, and pool processes that die with their parent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest

from yizhi.config import get_settings, reset_settings_cache
from yizhi.db import session_scope, utcnow
from yizhi.jobs import service, workdirs
from yizhi.jobs.models import Job, JobState
from yizhi.jobs.service import handler

RAN: list[int] = []


@handler("test.quick")
def quick(ctx):
    RAN.append(ctx.job_id)
    return {"ok": True}


@handler("test.slow")
def slow(ctx):
    time.sleep(1.2)
    return {"ok": True}


@pytest.fixture
def fast_heartbeats(monkeypatch):
    monkeypatch.setenv("YIZHI_JOB_HEARTBEAT_SECONDS", "0.2")
    monkeypatch.setenv("YIZHI_JOB_STALE_SECONDS", "1")
    reset_settings_cache()
    yield
    monkeypatch.delenv("YIZHI_JOB_HEARTBEAT_SECONDS")
    monkeypatch.delenv("YIZHI_JOB_STALE_SECONDS")
    reset_settings_cache()


def _running_without_heartbeat(kind: str, seconds_ago: float, crashes: int = 0, created_by_id=None) -> int:
    with session_scope() as s:
        job = service.enqueue(s, kind, {}, created_by_id=created_by_id)
        job.state, job.worker, job.attempts, job.crashes = JobState.running, "dead-host:1", 1, crashes
        job.heartbeat_at = utcnow() - timedelta(seconds=seconds_ago)
        return job.id


def _job(job_id) -> Job:
    with session_scope() as s:
        return s.get(Job, job_id)


def test_a_running_job_keeps_its_heartbeat_fresh(fast_heartbeats):
    with session_scope() as s:
        job_id = service.enqueue(s, "test.slow", {}).id
    beats = []
    runner = threading.Thread(target=service.work_once)
    runner.start()
    while runner.is_alive():
        job = _job(job_id)
        if job.state == JobState.running and job.heartbeat_at is not None:
            beats.append(job.heartbeat_at)
        time.sleep(0.1)
    assert _job(job_id).state == JobState.succeeded
    assert len(set(beats)) >= 3, "the heartbeat was not refreshed while the job ran"


def test_any_live_worker_requeues_and_runs_a_job_whose_worker_died(fast_heartbeats):
    job_id = _running_without_heartbeat("test.quick", seconds_ago=30)
    from yizhi.jobs.worker import run_forever

    stop = threading.Event()
    worker = threading.Thread(target=run_forever, args=(stop,), kwargs={"poll_seconds": 0.05})
    worker.start()
    deadline = time.monotonic() + 15
    while _job(job_id).state != JobState.succeeded and time.monotonic() < deadline:
        time.sleep(0.1)
    stop.set()
    worker.join(timeout=10)
    job = _job(job_id)
    assert job.state == JobState.succeeded and job.crashes == 1 and job_id in RAN


def test_a_job_that_keeps_killing_its_worker_is_failed_with_the_reason(fast_heartbeats):
    job_id = _running_without_heartbeat("test.quick", seconds_ago=30, crashes=get_settings().job_max_crashes - 1)
    with session_scope() as s:
        service.requeue_stale(s)
    job = _job(job_id)
    assert job.state == JobState.failed
    assert "stopped its worker" in job.error and job.error_msgid == service.POISON


def test_a_fresh_heartbeat_is_not_requeued(fast_heartbeats):
    job_id = _running_without_heartbeat("test.quick", seconds_ago=0)
    with session_scope() as s:
        service.requeue_stale(s)
    assert _job(job_id).state == JobState.running


def test_a_stale_running_job_can_be_retried_by_hand(api, cast, fast_heartbeats):
    job_id = _running_without_heartbeat("test.quick", seconds_ago=30, created_by_id=cast.owner.id)
    response = api(cast.owner).post(f"/api/v1/jobs/{job_id}/retry")
    assert response.status_code == 200 and response.json()["state"] == "queued"
    fresh = _running_without_heartbeat("test.quick", seconds_ago=0, created_by_id=cast.owner.id)
    assert api(cast.owner).post(f"/api/v1/jobs/{fresh}/retry").status_code == 409


def test_temporary_folders_of_dead_workers_are_removed_at_start():
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    root = workdirs.root()
    stale = root / f"{workdirs._host()}-{dead.pid}-deid-dicom-abc"
    (stale / "in").mkdir(parents=True)
    (stale / "in" / "big.dcm").write_bytes(b"x" * 1024)
    with workdirs.workdir("anonymize") as mine:
        assert workdirs.clean_stale() >= 1
        assert not stale.exists()
        assert mine.exists()  # a live worker's folder stays
    assert not mine.exists()



def _work_folder(name: str):
    from yizhi import storage

    fs, path = storage.filesystem(storage.work_url(name))
    fs.makedirs(f"{path}/in", exist_ok=True)
    fs.pipe_file(f"{path}/in/big.dcm", b"x" * 1024)
    return fs, path


def test_work_folders_on_the_store_of_jobs_no_longer_running_are_removed():
    with session_scope() as s:
        ids = {}
        for state in JobState:
            job = Job(kind="test.quick", params={}, state=state)
            s.add(job)
            s.flush()
            ids[state.value] = job.id
    ids["deleted"] = max(ids.values()) + 1000  # a job row that no longer exists
    folders = {label: _work_folder(f"deid-dicom/job-{job_id}") for label, job_id in ids.items()}
    other_fs, other = _work_folder("deid-dicom/not-a-job")
    local, store = workdirs.sweep()
    assert store >= 3
    kept = {label for label, (fs, path) in folders.items() if fs.exists(path)}
    assert kept == {"queued", "running"}  # a queued job's next attempt clears its own folder
    assert other_fs.exists(other)  # only job-<id> folders are the sweeper's


def test_a_worker_sweeps_when_it_starts_and_every_sweep_interval(monkeypatch):
    from yizhi.jobs.worker import run_forever

    calls = []
    stop = threading.Event()

    def counting():
        calls.append(time.monotonic())
        if len(calls) == 3:
            stop.set()
        return 0, 0

    monkeypatch.setattr(workdirs, "SWEEP_SECONDS", 0.05)
    monkeypatch.setattr(workdirs, "sweep", counting)
    monkeypatch.setattr(service, "work_once", lambda name=None: False)
    monkeypatch.setattr(service, "load_handlers", dict)  # importing every domain's tasks is not the point here
    worker = threading.Thread(target=run_forever, args=(stop,), kwargs={"poll_seconds": 0.01})
    worker.start()
    worker.join(timeout=5)
    assert not worker.is_alive() and len(calls) == 3
    assert calls[2] - calls[0] >= 0.1  # spaced by the interval, not once per loop

SCRIPT = """
import sys, time
from yizhi.engine import map_parallel
for _ in map_parallel(time.sleep, [30] * 4, workers=2, chunksize=1):
    pass
"""


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux-only")
def test_pool_processes_die_with_their_parent():
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    parent = subprocess.Popen([sys.executable, "-c", SCRIPT], env=env)
    deadline = time.monotonic() + 60
    pool: list[int] = []
    while time.monotonic() < deadline and len(pool) < 2:
        pool = [grandchild for child in _children(parent.pid) for grandchild in _children(child)]
        time.sleep(0.2)
    assert len(pool) >= 2, "the pool did not start"
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(Path(f"/proc/{pid}").exists() and
                                              "Z" not in Path(f"/proc/{pid}/stat").read_text().split()[2]
                                              for pid in pool):
        time.sleep(0.2)
    alive = [pid for pid in pool if Path(f"/proc/{pid}").exists()
             and Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"]
    assert alive == [], f"pool processes {alive} outlived their parent"
