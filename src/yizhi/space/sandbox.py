"""Run a Tier B job's program in a bubblewrap sandbox, with seccomp, rlimits, a timeout and metering.

What the job sees: the allow-listed runtime read-only at ``/runtime/python``, its project read-only
at ``/project``, its per-job data view read-only at ``/data``, a writable ``/output``, a private
memory-backed ``/tmp``, a new ``/proc`` of its own pid namespace and a minimal ``/dev``. Nothing else
of the host exists in its mount namespace: not the database, the raw store, the keys, other datasets
or other jobs. Every namespace is unshared (no network interface but its own loopback), the session
is new (no terminal to type into), every capability is dropped, user namespaces cannot be nested,
and the seccomp filter of :mod:`yizhi.space.seccomp` refuses the system calls listed there.

When the platform runs as root, :mod:`yizhi.space.sandbox_launch` stages the binds and drops to the
unprivileged uid before bubblewrap starts, so the job's files are checked against an unprivileged
host uid; each running job has a uid of its own (:mod:`yizhi.space.uid_pool`), so its process limit
and signals reach no other job. Otherwise bubblewrap runs as the platform's own user.

It does not defend against kernel exploits (every sandbox sharing the host kernel shares its bugs;
a VM such as Firecracker or gVisor is the next step), against covert channels through the job's
timing, exit state or resource use (a few bits per job), or against what the job writes to
``/output`` — that is the airlock's work.
"""

from __future__ import annotations

import json
import os
import resource
import select
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from yizhi.space import runtime, seccomp, uid_pool
from yizhi.space.jobs_settings import SandboxSettings

LAUNCHER = Path(__file__).with_name("sandbox_launch.py")
SUPERVISOR = Path(__file__).with_name("sandbox_init.py")
SANDBOX_SUPERVISOR = "/runtime/init.py"
CHECK_SECONDS = 0.25
LOG_MAX = 4 << 20


@dataclass
class Mounts:
    """Host folders of one run: read-only project and data, writable output."""

    project: Path
    data: Path
    output: Path


@dataclass
class RunResult:
    exit_code: int | None
    signal: int | None
    stopped: str | None  # "timeout" | "output" | "logs" when the platform killed it
    cpu_seconds: float
    peak_memory_bytes: int
    wall_seconds: float
    output_bytes: int
    stdout: Path
    stderr: Path
    launcher_error: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and self.stopped is None


def _rlimits(settings: SandboxSettings, tasks_already: int = 0) -> dict[str, int]:
    """The job's limits. Linux counts ``RLIMIT_NPROC`` over every task of the uid, host-wide, so
    where the job shares its uid with ``tasks_already`` others (the platform's own, when it does not
    run as root) the job is allowed that many more — else bubblewrap could not even start."""
    return {"RLIMIT_AS": settings.job_memory, "RLIMIT_CPU": settings.job_cpu_seconds,
            "RLIMIT_NPROC": settings.job_processes + tasks_already, "RLIMIT_NOFILE": settings.job_open_files,
            "RLIMIT_FSIZE": settings.output_file_max, "RLIMIT_CORE": 0}


def uid_tasks(uid: int) -> int:
    """Tasks (processes and threads) of ``uid`` on the host now."""
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            if entry.stat(follow_symlinks=False).st_uid == uid:
                total += len(os.listdir(f"/proc/{entry.name}/task"))
        except OSError:
            continue  # it ended while we counted
    return total


def _system_binds() -> list[tuple[str, str, bool]]:
    return [(path, path, False) for path in runtime.SYSTEM_LIBS if os.path.isdir(path)]


def _binds(mounts: Mounts) -> list[tuple[str, str, bool]]:
    """(host source, sandbox target, writable) under /runtime, /project, /data and /output, in the
    order they must be made; an empty source is a tmpfs."""
    binds = [(str(b.source), b.target, False) for b in runtime.interpreter_binds()]
    binds.append(("", runtime.SANDBOX_SITE, False))  # a tmpfs hides the interpreter's own site-packages
    binds += [(str(b.source), b.target, False) for b in runtime.package_binds()]
    binds.append((str(SUPERVISOR), SANDBOX_SUPERVISOR, False))
    binds += [(str(mounts.project), "/project", False), (str(mounts.data), "/data", False),
              (str(mounts.output), "/output", True)]
    return binds


STAGED_TOPS = (("runtime", False), ("project", False), ("data", False), ("output", True))


def _environment(settings: SandboxSettings) -> list[str]:
    threads = str(max(1, min(os.cpu_count() or 1, 4, settings.job_processes // 8)))
    env = {"PATH": f"{runtime.SANDBOX_PYTHON}/bin", "HOME": "/tmp", "TMPDIR": "/tmp", "LANG": "C.UTF-8",
           "LD_LIBRARY_PATH": f"{runtime.SANDBOX_PYTHON}/lib", "MPLCONFIGDIR": "/tmp", "MPLBACKEND": "Agg",
           "OMP_NUM_THREADS": threads, "OPENBLAS_NUM_THREADS": threads, "MKL_NUM_THREADS": threads,
           "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1"}
    args = ["--clearenv"]
    for key, value in env.items():
        args += ["--setenv", key, value]
    return args


def bwrap_args(settings: SandboxSettings, command: list[str], seccomp_fd: int,
               binds: list[tuple[str, str, bool]], uid: int) -> list[str]:
    """The bubblewrap command line binding ``binds`` (host source, target, writable; "" = tmpfs)."""
    uid = str(uid)
    args = [shutil.which(settings.bwrap) or settings.bwrap,
            "--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent", "--new-session",
            "--cap-drop", "ALL", "--uid", uid, "--gid", uid, "--hostname", "sandbox"]
    for source, target, writable in _system_binds() + binds:
        if not source:
            args += ["--tmpfs", target]
        else:
            args += ["--bind" if writable else "--ro-bind", source, target]
    args += ["--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
             "--proc", "/proc", "--dev", "/dev", "--size", str(settings.job_tmp_size), "--tmpfs", "/tmp",
             "--remount-ro", "/", "--chdir", "/project", *_environment(settings), "--seccomp", str(seccomp_fd),
             "--", *command]
    return args


def python_command(entry: str, *args: str) -> list[str]:
    """The sandbox's interpreter running ``/project/<entry>`` (no environment, no user site)."""
    return [SANDBOX_INTERPRETER, "-E", "-s", "-B", f"/project/{entry}", *args]


SANDBOX_INTERPRETER = f"{runtime.SANDBOX_PYTHON}/bin/{runtime.PY_VERSION}"


def _spawn(settings: SandboxSettings, mounts: Mounts, command: list[str], stdout, stderr,
           report_fd: int, uid: int) -> tuple[subprocess.Popen, Path | None, int]:
    fd = seccomp.bpf_fd()
    binds = _binds(mounts)
    command = [SANDBOX_INTERPRETER, "-I", "-S", SANDBOX_SUPERVISOR, str(report_fd), "--", *command]
    common = {"stdin": subprocess.DEVNULL, "stdout": stdout, "stderr": stderr, "pass_fds": (fd, report_fd),
              "start_new_session": True, "close_fds": True}
    if os.geteuid() != 0:
        args = bwrap_args(settings, command, fd, binds, uid)
        limits = _rlimits(settings, uid_tasks(os.getuid()))  # the job shares the platform's uid

        def set_limits() -> None:  # runs in the child between fork and exec; only setrlimit calls
            for name, value in limits.items():
                resource.setrlimit(getattr(resource, name), (value, value))

        return subprocess.Popen(args, preexec_fn=set_limits, **common), None, fd
    stage = Path(tempfile.mkdtemp(prefix="yizhi-sbx-"))
    staged_tops = [(f"{stage}/{top}", f"/{top}", writable) for top, writable in STAGED_TOPS]
    spec = {"stage": str(stage), "uid": uid, "rlimits": _rlimits(settings), "keep_fds": [fd, report_fd],
            "binds": [[source, target.lstrip("/"), writable] for source, target, writable in binds],
            "argv": bwrap_args(settings, command, fd, staged_tops, uid)}
    launcher = [sys.executable, "-I", "-S", str(LAUNCHER), json.dumps(spec)]
    return subprocess.Popen(launcher, **common), stage, fd


def folder_bytes(path: Path, max_files: int) -> tuple[int, int]:
    """(bytes, files) under ``path``, stopping the count past ``max_files``."""
    total = files = 0
    for root, _dirs, names in os.walk(path):
        for name in names:
            files += 1
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                continue
            if files > max_files:
                return total, files
    return total, files


def run(command: list[str], mounts: Mounts, logs: Path, settings: SandboxSettings | None = None) -> RunResult:
    """Run ``command`` in the sandbox; stdout/stderr go to ``logs``; returns what happened and what it cost."""
    settings = settings or SandboxSettings()
    if os.geteuid() != 0:
        return _run_as(os.geteuid(), command, mounts, logs, settings)
    with uid_pool.lease(settings) as uid:
        return _run_as(uid, command, mounts, logs, settings)


def _run_as(uid: int, command: list[str], mounts: Mounts, logs: Path, settings: SandboxSettings) -> RunResult:
    logs.mkdir(parents=True, exist_ok=True)
    stdout_path, stderr_path = logs / "stdout.log", logs / "stderr.log"
    _prepare_output(mounts.output, uid)
    started = time.monotonic()
    report_read, report_write = os.pipe()
    with stdout_path.open("wb") as out, stderr_path.open("wb") as err:
        try:
            process, stage, fd = _spawn(settings, mounts, command, out, err, report_write, uid)
        finally:
            os.close(report_write)
        os.close(fd)
        try:
            status, usage, stopped = _watch(process, mounts, settings, started, stdout_path, stderr_path)
        finally:
            if stage is not None:
                shutil.rmtree(stage, ignore_errors=True)
    report = _read_report(report_read)
    wall = time.monotonic() - started
    output_bytes, _ = folder_bytes(mounts.output, settings.output_files_max)
    launcher_error = ""
    if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 125:
        launcher_error = stderr_path.read_text(errors="replace")[-2000:]
    if report is None:  # killed, or the job ended its supervisor: the job's program decides nothing
        report = {"exit": None if stopped else (os.WEXITSTATUS(status) if os.WIFEXITED(status) else None),
                  "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
                  "cpu_seconds": None, "peak_memory_bytes": None}
    return RunResult(
        exit_code=report["exit"], signal=report["signal"], stopped=stopped,
        cpu_seconds=report["cpu_seconds"] if report["cpu_seconds"] is not None else round(usage.ru_utime + usage.ru_stime, 3),
        peak_memory_bytes=report["peak_memory_bytes"] or int(usage.ru_maxrss) * 1024,
        wall_seconds=round(wall, 3), output_bytes=output_bytes, stdout=stdout_path, stderr=stderr_path,
        launcher_error=launcher_error, extra={"metered": report["cpu_seconds"] is not None})


def _read_report(fd: int) -> dict | None:
    chunks = []
    os.set_blocking(fd, False)
    try:
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
            if sum(map(len, chunks)) > 65536:
                return None
    except BlockingIOError:
        pass  # a straggler still holds the write end; what was written is all there is
    finally:
        os.close(fd)
    try:
        report = json.loads(b"".join(chunks))
    except ValueError:
        return None
    keys = {"exit", "signal", "cpu_seconds", "peak_memory_bytes"}
    return report if isinstance(report, dict) and keys <= report.keys() else None


def _prepare_output(output: Path, uid: int) -> None:
    output.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        os.chown(output, uid, uid)
    os.chmod(output, 0o700)


def _watch(process: subprocess.Popen, mounts: Mounts, settings: SandboxSettings, started: float,
           stdout_path: Path, stderr_path: Path):
    """Wait for the job, killing its whole session at the time, output or log limit.

    A pidfd wakes the wait the moment the job ends; between wake-ups the output size is measured
    every quarter second.
    """
    stopped = None
    pidfd = os.pidfd_open(process.pid)
    try:
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                process.returncode = status  # reaped here (wait4 gives the rusage Popen.wait would lose)
                return status, usage, stopped
            if stopped is None:
                stopped = _over_limit(mounts, settings, started, stdout_path, stderr_path)
                if stopped is not None:
                    _kill(process)
            select.select([pidfd], [], [], CHECK_SECONDS)
    finally:
        os.close(pidfd)


def _over_limit(mounts: Mounts, settings: SandboxSettings, started: float, stdout_path: Path,
                stderr_path: Path) -> str | None:
    if time.monotonic() - started > settings.job_timeout:
        return "timeout"
    written, files = folder_bytes(mounts.output, settings.output_files_max)
    if written > settings.output_max or files > settings.output_files_max:
        return "output"
    if stdout_path.stat().st_size + stderr_path.stat().st_size > 2 * LOG_MAX:
        return "logs"
    return None


def _kill(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, 9)  # bubblewrap's session; --die-with-parent takes the sandbox down with it
    except ProcessLookupError:
        pass
