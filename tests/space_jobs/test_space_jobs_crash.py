"""A Tier B worker killed mid-job: a real ``yizhi worker`` process is killed (SIGKILL) while its job's
sandbox runs; the sandbox dies with it, nothing of the attempt is held or on the ledger, the stale job
is requeued, and the next worker runs it to the end once (the job ran, seen from the host, as a non-root uid) — its outputs held once, one
``space.job_finished`` record, released only through the checkers as usual."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select, update

from .conftest import person

SLOW = """
import time
time.sleep(4)
open("/output/result.csv", "w").write("group,n\\nA,40\\nB,55\\n")
"""


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _host_uids(pid: int) -> set[int]:
    """Real, effective, saved and filesystem uids of ``pid`` as the host sees them."""
    line = next(x for x in Path(f"/proc/{pid}/status").read_text().splitlines() if x.startswith("Uid:"))
    return {int(v) for v in line.split()[1:]}


def _runs_main(pid: int) -> bool:
    """The job's interpreter or its supervisor (not bubblewrap, whose argv also names /project/main.py)."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return b"bwrap" not in argv[0] and b"/project/main.py" in argv


def _sandbox_of(worker: int) -> list[int]:
    """The worker's descendants that run the job (bubblewrap's command line names /project/main.py)."""
    parents, commands = {}, {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            commands[int(stat.parent.name)] = (stat.parent / "cmdline").read_bytes()
        except (OSError, ValueError):
            continue

    def descends(pid: int) -> bool:
        for _ in range(64):
            pid = parents.get(pid, 0)
            if pid == worker:
                return True
            if pid <= 1:
                return False
        return False

    return [pid for pid, command in commands.items() if b"/project/main.py" in command and descends(pid)]


def _job_finished_records(db, job_id: int) -> int:
    from yizhi.ledger.models import LedgerEntry

    return db.scalar(select(func.count()).select_from(LedgerEntry).where(
        LedgerEntry.subject == f"space_job:{job_id}", LedgerEntry.kind == "space.job_finished"))


def test_a_worker_killed_mid_job_is_requeued_and_the_job_completes_once(db, cast, grant, write_project):
    from yizhi.db import utcnow
    from yizhi.jobs.models import Job, JobState
    from yizhi.jobs.service import requeue_stale, work_once
    from yizhi.space import jobs_service
    from yizhi.space.jobs_models import SpaceJobState
    from yizhi.space.project import zip_folder

    job = jobs_service.submit(db, person(db, cast.company), grant.id, zip_folder(write_project(SLOW), 1 << 24))
    db.commit()
    job_id, queue_id = job.id, job.queue_job_id
    work = jobs_service.work_root() / str(job_id)
    sandbox: list[int] = []
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    worker = subprocess.Popen([sys.executable, "-m", "yizhi", "worker", "--poll", "0.2"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while not any(_runs_main(pid) for pid in sandbox):   # the job is running in its sandbox
            assert time.monotonic() < deadline, "the worker never started the sandbox"
            assert worker.poll() is None, "the worker stopped by itself"
            time.sleep(0.1)
            sandbox = _sandbox_of(worker.pid)
        # seen from the host, the job runs as an unprivileged uid (the worker itself may be root)
        uids = {pid: _host_uids(pid) for pid in sandbox if _runs_main(pid)}
        assert uids and all(0 not in found for found in uids.values()), uids
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
    deadline = time.monotonic() + 15
    while any(_alive(pid) for pid in sandbox) and time.monotonic() < deadline:   # --die-with-parent
        time.sleep(0.2)
    assert not any(_alive(pid) for pid in sandbox), "the sandbox outlived its worker"
    db.expire_all()
    job = jobs_service.get_job(db, job_id)
    assert job.state == SpaceJobState.running and job.outputs == [] and _job_finished_records(db, job_id) == 0
    assert db.get(Job, queue_id).state == JobState.running

    # the heartbeat goes stale: the next worker to look requeues the job and runs it
    db.execute(update(Job).where(Job.id == queue_id).values(heartbeat_at=utcnow() - timedelta(minutes=11)))
    assert requeue_stale(db) == 1
    db.commit()
    assert work_once("test-worker")
    db.expire_all()
    job = jobs_service.get_job(db, job_id)
    assert job.state == SpaceJobState.succeeded, (job.error_code, job.error_params)
    assert db.get(Job, queue_id).state == JobState.succeeded and db.get(Job, queue_id).attempts == 2
    names = sorted(o.name for o in job.outputs)
    assert names == sorted(set(names)) and "result.csv" in names and names.count("result.csv") == 1
    assert all(o.review_state.value == "pending" for o in job.outputs)   # held: the checkers release it
    assert _job_finished_records(db, job_id) == 1
    assert not work.exists()   # the attempt's copy of the data is gone
