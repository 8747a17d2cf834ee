"""Where submitted models execute: one function, :func:`run_model`, so moving to the Tier B sandbox
later changes this module only.

Until Tier B lands (issue: Tier B, branch ``space-b``), a model runs in a fresh Python process with
no network — ``bwrap --unshare-all`` when bubblewrap is installed, else ``unshare -rn`` (a new user
and network namespace: only a downed loopback) — under rlimits (address space, CPU seconds, file
size, open files, no core dumps), with a wall-clock timeout, ONNX Runtime's CPU provider and one
thread. When neither isolation tool works the run is refused rather than pretending.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from yizhi.errors import N_, ValidationFailed
from yizhi.evaluation.settings import get_evaluation_settings

MAX_RESULT_BYTES = 1 << 20


@dataclass
class Limits:
    memory_mb: int = 3072
    timeout_seconds: int = 600
    cpu_seconds: int = 1200
    output_mb: int = 2048
    latency_cases: int = 0

    @classmethod
    def from_settings(cls, **overrides) -> Limits:
        settings = get_evaluation_settings()
        values = {"memory_mb": settings.memory_mb, "timeout_seconds": settings.timeout_seconds,
                  "cpu_seconds": settings.timeout_seconds * 2}
        return cls(**{**values, **overrides})


@dataclass
class RunResult:
    ok: bool
    outputs: dict[str, np.ndarray] = field(default_factory=dict)
    code: str = ""
    template: str = ""
    params: dict = field(default_factory=dict)
    stats: dict = field(default_factory=dict)

    @property
    def message(self) -> str:
        try:
            return self.template % self.params if self.params else self.template
        except (KeyError, TypeError, ValueError):
            return self.template


class SandboxUnavailable(ValidationFailed):
    code = "sandbox_unavailable"


def isolation_prefix(directory: Path | None = None) -> list[str]:
    """The command that cuts the child off from the network, or SandboxUnavailable."""
    choice = get_evaluation_settings().sandbox
    bwrap, unshare = shutil.which("bwrap"), shutil.which("unshare")
    if choice in ("auto", "bwrap") and bwrap and _works([bwrap, *_bwrap_args(), "true"]):
        own = ["--bind", str(directory), str(directory), "--chdir", str(directory)] if directory else []
        return [bwrap, *_bwrap_args(), *own]
    if choice in ("auto", "unshare") and unshare and _works([unshare, "-rn", "true"]):
        return [unshare, "-rn"]
    raise SandboxUnavailable(N_("no network-isolated sandbox is available here (need bubblewrap or unshare with "
                                "user namespaces); submitted models are not run without one"))


def _bwrap_args() -> list[str]:
    return ["--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
            "--tmpfs", "/tmp"]


_WORKS: dict[tuple, bool] = {}


def _works(command: list[str]) -> bool:
    key = tuple(command)
    if key not in _WORKS:
        try:
            _WORKS[key] = subprocess.run(command, capture_output=True, timeout=20).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            _WORKS[key] = False
    return _WORKS[key]


def _limit(limits: Limits):
    def apply() -> None:
        memory = limits.memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 5))
        size = limits.output_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def _environment(directory: Path) -> dict[str, str]:
    import yizhi

    source = str(Path(yizhi.__file__).resolve().parents[1])
    return {"PATH": "/usr/bin:/bin", "PYTHONPATH": source, "HOME": str(directory), "OMP_NUM_THREADS": "1",
            "OPENBLAS_NUM_THREADS": "1", "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1"}


def run_model(model_bytes: bytes, inputs: dict[str, np.ndarray] | None, spec: dict, limits: Limits | None = None,
              *, mode: str = "run") -> RunResult:
    """Check the model (``mode="check"``) or check and run it on each named input matrix.

    ``spec``: input_name, input_dtype, width, output_name (from the task contract). Returns the raw
    outputs per input name and stats (load time, latency p50/p95, peak memory), or a refusal/failure
    with a code and a message template with its values apart.
    """
    limits = limits or Limits.from_settings()
    isolation_prefix()
    with tempfile.TemporaryDirectory(prefix="yizhi-model-") as name:
        directory = Path(name)
        prefix = isolation_prefix(directory)
        (directory / "model.onnx").write_bytes(model_bytes)
        request = {"mode": mode, "spec": spec, "memory_mb": limits.memory_mb, "latency_cases": limits.latency_cases}
        (directory / "request.json").write_text(json.dumps(request))
        if mode == "run":
            np.savez(directory / "inputs.npz", **(inputs or {}))
        return _execute(prefix, directory, limits)


def _execute(prefix: list[str], directory: Path, limits: Limits) -> RunResult:
    command = [*prefix, sys.executable, "-c", _BOOTSTRAP, str(directory)]
    process = subprocess.Popen(command, cwd=directory, env=_environment(directory), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, preexec_fn=_limit(limits), start_new_session=True)
    try:
        _out, err = process.communicate(timeout=limits.timeout_seconds)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        return RunResult(False, code="timeout", template=N_("the model did not finish within %(seconds)s seconds"),
                         params={"seconds": limits.timeout_seconds})
    return _read_result(directory, process.returncode, err, limits)


_BOOTSTRAP = ("import sys, os; sys.path.insert(0, os.environ['PYTHONPATH']); "
              "from pathlib import Path; from yizhi.evaluation.sandbox_child import main; "
              "sys.exit(main(Path(sys.argv[1])))")


def _read_result(directory: Path, returncode: int, err: bytes, limits: Limits) -> RunResult:
    result_file = directory / "result.json"
    if returncode != 0 or not result_file.exists():
        if returncode in (-signal.SIGKILL, -signal.SIGXCPU, -signal.SIGSEGV) or b"MemoryError" in err \
                or b"bad_alloc" in err:
            return RunResult(False, code="memory_limit", template=N_("the model exceeded its memory or CPU limit "
                                                                     "(%(limit)s MiB) and was stopped"),
                             params={"limit": limits.memory_mb})
        detail = err.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
        return RunResult(False, code="run_failed", template=N_("the model process failed (exit %(code)s): %(detail)s"),
                         params={"code": returncode, "detail": detail[0][:300]})
    if result_file.stat().st_size > MAX_RESULT_BYTES:
        return RunResult(False, code="run_failed", template=N_("the model process wrote an oversized result"))
    result = json.loads(result_file.read_text())
    if not result.get("ok"):
        return RunResult(False, code=str(result.get("code", "run_failed")),
                         template=str(result.get("template", "the model failed")), params=dict(result.get("params") or {}))
    outputs = {}
    if (directory / "outputs.npz").exists():
        with np.load(directory / "outputs.npz", allow_pickle=False) as bundle:
            outputs = {name: np.asarray(bundle[name]) for name in bundle.files}
    stats = {k: v for k, v in result.items() if k != "ok" and isinstance(v, int | float)}
    return RunResult(True, outputs=outputs, stats=stats)
