"""The one JSON file reader: every failure names the file, and a bad byte its line."""

from __future__ import annotations

import pytest

from sagewatch.errors import SchemaError
from sagewatch.schemas.files import parse_json_text, read_json_file


def test_folder_instead_of_a_file_gives_the_system_reason(tmp_path):
    with pytest.raises(SchemaError) as info:
        read_json_file(tmp_path, "baseline statistics")
    assert str(info.value) == f"{tmp_path}: cannot read baseline statistics: Is a directory"
    assert info.value.source == str(tmp_path)


@pytest.mark.parametrize(("data", "line"), [
    (b'{"a":\n\n"\xe9"}\n\n', 3), (b'\n{"a":\n"\xe9"}', 3), (b'\xe9\n\n', 1), (b'{}\n\n\n\xff', 4)])
def test_byte_that_is_not_utf8_is_located_by_line(tmp_path, data, line):
    path = tmp_path / "s.json"
    path.write_bytes(data)
    with pytest.raises(SchemaError) as info:
        read_json_file(path, "baseline statistics")
    offset = data.index(b"\xe9") if b"\xe9" in data else data.index(b"\xff")
    assert str(info.value) == (f"{path}, line {line}: baseline statistics is not UTF-8 text: byte "
                               f"0x{data[offset]:02x} at offset {offset} cannot be decoded")


def test_utf8_byte_order_mark_is_skipped(tmp_path):
    path = tmp_path / "s.json"
    path.write_bytes(b'\xef\xbb\xbf{"a": 1}')
    assert read_json_file(path, "x") == {"a": 1}


def test_integer_beyond_python_digit_limit_names_the_source():
    with pytest.raises(SchemaError) as info:
        parse_json_text("1" * 5000, source="s.json")
    assert str(info.value).startswith("s.json: invalid JSON: Exceeds the limit (4300 digits)")
    assert info.value.source == "s.json"


def test_malformed_json_gives_line_and_column():
    with pytest.raises(SchemaError) as info:
        parse_json_text('{\n  "a": }', source="s.json")
    assert str(info.value) == "s.json, line 2: invalid JSON: Expecting value (column 8)"
