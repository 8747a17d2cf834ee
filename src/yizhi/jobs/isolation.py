"""Heavy jobs in a child process with memory and CPU limits (``@handler(kind, isolated=True)``).

The worker starts ``python -m yizhi.jobs.isolation JOB_ID OUTCOME.json``; the child limits its own
address space (RLIMIT_AS) and CPU time (RLIMIT_CPU) before it imports the handler, runs it and
writes the outcome (result, or the failure as msgid + values). The worker keeps beating the job's
heartbeat meanwhile. A child that runs out of memory, is stopped for CPU time or dies otherwise
fails its job with that reason; the worker itself is never taken down (issue 17, item 2: one
anonymization request with ``mask: 1000000000`` grew to 15 GB and killed the worker).
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from yizhi.config import get_settings
from yizhi.errors import N_, PayloadTooLarge, YizhiError

OUT_OF_MEMORY = N_("the job went over its memory limit of %(mb)s MB and was stopped")
OUT_OF_CPU = N_("the job went over its limit of %(seconds)s CPU seconds and was stopped")
DIED = N_("the job's process ended unexpectedly (%(how)s)")


class JobResourceExceeded(PayloadTooLarge):
    """A limit of the job's process was exceeded: the same input would exceed it again."""

    code = "job_limit"


def run_isolated(fn, context, *, memory_mb: int | None = None, cpu_seconds: int | None = None) -> dict | None:
    settings = get_settings()
    memory_mb = memory_mb or settings.job_memory_mb
    cpu_seconds = cpu_seconds or settings.job_cpu_seconds
    with tempfile.TemporaryDirectory(prefix="yizhi-isolated-", dir=_tmp_root()) as folder:
        outcome_path = Path(folder) / "outcome.json"
        env = {**os.environ, "YIZHI_ISOLATED_MEMORY_MB": str(memory_mb),
               "YIZHI_ISOLATED_CPU_SECONDS": str(cpu_seconds),
               "YIZHI_ISOLATED_MODULE": fn.__module__, "YIZHI_ISOLATED_FILE": inspect.getfile(fn),
               "YIZHI_ISOLATED_FUNCTION": fn.__name__,
               "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        child = subprocess.Popen([sys.executable, "-m", "yizhi.jobs.isolation", str(context.job_id),
                                  str(outcome_path)], env=env, stdin=subprocess.DEVNULL)
        _pid, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        cpu_used = usage.ru_utime + usage.ru_stime
        outcome = json.loads(outcome_path.read_text()) if outcome_path.exists() else None
    if outcome is not None and outcome.get("ok"):
        return outcome["result"]
    if outcome is not None and outcome.get("kind") == "memory":
        raise JobResourceExceeded(OUT_OF_MEMORY, params={"mb": memory_mb})
    if outcome is not None:
        raise _error_class(outcome.get("class"))(outcome["msgid"], params=outcome.get("params") or {},
                                                 problems=outcome.get("problems"))
    if child.returncode == -signal.SIGXCPU or (child.returncode == -signal.SIGKILL and cpu_used >= cpu_seconds):
        raise JobResourceExceeded(OUT_OF_CPU, params={"seconds": cpu_seconds})
    if child.returncode == -signal.SIGKILL:
        raise JobResourceExceeded(OUT_OF_MEMORY, params={"mb": memory_mb})  # the kernel's OOM killer
    how = f"signal {-child.returncode}" if child.returncode < 0 else f"exit {child.returncode}"
    raise RuntimeError(DIED % {"how": how})


def _error_class(name: str | None) -> type:
    import yizhi.errors as errors

    found = getattr(errors, name or "", None)
    return found if isinstance(found, type) and issubclass(found, YizhiError) else YizhiError


def _tmp_root() -> Path:
    from yizhi.jobs.workdirs import root

    return root()


# ----- the child -------------------------------------------------------------------------------------------
def _limit_self() -> None:
    memory = int(os.environ["YIZHI_ISOLATED_MEMORY_MB"]) * 1024 * 1024
    cpu = int(os.environ["YIZHI_ISOLATED_CPU_SECONDS"])
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))  # SIGXCPU, then SIGKILL 5 s later


def _load_handler():
    name, path, function = (os.environ["YIZHI_ISOLATED_MODULE"], os.environ["YIZHI_ISOLATED_FILE"],
                            os.environ["YIZHI_ISOLATED_FUNCTION"])
    try:
        module = importlib.import_module(name)
    except ImportError:  # a module outside the package (a test's): load it from its file
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return getattr(module, function)


def _child(job_id: int, outcome_path: Path) -> int:
    from yizhi.db import session_scope
    from yizhi.engine import die_with_parent
    from yizhi.jobs.models import Job
    from yizhi.jobs.service import JobContext

    die_with_parent()
    _limit_self()

    def write(outcome: dict) -> None:
        outcome_path.write_text(json.dumps(outcome, default=str))

    try:
        fn = _load_handler()
        with session_scope() as session:
            job = session.get(Job, job_id)
            context = JobContext(job.id, dict(job.params or {}), job.created_by_id, job.organization_id)
        write({"ok": True, "result": fn(context)})
    except MemoryError:
        write({"ok": False, "kind": "memory"})
    except YizhiError as exc:
        write({"ok": False, "class": type(exc).__name__, "msgid": exc.template, "params": exc.params,
               "problems": exc.problems})
    except BaseException:
        import traceback

        traceback.print_exc()  # to the worker's log, never to the reader
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(_child(int(sys.argv[1]), Path(sys.argv[2])))
