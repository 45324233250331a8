"""Parquet files that used to crash or lose data (issue 11 §4, §5)."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sagewatch.datasets.readers import iter_dataset
from sagewatch.errors import SchemaError
from sagewatch.profile.columnar import profile_parquet_files
from sagewatch.profile.dataset import profile_table
from sagewatch.profile.infer import hex_text
from sagewatch.schemas.statistics import statistics_document

PARQUET = {"parquet": {}}


def _feature(profile, name):
    (feature,) = [f for f in statistics_document(profile)["features"] if f["name"] == name]
    return feature


def _write(path, table, **kwargs):
    pq.write_table(table, path, **kwargs)
    return path


def test_parquet_two_columns_of_one_name_are_an_error_naming_file_and_field(tmp_path):
    path = _write(tmp_path / "p.parquet", pa.table([pa.array([1, 2]), pa.array([3, 4])], names=["x", "x"]))
    with pytest.raises(SchemaError, match=r"p\.parquet, field 'x': two columns have this name"):
        profile_parquet_files([path])
    with pytest.raises(SchemaError, match=r"p\.parquet, field 'x': two columns have this name"):
        list(iter_dataset(tmp_path, PARQUET))


def test_parquet_uint64_max_is_profiled_as_integral(tmp_path):
    values = pa.array([2**64 - 1, 1, 5], pa.uint64())
    path = _write(tmp_path / "p.parquet", pa.table({"u": values}))
    for profile in (profile_parquet_files([path]), profile_table(pa.table({"u": values}))):
        feature = _feature(profile, "u")
        assert feature["inferred_type"] == "Integral"
        assert feature["numerical_statistics"]["max"] == float(2**64 - 1)
        assert feature["numerical_statistics"]["min"] == 1.0


def test_json_integers_beyond_2_pow_53_are_profiled(tmp_path):
    (tmp_path / "d.jsonl").write_text('{"a": 9007199254740993}\n{"a": 1}\n')
    table = pa.concat_tables(list(iter_dataset(tmp_path, {"json": {"lines": True}})))
    feature = _feature(profile_table(table), "a")
    assert feature["inferred_type"] == "Integral"
    assert feature["numerical_statistics"]["max"] == 9007199254740992.0


def test_parquet_non_utf8_binary_column_is_profiled_as_hex(tmp_path):
    values = pa.array([b"\xff\xfe", b"ok", None, b"\xff\xfe", b"12"], pa.binary())
    path = _write(tmp_path / "p.parquet", pa.table({"b": values}))
    feature = _feature(profile_parquet_files([path]), "b")
    assert feature["inferred_type"] == "String"
    strings = feature["string_statistics"]
    assert strings["common"] == {"num_present": 4, "num_missing": 1}
    buckets = {b["value"]: b["count"] for b in strings["distribution"]["categorical"]["buckets"]}
    assert buckets == {"0xfffe": 2, "0x6f6b": 1, "0x3132": 1}


def test_hex_text_of_sliced_and_fixed_size_binary():
    values = pa.array([b"\x00", None, b"\xab\xcd", b""], pa.binary())
    assert hex_text(values.slice(1)).to_pylist() == [None, "0xabcd", "0x"]
    assert hex_text(pa.array([b"ab", None], pa.binary(2))).to_pylist() == ["0x6162", None]
    assert hex_text(values.cast(pa.large_binary())).to_pylist() == ["0x00", None, "0xabcd", "0x"]


def test_a_file_that_is_not_parquet_is_an_error_naming_it(tmp_path):
    (tmp_path / "p.parquet").write_bytes(b"a,b\n1,2\n")
    with pytest.raises(SchemaError, match=r"p\.parquet: not a Parquet file"):
        list(iter_dataset(tmp_path, PARQUET))
    with pytest.raises(SchemaError, match=r"p\.parquet: not a Parquet file"):
        profile_parquet_files([tmp_path / "p.parquet"])


def test_a_damaged_parquet_file_is_an_error_naming_it(tmp_path):
    path = _write(tmp_path / "p.parquet", pa.table({"x": list(range(10_000))}), row_group_size=1000)
    data = bytearray(path.read_bytes())
    data[200:4000] = b"\x07" * 3800  # damage the first row groups, keep the footer
    path.write_bytes(bytes(data))
    with pytest.raises(SchemaError, match=r"p\.parquet: cannot read the Parquet data"):
        profile_parquet_files([path])
    with pytest.raises(SchemaError, match=r"p\.parquet: cannot read the Parquet data"):
        list(iter_dataset(tmp_path, PARQUET))
