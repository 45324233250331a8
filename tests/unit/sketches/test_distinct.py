"""distinct_count of String columns: exact while every value is counted, a HyperLogLog estimate beyond."""

import pyarrow as pa
import pytest

from sagewatch.defaults import MAX_TRACKED_VALUES
from sagewatch.profile.dataset import merge_profiles, profile_table
from sagewatch.schemas.statistics import statistics_document


def _distinct_count(profile):
    return statistics_document(profile)["features"][0]["string_statistics"]["distinct_count"]


def test_200000_distinct_ids_are_not_reported_as_100000():
    ids = pa.array([f"id-{i:07d}" for i in range(200_000)])
    count = _distinct_count(profile_table(pa.table({"id": ids})))
    assert count != float(MAX_TRACKED_VALUES)
    assert count == pytest.approx(200_000, rel=0.03)  # HLL lg_k 14: about 0.8% standard error
    small = profile_table(pa.table({"c": ["a", "b", "a", " b", "c", None]}))
    assert _distinct_count(small) == 3.0  # exact while every value is counted


def test_distinct_count_over_chunks_counts_each_value_once():
    chunks = [pa.table({"id": pa.array([f"u{i}" for i in range(start, start + 60_000)])})
              for start in range(0, 120_000, 40_000)]  # 3 overlapping chunks, 140,000 distinct values
    profile = merge_profiles(profile_table(t) for t in chunks)
    assert profile.columns["id"].counts_truncated
    assert _distinct_count(profile) == pytest.approx(140_000, rel=0.03)


def test_merge_is_pure_order_free_and_zero_is_identity():
    from sagewatch.sketches.distinct import DistinctCount
    a = DistinctCount.from_values(f"a{i}" for i in range(5_000))
    b = DistinctCount.from_values(f"a{i}" for i in range(2_500, 9_000))
    before = (a.to_bytes(), b.to_bytes())
    assert a.merge(b).estimate() == b.merge(a).estimate() == pytest.approx(9_000, rel=0.03)
    assert (a.to_bytes(), b.to_bytes()) == before
    assert DistinctCount.zero().merge(a).to_bytes() == a.to_bytes() == a.merge(DistinctCount.zero()).to_bytes()
    assert DistinctCount.from_values(["x", "y"]).to_bytes() == DistinctCount.from_values(["x", "y"]).to_bytes()
