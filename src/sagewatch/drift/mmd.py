"""Multivariate drift: the kernel two-sample test with Maximum Mean Discrepancy (MMD).

Gretton, Borgwardt, Rasch, Schölkopf & Smola, "A Kernel Two-Sample Test", JMLR 13 (2012):

* inputs are two numeric sample matrices (reservoir samples of the baseline and current rows, shape
  ``(n, d)`` and ``(m, d)``); samples larger than ``max_samples`` rows are subsampled without replacement;
* features are standardised with the pooled mean and standard deviation (a constant feature is left
  as is), so no column dominates the distances; pooling keeps the test permutation-invariant;
* the kernel is the Gaussian RBF ``k(x, y) = exp(-||x - y||^2 / (2 sigma^2))`` with the median heuristic
  ``sigma = median pairwise distance`` of the pooled standardised sample (Gretton et al. 2012, §8);
* the statistic is the unbiased ``MMD_u^2`` (their Lemma 6); its p-value comes from a permutation test:
  the pooled rows are relabelled ``n_permutations`` times and
  ``p = (1 + #{MMD_u^2(perm) >= MMD_u^2(obs)}) / (1 + n_permutations)`` (Phipson & Smyth 2010).

Vectorised: the kernel matrix is built once and all permutations are scored with one matrix product
``K @ L`` where ``L`` holds one 0/1 label column per permutation; there is no loop over rows or
permutations. With the defaults (1000 rows per side, 200 permutations) this takes well under a second.

``drift_score`` is the p-value; drifted when ``p_value < threshold`` (default 0.05). Categorical
columns are not this test's job (encode them elsewhere or use the per-column measures).
"""

from __future__ import annotations

import numbers
import warnings
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy.spatial.distance import cdist  # scipy is loaded by the other measures; sklearn would add ~20 MB

from sagewatch.drift._validation import check_int, check_threshold
from sagewatch.drift.registry import DriftMeasure, DriftResult, register_measure
from sagewatch.errors import InvalidParameterError, UndefinedMetricWarning

__all__ = ["DEFAULT_THRESHOLD", "mmd_permutation_test", "mmd_test"]

DEFAULT_THRESHOLD = 0.05
MEANING = ("false-alarm rate: p < 0.05 flags at most 5% of unchanged samples (permutation test on "
           "at most max_samples rows per side, so its power stops growing with n)")
DEFAULT_N_PERMUTATIONS = 200
DEFAULT_MAX_SAMPLES = 1000


def _check_matrix(x: ArrayLike, *, name: str) -> np.ndarray:
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidParameterError(f"{name} must be a numeric matrix: {exc}") from exc
    if arr.ndim != 2:
        raise InvalidParameterError(f"{name} must be 2-D (rows, features), got shape {arr.shape}")
    if arr.shape[0] < 2 or arr.shape[1] < 1:
        raise InvalidParameterError(f"{name} needs at least 2 rows and 1 feature, got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise InvalidParameterError(f"{name} contains NaN or infinite values")
    return arr


def mmd_permutation_test(*, kernel: np.ndarray, n: int, n_permutations: int,
                         rng: np.random.Generator) -> tuple[float, np.ndarray]:
    """Unbiased ``MMD_u^2`` of the first ``n`` rows against the rest, and its permutation null.

    ``kernel`` is the pooled ``(N, N)`` kernel matrix with a unit diagonal (RBF). For a 0/1 label
    vector ``a`` (``b = 1 - a``, ``m = N - n``), Gretton et al. (2012), Lemma 6:
    ``MMD_u^2 = (a'Ka - n) / (n (n - 1)) + (b'Kb - m) / (m (m - 1)) - 2 a'Kb / (n m)``.

    Returns
    -------
    observed : float
    null : ndarray of shape (n_permutations,)

    Examples
    --------
    >>> import numpy as np
    >>> k = np.eye(4)
    >>> obs, null = mmd_permutation_test(kernel=k, n=2, n_permutations=3, rng=np.random.default_rng(0))
    >>> obs, null.tolist()
    (0.0, [0.0, 0.0, 0.0])
    """
    size = kernel.shape[0]
    m = size - n
    labels = np.zeros(size)
    labels[:n] = 1.0
    perms = rng.permuted(np.tile(labels, (n_permutations, 1)), axis=1).T
    lab = np.column_stack([labels, perms])                      # (N, 1 + P)
    k_a = kernel @ lab
    k_b = kernel.sum(axis=1)[:, None] - k_a
    a_k_a = np.einsum("ij,ij->j", lab, k_a)
    b_k_b = np.einsum("ij,ij->j", 1.0 - lab, k_b)
    a_k_b = np.einsum("ij,ij->j", lab, k_b)
    stat = (a_k_a - n) / (n * (n - 1)) + (b_k_b - m) / (m * (m - 1)) - 2.0 * a_k_b / (n * m)
    return float(stat[0]), stat[1:]


def _cpu_independent(value: float) -> float:
    """``value`` to 10 significant digits: the kernel's ``exp`` and the permutation sums go through SIMD and BLAS
    kernels whose last digits differ between CPUs, and reported numbers must not.

    >>> _cpu_independent(0.024265258239866805)
    0.02426525824
    """
    return float(f"{value:.10g}")


def mmd_test(baseline: ArrayLike, current: ArrayLike, *, threshold: float | None = None,
             n_permutations: int = DEFAULT_N_PERMUTATIONS, bandwidth: float | None = None,
             max_samples: int = DEFAULT_MAX_SAMPLES,
             random_state: int | np.random.Generator | None = 0) -> DriftResult:
    """Kernel two-sample test (MMD, Gaussian RBF, permutation p-value) between two row samples.

    Parameters
    ----------
    baseline : array-like of shape (n, d)
    current : array-like of shape (m, d)
        Numeric samples of the same ``d`` features, at least 2 rows each, no NaN.
    threshold : float, default=0.05
        Drifted when the p-value is below it.
    n_permutations : int, default=200
        Label permutations for the null distribution (the smallest p-value is ``1 / (1 + n_permutations)``).
    bandwidth : float, optional
        Kernel ``sigma`` on standardised features; default: the median heuristic.
    max_samples : int, default=1000
        Rows kept per side (uniformly without replacement) to bound time and memory (N^2 kernel).
    random_state : int, Generator or None, default=0
        Seeds subsampling and permutations; the default makes results reproducible.

    Returns
    -------
    DriftResult
        ``drift_score`` is the permutation p-value; ``details`` holds ``mmd2`` (unbiased), ``bandwidth``,
        ``n_permutations``, ``n_baseline``/``n_current`` (rows used) and ``n_features``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> x = rng.normal(size=(300, 2))
    >>> y = rng.multivariate_normal([0, 0], [[1, 0.9], [0.9, 1]], size=300)
    >>> mmd_test(x, y).drifted, mmd_test(x, rng.normal(size=(300, 2))).drifted
    (True, False)
    """
    thr = check_threshold(threshold, default=DEFAULT_THRESHOLD, p_value=True)
    x = _check_matrix(baseline, name="baseline")
    y = _check_matrix(current, name="current")
    if x.shape[1] != y.shape[1]:
        raise InvalidParameterError(
            f"baseline and current must have the same number of features, got {x.shape[1]} and {y.shape[1]}")
    n_permutations = check_int(n_permutations, name="n_permutations", minimum=1)
    max_samples = check_int(max_samples, name="max_samples", minimum=2)
    if bandwidth is not None and (isinstance(bandwidth, bool) or not isinstance(bandwidth, numbers.Real)
                                  or not np.isfinite(bandwidth) or not bandwidth > 0):
        raise InvalidParameterError(f"bandwidth must be a finite positive number, got {bandwidth!r}")
    rng = np.random.default_rng(random_state)
    if x.shape[0] > max_samples:
        x = x[rng.choice(x.shape[0], size=max_samples, replace=False)]
    if y.shape[0] > max_samples:
        y = y[rng.choice(y.shape[0], size=max_samples, replace=False)]
    pooled = np.vstack([x, y])
    std = pooled.std(axis=0)
    pooled = (pooled - pooled.mean(axis=0)) / np.where(std > 0, std, 1.0)
    sq_dist = cdist(pooled, pooled, "sqeuclidean")
    if bandwidth is None:
        iu = np.triu_indices(pooled.shape[0], k=1)
        sigma = float(np.sqrt(np.median(sq_dist[iu])))
        if not sigma > 0:
            warnings.warn("median pairwise distance is 0; using bandwidth 1.0", UndefinedMetricWarning,
                          stacklevel=2)
            sigma = 1.0
    else:
        sigma = float(bandwidth)
    kernel = np.exp(sq_dist * (-0.5 / sigma**2), out=sq_dist)
    observed, null = mmd_permutation_test(kernel=kernel, n=x.shape[0], n_permutations=n_permutations, rng=rng)
    p_value = float((1 + np.count_nonzero(null >= observed)) / (1 + n_permutations))
    return DriftResult(
        name="mmd", drift_score=p_value, drifted=p_value < thr, threshold=thr, score_type="p_value",
        statistic="mmd_permutation_p_value", threshold_meaning=MEANING,
        details={"mmd2": _cpu_independent(observed), "bandwidth": _cpu_independent(sigma),
                 "n_permutations": n_permutations,
                 "n_baseline": int(x.shape[0]), "n_current": int(y.shape[0]), "n_features": int(x.shape[1])})


register_measure(DriftMeasure(
    key="mmd", threshold_meanings={"multivariate": MEANING},
    kinds=frozenset({"multivariate"}), default_threshold=DEFAULT_THRESHOLD, higher_is_drift=False,
    score_type="p_value", func=mmd_test,
    description="kernel two-sample test (Gaussian RBF MMD, permutation p-value) on row samples"))
