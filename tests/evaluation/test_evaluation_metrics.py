"""Metrics equal scikit-learn's (and statsmodels') on the same predictions; the bootstrap's counts are
multinomial; the compiled replicates equal the numpy path; CIs cover the true AUROC at the nominal rate."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm
from sklearn import metrics as sk

from yizhi.evaluation import binary, bootstrap, fast_auroc, other_tasks


@pytest.mark.parametrize("seed", range(12))
def test_binary_metrics_equal_sklearn(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(30, 3000))
    y = rng.random(n) < rng.uniform(0.05, 0.7)
    y[:2] = [True, False]
    scores = rng.random(n)
    if seed % 3 == 0:
        scores = np.round(scores, 1)          # heavy ties
    data = binary.prepare(y, scores, 0.5)
    wp, wn = binary.ones(data)
    predicted = scores >= 0.5
    assert abs(binary.auroc(data, wp, wn)[0] - sk.roc_auc_score(y, scores)) < 1e-9
    assert abs(binary.auprc(data, wp, wn)[0] - sk.average_precision_score(y, scores)) < 1e-9
    assert abs(binary.brier(data, wp, wn)[0] - sk.brier_score_loss(y, scores)) < 1e-9
    found = binary.threshold_metrics(data, wp, wn)
    assert abs(found["sensitivity"][0] - sk.recall_score(y, predicted)) < 1e-9
    assert abs(found["specificity"][0] - sk.recall_score(~y, ~predicted)) < 1e-9
    assert abs(found["ppv"][0] - sk.precision_score(y, predicted, zero_division=0)) < 1e-9
    assert abs(found["f1"][0] - sk.f1_score(y, predicted)) < 1e-9


def test_calibration_equals_statsmodels():
    import statsmodels.api as sm

    rng = np.random.default_rng(4)
    p = np.clip(rng.beta(2, 5, 800), 0.01, 0.99)
    y = rng.random(800) < np.clip(p * 1.3, 0, 1)
    data = binary.prepare(y, p)
    found = binary.calibration(data, *binary.ones(data))
    logit = np.log(p / (1 - p))
    slope = sm.GLM(y.astype(float), sm.add_constant(logit), family=sm.families.Binomial()).fit().params[1]
    intercept = sm.GLM(y.astype(float), np.ones((800, 1)), family=sm.families.Binomial(), offset=logit).fit().params[0]
    assert abs(found["calibration_slope"][0] - slope) < 1e-6
    assert abs(found["calibration_intercept"][0] - intercept) < 1e-6


def test_c_index_equals_a_double_loop():
    rng = np.random.default_rng(2)
    time, event, risk = rng.exponential(size=150), rng.random(150) < 0.7, np.round(rng.random(150), 1)
    concordant = comparable = 0.0
    for i in range(150):
        for j in range(150):
            if event[i] and time[i] < time[j]:
                comparable += 1
                concordant += 1 if risk[i] > risk[j] else 0.5 if risk[i] == risk[j] else 0
    assert abs(other_tasks.c_index(time, event, risk) - concordant / comparable) < 1e-12


def test_counts_are_multinomial():
    rng = np.random.default_rng(0)
    for m in (7, 300, 50_000):
        counts = bootstrap.multinomial_counts(rng, 400, m)
        assert np.all(counts.sum(axis=1) == m)
        # Multinomial(m, 1/m) cells: mean 1, variance 1 - 1/m
        assert abs(counts.mean() - 1) < 1e-9
        assert abs(counts.var() - (1 - 1 / m)) < 0.03


def test_compiled_auroc_equals_numpy_on_the_same_counts():
    rng = np.random.default_rng(1)
    y = rng.random(400) < 0.3
    scores = np.round(rng.random(400) + 0.4 * y, 2)
    cases = fast_auroc.sort_cases(y, scores)
    data = binary.prepare(y, scores)
    for _ in range(20):
        counts = rng.integers(0, 4, size=400).astype(np.uint8)
        in_order = counts[cases.order]
        wp = in_order[cases.is_pos == 1][None, :].astype(float)
        wn = in_order[cases.is_pos == 0][None, :].astype(float)
        # positives/negatives in score order are the class-split arrays binary.prepare sorts
        expected = binary.auroc(data, wp, wn)[0]
        got = fast_auroc.auroc_of_counts(in_order, cases.is_pos, cases.tie_runs)
        assert abs(got - expected) < 1e-12


def test_replicates_are_reproducible_piece_by_piece():
    rng = np.random.default_rng(3)
    y, scores = rng.random(5000) < 0.2, rng.random(5000)
    cases = fast_auroc.sort_cases(y, scores)
    whole = fast_auroc.auroc_replicates(cases, 11, 0, 40)
    assert np.array_equal(whole[20:], fast_auroc.auroc_replicates(cases, 11, 20, 20))


def _binormal_auc(shift: float) -> float:
    return float(norm.cdf(shift / np.sqrt(2)))


@pytest.mark.parametrize("path", ["numpy", "compiled"])
def test_bca_intervals_cover_the_true_auroc(path):
    """300 simulated test sets (n=150, prevalence 1/3, binormal AUROC 0.76): the 95% BCa interval
    should cover the true AUROC about 95% of the time (binomial SD ≈ 1.3 points)."""
    shift, truth = 1.0, _binormal_auc(1.0)
    rng = np.random.default_rng(2026)
    covered = 0
    replications = 300
    for r in range(replications):
        y = np.zeros(150, bool)
        y[:50] = True
        scores = rng.normal(size=150) + shift * y
        data = binary.prepare(y, scores)
        if path == "numpy":
            boot = bootstrap.replicates(lambda w: {"a": binary.auroc(data, w[0], w[1])}, [50, 100], 400, r)["a"]
        else:
            boot = fast_auroc.auroc_replicates(fast_auroc.sort_cases(y, scores), r, 0, 400)
        jack = bootstrap.jackknife(lambda w: {"a": binary.auroc(data, w[0], w[1])}, [50, 100])["a"]
        point = binary.auroc(data, *binary.ones(data))[0]
        (low, high), _ = bootstrap.bca_interval(point, boot, bootstrap.acceleration(jack))
        covered += low <= truth <= high
    rate = covered / replications
    assert 0.91 <= rate <= 0.98, rate


def test_wilson_matches_statsmodels_definition():
    low, high = bootstrap.wilson_interval(40, 50)
    z = 1.959963984540054
    p = 0.8
    centre = (p + z * z / 100) / (1 + z * z / 50)
    half = z / (1 + z * z / 50) * np.sqrt(p * (1 - p) / 50 + z * z / 10000)
    assert abs(low - (centre - half)) < 1e-9 and abs(high - (centre + half)) < 1e-9


def test_out_of_range_values_do_not_compound():
    """Every out-of-range case of a column gets 10 × the column's largest unperturbed value — not 10×
    the previous perturbed case (which reached inf on 10,000 cases)."""
    import numpy as np

    from yizhi.evaluation.robustness import perturb

    matrix = np.random.default_rng(1).normal(size=(10_000, 3)).astype(np.float32)
    out = perturb("out_of_range", matrix, 1, ["a", "b", "c"], {}, {})
    changed = out != matrix
    assert 300 < changed.sum() < 700 and np.isfinite(out).all()
    largest = np.abs(matrix).max(axis=0)
    for col in range(3):
        assert np.allclose(out[changed[:, col], col], 10 * largest[col], rtol=1e-6)
