"""Every added measure's default threshold has a stated meaning, and the number matches it."""

import numpy as np
import pyarrow as pa
import pytest
from scipy import stats

from sagewatch.drift import get_measure
from sagewatch.drift.registry import available_measures
from sagewatch.drift.sketch_cdf import SketchDistribution
from sagewatch.profile.dataset import profile_table
from sagewatch.report.extra import feature_drift

DECILES = stats.norm.ppf(np.arange(1, 10) / 10)


def _normal_shift_counts(shift, n=10**9):
    """Baseline-decile bin counts of N(shift, 1) for n rows: the population proportions, as counts."""
    cdf = np.concatenate(([0.0], stats.norm.cdf(DECILES - shift), [1.0]))
    return {f"bin{i}": float(p * n) for i, p in enumerate(np.diff(cdf))}


BASE_BINS = {f"bin{i}": 10**8 for i in range(10)}


@pytest.mark.parametrize("key", available_measures())
def test_every_measure_states_what_its_threshold_means(key):
    m = get_measure(key)
    for kind in m.kinds:
        meaning = m.meaning_for(kind) if key != "linf" else "set by linf itself"
        assert meaning, (key, kind)
        if m.score_type == "p_value":
            assert "false-alarm rate" in meaning and "0.05" in meaning
        elif key != "linf":
            assert "effect size" in meaning and "not a test" in meaning


@pytest.mark.parametrize("key", ["psi", "js", "hellinger"])
def test_numeric_thresholds_are_the_value_of_a_quarter_sigma_shift(key):
    # the population value over baseline deciles of a 0.25-sigma mean shift, rounded up to 2-3 digits;
    # the same shift scores 0.0995 on SageMaker's L-infinity (its default 0.1)
    m = get_measure(key)
    at = m.func(BASE_BINS, _normal_shift_counts(0.25), threshold=1.0).drift_score
    assert at <= m.default_threshold < at * 1.01
    assert m.func(BASE_BINS, _normal_shift_counts(0.26), threshold=m.default_threshold).drifted
    assert not m.func(BASE_BINS, _normal_shift_counts(0.24), threshold=m.default_threshold).drifted
    assert 2 * stats.norm.cdf(0.125) - 1 == pytest.approx(0.0995, abs=1e-4)


@pytest.mark.parametrize("key", ["psi", "js", "hellinger", "linf"])
def test_categorical_thresholds_flag_more_than_a_ten_point_move(key):
    m = get_measure(key)
    base = {"a": 50, "b": 50}
    assert not m(base, {"a": 40, "b": 60}).drifted
    assert m(base, {"a": 39, "b": 61}).drifted
    if key != "linf":
        at = m(base, {"a": 40, "b": 60}, threshold=1.0).drift_score
        assert at <= m.threshold_for("categorical") < at * 1.02


def test_wasserstein_threshold_is_a_quarter_standard_deviation():
    m = get_measure("wasserstein")
    base = SketchDistribution.from_values(np.arange(-2.0, 3.0))  # mean 0, population std sqrt(2)
    shifted = SketchDistribution.from_values(np.arange(-2.0, 3.0) + 0.26 * np.sqrt(2))
    assert m(base, shifted).drifted
    assert m(base, shifted, threshold=0.3).threshold_meaning.startswith("threshold set by the caller")
    assert not m(base, SketchDistribution.from_values(np.arange(-2.0, 3.0) + 0.24 * np.sqrt(2))).drifted


def test_results_through_the_registry_carry_the_meaning():
    r = get_measure("psi")({"a": 1, "b": 1}, {"a": 1, "b": 2})
    assert r.threshold == 0.041 and "50/50 -> 40/60" in r.threshold_meaning
    assert r.to_dict()["threshold_meaning"] == r.threshold_meaning


def _profiles(base_a, cur_a, n):
    base = profile_table(pa.table({"c": ["a"] * base_a + ["b"] * (n - base_a)}))
    cur = profile_table(pa.table({"c": ["a"] * cur_a + ["b"] * (n - cur_a)}))
    return base, cur


def _report_linf(base_a, cur_a, n):
    base, cur = _profiles(base_a, cur_a, n)
    (entry,) = feature_drift(base, cur)
    return next(m for m in entry["measures"] if m["name"] == "linf"), entry


def test_report_categorical_linf_is_gated_by_sample_size():
    # 14 points at 50 rows per side: above 0.1, but chi-squared p = 0.16, so not flagged in the report
    linf, _ = _report_linf(25, 18, 50)
    assert linf["drift_score"] == pytest.approx(0.14) and linf["details"]["p_value"] > 0.05
    assert not linf["drifted"]
    assert "p < 0.05" in linf["threshold_meaning"]
    # the same 14 points at 5,000 rows per side are flagged
    linf, _ = _report_linf(2500, 1800, 5000)
    assert linf["drifted"] and linf["details"]["p_value"] < 1e-10


def test_report_measures_carry_threshold_and_meaning():
    _, entry = _report_linf(2500, 2400, 5000)
    for measure in entry["measures"]:
        assert isinstance(measure["threshold"], float)
        assert measure["threshold_meaning"], measure["name"]
    numeric = profile_table(pa.table({"x": np.arange(3000.0)}))
    (entry,) = feature_drift(numeric, numeric)
    assert {m["name"] for m in entry["measures"]} >= {"linf", "ks", "psi", "js", "hellinger", "wasserstein", "chi2"}
    assert all(m["threshold_meaning"] and not m["drifted"] for m in entry["measures"])
