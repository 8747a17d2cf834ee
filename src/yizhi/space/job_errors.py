"""What went wrong with a job, as a fixed, translatable message — never the job's own log text.

The job's stderr is held for review (logs leak data), so the platform reads it only to choose one
of these categories; the requester sees the category and the limit, not the text.
"""

from __future__ import annotations

import signal as signals
from pathlib import Path

from yizhi.errors import N_
from yizhi.space.jobs_settings import SandboxSettings
from yizhi.space.sandbox import RunResult

# (code, msgid, markers in the last lines of stderr), tried in order
STDERR_CATEGORIES = (
    ("memory_limit", N_("the job ran out of memory (limit %(memory)s bytes)"),
     ("MemoryError", "Cannot allocate memory", "std::bad_alloc", "Unable to allocate", "Out of Memory")),
    ("process_limit", N_("the job hit its limit of %(processes)s processes"),
     ("BlockingIOError", "Resource temporarily unavailable", "can't start new thread")),
    ("column_not_in_view", N_("the job asked for a column that is not in its view (only granted columns are there)"),
     ("FieldRef.Name", "Referenced column", "not in index", "KeyError", "No match for FieldRef")),
    ("forbidden", N_("the job tried something the sandbox forbids (network, other processes, files outside /output)"),
     ("PermissionError", "Operation not permitted", "Permission denied", "Read-only file system")),
    ("not_in_view", N_("the job tried to open a file that is not in its view (only /data, /project, /output and /tmp exist)"),
     ("FileNotFoundError", "No such file or directory")),
)


def classify(result: RunResult, settings: SandboxSettings) -> tuple[str, str, dict] | None:
    """(code, msgid, params) of the failure, or None when the job succeeded."""
    if result.launcher_error:
        return "sandbox_error", N_("the sandbox could not start on this server"), {}
    if result.stopped == "timeout":
        return "timeout", N_("the job ran past its time limit of %(seconds)s seconds"), {"seconds": settings.job_timeout}
    if result.stopped == "output":
        return "output_limit", N_("the job wrote more than %(bytes)s bytes or %(files)s files to /output"), {
            "bytes": settings.output_max, "files": settings.output_files_max}
    if result.stopped == "logs":
        return "log_limit", N_("the job printed more than its log limit"), {}
    if result.ok:
        return None
    if result.signal == signals.SIGXCPU:
        return "cpu_limit", N_("the job used more than %(seconds)s CPU seconds"), {"seconds": settings.job_cpu_seconds}
    if result.signal == signals.SIGXFSZ:
        return "file_size_limit", N_("the job wrote a file larger than %(bytes)s bytes"), {"bytes": settings.output_file_max}
    if result.exit_code is None and result.signal is None:
        return "supervisor", N_("the job ended its own supervisor; its cost could not be measured"), {}
    tail = _tail(result.stderr)
    for code, message, markers in STDERR_CATEGORIES:
        if any(marker in tail for marker in markers):
            return code, message, {"memory": settings.job_memory, "processes": settings.job_processes}
    if result.signal is not None:
        return "signal", N_("the job was ended by signal %(signal)s"), {"signal": result.signal}
    return "exit", N_("the job exited with status %(code)s; its logs are held for review"), {"code": result.exit_code}


def _tail(path: Path, size: int = 8192) -> str:
    try:
        with path.open("rb") as handle:
            handle.seek(max(0, path.stat().st_size - size))
            return handle.read().decode("utf-8", errors="replace")
    except OSError:
        return ""
