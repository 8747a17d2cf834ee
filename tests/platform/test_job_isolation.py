"""Heavy jobs run in a child process with memory and CPU limits: a job that would exhaust the host
fails alone with the reason, the worker goes on (issue 17, item 2)."""

from __future__ import annotations

import time

import pytest

from yizhi.db import session_scope
from yizhi.jobs import service
from yizhi.jobs.models import Job, JobState
from yizhi.jobs.service import handler


@handler("test.hog_memory", isolated=True, memory_mb=400)
def hog_memory(ctx):
    chunks = []
    for _ in range(100):
        chunks.append(bytearray(64 * 1024 * 1024))  # 6.4 GB if nothing stops it
    return {"held": len(chunks)}


@handler("test.hog_cpu", isolated=True, cpu_seconds=1)
def hog_cpu(ctx):
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        pass
    return {}


@handler("test.isolated_ok", isolated=True)
def isolated_ok(ctx):
    ctx.progress(0.5, "half")
    return {"doubled": ctx.params["n"] * 2}


def _run(kind: str, params: dict | None = None) -> Job:
    with session_scope() as s:
        job_id = service.enqueue(s, kind, params or {}, max_attempts=3).id
    assert service.work_once()
    with session_scope() as s:
        return s.get(Job, job_id)


def test_an_isolated_job_returns_its_result():
    job = _run("test.isolated_ok", {"n": 21})
    assert job.state == JobState.succeeded and job.result == {"doubled": 42}


def test_a_job_past_its_memory_limit_fails_with_the_reason_and_is_not_retried():
    job = _run("test.hog_memory")
    assert job.state == JobState.failed and job.attempts == 1
    assert "memory limit of 400 MB" in job.error


@pytest.mark.slow
def test_a_job_past_its_cpu_limit_fails_with_the_reason():
    job = _run("test.hog_cpu")
    assert job.state == JobState.failed
    assert "1 CPU seconds" in job.error


def test_tabular_config_values_are_bounded(api, cast):
    config = b"quasi_identifiers:\n  zip: {mask: 1000000000}\nk: 2\n"
    response = api(cast.owner).post("/api/v1/deid/tabular", data={"org": "hospital"},
                                    files={"file": ("t.csv", b"zip\n12345\n"), "config": ("c.yaml", config)})
    assert response.status_code == 422 and "mask" in response.json()["error"]["message"]
    big_k = b"quasi_identifiers:\n  zip: {mask: 2}\nk: 100000000000000000000000\n"
    response = api(cast.owner).post("/api/v1/deid/tabular", data={"org": "hospital"},
                                    files={"file": ("t.csv", b"zip\n12345\n"), "config": ("c.yaml", big_k)})
    assert response.status_code == 422
