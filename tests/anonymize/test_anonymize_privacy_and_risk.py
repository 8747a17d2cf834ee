"""Privacy-model distances and risk figures against hand-computed and published values."""

from __future__ import annotations

import numpy as np
import pytest

from yizhi.deid.tabular.privacy import SensitiveColumn, SensitiveRequirement, classes_passing
from yizhi.deid.tabular.risk import risk_profile

# Touches no database: run once, in the SQLite run (tests/conftest.py checks it).
pytestmark = pytest.mark.db_independent

# Li, Li & Venkatasubramanian (ICDE 2007), salary example: Q = {3k..11k} uniform.
SALARIES = np.arange(3, 12)  # codes 0..8 = 3k..11k


def salary_column(requirement: SensitiveRequirement) -> SensitiveColumn:
    return SensitiveColumn(requirement, SALARIES.astype(str).astype(object), np.full(9, 1 / 9), np.arange(9))


def one_class_pairs(codes: list[int]):
    codes = np.array(codes)
    return [(np.zeros(len(codes), dtype=np.int64), codes, np.ones(len(codes)))]


@pytest.mark.parametrize(
    ("salaries", "ordered_emd"),
    [([3, 4, 5], 0.375), ([6, 8, 11], 0.167)],  # the paper's D[P1,Q] and D[P2,Q]
)
def test_ordered_distance_reproduces_li_et_al(salaries, ordered_emd):
    codes = [s - 3 for s in salaries]
    sizes = np.array([3])
    just_above = SensitiveRequirement("salary", t=ordered_emd + 0.001, distance="ordered")
    just_below = SensitiveRequirement("salary", t=ordered_emd - 0.001, distance="ordered")
    assert classes_passing(sizes, 1, one_class_pairs(codes), [salary_column(just_above)])[0]
    assert not classes_passing(sizes, 1, one_class_pairs(codes), [salary_column(just_below)])[0]


def test_equal_distance_is_half_the_l1_distance():
    # P = 1/3 on three values, Q = 1/9 on nine: 0.5 * (3 * 2/9 + 6 * 1/9) = 2/3.
    sizes = np.array([3])
    passes = [
        classes_passing(sizes, 1, one_class_pairs([0, 1, 2]), [salary_column(SensitiveRequirement("s", t=t))])[0]
        for t in (0.667, 0.666)
    ]
    assert passes == [True, False]


def test_distinct_and_entropy_l_diversity():
    # class 0: values {a:2, b:2}; class 1: {a:3, b:1}; class 2: {a:4}
    pair_class = np.array([0, 0, 1, 1, 2])
    pair_code = np.array([0, 1, 0, 1, 0])
    pair_count = np.array([2, 2, 3, 1, 4])
    sizes = np.array([4, 4, 4])
    labels = np.array(["a", "b"], dtype=object)
    share = np.array([9 / 12, 3 / 12])

    def check(requirement):
        column = SensitiveColumn(requirement, labels, share, np.arange(2))
        return classes_passing(sizes, 1, [(pair_class, pair_code, pair_count)], [column]).tolist()

    assert check(SensitiveRequirement("s", l=2)) == [True, True, False]
    # entropy of {3/4, 1/4} = 0.562 < log 2 = 0.693: only the even class is entropy 2-diverse
    assert check(SensitiveRequirement("s", l=2, entropy=True)) == [True, False, False]


def test_k_is_checked_together_with_sensitive_models():
    sizes = np.array([1, 5])
    pairs = [(np.array([0, 1, 1]), np.array([0, 0, 1]), np.array([1, 3, 2]))]
    column = SensitiveColumn(SensitiveRequirement("s", l=2), np.array(["a", "b"], dtype=object),
                             np.array([4 / 6, 2 / 6]), np.arange(2))
    assert classes_passing(sizes, 2, pairs, [column]).tolist() == [False, True]


def test_risk_profile_by_hand():
    # classes of sizes 1, 1, 2, 4 (8 records)
    profile = risk_profile(np.array([1, 1, 2, 4]))
    assert profile["prosecutor"] == 1.0
    assert profile["prosecutor_average"] == pytest.approx(4 / 8)
    assert profile["journalist"] == 1.0  # no population given: the table is the population
    assert profile["marketer"] == pytest.approx(4 / 8)
    assert profile["sample_uniques"] == pytest.approx(2 / 8)
    assert profile["classes"] == 4


def test_population_lowers_journalist_and_marketer_risk():
    # sampling fraction 8 / 80 = 0.1: class of size f has about 10 f people in the population
    profile = risk_profile(np.array([1, 1, 2, 4]), population_size=80)
    assert profile["prosecutor"] == 1.0
    assert profile["journalist"] == pytest.approx(1 / 10)
    # expected matches: each class re-identifies f/F = 0.1 records; 4 classes -> 0.4 of 8 records
    assert profile["marketer"] == pytest.approx(0.05)


def test_suppressed_records_match_the_whole_table():
    # released classes 3 and 5, plus 2 suppressed records (10 records): a suppressed record is
    # consistent with all 10, so it is neither unique nor the highest risk
    profile = risk_profile(np.array([3, 5]), suppressed=2)
    assert profile["prosecutor"] == pytest.approx(1 / 3)
    assert profile["prosecutor_average"] == pytest.approx((1 + 1 + 2 / 10) / 10)
    assert profile["sample_uniques"] == 0.0
    assert profile["classes"] == 3
