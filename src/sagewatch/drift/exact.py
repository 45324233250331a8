"""Exact arithmetic for distances that are ratios of counts, and exact threshold comparisons.

Shares and CDF values are counts divided by totals (category counts, sketch weights). In floating point
``|0.4 - 0.3|`` is ``0.10000000000000003`` and ``|0.5 - 0.4|`` is ``0.09999999999999998``, so a gap of
exactly 10 points would be flagged or not by rounding. Here the largest gap
``|a_i / total_a - b_i / total_b|`` is found by integer cross-multiplication,
``|a_i * total_b - b_i * total_a| / (total_a * total_b)``, vectorised over int64 arrays (exact while
``total_a * total_b < 2**62``; beyond that the same expression runs on Python integers). It is returned
as a :class:`fractions.Fraction`, and the threshold is taken as the decimal number the user wrote
(``Fraction(repr(0.1)) == Fraction(1, 10)``), so that a distance equal to the threshold never exceeds it.

Counts that are not whole numbers (the API accepts real counts) are read as the exact rationals of
their float values, on object arrays of :class:`~fractions.Fraction`.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from sagewatch.errors import InvalidParameterError

__all__ = ["decimal_fraction", "exact_counts", "exceeds", "max_ratio_gap", "total_count"]

_INT64_SAFE = 2**62  # products below this, and their differences, fit in int64


def decimal_fraction(value: float) -> Fraction:
    """The decimal number a float was written as: ``Fraction(repr(value))``.

    Examples
    --------
    >>> decimal_fraction(0.1)
    Fraction(1, 10)
    >>> decimal_fraction(1e-05)
    Fraction(1, 100000)
    """
    number = float(value)
    if not np.isfinite(number):
        raise InvalidParameterError(f"a threshold must be finite, got {value!r}")
    return Fraction(repr(number))


def exceeds(value: Fraction, threshold: float) -> bool:
    """``value > threshold`` with ``threshold`` read as the decimal the user wrote; equal never exceeds.

    Examples
    --------
    >>> exceeds(Fraction(200, 2000), 0.1), exceeds(Fraction(201, 2000), 0.1)
    (False, True)
    """
    return value > decimal_fraction(threshold)


def exact_counts(values: ArrayLike) -> np.ndarray:
    """Counts or weights as an exact array: int64 when every value is a whole number below 2**53
    (floats are exact there), else an object array of :class:`~fractions.Fraction`.

    Examples
    --------
    >>> exact_counts([3.0, 4.0]).dtype, exact_counts([0.5, 1.0]).tolist()
    (dtype('int64'), [Fraction(1, 2), Fraction(1, 1)])
    """
    arr = np.asarray(values)
    if arr.dtype.kind in "iu":
        return arr.astype(np.int64)
    arr = np.asarray(arr, dtype=np.float64)
    if not np.isfinite(arr).all():
        raise InvalidParameterError("counts must be finite")
    if np.all(arr == np.floor(arr)) and (arr.size == 0 or float(np.abs(arr).max()) < 2.0**53):
        return arr.astype(np.int64)
    # not whole numbers: exact rationals of the floats (rare; only callers passing real-valued counts)
    return np.array([Fraction(float(v)) for v in arr.tolist()], dtype=object)


def max_ratio_gap(a: np.ndarray, total_a: Any, b: np.ndarray, total_b: Any) -> tuple[int, Fraction]:
    """Index and exact value of the largest ``|a[i] / total_a - b[i] / total_b|``.

    Parameters
    ----------
    a, b : ndarray
        Counts (or cumulative weights) from :func:`exact_counts` or their cumulative sums, one length.
    total_a, total_b : int or Fraction
        Positive totals the counts are divided by.

    Returns
    -------
    index : int
        First index where the gap is largest.
    gap : Fraction
        The exact gap there.

    Examples
    --------
    >>> import numpy as np
    >>> max_ratio_gap(np.array([40, 60]), 100, np.array([30, 70]), 100)
    (0, Fraction(1, 10))
    >>> max_ratio_gap(np.array([50, 50]), 100, np.array([40, 60]), 100)
    (0, Fraction(1, 10))
    """
    if not (total_a > 0 and total_b > 0):
        raise InvalidParameterError("totals must be positive")
    if a.shape != b.shape or a.size == 0:
        raise InvalidParameterError("counts must be non-empty arrays of one shape")
    integral = a.dtype != object and b.dtype != object and isinstance(total_a, int) and isinstance(total_b, int)
    if integral and total_a * total_b < _INT64_SAFE:
        numerators = np.abs(a * np.int64(total_b) - b * np.int64(total_a))
    else:  # beyond int64 or non-integral: the same expression on Python numbers (object arrays)
        numerators = np.abs(a.astype(object) * total_b - b.astype(object) * total_a)
    index = int(np.argmax(numerators))
    top = numerators[index]
    gap = Fraction(int(top) if isinstance(top, np.integer) else top) / (Fraction(total_a) * Fraction(total_b))
    return index, gap


def total_count(counts: np.ndarray) -> Any:
    """Exact sum of :func:`exact_counts` output: an int, or a Fraction for an object array.

    Examples
    --------
    >>> total_count(exact_counts([1, 2])), total_count(exact_counts([0.5, 1.0]))
    (3, Fraction(3, 2))
    """
    return int(counts.sum()) if counts.dtype != object else sum(counts.tolist(), Fraction(0))
