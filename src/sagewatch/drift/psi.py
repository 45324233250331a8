"""Population Stability Index (PSI) over baseline-quantile bins or category shares.

``PSI = sum_i (q_i - p_i) * ln(q_i / p_i)`` with ``p`` the baseline and ``q`` the current shares
(Siddiqi, *Credit Risk Scorecards*, Wiley 2006, ch. 8; Yurdakul, "Statistical properties of population
stability index", 2018). Numeric columns use baseline-quantile bins (deciles by default,
:func:`~sagewatch.drift.sketch_cdf.quantile_bin_edges`); categorical columns use the union of values.
Zero shares are smoothed with :func:`~sagewatch.drift.sketch_cdf.smooth_proportions` (``eps = 1e-4``,
renormalised) so that a bin or category empty on one side gives a large but finite PSI.

Default threshold 0.1: the usual rule of thumb reads PSI < 0.1 as no significant shift, 0.1-0.25 as a
moderate and > 0.25 as a major shift (Siddiqi 2006); 0.1 is also evidently's default.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from sagewatch.drift._proportions import paired_proportions
from sagewatch.drift._validation import check_threshold
from sagewatch.drift.registry import DriftMeasure, DriftResult, register_measure
from sagewatch.drift.sketch_cdf import DEFAULT_N_BINS, SMOOTHING_EPS, smooth_proportions

__all__ = ["DEFAULT_THRESHOLD", "population_stability_index", "psi_distance"]

DEFAULT_THRESHOLD = 0.1


def population_stability_index(*, p: ArrayLike, q: ArrayLike, eps: float = SMOOTHING_EPS) -> float:
    """``sum (q - p) * ln(q / p)`` after smoothing zeros in ``p`` and ``q`` (Siddiqi 2006).

    SciPy has no PSI by name; it is the symmetrised KL divergence ``KL(q || p) + KL(p || q)``, computed
    with :func:`scipy.special.rel_entr`.

    Examples
    --------
    >>> round(population_stability_index(p=[0.5, 0.5], q=[0.25, 0.75]), 6)
    0.274653
    """
    p_s = smooth_proportions(p, eps=eps)
    q_s = smooth_proportions(q, eps=eps)
    return float(np.sum(special.rel_entr(q_s, p_s) + special.rel_entr(p_s, q_s)))


def psi_distance(baseline: Any, current: Any, *, threshold: float | None = None,
                 n_bins: int = DEFAULT_N_BINS, eps: float = SMOOTHING_EPS) -> DriftResult:
    """Population Stability Index between two sketches or two value-count mappings.

    Parameters
    ----------
    baseline, current : kll_doubles_sketch, SketchDistribution or Mapping[str, int]
        Both sketches (numeric) or both counts (categorical).
    threshold : float, default=0.1
        Drifted when PSI is above it.
    n_bins : int, default=10
        Baseline-quantile bins for numeric input.
    eps : float, default=1e-4
        Value replacing zero shares before the logarithm.

    Returns
    -------
    DriftResult
        ``drift_score`` is the PSI (>= 0, unbounded).

    Examples
    --------
    >>> psi_distance({"a": 50, "b": 50}, {"a": 25, "b": 75}).drift_score  # doctest: +ELLIPSIS
    0.2746...
    """
    thr = check_threshold(threshold, default=DEFAULT_THRESHOLD)
    p_b, p_c, details = paired_proportions(baseline, current, n_bins=n_bins)
    score = population_stability_index(p=p_b, q=p_c, eps=eps)
    return DriftResult(name="psi", drift_score=score, drifted=score > thr, threshold=thr,
                       score_type="distance", statistic="psi", details={**details, "eps": eps})


register_measure(DriftMeasure(
    key="psi", kinds=frozenset({"numeric", "categorical"}), default_threshold=DEFAULT_THRESHOLD,
    higher_is_drift=True, score_type="distance", func=psi_distance,
    description="Population Stability Index over baseline-quantile bins or category shares"))
