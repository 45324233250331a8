"""dataset_format parsing (contract §4.2)."""

from __future__ import annotations

import json

import pytest

from sagewatch.datasets.formats import (
    CaptureJsonFormat,
    CsvFormat,
    JsonFormat,
    MergeJsonFormat,
    ParquetFormat,
    parse_dataset_format,
)
from sagewatch.errors import DatasetError


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('{"csv": {"header": true, "output_columns_position": "START"}}', CsvFormat(True, "START")),
        ('{"csv":{"header":false}}', CsvFormat(False, "START")),
        ({"csv": {}}, CsvFormat(True, "START")),
        ({"csv": {"header": "False", "output_columns_position": "end"}}, CsvFormat(False, "END")),
        ('{"json": {"lines": true}}', JsonFormat(True)),
        ('{"json":{"line":false}}', JsonFormat(False)),
        ({"json": None}, JsonFormat(True)),
        ('{"parquet":{}}', ParquetFormat()),
        ('{"sagemakerCaptureJson": {"captureIndexNames": ["endpointInput","endpointOutput"]}}',
         CaptureJsonFormat(("endpointInput", "endpointOutput"))),
        ('{"sagemakerCaptureJson": {}}', CaptureJsonFormat(("endpointInput", "endpointOutput"))),
        ('{"sagemakerMergeJson":{"captureIndexNames":["endpointOutput"]}}', MergeJsonFormat(("endpointOutput",))),
        ({"csv": {"header": True, "compression": "Gzip"}}, CsvFormat(True, "START")),
    ],
)
def test_parse_known_formats(value, expected):
    parsed = parse_dataset_format(value)
    assert parsed == expected and type(parsed) is type(expected)
    assert parse_dataset_format(parsed) is parsed


def test_round_trip_through_to_json():
    for fmt in (CsvFormat(False, "END"), JsonFormat(False), ParquetFormat(), MergeJsonFormat(("endpointOutput",))):
        assert parse_dataset_format(fmt.to_json()) == fmt
    assert CsvFormat().to_json() == '{"csv": {"header": true, "output_columns_position": "START"}}'


def test_unknown_format_lists_the_known_ones():
    with pytest.raises(DatasetError) as info:
        parse_dataset_format('{"avro": {}}')
    message = str(info.value)
    assert "'avro'" in message
    for known in ("csv", "json", "parquet", "sagemakerCaptureJson", "sagemakerMergeJson"):
        assert known in message


@pytest.mark.parametrize(
    "value",
    [
        "{nope",
        "[]",
        json.dumps({"csv": {}, "json": {}}),
        {"csv": {"header": "maybe"}},
        {"csv": {"output_columns_position": "MIDDLE"}},
        {"csv": []},
        {"sagemakerCaptureJson": {"captureIndexNames": "endpointInput"}},
        {"sagemakerCaptureJson": {"captureIndexNames": []}},
    ],
)
def test_bad_formats_raise_dataset_error(value):
    with pytest.raises(DatasetError):
        parse_dataset_format(value)
