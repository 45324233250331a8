"""SageMaker's L-infinity check and the proportion measures pinned: every details key, the threshold
meanings (Robust and Simple, LInfinity and ChiSquared), errors naming the side or argument at fault,
the ChiSquared gate at p equal to alpha, thresholds through the registry and compare_columns, and the
default threshold per kind of the proportion distances."""

import numpy as np
import pytest
from datasketches import kll_doubles_sketch

from sagewatch.drift._proportions import paired_proportions, proportion_distance
from sagewatch.drift.chi2 import chi2_homogeneity_test
from sagewatch.drift.compare import compare_columns
from sagewatch.drift.js import js_distance
from sagewatch.drift.linf import ks_critical_value, linf_categorical_distance, linf_distance
from sagewatch.drift.registry import get_measure
from sagewatch.errors import InvalidParameterError


def _sketch(values):
    s = kll_doubles_sketch(2048)
    for v in values:
        s.update(float(v))
    return s


BASE, CURR = _sketch(range(100)), _sketch(range(10, 110))


def test_categorical_details_are_exactly_these():
    r = linf_categorical_distance({"a": 40, "b": 60}, {"a": 30, "b": 60, "c": 10})
    assert (r.name, r.statistic, r.score_type, r.threshold, r.drifted) == ("linf", "linf_distance", "distance", 0.1, False)
    assert dict(r.details) == {"categorical_drift_method": "LInfinity", "value": "a", "exact_distance": "1/10",
                               "n_baseline": 100.0, "n_current": 100.0, "unseen_values": ("c",)}
    assert r.threshold_meaning == ("SageMaker's categorical_comparison_threshold, an effect size: drift when a "
                                   "category's share moves by more than 10 points")


def test_the_chi_squared_gate_adds_its_numbers_and_its_meaning():
    r = linf_categorical_distance({"a": 50, "b": 50}, {"a": 30, "b": 70}, threshold=0.125,
                                  categorical_drift_method="chisquared")
    statistic, p_value, dof = chi2_homogeneity_test(counts_baseline=np.array([50.0, 50.0]),
                                                    counts_current=np.array([30.0, 70.0]))
    assert r.drifted and r.details["categorical_drift_method"] == "ChiSquared"
    assert (r.details["alpha"], r.details["p_value"], r.details["chi2_statistic"], r.details["dof"]) == \
           (0.05, p_value, statistic, dof)
    assert r.threshold_meaning.startswith("SageMaker's categorical_comparison_threshold, an effect size: drift "
                                          "when a category's share moves by more than 12.5 points, and the "
                                          "chi-squared homogeneity test gives p < 0.05 at these sample sizes")


def test_a_p_value_equal_to_alpha_is_not_significant():
    counts_b, counts_c = {"a": 50, "b": 50}, {"a": 30, "b": 70}
    p = linf_categorical_distance(counts_b, counts_c, categorical_drift_method="ChiSquared").details["p_value"]
    at = linf_categorical_distance(counts_b, counts_c, categorical_drift_method="ChiSquared", alpha=p)
    assert at.details["p_value"] == p and not at.drifted


def test_numeric_details_and_meanings():
    r = linf_distance(BASE, CURR, threshold=0.05)
    critical = ks_critical_value(n=100, m=100)
    assert set(r.details) == {"comparison_method", "alpha", "critical_value", "n_baseline", "n_current", "location",
                              "exact_distance", "rank_error_baseline", "rank_error_current"}
    assert r.details["critical_value"] == critical and r.details["comparison_method"] == "Robust"
    assert r.details["rank_error_baseline"] == r.details["rank_error_current"] == 0.0  # exact sketches
    assert r.threshold_meaning == (
        "SageMaker's comparison_threshold, an effect size: drift when the CDFs differ by more than 0.05 (0.1 is "
        "the gap of a 0.25-sigma mean shift of a normal column: 0.0995), and by more than the two-sample KS "
        f"critical value at alpha=0.05 for these sample sizes ({critical:.4g}), so that noise in small samples "
        "is not flagged")
    simple = linf_distance(BASE, CURR, threshold=0.05, comparison_method="simple")
    assert simple.threshold_meaning == ("SageMaker's comparison_threshold, an effect size: drift when the CDFs "
                                        "differ by more than 0.05 (0.1 is the gap of a 0.25-sigma mean shift of "
                                        "a normal column: 0.0995)")


@pytest.mark.parametrize("call", [
    lambda b, c: linf_distance(b, c), lambda b, c: js_distance(b, c), lambda b, c: compare_columns(b, c),
    lambda b, c: paired_proportions(b, c, n_bins=10)])
def test_an_empty_sketch_is_named_by_its_side(call):
    with pytest.raises(InvalidParameterError, match=r"^baseline: the sketch is empty$"):
        call(kll_doubles_sketch(2048), BASE)
    with pytest.raises(InvalidParameterError, match=r"^current: the sketch is empty$"):
        call(BASE, kll_doubles_sketch(2048))


@pytest.mark.parametrize("kwargs, message", [({"n": 0, "m": 5}, "n must be an integer >= 1, got 0"),
                                             ({"n": 5, "m": 0}, "m must be an integer >= 1, got 0")])
def test_ks_critical_value_names_the_bad_size(kwargs, message):
    with pytest.raises(InvalidParameterError, match=f"^{message}$"):
        ks_critical_value(**kwargs)


def test_the_registry_passes_the_callers_threshold_to_categorical_linf():
    r = get_measure("linf")({"a": 50, "b": 50}, {"a": 30, "b": 70}, threshold=0.25)
    assert (r.threshold, r.drifted, r.drift_score) == (0.25, False, 0.2)
    assert get_measure("linf")({"a": 50, "b": 50}, {"a": 30, "b": 70}).drifted


def test_proportion_details_for_counts_and_sketches():
    _, _, counts = paired_proportions({"a": 3, "b": 1}, {"b": 2, "c": 2}, n_bins=10)
    assert counts == {"n_categories": 3, "n_baseline": 4.0, "n_current": 4.0}
    p_b, p_c, binned = paired_proportions(BASE, CURR, n_bins=10)
    assert set(binned) == {"n_bins", "bin_edges", "n_baseline", "n_current"}
    assert (binned["n_bins"], binned["n_baseline"], binned["n_current"]) == (p_b.size, 100, 100)


def test_counts_on_one_side_only_are_refused_naming_the_other():
    with pytest.raises(InvalidParameterError, match=r"^current must be a mapping of value -> count"):
        paired_proportions({"a": 1}, BASE, n_bins=10)
    with pytest.raises(InvalidParameterError, match=r"^baseline must be a mapping of value -> count"):
        paired_proportions(BASE, {"a": 1}, n_bins=10)


def test_proportion_distances_take_the_default_of_the_kind():
    assert js_distance(BASE, CURR).threshold == 0.104
    assert js_distance({"a": 1, "b": 1}, {"a": 1, "b": 2}).threshold == 0.086
    r = js_distance({"a": 1, "b": 1}, {"a": 1, "b": 2})
    assert set(r.details) == {"n_categories", "n_baseline", "n_current"}


def _fixed(value):
    return lambda p, q: value


@pytest.mark.parametrize("summary", [{"a": 1}, BASE])
def test_without_a_categorical_default_both_kinds_use_the_default(summary):
    r = proportion_distance(summary, summary, kernel=_fixed(0.3), name="x", statistic="x_distance", threshold=None,
                            default_threshold=0.25, n_bins=10)
    assert r.threshold == 0.25 and r.drifted


def test_a_categorical_default_applies_to_counts_only():
    common = dict(kernel=_fixed(0.3), name="x", statistic="x_distance", threshold=None, default_threshold=0.25,
                  n_bins=10, default_categorical=0.5)
    assert proportion_distance({"a": 1}, {"a": 1}, **common).threshold == 0.5
    assert proportion_distance(BASE, BASE, **common).threshold == 0.25


def test_a_distance_equal_to_the_threshold_is_not_drift():
    r = proportion_distance({"a": 1}, {"a": 1}, kernel=_fixed(0.25), name="x", statistic="x_distance",
                            threshold=0.25, default_threshold=0.1, n_bins=10)
    assert not r.drifted and r.drift_score == 0.25 and r.details["n_categories"] == 1


def test_summaries_of_two_kinds_are_named_both():
    with pytest.raises(InvalidParameterError,
                       match=r"^baseline is a categorical summary but current is a numeric one$"):
        compare_columns({"a": 1}, BASE)
    with pytest.raises(InvalidParameterError,
                       match=r"^baseline is a numeric summary but current is a categorical one$"):
        compare_columns(BASE, {"a": 1})


def test_every_measure_not_run_is_listed():
    with pytest.raises(InvalidParameterError, match=r"^thresholds names measures that are not run: js, psi$"):
        compare_columns(BASE, CURR, measures=["linf"], thresholds={"psi": 0.1, "JS": 0.2})


def test_a_distance_equal_to_the_ks_critical_value_is_not_drift():
    alpha = 0.2706705664732253  # about 2 * exp(-2): c(alpha) = 1, so for 8 vs 8 rows the critical value is 0.5
    assert ks_critical_value(n=8, m=8, alpha=alpha) == 0.5
    at = linf_distance(_sketch(range(8)), _sketch(range(4, 12)), alpha=alpha)  # gap 4/8
    assert at.details["exact_distance"] == "1/2" and not at.drifted
    above = linf_distance(_sketch(range(8)), _sketch(range(5, 13)), alpha=alpha)  # gap 5/8
    assert above.drifted
