"""Bootstrap AUROCs at scale: 2,000 stratified bootstrap replicates on 1,000,000 predictions.

Ours: exact stratified multinomial resampling, replicates compiled (yizhi.evaluation.fast_auroc),
split over ``yizhi.engine.map_parallel`` (YIZHI_WORKERS processes). Peer, same run: a loop over
``sklearn.metrics.roc_auc_score`` on resampled indices (timed on a subset of replicates and scaled
to 2,000 — the full loop would take minutes; the table says how many it timed).

    PYTHONPATH=src python bench/evaluation.py [--n 1000000] [--boot 2000] [--peer-reps 20]
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
    args = parser.parse_args()
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
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "evaluation.json").write_text(json.dumps(result, indent=1) + "\n")
    table = ["| measure | value |", "| --- | --- |"] + [f"| {k} | {v} |" for k, v in result.items()]
    (RESULTS / "evaluation.md").write_text("# bench/evaluation.py\n\n" + "\n".join(table) + "\n")
    print("\n".join(table))


if __name__ == "__main__":
    main()
