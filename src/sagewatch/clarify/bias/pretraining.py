"""Pre-training bias metrics (contract §7.4): measured on the observed labels only.

Each function takes the :class:`~sagewatch.clarify.bias.counts.FacetCounts` of one facet and returns the
metric, or raises :class:`~sagewatch.clarify.bias.arithmetic.UndefinedBiasMetric` with smclarify's text.
The formulas and their edge cases follow smclarify's ``pretraining.py`` (cited per function); KL, JS, LP,
TVD and KS compare the label distributions of groups a and d over the label values present in both
(``pdfs_aligned_nonzero``).
"""

from __future__ import annotations

import math

import numpy as np

from sagewatch.clarify.bias.arithmetic import UndefinedBiasMetric, divide
from sagewatch.clarify.bias.counts import FacetCounts, GroupCounts

__all__ = ["class_imbalance", "positive_proportion_difference", "kl_divergence", "js_divergence", "lp_norm",
           "total_variation_distance", "ks_distance", "conditional_demographic_disparity",
           "conditional_demographic_disparity_labels", "aligned_label_pmfs"]

_NO_COMMON = "No instance of common facet found, dataset may be too small"


def class_imbalance(counts: FacetCounts) -> float:
    """CI = (n_a - n_d) / (n_a + n_d) (smclarify ``CI``).

    >>> from sagewatch.clarify.bias.counts import facet_counts
    >>> class_imbalance(facet_counts(np.array([True, False, False, False]), np.ones(4, bool), None))
    0.5
    """
    n_a, n_d = int(counts.a.sum()), int(counts.d.sum())
    if n_a == 0:
        raise UndefinedBiasMetric("CI: negated facet set is empty. Check that x[~facet] has non-zero length.")
    if n_d == 0:
        raise UndefinedBiasMetric("CI: facet set is empty. Check that x[facet] has non-zero length.")
    return float(n_a - n_d) / (n_a + n_d)


def positive_proportion_difference(a_positive: int, n_a: int, d_positive: int, n_d: int) -> float:
    """q_a - q_d (smclarify ``common.DPL``, shared by DPL and DPPL)."""
    if n_a == 0:
        raise UndefinedBiasMetric("Negative facet set is empty.")
    if n_d == 0:
        raise UndefinedBiasMetric("Facet set is empty.")
    return a_positive / n_a - d_positive / n_d


def _dpl(counts: FacetCounts) -> float:
    """DPL: the difference of positive-label proportions, q_a - q_d."""
    return positive_proportion_difference(int(counts.a[1].sum()), int(counts.a.sum()),
                                          int(counts.d[1].sum()), int(counts.d.sum()))


def aligned_label_pmfs(counts: FacetCounts) -> tuple[np.ndarray, np.ndarray]:
    """The label pmfs of groups a and d over the label values with non-zero probability in both."""
    a = counts.a.sum(axis=1)  # [negatives, positives], values sorted as False < True
    d = counts.d.sum(axis=1)
    n_a, n_d = int(a.sum()), int(d.sum())
    keep = (a > 0) & (d > 0)
    if not keep.any():
        empty = np.array([], dtype=np.float64)
        return empty, empty
    return a[keep] / n_a, d[keep] / n_d


def kl_divergence(counts: FacetCounts) -> float:
    """KL(Pa, Pd) = Σ Pa·ln(Pa/Pd) (smclarify ``KL``)."""
    pa, pd = aligned_label_pmfs(counts)
    if len(pa) == 0:
        raise UndefinedBiasMetric(_NO_COMMON)
    return float(np.sum(pa * np.log(pa / pd)))


def js_divergence(counts: FacetCounts) -> float:
    """JS = ½[KL(Pa, P) + KL(Pd, P)] with P = ½(Pa + Pd) (smclarify ``JS``)."""
    pa, pd = aligned_label_pmfs(counts)
    if len(pa) == 0:
        raise UndefinedBiasMetric(_NO_COMMON)
    p = 1 / 2 * (pa + pd)
    return float(0.5 * (np.sum(pa * np.log(pa / p)) + np.sum(pd * np.log(pd / p))))


def _difference(counts: FacetCounts) -> np.ndarray:
    pa, pd = aligned_label_pmfs(counts)
    if len(pa) == 0:
        raise UndefinedBiasMetric(_NO_COMMON)
    return np.abs(pa - pd)


def lp_norm(counts: FacetCounts) -> float:
    """LP = ‖Pa − Pd‖₂ (smclarify ``LP``; summed in order rather than by ``np.linalg.norm``'s BLAS dot, so the
    last digit does not depend on the CPU)."""
    diff = _difference(counts)
    return math.sqrt(sum(float(x) * float(x) for x in diff))


def total_variation_distance(counts: FacetCounts) -> float:
    """TVD = ½‖Pa − Pd‖₁ (smclarify ``TVD``)."""
    return 0.5 * float(np.add.reduce(_difference(counts)))


def ks_distance(counts: FacetCounts) -> float:
    """KS = max |Pa − Pd| over the aligned pmfs (smclarify ``KS``, the L∞ norm of the pmfs, not of CDFs)."""
    return float(_difference(counts).max())


def conditional_demographic_disparity(groups: GroupCounts | None) -> float:
    """CDD = Σ_i n_i·(D_i − A_i) / Σ_i n_i (smclarify ``common.CDD``), A_i the share of facet d among the
    positive outcomes of subgroup i and D_i its share among the negative ones (0 when a subgroup has none)."""
    if groups is None:
        raise UndefinedBiasMetric("Group variable is empty or not provided")
    if int(groups.positive.sum()) == 0:
        raise UndefinedBiasMetric("No positive labels in set")
    if int(groups.negative.sum()) == 0:
        raise UndefinedBiasMetric("No negative labels in set")
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(groups.positive != 0, groups.positive_d / np.where(groups.positive != 0, groups.positive, 1),
                     0.0)
        d = np.where(groups.negative != 0, groups.negative_d / np.where(groups.negative != 0, groups.negative, 1),
                     0.0)
    sizes = groups.size.astype(np.float64)
    return float(divide(np.sum(sizes * (d - a)), np.sum(sizes)))


def conditional_demographic_disparity_labels(counts: FacetCounts) -> float:
    """CDDL: CDD of the observed labels."""
    return conditional_demographic_disparity(counts.labels)


# code -> function, in the order of smclarify's registry
PRE_TRAINING = {"CI": class_imbalance, "DPL": _dpl, "KL": kl_divergence, "JS": js_divergence, "LP": lp_norm,
                "TVD": total_variation_distance, "KS": ks_distance, "CDDL": conditional_demographic_disparity_labels}
