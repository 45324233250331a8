"""Population Stability Index (PSI) over baseline-quantile bins or category shares.

``PSI = sum_i (q_i - p_i) * ln(q_i / p_i)`` with ``p`` the baseline and ``q`` the current shares
(Siddiqi, *Credit Risk Scorecards*, Wiley 2006, ch. 8; Yurdakul, "Statistical properties of population
stability index", 2018). Numeric columns use baseline-quantile bins (deciles by default,
:func:`~sagewatch.drift.sketch_cdf.quantile_bin_edges`); categorical columns use the union of values.
Zero shares are smoothed with :func:`~sagewatch.drift.sketch_cdf.smooth_proportions` (``eps = 1e-4``,
renormalised) so that a bin or category empty on one side gives a large but finite PSI.

Default thresholds are effect sizes (registry docstring): 0.06 for numeric columns, the PSI over
baseline deciles of a 0.25-standard-deviation mean shift of a normal column (0.0598), the shift
SageMaker's L-infinity 0.1 stands for; 0.041 for categorical columns, the PSI of a 50/50 -> 40/60 move
(0.0405). The credit-scoring rule of thumb (0.1 moderate, 0.25 major, Siddiqi 2006) corresponds to a
0.32-sigma shift and misses a 10-point categorical move. PSI is not a test: sampling noise adds about
``(bins - 1) * (1/n + 1/m)`` to it, so below about 1,000 rows per side unchanged data can exceed the
threshold (``docs/drift-calibration.md``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from sagewatch.drift._proportions import default_for, paired_proportions
from sagewatch.drift._validation import check_threshold
from sagewatch.drift.registry import DriftMeasure, DriftResult, register_measure
from sagewatch.drift.sketch_cdf import DEFAULT_N_BINS, SMOOTHING_EPS, smooth_proportions

__all__ = ["CATEGORICAL_THRESHOLD", "DEFAULT_THRESHOLD", "NUMERIC_THRESHOLD", "population_stability_index", "psi_distance"]

NUMERIC_THRESHOLD = 0.06
CATEGORICAL_THRESHOLD = 0.041
DEFAULT_THRESHOLD = NUMERIC_THRESHOLD
NUMERIC_MEANING = ("effect size: the PSI over baseline deciles of a 0.25-sigma mean shift of a normal column "
                   "(0.0598), the shift SageMaker's L-infinity 0.1 stands for; not a test")
CATEGORICAL_MEANING = ("effect size: the PSI of a 10-point move between two categories at 50% "
                       "(50/50 -> 40/60: 0.0405), as SageMaker's categorical L-infinity 0.1; not a test")


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
    threshold : float, optional
        Drifted when PSI is above it; default 0.06 for sketches, 0.041 for counts.
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
    thr = check_threshold(threshold, default=default_for(
        baseline, numeric=NUMERIC_THRESHOLD, categorical=CATEGORICAL_THRESHOLD))
    p_b, p_c, details = paired_proportions(baseline, current, n_bins=n_bins)
    score = population_stability_index(p=p_b, q=p_c, eps=eps)
    return DriftResult(name="psi", drift_score=score, drifted=score > thr, threshold=thr,
                       score_type="distance", statistic="psi", details={**details, "eps": eps})


register_measure(DriftMeasure(
    key="psi", kinds=frozenset({"numeric", "categorical"}), default_threshold=NUMERIC_THRESHOLD,
    thresholds={"categorical": CATEGORICAL_THRESHOLD},
    threshold_meanings={"numeric": NUMERIC_MEANING, "categorical": CATEGORICAL_MEANING},
    higher_is_drift=True, score_type="distance", func=psi_distance,
    description="Population Stability Index over baseline-quantile bins or category shares"))
