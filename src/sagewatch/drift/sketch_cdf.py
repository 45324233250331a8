"""Empirical CDFs and bins from KLL quantile sketches, vectorised with NumPy.

A KLL sketch (``datasketches.kll_doubles_sketch``) keeps a weighted sample of the column: iterating it
yields ``(item, weight)`` pairs whose weights sum to ``n``. That weighted sample *is* the distribution
the sketch answers ``get_cdf``/``get_quantiles`` from, so we read it once into a
:class:`SketchDistribution` (sorted unique items and their summed weights) and evaluate CDFs, quantiles
and bin masses with ``np.searchsorted`` instead of calling the sketch point by point. Both conventions
are the sketch's *inclusive* ones: ``F(x) = weight(items <= x) / n`` and ``quantile(q)`` = the smallest
item whose inclusive rank is ``>= q``; the tests check both against ``get_cdf(..., inclusive=True)`` and
``get_quantiles(..., inclusive=True)`` (note that the Python binding defaults to ``inclusive=False``). At
a rank equal to an item's rank only up to rounding (``0.8300000000000001``) the sketch and our exact
comparison ``F(item) >= rank`` may pick neighbouring items.

Accuracy: each CDF value is within ``normalized_rank_error(False)`` (about 0.0014 for k = 2048, at 99%
confidence) of the exact empirical CDF; in exact mode (n <= k) it is exact.

Bins for PSI, JS, Hellinger and binned chi-square come from baseline quantiles
(:func:`quantile_bin_edges`): ``n_bins - 1`` inner edges at ranks ``i / n_bins`` (deciles by default),
duplicates removed (ties merge bins) and edges at or above the baseline maximum dropped, so that every
bin holds baseline mass. The outer bins are open, so current values beyond the baseline range land in
the first or last bin. Bins may still be empty in the *current* data; measures that take logarithms
(PSI) smooth with :func:`smooth_proportions`: zeros replaced by ``eps = 1e-4`` (the value evidently's
``get_binned_data`` uses), then renormalised; JS and Hellinger need no smoothing.
"""

from __future__ import annotations

import math

from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from sagewatch.drift._validation import check_int
from sagewatch.drift.exact import exact_counts, max_ratio_gap
from sagewatch.errors import InvalidParameterError

__all__ = [
    "DEFAULT_N_BINS",
    "SMOOTHING_EPS",
    "SketchDistribution",
    "as_distribution",
    "binned_proportions",
    "max_cdf_gap",
    "quantile_bin_edges",
    "shared_grid_cdfs",
    "smooth_proportions",
]

DEFAULT_N_BINS = 10
SMOOTHING_EPS = 1e-4


@dataclass(frozen=True, eq=False)
class SketchDistribution:
    """The weighted sample kept by a quantiles sketch, ready for vectorised queries.

    Parameters
    ----------
    items : ndarray of float64
        Sorted, unique retained values.
    weights : ndarray of float64
        Total weight of each item (positive).
    n : int
        Number of values the sketch summarised (``sketch.n``).
    rank_error : float
        Normalised rank error of a CDF value (0 in exact mode).

    Examples
    --------
    >>> import numpy as np
    >>> from datasketches import kll_doubles_sketch
    >>> s = kll_doubles_sketch(2048)
    >>> s.update(np.array([3.0, 1.0, 2.0, 2.0]))
    >>> d = SketchDistribution.from_sketch(s)
    >>> d.items.tolist(), d.weights.tolist(), d.n
    ([1.0, 2.0, 3.0], [1.0, 2.0, 1.0], 4)
    >>> d.cdf([0.0, 2.0, 2.5, 9.0]).tolist()
    [0.0, 0.75, 0.75, 1.0]
    """

    items: np.ndarray
    weights: np.ndarray
    n: int
    rank_error: float = 0.0
    _cum_prob: np.ndarray = field(init=False, repr=False)   # derived once in __post_init__
    _cum_exact: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        items = np.asarray(self.items, dtype=np.float64)
        weights = np.asarray(self.weights, dtype=np.float64)
        if items.ndim != 1 or items.shape != weights.shape or items.size == 0:
            raise InvalidParameterError("items and weights must be non-empty 1-D arrays of one length")
        if np.any(np.diff(items) <= 0) or np.isnan(items).any():
            raise InvalidParameterError("items must be sorted, unique and not NaN")
        if not np.all(np.isfinite(weights) & (weights > 0)):
            raise InvalidParameterError("weights must be finite and positive")
        items.flags.writeable = False
        weights.flags.writeable = False
        cum = np.concatenate(([0.0], np.cumsum(weights)))
        cum_prob = cum / cum[-1]
        cum_prob.flags.writeable = False
        exact = exact_counts(weights)  # int64 for sketch weights and value counts
        cum_exact = np.concatenate((np.zeros(1, dtype=exact.dtype), np.cumsum(exact)))
        if cum_exact.dtype == object:
            cum_exact[0] = Fraction(0)
        cum_exact.flags.writeable = False
        object.__setattr__(self, "items", items)
        object.__setattr__(self, "weights", weights)
        object.__setattr__(self, "_cum_prob", cum_prob)
        object.__setattr__(self, "_cum_exact", cum_exact)

    @classmethod
    def from_sketch(cls, sketch: Any) -> SketchDistribution:
        """Read a quantiles sketch (anything iterable as ``(item, weight)`` with ``n`` and ``is_empty()``).

        Raises
        ------
        InvalidParameterError
            If ``sketch`` is not such an object or is empty.
        """
        if not hasattr(sketch, "is_empty") or not hasattr(sketch, "__iter__"):
            raise InvalidParameterError(
                f"expected a quantiles sketch (e.g. datasketches.kll_doubles_sketch), got {type(sketch).__name__}")
        if sketch.is_empty():
            raise InvalidParameterError("the sketch is empty")
        if type(sketch).__name__ == "kll_doubles_sketch":  # iterating it after merges reports weight 1 per item
            from sagewatch.sketches.kll import KllDistribution
            sketch = KllDistribution.from_datasketches(sketch)
        pairs = np.fromiter(iter(sketch), dtype=np.dtype([("item", "f8"), ("weight", "f8")]))
        items, inverse = np.unique(pairs["item"], return_inverse=True)
        weights = np.bincount(inverse.ravel(), weights=pairs["weight"], minlength=items.size)
        if weights.sum() != sketch.n:
            from sagewatch.sketches.kll import SketchInvariantError
            raise SketchInvariantError(f"sketch weights add up to {weights.sum():.0f}, not n = {sketch.n}")
        estimation = bool(getattr(sketch, "is_estimation_mode", lambda: True)())
        error = float(sketch.normalized_rank_error(False)) if estimation and hasattr(
            sketch, "normalized_rank_error") else 0.0
        return cls(items=items, weights=weights, n=int(sketch.n), rank_error=error)

    @classmethod
    def from_values(cls, values: ArrayLike) -> SketchDistribution:
        """Build the exact distribution of raw values (NaN ignored, as KLL's ``update`` does).

        Examples
        --------
        >>> SketchDistribution.from_values([2.0, 1.0, 2.0, float("nan")]).weights.tolist()
        [1.0, 2.0]
        """
        arr = np.asarray(values, dtype=np.float64).ravel()
        arr = arr[~np.isnan(arr)]
        if arr.size == 0:
            raise InvalidParameterError("no values (all NaN or empty)")
        items, counts = np.unique(arr, return_counts=True)
        return cls(items=items, weights=counts.astype(np.float64), n=int(arr.size), rank_error=0.0)

    def cdf(self, x: ArrayLike) -> np.ndarray:
        """Inclusive CDF ``P(X <= x)`` at each point of ``x``."""
        idx = np.searchsorted(self.items, np.asarray(x, dtype=np.float64), side="right")
        return self._cum_prob[idx]  # type: ignore[attr-defined, no-any-return]

    @property
    def total_weight(self) -> Any:
        """Exact total weight (an int for integer weights, else a Fraction); the CDF's denominator."""
        total = self._cum_exact[-1]  # type: ignore[attr-defined]
        return int(total) if isinstance(total, np.integer) else total

    def cumulative_weights(self, x: ArrayLike) -> np.ndarray:
        """Exact weight of the items ``<= x`` at each point (int64, or Fraction objects for real weights).

        ``cdf(x)`` is ``cumulative_weights(x) / total_weight``; distances that compare CDFs use these
        counts to decide exactly (:mod:`sagewatch.drift.exact`).

        Examples
        --------
        >>> d = SketchDistribution.from_values([1.0, 2.0, 2.0])
        >>> d.cumulative_weights([0.0, 1.0, 2.0]).tolist(), d.total_weight
        ([0, 1, 3], 3)
        """
        idx = np.searchsorted(self.items, np.asarray(x, dtype=np.float64), side="right")
        return self._cum_exact[idx]  # type: ignore[attr-defined, no-any-return]

    def quantiles(self, ranks: ArrayLike) -> np.ndarray:
        """Inclusive quantiles: the smallest item whose CDF is ``>= rank``, for ranks in [0, 1]."""
        q = np.asarray(ranks, dtype=np.float64)
        if np.any((q < 0) | (q > 1)) or np.isnan(q).any():
            raise InvalidParameterError("ranks must lie in [0, 1]")
        idx = np.searchsorted(self._cum_prob[1:], q, side="left")  # type: ignore[attr-defined]
        return self.items[np.minimum(idx, self.items.size - 1)]

    def mean_std(self) -> tuple[float, float]:
        """Weighted mean and (population) standard deviation of the retained sample."""
        from sagewatch.profile.moments import exact_sum  # correctly rounded: no CPU-dependent BLAS digits
        w = self.weights / self.weights.sum()
        # items near the largest double are scaled by a power of two (exact) so that squares stay finite
        largest = float(np.max(np.abs(self.items))) if self.items.size else 0.0
        shift = max(0, math.frexp(largest)[1] - 500) if math.isfinite(largest) else 0
        items = self.items * math.ldexp(1.0, -shift) if shift else self.items
        mean = exact_sum(w * items)
        with np.errstate(over="ignore"):
            spread = w * (items - mean) ** 2
        std = math.sqrt(exact_sum(spread)) if np.isfinite(spread).all() else math.inf
        return math.ldexp(mean, shift), math.ldexp(std, shift) if math.isfinite(std) else std


def as_distribution(summary: Any, *, name: str = "baseline") -> SketchDistribution:
    """Return ``summary`` as a :class:`SketchDistribution` (read from a sketch if needed).

    Examples
    --------
    >>> from datasketches import kll_doubles_sketch
    >>> as_distribution(kll_doubles_sketch(2048), name="current")
    Traceback (most recent call last):
    ...
    sagewatch.errors.InvalidParameterError: current: the sketch is empty
    """
    if isinstance(summary, SketchDistribution):
        return summary
    try:
        return SketchDistribution.from_sketch(summary)
    except InvalidParameterError as exc:
        raise InvalidParameterError(f"{name}: {exc}") from None


def max_cdf_gap(baseline: Any, current: Any) -> tuple[float, Fraction]:
    """Where and how far the two CDFs are furthest apart, exactly: ``(location, gap)``.

    The gap ``max |F_base - F_cur|`` over the shared grid is computed from the cumulative weights by
    integer cross-multiplication (:func:`sagewatch.drift.exact.max_ratio_gap`), so that 200 of 2,000
    values moving gives exactly ``Fraction(1, 10)``, not ``0.10000000000000009``.

    Examples
    --------
    >>> b = SketchDistribution.from_values(range(2000))
    >>> c = SketchDistribution.from_values(range(200, 2200))
    >>> max_cdf_gap(b, c)
    (199.0, Fraction(1, 10))
    """
    b = as_distribution(baseline, name="baseline")
    c = as_distribution(current, name="current")
    grid = np.union1d(b.items, c.items)
    i, gap = max_ratio_gap(b.cumulative_weights(grid), b.total_weight, c.cumulative_weights(grid), c.total_weight)
    return float(grid[i]), gap


def shared_grid_cdfs(baseline: Any, current: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Evaluate both CDFs on the union of both sketches' retained items.

    Both CDFs are right-continuous step functions that only jump at those items, so the grid holds
    every point where ``|F_base - F_cur|`` can reach its supremum.

    Returns
    -------
    grid, cdf_baseline, cdf_current : ndarray of float64

    Examples
    --------
    >>> b = SketchDistribution.from_values([1.0, 2.0])
    >>> c = SketchDistribution.from_values([2.0, 3.0])
    >>> [a.tolist() for a in shared_grid_cdfs(b, c)]
    [[1.0, 2.0, 3.0], [0.5, 1.0, 1.0], [0.0, 0.5, 1.0]]
    """
    b = as_distribution(baseline, name="baseline")
    c = as_distribution(current, name="current")
    grid = np.union1d(b.items, c.items)
    return grid, b.cdf(grid), c.cdf(grid)


def quantile_bin_edges(baseline: Any, *, n_bins: int = DEFAULT_N_BINS) -> np.ndarray:
    """Inner bin edges at the baseline's ``i / n_bins`` quantiles, merged where a bin would be empty.

    Duplicate quantiles (ties) are merged and edges at or above the baseline maximum are dropped, so
    each bin ``(-inf, e_1], (e_1, e_2], ..., (e_k, inf)`` holds baseline mass. Fewer than
    ``n_bins`` bins may result; a constant baseline gives no inner edge (one bin).

    Examples
    --------
    >>> b = SketchDistribution.from_values([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    >>> quantile_bin_edges(b, n_bins=5).tolist()
    [2.0, 4.0, 6.0, 8.0]
    >>> quantile_bin_edges(SketchDistribution.from_values([0, 0, 0, 1]), n_bins=4).tolist()
    [0.0]
    """
    n_bins = check_int(n_bins, name="n_bins", minimum=2)
    b = as_distribution(baseline, name="baseline")
    edges = np.unique(b.quantiles(np.arange(1, n_bins) / n_bins))
    return edges[b.cdf(edges) < 1.0]


def _bin_masses(dist: SketchDistribution, edges: np.ndarray) -> np.ndarray:
    return np.diff(np.concatenate(([0.0], dist.cdf(edges), [1.0])))


def binned_proportions(baseline: Any, current: Any, *, n_bins: int = DEFAULT_N_BINS
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Share of baseline and current mass in each baseline-quantile bin.

    Returns
    -------
    edges : ndarray
        Inner edges from :func:`quantile_bin_edges`.
    p_baseline, p_current : ndarray
        Proportions per bin (``len(edges) + 1`` each, summing to 1); ``p_baseline`` is positive.

    Examples
    --------
    >>> b = SketchDistribution.from_values([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    >>> c = SketchDistribution.from_values([1, 1, 1, 1, 1, 10, 10, 10, 10, 10])
    >>> edges, p, q = binned_proportions(b, c, n_bins=2)
    >>> edges.tolist(), p.tolist(), q.tolist()
    ([5.0], [0.5, 0.5], [0.5, 0.5])
    """
    b = as_distribution(baseline, name="baseline")
    c = as_distribution(current, name="current")
    edges = quantile_bin_edges(b, n_bins=n_bins)
    # clip: differences of a non-decreasing CDF are >= 0 up to rounding
    return edges, np.clip(_bin_masses(b, edges), 0.0, 1.0), np.clip(_bin_masses(c, edges), 0.0, 1.0)


def smooth_proportions(p: Iterable[float] | np.ndarray, *, eps: float = SMOOTHING_EPS) -> np.ndarray:
    """Replace zero proportions by ``eps`` and renormalise; vectors without zeros are returned unchanged.

    Examples
    --------
    >>> smooth_proportions([0.5, 0.5]).tolist()
    [0.5, 0.5]
    >>> smooth_proportions([1.0, 0.0], eps=0.01).round(6).tolist()
    [0.990099, 0.009901]
    """
    arr = np.asarray(p, dtype=np.float64)
    if not eps > 0:
        raise InvalidParameterError(f"eps must be > 0, got {eps!r}")
    if not np.any(arr == 0):
        return arr
    arr = np.where(arr == 0, eps, arr)
    return arr / arr.sum()
