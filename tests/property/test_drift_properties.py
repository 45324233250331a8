"""Table-driven invariances over every registered drift measure (style guide §2.4, property layer)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from datasketches import kll_doubles_sketch
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats

from sagewatch.drift import available_measures, get_measure, linf_distance
from sagewatch.drift.sketch_cdf import SketchDistribution, binned_proportions

SETTINGS = settings(max_examples=60, deadline=None)
# small integer-valued samples: exact-mode sketches (n <= k), many ties
values = st.lists(st.integers(min_value=-20, max_value=20), min_size=1, max_size=300)
counts = st.dictionaries(st.sampled_from("abcdefgh"), st.integers(min_value=0, max_value=1000), min_size=1).filter(
    lambda d: sum(d.values()) > 0)


def _sketch(xs) -> kll_doubles_sketch:
    s = kll_doubles_sketch(2048)
    s.update(np.asarray(xs, dtype=np.float64))
    return s


def _numeric_keys():
    return available_measures("numeric")


def _categorical_keys():
    return available_measures("categorical")


def _score_is_in_range(key: str, score: float) -> bool:
    if get_measure(key).score_type == "p_value" or key in ("linf", "js", "hellinger"):
        return 0.0 <= score <= 1.0 + 1e-12
    return score >= 0.0 and math.isfinite(score)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # scipy's p-value for n = m = 1; only D is used
@SETTINGS
@given(x=values, y=values)
def test_drift_linf_in_exact_mode_equals_ks_2samp(x, y):
    r = linf_distance(_sketch(x), _sketch(y))
    assert r.drift_score == pytest.approx(stats.ks_2samp(x, y, method="asymp").statistic, abs=1e-12)


@SETTINGS
@given(x=values, y=values)
def test_drift_linf_is_symmetric(x, y):
    assert linf_distance(_sketch(x), _sketch(y)).drift_score == pytest.approx(
        linf_distance(_sketch(y), _sketch(x)).drift_score, abs=1e-15)


@SETTINGS
@given(x=values, y=values, shift=st.integers(min_value=-1000, max_value=1000))
def test_drift_linf_is_translation_invariant(x, y, shift):
    a = linf_distance(_sketch(x), _sketch(y)).drift_score
    b = linf_distance(_sketch(np.add(x, shift)), _sketch(np.add(y, shift))).drift_score
    assert a == pytest.approx(b, abs=1e-12)


@pytest.mark.parametrize("key", _numeric_keys())
@pytest.mark.filterwarnings("ignore::sagewatch.errors.UndefinedMetricWarning")  # constant baselines
@SETTINGS
@given(x=values)
def test_drift_numeric_measures_do_not_flag_identical_summaries(key, x):
    s = _sketch(x)
    r = get_measure(key)(s, s)
    assert not r.drifted
    if r.score_type == "distance":
        assert r.drift_score == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("key", _numeric_keys())
@pytest.mark.filterwarnings("ignore::sagewatch.errors.UndefinedMetricWarning")  # constant baselines
@SETTINGS
@given(x=values, y=values)
def test_drift_numeric_scores_are_in_range(key, x, y):
    r = get_measure(key)(_sketch(x), _sketch(y))
    assert _score_is_in_range(key, r.drift_score)
    m = get_measure(key)
    expected = r.drift_score > r.threshold if m.higher_is_drift else r.drift_score < r.threshold
    if key == "linf":  # default comparison_method Robust: the KS gate applies too
        expected = expected and r.drift_score > r.details["critical_value"]
    assert r.drifted == expected


@pytest.mark.parametrize("key", _categorical_keys())
@SETTINGS
@given(b=counts)
def test_drift_categorical_measures_do_not_flag_identical_shares(key, b):
    scaled = {k: 3 * v for k, v in b.items()}
    r = get_measure(key)(b, scaled)
    assert not r.drifted
    if r.score_type == "distance":
        assert r.drift_score == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("key", _categorical_keys())
@SETTINGS
@given(b=counts, c=counts)
def test_drift_categorical_scores_ignore_value_order_and_names(key, b, c):
    r = get_measure(key)(b, c)
    assert _score_is_in_range(key, r.drift_score)
    rename = {v: f"v{i}" for i, v in enumerate(sorted(set(b) | set(c)))}
    b2 = {rename[k]: v for k, v in reversed(list(b.items()))}
    c2 = {rename[k]: v for k, v in c.items()}
    assert get_measure(key)(b2, c2).drift_score == pytest.approx(r.drift_score, rel=1e-9, abs=1e-12)


@SETTINGS
@given(b=counts, c=counts, factor=st.integers(min_value=1, max_value=50))
def test_drift_categorical_distances_depend_only_on_shares(b, c, factor):
    for key in ("linf", "psi", "js", "hellinger"):
        r1 = get_measure(key)(b, c).drift_score
        r2 = get_measure(key)({k: v * factor for k, v in b.items()}, c).drift_score
        assert r1 == pytest.approx(r2, rel=1e-9, abs=1e-12)


@SETTINGS
@given(x=values, y=values, power=st.integers(min_value=-4, max_value=4))
def test_drift_normalised_wasserstein_is_scale_invariant(x, y, power):
    assume(len(set(x)) >= 2)   # a constant baseline has no scale
    key = get_measure("wasserstein")
    f = 2.0 ** power       # exact in binary floating point
    a = key(_sketch(x), _sketch(y)).drift_score
    b = key(_sketch(np.multiply(x, f)), _sketch(np.multiply(y, f))).drift_score
    assert a == pytest.approx(b, rel=1e-9, abs=1e-12)


@SETTINGS
@given(x=values, y=values, n_bins=st.integers(min_value=2, max_value=20))
def test_drift_binned_proportions_are_distributions(x, y, n_bins):
    edges, p, q = binned_proportions(SketchDistribution.from_values(x), SketchDistribution.from_values(y),
                                     n_bins=n_bins)
    assert p.size == q.size == edges.size + 1 <= n_bins
    assert np.all(p > 0) and np.all(q >= 0)
    assert p.sum() == pytest.approx(1.0) and q.sum() == pytest.approx(1.0)
    assert np.all(np.diff(edges) > 0)


# --- exact decisions at the threshold (issue 11 §6) ------------------------------------------------

thresholds_as_written = st.integers(min_value=0, max_value=100).map(lambda k: k / 100)


@SETTINGS
@given(base=counts, cur=counts, threshold=thresholds_as_written)
def test_categorical_linf_decides_like_exact_fractions(base, cur, threshold):
    from fractions import Fraction
    r = get_measure("linf")(base, cur, threshold=threshold)
    total_b, total_c = sum(base.values()), sum(cur.values())
    exact = max(abs(Fraction(base.get(v, 0), total_b) - Fraction(cur.get(v, 0), total_c))
                for v in set(base) | set(cur))
    assert Fraction(r.details["exact_distance"]) == exact
    assert r.drift_score == float(exact)
    assert r.drifted == (exact > Fraction(repr(threshold)))


@SETTINGS
@given(xs=values, ys=values, threshold=thresholds_as_written)
def test_numeric_linf_decides_like_exact_fractions(xs, ys, threshold):
    from fractions import Fraction
    r = linf_distance(_sketch(xs), _sketch(ys), threshold=threshold, comparison_method="Simple")
    grid = sorted(set(xs) | set(ys))
    exact = max(abs(Fraction(sum(x <= g for x in xs), len(xs)) - Fraction(sum(y <= g for y in ys), len(ys)))
                for g in grid)
    assert r.drift_score == float(exact)
    assert r.drifted == (exact > Fraction(repr(threshold)))
    swapped = linf_distance(_sketch(ys), _sketch(xs), threshold=threshold, comparison_method="Simple")
    assert (swapped.drift_score, swapped.drifted) == (r.drift_score, r.drifted)
