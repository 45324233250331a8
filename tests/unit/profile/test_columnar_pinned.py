"""Parquet profiled column by column, pinned against the table path: every row group gives the profile,
row count and uniform row sample that ``profile_table`` gives for the same rows; progress reports each
row group's rows; a damaged row group is a SchemaError naming the file."""

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sagewatch.defaults import SAMPLE_ROWS
from sagewatch.errors import SchemaError
from sagewatch.profile.columnar import profile_parquet_files
from sagewatch.profile.dataset import merge_profiles, profile_table

GROUP = SAMPLE_ROWS + 500  # row groups larger than the sample, so each is subsampled


def _table(rows: int) -> pa.Table:
    i = np.arange(rows, dtype=np.int64)
    return pa.table({
        "n": i * 7919 % 10007,                                   # integral
        "f": (i % 97) / 8.0,                                      # fractional
        "s": pa.array([str(v) if v % 5 else f"t{v}" for v in i % 50]),  # text, numeric in 4 rows of 5
    })


def _column_fields(p):
    return (p.name, p.n_missing, p.n_integral, p.n_fractional, p.n_string, p.total, p.mean, p.std_dev,
            p.minimum, p.maximum, dict(p.counts), p.sketch.levels() if p.sketch is not None else None)


def _assert_same(a, b):
    assert (a.item_count, a.sample_seen, a.column_names) == (b.item_count, b.sample_seen, b.column_names)
    for name in a.columns:
        assert _column_fields(a.columns[name]) == _column_fields(b.columns[name])
    assert set(a.sample) == set(b.sample)
    for name in a.sample:
        np.testing.assert_array_equal(a.sample[name], b.sample[name])


def test_each_row_group_profiles_and_samples_as_the_table_path(tmp_path):
    table = _table(2 * GROUP + 700)
    pq.write_table(table, tmp_path / "d.parquet", row_group_size=GROUP)
    seen = []
    got = profile_parquet_files([tmp_path / "d.parquet"], progress=seen.append)
    want = merge_profiles(profile_table(table.slice(o, GROUP), parallel=False) for o in (0, GROUP, 2 * GROUP))
    _assert_same(got, want)
    assert seen == [GROUP, GROUP, 700]
    assert got.item_count == 2 * GROUP + 700 and got.sample_size == SAMPLE_ROWS


def test_a_subsampled_row_group_keeps_distinct_rows_in_file_order(tmp_path):
    table = _table(GROUP)
    pq.write_table(table, tmp_path / "d.parquet", row_group_size=GROUP)
    got = profile_parquet_files([tmp_path / "d.parquet"])
    n = got.sample["n"]
    assert got.item_count == GROUP and got.sample_seen == GROUP and n.size == SAMPLE_ROWS
    rows = np.flatnonzero(np.isin(table.column("n").to_numpy(), n))  # n is a permutation of 0..10006
    assert rows.size == SAMPLE_ROWS  # drawn without replacement
    np.testing.assert_array_equal(n, table.column("n").to_numpy()[rows])  # in file order
    np.testing.assert_array_equal(got.sample["f"], table.column("f").to_numpy()[rows])  # one row set for all
    # the same rows on every run: the draw is seeded by the row count
    np.testing.assert_array_equal(n, profile_parquet_files([tmp_path / "d.parquet"]).sample["n"])
    np.testing.assert_array_equal(n, profile_table(table, parallel=False).sample["n"])


def test_text_columns_sample_their_numbers_and_nan_elsewhere(tmp_path):
    pq.write_table(pa.table({"s": ["1.5", "x", None, " 2 "]}), tmp_path / "d.parquet")
    got = profile_parquet_files([tmp_path / "d.parquet"])
    np.testing.assert_array_equal(got.sample["s"], [1.5, np.nan, np.nan, 2.0])
    s = got.columns["s"]
    assert (s.n_string, s.n_integral, s.n_fractional, s.n_missing) == (1, 1, 1, 1)
    assert dict(s.counts) == {"1.5": 1, "x": 1, "2": 1}  # counted trimmed


def test_several_files_merge_in_order_without_progress(tmp_path):
    pq.write_table(_table(300), tmp_path / "a.parquet")
    pq.write_table(_table(40).select(["f", "n"]), tmp_path / "b.parquet")
    got = profile_parquet_files([tmp_path / "a.parquet", str(tmp_path / "b.parquet")])
    want = profile_table(_table(300), parallel=False).merge(profile_table(_table(40).select(["f", "n"]),
                                                                          parallel=False))
    _assert_same(got, want)
    assert got.columns["s"].n_missing == 40 and got.item_count == 340


def test_no_files_is_the_empty_profile():
    got = profile_parquet_files([])
    assert (got.item_count, got.sample_seen, got.column_names, dict(got.sample)) == (0, 0, [], {})


def test_a_damaged_row_group_names_the_file_after_the_good_ones(tmp_path):
    pq.write_table(_table(3000).select(["n"]), tmp_path / "d.parquet", row_group_size=1500, compression="snappy")
    data = bytearray((tmp_path / "d.parquet").read_bytes())
    offset = pq.ParquetFile(tmp_path / "d.parquet").metadata.row_group(1).column(0).data_page_offset + 40
    data[offset:offset + 200] = b"\xff" * 200
    (tmp_path / "bad.parquet").write_bytes(bytes(data))
    seen = []
    with pytest.raises(SchemaError, match="cannot read the Parquet data") as info:
        profile_parquet_files([Path(tmp_path / "bad.parquet")], progress=seen.append)
    assert info.value.source == str(tmp_path / "bad.parquet")
    assert isinstance(info.value.__cause__, (OSError, pa.ArrowException))
    assert f"cannot read the Parquet data: {info.value.__cause__}" in str(info.value)  # pyarrow's reason kept
    assert seen == [1500]
