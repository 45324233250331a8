"""Sum, mean and standard deviation that are exact where it matters, the same on every CPU and never overflow.

* :func:`exact_sum` is the correctly rounded sum (what ``math.fsum`` gives) at NumPy speed: error-free
  extraction (Rump, Ogita and Oishi, "Accurate floating-point summation part I: faithful rounding",
  SIAM J. Sci. Comput. 31(1), 2008, Lemma 3.3) splits the values into parts whose sum NumPy computes
  *exactly* in any order, so no BLAS kernel or summation order can move a last digit.
* :func:`sorted_moments` scales by powers of two (exact) before summing, so values near the largest
  double (1.8e308) give a finite mean and standard deviation; only a sum that is itself beyond the
  range of a double comes out as ``±inf`` (callers say so; ``statistics.json`` refuses it).
* :func:`merge_moments` combines two chunks (Chan, Golub and LeVeque 1979, eq. 2.1b) in the same
  scaled arithmetic.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

__all__ = ["Moments", "exact_sum", "sorted_moments", "merge_moments"]

# Values are scaled so that n * max|x| stays below 2**_SUM_EXP: no partial sum can overflow.
_SUM_EXP = 1020


class Moments(NamedTuple):
    n: int
    total: float  # ±inf when the sum is beyond the range of a double
    mean: float
    std_dev: float  # population standard deviation, as Deequ's StandardDeviation


def _ldexp(x: float, exp: int) -> float:
    try:
        return math.ldexp(x, exp)
    except OverflowError:
        return math.copysign(math.inf, x)


def exact_sum(values: np.ndarray, *, largest: float | None = None, tiniest: float | None = None) -> float:
    """The correctly rounded sum of finite float64 values, computed with NumPy.

    Values near the largest double are summed scaled by a power of two; a sum beyond the range of a
    double is ``±inf``.
    ``largest`` (``max|values|``) and ``tiniest`` (the smallest non-zero ``|value|``) save sweeps over
    the data when the caller knows them (e.g. from sorted values); they must be exact when given.

    >>> exact_sum(np.array([1e16, 1.0, -1e16, 1.0]))
    2.0
    >>> exact_sum(np.array([0.1] * 10)) == math.fsum([0.1] * 10)
    True
    >>> exact_sum(np.array([1.7e308, -1.7e308, 1e308])), exact_sum(np.array([1.7e308, 1.7e308]))
    (1e+308, inf)
    """
    rest = np.asarray(values, dtype=np.float64)
    if not rest.size:
        return 0.0
    if largest is None:
        largest = max(float(rest.max()), -float(rest.min()))
    if largest == 0.0:
        return 0.0
    bits = (rest.size + 2).bit_length()
    top = math.frexp(largest)[1]  # max|rest| <= 2**top
    if top + bits > _SUM_EXP:  # sigma would overflow: sum the values scaled by a power of two, then scale back
        shift = top + bits - _SUM_EXP
        return _ldexp(exact_sum(rest * math.ldexp(1.0, -shift)), shift)
    # every value is a multiple of 2**(floor_exp - 53): a pass whose sigma is below 2**floor_exp leaves nothing
    floor_exp = math.frexp(tiniest)[1] if tiniest else -1074 + 53
    buffer = np.empty_like(rest)
    parts = []
    while True:
        # sigma = 2**bits * 2**top >= (n + 2) * max|rest|: every high part is a multiple of ulp(sigma)/2
        # below sigma / (n + 2), so NumPy adds them exactly in whatever order it likes
        exp = top + bits
        sigma = math.ldexp(1.0, exp)
        high = np.add(rest, sigma, out=buffer)
        high -= sigma
        parts.append(float(high.sum()))
        if exp < floor_exp:  # |rest| <= 2**(exp - 53) is below the grid: nothing is left
            return math.fsum(parts)
        rest = rest - high  # exact; |rest| <= ulp(sigma) / 2 = 2**(exp - 53)
        top = exp - 53
        if not rest.any():
            return math.fsum(parts)


def _smallest_nonzero_magnitude(ordered: np.ndarray) -> float:
    """The smallest non-zero ``|x|`` of sorted values (0.0 when all are zero), without a sweep."""
    i = int(np.searchsorted(ordered, 0.0, side="left"))
    j = int(np.searchsorted(ordered, 0.0, side="right"))
    candidates = [-float(ordered[i - 1])] if i > 0 else []
    candidates += [float(ordered[j])] if j < ordered.size else []
    return min(candidates, default=0.0)


def sorted_moments(values: np.ndarray) -> Moments:
    """Count, sum, mean and population standard deviation of finite float64 values, sorted ascending.

    >>> sorted_moments(np.array([27.0, 31.0, 45.0]))
    Moments(n=3, total=103.0, mean=34.333333333333336, std_dev=7.71722460186015)
    >>> m = sorted_moments(np.array([-1.7e308, 1.7e308, 1.7e308]))
    >>> m.total, m.mean, round(m.std_dev / 1e308, 6)
    (1.7e+308, 5.666666666666667e+307, 1.602775)
    >>> sorted_moments(np.array([1.7e308, 1.7e308])).total
    inf
    """
    x = np.asarray(values, dtype=np.float64)
    n = int(x.size)
    if not n:
        return Moments(0, 0.0, 0.0, 0.0)
    largest = max(float(x[-1]), -float(x[0]))
    bits = n.bit_length()
    shift = max(0, math.frexp(largest)[1] + bits - _SUM_EXP) if largest else 0
    scaled = x * math.ldexp(1.0, -shift) if shift else x  # exact (values this large are far from subnormal)
    tiniest = _smallest_nonzero_magnitude(scaled)
    total_scaled = exact_sum(scaled, largest=math.ldexp(largest, -shift), tiniest=tiniest)
    mean_scaled = total_scaled / n
    centred = scaled - mean_scaled  # still sorted
    spread = max(float(centred[-1]), -float(centred[0]))
    m2_scaled, dev_shift = 0.0, 0
    if spread:
        # put the largest deviation near 2**((1020 - bits) / 2): n squares neither overflow nor underflow
        dev_shift = math.frexp(spread)[1] - (_SUM_EXP - bits) // 2
        if abs(dev_shift) < 1000:
            centred *= math.ldexp(1.0, -dev_shift)  # exact
        else:  # subnormal spreads: a factor beyond the double range, applied in steps
            np.ldexp(centred, -dev_shift, out=centred)
        smallest = _smallest_nonzero_magnitude(centred)
        np.multiply(centred, centred, out=centred)
        m2_scaled = exact_sum(centred, largest=max(float(centred[0]), float(centred[-1])),
                              tiniest=smallest * smallest or None)
    std = _ldexp(math.sqrt(m2_scaled / n), dev_shift + shift)
    return Moments(n, _ldexp(total_scaled, shift), _ldexp(mean_scaled, shift), std)


def merge_moments(a: Moments, b: Moments) -> Moments:
    """Moments of the union of two samples; the same result for the same inputs on every machine.

    Chan, Golub and LeVeque (1979), "Updating formulae and a pairwise algorithm for computing sample
    variances", eq. 2.1b, in arithmetic scaled by a power of two (no overflow). The sum is the
    rounded sum of both sums, or ``mean * n`` when one of them was beyond the range of a double.

    >>> merge_moments(Moments(2, 3.0, 1.5, 0.5), Moments(2, 7.0, 3.5, 0.5))
    Moments(n=4, total=10.0, mean=2.5, std_dev=1.118033988749895)
    """
    if b.n == 0:
        return a
    if a.n == 0:
        return b
    n = a.n + b.n
    largest = max(abs(a.mean), abs(b.mean), a.std_dev, b.std_dev)
    exp = math.frexp(largest)[1] if largest else 0
    mean_a, mean_b = math.ldexp(a.mean, -exp), math.ldexp(b.mean, -exp)
    std_a, std_b = math.ldexp(a.std_dev, -exp), math.ldexp(b.std_dev, -exp)
    share_a, share_b = a.n / n, b.n / n
    delta = mean_b - mean_a
    mean = mean_a + delta * share_b
    variance = share_a * std_a * std_a + share_b * std_b * std_b + delta * delta * share_a * share_b
    mean, std = _ldexp(mean, exp), _ldexp(math.sqrt(variance), exp)
    total = a.total + b.total
    if not math.isfinite(total):
        total = _ldexp(math.ldexp(mean, -exp) * n, exp)  # a sum beyond the double range: from the mean
    return Moments(n, total, mean, std)
