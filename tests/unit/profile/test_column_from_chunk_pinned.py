"""ColumnProfile.from_chunk pinned for chunks without numbers (zero moments, empty range) and for
negative zeros (made positive before sorting, so minimum, maximum and sketch hold +0.0)."""

import math

import pyarrow as pa
import pytest

from sagewatch.profile.column import ColumnProfile
from sagewatch.profile.infer import classify


@pytest.mark.parametrize("values", [["a", None, "b"], [None, None], [], [True, False]])
def test_a_chunk_without_numbers_has_zero_moments_and_an_empty_range(values):
    p = ColumnProfile.from_chunk("c", classify(pa.array(values)))
    assert (p.n_numeric, p.total, p.mean, p.std_dev) == (0, 0.0, 0.0, 0.0)
    assert all(type(v) is float for v in (p.total, p.mean, p.std_dev))
    assert (p.minimum, p.maximum) == (math.inf, -math.inf) and p.sketch is None


def test_negative_zeros_are_profiled_as_positive_zeros():
    p = ColumnProfile.from_chunk("z", classify(pa.array([-0.0, 1.0, -0.0])))
    assert p.minimum == 0.0 and math.copysign(1.0, p.minimum) == 1.0
    assert [math.copysign(1.0, v) for v in p.sketch.levels()[0]] == [1.0, 1.0, 1.0]
    only = ColumnProfile.from_chunk("z", classify(pa.array([-0.0])))
    assert math.copysign(1.0, only.minimum) == math.copysign(1.0, only.maximum) == 1.0
