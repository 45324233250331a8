"""Pearson's chi-square test of homogeneity between baseline and current.

The 2 x K contingency table has the baseline counts in one row and the current counts in the other;
:func:`scipy.stats.chi2_contingency` (with ``correction=False``: the plain Pearson statistic for every
K, no Yates correction at K = 2) gives the statistic and p-value. Both rows are samples, so this is a
two-sample homogeneity test rather than a goodness-of-fit test against a fixed baseline.

* Categorical columns: K is the union of values seen on either side; values absent from the baseline
  (unseen categories) are columns with a baseline count of 0, which is what makes them count.
* Numeric columns: K is the baseline-quantile bins of :func:`~sagewatch.drift.sketch_cdf.binned_proportions`
  (deciles by default); counts are bin shares times the sketch's ``n`` (exact in exact mode, estimated
  otherwise).

``drift_score`` is the p-value; drifted when ``p_value < threshold`` (default 0.05). With millions of
rows the test rejects tiny differences; use a distance (``linf``, ``psi``, ``js``) to judge size.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from sagewatch.drift._validation import align_counts, check_threshold
from sagewatch.drift.registry import DriftMeasure, DriftResult, register_measure
from sagewatch.drift.sketch_cdf import DEFAULT_N_BINS, as_distribution, binned_proportions

__all__ = ["DEFAULT_THRESHOLD", "chi2_homogeneity_test", "chi2_test"]

DEFAULT_THRESHOLD = 0.05
MEANING = ("false-alarm rate: p < 0.05 flags about 5% of unchanged columns at any sample size "
           "(Pearson chi-squared homogeneity test); at large n it also flags tiny shifts")


def chi2_homogeneity_test(*, counts_baseline: ArrayLike, counts_current: ArrayLike) -> tuple[float, float, int]:
    """Pearson chi-square test on the 2 x K table ``[counts_baseline, counts_current]``.

    Kernel over :func:`scipy.stats.chi2_contingency` (``correction=False``). Columns empty on both
    sides are dropped; with fewer than two columns left the distributions are identical and the result
    is ``(0.0, 1.0, 0)``.

    Returns
    -------
    statistic : float
    p_value : float
    dof : int

    Examples
    --------
    >>> s, p, dof = chi2_homogeneity_test(counts_baseline=[5, 5], counts_current=[3, 7])
    >>> round(s, 4), round(p, 4), dof
    (0.8333, 0.3613, 1)
    """
    table = np.vstack([np.asarray(counts_baseline, dtype=np.float64),
                       np.asarray(counts_current, dtype=np.float64)])
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2:
        return 0.0, 1.0, 0
    res = stats.chi2_contingency(table, correction=False)
    return float(res.statistic), float(res.pvalue), int(res.dof)


def chi2_test(baseline: Any, current: Any, *, threshold: float | None = None,
              n_bins: int = DEFAULT_N_BINS) -> DriftResult:
    """Chi-square homogeneity test between two value-count mappings or two sketches.

    Parameters
    ----------
    baseline, current : Mapping[str, int] or kll_doubles_sketch or SketchDistribution
        Both counts (categorical) or both sketches (numeric, binned on baseline quantiles).
    threshold : float, default=0.05
        Drifted when the p-value is below it.
    n_bins : int, default=10
        Number of baseline-quantile bins for numeric input (ignored for counts).

    Returns
    -------
    DriftResult
        ``drift_score`` is the p-value; ``details`` holds ``chi2_statistic``, ``dof`` and the sample sizes.

    Examples
    --------
    >>> r = chi2_test({"a": 90, "b": 10}, {"a": 60, "b": 30, "c": 10})
    >>> r.drifted, r.details["dof"]
    (True, 2)
    """
    thr = check_threshold(threshold, default=DEFAULT_THRESHOLD, p_value=True)
    if isinstance(baseline, Mapping) or isinstance(current, Mapping):
        _, counts_b, counts_c = align_counts(baseline, current)
    else:
        b = as_distribution(baseline, name="baseline")
        c = as_distribution(current, name="current")
        _, p_b, p_c = binned_proportions(b, c, n_bins=n_bins)
        counts_b, counts_c = p_b * b.n, p_c * c.n
    statistic, p_value, dof = chi2_homogeneity_test(counts_baseline=counts_b, counts_current=counts_c)
    return DriftResult(
        name="chi2", drift_score=p_value, drifted=p_value < thr, threshold=thr, score_type="p_value",
        statistic="chi2_p_value",
        details={"chi2_statistic": statistic, "dof": dof, "n_baseline": float(counts_b.sum()),
                 "n_current": float(counts_c.sum())})


register_measure(DriftMeasure(
    key="chi2", threshold_meanings={k: MEANING for k in ("numeric", "categorical")},
    kinds=frozenset({"categorical", "numeric"}), default_threshold=DEFAULT_THRESHOLD,
    higher_is_drift=False, score_type="p_value", func=chi2_test,
    description="Pearson chi-square homogeneity test on value counts or baseline-quantile bins"))
