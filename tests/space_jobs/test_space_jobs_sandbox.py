"""The sandbox itself: what a job sees and may do, its metering, and the host self-check."""

from __future__ import annotations

import json
import os

import pytest

from yizhi.space import sandbox, sandbox_check
from yizhi.space.jobs_settings import SandboxSettings

PROBE = r"""
import ctypes, errno, json, os, socket
libc = ctypes.CDLL(None, use_errno=True)
def call(fn, *args):
    result = fn(*args)
    return "ok" if result == 0 or result > 0 else errno.errorcode.get(ctypes.get_errno(), "?")
report = {
    "uid": os.getuid(),
    "root": sorted(os.listdir("/")),
    "ptrace": call(libc.ptrace, 16, 1, 0, 0),              # PTRACE_ATTACH to pid 1
    "unshare_user": call(libc.unshare, 0x10000000),
    "unshare_net": call(libc.unshare, 0x40000000),
    "mount": call(libc.mount, b"none", b"/tmp", b"tmpfs", 0, None),
    "bpf": call(libc.syscall, 321, 0, 0, 0),
    "keyctl": call(libc.syscall, 250, 0, 0, 0),
    "unix_socket": bool(socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)),
    "processes": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
    "site": sorted(n for n in os.listdir("/runtime/python/lib/python3.11/site-packages") if not n.endswith("info"))[:200],
}
try:
    socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); report["inet6"] = "ok"
except OSError as exc:
    report["inet6"] = errno.errorcode[exc.errno]
open("/tmp/scratch", "w").write("private tmp is writable")
print(json.dumps(report))
"""


@pytest.fixture
def probe_run(tmp_path):
    def run(code: str, settings: SandboxSettings | None = None):
        (tmp_path / "project").mkdir(exist_ok=True)
        (tmp_path / "data").mkdir(exist_ok=True)
        (tmp_path / "project" / "main.py").write_text(code)
        return sandbox.run(sandbox.python_command("main.py"), sandbox.Mounts(tmp_path / "project", tmp_path / "data",
                           tmp_path / "output"), tmp_path / "logs", settings or SandboxSettings())

    return run


def test_seccomp_and_namespaces_refuse_what_a_job_never_needs(probe_run):
    result = probe_run(PROBE)
    assert result.ok, result.stderr.read_text()
    report = json.loads(result.stdout.read_text())
    assert report["root"] == ["data", "dev", "lib", "lib64", "output", "proc", "project", "runtime", "tmp", "usr"]
    for call in ("ptrace", "unshare_user", "unshare_net", "mount", "bpf", "keyctl"):
        assert report[call] == "EPERM", (call, report[call])
    assert report["inet6"] == "EPERM"
    assert report["unix_socket"] is True  # AF_UNIX stays: it reaches nothing outside the sandbox
    assert len(report["processes"]) <= 4  # its own pid namespace: bwrap's init, the supervisor, the job
    assert "sqlalchemy" not in report["site"] and "fastapi" not in report["site"] and "yizhi" not in report["site"]
    assert {"numpy", "pandas", "sklearn", "onnxruntime"} <= set(report["site"])
    assert report["uid"] != 0   # never root inside (the host-side uid: test_space_jobs_crash.py)
    if os.geteuid() == 0:
        settings = SandboxSettings()  # a uid of the platform's range, leased for this run
        assert settings.sandbox_uid <= report["uid"] < settings.sandbox_uid + settings.sandbox_uids


def test_metering_counts_the_job_and_its_children(probe_run):
    result = probe_run("""
import os, time
def burn(seconds):
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass
if os.fork() == 0:
    burn(0.6)
    os._exit(0)
burn(0.6)
os.wait()
block = bytearray(200 * 1024 * 1024)
""")
    assert result.ok, result.stderr.read_text()
    assert result.extra["metered"] is True
    assert result.cpu_seconds >= 1.1  # parent and child
    assert result.peak_memory_bytes >= 200 * 1024 * 1024


def test_a_job_that_kills_its_supervisor_is_not_believed(probe_run):
    result = probe_run("import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n")
    assert result.extra["metered"] is False


def test_the_self_check_passes_here_and_refuses_without_bubblewrap(monkeypatch):
    assert sandbox_check.probe() == []
    monkeypatch.setenv("YIZHI_SPACE_BWRAP", "/nonexistent/bwrap")
    monkeypatch.setattr(sandbox_check, "_cache", {})
    with pytest.raises(sandbox_check.SandboxUnavailable, match="bubblewrap.*not installed"):
        sandbox_check.require_sandbox(SandboxSettings())
    monkeypatch.setattr(sandbox_check, "_cache", {})


def test_output_over_the_cap_stops_the_job(probe_run, monkeypatch):
    settings = SandboxSettings(output_max=2 << 20, output_file_max=100 << 20)
    result = probe_run("""
import time
with open("/output/big.txt", "wb") as out:
    for _ in range(200):
        out.write(b"x" * (1 << 20)); out.flush(); time.sleep(0.02)
""", settings)
    assert result.stopped == "output"
    assert result.output_bytes < 60 << 20


def test_a_job_the_platform_could_not_run_is_retried_by_the_queue(db, cast, grant, write_project, monkeypatch):
    from yizhi.jobs import service as queue
    from yizhi.jobs.models import Job, JobState
    from yizhi.space import jobs_service
    from yizhi.space.project import zip_folder

    from .conftest import person

    folder = write_project("open('/output/result.csv', 'w').write('n\\n12\\n')\n")
    job = jobs_service.submit(db, person(db, cast.company), grant.id, zip_folder(folder, 1 << 20))
    db.commit()
    monkeypatch.setenv("YIZHI_SPACE_BWRAP", "/nonexistent/bwrap")  # the host loses its sandbox
    monkeypatch.setattr(sandbox_check, "_cache", {})
    assert queue.work_once("test-worker")
    db.expire_all()
    entry = db.get(Job, job.queue_job_id)
    assert entry.state == JobState.queued and entry.attempts == 1 and "sandbox does not work" in entry.error
    monkeypatch.delenv("YIZHI_SPACE_BWRAP")
    monkeypatch.setattr(sandbox_check, "_cache", {})
    assert queue.work_once("test-worker")
    db.expire_all()
    assert db.get(Job, job.queue_job_id).state == JobState.succeeded
    finished = jobs_service.get_job(db, job.id)
    assert finished.state.value == "succeeded" and {o.name for o in finished.outputs} >= {"result.csv"}


def test_the_api_refuses_jobs_when_the_host_has_no_sandbox(cast, api, grant, write_project, monkeypatch):
    import io

    from yizhi.space.project import zip_folder

    data = zip_folder(write_project("print(1)\n"), 1 << 20)
    monkeypatch.setenv("YIZHI_SPACE_BWRAP", "/nonexistent/bwrap")
    monkeypatch.setattr(sandbox_check, "_cache", {})
    answer = api(cast.company).post("/api/v1/space/jobs", data={"grant": str(grant.id)},
                                    files={"project": ("p.zip", io.BytesIO(data), "application/zip")})
    monkeypatch.setattr(sandbox_check, "_cache", {})
    assert answer.status_code == 503
    assert answer.json()["error"]["code"] == "sandbox_unavailable"
    assert "bubblewrap" in answer.json()["error"]["message"]
