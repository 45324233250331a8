"""Wasserstein-1 (earth mover's) distance between two sketched numeric columns, normalised.

The raw distance is :func:`scipy.stats.wasserstein_distance` on the sketches' retained items weighted by
their sketch weights, i.e. the exact W1 between the two distributions the sketches represent. It is in
the column's units, so the score divides it by a baseline scale (evidently's ``wasserstein`` test does the
same with the standard deviation):

* ``normalize="std"`` (default): the baseline standard deviation, from the sketch's weighted sample,
  or ``scale`` when the caller knows the exact value (the profiler keeps it);
* ``normalize="iqr"``: the baseline interquartile range from sketch quantiles (robust to outliers);
* ``normalize="none"``: the raw distance (then choose ``threshold`` in the column's units).

Default threshold 0.25 for the normalised score, an effect size: the current distribution moved by a
quarter of a baseline standard deviation on average (a pure location shift of ``d`` standard deviations
scores exactly ``d``), the shift SageMaker's L-infinity 0.1 stands for on a normal column. Not a test:
see ``docs/drift-calibration.md`` for false alarms at small samples.

Undefined case: a baseline scale of 0 (constant baseline, or IQR of 0) cannot normalise; sagewatch then
warns with :class:`~sagewatch.errors.UndefinedMetricWarning` and scores the raw distance.
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any, Literal

from scipy import stats

from sagewatch.drift._validation import check_threshold
from sagewatch.drift.registry import DriftMeasure, DriftResult, register_measure
from sagewatch.drift.sketch_cdf import as_distribution
from sagewatch.errors import InvalidParameterError, UndefinedMetricWarning

__all__ = ["DEFAULT_THRESHOLD", "wasserstein_distance"]

DEFAULT_THRESHOLD = 0.25
MEANING = ("effect size: the mean moved by a quarter of the baseline standard deviation (a location shift of "
           "d sigma scores d), the shift SageMaker's L-infinity 0.1 stands for on a normal column; not a test")
_NORMALIZE = ("std", "iqr", "none")


def wasserstein_distance(baseline: Any, current: Any, *, threshold: float | None = None,
                         normalize: Literal["std", "iqr", "none"] = "std",
                         scale: float | None = None) -> DriftResult:
    """Wasserstein-1 distance between two sketches, divided by a baseline scale.

    Parameters
    ----------
    baseline, current : kll_doubles_sketch or SketchDistribution
        Non-empty sketches of the column.
    threshold : float, default=0.25
        Drifted when the (normalised) distance is above it.
    normalize : {"std", "iqr", "none"}, default="std"
        Baseline scale to divide by (see the module docstring).
    scale : float, optional
        Use this positive scale instead of estimating it from the baseline sketch (e.g. the exact
        ``std_dev`` of ``statistics.json``). Ignored when ``normalize="none"``.

    Returns
    -------
    DriftResult
        ``drift_score`` is the normalised distance; ``details`` holds ``raw_distance``, ``scale`` and
        ``normalize``.

    Examples
    --------
    >>> from sagewatch.drift.sketch_cdf import SketchDistribution
    >>> b = SketchDistribution.from_values([0.0, 1.0, 2.0, 3.0])
    >>> c = SketchDistribution.from_values([1.0, 2.0, 3.0, 4.0])
    >>> r = wasserstein_distance(b, c, normalize="none")
    >>> r.drift_score, r.drifted
    (1.0, True)
    >>> round(wasserstein_distance(b, c, scale=10.0).drift_score, 6)
    0.1
    >>> wasserstein_distance(b, c, scale=4.0).drifted  # 0.25: at the threshold is not above it
    False
    """
    thr = check_threshold(threshold, default=DEFAULT_THRESHOLD)
    if normalize not in _NORMALIZE:
        raise InvalidParameterError(f"normalize must be one of {_NORMALIZE}, got {normalize!r}")
    if scale is not None and (isinstance(scale, bool) or not isinstance(scale, numbers.Real)
                              or not math.isfinite(scale) or scale <= 0):
        raise InvalidParameterError(f"scale must be a finite positive number, got {scale!r}")
    b = as_distribution(baseline, name="baseline")
    c = as_distribution(current, name="current")
    raw = float(stats.wasserstein_distance(b.items, c.items, b.weights, c.weights))
    used = "none"
    denom = 1.0
    if normalize != "none":
        if scale is not None:
            denom = float(scale)
        elif normalize == "std":
            denom = b.mean_std()[1]
        else:
            q25, q75 = b.quantiles([0.25, 0.75])
            denom = float(q75 - q25)
        used = normalize
        if not denom > 0:
            warnings.warn(f"baseline {normalize} is 0; the Wasserstein score is the raw distance",
                          UndefinedMetricWarning, stacklevel=2)
            used, denom = "none", 1.0
    score = raw / denom
    return DriftResult(
        name="wasserstein", drift_score=score, drifted=score > thr, threshold=thr, score_type="distance",
        statistic="wasserstein_distance" if used == "none" else f"wasserstein_distance_by_{used}",
        details={"raw_distance": raw, "scale": denom, "normalize": used, "n_baseline": b.n, "n_current": c.n})


register_measure(DriftMeasure(
    key="wasserstein", kinds=frozenset({"numeric"}), default_threshold=DEFAULT_THRESHOLD,
    threshold_meanings={"numeric": MEANING},
    higher_is_drift=True, score_type="distance", func=wasserstein_distance,
    description="Wasserstein-1 distance between sketches divided by the baseline std (or IQR)"))
