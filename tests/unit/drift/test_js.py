import math

import numpy as np
import pytest

from sagewatch.drift.js import js_distance

from ._helpers import sketch


def _js_by_hand(p, q):
    m = [(a + b) / 2 for a, b in zip(p, q)]
    kl = lambda u: sum(a * math.log2(a / c) for a, c in zip(u, m) if a > 0)  # noqa: E731
    return math.sqrt((kl(p) + kl(q)) / 2)


def test_js_categorical_hand_computed():
    r = js_distance({"a": 50, "b": 50}, {"a": 25, "b": 75})
    assert r.drift_score == pytest.approx(_js_by_hand([0.5, 0.5], [0.25, 0.75]), rel=1e-12)
    assert r.drift_score == pytest.approx(0.220896, abs=1e-6)
    assert r.drifted
    assert r.statistic == "jensen_shannon_distance"


def test_js_numeric_hand_computed_on_quintile_bins():
    r = js_distance(sketch(np.arange(1.0, 11.0)), sketch([1, 1, 1, 1, 3, 3, 5, 7, 9, 10]), n_bins=5)
    assert r.drift_score == pytest.approx(_js_by_hand([0.2] * 5, [0.4, 0.2, 0.1, 0.1, 0.2]), rel=1e-12)
    assert r.drift_score == pytest.approx(0.221410, abs=1e-6)


def test_js_disjoint_categories_is_one_and_unseen_needs_no_smoothing():
    assert js_distance({"a": 4}, {"b": 4}).drift_score == 1.0
    r = js_distance({"a": 1, "b": 1}, {"a": 1, "c": 1})
    assert r.drift_score == pytest.approx(math.sqrt(0.5), rel=1e-12)


def test_js_same_summary_is_zero():
    assert js_distance({"a": 3, "b": 1}, {"a": 30, "b": 10}).drift_score == pytest.approx(0.0, abs=1e-12)
    s = sketch(np.random.default_rng(0).uniform(size=10_000))
    assert js_distance(s, s).drifted is False


def test_js_shifted_normal_matches_population_value():
    rng = np.random.default_rng(9)
    r = js_distance(sketch(rng.normal(size=200_000)), sketch(rng.normal(0.5, size=200_000)))
    assert r.drift_score == pytest.approx(0.2047, abs=0.01)  # decile JS of N(0.5, 1) vs N(0, 1)
    assert r.drifted
