import math

import numpy as np
import pytest

from sagewatch.drift.psi import population_stability_index, psi_distance
from sagewatch.drift.sketch_cdf import SketchDistribution

from ._helpers import sketch


def test_psi_categorical_hand_computed():
    # (0.25 - 0.5) ln(0.25 / 0.5) + (0.75 - 0.5) ln(0.75 / 0.5) = 0.25 ln 3
    r = psi_distance({"a": 50, "b": 50}, {"a": 25, "b": 75})
    assert r.drift_score == pytest.approx(0.25 * math.log(3), rel=1e-12)
    assert r.drift_score == pytest.approx(0.274653, abs=1e-6)
    assert r.drifted and r.threshold == 0.041  # the categorical default


def test_psi_numeric_hand_computed_on_quintile_bins():
    # baseline 1..10 -> quintile edges 2, 4, 6, 8 -> baseline shares 0.2 each
    # current: {1,1,1,1} {3,3} {5} {7} {9,10} -> shares 0.4 0.2 0.1 0.1 0.2
    # PSI = 0.2 ln 2 + 0 + 2 * (-0.1) ln 0.5 + 0 = 0.4 ln 2
    b = sketch(np.arange(1.0, 11.0))
    c = sketch([1, 1, 1, 1, 3, 3, 5, 7, 9, 10])
    r = psi_distance(b, c, n_bins=5)
    assert r.drift_score == pytest.approx(0.4 * math.log(2), rel=1e-12)
    assert r.details["bin_edges"] == (2.0, 4.0, 6.0, 8.0)
    assert r.drifted


def test_psi_smooths_an_empty_current_bin():
    # baseline median 5 -> bins (-inf, 5], (5, inf); all current values in the first bin
    b = SketchDistribution.from_values(np.arange(1.0, 11.0))
    c = SketchDistribution.from_values([1.0, 2.0, 3.0])
    q = [1 / 1.0001, 1e-4 / 1.0001]   # zeros -> 1e-4, renormalised
    expected = (q[0] - 0.5) * math.log(q[0] / 0.5) + (q[1] - 0.5) * math.log(q[1] / 0.5)
    r = psi_distance(b, c, n_bins=2)
    assert r.drift_score == pytest.approx(expected, rel=1e-12)
    assert r.drift_score == pytest.approx(4.6042, abs=1e-4)


def test_psi_unseen_category_is_finite_and_large():
    r = psi_distance({"a": 100}, {"a": 50, "b": 50})
    assert math.isfinite(r.drift_score) and r.drift_score > 3


def test_psi_same_summary_is_zero():
    s = sketch(np.random.default_rng(0).normal(size=100_000))
    r = psi_distance(s, s)
    assert (r.drift_score, r.drifted) == (0.0, False)
    assert r.details["n_bins"] == 10


def test_psi_shifted_normal_matches_population_value():
    rng = np.random.default_rng(8)
    r = psi_distance(sketch(rng.normal(size=200_000)), sketch(rng.normal(0.5, size=200_000)))
    # decile PSI of N(0.5, 1) against N(0, 1), computed from the normal CDF: 0.2377
    assert r.drift_score == pytest.approx(0.2377, abs=0.01)
    assert r.drifted


def test_population_stability_index_kernel_is_keyword_only():
    with pytest.raises(TypeError):
        population_stability_index([0.5, 0.5], [0.5, 0.5])
    assert population_stability_index(p=[0.2, 0.8], q=[0.2, 0.8]) == 0.0
