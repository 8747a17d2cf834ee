"""Multi-reader multi-case (MRMC) analysis: Obuchowski–Rockette with Hillis's degrees of freedom.

Figure of merit: the empirical (trapezoidal / Wilcoxon) AUC of each reader in each modality.
Error covariances by the case jackknife; variance components Var(error), Cov1 (same reader, other
modality), Cov2 (other reader, same modality), Cov3 (other reader, other modality) as averages of the
jackknife covariance matrix. Random readers and random cases (Hillis 2007):

    F = MS(T) / (MS(T×R) + r·max(Cov2 − Cov3, 0)),  ddf_H = (MS(T×R) + r·max(Cov2 − Cov3, 0))² / (MS(T×R)² / ((t−1)(r−1)))

and single-modality intervals from MS(R) and Cov2 of that modality. No maintained Python package does
OR/DBM analysis (the references are the R packages MRMCaov and RJafroc and the Iowa OR-DBM MRMC
program), so it is written here; the tests reproduce OR-DBM MRMC 2.51's published output for the
Van Dyke et al. (1993) cine-MRI / spin-echo data to every printed digit. Pure module.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats


def auc_matrix(scores: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """AUC for every (modality, reader): ``scores`` is (t, r, c), ``truth`` (c,) of 0/1.

    Ties count one half (the trapezoidal rule on the empirical ROC curve)."""
    positive, negative = scores[..., truth == 1], scores[..., truth == 0]
    greater = (positive[..., :, None] > negative[..., None, :]).mean(axis=(-1, -2))
    equal = (positive[..., :, None] == negative[..., None, :]).mean(axis=(-1, -2))
    return greater + 0.5 * equal


def jackknife_aucs(scores: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """(c, t, r): the AUCs with each case left out in turn, computed from the placement values."""
    positive_idx, negative_idx = np.flatnonzero(truth == 1), np.flatnonzero(truth == 0)
    n1, n0 = len(positive_idx), len(negative_idx)
    pos, neg = scores[..., positive_idx], scores[..., negative_idx]
    kernel = (pos[..., :, None] > neg[..., None, :]) + 0.5 * (pos[..., :, None] == neg[..., None, :])
    total = kernel.sum(axis=(-1, -2))                      # (t, r)
    by_positive = kernel.sum(axis=-1)                      # (t, r, n1)
    by_negative = kernel.sum(axis=-2)                      # (t, r, n0)
    out = np.empty((len(truth), *total.shape))
    out[positive_idx] = np.moveaxis((total[..., None] - by_positive) / ((n1 - 1) * n0), -1, 0)
    out[negative_idx] = np.moveaxis((total[..., None] - by_negative) / (n1 * (n0 - 1)), -1, 0)
    return out


@dataclass
class ORResult:
    auc: np.ndarray                 # (t, r)
    modality_means: np.ndarray      # (t,)
    var_error: float
    cov1: float
    cov2: float
    cov3: float
    ms_t: float
    ms_r: float
    ms_tr: float
    f: float
    ddf: float
    p: float
    difference: float               # mean of modality 2 minus modality 1 (e.g. aided − unaided)
    difference_se: float
    difference_ci: tuple[float, float]
    single: list[dict]              # per modality: auc, se, df, ci, cov2, ms_r

    def as_dict(self) -> dict:
        return {"auc": self.auc.round(8).tolist(), "modality_means": self.modality_means.round(8).tolist(),
                "var_error": self.var_error, "cov1": self.cov1, "cov2": self.cov2, "cov3": self.cov3,
                "ms_t": self.ms_t, "ms_r": self.ms_r, "ms_tr": self.ms_tr, "f": self.f, "ddf": self.ddf, "p": self.p,
                "difference": self.difference, "difference_se": self.difference_se,
                "difference_ci": list(self.difference_ci), "single": self.single}


def covariances(jack: np.ndarray) -> tuple[float, float, float, float, np.ndarray]:
    """Var(error), Cov1, Cov2, Cov3 from the jackknife AUCs (c, t, r); also Cov2 per modality."""
    c, t, r = jack.shape
    flat = jack.reshape(c, t * r)
    cov = np.cov(flat, rowvar=False, bias=True) * (c - 1)   # jackknife: (c−1)/c · Σ (θ(k) − θ̄)²
    modality = np.repeat(np.arange(t), r)
    reader = np.tile(np.arange(r), t)
    same_t, same_r = modality[:, None] == modality[None, :], reader[:, None] == reader[None, :]
    var_error = float(np.diag(cov).mean())
    cov1 = float(cov[~same_t & same_r].mean()) if t > 1 else 0.0
    cov2 = float(cov[same_t & ~same_r].mean()) if r > 1 else 0.0
    cov3 = float(cov[~same_t & ~same_r].mean()) if t > 1 and r > 1 else 0.0
    per_modality = np.array([cov[np.ix_(modality == i, modality == i)][~np.eye(r, dtype=bool)].mean()
                             if r > 1 else 0.0 for i in range(t)])
    return var_error, cov1, cov2, cov3, per_modality


def obuchowski_rockette(scores: np.ndarray, truth: np.ndarray, alpha: float = 0.05) -> ORResult:
    """OR analysis, random readers and random cases, for t = 2 modalities; ``scores`` (t, r, c)."""
    scores, truth = np.asarray(scores, dtype=float), np.asarray(truth).astype(int)
    t, r, c = scores.shape
    if t != 2 or r < 2 or c != len(truth) or not (truth == 1).sum() >= 2 or not (truth == 0).sum() >= 2:
        raise ValueError("need 2 modalities, at least 2 readers, and at least 2 positive and 2 negative cases")
    auc = auc_matrix(scores, truth)
    var_error, cov1, cov2, cov3, cov2_each = covariances(jackknife_aucs(scores, truth))
    grand, by_t, by_r = auc.mean(), auc.mean(axis=1), auc.mean(axis=0)
    ms_t = r * ((by_t - grand) ** 2).sum() / (t - 1)
    ms_r = t * ((by_r - grand) ** 2).sum() / (r - 1)
    ms_tr = ((auc - by_t[:, None] - by_r[None, :] + grand) ** 2).sum() / ((t - 1) * (r - 1))
    error_term = ms_tr + r * max(cov2 - cov3, 0.0)
    f = ms_t / error_term if error_term > 0 else float("inf")
    ddf = error_term**2 / (ms_tr**2 / ((t - 1) * (r - 1))) if ms_tr > 0 else float("inf")
    p = float(stats.f.sf(f, t - 1, ddf))
    difference = float(by_t[1] - by_t[0])
    se = float(np.sqrt(2 / r * error_term))
    half = float(stats.t.ppf(1 - alpha / 2, ddf)) * se
    single = []
    for i in range(t):
        ms_r_i = float(((auc[i] - auc[i].mean()) ** 2).sum() / (r - 1))
        term = ms_r_i + r * max(float(cov2_each[i]), 0.0)
        df_i = term**2 / (ms_r_i**2 / (r - 1)) if ms_r_i > 0 else float("inf")
        se_i = float(np.sqrt(term / r))
        half_i = float(stats.t.ppf(1 - alpha / 2, df_i)) * se_i
        single.append({"auc": float(auc[i].mean()), "se": se_i, "df": float(df_i), "cov2": float(cov2_each[i]),
                       "ms_r": ms_r_i, "ci": [float(auc[i].mean() - half_i), float(auc[i].mean() + half_i)]})
    return ORResult(auc=auc, modality_means=by_t, var_error=var_error, cov1=cov1, cov2=cov2, cov3=cov3,
                    ms_t=float(ms_t), ms_r=float(ms_r), ms_tr=float(ms_tr), f=float(f), ddf=float(ddf), p=p,
                    difference=difference, difference_se=se, difference_ci=(difference - half, difference + half),
                    single=single)


def binary_rates(decisions: np.ndarray, truth: np.ndarray) -> tuple[float | None, float | None]:
    """Sensitivity and specificity of 0/1 decisions."""
    truth = np.asarray(truth).astype(int)
    decisions = np.asarray(decisions).astype(int)
    positives, negatives = truth == 1, truth == 0
    sensitivity = float(decisions[positives].mean()) if positives.any() else None
    specificity = float(1 - decisions[negatives].mean()) if negatives.any() else None
    return sensitivity, specificity
