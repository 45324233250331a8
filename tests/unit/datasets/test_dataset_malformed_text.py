"""Malformed CSV and JSON datasets end in a named error or a counted skip (issue 11 §4, §5)."""

from __future__ import annotations

import gzip
import subprocess
import sys
import textwrap

import pyarrow as pa
import pytest

from sagewatch.datasets.jsonfile import MAX_JSON_DEPTH, json_depths  # noqa: F401
from sagewatch.datasets.readers import iter_dataset
from sagewatch.errors import DatasetError, SchemaError

CSV = {"csv": {"header": True}}
LINES = {"json": {"lines": True}}
ARRAY = {"json": {"lines": False}}


def _read(source, fmt=CSV):
    reader = iter_dataset(source, fmt)
    table = pa.concat_tables(list(reader), promote_options="permissive")
    return table.to_pydict(), reader.skips.to_dict()


def test_csv_header_only_without_final_newline_has_no_rows(tmp_path):
    (tmp_path / "a.csv").write_bytes(b"a,b")
    (tmp_path / "b.csv").write_bytes(b"a,b\n1,2\n")
    assert _read(tmp_path) == ({"a": ["1"], "b": ["2"]}, {})
    with pytest.raises(DatasetError, match="no records could be read"):
        _read(tmp_path / "a.csv")


def test_csv_cr_only_line_ends_are_read(tmp_path):
    (tmp_path / "a.csv").write_bytes(b"a,b\r1,2\r3,4\r")
    assert _read(tmp_path) == ({"a": ["1", "3"], "b": ["2", "4"]}, {})


def test_csv_header_field_over_128_kib(tmp_path):
    name = "x" * (200 * 1024)
    (tmp_path / "a.csv").write_text(f"{name},b\n1,2\n")
    data, skips = _read(tmp_path)
    assert list(data) == [name, "b"] and data[name] == ["1"] and skips == {}


def test_csv_latin1_byte_is_a_counted_skip(tmp_path):
    (tmp_path / "a.csv").write_bytes(b"a,b\n1,caf\xe9\n2,ok\n3,fin\xc3\xa9\n")
    assert _read(tmp_path) == ({"a": ["2", "3"], "b": ["ok", "finé"]}, {"not_utf8": 1})


def test_csv_bad_bytes_split_across_neighbouring_values(tmp_path):
    # value 1 ends with a lead byte, value 2 starts with its continuation: each is invalid alone
    (tmp_path / "a.csv").write_bytes(b"a,b\nx\xc3,\xa9y\nok,fine\n")
    assert _read(tmp_path) == ({"a": ["ok"], "b": ["fine"]}, {"not_utf8": 1})


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_csv_utf16_and_utf32_with_a_byte_order_mark_are_decoded(tmp_path, encoding):
    text = "a,b\n1,é\n3,4\n"
    data = text.encode(encoding) if encoding != "utf-16-be" else b"\xfe\xff" + text.encode(encoding)
    (tmp_path / "a.csv").write_bytes(data)
    assert _read(tmp_path) == ({"a": ["1", "3"], "b": ["é", "4"]}, {})


def test_csv_utf16_without_byte_order_mark_is_refused_naming_the_file(tmp_path):
    (tmp_path / "a.csv").write_bytes("a,b\n1,2\n".encode("utf-16-le"))
    with pytest.raises(SchemaError, match=r"a\.csv: binary data, not CSV text"):
        _read(tmp_path)


def test_csv_unclosed_quote_is_an_error_naming_its_line(tmp_path):
    (tmp_path / "a.csv").write_bytes(b'a,b\n0,ok\n1,"x\n2,y\n3,z\n')
    with pytest.raises(SchemaError, match=r"a\.csv, line 3: a quoted field opened on this line is never closed"):
        _read(tmp_path)


def test_csv_quoted_line_break_in_the_last_record_is_kept(tmp_path):
    (tmp_path / "a.csv").write_bytes(b'a,b\n1,"x\ny"\n')
    assert _read(tmp_path) == ({"a": ["1"], "b": ["x\ny"]}, {})


def test_csv_blank_first_line_keeps_the_rows_of_the_file(tmp_path):
    (tmp_path / "a.csv").write_bytes(b"a,b\n1,2\n")
    (tmp_path / "b.csv").write_bytes(b"\n  \r\na,b\n3,4\n5,6\n")
    assert _read(tmp_path) == ({"a": ["1", "3", "5"], "b": ["2", "4", "6"]}, {})


def test_csv_duplicate_header_names_are_an_error_naming_file_and_field(tmp_path):
    (tmp_path / "a.csv").write_bytes(b"a,b,a\n1,2,3\n")
    with pytest.raises(SchemaError, match=r"a\.csv, line 1, field 'a': duplicate column name"):
        _read(tmp_path)


def test_truncated_gzip_is_an_error_naming_the_file(tmp_path):
    body = b"a,b\n" + b"".join(b"%d,%d\n" % (i, i * 7919 % 10007) for i in range(100_000))
    packed = gzip.compress(body)
    (tmp_path / "a.csv.gz").write_bytes(packed[: len(packed) // 2])
    with pytest.raises(DatasetError, match=r"a\.csv\.gz: cannot decompress the file"):
        _read(tmp_path)


def test_fake_gzip_is_an_error_naming_the_file(tmp_path):
    (tmp_path / "a.csv.gz").write_bytes(b"a,b\n1,2\n")
    with pytest.raises(DatasetError, match=r"a\.csv\.gz: cannot decompress the file.*not \.gz data"):
        _read(tmp_path)


@pytest.mark.parametrize("fmt", [CSV, LINES, ARRAY])
def test_binary_junk_file_in_a_folder_is_an_error_naming_it(tmp_path, fmt):
    (tmp_path / "a.csv").write_bytes(b"a,b\n1,2\n")
    (tmp_path / "junk.bin").write_bytes(bytes(range(256)) * 8)
    with pytest.raises(SchemaError, match=r"junk\.bin: binary data"):
        _read(tmp_path, fmt)


def test_json_lines_bare_values_are_counted_skips(tmp_path):
    (tmp_path / "d.jsonl").write_text('{"a": 1}\n1\nnull\n"x"\n[1, 2]\ntrue\n{"a": 2}\nnot json\n')
    assert _read(tmp_path, LINES) == ({"a": [1, 2]}, {"bad_json": 1, "not_a_record": 5})


def test_json_lines_file_of_only_null_is_an_error_with_the_count(tmp_path):
    (tmp_path / "d.jsonl").write_text("null\n")
    with pytest.raises(DatasetError, match="not_a_record': 1"):
        _read(tmp_path, LINES)


def test_json_lines_file_of_only_empty_objects_says_the_records_hold_no_fields(tmp_path):
    (tmp_path / "d.jsonl").write_text("{}\n{}\n")
    with pytest.raises(DatasetError, match=r"2 records in 1 files, none skipped: the records hold no fields$"):
        _read(tmp_path, LINES)


def test_json_lines_latin1_line_is_a_counted_skip(tmp_path):
    (tmp_path / "d.jsonl").write_bytes(b'{"a": "caf\xe9"}\n{"a": "ok"}\n')
    assert _read(tmp_path, LINES) == ({"a": ["ok"]}, {"not_utf8": 1})


def test_json_lines_nested_100000_deep_is_a_counted_skip(tmp_path):
    deep = "[" * 100_000 + "]" * 100_000
    (tmp_path / "d.jsonl").write_text('{"a": 1}\n' + deep + '\n{"a": {"b": ' + deep + "}}\n")
    assert _read(tmp_path, LINES) == ({"a": [1]}, {"too_deep": 2})


def test_json_depth_bound_is_inclusive(tmp_path):
    def nested(depth):  # an object holding lists, depth levels in all
        return '{"a": ' + "[" * (depth - 1) + "1" + "]" * (depth - 1) + "}"

    (tmp_path / "d.jsonl").write_text(nested(MAX_JSON_DEPTH) + "\n" + nested(MAX_JSON_DEPTH + 1) + "\n")
    data, skips = _read(tmp_path, LINES)
    assert skips == {"too_deep": 1} and len(data) == 1


def test_json_depths_ignore_brackets_inside_strings():
    text = '{"s": "' + "[" * 200 + '\\"[", "t": [[1]]}'
    assert json_depths(pa.array([text, "[" * 70 + "]" * 70, "1", ""])).tolist() == [3, 70, 0, 0]


def _run_isolated(code: str) -> subprocess.CompletedProcess:
    # pyarrow's JSON parser kills the process on very deep input: run where a crash cannot take pytest down
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=120)


def test_json_array_file_nested_100000_deep_does_not_crash(tmp_path):
    (tmp_path / "d.json").write_text("[" + '{"a": 1}, ' + "[" * 100_000 + "]" * 100_000 + "]")
    done = _run_isolated(f"""
        import pyarrow as pa
        from sagewatch.datasets.readers import iter_dataset
        reader = iter_dataset({str(tmp_path)!r}, {ARRAY!r})
        print(pa.concat_tables(list(reader)).to_pydict(), reader.skips.to_dict())
    """)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "{'a': [1]} {'too_deep': 1}"


def test_json_array_items_are_split_outside_strings(tmp_path):
    (tmp_path / "d.json").write_text('[\n {"a": "x,]\\"}", "b": [1, 2]},\r\n {"a": "y"} ,{"a": "[{"}\n]\n')
    assert _read(tmp_path, ARRAY) == ({"a": ['x,]"}', "y", "[{"], "b.0": [1, None, None],
                                       "b.1": [2, None, None]}, {})


@pytest.mark.parametrize("text, message", [
    ('[{"a": 1}', "the array is never closed"),
    ('[{"a": 1}] {"b": 2}', "unexpected data after the array"),
    ('[{"a": 1}}', "brackets do not match"),
])
def test_json_array_file_that_is_not_one_array_names_the_file(tmp_path, text, message):
    (tmp_path / "d.json").write_text(text)
    with pytest.raises(SchemaError, match=rf"d\.json: not a JSON array: {message}"):
        _read(tmp_path, ARRAY)


def test_json_array_bad_item_is_a_counted_skip(tmp_path):
    (tmp_path / "d.json").write_text('[{"a": 1}, {"a": nope}, {"a": 2}]')
    assert _read(tmp_path, ARRAY) == ({"a": [1, 2]}, {"bad_json": 1})


def test_json_utf16_file_is_refused_naming_the_file(tmp_path):
    (tmp_path / "d.jsonl").write_bytes('{"a": 1}\n'.encode("utf-16"))
    with pytest.raises(SchemaError, match=r"d\.jsonl: JSON text must be UTF-8"):
        _read(tmp_path, LINES)


def test_every_dataset_skip_reason_is_documented():
    from pathlib import Path

    from sagewatch.datasets import textfiles

    decisions = (Path(__file__).resolve().parents[3] / "docs" / "decisions.md").read_text(encoding="utf-8")
    for reason in (textfiles.NOT_UTF8, textfiles.NOT_A_RECORD, textfiles.TOO_DEEP, "wrong_width", "bad_json"):
        assert f"`{reason}`" in decisions, reason
    assert f"deeper than {MAX_JSON_DEPTH} levels" in decisions


def test_json_depth_of_a_text_longer_than_one_scan_piece(monkeypatch):
    from sagewatch.datasets import jsonfile

    monkeypatch.setattr(jsonfile, "_SCAN_BYTES", 64)
    text = '{"s": "' + "\\\\" * 40 + '\\"[[[[", "a": ' + "[" * 100 + "]" * 100 + "}"
    shallow = "[" + ",".join(['{"a": [1]}'] * 40) + "]"
    assert json_depths(pa.array([text, shallow])).tolist() == [101, 3]


def test_preprocessed_csv_reads_cr_only_lines_and_counts_latin1_lines(tmp_path):
    from sagewatch.datasets.formats import CsvFormat

    (tmp_path / "d.csv").write_bytes(b"\r\na,b\r1,2\r3,caf\xe9\r4,5\r")
    reader = iter_dataset(tmp_path, CsvFormat(header=True), preprocessor=lambda line: {"raw": line})
    assert pa.concat_tables(list(reader)).to_pydict() == {"raw": ["1,2", "4,5"]}
    assert reader.skips.to_dict() == {"not_utf8": 1}


@pytest.mark.parametrize("name, text, skips", [
    ("d.jsonl", b'{"a": 1}\n' + b"[" * 100_000 + b"]" * 100_000 + b'\n{"a": "caf\xe9"}\n',
     {"too_deep": 1, "not_utf8": 1}),
    ("d.json", b'[{"a": 1}, ' + b"[" * 100_000 + b"]" * 100_000 + b"]", {"too_deep": 1}),
])
def test_preprocessed_json_counts_too_deep_and_not_utf8_records(tmp_path, name, text, skips):
    from sagewatch.datasets.formats import JsonFormat

    (tmp_path / name).write_bytes(text)
    reader = iter_dataset(tmp_path, JsonFormat(lines=name.endswith("l")), preprocessor=lambda obj: obj)
    assert pa.concat_tables(list(reader)).to_pydict() == {"a": [1]}
    assert reader.skips.to_dict() == skips
