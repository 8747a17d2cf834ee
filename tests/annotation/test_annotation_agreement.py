"""Agreement figures equal the reference implementations on random data: Cohen's κ (scikit-learn),
Fleiss' κ (statsmodels), Krippendorff's α (krippendorff, against a direct coincidence-matrix
computation); span F1 and IoU/Dice on cases worked by hand."""

import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa

from yizhi.annotation import agreement

# Touches no database: run once, in the SQLite run (tests/conftest.py checks it).
pytestmark = pytest.mark.db_independent


@pytest.mark.parametrize("seed", range(20))
def test_cohen_kappa_equals_sklearn(seed):
    rng = np.random.default_rng(seed)
    a = rng.choice(["甲", "乙", "丙"], size=60).tolist()
    b = [x if rng.random() < 0.6 else rng.choice(["甲", "乙", "丙"]) for x in a]
    assert agreement.cohen_kappa(a, b) == pytest.approx(cohen_kappa_score(a, b), abs=1e-12)


def test_cohen_kappa_uses_only_items_both_rated():
    a = ["x", "y", None, "x", "y", "x"]
    b = ["x", "y", "y", None, "x", "x"]
    both = [(p, q) for p, q in zip(a, b) if p is not None and q is not None]
    assert agreement.cohen_kappa(a, b) == pytest.approx(cohen_kappa_score(*zip(*both)))


@pytest.mark.parametrize("seed", range(20))
def test_fleiss_kappa_equals_statsmodels(seed):
    rng = np.random.default_rng(100 + seed)
    truth = rng.integers(0, 4, size=40)
    ratings = np.where(rng.random((40, 5)) < 0.7, truth[:, None], rng.integers(0, 4, size=(40, 5)))
    table, _categories = aggregate_raters(ratings)
    ours = agreement.fleiss_kappa([[str(v) for v in row] for row in ratings])
    assert ours == pytest.approx(fleiss_kappa(table, method="fleiss"), abs=1e-12)


def _alpha_nominal_by_hand(matrix):
    """Krippendorff (2011), nominal: coincidences within units with ≥ 2 values."""
    values = sorted({v for row in matrix for v in row if v is not None})
    index = {v: i for i, v in enumerate(values)}
    o = np.zeros((len(values), len(values)))
    for row in matrix:
        present = [v for v in row if v is not None]
        m = len(present)
        if m < 2:
            continue
        for i, u in enumerate(present):
            for j, w in enumerate(present):
                if i != j:
                    o[index[u], index[w]] += 1 / (m - 1)
    n_c = o.sum(axis=1)
    n = n_c.sum()
    observed = (o.sum() - np.trace(o)) / n
    expected = (n * n - (n_c**2).sum()) / (n * (n - 1))
    return 1 - observed / expected


@pytest.mark.parametrize("seed", range(10))
def test_krippendorff_alpha_nominal_with_missing_values(seed):
    rng = np.random.default_rng(200 + seed)
    truth = rng.integers(0, 3, size=30)
    matrix = []
    for t in truth:
        row = [int(t) if rng.random() < 0.75 else int(rng.integers(0, 3)) for _ in range(4)]
        row = [None if rng.random() < 0.2 else v for v in row]
        matrix.append(row)
    assert agreement.krippendorff_alpha(matrix, "nominal") == pytest.approx(_alpha_nominal_by_hand(matrix), abs=1e-9)


def test_krippendorff_alpha_ordinal_rewards_near_misses():
    near = [[1, 2], [2, 3], [4, 5], [5, 4], [1, 1], [3, 3]]
    far = [[1, 5], [2, 5], [4, 1], [5, 1], [1, 1], [3, 3]]
    order = ["1", "2", "3", "4", "5"]
    assert agreement.krippendorff_alpha(near, "ordinal", order) > 0.5 > agreement.krippendorff_alpha(far, "ordinal", order)


def test_span_f1_exact_and_overlap():
    gold = [{"start": 2, "end": 5, "label": "NAME"}, {"start": 10, "end": 21, "label": "PHONE"}]
    other = [{"start": 2, "end": 5, "label": "NAME"}, {"start": 10, "end": 20, "label": "PHONE"},
             {"start": 30, "end": 33, "label": "DATE"}]
    p, r, f = agreement.span_f1(gold, other)
    assert (p, r) == (pytest.approx(1 / 3), pytest.approx(1 / 2)) and f == pytest.approx(0.4)
    p, r, f = agreement.span_f1(gold, other, overlap=True)
    assert (p, r, f) == (pytest.approx(2 / 3), 1.0, pytest.approx(0.8))
    assert agreement.span_f1([], []) == (1.0, 1.0, 1.0)
    assert agreement.pooled_span_f1([(gold, other), ([], [])]) == pytest.approx(0.4)


def test_iou_and_dice():
    a = {"x": 0, "y": 0, "w": 10, "h": 10}
    b = {"x": 5, "y": 0, "w": 10, "h": 10}
    assert agreement.box_iou(a, b) == pytest.approx(50 / 150)
    first = agreement.rasterize([{"points": [[0, 0], [9, 0], [9, 9], [0, 9]], "label": "x"}], 20, 20)
    second = agreement.rasterize([{"points": [[5, 0], [14, 0], [14, 9], [5, 9]], "label": "x"}], 20, 20)
    assert first.sum() == 100 and second.sum() == 100
    assert agreement.mask_iou(first, second) == pytest.approx(50 / 150)
    assert agreement.mask_dice(first, second) == pytest.approx(100 / 200)
