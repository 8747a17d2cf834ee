"""The program that checks and runs a submitted model inside the Tier B sandbox:
``/project/sandbox_child.py /data /output``.

Copied into the sandbox's read-only ``/project`` beside :mod:`.onnx_safety` by
:func:`yizhi.evaluation.runner.run_model`; it runs on the sandbox's runtime, where only the
allow-listed packages exist (the platform is not importable), so it imports nothing of ``yizhi``.
It reads ``model.onnx``, ``request.json`` and ``inputs.npz`` from the data folder and writes
``outputs.npz`` and ``result.json`` to the output folder; the platform trusts neither more than the
data it reads.
"""

from __future__ import annotations

import json
import resource
import sys
import time
import traceback
from pathlib import Path

import numpy as np


def N_(text: str) -> str:  # a msgid, translated where the platform shows it
    return text


def _write(directory: Path, result: dict) -> None:
    (directory / "result.json").write_text(json.dumps(result))


def _session(data: bytes):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3
    return ort.InferenceSession(data, sess_options=options, providers=["CPUExecutionProvider"])


BATCH_BYTES = 64 * 1024 * 1024   # an image batch stays well inside the memory limit


def _run_batches(session, spec: dict, matrix: np.ndarray, batch: int = 8192) -> np.ndarray:
    row_bytes = max(1, int(np.prod(matrix.shape[1:], dtype=np.int64)) * matrix.dtype.itemsize)
    batch = max(1, min(batch, BATCH_BYTES // row_bytes))
    parts = []
    for start in range(0, len(matrix), batch):
        out = session.run([spec["output_name"]], {spec["input_name"]: matrix[start : start + batch]})[0]
        parts.append(np.asarray(out))
    return np.concatenate(parts) if parts else np.zeros((0,))


def _latency(session, spec: dict, matrix: np.ndarray, cases: int) -> dict:
    times = []
    for row in matrix[:cases]:
        start = time.perf_counter()
        session.run([spec["output_name"]], {spec["input_name"]: row[None, :]})
        times.append((time.perf_counter() - start) * 1000)
    if not times:
        return {}
    return {"cases_timed": len(times), "latency_ms_p50": float(np.percentile(times, 50)),
            "latency_ms_p95": float(np.percentile(times, 95))}


def main(source: Path, directory: Path) -> int:
    from onnx_safety import ModelRefused, check_model_bytes  # the copy beside this file in /project

    request = json.loads((source / "request.json").read_text())
    spec = request["spec"]
    data = (source / "model.onnx").read_bytes()
    try:
        check_model_bytes(data, spec)
    except ModelRefused as exc:
        _write(directory, {"ok": False, "code": exc.code, "template": exc.template, "params": exc.params})
        return 0
    if request.get("mode") == "check":
        _write(directory, {"ok": True})
        return 0
    started = time.perf_counter()
    try:
        session = _session(data)
        load_ms = (time.perf_counter() - started) * 1000
        outputs, timing = {}, {}
        with np.load(source / "inputs.npz", allow_pickle=False) as bundle:
            for name in bundle.files:    # one array in memory at a time (image tensors are large)
                matrix = bundle[name]
                outputs[name] = _run_batches(session, spec, matrix)
                if name == "main":
                    timing = _latency(session, spec, matrix, int(request.get("latency_cases", 0)))
                del matrix
    except MemoryError:
        _write(directory, {"ok": False, "code": "memory_limit", "template": N_("the model needed more memory than "
                           "the limit of %(limit)s MiB"), "params": {"limit": request.get("memory_mb")}})
        return 0
    except Exception as exc:  # an ONNX Runtime failure is the model's failure, reported plainly
        text = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
        if "alloc" in text.lower() or "memory" in text.lower():
            _write(directory, {"ok": False, "code": "memory_limit", "template": N_("the model needed more memory than "
                               "the limit of %(limit)s MiB"), "params": {"limit": request.get("memory_mb")}})
            return 0
        _write(directory, {"ok": False, "code": "run_failed", "template": N_("the model failed to run: %(reason)s"),
                           "params": {"reason": text}})
        return 0
    np.savez(directory / "outputs.npz", **outputs)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    _write(directory, {"ok": True, "load_ms": load_ms, "peak_memory_mb": usage.ru_maxrss / 1024,
                       "child_cpu_seconds": usage.ru_utime + usage.ru_stime, **timing})
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
    except Exception:
        traceback.print_exc(limit=3)
        sys.exit(3)
