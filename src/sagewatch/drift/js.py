"""Jensen-Shannon distance over baseline-quantile bins or category shares.

:func:`scipy.spatial.distance.jensenshannon` with ``base=2``: the square root of the Jensen-Shannon
divergence (Lin, "Divergence measures based on the Shannon entropy", IEEE Trans. Inf. Theory 37(1),
1991; Endres & Schindelin 2003 for the metric property), bounded in [0, 1]. Zero shares need no
smoothing. Numeric columns use baseline-quantile bins (deciles by default).

Default thresholds are effect sizes (registry docstring): 0.104 for numeric columns, the distance over
baseline deciles of a 0.25-standard-deviation mean shift of a normal column (0.1036); 0.086 for
categorical columns, the distance of a 50/50 -> 40/60 move (0.0854). Not a test: see
``docs/drift-calibration.md`` for false alarms at small samples.
"""

from __future__ import annotations

from typing import Any

from scipy.spatial import distance

from sagewatch.drift._proportions import proportion_distance
from sagewatch.drift.registry import DriftMeasure, DriftResult, register_measure
from sagewatch.drift.sketch_cdf import DEFAULT_N_BINS

__all__ = ["CATEGORICAL_THRESHOLD", "DEFAULT_THRESHOLD", "NUMERIC_THRESHOLD", "js_distance"]

NUMERIC_THRESHOLD = 0.104
CATEGORICAL_THRESHOLD = 0.086
DEFAULT_THRESHOLD = NUMERIC_THRESHOLD
NUMERIC_MEANING = ("effect size: the Jensen-Shannon distance over baseline deciles of a 0.25-sigma mean shift "
                   "of a normal column (0.1036), the shift SageMaker's L-infinity 0.1 stands for; not a test")
CATEGORICAL_MEANING = ("effect size: the Jensen-Shannon distance of a 10-point move between two categories "
                       "at 50% (50/50 -> 40/60: 0.0854), as SageMaker's categorical L-infinity 0.1; not a test")


def js_distance(baseline: Any, current: Any, *, threshold: float | None = None,
                n_bins: int = DEFAULT_N_BINS) -> DriftResult:
    """Jensen-Shannon distance (base 2) between two sketches or two value-count mappings.

    Parameters
    ----------
    baseline, current : kll_doubles_sketch, SketchDistribution or Mapping[str, int]
        Both sketches (numeric) or both counts (categorical).
    threshold : float, optional
        Drifted when the distance is above it; default 0.104 for sketches, 0.086 for counts.
    n_bins : int, default=10
        Baseline-quantile bins for numeric input.

    Returns
    -------
    DriftResult
        ``drift_score`` in [0, 1].

    Examples
    --------
    >>> round(js_distance({"a": 1, "b": 1}, {"a": 1, "c": 1}).drift_score, 6)
    0.707107
    >>> js_distance({"a": 1}, {"b": 1}).drift_score
    1.0
    """
    return proportion_distance(
        baseline, current, kernel=lambda p, q: min(1.0, float(distance.jensenshannon(p, q, base=2))),
        name="js", statistic="jensen_shannon_distance", threshold=threshold, default_threshold=NUMERIC_THRESHOLD,
        default_categorical=CATEGORICAL_THRESHOLD, n_bins=n_bins)


register_measure(DriftMeasure(
    key="js", kinds=frozenset({"numeric", "categorical"}), default_threshold=NUMERIC_THRESHOLD,
    thresholds={"categorical": CATEGORICAL_THRESHOLD},
    threshold_meanings={"numeric": NUMERIC_MEANING, "categorical": CATEGORICAL_MEANING},
    higher_is_drift=True, score_type="distance", func=js_distance,
    description="Jensen-Shannon distance (base 2) over baseline-quantile bins or category shares"))
