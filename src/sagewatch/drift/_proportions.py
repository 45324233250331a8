"""Turn a pair of summaries into a pair of probability vectors (private; used by psi, js, hellinger).

Categorical counts give shares over the union of values; sketches give shares over baseline-quantile
bins (:func:`sagewatch.drift.sketch_cdf.binned_proportions`). :func:`proportion_distance` turns a
distance between the two vectors into the measure's :class:`~sagewatch.drift.registry.DriftResult`
(js, hellinger).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from sagewatch.drift._validation import align_counts, check_threshold
from sagewatch.drift.registry import DriftResult
from sagewatch.drift.sketch_cdf import as_distribution, binned_proportions


def paired_proportions(baseline: Any, current: Any, *, n_bins: int) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Return ``(p_baseline, p_current, details)``; ``details`` says how the vectors were built."""
    if isinstance(baseline, Mapping) or isinstance(current, Mapping):
        values, counts_b, counts_c = align_counts(baseline, current)
        return counts_b / counts_b.sum(), counts_c / counts_c.sum(), {
            "n_categories": len(values), "n_baseline": float(counts_b.sum()), "n_current": float(counts_c.sum())}
    b = as_distribution(baseline, name="baseline")
    c = as_distribution(current, name="current")
    edges, p_b, p_c = binned_proportions(b, c, n_bins=n_bins)
    return p_b, p_c, {"n_bins": int(p_b.size), "bin_edges": tuple(edges.tolist()),
                      "n_baseline": b.n, "n_current": c.n}


def default_for(baseline: Any, *, numeric: float, categorical: float) -> float:
    """The default threshold for this kind of summary: ``categorical`` for value counts."""
    return categorical if isinstance(baseline, Mapping) else numeric


def proportion_distance(baseline: Any, current: Any, *, kernel: Callable[[np.ndarray, np.ndarray], float],
                        name: str, statistic: str, threshold: float | None, default_threshold: float,
                        n_bins: int, default_categorical: float | None = None) -> DriftResult:
    """``kernel(p_baseline, p_current)`` of :func:`paired_proportions` as a distance result, drifted above
    ``threshold`` (when ``None``: ``default_categorical`` for value counts, else ``default_threshold``)."""
    default = default_for(baseline, numeric=default_threshold,
                          categorical=default_threshold if default_categorical is None else default_categorical)
    thr = check_threshold(threshold, default=default)
    p_b, p_c, details = paired_proportions(baseline, current, n_bins=n_bins)
    score = kernel(p_b, p_c)
    return DriftResult(name=name, drift_score=score, drifted=score > thr, threshold=thr,
                       score_type="distance", statistic=statistic, details=details)
