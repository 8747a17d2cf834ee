"""The cluster engine on a real (local) Ray instance: the same bytes as the local engine, a killed
worker's partition run again with no record lost or doubled, progress that follows the run."""

from __future__ import annotations

import json
import os
import signal
import threading
import time

import pytest

from yizhi.engine import map_parallel, run_records
from yizhi.engine.functions import deid_text
from yizhi.engine.testing import pid_of_square, tag_records
from yizhi.errors import ValidationFailed

pytestmark = pytest.mark.slow
KEY = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"


def concatenated(manifest, out):
    return b"".join((out / entry["name"]).read_bytes() for entry in manifest["parts"])


def test_ray_output_is_byte_identical_to_the_local_engine(ray_engine, notes_file, tmp_path):
    params = {"policy": "surrogate", "key": KEY}
    local = run_records(deid_text, str(notes_file), str(tmp_path / "local"), params=params, engine="local",
                        workers=2, partition_bytes=2048)
    on_ray = run_records(deid_text, str(notes_file), str(tmp_path / "ray"), params=params, partition_bytes=2048)
    assert on_ray["engine"] == "ray" and len(on_ray["parts"]) == len(local["parts"]) > 2
    for mine, theirs in zip(on_ray["parts"], local["parts"]):
        assert (mine["name"], mine["sha256"], mine["records"]) == (theirs["name"], theirs["sha256"], theirs["records"])
        assert (tmp_path / "ray" / mine["name"]).read_bytes() == (tmp_path / "local" / theirs["name"]).read_bytes()
    assert concatenated(on_ray, tmp_path / "ray") == concatenated(local, tmp_path / "local")


def test_a_worker_killed_mid_run_loses_and_doubles_nothing(ray_engine, tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps({"id": i, "text": f"record {i:04d} " + "x" * 80}) + "\n" for i in range(400)))
    pid_dir = tmp_path / "pids"
    pid_dir.mkdir()
    killed: list[int] = []

    def kill_first_busy_worker():
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not killed:
            for marker in pid_dir.iterdir():
                pid = int(marker.name.split("-")[0])
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
                return
            time.sleep(0.05)

    killer = threading.Thread(target=kill_first_busy_worker)
    killer.start()
    out = tmp_path / "out"
    manifest = run_records(tag_records, str(source), str(out), params={"pid_dir": str(pid_dir), "sleep": 0.5},
                           partition_bytes=4096)
    killer.join()
    assert killed, "no worker was found busy to kill"
    ids = [json.loads(line)["id"] for entry in manifest["parts"] for line in (out / entry["name"]).read_text().splitlines()]
    assert ids == list(range(400))  # exactly one output record per input, in order
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no partial or temporary part left
    attempts = [p.name for p in pid_dir.iterdir()]
    assert len(attempts) > len(manifest["parts"]), "the killed worker's partition was not run again"


def test_map_parallel_on_ray_keeps_order(ray_engine):
    results = list(map_parallel(pid_of_square, range(60), chunksize=4))
    assert [value for value, _ in results] == [x * x for x in range(60)]
    assert os.getpid() not in {pid for _, pid in results}


def test_bad_input_reaches_the_user_as_our_message(ray_engine, tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_bytes(b'{"id": 1, "text": "a"}\n{"id": 2, "text": \n')
    with pytest.raises(ValidationFailed) as caught:
        run_records(tag_records, str(source), str(tmp_path / "out"))
    assert "in.jsonl, byte 23: not valid JSON" in caught.value.message
    assert not (tmp_path / "out" / "_manifest.json").exists()


def test_job_progress_follows_the_ray_run(ray_engine, tmp_path):
    from yizhi.db import session_scope
    from yizhi.engine.records import job_progress
    from yizhi.jobs import service
    from yizhi.jobs.models import Job, JobState

    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps({"id": i, "text": "y" * 100}) + "\n" for i in range(200)))
    seen: list[float] = []

    @service.handler("test.engine_records")
    def _run(ctx):
        report = job_progress(ctx)

        def record(done, total):
            seen.append(done / total)
            report(done, total)

        manifest = run_records(tag_records, str(source), str(tmp_path / "out"),
                               params={"pid_dir": str(tmp_path), "sleep": 0.4}, partition_bytes=2048,
                               on_progress=record)
        return {"records": manifest["records"]}

    with session_scope() as session:
        job_id = service.enqueue(session, "test.engine_records", {}).id
    assert service.run_job(job_id) == JobState.succeeded
    with session_scope() as session:
        job = session.get(Job, job_id)
        assert job.result == {"records": 200} and job.progress == 1.0
    assert any(0 < fraction < 1 for fraction in seen), seen
    assert seen == sorted(seen) and seen[-1] == 1.0


def test_ray_listens_on_loopback_only(ray_engine):
    import shutil
    import subprocess

    if shutil.which("ss") is None:
        pytest.skip("ss (iproute2) is not installed")
    listening = subprocess.run(["ss", "-ltnp"], capture_output=True, text=True).stdout.splitlines()
    ours = [line for line in listening if any(name in line for name in ("gcs_server", "raylet", "ray::"))]
    if not ours:
        pytest.skip("ss shows no Ray process (not permitted to see other processes' sockets here)")
    assert all("127.0.0.1" in line.split()[3] for line in ours), ours
