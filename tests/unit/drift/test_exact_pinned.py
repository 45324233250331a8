"""Exact count arithmetic pinned: which counts stay int64 (whole numbers below 2**53) and which become
Fractions, the errors for bad counts and totals, and max_ratio_gap on every path (int64, beyond int64,
Fraction counts and totals), compared with the gap computed in Fractions."""

import math
from fractions import Fraction

import numpy as np
import pytest

from sagewatch.drift.exact import decimal_fraction, exact_counts, max_ratio_gap, total_count
from sagewatch.errors import InvalidParameterError


def _reference_gap(a, total_a, b, total_b):
    gaps = [abs(Fraction(x) / Fraction(total_a) - Fraction(y) / Fraction(total_b)) for x, y in zip(a, b)]
    top = max(gaps)
    return gaps.index(top), top


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan])
def test_a_threshold_that_is_not_finite_is_refused_by_value(value):
    with pytest.raises(InvalidParameterError, match=rf"^a threshold must be finite, got {value!r}$"):
        decimal_fraction(value)


@pytest.mark.parametrize("values", [[1.5, math.nan], [math.inf, 1.0], [1.5, None]])
def test_counts_must_be_finite(values):
    with pytest.raises(InvalidParameterError, match=r"^counts must be finite$"):
        exact_counts(values)


@pytest.mark.parametrize("values, kind", [
    ([], "int64"),
    ([200.0], "int64"),            # whole numbers: int64 ...
    ([2.0**53 - 1, 0.0], "int64"),  # ... below 2**53
    ([2.0**53], "object"),         # from 2**53 on, floats skip integers: exact rationals instead
    ([2.0**60], "object"),
    ([-(2.0**53), 1.0], "object"),
    ([0.5], "object"),
])
def test_whole_counts_below_2_to_53_are_int64_and_the_rest_fractions(values, kind):
    counts = exact_counts(values)
    assert counts.dtype == np.dtype(kind) and counts.shape == (len(values),)
    assert [Fraction(v) for v in counts.tolist()] == [Fraction(v) for v in values]
    if kind == "object":
        assert all(isinstance(v, Fraction) for v in counts.tolist())


def test_counts_given_as_fractions_are_read_as_their_float_values():
    counts = exact_counts([Fraction(1, 2), 1])
    assert counts.dtype == object and counts.tolist() == [Fraction(1, 2), Fraction(1)]


def test_the_total_of_an_empty_fraction_array_is_a_fraction():
    total = total_count(np.array([], dtype=object))
    assert isinstance(total, Fraction) and total == 0
    assert total_count(exact_counts([0.5, 0.25])) == Fraction(3, 4)


@pytest.mark.parametrize("total_a, total_b", [(0, 5), (5, 0), (-1, 5), (5, -1), (0, 0)])
def test_totals_must_be_positive(total_a, total_b):
    with pytest.raises(InvalidParameterError, match=r"^totals must be positive$"):
        max_ratio_gap(np.array([1]), total_a, np.array([1]), total_b)


@pytest.mark.parametrize("a, b", [([1, 2], [1]), ([1], [1, 2]), ([], [])])
def test_counts_must_be_non_empty_and_of_one_shape(a, b):
    with pytest.raises(InvalidParameterError, match=r"^counts must be non-empty arrays of one shape$"):
        max_ratio_gap(np.array(a, dtype=np.int64), 3, np.array(b, dtype=np.int64), 3)


def test_one_category_is_enough():
    assert max_ratio_gap(np.array([3]), 4, np.array([1]), 4) == (0, Fraction(1, 2))


def test_totals_whose_product_passes_int64_are_computed_exactly():
    total_a, total_b = 2**40, 2**40 + 1  # a * total_b is about 2**80: beyond int64
    a = np.array([2**40 - 3, 3], dtype=np.int64)
    b = np.array([5, 2**40 - 4], dtype=np.int64)
    assert max_ratio_gap(a, total_a, b, total_b) == _reference_gap(a.tolist(), total_a, b.tolist(), total_b)


def test_a_fraction_total_with_integer_counts_is_not_truncated():
    a, b = np.array([1, 0], dtype=np.int64), np.array([1, 1], dtype=np.int64)
    assert max_ratio_gap(a, Fraction(3, 2), b, 2) == (1, Fraction(1, 2))
    assert max_ratio_gap(b, 2, a, Fraction(3, 2)) == (1, Fraction(1, 2))
    # 1 / (3/2) - 1 / 2 = 1/6 at index 0, 0 - 1/2 at index 1
    assert _reference_gap([1, 0], Fraction(3, 2), [1, 1], 2) == (1, Fraction(1, 2))


def test_fraction_counts_and_totals_give_the_exact_gap():
    a = exact_counts([0.5, 1.0])
    total_a = total_count(a)  # 3/2
    b = np.array([1, 1], dtype=np.int64)
    assert max_ratio_gap(a, total_a, b, 2) == (0, Fraction(1, 6))
    assert max_ratio_gap(a, total_a, b, 2) == _reference_gap([Fraction(1, 2), 1], Fraction(3, 2), [1, 1], 2)


@pytest.mark.parametrize("values", [np.array([2**60 + 1, 3], dtype=np.int64), np.array([7, 0], dtype=np.uint8),
                                    np.array([2**63 - 1], dtype=np.uint64)])
def test_integer_counts_stay_exact_int64_at_any_size(values):
    counts = exact_counts(values)
    assert counts.dtype == np.int64 and counts.tolist() == values.tolist()
