"""Discrimination, calibration and utility of a binary classifier, each metric with its 95% CI.

AUROC: stratified bootstrap, BCa with the jackknife acceleration (compiled replicates for large
sets). AUPRC, F1, accuracy, Brier, ECE, calibration slope/intercept and O/E: stratified bootstrap,
BCa. Sensitivity, specificity, PPV and NPV: Wilson intervals (proportions). Aggregates only.
"""

from __future__ import annotations

import numpy as np

from yizhi.evaluation import binary, bootstrap
from yizhi.evaluation.fast_auroc import parallel_auroc_replicates, sort_cases

PROPORTIONS = {"sensitivity": ("tp", "fn"), "specificity": ("tn", "fp"), "ppv": ("tp", "fp"), "npv": ("tn", "fn")}
FAST_AUROC_FROM = 50_000


def _round(value) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), 6)


def metrics_with_ci(y: np.ndarray, scores: np.ndarray, threshold: float, n_boot: int, seed: int,
                    workers: int | None = 1) -> dict:
    """Every binary metric as ``{"value", "ci": [lo, hi], "method"}`` (plus the confusion counts)."""
    data = binary.prepare(y, scores, threshold)
    if data.n_pos == 0 or data.n_neg == 0:
        return {"_error": "both classes are needed"}
    wp, wn = binary.ones(data)
    point = binary.bootstrappable(data, wp, wn)
    point.update(binary.threshold_metrics(data, wp, wn))
    sizes = [data.n_pos, data.n_neg]

    def statistic(weights):
        return binary.bootstrappable(data, weights[0], weights[1])

    total = data.n_pos + data.n_neg
    if total >= FAST_AUROC_FROM:
        # everything but AUROC on the numpy path with fewer rows per chunk; AUROC compiled
        boot = bootstrap.replicates(statistic, sizes, min(n_boot, 1000), seed)
        boot["auroc"] = parallel_auroc_replicates(sort_cases(y, scores), seed, n_boot, workers)
    else:
        boot = bootstrap.replicates(statistic, sizes, n_boot, seed)
    jack = bootstrap.jackknife(statistic, sizes)
    out = {}
    for name, replicate_values in boot.items():
        ci, method = bootstrap.bca_interval(float(point[name][0]), replicate_values,
                                            bootstrap.acceleration(jack[name]))
        out[name] = {"value": _round(point[name][0]), "ci": [_round(v) for v in ci], "method": method}
    counts = {k: float(v[0]) for k, v in binary.confusion(data, wp, wn).items()}
    for name, (hit, miss) in PROPORTIONS.items():
        ci = bootstrap.wilson_interval(counts[hit], counts[hit] + counts[miss])
        out[name] = {"value": _round(point[name][0]), "ci": [_round(v) for v in ci], "method": "wilson"}
    out["_confusion"] = {k: int(v) for k, v in counts.items()}
    return out


def curves(y: np.ndarray, scores: np.ndarray, threshold: float, nb_range: tuple, min_cell: int) -> dict:
    data = binary.prepare(y, scores, threshold)
    wp, wn = binary.ones(data)
    count, predicted, events = (v[0] for v in binary.reliability(data, wp, wn))
    edges = np.linspace(0, 1, binary.ECE_BINS + 1)
    bins = []
    for i in range(binary.ECE_BINS):
        shown = count[i] >= min_cell
        bins.append({"low": round(edges[i], 2), "high": round(edges[i + 1], 2), "n": int(count[i]) if shown else None,
                     "predicted": _round(predicted[i] / count[i]) if shown else None,
                     "observed": _round(events[i] / count[i]) if shown else None})
    start, stop, step = nb_range
    thresholds = np.arange(start, stop + step / 2, step)
    return {"roc_pr": binary.roc_points(data), "reliability": bins,
            "decision_curve": binary.net_benefit(data, thresholds)}
