"""The MRMC analysis reproduces a published example: the Van Dyke et al. (1993) cine-MRI vs
spin-echo MRI data (5 readers, 114 cases: 45 with and 69 without aortic dissection, ratings 1-5),
as analysed by the Iowa OR-DBM MRMC 2.51 program (trapezoidal AUC, jackknife covariance) — the
output reprinted in the RJafroc package (inst/IowaResults/VanDyke_trap_area_jackknife_anova.txt)
and the figures of Hillis (2007, Stat Med 26:596-619): F = 4.46, ddf_H = 15.26, p = 0.0517.

Data: tests/annotation/data/vandyke.csv, the ratings as distributed with OR-DBM MRMC (VanDyke.lrc)
and RJafroc (dataset02)."""

from pathlib import Path

import numpy as np
import pytest

from yizhi.annotation.mrmc import auc_matrix, jackknife_aucs, obuchowski_rockette

# Touches no database: run once, in the SQLite run (tests/conftest.py checks it).
pytestmark = pytest.mark.db_independent

DATA = Path(__file__).parent / "data" / "vandyke.csv"


def _vandyke():
    rows = np.loadtxt(DATA, delimiter=",", skiprows=1, dtype=int)
    scores = np.zeros((2, 5, 114))
    truth = np.zeros(114, dtype=int)
    for reader, treatment, case, t, rating in rows:
        scores[treatment - 1, reader - 1, case - 1] = rating
        truth[case - 1] = t
    return scores, truth


def test_reader_aucs_match_the_published_table():
    scores, truth = _vandyke()
    assert (truth == 1).sum() == 45 and (truth == 0).sum() == 69
    published = [[0.91964573, 0.85877617, 0.90386473, 0.97310789, 0.82979066],
                 [0.94782609, 0.90531401, 0.92173913, 0.99935588, 0.92995169]]
    assert auc_matrix(scores, truth) == pytest.approx(np.array(published), abs=5e-9)


def test_jackknife_equals_recomputing_without_each_case():
    scores, truth = _vandyke()
    jack = jackknife_aucs(scores, truth)
    for case in (0, 68, 69, 113):
        keep = np.arange(114) != case
        assert jack[case] == pytest.approx(auc_matrix(scores[..., keep], truth[keep]), abs=1e-12)


def test_obuchowski_rockette_reproduces_or_dbm_mrmc():
    result = obuchowski_rockette(*_vandyke())
    assert result.modality_means == pytest.approx([0.89703704, 0.94083736], abs=5e-9)
    assert result.var_error == pytest.approx(0.00080229, abs=5e-9)
    assert (result.cov1, result.cov2, result.cov3) == (pytest.approx(0.00034661, abs=5e-9),
                                                       pytest.approx(0.00034407, abs=5e-9),
                                                       pytest.approx(0.00023903, abs=5e-9))
    assert (result.ms_t, result.ms_r, result.ms_tr) == (pytest.approx(0.00479617, abs=5e-9),
                                                        pytest.approx(0.00383620, abs=5e-9),
                                                        pytest.approx(0.00055103, abs=5e-9))
    assert round(result.f, 2) == 4.46 and round(result.ddf, 2) == 15.26 and round(result.p, 4) == 0.0517
    # the program prints treatment 1 − 2 = −0.04380, SE 0.02075, CI (−0.08796, 0.00036); ours is 2 − 1
    assert round(result.difference, 5) == 0.04380 and round(result.difference_se, 5) == 0.02075
    assert [round(v, 5) for v in result.difference_ci] == [-0.00036, 0.08796]
    first, second = result.single
    assert [round(v, 8) for v in first["ci"]] == pytest.approx([0.82522360, 0.96885048], abs=2e-8)
    assert [round(v, 8) for v in second["ci"]] == pytest.approx([0.89413783, 0.98753689], abs=2e-8)
    assert round(first["df"], 2) == 12.74 and round(second["df"], 2) == 12.71


def test_refuses_what_it_cannot_analyse():
    scores, truth = _vandyke()
    with pytest.raises(ValueError):
        obuchowski_rockette(scores[:, :1], truth)
