import math

import numpy as np
import pytest
from scipy import stats

from sagewatch.drift import get_measure
from sagewatch.drift.linf import (
    ks_critical_value,
    linf_categorical_distance,
    linf_distance,
    normalize_categorical_drift_method,
    normalize_comparison_method,
)
from sagewatch.drift.sketch_cdf import SketchDistribution
from sagewatch.errors import InvalidParameterError

from ._helpers import sketch

N_BIG = 200_000


@pytest.mark.parametrize(("seed", "dist", "shift"), [
    (10, "normal", 0.0), (11, "normal", 0.01), (12, "normal", 0.05), (13, "normal", 0.3),
    (14, "lognormal", 0.0), (15, "lognormal", 0.1),
])
def test_linf_from_sketches_matches_exact_ks_statistic_within_kll_bound(seed, dist, shift):
    rng = np.random.default_rng(seed)
    draw = rng.normal if dist == "normal" else rng.lognormal
    x, y = draw(size=N_BIG), draw(size=N_BIG) + shift
    bx, by = sketch(x), sketch(y)
    exact = stats.ks_2samp(x, y).statistic
    r = linf_distance(bx, by)
    bound = 2 * bx.normalized_rank_error(False)  # each CDF may be off by one rank error
    assert bound == pytest.approx(0.00277, abs=1e-5)
    assert abs(r.drift_score - exact) <= bound


def test_linf_in_exact_mode_equals_ks_2samp_statistic():
    rng = np.random.default_rng(3)
    x, y = rng.integers(0, 30, size=500).astype(float), rng.integers(2, 33, size=700).astype(float)
    r = linf_distance(sketch(x), sketch(y))
    assert r.drift_score == pytest.approx(stats.ks_2samp(x, y).statistic, abs=1e-12)


@pytest.mark.parametrize("method", ["Simple", "Robust"])
def test_linf_same_sketch_is_zero_and_not_drifted(method):
    s = sketch(np.random.default_rng(0).normal(size=50_000))
    r = linf_distance(s, s, comparison_method=method)
    assert (r.drift_score, r.drifted) == (0.0, False)


def test_linf_two_sketches_of_identical_data_are_close_but_not_zero():
    # KLL compaction is randomised: two sketches of the same values keep different items
    x = np.random.default_rng(0).normal(size=N_BIG)
    b, c = sketch(x), sketch(x)
    r = linf_distance(b, c, comparison_method="Simple", threshold=0.01)
    assert 0.0 < r.drift_score <= 2 * b.normalized_rank_error(False)
    assert not r.drifted


@pytest.mark.parametrize("method", ["Simple", "Robust"])
def test_linf_shifted_distribution_is_drifted(method):
    rng = np.random.default_rng(1)
    r = linf_distance(sketch(rng.normal(size=N_BIG)), sketch(rng.normal(0.5, size=N_BIG)),
                      comparison_method=method)
    assert r.drift_score == pytest.approx(0.1974, abs=0.003)  # 2 * Phi(0.25) - 1
    assert r.drifted


def test_simple_and_robust_differ_on_a_small_sample():
    b, c = sketch(np.arange(20.0)), sketch(np.arange(20.0) + 5)
    simple = linf_distance(b, c, comparison_method="Simple")
    robust = linf_distance(b, c, comparison_method="Robust")
    assert simple.drift_score == robust.drift_score == pytest.approx(0.25)
    assert simple.drifted is True
    assert robust.drifted is False
    assert robust.details["critical_value"] == pytest.approx(0.429469, abs=1e-6)
    assert robust.details["comparison_method"] == "Robust"


def test_robust_flags_a_large_gap_on_a_small_sample():
    b, c = sketch(np.arange(20.0)), sketch(np.arange(20.0) + 10)
    r = linf_distance(b, c, comparison_method="Robust")
    assert r.drift_score == pytest.approx(0.5)
    assert r.drifted


def test_robust_gate_uses_alpha():
    b, c = sketch(np.arange(20.0)), sketch(np.arange(20.0) + 8)  # D = 0.4 < 0.4295 at alpha 0.05
    assert not linf_distance(b, c).drifted
    assert linf_distance(b, c, alpha=0.2).drifted                 # c(0.2) * sqrt(0.1) = 0.3393


def test_robust_equals_simple_when_samples_are_large():
    rng = np.random.default_rng(5)
    b, c = sketch(rng.normal(size=N_BIG)), sketch(rng.normal(0.3, size=N_BIG))
    assert linf_distance(b, c, threshold=0.1).drifted == linf_distance(
        b, c, threshold=0.1, comparison_method="Simple").drifted is True


def test_drifted_needs_strictly_greater_than_threshold():
    b, c = sketch(np.arange(20.0)), sketch(np.arange(20.0) + 5)
    assert not linf_distance(b, c, threshold=0.25 + 1e-9, comparison_method="Simple").drifted
    assert linf_distance(b, c, threshold=0.2499, comparison_method="Simple").drifted


def test_linf_details_locate_the_gap():
    r = linf_distance(sketch([1.0, 2.0, 3.0, 4.0]), sketch([3.0, 4.0, 5.0, 6.0]))
    assert r.drift_score == 0.5
    assert r.details["location"] == 2.0
    assert (r.details["n_baseline"], r.details["n_current"]) == (4, 4)
    assert r.name == "linf" and r.score_type == "distance" and r.statistic == "linf_distance"


def test_ks_critical_value_formula():
    assert ks_critical_value(n=20, m=20) == pytest.approx(math.sqrt(-math.log(0.025) / 2) * math.sqrt(0.1))
    assert ks_critical_value(n=10**6, m=10**6) == pytest.approx(0.0019206, abs=1e-7)
    with pytest.raises(InvalidParameterError):
        ks_critical_value(n=0, m=5)
    with pytest.raises(InvalidParameterError):
        ks_critical_value(n=5, m=5, alpha=1.0)


@pytest.mark.parametrize(("literal", "canonical"), [
    ("Simple", "Simple"), ("simple", "Simple"), ("linf_simple", "Simple"), ("LINF_SIMPLE", "Simple"),
    ("Robust", "Robust"), ("ROBUST", "Robust"), ("linf_robust", "Robust"), ("Linf_Robust", "Robust"),
])
def test_comparison_method_literals(literal, canonical):
    assert normalize_comparison_method(literal) == canonical
    r = linf_distance(sketch([1.0, 2.0]), sketch([1.0, 2.0]), comparison_method=literal)
    assert r.details["comparison_method"] == canonical


def test_comparison_method_tolerates_surrounding_blanks():
    assert normalize_comparison_method(" Simple ") == "Simple"


@pytest.mark.parametrize("bad", ["linf", "", "Simplest", None, 1])
def test_comparison_method_rejects_other_values(bad):
    with pytest.raises(InvalidParameterError, match="comparison_method"):
        linf_distance(sketch([1.0]), sketch([1.0]), comparison_method=bad)


@pytest.mark.parametrize("threshold", [-0.1, float("nan"), float("inf"), "0.1", True])
def test_linf_rejects_bad_thresholds(threshold):
    with pytest.raises(InvalidParameterError, match="threshold"):
        linf_distance(sketch([1.0]), sketch([1.0]), threshold=threshold)


def test_linf_rejects_empty_sketch():
    with pytest.raises(InvalidParameterError, match="baseline: the sketch is empty"):
        linf_distance(sketch([]), sketch([1.0]))


def test_linf_accepts_sketch_distributions():
    r = linf_distance(SketchDistribution.from_values([0.0, 1.0]), SketchDistribution.from_values([1.0, 2.0]))
    assert r.drift_score == 0.5


# ---- categorical ---------------------------------------------------------------------------------

def test_categorical_linf_with_unseen_value_in_current():
    r = linf_categorical_distance({"a": 50, "b": 50}, {"a": 30, "b": 50, "c": 20})
    assert r.drift_score == pytest.approx(0.2)
    assert r.drifted
    assert r.details["value"] == "a"
    assert r.details["unseen_values"] == ("c",)
    assert r.details["categorical_drift_method"] == "LInfinity"


def test_categorical_linf_largest_gap_can_be_an_unseen_value():
    r = linf_categorical_distance({"a": 10, "b": 10}, {"a": 5, "b": 5, "new": 30})
    assert r.drift_score == pytest.approx(0.75)
    assert r.details["value"] == "new"


def test_categorical_linf_disjoint_values_is_one():
    assert linf_categorical_distance({"x": 3}, {"y": 9}).drift_score == 1.0


def test_categorical_linf_identical_shares_is_zero():
    r = linf_categorical_distance({"a": 1, "b": 3}, {"a": 100, "b": 300})
    assert (r.drift_score, r.drifted) == (0.0, False)


def test_chisquared_needs_significance_as_well_as_distance():
    # distance 0.2 > 0.1 but chi2 p = erfc(sqrt(5/12)) = 0.361: too few rows to call it drift
    r = linf_categorical_distance({"a": 5, "b": 5}, {"a": 3, "b": 7}, categorical_drift_method="ChiSquared")
    assert r.drift_score == pytest.approx(0.2)
    assert r.details["chi2_statistic"] == pytest.approx(5 / 6)
    assert r.details["p_value"] == pytest.approx(math.erfc(math.sqrt(5 / 12)))
    assert r.details["dof"] == 1
    assert not r.drifted
    assert linf_categorical_distance({"a": 5, "b": 5}, {"a": 3, "b": 7}).drifted  # LInfinity flags it


def test_chisquared_needs_distance_as_well_as_significance():
    # p ~ 2e-45 but the shares moved by 0.01 only
    r = linf_categorical_distance({"a": 500_000, "b": 500_000}, {"a": 510_000, "b": 490_000},
                                  categorical_drift_method="chisquared")
    assert r.drift_score == pytest.approx(0.01)
    assert r.details["p_value"] < 1e-40
    assert not r.drifted


def test_chisquared_flags_large_and_significant_change():
    r = linf_categorical_distance({"a": 500, "b": 500}, {"a": 300, "b": 700}, categorical_drift_method="ChiSquared")
    assert r.drift_score == pytest.approx(0.2)
    assert r.details["p_value"] == pytest.approx(6.932e-20, rel=1e-3)
    assert r.drifted


def test_chisquared_with_unseen_category():
    r = linf_categorical_distance({"a": 50, "b": 50}, {"a": 30, "b": 50, "c": 20},
                                  categorical_drift_method="ChiSquared")
    # hand computation: expected 40/50/10 per row, chi2 = 2*(100/40) + 2*(100/10) = 25, dof 2
    assert r.details["chi2_statistic"] == pytest.approx(25.0)
    assert r.details["p_value"] == pytest.approx(math.exp(-12.5))
    assert r.drifted


@pytest.mark.parametrize("literal", ["LInfinity", "linfinity", "ChiSquared", "CHISQUARED"])
def test_categorical_drift_method_literals(literal):
    assert normalize_categorical_drift_method(literal) in ("LInfinity", "ChiSquared")


@pytest.mark.parametrize("bad", ["chi2", "linf", "L-Infinity", None])
def test_categorical_drift_method_rejects_other_values(bad):
    with pytest.raises(InvalidParameterError, match="categorical_drift_method"):
        linf_categorical_distance({"a": 1}, {"a": 1}, categorical_drift_method=bad)


@pytest.mark.parametrize(("baseline", "current", "match"), [
    ({}, {"a": 1}, "baseline is empty"),
    ({"a": 0}, {"a": 1}, "baseline is empty"),
    ({"a": 1}, {"a": -1}, r"current\['a'\] must be finite and >= 0"),
    ({"a": 1}, {"a": "3"}, "must be a number"),
    ({"a": 1}, [1, 2], "current must be a mapping"),
])
def test_categorical_linf_validates_counts(baseline, current, match):
    with pytest.raises(InvalidParameterError, match=match):
        linf_categorical_distance(baseline, current)


def test_registry_linf_dispatches_on_summary_kind():
    linf = get_measure("linf")
    assert linf({"a": 1}, {"b": 1}).details["categorical_drift_method"] == "LInfinity"
    assert linf(sketch([1.0]), sketch([2.0]), comparison_method="Simple").drifted
    with pytest.raises(TypeError):
        linf({"a": 1}, {"b": 1}, comparison_method="Simple")  # numeric option on counts
