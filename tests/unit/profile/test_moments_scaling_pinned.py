"""Moments pinned where the scaling by powers of two matters: the magnitude of all-negative values,
values given as float32, and merges where one mean or one standard deviation alone sets the scale
(each of the four, so none of them can be left out of it)."""

import math

import numpy as np
import pytest

from sagewatch.profile.moments import Moments, merge_moments, sorted_moments


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
