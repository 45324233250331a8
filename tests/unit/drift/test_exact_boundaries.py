"""A distance exactly at the threshold is never "exceeds": boundary tests for every L-infinity rule.

Each case has three points: just below, exactly at and just above the threshold. Before the distances
were computed exactly, ``0..1999`` against ``200..2199`` gave 0.10000000000000009 (flagged) and a share
moving 40 -> 30 % gave 0.10000000000000003 (flagged) while 50 -> 40 % gave 0.09999999999999998 (not).
"""

from fractions import Fraction

import numpy as np
import pytest

from sagewatch.drift import get_measure
from sagewatch.drift.exact import decimal_fraction, exact_counts, exceeds, max_ratio_gap
from sagewatch.drift.ks import ks_test
from sagewatch.drift.linf import linf_categorical_distance, linf_distance
from sagewatch.drift.sketch_cdf import SketchDistribution, max_cdf_gap

from ._helpers import sketch

BASE = np.arange(2000.0)


@pytest.mark.parametrize(("shift", "drifted"), [(199, False), (200, False), (201, True)])
@pytest.mark.parametrize("method", ["Simple", "Robust"])
def test_numeric_linf_at_threshold_is_not_drift(shift, drifted, method):
    # 2,000 rows per side: the Robust critical value (0.043) is below the threshold, which decides
    r = linf_distance(sketch(BASE), sketch(BASE + shift), threshold=0.1, comparison_method=method)
    assert r.details["exact_distance"] == str(Fraction(shift, 2000))
    assert r.drift_score == float(Fraction(shift, 2000))
    assert r.drifted is drifted


def test_numeric_linf_at_threshold_reports_the_correctly_rounded_distance():
    r = linf_distance(SketchDistribution.from_values(BASE), SketchDistribution.from_values(BASE + 200),
                      comparison_method="Simple")
    assert r.drift_score == 0.1  # not 0.10000000000000009
    assert r.details["location"] == 199.0  # the first point where the gap is largest


@pytest.mark.parametrize(("shift", "drifted"), [(19, False), (20, True)])
def test_robust_critical_value_boundary(shift, drifted):
    # 100 rows per side: critical value 0.19206 lies between 19/100 and 20/100, both above the threshold
    base = np.arange(100.0)
    r = linf_distance(sketch(base), sketch(base + shift), threshold=0.1, comparison_method="Robust")
    assert r.details["critical_value"] == pytest.approx(0.19206, abs=1e-5)
    assert r.drifted is drifted


@pytest.mark.parametrize(("threshold", "base_a", "cur_a"), [
    (0.1, 40, 30), (0.1, 50, 40), (0.1, 70, 60), (0.2, 70, 50), (0.3, 70, 40), (0.05, 15, 10),
    (0.15, 45, 30), (0.7, 80, 10),
])
@pytest.mark.parametrize("delta", [-1, 0, 1])
def test_categorical_linf_at_threshold_is_not_drift(threshold, base_a, cur_a, delta):
    """``base_a -> cur_a`` of 100 rows moves exactly ``threshold``; one row more or less crosses it."""
    cur = cur_a - delta
    r = linf_categorical_distance({"a": base_a, "b": 100 - base_a}, {"a": cur, "b": 100 - cur},
                                  threshold=threshold)
    assert Fraction(r.details["exact_distance"]) == Fraction(base_a - cur, 100)
    assert r.drifted is (delta == 1)


def test_forty_to_thirty_and_fifty_to_forty_behave_the_same():
    a = linf_categorical_distance({"x": 40, "y": 60}, {"x": 30, "y": 70})
    b = linf_categorical_distance({"x": 50, "y": 50}, {"x": 40, "y": 60})
    assert (a.drift_score, a.drifted) == (b.drift_score, b.drifted) == (0.1, False)
    assert a.details["exact_distance"] == b.details["exact_distance"] == "1/10"


@pytest.mark.parametrize(("cur_a", "drifted"), [(3001, False), (3000, False), (2999, True)])
def test_chi_squared_method_at_threshold(cur_a, drifted):
    # 10,000 rows per side: the chi-squared p-value is far below 0.05, so the distance decides
    r = linf_categorical_distance({"a": 4000, "b": 6000}, {"a": cur_a, "b": 10_000 - cur_a},
                                  categorical_drift_method="ChiSquared")
    assert r.details["p_value"] < 1e-20
    assert r.drifted is drifted


def test_chi_squared_gate_keeps_a_large_but_noisy_move_quiet():
    # 0.3 > 0.1, but 10 rows per side: p = 0.17 > 0.05
    r = linf_categorical_distance({"a": 5, "b": 5}, {"a": 2, "b": 8}, categorical_drift_method="ChiSquared")
    assert r.drift_score == pytest.approx(0.3) and r.details["p_value"] > 0.05
    assert not r.drifted
    assert linf_categorical_distance({"a": 5, "b": 5}, {"a": 2, "b": 8}).drifted


def test_whole_float_counts_decide_like_integers():
    r = linf_categorical_distance({"a": 40.0, "b": 60.0}, {"a": 30.0, "b": 70.0})
    assert (r.details["exact_distance"], r.drifted) == ("1/10", False)


def test_counts_beyond_float_precision_stay_exact():
    big = 10**18
    r = linf_categorical_distance({"a": 4 * big, "b": 6 * big}, {"a": 3 * big, "b": 7 * big})
    assert (r.details["exact_distance"], r.drifted) == ("1/10", False)


def test_registry_linf_decides_exactly():
    r = get_measure("linf")({"a": 40, "b": 60}, {"a": 30, "b": 70}, threshold=0.1)
    assert not r.drifted


def test_ks_statistic_is_the_exact_gap():
    r = ks_test(sketch(BASE), sketch(BASE + 200))
    assert r.details["ks_statistic"] == 0.1


def test_max_ratio_gap_beyond_int64_uses_python_integers():
    total = 3 * 10**9  # total * total > 2**62
    a = np.array([total // 2, total], dtype=np.int64)
    b = np.array([total // 2 - 1, total], dtype=np.int64)
    assert max_ratio_gap(a, total, b, total) == (0, Fraction(1, total))


def test_max_cdf_gap_is_exact_for_real_weights():
    b = SketchDistribution(items=np.array([0.0, 1.0]), weights=np.array([0.5, 1.5]), n=2)
    c = SketchDistribution(items=np.array([0.0, 1.0]), weights=np.array([1.5, 0.5]), n=2)
    assert max_cdf_gap(b, c) == (0.0, Fraction(1, 2))


def test_exact_helpers():
    assert decimal_fraction(0.1) == Fraction(1, 10)
    assert not exceeds(Fraction(1, 10), 0.1) and exceeds(Fraction(1, 10), 0.09999)
    assert exact_counts(np.array([1.0, 2.0])).dtype == np.int64
    assert exact_counts(np.array([0.5])).dtype == object
