"""Every input file that is not UTF-8, not JSON or nested too deeply ends in one clear SchemaError (issue 11 §4)."""

from __future__ import annotations

import pytest

from sagewatch.datasets.formats import parse_dataset_format
from sagewatch.errors import DatasetError, SchemaError
from sagewatch.schemas.constraints import load_constraints, load_violations
from sagewatch.schemas.statistics import load_statistics

LOADERS = {"statistics.json": load_statistics, "constraints.json": load_constraints,
           "constraint_violations.json": load_violations}
DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize("name", sorted(LOADERS))
@pytest.mark.parametrize("text", [DEEP, '{"features": ' + DEEP + "}", '{"x": ' + "{\"a\": " * 100_000 + "1"])
def test_deeply_nested_json_is_a_schema_error(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SchemaError, match="nested too deeply") as info:
        LOADERS[name](path)
    assert info.value.source == str(path)


@pytest.mark.parametrize("name", sorted(LOADERS))
def test_non_utf8_file_is_a_schema_error(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b'{"features": [], "x": "caf\xe9"}')
    with pytest.raises(SchemaError, match=r"not UTF-8 text: byte 0xe9 at offset 26") as info:
        LOADERS[name](path)
    assert info.value.line == 1


@pytest.mark.parametrize("name", sorted(LOADERS))
@pytest.mark.parametrize(("content", "pattern"), [
    (b"", "invalid JSON: Expecting value"),
    (b"\x00\x01\x02", "invalid JSON"),
    (b'{"features": [1, 2', "invalid JSON"),
    (b"[]", "expected an object, found a list of 0 items"),
    (b"null", "expected an object, found null"),
    (b'{"features": [' + b"1" * 5000 + b"]}", "invalid JSON"),  # beyond Python's integer digit limit
])
def test_not_json_or_not_an_object_is_a_schema_error(tmp_path, name, content, pattern):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(SchemaError, match=pattern):
        LOADERS[name](path)


def test_directory_instead_of_a_file_is_a_schema_error(tmp_path):
    with pytest.raises(SchemaError, match="cannot read"):
        load_statistics(tmp_path)


def test_utf8_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "constraints.json"
    path.write_bytes(b'\xef\xbb\xbf{"features": []}')
    assert load_constraints(path).features == ()


@pytest.mark.parametrize("value", [DEEP, '{"csv": ' + DEEP + "}", b"\xff{}"])
def test_dataset_format_deep_or_not_utf8_is_one_clear_error(value):
    with pytest.raises(SchemaError) as info:
        parse_dataset_format(value)
    assert isinstance(info.value, DatasetError) and info.value.source == "dataset_format"
