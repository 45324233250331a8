"""Moments pinned where the scaling by powers of two matters: the magnitude of all-negative values,
values given as float32, and merges where one mean or one standard deviation alone sets the scale
(each of the four, so none of them can be left out of it)."""

import math

import numpy as np
import pytest

from sagewatch.profile.moments import Moments, exact_sum, merge_moments, sorted_moments


def test_all_negative_values_take_their_scale_from_the_most_negative():
    values = [-1e16, -1.0, -1.0]
    m = sorted_moments(np.array(values))
    assert m.total == math.fsum(values) == -1.0000000000000002e16  # correctly rounded, not -1e16
    assert m.mean == -1.0000000000000002e16 / 3


def test_float32_values_are_read_as_float64():
    x = np.array([0.1, 0.2, 0.7, 3.3], dtype=np.float32)
    assert sorted_moments(x) == sorted_moments(x.astype(np.float64))
    assert sorted_moments(x).std_dev == 1.3045592923116824


BIG_MEAN, TINY_MEAN = Moments(1, 1e308, 1e308, 0.0), Moments(1, 1e-300, 1e-300, 0.0)
WIDE, NARROW = Moments(2, 0.0, 0.0, 2.0**1000), Moments(2, 0.5, 0.25, 0.0)  # [-2**1000, 2**1000] and [0.25, 0.25]


@pytest.mark.parametrize("a, b", [(BIG_MEAN, TINY_MEAN), (TINY_MEAN, BIG_MEAN)])
def test_a_mean_near_the_largest_double_sets_the_scale_on_either_side(a, b):
    assert merge_moments(a, b) == Moments(2, 1e308, 5e307, 5e307)


@pytest.mark.parametrize("a, b", [(WIDE, NARROW), (NARROW, WIDE)])
def test_a_standard_deviation_alone_sets_the_scale_on_either_side(a, b):
    merged = merge_moments(a, b)
    assert merged == sorted_moments(np.array([-2.0**1000, 0.25, 0.25, 2.0**1000]))
    assert (merged.n, merged.total, merged.mean) == (4, 0.5, 0.125)
    assert merged.std_dev == math.ldexp(math.sqrt(2.0**999), 500) == 7.576710022411623e300  # sqrt(2**1999), rounded once


# exact_sum and the hints sorted_moments gives it: sums that land on a rounding tie, where a remainder
# of one unit in the last place of a subnormal (or any part dropped too early) changes the result


@pytest.mark.parametrize("values, expected", [
    ([8.0, 2.0**-50, 2.0**-1074, 0.0, 0.0, 0.0], 8.000000000000002),  # 8 + half an ulp + the least subnormal
    ([4.0, 2.0**-51, 2.0**-1074, 0.0, 0.0, 0.0], 4.000000000000001),
    ([-0.1249999923772847, -0.4999996870203874, -0.4999996457643928], -1.124999325162065),
])
def test_exact_sum_is_correctly_rounded_down_to_the_last_subnormal(values, expected):
    assert exact_sum(np.array(values)) == math.fsum(values) == expected


def test_exact_sum_reads_integers_and_float32_as_float64():
    assert exact_sum(np.array([1, 2, 2**60 + 1])) == math.fsum([1.0, 2.0, float(2**60 + 1)])
    x = np.array([0.1, 0.2, 0.3], dtype=np.float32)
    assert exact_sum(x) == math.fsum(x.astype(np.float64).tolist())


def test_one_tiny_negative_value_still_sets_the_finest_grid():
    values = [-2.0**-200, 2.0**-53, 2.0**-52, 1.0]  # 1 + 3 * 2**-53 is a tie; the tiny value breaks it down
    m = sorted_moments(np.array(values))
    assert m.total == math.fsum(values) == 1.0000000000000002


def test_the_largest_square_may_be_at_either_end():
    values = [-0.0668271701024572, -0.00014011094578567578, -6.275626738045665e-05, -3.717423549172949e-05,
              -2.9317801819395314e-05, -1.8247809921331865e-05, 1200.4887538923003]
    m = sorted_moments(np.array(values))
    assert m.total == math.fsum(values) == 1200.4216391151374
    assert m.std_dev == 420.0874704143834  # from the correctly rounded sum of the squared deviations
    flipped = sorted_moments(np.array(sorted(-v for v in values)))
    assert flipped.std_dev == m.std_dev and flipped.total == -m.total
