"""Bootstrap AUROCs at scale: 2,000 stratified bootstrap replicates on 1,000,000 predictions.

Ours: exact stratified multinomial resampling, replicates compiled (yizhi.evaluation.fast_auroc),
split over ``yizhi.engine.map_parallel`` (YIZHI_WORKERS processes). Peer, same run: a loop over
``sklearn.metrics.roc_auc_score`` on resampled indices (timed on a subset of replicates and scaled
to 2,000 — the full loop would take minutes; the table says how many it timed).

    PYTHONPATH=src python bench/evaluation.py [--n 1000000] [--boot 2000] [--peer-reps 20]
        [--part all|bootstrap|sandbox] [--sandbox-runs 5] [--sandbox-cases 10000]

Second part: what running submitted models in the Tier B sandbox costs per submission, against the
evaluation's former runner, in the same run (wall time, and CPU time of the model processes and of
the host-side launchers). A quiet rerun of both parts at the defaults takes about 3 minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

from yizhi.evaluation.fast_auroc import auroc_replicates, parallel_auroc_replicates, sort_cases

RESULTS = Path(__file__).parent / "results"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--boot", type=int, default=2000)
    parser.add_argument("--peer-reps", type=int, default=20)
    parser.add_argument("--workers", type=int, default=int(os.environ.get("YIZHI_WORKERS", "2")))
    parser.add_argument("--part", choices=("all", "bootstrap", "sandbox"), default="all")
    parser.add_argument("--sandbox-runs", type=int, default=5, help="submissions timed per runner")
    parser.add_argument("--sandbox-cases", type=int, default=10_000, help="rows of the scored matrix")
    args = parser.parse_args()
    result = bootstrap(args) if args.part in ("all", "bootstrap") else {}
    if args.part in ("all", "sandbox"):
        result.update(sandbox_cost(args.sandbox_runs, args.sandbox_cases))
    result.update(load_average_end=os.getloadavg()[0])
    previous = RESULTS / "evaluation.json"
    if args.part != "all" and previous.exists():  # one part rerun: the other part's figures stay
        result = {**json.loads(previous.read_text()), **result}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "evaluation.json").write_text(json.dumps(result, indent=1) + "\n")
    table = ["| measure | value |", "| --- | --- |"] + [f"| {k} | {v} |" for k, v in result.items()]
    (RESULTS / "evaluation.md").write_text("# bench/evaluation.py\n\n" + "\n".join(table) + "\n")
    print("\n".join(table))


def bootstrap(args) -> dict:
    rng = np.random.default_rng(0)
    y = rng.random(args.n) < 0.3
    scores = (rng.normal(size=args.n) + y).astype(np.float32)   # binormal, AUROC ≈ 0.76
    auroc_replicates(sort_cases(y[:1000], scores[:1000]), 0, 0, 2)   # compile (cached on disk after)

    start = time.perf_counter()
    cases = sort_cases(y, scores)
    ours = parallel_auroc_replicates(cases, 2026, args.boot, workers=args.workers)
    ours_seconds = time.perf_counter() - start

    positives, negatives = np.flatnonzero(y), np.flatnonzero(~y)
    start = time.perf_counter()
    peer = []
    for _ in range(args.peer_reps):
        index = np.concatenate((rng.choice(positives, len(positives)), rng.choice(negatives, len(negatives))))
        peer.append(roc_auc_score(y[index], scores[index]))
    peer_per_rep = (time.perf_counter() - start) / args.peer_reps
    peer_seconds = peer_per_rep * args.boot
    result = {
        "n": args.n, "bootstrap": args.boot, "workers": args.workers, "machine": platform.machine(),
        "cpus": os.cpu_count(), "load_average": os.getloadavg()[0],
        "ours_seconds": round(ours_seconds, 2), "ours_ms_per_replicate": round(ours_seconds / args.boot * 1000, 3),
        "peer": "sklearn.metrics.roc_auc_score loop", "peer_replicates_timed": args.peer_reps,
        "peer_ms_per_replicate": round(peer_per_rep * 1000, 1), "peer_seconds_for_all": round(peer_seconds, 1),
        "speedup": round(peer_seconds / ours_seconds, 1),
        "target": "≤ 5 s and ≥ 50× the loop",
        "replicate_sd": round(float(np.std(ours)), 6), "peer_sd": round(float(np.std(peer)), 6),
    }
    return result


# --- the sandbox's cost per submission -------------------------------------------------------------
# A submission is three model runs: the check at submission, the scoring run (the hidden matrix and
# its four perturbations, 200 cases timed one by one) and the fresh-process re-run. Measured through
# the Tier B sandbox (yizhi.evaluation.runner, today's path) and through the evaluation's former
# runner (bwrap --unshare-all over a read-only host root, rlimits, python with the platform on its
# path), reproduced below as it was, interleaved in the same run.

OLD_BWRAP = ["--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
             "--tmpfs", "/tmp"]


def _old_run(model: bytes, inputs: dict | None, spec: dict, limits, mode: str) -> dict:
    """The former runner: the same child program, launched as the evaluation used to launch it."""
    import resource
    import shutil
    import subprocess
    import sys
    import tempfile

    import yizhi

    source = Path(yizhi.__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory(prefix="yizhi-oldrunner-") as name:
        folder = Path(name)
        (folder / "model.onnx").write_bytes(model)
        (folder / "request.json").write_text(json.dumps({"mode": mode, "spec": spec, "memory_mb": limits.memory_mb,
                                                         "latency_cases": limits.latency_cases}))
        if inputs is not None:
            np.savez(folder / "inputs.npz", **inputs)

        def rlimits() -> None:
            memory = limits.memory_mb << 20
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
            resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 5))
            resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

        command = [shutil.which("bwrap"), *OLD_BWRAP, "--bind", name, name, "--chdir", name, sys.executable,
                   str(source / "yizhi/evaluation/sandbox_child.py"), name, name]
        env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{source}:{source}/yizhi/evaluation", "HOME": name,
               "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "LANG": "C.UTF-8"}
        done = subprocess.run(command, env=env, capture_output=True, preexec_fn=rlimits, timeout=limits.timeout_seconds)
        result = json.loads((folder / "result.json").read_text()) if (folder / "result.json").exists() else {}
        if done.returncode != 0 or not result.get("ok"):
            raise RuntimeError(f"old runner failed: {done.stderr[-300:]!r} {result}")
        return result


def _submission(run, model: bytes, matrix: np.ndarray, spec: dict, limits_cls) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds the model processes reported, CPU seconds of the host-side processes)."""
    import resource

    from yizhi.evaluation.robustness import PERTURBATIONS, perturb

    inputs = {"main": matrix, **{n: perturb(n, matrix, 1, [f"x{i}" for i in range(matrix.shape[1])], {}, {})
                                 for n in PERTURBATIONS}}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    child_cpu = 0.0
    for inputs_, mode, latency in ((None, "check", 0), (inputs, "run", 200), ({"main": matrix}, "run", 0)):
        child_cpu += run(model, inputs_, spec, limits_cls(latency_cases=latency), mode)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    host_cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return wall, child_cpu, host_cpu


def sandbox_cost(runs: int, cases: int) -> dict:
    from skl2onnx import to_onnx
    from sklearn.linear_model import LogisticRegression

    from yizhi.evaluation.runner import Limits, require_sandbox, run_model

    rng = np.random.default_rng(1)
    matrix = rng.normal(size=(cases, 7)).astype(np.float32)
    labels = (matrix[:, 0] + rng.normal(size=cases) > 0).astype(int)
    model = to_onnx(LogisticRegression().fit(matrix, labels), matrix[:1],
                    options={LogisticRegression: {"zipmap": False}}).SerializeToString()
    spec = {"input_name": "X", "input_dtype": "float32", "width": 7, "output_name": "probabilities"}
    require_sandbox()  # the host check (cached ten minutes) is not part of a submission's cost

    def tier_b(model_, inputs, spec_, limits, mode):
        result = run_model(model_, inputs, spec_, limits, mode=mode)
        if not result.ok:
            raise RuntimeError(result.message)
        return float(result.stats.get("child_cpu_seconds", 0.0))

    def former(model_, inputs, spec_, limits, mode):
        return float(_old_run(model_, inputs, spec_, limits, mode).get("child_cpu_seconds", 0.0))

    measured = {"tier_b": [], "former": []}
    for _ in range(runs):          # interleaved, so both see the same load
        for name, run in (("former", former), ("tier_b", tier_b)):
            measured[name].append(_submission(run, model, matrix, spec, Limits.from_settings))
    out = {"sandbox_runs": runs, "sandbox_cases": cases}
    for name, rows in measured.items():
        walls, child, host = (np.array(column) for column in zip(*rows, strict=True))
        out[f"{name}_wall_s_median"] = round(float(np.median(walls)), 2)
        out[f"{name}_model_cpu_s_median"] = round(float(np.median(child)), 2)
        out[f"{name}_host_cpu_s_median"] = round(float(np.median(host)), 2)
    out["tier_b_over_former_wall"] = round(out["tier_b_wall_s_median"] / out["former_wall_s_median"], 2)
    out["tier_b_extra_wall_s"] = round(out["tier_b_wall_s_median"] - out["former_wall_s_median"], 2)
    return out


if __name__ == "__main__":
    main()
