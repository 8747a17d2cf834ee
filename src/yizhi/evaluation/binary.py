"""Binary-classification metrics as functions of per-case weights, one row per resample.

Every metric here takes the test set split by class and sorted by score once (:class:`BinaryData`)
and weight matrices ``wp`` (rows × positives) and ``wn`` (rows × negatives). A row of ones is the
plain metric (equal to scikit-learn's to 1e-9, tested); a row of bootstrap counts is one bootstrap
replicate; a row with one zero is one jackknife value. So the point estimate, the bootstrap and
the BCa acceleration all run the same code, vectorised over rows.

Why our own code and not ``sklearn.metrics`` in a loop: scikit-learn sorts the scores on every call
(O(n log n) per replicate); with the order fixed once, AUROC of a weighted resample is one cumulative
sum over the negatives and one gather at the positives' ranks (bench/evaluation.py measures the gap).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ECE_BINS = 10


@dataclass
class BinaryData:
    pos: np.ndarray          # positives' scores, ascending
    neg: np.ndarray          # negatives' scores, ascending
    rlo: np.ndarray          # per positive: negatives with a lower score
    rhi: np.ndarray          # per positive: negatives with a lower or equal score
    ties: bool               # some positive ties some negative
    pos_groups: np.ndarray   # start index of each run of equal positive scores
    threshold: float
    pos_cut: int             # positives below the threshold (predicted negative)
    neg_cut: int             # negatives below the threshold
    pos_bins: np.ndarray     # ECE bin edges as indices into pos
    neg_bins: np.ndarray

    @property
    def n_pos(self) -> int:
        return len(self.pos)

    @property
    def n_neg(self) -> int:
        return len(self.neg)


def prepare(y: np.ndarray, scores: np.ndarray, threshold: float = 0.5) -> BinaryData:
    """Split by class (``y`` 1 = positive) and sort each class's scores once."""
    y = np.asarray(y).astype(bool)
    scores = np.asarray(scores, dtype=np.float64)
    pos, neg = np.sort(scores[y], kind="stable"), np.sort(scores[~y], kind="stable")
    rlo = np.searchsorted(neg, pos, side="left")
    rhi = np.searchsorted(neg, pos, side="right")
    change = np.flatnonzero(np.diff(pos)) + 1
    edges = np.linspace(0.0, 1.0, ECE_BINS + 1)
    return BinaryData(
        pos=pos, neg=neg, rlo=rlo, rhi=rhi, ties=bool(np.any(rlo != rhi)),
        pos_groups=np.concatenate(([0], change)).astype(np.int64) if len(pos) else np.zeros(0, np.int64),
        threshold=float(threshold),
        pos_cut=int(np.searchsorted(pos, threshold, side="left")),
        neg_cut=int(np.searchsorted(neg, threshold, side="left")),
        pos_bins=_bin_edges(pos, edges), neg_bins=_bin_edges(neg, edges),
    )


def _bin_edges(sorted_scores: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Index of each equal-width bin's start; the last bin includes 1.0 (as numpy.digitize-right does)."""
    inner = np.searchsorted(sorted_scores, edges[1:-1], side="left")
    return np.concatenate(([0], inner, [len(sorted_scores)])).astype(np.int64)


def ones(data: BinaryData) -> tuple[np.ndarray, np.ndarray]:
    return np.ones((1, data.n_pos)), np.ones((1, data.n_neg))


def _cum_neg(wn: np.ndarray) -> np.ndarray:
    """Cumulative negative weight below each rank: column r holds the weight of negatives 0..r-1."""
    out = np.zeros((wn.shape[0], wn.shape[1] + 1), dtype=np.float64 if wn.dtype.kind == "f" else np.int64)
    np.cumsum(wn, axis=1, out=out[:, 1:])
    return out


def auroc(data: BinaryData, wp: np.ndarray, wn: np.ndarray) -> np.ndarray:
    """Mann–Whitney AUROC (ties count one half) of each weighted row."""
    cum = _cum_neg(wn)
    below = cum[:, data.rlo]
    if data.ties:
        below = (below + cum[:, data.rhi]) * 0.5
    numerator = np.einsum("ij,ij->i", below, wp, dtype=np.float64)
    total = wp.sum(axis=1, dtype=np.float64) * cum[:, -1]
    with np.errstate(invalid="ignore", divide="ignore"):
        return numerator / total


def auprc(data: BinaryData, wp: np.ndarray, wn: np.ndarray) -> np.ndarray:
    """Average precision (scikit-learn's step-wise definition, no interpolation) of each row.

    Recall grows only at thresholds equal to some positive's score, so AP is a sum over the
    runs of equal positive scores: (weight of the run / all positives) × precision at that score.
    """
    cum = _cum_neg(wn)
    wp = np.asarray(wp, dtype=np.float64)
    suffix = np.cumsum(wp[:, ::-1], axis=1)[:, ::-1]              # positive weight with score >= pos[k]
    starts = data.pos_groups
    tp_at = suffix[:, starts]
    fp_at = cum[:, -1:] - cum[:, data.rlo[starts]]                # negative weight with score >= the run's score
    run_weight = tp_at - np.concatenate((tp_at[:, 1:], np.zeros((wp.shape[0], 1))), axis=1)
    total = suffix[:, 0] if data.n_pos else np.zeros(wp.shape[0])
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = tp_at / (tp_at + fp_at)
        return np.einsum("ij,ij->i", run_weight, precision) / total


def confusion(data: BinaryData, wp: np.ndarray, wn: np.ndarray) -> dict[str, np.ndarray]:
    """Weighted tp, fn, fp, tn at the declared threshold (positive when score >= threshold)."""
    wp, wn = np.asarray(wp, dtype=np.float64), np.asarray(wn, dtype=np.float64)
    fn = wp[:, : data.pos_cut].sum(axis=1)
    tp = wp[:, data.pos_cut :].sum(axis=1)
    tn = wn[:, : data.neg_cut].sum(axis=1)
    fp = wn[:, data.neg_cut :].sum(axis=1)
    return {"tp": tp, "fn": fn, "fp": fp, "tn": tn}


def _ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return a / b


def threshold_metrics(data: BinaryData, wp: np.ndarray, wn: np.ndarray) -> dict[str, np.ndarray]:
    c = confusion(data, wp, wn)
    tp, fn, fp, tn = c["tp"], c["fn"], c["fp"], c["tn"]
    return {
        "sensitivity": _ratio(tp, tp + fn), "specificity": _ratio(tn, tn + fp),
        "ppv": _ratio(tp, tp + fp), "npv": _ratio(tn, tn + fn),
        "f1": _ratio(2 * tp, 2 * tp + fp + fn), "accuracy": _ratio(tp + tn, tp + tn + fp + fn),
    }


def brier(data: BinaryData, wp: np.ndarray, wn: np.ndarray) -> np.ndarray:
    loss = wp @ (1.0 - data.pos) ** 2 + wn @ data.neg**2
    return loss / (wp.sum(axis=1) + wn.sum(axis=1))


def oe_ratio(data: BinaryData, wp: np.ndarray, wn: np.ndarray) -> np.ndarray:
    """Observed / expected events."""
    return _ratio(wp.sum(axis=1, dtype=np.float64), wp @ data.pos + wn @ data.neg)


def _bin_sums(weights: np.ndarray, values: np.ndarray, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    weights = np.asarray(weights, dtype=np.float64)
    cw = np.concatenate((np.zeros((weights.shape[0], 1)), np.cumsum(weights, axis=1)), axis=1)
    cv = np.concatenate((np.zeros((weights.shape[0], 1)), np.cumsum(weights * values, axis=1)), axis=1)
    return np.diff(cw[:, edges], axis=1), np.diff(cv[:, edges], axis=1)


def reliability(data: BinaryData, wp: np.ndarray, wn: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per equal-width bin: weight (cases), sum of predicted probabilities, weight of events."""
    count_p, pred_p = _bin_sums(wp, data.pos, data.pos_bins)
    count_n, pred_n = _bin_sums(wn, data.neg, data.neg_bins)
    return count_p + count_n, pred_p + pred_n, count_p


def ece(data: BinaryData, wp: np.ndarray, wn: np.ndarray) -> np.ndarray:
    """Expected calibration error over ten equal-width bins: Σ (n_b / n) |observed_b − predicted_b|."""
    count, predicted, events = reliability(data, wp, wn)
    return np.abs(events - predicted).sum(axis=1) / count.sum(axis=1)


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-12, 1 - 1e-12)
    return np.log(p) - np.log1p(-p)


def calibration(data: BinaryData, wp: np.ndarray, wn: np.ndarray, iterations: int = 50) -> dict[str, np.ndarray]:
    """Calibration slope (logistic regression of the outcome on logit p) and calibration-in-the-large
    intercept (intercept-only logistic regression with logit p as offset), per weighted row.

    A two-parameter Newton–Raphson vectorised over rows (statsmodels fits one model per call, which
    is 2,000 fits per bootstrap); equal to statsmodels' GLM fits to 1e-6 (tested).
    """
    x = np.concatenate((_logit(data.pos), _logit(data.neg)))
    y = np.concatenate((np.ones(data.n_pos), np.zeros(data.n_neg)))
    w = np.concatenate((np.asarray(wp, float), np.asarray(wn, float)), axis=1)
    slope = _newton_slope(x, y, w, iterations)
    intercept = _newton_offset(x, y, w, iterations)
    return {"calibration_slope": slope, "calibration_intercept": intercept}


def _newton_slope(x, y, w, iterations):
    a = np.zeros(w.shape[0])
    b = np.ones(w.shape[0])
    for _ in range(iterations):
        eta = np.clip(a[:, None] + b[:, None] * x, -40, 40)   # separable resamples diverge; keep them finite
        p = 1.0 / (1.0 + np.exp(-eta))
        r = w * (y - p)
        v = w * p * (1 - p)
        g0, g1 = r.sum(1), r @ x
        h00, h01, h11 = v.sum(1), v @ x, v @ (x * x)
        det = h00 * h11 - h01 * h01
        with np.errstate(invalid="ignore", divide="ignore"):
            da, db = (h11 * g0 - h01 * g1) / det, (h00 * g1 - h01 * g0) / det
        a, b = a + np.nan_to_num(da), b + np.nan_to_num(db)
        a, b = np.clip(a, -1e6, 1e6), np.clip(b, -1e6, 1e6)
        if np.nanmax(np.abs(np.nan_to_num(da)) + np.abs(np.nan_to_num(db)), initial=0) < 1e-12:
            break
    return np.where(np.isfinite(b), b, np.nan)


def _newton_offset(x, y, w, iterations):
    a = np.zeros(w.shape[0])
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(a[:, None] + x, -40, 40)))
        g = (w * (y - p)).sum(1)
        h = (w * p * (1 - p)).sum(1)
        with np.errstate(invalid="ignore", divide="ignore"):
            step = np.nan_to_num(g / h)
        a = a + step
        if np.max(np.abs(step), initial=0) < 1e-12:
            break
    return a


def bootstrappable(data: BinaryData, wp: np.ndarray, wn: np.ndarray) -> dict[str, np.ndarray]:
    """Every metric that gets a bootstrap CI, for each weighted row."""
    values = {"auroc": auroc(data, wp, wn), "auprc": auprc(data, wp, wn), "brier": brier(data, wp, wn),
              "ece": ece(data, wp, wn), "oe_ratio": oe_ratio(data, wp, wn)}
    values.update({k: v for k, v in threshold_metrics(data, wp, wn).items() if k in ("f1", "accuracy")})
    values.update(calibration(data, wp, wn))
    return values


def net_benefit(data: BinaryData, thresholds: np.ndarray) -> dict[str, list]:
    """Decision curve: net benefit of the model, of treating all and of treating none per threshold."""
    n = data.n_pos + data.n_neg
    tp = data.n_pos - np.searchsorted(data.pos, thresholds, side="left")
    fp = data.n_neg - np.searchsorted(data.neg, thresholds, side="left")
    odds = thresholds / (1 - thresholds)
    prevalence = data.n_pos / n
    return {"thresholds": thresholds.round(4).tolist(), "model": (tp / n - fp / n * odds).round(6).tolist(),
            "treat_all": (prevalence - (1 - prevalence) * odds).round(6).tolist(),
            "treat_none": [0.0] * len(thresholds)}


def roc_points(data: BinaryData, max_points: int = 101) -> dict[str, list]:
    """The ROC and PR curves at up to ``max_points`` quantile thresholds (aggregates, not case scores)."""
    scores = np.concatenate((data.pos, data.neg))
    cuts = np.unique(np.quantile(scores, np.linspace(0, 1, max_points)))
    cuts = np.concatenate((cuts, [np.inf]))
    tp = data.n_pos - np.searchsorted(data.pos, cuts, side="left")
    fp = data.n_neg - np.searchsorted(data.neg, cuts, side="left")
    tpr = tp / max(data.n_pos, 1)
    fpr = fp / max(data.n_neg, 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(tp + fp > 0, tp / (tp + fp), 1.0)
    return {"fpr": fpr.round(5).tolist(), "tpr": tpr.round(5).tolist(), "recall": tpr.round(5).tolist(),
            "precision": precision.round(5).tolist()}
