"""nDCG of the current ranking against the baseline's, checked by hand."""

from __future__ import annotations

import math

import pytest

from sagewatch.clarify.explain.ndcg import attribution_ndcg_score
from sagewatch.errors import InvalidParameterError, UndefinedMetricWarning


def _dcg(gains):
    return sum(gain / math.log2(position + 2) for position, gain in enumerate(gains))


def test_the_same_ranking_scores_one_whatever_the_values():
    assert attribution_ndcg_score({"a": 0.5, "b": 0.3, "c": 0.1}, {"a": 9.0, "b": 2.0, "c": 1.0}) == \
        pytest.approx(1.0, abs=1e-15)


def test_a_reversed_ranking_by_hand():
    # current order c, b, a carries baseline gains 1, 2, 3; the ideal order carries 3, 2, 1
    expected = _dcg([1, 2, 3]) / _dcg([3, 2, 1])
    assert expected == pytest.approx(0.7899980042460358, abs=1e-15)
    assert attribution_ndcg_score({"a": 3.0, "b": 2.0, "c": 1.0}, {"a": 0.1, "b": 0.2, "c": 0.3}) == \
        pytest.approx(expected, abs=1e-15)


def test_swapping_the_top_two_of_four_by_hand():
    baseline = {"a": 0.4, "b": 0.3, "c": 0.2, "d": 0.1}
    current = {"a": 0.3, "b": 0.4, "c": 0.2, "d": 0.1}
    expected = _dcg([0.3, 0.4, 0.2, 0.1]) / _dcg([0.4, 0.3, 0.2, 0.1])
    assert attribution_ndcg_score(baseline, current) == pytest.approx(expected, abs=1e-15)
    assert 0.94 < expected < 0.95


def test_ties_in_the_current_values_are_averaged():
    # a and b tie in the current values: their gains (3 and 1) share positions 1 and 2
    shared = (3 + 1) / 2 * (1 / math.log2(2) + 1 / math.log2(3))
    expected = shared / _dcg([3, 1])
    assert attribution_ndcg_score({"a": 3.0, "b": 1.0}, {"a": 0.5, "b": 0.5}) == pytest.approx(expected, abs=1e-15)


def test_magnitudes_rank_the_features():
    assert attribution_ndcg_score({"a": -3.0, "b": 1.0}, {"a": 3.0, "b": -1.0}) == 1.0
    assert attribution_ndcg_score({"a": -3.0, "b": 1.0}, {"a": 0.1, "b": -1.0}) < 1.0


@pytest.mark.parametrize("baseline, current", [({"a": 1.0}, {"a": 5.0}), ({"a": 0.0, "b": 0.0}, {"a": 1.0, "b": 2.0})])
def test_no_ranking_to_drift_from_scores_one_with_a_warning(baseline, current):
    with pytest.warns(UndefinedMetricWarning, match="the ranking cannot drift: 1.0"):
        assert attribution_ndcg_score(baseline, current) == 1.0


@pytest.mark.parametrize("current, message", [
    ({"a": 1.0}, "different features (missing from the current values: b)"),
    ({"a": 1.0, "b": 1.0, "z": 1.0}, "different features (not in the baseline: z)"),
    ({"a": 1.0, "b": float("nan")}, "global SHAP values must be finite numbers"),
])
def test_mismatched_or_bad_values_are_refused(current, message):
    with pytest.raises(InvalidParameterError) as info:
        attribution_ndcg_score({"a": 1.0, "b": 2.0}, current)
    assert message in str(info.value)
