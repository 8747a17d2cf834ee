"""Jobs that try to escape the sandbox: each fails with a clear job error, and nothing leaks."""

from __future__ import annotations

import socket
import threading

import pytest

from yizhi.space.jobs_models import SpaceJobState

pytestmark = pytest.mark.slow


def _failed(job, code):
    assert job.state == SpaceJobState.failed, (job.state, job.error_code)
    assert job.error_code == code, job.error_code
    message = job.error_template % job.error_params if job.error_params else job.error_template
    assert message and "%(" not in message


@pytest.fixture
def listener():
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(30)
    accepted = []

    def accept():
        try:
            accepted.append(server.accept())
        except OSError:
            pass

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1], accepted
    server.close()


def test_a_socket_to_a_listener_on_the_host_is_refused(run_project, write_project, listener):
    port, accepted = listener
    job = run_project(write_project(f"""
        import socket
        s = socket.create_connection(("127.0.0.1", {port}), timeout=5)
        s.sendall(b"stolen rows")
        open("/output/result.csv", "w").write("n\\n10\\n")
    """))
    _failed(job, "forbidden")
    assert accepted == []


def test_the_database_secret_key_and_raw_store_are_not_there(run_project, write_project):
    from yizhi.config import get_settings

    settings = get_settings()
    data_dir = settings.resolved_data_dir()
    targets = [str(data_dir), str(data_dir / "yizhi.sqlite3"), settings.resolved_database_url().split("///")[-1],
               str(data_dir / "secret_key"), str(data_dir / "files"), str(data_dir / "datasets"),
               str(data_dir / "space" / "jobs")]
    job = run_project(write_project(f"""
        import os
        for path in {targets!r}:
            assert not os.path.exists(path), path
        open({targets[2]!r}, "rb").read()
    """))
    _failed(job, "not_in_view")


def test_a_column_outside_the_grant_cannot_be_read(run_project, write_project):
    job = run_project(write_project("""
        import pyarrow.parquet as pq
        print(pq.read_schema("/data/cohort.parquet").names)
        pq.read_table("/data/cohort.parquet", columns=["patient"])
    """))
    _failed(job, "column_not_in_view")


def test_a_table_outside_the_grant_is_refused_at_submission(db, cast, grant, write_project):
    from yizhi.errors import NotFound, PermissionDenied
    from yizhi.space import jobs_service
    from yizhi.space.project import zip_folder

    from .conftest import person

    folder = write_project("print(1)", tables=["cohort", "notes"])
    with pytest.raises((PermissionDenied, NotFound), match="notes"):
        jobs_service.submit(db, person(db, cast.company), grant.id, zip_folder(folder, 1 << 20))


def test_writing_outside_output_fails(run_project, write_project):
    job = run_project(write_project("""
        open("/data/cohort.parquet", "ab").write(b"x")
    """))
    _failed(job, "forbidden")
    job2 = run_project(write_project("""
        open("/project/main.py", "w").write("x")
    """, name="p2"))
    _failed(job2, "forbidden")


def test_a_fork_bomb_hits_the_process_limit(fast_settings, run_project, write_project):
    job = run_project(write_project("""
        import os
        while True:
            os.fork()
    """))
    assert job.state == SpaceJobState.failed
    assert job.error_code in ("process_limit", "timeout"), job.error_code
    assert job.wall_seconds < 40


def test_allocating_past_the_memory_limit_fails(fast_settings, run_project, write_project):
    job = run_project(write_project("""
        import numpy as np
        block = np.ones(3 * 1024**3 // 8)
    """))
    _failed(job, "memory_limit")


def test_running_past_the_timeout_is_stopped(monkeypatch, run_project, write_project):
    monkeypatch.setenv("YIZHI_SPACE_JOB_TIMEOUT", "3")
    job = run_project(write_project("""
        import time
        time.sleep(60)
    """))
    _failed(job, "timeout")
    assert 3 <= job.wall_seconds < 15
