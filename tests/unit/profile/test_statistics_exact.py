"""Exact statistics against numpy on small data, and type inference."""

import math

import numpy as np
import pyarrow as pa
import pytest

from sagewatch.profile.dataset import profile_table
from sagewatch.profile.infer import classify
from sagewatch.schemas.statistics import equal_width_buckets, statistics_document


def test_numeric_statistics_match_numpy_on_small_data():
    rng = np.random.default_rng(3)
    values = rng.normal(50, 9, 999)
    doc = statistics_document(profile_table(pa.table({"x": values})))
    stats = doc["features"][0]["numerical_statistics"]
    assert doc["dataset"]["item_count"] == 999
    assert stats["common"] == {"num_present": 999, "num_missing": 0}
    assert stats["mean"] == pytest.approx(values.mean(), rel=1e-12)
    assert stats["sum"] == pytest.approx(values.sum(), rel=1e-12)
    assert stats["std_dev"] == pytest.approx(values.std(), rel=1e-10)  # population, as Deequ
    assert stats["min"] == values.min() and stats["max"] == values.max()


def test_statistics_of_csv_strings_count_missing_and_types():
    column = pa.array(["1", "2", "", None, "4", " 7 "])
    doc = statistics_document(profile_table(pa.table({"x": column})))
    feature = doc["features"][0]
    assert feature["inferred_type"] == "Integral"
    stats = feature["numerical_statistics"]
    assert stats["common"] == {"num_present": 4, "num_missing": 2}
    assert stats["sum"] == 14.0 and stats["mean"] == 3.5 and stats["min"] == 1.0 and stats["max"] == 7.0


def test_mixed_column_is_string_with_all_values_counted():
    doc = statistics_document(profile_table(pa.table({"x": ["1", "2", "2", "abc"]})))
    feature = doc["features"][0]
    assert feature["inferred_type"] == "String"
    stats = feature["string_statistics"]
    assert stats["distinct_count"] == 3.0
    assert stats["distribution"]["categorical"]["buckets"] == [
        {"value": "2", "count": 2}, {"value": "1", "count": 1}, {"value": "abc", "count": 1}]


@pytest.mark.parametrize("values, expected", [
    (["1", "-2", "+3"], (3, 0, 0)),
    (["1.5", "2", "1e3", ".5"], (1, 3, 0)),
    (["true", "1"], (1, 0, 1)),
    (["NaN", "x"], (0, 0, 2)),
])
def test_classify_follows_deequ_patterns(values, expected):
    chunk = classify(pa.array(values))
    assert (chunk.n_integral, chunk.n_fractional, chunk.n_string) == expected


def test_native_types_keep_their_kind():
    doc = statistics_document(profile_table(pa.table({
        "i": pa.array([1, 2, None], pa.int64()), "f": [1.0, float("nan"), 3.0], "b": [True, False, None]})))
    kinds = {f["name"]: f["inferred_type"] for f in doc["features"]}
    assert kinds == {"i": "Integral", "f": "Fractional", "b": "String"}
    f = doc["features"][1]["numerical_statistics"]["common"]
    assert f == {"num_present": 2, "num_missing": 1}


def test_ten_equal_width_buckets_like_sagemaker():
    values = np.arange(1, 244, dtype=float)  # "Account Length" 1..243 -> first bucket [1.0, 25.2]
    doc = statistics_document(profile_table(pa.table({"x": values})))
    buckets = doc["features"][0]["numerical_statistics"]["distribution"]["kll"]["buckets"]
    assert len(buckets) == 10
    assert buckets[0]["lower_bound"] == 1.0 and buckets[0]["upper_bound"] == pytest.approx(25.2)
    assert buckets[-1]["upper_bound"] == 243.0
    assert sum(b["count"] for b in buckets) == 243
    counts, _ = np.histogram(values, bins=np.linspace(1, 243, 11))
    assert [b["count"] for b in buckets] == counts.tolist()


def test_kll_block_has_sagemaker_parameters():
    doc = statistics_document(profile_table(pa.table({"x": np.arange(5000.0)})))
    sketch = doc["features"][0]["numerical_statistics"]["distribution"]["kll"]["sketch"]
    assert sketch["parameters"] == {"c": 0.64, "k": 2048.0}
    assert isinstance(sketch["data"], list) and len(sketch["data"]) >= 2
    weights = sum(len(level) * 2 ** i for i, level in enumerate(sketch["data"]))
    assert weights == 5000


def test_constant_column_puts_everything_in_first_bucket():
    from sagewatch.sketches.kll import KllDistribution
    dist = KllDistribution.from_levels([[4.0, 4.0, 4.0]])
    buckets = equal_width_buckets(dist, 4.0, 4.0, 3)
    assert buckets[0]["count"] == 3 and sum(b["count"] for b in buckets) == 3
    assert not math.isnan(buckets[0]["lower_bound"])
