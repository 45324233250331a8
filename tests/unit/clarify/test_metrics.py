"""Hand-checked values of every metric family, smclarify's edge rules, and invariants (hypothesis)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sagewatch.clarify.bias.arithmetic import UndefinedBiasMetric
from sagewatch.clarify.bias.counts import facet_counts, facet_counts_by_code, group_codes
from sagewatch.clarify.bias.flip_test import flip_test
from sagewatch.clarify.bias.registry import METRICS

# rows 0-3 are facet d, rows 4-9 group a
SENSITIVE = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 0], dtype=bool)
LABEL = np.array([1, 1, 0, 0, 1, 1, 1, 1, 0, 0], dtype=bool)
PREDICTED = np.array([1, 0, 0, 1, 1, 1, 1, 0, 0, 1], dtype=bool)
GROUP = np.array([0, 0, 1, 1, 0, 0, 1, 1, 0, 1])


def _value(code, sensitive=SENSITIVE, label=LABEL, predicted=PREDICTED, group=GROUP):
    groups = group_codes(group) if group is not None else None
    return METRICS[code].function(facet_counts(sensitive, label, predicted, groups))


@pytest.mark.parametrize(("code", "expected"), [
    ("CI", (6 - 4) / 10),
    ("DPL", 4 / 6 - 2 / 4),
    ("KL", 1 / 3 * math.log((1 / 3) / (1 / 2)) + 2 / 3 * math.log((2 / 3) / (1 / 2))),
    ("JS", 0.5 * (1 / 3 * math.log((1 / 3) / (5 / 12)) + 2 / 3 * math.log((2 / 3) / (7 / 12))
                  + 1 / 2 * math.log((1 / 2) / (5 / 12)) + 1 / 2 * math.log((1 / 2) / (7 / 12)))),
    ("LP", math.sqrt(2) / 6),
    ("TVD", 1 / 6),
    ("KS", 1 / 6),
    ("DPPL", 4 / 6 - 2 / 4),
    ("DI", (2 / 4) / (4 / 6)),
    ("DCA", 4 / 4 - 2 / 2),
    ("DCR", 2 / 2 - 2 / 2),
    ("RD", 3 / 4 - 1 / 2),
    ("SD", 1 / 2 - 1 / 2),
    ("DAR", 3 / 4 - 1 / 2),
    ("DRR", 1 / 2 - 1 / 2),
    ("AD", 4 / 6 - 2 / 4),
    ("TE", 1 / 1 - 1 / 1),
    ("GE", (2 * (0 - 1) + 6 * (1 - 1) + 2 * (4 - 1)) / (10 * 2)),
])
def test_metric_equals_the_hand_computed_value(code, expected):
    assert _value(code) == pytest.approx(expected, abs=1e-15)


def _cdd_by_hand(sensitive, outcome, group):
    total, weighted = 0, 0.0
    for g in sorted(set(group.tolist())):
        rows = group == g
        pos, neg = rows & outcome, rows & ~outcome
        a = (pos & sensitive).sum() / pos.sum() if pos.sum() else 0
        d = (neg & sensitive).sum() / neg.sum() if neg.sum() else 0
        weighted += rows.sum() * (d - a)
        total += rows.sum()
    return weighted / total


def test_cddl_and_cddpl_weigh_the_subgroups_by_size():
    assert _value("CDDL") == pytest.approx(_cdd_by_hand(SENSITIVE, LABEL, GROUP), abs=1e-15)
    assert _value("CDDPL") == pytest.approx(_cdd_by_hand(SENSITIVE, PREDICTED, GROUP), abs=1e-15)


@pytest.mark.parametrize(("code", "text"), [
    ("CDDL", "Group variable is empty or not provided"), ("CDDPL", "Group variable is empty or not provided")])
def test_cdd_without_group_variable_is_undefined(code, text):
    with pytest.raises(UndefinedBiasMetric, match=f"^{text}$"):
        _value(code, group=None)


@pytest.mark.parametrize(("code", "text"), [
    ("CI", "CI: facet set is empty. Check that x[facet] has non-zero length."),
    ("DPL", "Facet set is empty."), ("DPPL", "Facet set is empty."), ("DI", "Facet set is empty"),
    ("KL", "No instance of common facet found, dataset may be too small"),
    ("JS", "No instance of common facet found, dataset may be too small"),
    ("DCA", "DCO: Facet set is empty"), ("DCR", "DCO: Facet set is empty"),
    ("DAR", "DLR: Facet set is empty"), ("DRR", "DLR: Facet set is empty"),
    ("RD", "DLA: Facet set is empty"), ("SD", "DLA: Facet set is empty"),
    ("AD", "Facet set is empty"), ("TE", "Facet set is empty"),
])
def test_empty_facet_gives_smclarifys_error_text(code, text):
    with pytest.raises(UndefinedBiasMetric) as info:
        _value(code, sensitive=np.zeros(10, dtype=bool))
    assert str(info.value) == text


@pytest.mark.parametrize(("code", "text"), [
    ("CI", "CI: negated facet set is empty. Check that x[~facet] has non-zero length."),
    ("DPL", "Negative facet set is empty."), ("DI", "Negated facet set is empty"),
    ("DCA", "DCO: Negated Facet set is empty"), ("AD", "Negated Facet set is empty"),
])
def test_empty_rest_gives_smclarifys_error_text(code, text):
    with pytest.raises(UndefinedBiasMetric) as info:
        _value(code, sensitive=np.ones(10, dtype=bool))
    assert str(info.value) == text


def test_divergences_need_a_label_value_common_to_both_groups():
    label = SENSITIVE.copy()  # d all positive, a all negative
    with pytest.raises(UndefinedBiasMetric, match="No instance of common facet"):
        _value("KL", label=label)
    only_positive_common = np.array([1, 1, 1, 1, 1, 0, 0, 0, 0, 0], dtype=bool)
    assert _value("KL", label=only_positive_common) == pytest.approx(1 / 6 * math.log((1 / 6) / 1))


def test_conditional_rates_both_infinite_give_the_integer_zero():
    no_positive_predictions = np.zeros(10, dtype=bool)
    dca = _value("DCA", predicted=no_positive_predictions)
    assert dca == 0 and type(dca) is int
    dcr = _value("DCR", predicted=np.ones(10, dtype=bool))
    assert dcr == 0 and type(dcr) is int


def test_treatment_equality_both_infinite_gives_float_zero_and_one_side_infinity():
    predicted = LABEL & ~np.isin(np.arange(10), [1, 7])  # FN in both groups, no FP anywhere
    te = _value("TE", predicted=predicted)
    assert te == 0.0 and type(te) is float
    predicted_a_fp = predicted.copy()
    predicted_a_fp[9] = True  # one FP in group a: tau_a finite, tau_d infinite
    assert _value("TE", predicted=predicted_a_fp) == math.inf


def test_disparate_impact_divide_rules():
    predicted = SENSITIVE.copy()  # only facet d predicted positive: q_a = 0
    assert _value("DI", predicted=predicted) == math.inf
    assert _value("DI", predicted=np.zeros(10, dtype=bool)) == 0.0


def test_generalized_entropy_all_false_negatives_is_undefined():
    with pytest.raises(UndefinedBiasMetric, match="All predicted labels are false negatives"):
        _value("GE", label=np.ones(10, dtype=bool), predicted=np.zeros(10, dtype=bool))


def test_flip_test_uses_one_neighbour_below_ten_rows_and_five_above():
    features = np.array([[0.0], [1.0], [2.0], [3.0], [10.0], [10.0], [10.0], [10.0], [10.0], [10.0], [10.0],
                         [10.0], [10.0], [10.0], [0.1]])
    sensitive = np.zeros(15, dtype=bool)
    sensitive[14] = True
    predicted = np.zeros(15, dtype=bool)
    predicted[0] = True  # nearest neighbour of the d row says 1; the 5 nearest say 0
    assert flip_test(features, sensitive, predicted) == 0.0  # 5-NN: 0 == model 0
    # 1-NN when group a has at most 9 rows: the d row at 0.1 copies its nearest neighbour (x=0, predicted 1)
    assert flip_test(features[[0, 1, 2, 3, 14]], sensitive[[0, 1, 2, 3, 14]], predicted[[0, 1, 2, 3, 14]]) == -1.0
    with pytest.raises(UndefinedBiasMetric, match="^FlipTest does not support non-numeric columns$"):
        flip_test(None, SENSITIVE, PREDICTED)


def test_flip_test_counts_flips_both_ways():
    # group a: x < 5 predicted 1, x > 5 predicted 0; d rows: one at x=0 predicted 0 (kNN says 1: flip -),
    # one at x=9 predicted 1 (kNN says 0: flip +), one at x=1 predicted 1 (no flip)
    x = np.array([[0.0], [1.0], [2.0], [8.0], [9.0], [10.0], [0.0], [9.0], [1.0]])
    sensitive = np.array([0, 0, 0, 0, 0, 0, 1, 1, 1], dtype=bool)
    predicted = np.array([1, 1, 1, 0, 0, 0, 0, 1, 1], dtype=bool)
    assert flip_test(x, sensitive, predicted) == (1 - 1) / 3
    predicted[7] = False  # x=9 predicted 0 now: only the negative flip remains
    assert flip_test(x, sensitive, predicted) == -1 / 3


# ------------------------------------------------------------------------------ invariants
_rows = st.integers(min_value=4, max_value=60).flatmap(
    lambda n: st.tuples(*(st.lists(st.booleans(), min_size=n, max_size=n) for _ in range(3))))


def _arrays(rows):
    s, y, p = (np.array(r, dtype=bool) for r in rows)
    return s, y, p


@settings(max_examples=60, deadline=None)
@given(_rows)
def test_swapping_the_facet_groups_negates_the_differences(rows):
    s, y, p = _arrays(rows)
    if s.all() or not s.any():
        return
    for code in ("CI", "DPL", "DPPL", "AD", "RD", "SD", "DAR", "DRR", "DCA", "DCR", "TE"):
        here, there = _value(code, s, y, p, None), _value(code, ~s, y, p, None)
        if math.isfinite(here) and math.isfinite(there):
            assert here == pytest.approx(-there, abs=1e-12), code
    di, di_swapped = _value("DI", s, y, p, None), _value("DI", ~s, y, p, None)
    if 0 < di < math.inf:
        assert di * di_swapped == pytest.approx(1.0)


@settings(max_examples=60, deadline=None)
@given(_rows)
def test_divergences_are_non_negative_and_related(rows):
    s, y, p = _arrays(rows)
    if s.all() or not s.any():
        return
    try:
        kl, js = _value("KL", s, y, p, None), _value("JS", s, y, p, None)
    except UndefinedBiasMetric:
        return
    assert js >= -1e-15  # log-sum inequality, even over the common label values only
    assert js == pytest.approx(_value("JS", ~s, y, p, None), abs=1e-15)  # JS is symmetric
    tvd, ks, lp = _value("TVD", s, y, p, None), _value("KS", s, y, p, None), _value("LP", s, y, p, None)
    if y[s].all() or (~y[s]).all() or y[~s].all() or (~y[~s]).all():
        return  # only one label value common to both groups (then KL may be negative, as in smclarify)
    assert kl >= -1e-15
    assert tvd == pytest.approx(ks, abs=1e-15)  # binary labels: both differences have the same size
    assert lp == pytest.approx(math.sqrt(2) * ks, abs=1e-15)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=4), min_size=3, max_size=50), st.randoms(use_true_random=False))
def test_one_vs_all_counts_equal_the_counts_of_each_value(codes, rnd):
    codes = np.array(codes)
    y = np.array([rnd.random() < 0.5 for _ in codes])
    p = np.array([rnd.random() < 0.5 for _ in codes])
    g = np.array([rnd.randrange(3) for _ in codes])
    shared = facet_counts_by_code(codes, 5, y, p, group_codes(g))
    for v in range(5):
        alone = facet_counts(codes == v, y, p, group_codes(g))
        assert (shared[v].a == alone.a).all() and (shared[v].d == alone.d).all()
        for left, right in ((shared[v].labels, alone.labels), (shared[v].predictions, alone.predictions)):
            for name in ("size", "positive", "positive_d", "negative", "negative_d"):
                assert (getattr(left, name) == getattr(right, name)).all()


def test_predictions_equal_to_labels_make_post_training_equal_pre_training():
    assert _value("DPPL", predicted=LABEL) == _value("DPL")
    assert _value("AD", predicted=LABEL) == 0.0 and _value("RD", predicted=LABEL) == 0.0
