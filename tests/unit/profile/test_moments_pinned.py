"""The moment kernels pinned: correctly rounded sums over the whole double range, exact moments of
small inputs, the overflow and subnormal paths, and merges. Every number here is the same on every CPU
(the kernels add exactly, whatever the order), so it is compared with ``==``.
"""

import math
from fractions import Fraction

import numpy as np
import pytest

from sagewatch.profile.moments import Moments, _ldexp, _smallest_nonzero_magnitude, exact_sum, merge_moments, \
    sorted_moments


def _exact_std(values) -> float:
    """sqrt of the exact population variance (Fractions), rounded once at the end via float."""
    exp = math.frexp(max(abs(v) for v in values))[1]  # scaled by a power of two: exact, and no overflow
    xs = [Fraction(v) / Fraction(2) ** exp for v in values]
    mean = sum(xs) / len(xs)
    var = sum((x - mean) ** 2 for x in xs) / len(xs)
    return math.ldexp(math.sqrt(var), exp)


# -- exact_sum -----------------------------------------------------------------------------------

def test_exact_sum_of_nothing_and_of_zeros_is_zero():
    assert exact_sum(np.array([])) == 0.0
    assert exact_sum(np.zeros(5)) == 0.0
    assert exact_sum(np.array([0.0, -0.0])) == 0.0


@pytest.mark.parametrize("values, expected", [
    ([1e16, 1.0, -1e16, 1.0], 2.0),
    ([1e300, 1.0, -1e300], 1.0),  # the big parts cancel exactly; the 1.0 survives
    ([5e-324, 5e-324, 5e-324], 1.5e-323),  # subnormals add exactly
    ([1.0, 2.0 ** -53, 2.0 ** -53], 1.0000000000000002),  # two half-ulps make one ulp
    ([1.0, 2.0 ** -60, 2.0 ** -60], 1.0),
    ([0.1] * 10, 1.0),  # fsum's answer, not 0.9999999999999999
    ([3.0], 3.0),
    ([-7.5, 2.5], -5.0),
])
def test_exact_sum_is_correctly_rounded(values, expected):
    assert exact_sum(np.array(values)) == expected == math.fsum(values)


@pytest.mark.parametrize("seed", range(4))
def test_exact_sum_is_fsum_across_the_whole_exponent_range(seed):
    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(1, 300))
    # magnitudes from subnormal to 1e300, both signs, with cancelling pairs
    x = rng.normal(size=n) * 10.0 ** rng.integers(-320, 300, n)
    x = np.concatenate([x, -x[: n // 3], rng.normal(size=3) * 1e-310])
    assert exact_sum(x) == math.fsum(x.tolist())
    largest = float(np.abs(x).max())
    nonzero = np.abs(x[x != 0])
    assert exact_sum(x, largest=largest, tiniest=float(nonzero.min())) == math.fsum(x.tolist())


def test_exact_sum_with_a_known_largest_skips_no_part():
    x = np.array([2.0 ** 100, 1.0, 2.0 ** -100, -2.0 ** 100])
    assert exact_sum(x, largest=2.0 ** 100) == 1.0 + 2.0 ** -100 == math.fsum(x.tolist())
    assert exact_sum(x, largest=2.0 ** 100, tiniest=2.0 ** -100) == math.fsum(x.tolist())


def test_exact_sum_of_many_values_with_tiny_remainders():
    # 10,001 values: the pass width grows with n (bits of n + 2) and still no part is lost
    x = np.full(10_001, 1.0 + 2.0 ** -52)
    x[::2] = -1.0
    assert exact_sum(x) == math.fsum(x.tolist())


# -- sorted_moments ------------------------------------------------------------------------------

@pytest.mark.parametrize("values, expected", [
    ([], Moments(0, 0.0, 0.0, 0.0)),
    ([4.0], Moments(1, 4.0, 4.0, 0.0)),
    ([1.0] * 5, Moments(5, 5.0, 1.0, 0.0)),
    ([1.0, 2.0, 3.0, 4.0], Moments(4, 10.0, 2.5, 1.118033988749895)),
    ([-3.0, 0.0, 0.0, 2.0], Moments(4, -1.0, -0.25, 1.7853571071357126)),
    ([27.0, 31.0, 45.0], Moments(3, 103.0, 34.333333333333336, 7.71722460186015)),
    ([-2.0, -1.0], Moments(2, -3.0, -1.5, 0.5)),
])
def test_sorted_moments_are_pinned(values, expected):
    got = sorted_moments(np.array(values, dtype=np.float64))
    assert got == expected
    if values:
        assert got.std_dev == _exact_std(values)


def test_sorted_moments_match_exact_arithmetic_on_awkward_values():
    rng = np.random.default_rng(9)
    for scale in (1e-300, 1e-5, 1.0, 1e12, 1e300):
        x = np.sort(rng.normal(3, 1, 101) * scale)
        m = sorted_moments(x)
        assert m.n == 101 and m.total == math.fsum(x.tolist())
        assert m.mean == m.total / 101
        assert m.std_dev == pytest.approx(_exact_std(x.tolist()), rel=4e-16)


def test_values_near_the_largest_double_give_finite_moments():
    m = sorted_moments(np.array([-1.7e308, 1.7e308, 1.7e308]))
    assert m.total == 1.7e308 and m.mean == 5.666666666666667e307
    assert m.std_dev == _exact_std([-1.7e308, 1.7e308, 1.7e308]) == 1.6027753706895077e308
    big = sorted_moments(np.array([1.7e308, 1.7e308]))
    assert big.total == math.inf and big.mean == 1.7e308 and big.std_dev == 0.0
    neg = sorted_moments(np.array([-1.7e308, -1.7e308]))
    assert neg.total == -math.inf and neg.mean == -1.7e308


def test_a_shift_applies_only_when_the_sum_could_overflow():
    # 2**1019 * 2 values fits the 2**1020 budget with n's bits: no shift, exact results
    x = np.array([2.0 ** 1018, 2.0 ** 1018])
    assert sorted_moments(x) == Moments(2, 2.0 ** 1019, 2.0 ** 1018, 0.0)
    y = np.array([2.0 ** 1022, 2.0 ** 1023])
    m = sorted_moments(y)
    assert m.total == 2.0 ** 1022 * 3 and m.mean == 1.5 * 2.0 ** 1022 and m.std_dev == 2.0 ** 1021


def test_subnormal_spreads_keep_their_standard_deviation():
    assert sorted_moments(np.array([5e-324, 1e-323])) == Moments(2, 1.5e-323, 1e-323, 5e-324)
    m = sorted_moments(np.array([0.0, 2e-310]))
    assert m.total == 2e-310 and m.mean == 1e-310 and m.std_dev == 1e-310
    t = sorted_moments(np.array([1e-300, 3e-300]))
    assert t.mean == 2e-300 and t.std_dev == _exact_std([1e-300, 3e-300]) == 1.0000000000000002e-300


def test_smallest_nonzero_magnitude_of_sorted_values():
    assert _smallest_nonzero_magnitude(np.array([-3.0, -0.5, 0.0, 0.0, 0.25, 2.0])) == 0.25
    assert _smallest_nonzero_magnitude(np.array([-3.0, -0.125, 0.0, 0.25])) == 0.125
    assert _smallest_nonzero_magnitude(np.array([-3.0, -2.0])) == 2.0
    assert _smallest_nonzero_magnitude(np.array([1.0, 2.0])) == 1.0
    assert _smallest_nonzero_magnitude(np.array([0.0, 0.0])) == 0.0
    assert _smallest_nonzero_magnitude(np.array([])) == 0.0


def test_ldexp_saturates_to_a_signed_infinity():
    assert _ldexp(1.0, 10) == 1024.0
    assert _ldexp(1.5, 2000) == math.inf and _ldexp(-1.5, 2000) == -math.inf
    assert _ldexp(3.0, -1) == 1.5


# -- merge_moments -------------------------------------------------------------------------------

def test_merging_with_no_values_returns_the_other_side():
    a = Moments(3, 6.0, 2.0, 1.0)
    empty = Moments(0, 0.0, 0.0, 0.0)
    assert merge_moments(a, empty) is a and merge_moments(empty, a) is a


@pytest.mark.parametrize("left, right", [
    ([1.0, 2.0], [3.0, 4.0]),
    ([10.0], [20.0, 30.0, 40.0]),
    ([-5.0, 5.0], [100.0]),
    ([1e-300, 2e-300], [3e-300]),
    ([2.0 ** 1020], [2.0 ** 1021, 2.0 ** 1022]),
])
def test_merged_moments_equal_the_whole_on_exact_inputs(left, right):
    merged = merge_moments(sorted_moments(np.array(left)), sorted_moments(np.array(right)))
    whole = sorted_moments(np.sort(np.array(left + right)))
    assert merged.n == whole.n and merged.total == whole.total
    assert merged.mean == pytest.approx(whole.mean, rel=3e-16)  # the merge rounds twice: one ulp at most
    assert merged.std_dev == pytest.approx(whole.std_dev, rel=1e-15)


def test_merge_moments_pinned():
    assert merge_moments(Moments(2, 3.0, 1.5, 0.5), Moments(2, 7.0, 3.5, 0.5)) == \
        Moments(4, 10.0, 2.5, 1.118033988749895)
    assert merge_moments(Moments(1, 10.0, 10.0, 0.0), Moments(3, 90.0, 30.0, 8.16496580927726)) == \
        Moments(4, 100.0, 25.0, 11.180339887498949)
    # weights follow the counts: 3 values at 0 and 1 value at 4
    assert merge_moments(Moments(3, 0.0, 0.0, 0.0), Moments(1, 4.0, 4.0, 0.0)) == Moments(4, 4.0, 1.0, math.sqrt(3.0))


def test_a_merged_sum_beyond_the_double_range_comes_from_the_mean():
    a = b = Moments(1, 1.5e308, 1.5e308, 0.0)
    merged = merge_moments(a, b)
    assert merged.n == 2 and merged.mean == 1.5e308 and merged.std_dev == 0.0 and merged.total == math.inf
    c = Moments(2, 1.5e308, 0.75e308, 0.75e308)
    d = Moments(1, -1.0e308, -1.0e308, 0.0)
    both = merge_moments(c, d)  # the sum of sums is finite: kept as is
    assert both.total == 0.5e308 and both.mean == pytest.approx(0.5e308 / 3, rel=1e-15)
    up, down = sorted_moments(np.array([1.7e308, 1.7e308])), sorted_moments(np.array([-1.7e308, -1.7e308]))
    assert up.total == math.inf and down.total == -math.inf
    huge = merge_moments(up, down)  # inf + -inf is no sum: it comes from the mean, 0
    assert huge == Moments(4, 0.0, 0.0, 1.7e308)
    three = merge_moments(up, sorted_moments(np.array([-1.7e308])))
    # one side's sum is infinite, the true sum (1.7e308) is not: it is rebuilt from the mean, to one ulp
    assert three.n == 3 and three.mean == 5.666666666666668e307 and three.total == 1.7000000000000003e308
