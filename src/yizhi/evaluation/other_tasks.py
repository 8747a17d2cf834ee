"""Metrics of multiclass classification, regression and survival risk, with percentile-bootstrap CIs
(index resampling; stratified by class for multiclass), plus the point metrics robustness compares.

Harrell's C-index is our own (pairs compared blockwise in numpy, ties in risk count one half):
scikit-learn has none, and lifelines/scikit-survival would bring large trees of dependencies for
one statistic; tested against a plain double loop.
"""

from __future__ import annotations

import numpy as np

from yizhi.evaluation import binary
from yizhi.evaluation.bootstrap import percentile_interval


def c_index(time: np.ndarray, event: np.ndarray, risk: np.ndarray, block: int = 2048) -> float:
    """Harrell's C: among pairs where the earlier time is an event, the share where it has the higher risk."""
    time, event, risk = (np.asarray(a, dtype=np.float64) for a in (time, event, risk))
    concordant = comparable = 0.0
    for start in range(0, len(time), block):
        t, e, r = time[start : start + block, None], event[start : start + block, None], risk[start : start + block, None]
        usable = (e == 1) & (t < time[None, :])
        comparable += usable.sum()
        concordant += (usable & (r > risk[None, :])).sum() + 0.5 * (usable & (r == risk[None, :])).sum()
    return float(concordant / comparable) if comparable else float("nan")


def _multiclass(reference: np.ndarray, scores: np.ndarray) -> dict:
    from sklearn import metrics as m

    predicted = np.argmax(scores, axis=1)
    labels = np.arange(scores.shape[1])
    out = {"accuracy": m.accuracy_score(reference, predicted),
           "macro_f1": m.f1_score(reference, predicted, average="macro", labels=labels, zero_division=0),
           "balanced_accuracy": m.balanced_accuracy_score(reference, predicted)}
    try:
        out["macro_auroc"] = m.roc_auc_score(reference, scores, multi_class="ovr", average="macro", labels=labels)
    except ValueError:
        out["macro_auroc"] = float("nan")
    return out


def _regression(reference: np.ndarray, predicted: np.ndarray) -> dict:
    error = predicted - reference
    total = np.sum((reference - reference.mean()) ** 2)
    pearson = float(np.corrcoef(reference, predicted)[0, 1]) if len(reference) > 1 and np.std(predicted) > 0 else np.nan
    return {"mae": float(np.mean(np.abs(error))), "rmse": float(np.sqrt(np.mean(error**2))),
            "r2": float(1 - np.sum(error**2) / total) if total > 0 else np.nan, "pearson_r": pearson}


def point(task: str, reference: np.ndarray, scores: np.ndarray, time: np.ndarray | None = None) -> dict:
    if len(reference) == 0:
        return {}
    if task == "binary_classification":
        data = binary.prepare(reference, scores)
        if data.n_pos == 0 or data.n_neg == 0:
            return {"auroc": None}
        wp, wn = binary.ones(data)
        return {"auroc": round(float(binary.auroc(data, wp, wn)[0]), 6)}
    if task == "multiclass_classification":
        values = _multiclass(reference, scores)
    elif task == "regression":
        values = _regression(reference, scores)
    else:
        values = {"c_index": c_index(time, reference, scores)}
    return {k: (round(float(v), 6) if np.isfinite(v) else None) for k, v in values.items()}


def metrics_with_ci(task: str, reference: np.ndarray, scores: np.ndarray, seed: int, n_boot: int,
                    time: np.ndarray | None = None) -> dict:
    estimate = point(task, reference, scores, time)
    rng = np.random.default_rng(seed)
    strata = [np.flatnonzero(reference == c) for c in np.unique(reference)] if task == "multiclass_classification" \
        else [np.arange(len(reference))]
    draws: dict[str, list] = {k: [] for k in estimate}
    for _ in range(n_boot):
        index = np.concatenate([rng.choice(s, size=len(s)) for s in strata])
        found = point(task, reference[index], scores[index], None if time is None else time[index])
        for key in draws:
            if found.get(key) is not None:
                draws[key].append(found[key])
    out = {}
    for key, value in estimate.items():
        values = np.asarray(draws[key])
        ci = percentile_interval(values) if len(values) >= 20 else [None, None]
        out[key] = {"value": value, "ci": [None if v is None else round(v, 6) for v in ci], "method": "percentile"}
    return out
