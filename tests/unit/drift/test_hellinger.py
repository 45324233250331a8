import math

import numpy as np
import pytest

from sagewatch.drift.hellinger import hellinger_distance, hellinger_kernel

from ._helpers import sketch


def test_hellinger_categorical_hand_computed():
    expected = math.sqrt(((math.sqrt(0.5) - 0.5) ** 2 + (math.sqrt(0.5) - math.sqrt(0.75)) ** 2) / 2)
    r = hellinger_distance({"a": 50, "b": 50}, {"a": 25, "b": 75})
    assert r.drift_score == pytest.approx(expected, rel=1e-12)
    assert r.drift_score == pytest.approx(0.184592, abs=1e-6)
    assert r.drifted


def test_hellinger_numeric_hand_computed_on_quintile_bins():
    # shares 0.2 x 5 vs 0.4 0.2 0.1 0.1 0.2
    expected = math.sqrt(((math.sqrt(0.2) - math.sqrt(0.4)) ** 2 + 2 * (math.sqrt(0.2) - math.sqrt(0.1)) ** 2) / 2)
    r = hellinger_distance(sketch(np.arange(1.0, 11.0)), sketch([1, 1, 1, 1, 3, 3, 5, 7, 9, 10]), n_bins=5)
    assert r.drift_score == pytest.approx(expected, rel=1e-12)
    assert r.drift_score == pytest.approx(0.185242, abs=1e-6)


def test_hellinger_bounds():
    assert hellinger_distance({"a": 1}, {"b": 1}).drift_score == 1.0
    assert hellinger_kernel(p=[0.3, 0.7], q=[0.3, 0.7]) == 0.0


def test_hellinger_shifted_normal_matches_population_value():
    rng = np.random.default_rng(10)
    r = hellinger_distance(sketch(rng.normal(size=200_000)), sketch(rng.normal(0.5, size=200_000)))
    assert r.drift_score == pytest.approx(0.1714, abs=0.01)  # decile Hellinger of N(0.5, 1) vs N(0, 1)
    assert r.drifted
