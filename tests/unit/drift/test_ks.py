import numpy as np
import pytest
from scipy import stats

from sagewatch.drift.ks import ks_p_value, ks_test
from sagewatch.errors import InvalidParameterError

from ._helpers import sketch


def test_ks_in_exact_mode_matches_scipy_asymptotic_ks_2samp():
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=800), rng.normal(0.1, size=1200)
    expected = stats.ks_2samp(x, y, method="asymp")
    r = ks_test(sketch(x), sketch(y))
    assert r.details["ks_statistic"] == pytest.approx(expected.statistic, abs=1e-12)
    assert r.drift_score == pytest.approx(expected.pvalue, rel=1e-9)
    assert r.drift_score == pytest.approx(0.0882, abs=1e-4)
    assert not r.drifted


def test_ks_p_value_pinned():
    # scipy.stats.kstwo.sf(0.1, 500): effective n = 1000 * 1000 / 2000
    assert ks_p_value(statistic=0.1, n=1000, m=1000) == pytest.approx(8.3423e-05, rel=1e-4)
    assert ks_p_value(statistic=0.0, n=10, m=10) == 1.0


def test_ks_p_value_switches_to_the_limiting_distribution_for_large_samples():
    # effective n 5e5: kstwobign.sf(D sqrt(en)); scipy's kstwo.sf(0.005, 500000) = 2.76799e-11
    p = ks_p_value(statistic=0.005, n=10**6, m=10**6)
    assert p == pytest.approx(stats.kstwobign.sf(0.005 * 500_000**0.5), rel=1e-12)
    assert p == pytest.approx(2.76799e-11, rel=0.005)
    assert ks_p_value(statistic=0.02, n=20_000, m=20_000) == pytest.approx(stats.kstwo.sf(0.02, 10_000), rel=1e-12)


def test_ks_same_sketch_is_not_drifted():
    s = sketch(np.random.default_rng(0).normal(size=100_000))
    r = ks_test(s, s)
    assert (r.drift_score, r.drifted, r.details["ks_statistic"]) == (1.0, False, 0.0)


def test_ks_shifted_distribution_is_drifted():
    rng = np.random.default_rng(2)
    r = ks_test(sketch(rng.normal(size=100_000)), sketch(rng.normal(0.1, size=100_000)))
    assert r.drifted
    assert r.drift_score < 1e-20
    assert r.score_type == "p_value" and r.statistic == "ks_p_value"


def test_ks_small_samples_are_not_significant():
    r = ks_test(sketch(np.arange(20.0)), sketch(np.arange(20.0) + 5))
    assert r.details["ks_statistic"] == pytest.approx(0.25)
    assert r.drift_score == pytest.approx(stats.kstwo.sf(0.25, 10))
    assert not r.drifted


@pytest.mark.parametrize("threshold", [0.0, 1.5, -0.01])
def test_ks_threshold_is_a_p_value(threshold):
    with pytest.raises(InvalidParameterError, match="p-value threshold|threshold must be"):
        ks_test(sketch([1.0]), sketch([2.0]), threshold=threshold)
