"""Where submitted models execute: one function, :func:`run_model`, over the platform's one sandbox.

A model is checked and run in the **Tier B sandbox** (:mod:`yizhi.space.sandbox`: bubblewrap with
every namespace unshared, seccomp, every capability dropped, rlimits, a wall-clock timeout and, when
the platform runs as root, the unprivileged sandbox uid). The sandbox sees only the platform runtime
(interpreter and allow-listed packages: numpy, onnx, onnxruntime ...), a read-only ``/project``
holding the checking program (:mod:`.sandbox_child` and :mod:`.onnx_safety`, copied — the platform
itself is not importable in there), a read-only ``/data`` with the model, the request and the input
matrices, and a writable ``/output`` where the child leaves ``result.json`` and ``outputs.npz``.
ONNX Runtime uses its CPU provider with one intra-op and one inter-op thread.

When the sandbox does not work on this host the run is refused exactly as Tier B refuses jobs
(:func:`yizhi.space.sandbox_check.require_sandbox`: 503 ``sandbox_unavailable`` with the reason);
there is no weaker fallback.
"""

from __future__ import annotations

import json
import shutil
import signal
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from yizhi.errors import N_
from yizhi.evaluation.settings import get_evaluation_settings
from yizhi.space import sandbox, sandbox_check
from yizhi.space.jobs_settings import MIB, SandboxSettings
from yizhi.space.sandbox_check import SandboxUnavailable

MAX_RESULT_BYTES = 1 << 20
CHILD_FILES = (Path(__file__).with_name("sandbox_child.py"), Path(__file__).with_name("onnx_safety.py"))
ENTRY = "sandbox_child.py"


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


def sandbox_settings(limits: Limits, base: SandboxSettings | None = None) -> SandboxSettings:
    """Tier B's settings with the evaluation's limits for one model run (memory, CPU, time, output)."""
    base = base or SandboxSettings()
    output = limits.output_mb * MIB
    return base.model_copy(update={"job_memory": limits.memory_mb * MIB, "job_cpu_seconds": limits.cpu_seconds,
                                   "job_timeout": limits.timeout_seconds, "output_max": output,
                                   "output_file_max": output, "output_files_max": 8})


def require_sandbox() -> None:
    """Refuse (503, with the reason) unless the Tier B sandbox works on this host; cached by Tier B."""
    try:
        sandbox_check.require_sandbox(SandboxSettings())
    except SandboxUnavailable as exc:
        raise _unavailable(exc.params.get("reason", "")) from None


def _unavailable(reason: str) -> SandboxUnavailable:
    return SandboxUnavailable(N_("submitted models are not run: the sandbox does not work on this host (%(reason)s)"),
                              params={"reason": reason[:500]})


def run_model(model_bytes: bytes, inputs: dict[str, np.ndarray] | Iterable[tuple[str, np.ndarray]] | None, spec: dict, limits: Limits | None = None,
              *, mode: str = "run") -> RunResult:
    """Check the model (``mode="check"``) or check and run it on each named input matrix.

    ``spec``: input_name, input_dtype, width, output_name (from the task contract). Returns the raw
    outputs per input name and stats (load time, latency p50/p95, peak memory, the sandbox's CPU and
    wall seconds), or a refusal/failure with a code and a message template with its values apart.
    """
    limits = limits or Limits.from_settings()
    require_sandbox()
    request = {"mode": mode, "spec": spec, "memory_mb": limits.memory_mb, "latency_cases": limits.latency_cases}
    files = {"model.onnx": model_bytes, "request.json": json.dumps(request).encode()}
    return run_in_sandbox(files, inputs if mode == "run" else None, limits, CHILD_FILES, ENTRY)


def write_inputs(path: Path, pairs: Iterable[tuple[str, np.ndarray]]) -> None:
    """An .npz (what ``np.savez`` writes, never pickled objects) filled one array at a time, so a
    generator of large image tensors is never held in memory all at once."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as bundle:
        for name, array in pairs:
            with bundle.open(f"{name}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.ascontiguousarray(array), allow_pickle=False)


def run_in_sandbox(data_files: dict[str, bytes], inputs: dict[str, np.ndarray] | Iterable | None, limits: Limits,
                   program: tuple[Path, ...], entry: str) -> RunResult:
    """Run ``entry`` (one of the ``program`` files, copied to /project) over ``data_files`` in /data.

    The one launch path of every model run; tests use it with a hostile program to show what the
    sandbox denies (network, host files).
    """
    from yizhi.jobs.workdirs import workdir

    with workdir("evaluation-model") as work:
        project, data, output = work / "project", work / "data", work / "output"
        for folder in (project, data):
            folder.mkdir()
        for path in program:
            shutil.copyfile(path, project / path.name)
        for name, content in data_files.items():
            (data / name).write_bytes(content)
        if inputs is not None:
            write_inputs(data / "inputs.npz", inputs.items() if isinstance(inputs, dict) else inputs)
        for folder in (project, data):  # the sandbox uid reads them through the 'other' bits only
            folder.chmod(0o555)
            for path in folder.iterdir():
                path.chmod(0o444)
        result = sandbox.run(sandbox.python_command(entry, "/data", "/output"),
                             sandbox.Mounts(project, data, output), work / "logs", sandbox_settings(limits))
        return _read_result(output, result, limits)


def _stopped(result: sandbox.RunResult, limits: Limits) -> RunResult | None:
    """The platform's reading of a run that did not end normally, or None."""
    if result.launcher_error:
        raise _unavailable(result.launcher_error.strip()[-300:])
    if result.stopped == "timeout":
        return RunResult(False, code="timeout", template=N_("the model did not finish within %(seconds)s seconds"),
                         params={"seconds": limits.timeout_seconds})
    if result.stopped is not None:
        return RunResult(False, code="run_failed", template=N_("the model process wrote an oversized result"))
    err = result.stderr.read_bytes()[-4000:] if result.stderr.exists() else b""
    if result.signal in (signal.SIGKILL, signal.SIGXCPU, signal.SIGSEGV) or b"MemoryError" in err \
            or b"bad_alloc" in err:
        return RunResult(False, code="memory_limit", template=N_("the model exceeded its memory or CPU limit "
                                                                 "(%(limit)s MiB) and was stopped"),
                         params={"limit": limits.memory_mb})
    if result.exit_code != 0:
        detail = err.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
        return RunResult(False, code="run_failed", template=N_("the model process failed (exit %(code)s): %(detail)s"),
                         params={"code": result.exit_code if result.exit_code is not None else result.signal,
                                 "detail": detail[0][:300]})
    return None


def _read_result(output: Path, result: sandbox.RunResult, limits: Limits) -> RunResult:
    stopped = _stopped(result, limits)
    if stopped is not None:
        return stopped
    result_file = output / "result.json"
    if not result_file.is_file() or result_file.is_symlink():
        return RunResult(False, code="run_failed", template=N_("the model process failed (exit %(code)s): %(detail)s"),
                         params={"code": result.exit_code, "detail": "no result"})
    if result_file.stat().st_size > MAX_RESULT_BYTES:
        return RunResult(False, code="run_failed", template=N_("the model process wrote an oversized result"))
    answer = json.loads(result_file.read_text())
    if not answer.get("ok"):
        return RunResult(False, code=str(answer.get("code", "run_failed")),
                         template=str(answer.get("template", "the model failed")), params=dict(answer.get("params") or {}))
    outputs = {}
    if (output / "outputs.npz").is_file():
        with np.load(output / "outputs.npz", allow_pickle=False) as bundle:
            outputs = {name: np.asarray(bundle[name]) for name in bundle.files}
    stats = {k: v for k, v in answer.items() if k != "ok" and isinstance(v, int | float)}
    stats.update(sandbox_cpu_seconds=result.cpu_seconds, sandbox_wall_seconds=result.wall_seconds)
    return RunResult(True, outputs=outputs, stats=stats)
