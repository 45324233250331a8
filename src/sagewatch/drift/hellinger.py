"""Hellinger distance over baseline-quantile bins or category shares.

``H(p, q) = sqrt(sum_i (sqrt(p_i) - sqrt(q_i))^2) / sqrt(2)``, in [0, 1] (Hellinger 1909; e.g.
Le Cam & Yang, *Asymptotics in Statistics*, 2000, §2.1). Zero shares need no smoothing. Numeric
columns use baseline-quantile bins (deciles by default).

Default thresholds are effect sizes (registry docstring): 0.087 for numeric columns, the distance over
baseline deciles of a 0.25-standard-deviation mean shift of a normal column (0.0863); 0.072 for
categorical columns, the distance of a 50/50 -> 40/60 move (0.0712). Not a test: see
``docs/drift-calibration.md`` for false alarms at small samples.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from sagewatch.drift._proportions import proportion_distance
from sagewatch.drift.registry import DriftMeasure, DriftResult, register_measure
from sagewatch.drift.sketch_cdf import DEFAULT_N_BINS
from sagewatch.profile.moments import exact_sum

__all__ = ["CATEGORICAL_THRESHOLD", "DEFAULT_THRESHOLD", "NUMERIC_THRESHOLD", "hellinger_distance", "hellinger_kernel"]

NUMERIC_THRESHOLD = 0.087
CATEGORICAL_THRESHOLD = 0.072
DEFAULT_THRESHOLD = NUMERIC_THRESHOLD
NUMERIC_MEANING = ("effect size: the Hellinger distance over baseline deciles of a 0.25-sigma mean shift of a "
                   "normal column (0.0863), the shift SageMaker's L-infinity 0.1 stands for; not a test")
CATEGORICAL_MEANING = ("effect size: the Hellinger distance of a 10-point move between two categories at 50% "
                       "(50/50 -> 40/60: 0.0712), as SageMaker's categorical L-infinity 0.1; not a test")


def hellinger_kernel(*, p: ArrayLike, q: ArrayLike) -> float:
    """``||sqrt(p) - sqrt(q)||_2 / sqrt(2)`` for two probability vectors.

    Written out: neither SciPy nor scikit-learn ships a Hellinger distance; it is the Euclidean
    distance of the square-root vectors (this form avoids the cancellation in ``sqrt(1 - BC)``).

    Examples
    --------
    >>> round(hellinger_kernel(p=[0.5, 0.5], q=[0.25, 0.75]), 6)
    0.184592
    """
    diff = np.sqrt(np.asarray(p, dtype=np.float64)) - np.sqrt(np.asarray(q, dtype=np.float64))
    # a correctly rounded sum, not np.dot: BLAS kernels differ in the last digit between CPUs
    return float(min(1.0, math.sqrt(exact_sum(diff * diff) / 2.0)))


def hellinger_distance(baseline: Any, current: Any, *, threshold: float | None = None,
                       n_bins: int = DEFAULT_N_BINS) -> DriftResult:
    """Hellinger distance between two sketches or two value-count mappings.

    Parameters
    ----------
    baseline, current : kll_doubles_sketch, SketchDistribution or Mapping[str, int]
        Both sketches (numeric) or both counts (categorical).
    threshold : float, optional
        Drifted when the distance is above it; default 0.087 for sketches, 0.072 for counts.
    n_bins : int, default=10
        Baseline-quantile bins for numeric input.

    Returns
    -------
    DriftResult
        ``drift_score`` in [0, 1].

    Examples
    --------
    >>> r = hellinger_distance({"a": 50, "b": 50}, {"a": 25, "b": 75})
    >>> round(r.drift_score, 6), r.drifted
    (0.184592, True)
    """
    return proportion_distance(baseline, current, kernel=lambda p, q: hellinger_kernel(p=p, q=q),
                               name="hellinger", statistic="hellinger_distance", threshold=threshold,
                               default_threshold=NUMERIC_THRESHOLD,
                               default_categorical=CATEGORICAL_THRESHOLD, n_bins=n_bins)


register_measure(DriftMeasure(
    key="hellinger", kinds=frozenset({"numeric", "categorical"}), default_threshold=NUMERIC_THRESHOLD,
    thresholds={"categorical": CATEGORICAL_THRESHOLD},
    threshold_meanings={"numeric": NUMERIC_MEANING, "categorical": CATEGORICAL_MEANING},
    higher_is_drift=True, score_type="distance", func=hellinger_distance,
    description="Hellinger distance over baseline-quantile bins or category shares"))
