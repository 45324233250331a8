"""Profiles near the largest double and the rounding of std_dev (through the public profile API)."""

import json
import math

import numpy as np
import pyarrow as pa
import pytest

from sagewatch.errors import DatasetError
from sagewatch.profile.dataset import merge_profiles, profile_table
from sagewatch.schemas.statistics import dumps_statistics, statistics_document


def test_std_dev_is_the_correctly_rounded_one_not_a_blas_dot_product():
    rng = np.random.default_rng(1)  # data where np.dot and the correctly rounded sum differ in the last bit
    values = rng.normal(1e6, 3.0, 4_099)
    stats = statistics_document(profile_table(pa.table({"x": values})))["features"][0]["numerical_statistics"]
    total = math.fsum(values.tolist())
    centred = values - total / values.size
    assert stats["sum"] == total
    assert stats["std_dev"] == math.sqrt(math.fsum((centred * centred).tolist()) / values.size)


def test_alternating_extremes_give_finite_mean_std_and_buckets():
    values = np.tile([1.7e308, -1.7e308], 500)
    text = dumps_statistics(profile_table(pa.table({"x": values})))
    assert "Infinity" not in text and "NaN" not in text
    stats = json.loads(text)["features"][0]["numerical_statistics"]
    assert stats["sum"] == 0.0 and stats["mean"] == 0.0 and stats["std_dev"] == 1.7e308
    bounds = [b["lower_bound"] for b in stats["distribution"]["kll"]["buckets"]]
    assert bounds[0] == -1.7e308 and stats["distribution"]["kll"]["buckets"][-1]["upper_bound"] == 1.7e308
    assert all(math.isfinite(b) for b in bounds) and bounds == sorted(bounds)
    counts = [b["count"] for b in stats["distribution"]["kll"]["buckets"]]
    assert counts[0] == 500 and counts[-1] == 500


def test_extremes_split_over_chunks_merge_to_finite_moments():
    parts = [profile_table(pa.table({"x": np.full(300, sign * 1.7e308)})) for sign in (1, -1, 1, -1)]
    column = merge_profiles(parts).columns["x"]
    assert column.mean == 0.0 and column.total == 0.0 and column.std_dev == pytest.approx(1.7e308, rel=1e-15)


def test_a_sum_beyond_the_double_range_is_a_clear_error():
    profile = profile_table(pa.table({"big": np.full(3, 1.5e308)}))
    assert profile.columns["big"].mean == 1.5e308
    with pytest.raises(DatasetError, match="column 'big': the sum of its values is beyond the range of a double"):
        dumps_statistics(profile)


def test_text_numbers_beyond_the_double_range_count_as_missing():
    stats = statistics_document(profile_table(pa.table({"x": ["1e400", "2", "-1e999", "4"]})))
    numeric = stats["features"][0]["numerical_statistics"]
    assert numeric["common"] == {"num_present": 2, "num_missing": 2}
    assert numeric["sum"] == 6.0 and numeric["max"] == 4.0
