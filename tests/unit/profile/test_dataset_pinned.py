"""Dataset profiles pinned: the numeric view of each column type in the row sample, the merged sample
(rows kept in proportion to the rows each side stands for, in order, the same on every run), columns
missing on one side, duplicate column names, and the sample matrix."""

import decimal
import math

import numpy as np
import pyarrow as pa
import pytest

from sagewatch.defaults import SAMPLE_ROWS
from sagewatch.errors import SchemaError
from sagewatch.profile.column import ColumnProfile
from sagewatch.profile.dataset import DatasetProfile, merge_profiles, profile_table, profile_tables


def _sample(array):
    return profile_table(pa.table({"c": array}), parallel=False).sample["c"]


@pytest.mark.parametrize("array, expected", [
    (pa.array([1, None, -3], pa.int8()), [1.0, math.nan, -3.0]),
    (pa.array([2**64 - 1, 0], pa.uint64()), [1.8446744073709552e19, 0.0]),  # rounded, not refused
    (pa.array([1.5, None], pa.float32()), [1.5, math.nan]),
    (pa.array([decimal.Decimal("1.25"), None], pa.decimal128(5, 2)), [1.25, math.nan]),
    (pa.array([" 1.5 ", "x", None, "-2", "+ 3", "1e3"], pa.string()), [1.5, math.nan, math.nan, -2.0, 3.0, 1000.0]),
    (pa.array(["7", "y"], pa.large_string()), [7.0, math.nan]),
    (pa.array([True, False], pa.bool_()), [math.nan, math.nan]),
    (pa.array([b"1", b"2"], pa.binary()), [math.nan, math.nan]),
])
def test_each_type_is_sampled_as_float64_numbers_or_nan(array, expected):
    sample = _sample(array)
    assert sample.dtype == np.float64
    np.testing.assert_array_equal(sample, expected)


def test_a_small_table_is_its_own_sample_and_counts_its_rows():
    p = profile_table(pa.table({"x": [3.0, 1.0, 2.0], "s": ["a", "b", "a"]}))
    assert (p.item_count, p.sample_seen, p.sample_size, p.column_names) == (3, 3, 3, ["x", "s"])
    np.testing.assert_array_equal(p.sample["x"], [3.0, 1.0, 2.0])
    np.testing.assert_array_equal(p.sample["s"], [math.nan] * 3)


def test_a_large_table_is_sampled_without_replacement_in_row_order_the_same_every_time():
    x = np.arange(SAMPLE_ROWS + 1, dtype=np.float64)
    p = profile_table(pa.table({"x": x, "y": -x}))
    s = p.sample["x"]
    assert s.size == SAMPLE_ROWS and p.sample_seen == SAMPLE_ROWS + 1 and p.item_count == SAMPLE_ROWS + 1
    assert np.all(np.diff(s) > 0)  # distinct rows, in order
    np.testing.assert_array_equal(p.sample["y"], -s)  # one row set for every column
    np.testing.assert_array_equal(s, profile_table(pa.table({"x": x, "y": -x})).sample["x"])


def test_parallel_and_serial_profiles_agree():
    t = pa.table({"a": [1, 2, None], "b": ["x", None, "y"], "c": [0.5, 0.25, 2.0]})
    one, two = profile_table(t, parallel=False), profile_table(t, parallel=True)
    for name in t.column_names:
        a, b = one.columns[name], two.columns[name]
        assert (a.name, a.n_missing, a.n_integral, a.n_fractional, a.n_string, a.mean, dict(a.counts)) == \
               (b.name, b.n_missing, b.n_integral, b.n_fractional, b.n_string, b.mean, dict(b.counts))


def test_duplicate_column_names_are_refused_naming_them():
    table = pa.Table.from_arrays([pa.array([1]), pa.array([2]), pa.array([3]), pa.array([4])], names=["b", "a", "b", "a"])
    with pytest.raises(SchemaError, match=r"duplicate column names \['a', 'b'\]") as info:
        profile_table(table)
    assert info.value.field == "a"
    once = pa.Table.from_arrays([pa.array([1])] * 4, names=["c", "b", "a", "b"])
    with pytest.raises(SchemaError, match=r"duplicate column names \['b'\]") as info:
        profile_table(once)
    assert info.value.field == "b"


def test_merging_small_profiles_keeps_every_row_left_then_right():
    a = profile_table(pa.table({"x": [1.0, 2.0, 3.0], "only_a": ["1", "2", "3"]}))
    b = profile_table(pa.table({"x": [4.0, 5.0], "only_b": [7, 8]}))
    m = a.merge(b)
    assert (m.item_count, m.sample_seen, m.column_names) == (5, 5, ["x", "only_a", "only_b"])
    np.testing.assert_array_equal(m.sample["x"], [1.0, 2.0, 3.0, 4.0, 5.0])
    np.testing.assert_array_equal(m.sample["only_a"], [1.0, 2.0, 3.0, math.nan, math.nan])
    np.testing.assert_array_equal(m.sample["only_b"], [math.nan, math.nan, math.nan, 7.0, 8.0])
    assert m.columns["only_a"].n_missing == 2 and m.columns["only_a"].n_integral == 3
    assert m.columns["only_b"].n_missing == 3 and m.columns["only_b"].n_integral == 2
    assert m.columns["x"].n_numeric == 5 and m.columns["x"].mean == 3.0
    assert (a.item_count, a.sample_size, b.item_count) == (3, 3, 2)  # inputs unchanged


def test_merged_samples_keep_rows_in_proportion_to_the_rows_each_side_stands_for():
    a = profile_table(pa.table({"x": np.arange(3000, dtype=np.float64)}))        # sample 2000 of 3000
    b = profile_table(pa.table({"x": 10_000 + np.arange(1000, dtype=np.float64)}))  # all 1000
    m = a.merge(b)
    s = m.sample["x"]
    assert (m.item_count, m.sample_seen, s.size) == (4000, 4000, SAMPLE_ROWS)
    assert int(np.sum(s < 10_000)) == 1500 and int(np.sum(s >= 10_000)) == 500  # 3000:1000
    assert np.all(np.diff(s) > 0) and np.all(s[s < 10_000] % 1 == 0)
    assert set(s[:1500].tolist()) <= set(a.sample["x"].tolist())
    np.testing.assert_array_equal(s, a.merge(b).sample["x"])  # seeded by the rows seen
    # the other way round: proportions follow the sides, order follows the merge
    r = b.merge(a).sample["x"]
    assert int(np.sum(r[:500] >= 10_000)) == 500 and int(np.sum(r[500:] < 10_000)) == 1500


def test_a_side_whose_sample_is_short_gives_the_rest_to_the_other():
    columns = {"x": ColumnProfile("x")}
    big = DatasetProfile(columns, 10_000, {"x": np.arange(100.0)}, 10_000)
    small = DatasetProfile(columns, 1900, {"x": 1000 + np.arange(1900.0)}, 1900)
    s = big.merge(small).sample["x"]
    # total 2000; big's share round(2000 * 10000 / 11900) = 1681 is more than its 100 rows: it keeps 100
    assert s.size == 2000 and int(np.sum(s < 1000)) == 100 and int(np.sum(s >= 1000)) == 1900


def test_the_empty_profile_is_the_identity_of_merge():
    p = profile_table(pa.table({"x": [1.0, 2.0]}))
    for m in (DatasetProfile.zero().merge(p), p.merge(DatasetProfile.zero()), merge_profiles([p])):
        assert (m.item_count, m.sample_seen, m.column_names) == (2, 2, ["x"])
        np.testing.assert_array_equal(m.sample["x"], [1.0, 2.0])
    z = DatasetProfile.zero().merge(DatasetProfile.zero())
    assert (z.item_count, z.sample_seen, dict(z.sample), z.sample_size) == (0, 0, {}, 0)


def test_profile_tables_folds_every_chunk():
    m = profile_tables(pa.table({"x": [float(i)] * (i + 1)}) for i in range(4))
    assert m.item_count == 10 and m.columns["x"].n_numeric == 10 and m.columns["x"].total == 20.0
    np.testing.assert_array_equal(m.sample["x"], [0, 1, 1, 2, 2, 2, 3, 3, 3, 3])


def test_the_sample_matrix_has_a_nan_column_for_an_unknown_name():
    p = profile_table(pa.table({"x": [1.0, 2.0], "y": [3.0, None]}))
    np.testing.assert_array_equal(p.sample_matrix(["y", "nope", "x"]),
                                  [[3.0, math.nan, 1.0], [math.nan, math.nan, 2.0]])
    assert p.sample_matrix([]).shape == (0, 0)
    assert p.sample_matrix(iter(["x"])).shape == (2, 1)


def test_a_side_kept_whole_draws_nothing_and_the_other_side_draws_first():
    # the left sample is kept whole (100 rows for a 1333-row share), so the draw seeded by the rows seen
    # (15000) picks the right side's 1900 of 2000 rows
    columns = {"x": ColumnProfile("x")}
    left = DatasetProfile(columns, 10_000, {"x": np.arange(100.0)}, 10_000)
    right = DatasetProfile(columns, 5_000, {"x": 1000 + np.arange(2000.0)}, 5_000)
    s = left.merge(right).sample["x"]
    picked = np.sort(np.random.default_rng(15_000).choice(2000, 1900, replace=False))
    np.testing.assert_array_equal(s, np.concatenate([np.arange(100.0), 1000 + picked]))
