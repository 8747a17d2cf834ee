"""One host uid per running job: leases, what they pass over, and the job next to a fork bomb.

The regression: every job ran as uid 65534, and Linux counts RLIMIT_NPROC per uid, so a fork bomb
in one job (or any ``nobody`` process of the host) left another job unable to start (it failed with
a signal in CI while the other database's run was in its fork-bomb test).
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import threading
import time

import pytest

from yizhi.space import sandbox, uid_pool
from yizhi.space.jobs_settings import SandboxSettings

pytestmark = pytest.mark.db_independent

as_root = pytest.mark.skipif(os.geteuid() != 0, reason="jobs get a uid of the range only when the platform runs as root")


@pytest.fixture
def small_range(tmp_path):
    """Two uids nobody else on the host leases (a random block; its own lock folder)."""
    base = random.randrange(2_000_000, 2_100_000, 2)
    return SandboxSettings(sandbox_uid=base, sandbox_uids=2, sandbox_uid_locks=str(tmp_path / "locks"))


def test_two_leases_at_once_get_two_uids_and_a_third_waits_then_fails(small_range):
    with uid_pool.lease(small_range) as first, uid_pool.lease(small_range) as second:
        assert {first, second} == {small_range.sandbox_uid, small_range.sandbox_uid + 1}
        with pytest.raises(uid_pool.NoSandboxUid, match="all 2 sandbox uids"):
            with uid_pool.lease(small_range, wait_seconds=0.3):
                pass
    with uid_pool.lease(small_range, wait_seconds=0) as again:  # released on leaving the block
        assert again in (first, second)


def test_a_lease_held_by_another_process_is_not_given_out(small_range, tmp_path):
    ready = tmp_path / "ready"
    holder = subprocess.Popen([sys.executable, "-c", f"""
import pathlib, time
from yizhi.space import uid_pool
from yizhi.space.jobs_settings import SandboxSettings
settings = SandboxSettings(sandbox_uid={small_range.sandbox_uid}, sandbox_uids=2,
                           sandbox_uid_locks={small_range.sandbox_uid_locks!r})
with uid_pool.lease(settings) as uid:
    pathlib.Path({str(ready)!r}).write_text(str(uid))
    time.sleep(30)
"""], env={**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, ["src", os.environ.get("PYTHONPATH")]))})
    try:
        deadline = time.monotonic() + 20
        while not ready.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        held = int(ready.read_text())
        for _ in range(5):
            with uid_pool.lease(small_range, wait_seconds=0) as uid:
                assert uid != held
    finally:
        holder.kill()
        holder.wait()
    taken = set()
    with uid_pool.lease(small_range, wait_seconds=2) as one, uid_pool.lease(small_range, wait_seconds=2) as two:
        taken = {one, two}  # the killed holder's lock went with it
    assert held in taken


@as_root
def test_a_uid_that_owns_a_process_is_passed_over(small_range):
    busy = small_range.sandbox_uid
    sleeper = subprocess.Popen(["setpriv", f"--reuid={busy}", f"--regid={busy}", "--clear-groups", "sleep", "30"])
    try:
        deadline = time.monotonic() + 5
        while os.stat(f"/proc/{sleeper.pid}").st_uid != busy and time.monotonic() < deadline:
            time.sleep(0.02)
        for _ in range(5):
            with uid_pool.lease(small_range, wait_seconds=0) as uid:
                assert uid == busy + 1
    finally:
        sleeper.kill()
        sleeper.wait()


@as_root
def test_a_job_runs_while_another_job_is_a_fork_bomb(tmp_path):
    def run(name: str, code: str, settings: SandboxSettings):
        root = tmp_path / name
        (root / "project").mkdir(parents=True)
        (root / "data").mkdir()
        (root / "project" / "main.py").write_text(code)
        return sandbox.run(sandbox.python_command("main.py"), sandbox.Mounts(root / "project", root / "data",
                           root / "output"), root / "logs", settings)

    bomb_settings = SandboxSettings(job_timeout=8, job_processes=16)
    results = {}
    bomb = threading.Thread(target=lambda: results.setdefault("bomb", run("bomb", """
import os, time
first, started, refused = os.getpid(), time.time(), 0
while time.time() - started < 6:
    try:
        os.fork()
    except OSError:
        refused += 1
        time.sleep(0.01)
if os.getpid() == first:
    print(refused)
""", bomb_settings)))
    bomb.start()
    time.sleep(1.0)  # the bomb is at its limit by now
    neighbour = run("neighbour", """
import threading
import numpy, pandas
workers = [threading.Thread(target=sum, args=([1, 2],)) for _ in range(8)]
[w.start() for w in workers]; [w.join() for w in workers]
print("ran")
""", SandboxSettings(job_processes=16))
    bomb.join()
    assert neighbour.ok, (neighbour.exit_code, neighbour.signal, neighbour.stderr.read_text()[-2000:])
    assert neighbour.stdout.read_text().strip() == "ran"
    assert int(results["bomb"].stdout.read_text()) > 10  # the bomb sat at its process limit meanwhile


def test_a_lock_folder_others_can_write_is_not_used(tmp_path):
    shared = tmp_path / "shared-locks"
    shared.mkdir(mode=0o777)
    shared.chmod(0o777)
    settings = SandboxSettings(sandbox_uid=2_200_000, sandbox_uids=1, sandbox_uid_locks=str(shared))
    folder = uid_pool._lock_folder(settings)
    assert folder != shared and not folder.stat().st_mode & 0o077


@as_root
def test_sharing_the_platforms_uid_the_job_gets_its_allowance_on_top_of_what_runs():
    """Not root: the job runs as the platform's uid, whose server threads already count against
    RLIMIT_NPROC — a bare limit of 64 left bubblewrap unable to fork on a busy server."""
    uid = random.randrange(2_300_000, 2_400_000)
    assert sandbox.uid_tasks(uid) == 0
    sleepers = [subprocess.Popen(["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "sleep", "30"])
                for _ in range(3)]
    try:
        deadline = time.monotonic() + 5
        while sandbox.uid_tasks(uid) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        tasks = sandbox.uid_tasks(uid)
    finally:
        for sleeper in sleepers:
            sleeper.kill()
            sleeper.wait()
    assert tasks == 3
    settings = SandboxSettings(job_processes=64)
    assert sandbox._rlimits(settings, tasks)["RLIMIT_NPROC"] == 67
    assert sandbox._rlimits(settings)["RLIMIT_NPROC"] == 64  # a uid of its own: the bare limit
