"""Labels and facets collapsed to binary by smclarify's rules."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from sagewatch.clarify.bias.facets import (category_codes, collapse, collapse_continuous, column_values,
                                           is_continuous)


def test_text_columns_get_the_types_pandas_would_give():
    assert column_values(pa.array([" 1", "2 "])).tolist() == [1, 2]
    assert column_values(pa.array(["1", "2.5"])).dtype == np.float64
    assert column_values(pa.array(["True", "false"])).tolist() == [True, False]
    assert column_values(pa.array(["a", "1"])).dtype == object
    assert column_values(pa.chunked_array([pa.array([1], pa.int32()), pa.array([2], pa.int32())])).dtype == np.int64


@pytest.mark.parametrize(("values", "given", "continuous"), [
    (np.zeros(100), [1.0], True),                        # floats
    (np.arange(100) % 4, [1], False),                     # 4 distinct of 100 < 5 %
    (np.arange(100) % 5, [1], True),                      # 5 distinct of 100 = 5 %: continuous
    (np.arange(100), [1, 2], False),                      # two values: categorical
    (np.array([str(i) for i in range(100)], dtype=object), [50], True),  # text of integers
    (np.array(["a", "b"] * 50, dtype=object), ["a"], False),
    (np.array([True, False] * 50), [True], False),
])
def test_continuous_or_categorical(values, given, continuous):
    assert is_continuous(values, given) is continuous


def test_categorical_values_of_another_type_are_converted():
    ints = np.array([0, 1, 1, 2] * 30)
    assert collapse(ints, ["1"], what="f").mask.sum() == 60
    assert collapse(ints, ["1"], what="f").text == "1"
    assert collapse(ints, [1.0], what="f").mask.sum() == 60
    text = np.array(["0", "1", "x"] * 40, dtype=object)
    assert collapse(text, [1], what="f").mask.sum() == 40
    assert collapse(ints, [1, 2], what="f").text == "1,2"


def test_a_fractional_value_does_not_find_an_integer():
    ints = np.array([0, 1, 1, 2] * 30)
    assert not collapse(ints, [1.5], what="f").mask.any()
    assert collapse(ints, [1.5, 2], what="f").mask.sum() == 30


def test_continuous_interval_is_threshold_to_maximum():
    ages = np.arange(18, 98)
    collapsed = collapse(ages, [40], what="f")
    assert collapsed.continuous and collapsed.text == "(40, 97]"
    assert collapsed.mask.sum() == 97 - 40
    assert collapse(ages, ["40"], what="f").text == "(40.0, 97.0]"  # text thresholds become floats
    assert collapse(ages.astype(float) / 2, [20], what="f").text == "(20.0, 48.5]"


def test_threshold_at_or_above_the_maximum_leaves_the_group_empty():
    assert not collapse_continuous(np.array([1.0, 2.0]), 2.0, what="f").mask.any()
    above = collapse_continuous(np.array([1.0, 2.0]), 5.0, what="f")
    assert not above.mask.any() and above.text == "(2.0, 5.0]"


def test_category_codes_follow_first_appearance():
    codes, uniques = category_codes(np.array([3, 1, 3, 2]))
    assert codes.tolist() == [0, 1, 0, 2] and uniques == [3, 1, 2]
