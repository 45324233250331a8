import math

import numpy as np
import pytest
from scipy import stats

from sagewatch.drift.chi2 import chi2_homogeneity_test, chi2_test
from sagewatch.errors import InvalidParameterError

from ._helpers import sketch


def test_chi2_categorical_with_unseen_category_hand_computed():
    # 2 x 3 table [[50, 50, 0], [30, 50, 20]]: expected 40/50/10, chi2 = 2*100/40 + 2*100/10 = 25
    r = chi2_test({"a": 50, "b": 50}, {"a": 30, "b": 50, "c": 20})
    assert r.details["chi2_statistic"] == pytest.approx(25.0)
    assert r.details["dof"] == 2
    assert r.drift_score == pytest.approx(math.exp(-12.5))   # chi2(2) survival = exp(-x / 2)
    assert r.drifted and r.score_type == "p_value"


def test_chi2_matches_scipy_contingency_without_yates():
    b, c = {"x": 12, "y": 30, "z": 8}, {"x": 20, "y": 22, "z": 9, "w": 1}
    expected = stats.chi2_contingency([[12, 30, 8, 0], [20, 22, 9, 1]], correction=False)
    r = chi2_test(b, c)
    assert r.drift_score == pytest.approx(expected.pvalue, rel=1e-12)
    assert r.details["chi2_statistic"] == pytest.approx(expected.statistic, rel=1e-12)


def test_chi2_two_by_two_has_no_continuity_correction():
    stat, p, dof = chi2_homogeneity_test(counts_baseline=[5, 5], counts_current=[3, 7])
    assert (stat, dof) == (pytest.approx(5 / 6), 1)
    assert p == pytest.approx(math.erfc(math.sqrt(5 / 12)))


def test_chi2_identical_shares_gives_p_one():
    r = chi2_test({"a": 10, "b": 30}, {"a": 20, "b": 60})
    assert r.drift_score == pytest.approx(1.0)
    assert not r.drifted


def test_chi2_single_category_is_undrifted():
    assert chi2_homogeneity_test(counts_baseline=[7], counts_current=[3]) == (0.0, 1.0, 0)
    assert chi2_test({"a": 7, "b": 0}, {"a": 3}).drift_score == 1.0


def test_chi2_numeric_uses_baseline_quantile_bins():
    # shares 0.2 x 5 vs 0.4 0.2 0.1 0.1 0.2 on 10 rows each
    r = chi2_test(sketch(np.arange(1.0, 11.0)), sketch([1, 1, 1, 1, 3, 3, 5, 7, 9, 10]), n_bins=5)
    expected = stats.chi2_contingency([[2, 2, 2, 2, 2], [4, 2, 1, 1, 2]], correction=False)
    assert r.drift_score == pytest.approx(expected.pvalue, rel=1e-12)
    assert r.details["dof"] == 4
    assert not r.drifted


def test_chi2_numeric_shift_is_drifted():
    rng = np.random.default_rng(12)
    r = chi2_test(sketch(rng.normal(size=50_000)), sketch(rng.normal(0.1, size=50_000)))
    assert r.drifted and r.drift_score < 1e-10


def test_chi2_rejects_mixed_summaries():
    with pytest.raises(InvalidParameterError, match="current must be a mapping"):
        chi2_test({"a": 1}, sketch([1.0]))
