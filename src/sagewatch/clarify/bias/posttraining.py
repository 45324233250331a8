"""Post-training bias metrics (contract §7.4): measured on the predicted labels (and the observed ones).

Each function takes the :class:`~sagewatch.clarify.bias.counts.FacetCounts` of one facet, whose tables are
indexed ``[label][predicted]`` (TP = ``[1][1]``, FN = ``[1][0]``, FP = ``[0][1]``, TN = ``[0][0]``), and
returns the metric or raises :class:`~sagewatch.clarify.bias.arithmetic.UndefinedBiasMetric` with
smclarify's text. Formulas, the order of the empty-group checks and the "both infinite gives 0" rules
follow smclarify's ``posttraining.py`` and ``common.py`` (DCO, DLR, DLA); like smclarify, DCA, DCR, DAR,
DRR, RD and SD give the integer 0 in that case, AD and TE the float 0.0. The Flip Test (FT) needs the
features and lives in :mod:`sagewatch.clarify.bias.flip_test`.
"""

from __future__ import annotations

import math

import numpy as np

from sagewatch.clarify.bias.arithmetic import UndefinedBiasMetric, divide, require_groups
from sagewatch.clarify.bias.counts import FacetCounts
from sagewatch.clarify.bias.pretraining import conditional_demographic_disparity, positive_proportion_difference

__all__ = ["POST_TRAINING", "predicted_proportion_difference", "disparate_impact",
           "conditional_acceptance_difference", "conditional_rejection_difference", "recall_difference",
           "specificity_difference", "acceptance_rate_difference", "rejection_rate_difference",
           "accuracy_difference", "treatment_equality", "conditional_demographic_disparity_predicted",
           "generalized_entropy"]

_INF = math.inf


def _cells(table: np.ndarray) -> tuple[int, int, int, int]:
    """TP, FN, FP, TN of a ``[label][predicted]`` table."""
    return int(table[1, 1]), int(table[1, 0]), int(table[0, 1]), int(table[0, 0])


def _sizes(counts: FacetCounts) -> tuple[int, int]:
    return int(counts.a.sum()), int(counts.d.sum())


def predicted_proportion_difference(counts: FacetCounts) -> float:
    """DPPL = q̂_a − q̂_d (smclarify ``DPPL``)."""
    n_a, n_d = _sizes(counts)
    return positive_proportion_difference(int(counts.a[:, 1].sum()), n_a, int(counts.d[:, 1].sum()), n_d)


def disparate_impact(counts: FacetCounts) -> float:
    """DI = q̂_d / q̂_a with the divide rule (smclarify ``DI``).

    >>> from sagewatch.clarify.bias.counts import facet_counts
    >>> disparate_impact(facet_counts(np.array([1, 1, 0, 0], bool), np.ones(4, bool), np.array([1, 0, 1, 1], bool)))
    0.5
    """
    n_a, n_d = _sizes(counts)
    if n_a == 0:
        raise UndefinedBiasMetric("Negated facet set is empty")
    q_a = int(counts.a[:, 1].sum()) / n_a
    if n_d == 0:
        raise UndefinedBiasMetric("Facet set is empty")
    q_d = int(counts.d[:, 1].sum()) / n_d
    return divide(q_d, q_a)


def _conditional_outcomes(counts: FacetCounts) -> tuple[float | int, float | int]:
    """DCA and DCR (smclarify ``common.DCO``): c = n(1)/n̂(1), r = n(0)/n̂(0)."""
    n_a, n_d = _sizes(counts)
    require_groups(n_a, n_d, facet_empty="DCO: Facet set is empty", rest_empty="DCO: Negated Facet set is empty")
    a, d = counts.a, counts.d
    rr_a, rr_d = divide(int(a[0].sum()), int(a[:, 0].sum())), divide(int(d[0].sum()), int(d[:, 0].sum()))
    c_a, c_d = divide(int(a[1].sum()), int(a[:, 1].sum())), divide(int(d[1].sum()), int(d[:, 1].sum()))
    dca: float | int = 0 if c_a == c_d == _INF else c_a - c_d
    dcr: float | int = 0 if rr_a == rr_d == _INF else rr_d - rr_a
    return dca, dcr


def conditional_acceptance_difference(counts: FacetCounts) -> float | int:
    """DCA = c_a − c_d with c = n(1)/n̂(1) (the docs' "DCAcc")."""
    return _conditional_outcomes(counts)[0]


def conditional_rejection_difference(counts: FacetCounts) -> float | int:
    """DCR = r_d − r_a with r = n(0)/n̂(0)."""
    return _conditional_outcomes(counts)[1]


def _label_rates(counts: FacetCounts) -> tuple[float | int, float | int]:
    """DAR and DRR (smclarify ``common.DLR``): TP/n̂(1) and TN/n̂(0)."""
    n_a, n_d = _sizes(counts)
    require_groups(n_a, n_d, facet_empty="DLR: Facet set is empty", rest_empty="DLR: Negated Facet set is empty")
    tp_a, _, _, tn_a = _cells(counts.a)
    tp_d, _, _, tn_d = _cells(counts.d)
    ar_a, ar_d = divide(tp_a, int(counts.a[:, 1].sum())), divide(tp_d, int(counts.d[:, 1].sum()))
    rr_a, rr_d = divide(tn_a, int(counts.a[:, 0].sum())), divide(tn_d, int(counts.d[:, 0].sum()))
    dar: float | int = 0 if ar_a == ar_d == _INF else ar_a - ar_d
    drr: float | int = 0 if rr_a == rr_d == _INF else rr_d - rr_a
    return dar, drr


def acceptance_rate_difference(counts: FacetCounts) -> float | int:
    """DAR = TP_a/n̂_a(1) − TP_d/n̂_d(1)."""
    return _label_rates(counts)[0]


def rejection_rate_difference(counts: FacetCounts) -> float | int:
    """DRR = TN_d/n̂_d(0) − TN_a/n̂_a(0)."""
    return _label_rates(counts)[1]


def _label_accuracy(counts: FacetCounts) -> tuple[float | int, float | int]:
    """RD and SD (smclarify ``common.DLA``): recall TP/(TP+FN), specificity TN/(TN+FP)."""
    n_a, n_d = _sizes(counts)
    require_groups(n_a, n_d, facet_empty="DLA: Facet set is empty", rest_empty="DLA: Negated Facet set is empty")
    tp_a, fn_a, fp_a, tn_a = _cells(counts.a)
    tp_d, fn_d, fp_d, tn_d = _cells(counts.d)
    rec_a, rec_d = divide(tp_a, tp_a + fn_a), divide(tp_d, tp_d + fn_d)
    sp_a, sp_d = divide(tn_a, tn_a + fp_a), divide(tn_d, tn_d + fp_d)
    rd: float | int = 0 if rec_a == rec_d == _INF else rec_a - rec_d
    sd: float | int = 0 if sp_a == sp_d == _INF else sp_d - sp_a
    return rd, sd


def recall_difference(counts: FacetCounts) -> float | int:
    """RD = recall_a − recall_d."""
    return _label_accuracy(counts)[0]


def specificity_difference(counts: FacetCounts) -> float | int:
    """SD = specificity_d − specificity_a."""
    return _label_accuracy(counts)[1]


def accuracy_difference(counts: FacetCounts) -> float:
    """AD = acc_a − acc_d (smclarify ``AD``)."""
    n_a, n_d = _sizes(counts)
    require_groups(n_a, n_d, facet_empty="Facet set is empty", rest_empty="Negated Facet set is empty")
    tp_a, fn_a, fp_a, tn_a = _cells(counts.a)
    tp_d, fn_d, fp_d, tn_d = _cells(counts.d)
    acc_a = divide(tp_a + tn_a, tp_a + tn_a + fp_a + fn_a)
    acc_d = divide(tp_d + tn_d, tp_d + tn_d + fp_d + fn_d)
    return 0.0 if acc_a == acc_d == _INF else acc_a - acc_d


def treatment_equality(counts: FacetCounts) -> float:
    """TE = FN_d/FP_d − FN_a/FP_a (smclarify ``TE``; 0.0 when both ratios are infinite)."""
    n_a, n_d = _sizes(counts)
    require_groups(n_a, n_d, facet_empty="Facet set is empty", rest_empty="Negated Facet set is empty")
    _, fn_a, fp_a, _ = _cells(counts.a)
    _, fn_d, fp_d, _ = _cells(counts.d)
    tau_a, tau_d = divide(fn_a, fp_a), divide(fn_d, fp_d)
    return 0.0 if tau_a == tau_d == _INF else tau_d - tau_a


def conditional_demographic_disparity_predicted(counts: FacetCounts) -> float:
    """CDDPL: CDD of the predicted labels."""
    return conditional_demographic_disparity(counts.predictions)


def generalized_entropy(counts: FacetCounts) -> float:
    """GE with α = 2 over the whole dataset (smclarify ``GE``): b = ŷ − y + 1,
    GE = Σ((b/mean b)² − 1) / (N·α·(α−1)); counted per value of b (0: FN, 1: TP or TN, 2: FP).

    >>> from sagewatch.clarify.bias.counts import facet_counts
    >>> generalized_entropy(facet_counts(np.array([1, 0], bool), np.array([1, 0], bool), np.array([1, 1], bool)))
    0.055555555555555525
    """
    tp, fn, fp, tn = _cells(counts.total)
    n = tp + fn + fp + tn
    if n == 0:
        raise UndefinedBiasMetric("dataset must be non-empty")
    mean = (tp + tn + 2 * fp) / n
    if mean == 0:
        raise UndefinedBiasMetric("All predicted labels are false negatives. There should be at least one "
                                  "prediction that is not false negative.")
    alpha = 2
    terms = fn * ((0 / mean) ** alpha - 1) + (tp + tn) * ((1 / mean) ** alpha - 1) + fp * ((2 / mean) ** alpha - 1)
    return terms / (n * alpha * (alpha - 1))


# code -> function (FT is computed from the features, see flip_test.py)
POST_TRAINING = {"DPPL": predicted_proportion_difference, "DI": disparate_impact,
                 "DCA": conditional_acceptance_difference, "DCR": conditional_rejection_difference,
                 "RD": recall_difference, "SD": specificity_difference, "DAR": acceptance_rate_difference,
                 "DRR": rejection_rate_difference, "AD": accuracy_difference,
                 "CDDPL": conditional_demographic_disparity_predicted, "TE": treatment_equality,
                 "GE": generalized_entropy}
