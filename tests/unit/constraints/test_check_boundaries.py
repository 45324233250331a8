"""Each of the six checks raised and not raised at its boundary, for every inferred type.

The profiles are built from exact counts (100 present values unless said otherwise), so every ratio
is a ratio of counts and every expected text is known in advance. A ratio equal to its threshold
meets it; one value fewer does not (contract §3.3). For baseline_drift_check only distances clearly
above and clearly below the threshold are pinned.
"""

from types import MappingProxyType

import pyarrow as pa
import pytest

from sagewatch.constraints.check import check_constraints
from sagewatch.profile.column import ColumnProfile
from sagewatch.profile.dataset import DatasetProfile, profile_table
from sagewatch.profile.infer import FRACTIONAL, INTEGRAL, STRING, UNKNOWN
from sagewatch.schemas.constraints import Constraints, FeatureConstraint, MonitoringConfig
from sagewatch.sketches.kll import KllDistribution

ALL_TYPES = (INTEGRAL, FRACTIONAL, STRING, UNKNOWN)
# one value of each inferred type, as a CSV reader hands them over (text)
VALUE = {INTEGRAL: "7", FRACTIONAL: "2.5", STRING: "abc", UNKNOWN: None}


def _profile(**columns):
    return profile_table(pa.table({name: pa.array(values, pa.string()) for name, values in columns.items()}))


def _constraints(*features, **config):
    return Constraints(tuple(features), MonitoringConfig(**config))


def _found(result, check=None):
    return [(v.feature_name, v.constraint_check_type) for v in result.violations
            if check is None or v.constraint_check_type == check]


def _description(result, check):
    (text,) = [v.description for v in result.violations if v.constraint_check_type == check]
    return text


# -- data_type_check ---------------------------------------------------------------------------------

# (expected type, values matching it, a value that does not match it)
MATCHING = {
    INTEGRAL: (["7", "-3", "0"], "2.5"),
    FRACTIONAL: (["2.5", "7", "-0.25"], "abc"),  # integral values are valid fractional values
}


def _typed_column(expected, n_match, n_other):
    good, bad = MATCHING[expected]
    return [good[i % len(good)] for i in range(n_match)] + [bad] * n_other


@pytest.mark.parametrize("expected", [INTEGRAL, FRACTIONAL])
def test_data_type_ratio_equal_to_threshold_is_met(expected):
    current = _profile(x=_typed_column(expected, 90, 10))
    result = check_constraints(current, _constraints(FeatureConstraint("x", expected), datatype_check_threshold=0.9))
    assert _found(result) == []


@pytest.mark.parametrize("expected", [INTEGRAL, FRACTIONAL])
def test_data_type_ratio_one_value_below_threshold_is_raised(expected):
    current = _profile(x=_typed_column(expected, 89, 11))
    result = check_constraints(current, _constraints(FeatureConstraint("x", expected), datatype_check_threshold=0.9))
    assert _found(result) == [("x", "data_type_check")]
    assert _description(result, "data_type_check") == (
        f"Data type match requirement is not met. Expected data type: {expected}, Expected match: 90.0%. "
        f"Observed: Only 89.0% of data is {expected}.")


@pytest.mark.parametrize("expected", [INTEGRAL, FRACTIONAL])
def test_data_type_default_threshold_flags_one_value_in_a_thousand(expected):
    constraints = _constraints(FeatureConstraint("x", expected))
    assert _found(check_constraints(_profile(x=_typed_column(expected, 1000, 0)), constraints)) == []
    result = check_constraints(_profile(x=_typed_column(expected, 999, 1)), constraints)
    assert _description(result, "data_type_check").endswith(f"Observed: Only 99.9% of data is {expected}.")


def test_fractional_column_of_text_is_a_data_type_violation():
    # a Fractional feature must not be exempt from the check (a Fractional ratio of None would disable it)
    result = check_constraints(_profile(x=["abc"] * 5), _constraints(FeatureConstraint("x", FRACTIONAL)))
    assert _description(result, "data_type_check") == (
        "Data type match requirement is not met. Expected data type: Fractional, Expected match: 100.0%. "
        "Observed: Only 0.0% of data is Fractional.")


def test_integral_feature_with_fractional_values_is_raised_but_fractional_feature_with_integers_is_not():
    values = ["1", "2", "3.5", "4"]
    integral = check_constraints(_profile(x=values), _constraints(FeatureConstraint("x", INTEGRAL)))
    assert _description(integral, "data_type_check").endswith("Observed: Only 75.0% of data is Integral.")
    fractional = check_constraints(_profile(x=["1", "2", "3", "4"]), _constraints(FeatureConstraint("x", FRACTIONAL)))
    assert _found(fractional) == []


@pytest.mark.parametrize("expected", [INTEGRAL, FRACTIONAL])
def test_data_type_ratio_counts_present_values_only(expected):
    # 50 matching values and 50 missing ones: the ratio is 100% of the present values
    current = _profile(x=_typed_column(expected, 50, 0) + [None] * 50)
    assert _found(check_constraints(current, _constraints(FeatureConstraint("x", expected))), "data_type_check") == []


@pytest.mark.parametrize("expected", ALL_TYPES)
def test_all_missing_column_has_no_data_type_violation(expected):
    result = check_constraints(_profile(x=[None] * 10), _constraints(FeatureConstraint("x", expected)))
    assert _found(result, "data_type_check") == []


@pytest.mark.parametrize("expected", [STRING, UNKNOWN])
@pytest.mark.parametrize("observed", [INTEGRAL, FRACTIONAL, STRING])
def test_string_and_unknown_features_accept_any_type(expected, observed):
    current = _profile(x=[VALUE[observed]] * 10 + ["1", "1.5", "z"])
    result = check_constraints(current, _constraints(FeatureConstraint("x", expected), datatype_check_threshold=1.0))
    assert _found(result) == []


# -- completeness_check ------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ALL_TYPES)
def test_completeness_equal_to_constraint_is_met(kind):
    present = [VALUE[kind]] * 80 if kind != UNKNOWN else []
    current = _profile(x=present + [None] * (100 - len(present)))
    completeness = 0.8 if kind != UNKNOWN else 0.0
    result = check_constraints(current, _constraints(FeatureConstraint("x", kind, completeness=completeness)))
    assert _found(result) == []


@pytest.mark.parametrize("kind", [INTEGRAL, FRACTIONAL, STRING])
def test_completeness_one_value_short_is_raised(kind):
    current = _profile(x=[VALUE[kind]] * 79 + [None] * 21)
    result = check_constraints(current, _constraints(FeatureConstraint("x", kind, completeness=0.8)))
    assert _found(result) == [("x", "completeness_check")]
    assert _description(result, "completeness_check") == (
        "Data completeness requirement is not met. Expected completeness: 80.0%. "
        "Observed: Only 79.0% of data is present.")


def test_completeness_of_an_unknown_feature_that_became_empty_is_raised():
    result = check_constraints(_profile(x=[None] * 4), _constraints(FeatureConstraint("x", UNKNOWN, completeness=0.5)))
    assert _description(result, "completeness_check") == (
        "Data completeness requirement is not met. Expected completeness: 50.0%. "
        "Observed: Only 0.0% of data is present.")


@pytest.mark.parametrize("kind", ALL_TYPES)
def test_no_completeness_constraint_no_completeness_check(kind):
    result = check_constraints(_profile(x=[None] * 9 + ["1"]), _constraints(FeatureConstraint("x", kind)))
    assert _found(result, "completeness_check") == []


# -- categorical_values_check ------------------------------------------------------------------------

DOMAIN = ("a", "b")


def _string_feature(**kwargs):
    return FeatureConstraint("s", STRING, domains=DOMAIN, **kwargs)


def test_share_in_domain_equal_to_threshold_is_met():
    current = _profile(s=["a"] * 60 + ["b"] * 30 + ["z"] * 10)
    assert _found(check_constraints(current, _constraints(_string_feature(), domain_content_threshold=0.9))) == []


def test_share_in_domain_one_value_below_threshold_is_raised():
    current = _profile(s=["a"] * 60 + ["b"] * 29 + ["z"] * 11)
    result = check_constraints(current, _constraints(_string_feature(), domain_content_threshold=0.9))
    assert _found(result) == [("s", "categorical_values_check")]
    assert _description(result, "categorical_values_check") == (
        "Categorical value requirement is not met. Expected match: 90.0% of values in the baseline domain. "
        "Observed: Only 89.0% of data is in the domain; unknown values: z.")


def test_default_domain_threshold_flags_a_single_unknown_value():
    constraints = _constraints(_string_feature())
    assert _found(check_constraints(_profile(s=["a", "b"] * 50), constraints)) == []
    result = check_constraints(_profile(s=["a", "b"] * 50 + ["q"]), constraints)
    assert _found(result) == [("s", "categorical_values_check")]


def test_unknown_values_listed_by_count_then_value():
    current = _profile(s=["a"] * 10 + ["m"] * 1 + ["k"] * 1 + ["z"] * 3 + ["y"] * 2)
    text = _description(check_constraints(current, _constraints(_string_feature())), "categorical_values_check")
    assert text.endswith("unknown values: z, y, k, m.")


@pytest.mark.parametrize("n_unknown, tail", [
    (5, "unknown values: u5, u4, u3, u2, u1."),
    (6, "unknown values: u6, u5, u4, u3, u2 and 1 more."),
    (8, "unknown values: u8, u7, u6, u5, u4 and 3 more."),
])
def test_at_most_five_unknown_values_are_named(n_unknown, tail):
    # u<i> appears i times, so the order by count is u<n>, ..., u1
    values = ["a"] * 100 + [f"u{i}" for i in range(1, n_unknown + 1) for _ in range(i)]
    text = _description(check_constraints(_profile(s=values), _constraints(_string_feature())),
                        "categorical_values_check")
    assert text.endswith(tail)


@pytest.mark.parametrize("kind", [INTEGRAL, FRACTIONAL, UNKNOWN])
def test_domains_apply_to_string_features_only(kind):
    feature = FeatureConstraint("x", kind, domains=("1",))
    result = check_constraints(_profile(x=["7", "8", "9", None]), _constraints(feature))
    assert _found(result, "categorical_values_check") == []


def test_string_feature_without_domains_accepts_any_value():
    result = check_constraints(_profile(s=["new", "values", "only"]), _constraints(FeatureConstraint("s", STRING)))
    assert _found(result) == []


# -- missing_column_check and extra_column_check -----------------------------------------------------

@pytest.mark.parametrize("kind", ALL_TYPES)
def test_missing_column_is_raised_for_every_type(kind):
    constraints = _constraints(FeatureConstraint("gone", kind), FeatureConstraint("kept", STRING),
                               FeatureConstraint("other", STRING))
    result = check_constraints(_profile(kept=["a"], other=["b"]), constraints)
    assert _found(result) == [("gone", "missing_column_check")]
    assert _description(result, "missing_column_check") == (
        "Missing column requirement is not met. Expected: 3 columns as in the baseline. "
        "Observed: 2 columns; this baseline column is missing.")


@pytest.mark.parametrize("kind", ALL_TYPES)
def test_extra_column_is_raised_for_every_type(kind):
    current = _profile(kept=["a"], extra=[VALUE[kind]])
    result = check_constraints(current, _constraints(FeatureConstraint("kept", STRING)))
    assert _found(result) == [("extra", "extra_column_check")]
    assert _description(result, "extra_column_check") == (
        "Extra column requirement is not met. Expected: 1 columns as in the baseline. "
        "Observed: 2 columns; this column is not in the baseline.")


def test_same_columns_in_another_order_raise_no_column_check():
    constraints = _constraints(FeatureConstraint("a", STRING), FeatureConstraint("b", STRING))
    assert _found(check_constraints(_profile(b=["x"], a=["y"]), constraints)) == []


def test_checks_continue_after_a_missing_column():
    constraints = _constraints(FeatureConstraint("gone", INTEGRAL), FeatureConstraint("x", INTEGRAL, completeness=1.0))
    result = check_constraints(_profile(x=["1", None]), constraints)
    assert _found(result) == [("gone", "missing_column_check"), ("x", "completeness_check")]


def test_checks_continue_after_a_feature_with_evaluation_disabled():
    constraints = _constraints(FeatureConstraint("off", INTEGRAL, completeness=1.0, evaluate_constraints=False),
                               FeatureConstraint("x", INTEGRAL, completeness=1.0))
    result = check_constraints(_profile(off=["1", None], x=["1", None]), constraints)
    assert _found(result) == [("x", "completeness_check")]


def test_evaluation_disabled_globally_still_reports_column_checks():
    constraints = _constraints(FeatureConstraint("gone", INTEGRAL), FeatureConstraint("x", INTEGRAL, completeness=1.0),
                               evaluate_constraints=False)
    result = check_constraints(_profile(x=["1", None], extra=["2", "3"]), constraints)
    assert _found(result) == [("gone", "missing_column_check"), ("extra", "extra_column_check")]


# -- baseline_drift_check ----------------------------------------------------------------------------

def _numbers(start, stop, kind):
    step = 1 if kind == INTEGRAL else 0.5
    out, v = [], float(start)
    while v < stop:
        out.append(str(int(v)) if kind == INTEGRAL else str(v + 0.25))
        v += step
    return out


@pytest.mark.parametrize("kind", [INTEGRAL, FRACTIONAL])
def test_numeric_drift_clearly_above_threshold_is_raised(kind):
    base = _profile(x=_numbers(0, 1000, kind))
    current = _profile(x=_numbers(2000, 3000, kind))  # disjoint ranges: distance 1.0
    result = check_constraints(current, _constraints(FeatureConstraint("x", kind)), base)
    assert _found(result) == [("x", "baseline_drift_check")]
    assert result.drift_distances == {"x": 1.0}
    assert _description(result, "baseline_drift_check") == (
        "Baseline drift distance requirement is not met. Expected: Robust distance at most 0.1. "
        "Observed: distance 1.0 exceeds the threshold.")


@pytest.mark.parametrize("kind", [INTEGRAL, FRACTIONAL])
def test_numeric_drift_clearly_below_threshold_is_not_raised(kind):
    base = _profile(x=_numbers(0, 1000, kind))
    current = _profile(x=_numbers(20, 1020, kind))  # shifted by 2% of the range: distance about 0.02
    result = check_constraints(current, _constraints(FeatureConstraint("x", kind)), base)
    assert _found(result) == []
    assert 0.0 < result.drift_distances["x"] < 0.05


def test_numeric_drift_uses_the_configured_threshold_in_check_and_text():
    base = _profile(x=_numbers(0, 1000, INTEGRAL))
    current = _profile(x=_numbers(300, 1300, INTEGRAL))  # distance about 0.3
    loose = check_constraints(current, _constraints(FeatureConstraint("x", INTEGRAL), comparison_threshold=0.5,
                                                     categorical_comparison_threshold=0.05), base)
    assert _found(loose) == []
    strict = check_constraints(current, _constraints(FeatureConstraint("x", INTEGRAL), comparison_threshold=0.2,
                                                      categorical_comparison_threshold=0.9), base)
    assert _found(strict) == [("x", "baseline_drift_check")]
    assert "Expected: Robust distance at most 0.2. Observed: distance 0.3" in _description(strict,
                                                                                         "baseline_drift_check")


def test_numeric_drift_uses_the_configured_comparison_method():
    # 20 vs 20 rows, distance 0.25: above the threshold, below the Robust critical value (0.43)
    base, current = _profile(x=_numbers(0, 20, INTEGRAL)), _profile(x=_numbers(5, 25, INTEGRAL))
    robust = check_constraints(current, _constraints(FeatureConstraint("x", INTEGRAL)), base)
    assert _found(robust) == [] and robust.drift_distances["x"] == pytest.approx(0.25)
    simple = check_constraints(current, _constraints(FeatureConstraint("x", INTEGRAL), comparison_method="Simple"),
                               base)
    assert _description(simple, "baseline_drift_check").startswith(
        "Baseline drift distance requirement is not met. Expected: Simple distance at most 0.1.")
    assert simple.drift_details["x"]["method"] == "Simple"


def test_categorical_drift_clearly_above_threshold_is_raised():
    base, current = _profile(s=["a"] * 50 + ["b"] * 50), _profile(s=["a"] * 100)
    result = check_constraints(current, _constraints(FeatureConstraint("s", STRING)), base)
    assert _found(result) == [("s", "baseline_drift_check")]
    assert result.drift_distances == {"s": 0.5}
    assert _description(result, "baseline_drift_check") == (
        "Baseline drift distance requirement is not met. Expected: LInfinity distance at most 0.1. "
        "Observed: distance 0.5 exceeds the threshold.")


def test_categorical_drift_clearly_below_threshold_is_not_raised():
    base, current = _profile(s=["a"] * 50 + ["b"] * 50), _profile(s=["a"] * 52 + ["b"] * 48)
    result = check_constraints(current, _constraints(FeatureConstraint("s", STRING)), base)
    assert _found(result) == []
    assert result.drift_distances["s"] == pytest.approx(0.02)


def test_categorical_drift_uses_the_categorical_threshold_in_check_and_text():
    base, current = _profile(s=["a"] * 50 + ["b"] * 50), _profile(s=["a"] * 80 + ["b"] * 20)  # distance 0.3
    loose = _constraints(FeatureConstraint("s", STRING), comparison_threshold=0.05,
                         categorical_comparison_threshold=0.5)
    assert _found(check_constraints(current, loose, base)) == []
    strict = _constraints(FeatureConstraint("s", STRING), comparison_threshold=0.9,
                          categorical_comparison_threshold=0.2)
    result = check_constraints(current, strict, base)
    # the distance's last digits are not pinned: 0.8 - 0.5 in floating point is 0.30000000000000004
    assert _description(result, "baseline_drift_check").startswith(
        "Baseline drift distance requirement is not met. Expected: LInfinity distance at most 0.2. "
        "Observed: distance 0.3")


def test_categorical_drift_uses_the_configured_method():
    # 10 vs 10 rows, distance 0.3 > 0.1 but a chi-squared p-value far above 0.05
    base, current = _profile(s=["a"] * 5 + ["b"] * 5), _profile(s=["a"] * 8 + ["b"] * 2)
    linf = check_constraints(current, _constraints(FeatureConstraint("s", STRING)), base)
    assert _found(linf) == [("s", "baseline_drift_check")]
    chi2 = check_constraints(current, _constraints(FeatureConstraint("s", STRING),
                                                   categorical_drift_method="ChiSquared"), base)
    assert _found(chi2) == []
    assert chi2.drift_details["s"]["method"] == "ChiSquared"


def test_unknown_features_have_no_drift_check():
    base, current = _profile(x=[None] * 10), _profile(x=["1"] * 5 + ["a"] * 5)
    result = check_constraints(current, _constraints(FeatureConstraint("x", UNKNOWN)), base)
    assert _found(result, "baseline_drift_check") == [] and result.drift_distances == {}


@pytest.mark.parametrize("kind", [INTEGRAL, FRACTIONAL, STRING])
@pytest.mark.parametrize("empty_side", ["baseline", "current"])
def test_drift_is_skipped_when_one_side_has_no_values(kind, empty_side):
    values = _numbers(0, 100, kind) if kind != STRING else ["a", "b"] * 50
    full, empty = _profile(x=values), _profile(x=[None] * 100)
    base, current = (empty, full) if empty_side == "baseline" else (full, empty)
    result = check_constraints(current, _constraints(FeatureConstraint("x", kind)), base)
    assert _found(result, "baseline_drift_check") == [] and result.drift_distances == {}


def test_drift_is_computed_but_not_reported_when_evaluation_is_disabled():
    base, current = _profile(s=["a"] * 50 + ["b"] * 50), _profile(s=["a"] * 100)
    result = check_constraints(current, _constraints(FeatureConstraint("s", STRING), evaluate_constraints=False), base)
    assert _found(result) == [] and result.drift_distances == {"s": 0.5}


@pytest.mark.parametrize("empty_side", ["baseline", "current"])
def test_drift_is_skipped_when_one_side_has_an_empty_sketch(empty_side):
    # a statistics.json whose sketch.data has only empty levels rebuilds to an empty distribution
    empty = DatasetProfile(MappingProxyType({"x": ColumnProfile("x", n_missing=3, sketch=KllDistribution.from_levels(
        [[]]))}), 3)
    full = _profile(x=_numbers(0, 100, INTEGRAL))
    base, current = (empty, full) if empty_side == "baseline" else (full, empty)
    result = check_constraints(current, _constraints(FeatureConstraint("x", INTEGRAL)), base)
    assert _found(result, "baseline_drift_check") == [] and result.drift_distances == {}
