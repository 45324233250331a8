"""iter_dataset over csv, json and parquet files (datasets/readers.py)."""

from __future__ import annotations

import gzip

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sagewatch.datasets.formats import CsvFormat
from sagewatch.datasets.readers import iter_dataset
from sagewatch.errors import DatasetError, InvalidParameterError


def test_csv_streams_in_chunks_whose_concatenation_is_the_whole(tmp_path):
    n = 300_000
    body = "".join(f"{i % 3},{i},v{i}\n" for i in range(n))
    (tmp_path / "big.csv").write_text("label,num,text\n" + body)
    reader = iter_dataset(tmp_path, CsvFormat(header=True), chunk_rows=70_000)
    chunks = list(reader)
    assert [c.num_rows for c in chunks] == [70_000] * 4 + [20_000]
    whole = pa.concat_tables(chunks)
    assert whole.column_names == ["label", "num", "text"]
    assert whole.schema.types == [pa.string()] * 3
    assert whole.column("num").to_pylist() == [str(i) for i in range(n)]
    assert whole.column("text")[n - 1].as_py() == f"v{n - 1}"
    assert reader.files_read == 1 and reader.rows == n and reader.skips.total() == 0


def test_csv_without_header_names_columns_positionally(tmp_path):
    (tmp_path / "a.csv").write_text('1,,x\n2,"b,c",\n')
    reader = iter_dataset(tmp_path / "a.csv", '{"csv": {"header": false}}')
    assert [t.to_pydict() for t in reader] == [{"_c0": ["1", "2"], "_c1": [None, "b,c"], "_c2": ["x", None]}]


def test_csv_values_stay_strings_and_wrong_width_rows_are_counted(tmp_path):
    (tmp_path / "a.csv").write_text("a,b\n1,2.5\n3\n,NaN\n4,5,6\n")
    reader = iter_dataset(tmp_path, {"csv": {"header": True}})
    assert pa.concat_tables(list(reader)).to_pydict() == {"a": ["1", None], "b": ["2.5", "NaN"]}
    assert reader.skips.to_dict() == {"wrong_width": 2}


def test_folder_is_read_recursively_in_sorted_order_skipping_hidden(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "2.csv").write_text("x\n2\n")
    (tmp_path / "a.csv").write_text("x\n1\n")
    (tmp_path / "c.csv.gz").write_bytes(gzip.compress(b"x\n3\n"))
    (tmp_path / ".hidden.csv").write_text("x\nH\n")
    (tmp_path / "_SUCCESS").write_text("")
    reader = iter_dataset(tmp_path, CsvFormat())
    assert [p.name for p in reader.files] == ["a.csv", "2.csv", "c.csv.gz"]
    assert pa.concat_tables(list(reader)).column("x").to_pylist() == ["1", "2", "3"]
    assert reader.files_read == 3


def test_json_lines(tmp_path):
    (tmp_path / "d.jsonl").write_text('{"a": 1, "b": {"c": "x"}}\n\n{"a": 2, "l": [1.5, 2.5]}\nnot json\n')
    reader = iter_dataset(tmp_path, {"json": {"lines": True}})
    table = pa.concat_tables(list(reader))
    assert table.to_pydict() == {"a": [1, 2], "b.c": ["x", None], "l.0": [None, 1.5], "l.1": [None, 2.5]}
    assert table.schema.field("a").type == pa.int64()
    assert reader.skips.to_dict() == {"bad_json": 1}


def test_json_array_file(tmp_path):
    (tmp_path / "d.json").write_text('[\n {"a": 1, "b": true},\n {"a": 2.5, "b": false}\n]\n')
    table = pa.concat_tables(list(iter_dataset(tmp_path, {"json": {"lines": False}})))
    assert table.to_pydict() == {"a": [1.0, 2.5], "b": [True, False]}


def test_json_array_items_that_are_not_objects_are_counted_skips(tmp_path):
    (tmp_path / "d.json").write_text('[[1, 2], {"a": 1}, 3, null, "x", {"a": 2}]')
    reader = iter_dataset(tmp_path, {"json": {"line": False}})
    assert pa.concat_tables(list(reader)).to_pydict() == {"a": [1, 2]}
    assert reader.skips.to_dict() == {"not_a_record": 4}


def test_json_lines_in_several_blocks(tmp_path):
    lines = "".join(f'{{"i": {i}, "s": "{"x" * 20}"}}\n' for i in range(2000))
    (tmp_path / "d.jsonl").write_text(lines)
    reader = iter_dataset(tmp_path, {"json": {"lines": True}}, block_bytes=4096, chunk_rows=500)
    chunks = list(reader)
    assert [c.num_rows for c in chunks] == [500] * 4
    assert pa.concat_tables(chunks).column("i").to_pylist() == list(range(2000))


def test_parquet_is_read_as_is_by_batches(tmp_path):
    table = pa.table({"x": pa.array(range(1000), pa.int32()), "y": [f"s{i}" for i in range(1000)]})
    pq.write_table(table, tmp_path / "p.parquet", row_group_size=100)
    chunks = list(iter_dataset(tmp_path, '{"parquet": {}}', chunk_rows=300))
    assert [c.num_rows for c in chunks] == [300, 300, 300, 100]
    assert pa.concat_tables(chunks).equals(table)


def test_empty_folder_and_missing_source(tmp_path):
    with pytest.raises(DatasetError, match="no data files found under"):
        iter_dataset(tmp_path, CsvFormat())
    (tmp_path / ".only-hidden").write_text("x\n1\n")
    with pytest.raises(DatasetError, match="no data files found under"):
        iter_dataset(tmp_path, CsvFormat())
    with pytest.raises(DatasetError, match="not found"):
        iter_dataset(tmp_path / "nope", CsvFormat())


def test_files_without_rows_raise_at_the_end(tmp_path):
    (tmp_path / "a.csv").write_text("x,y\n")
    (tmp_path / "b.csv").write_text("")
    reader = iter_dataset(tmp_path, CsvFormat())
    with pytest.raises(DatasetError, match="no records could be read from"):
        list(reader)
    assert reader.files_read == 2


def test_parameters_are_checked(tmp_path):
    (tmp_path / "a.csv").write_text("x\n1\n")
    with pytest.raises(InvalidParameterError):
        iter_dataset(tmp_path, CsvFormat(), chunk_rows=0)
    with pytest.raises(DatasetError, match="unknown dataset_format"):
        iter_dataset(tmp_path, {"orc": {}})
    with pytest.raises(DatasetError, match="preprocessor"):
        iter_dataset(tmp_path, {"parquet": {}}, preprocessor=lambda r: r)
