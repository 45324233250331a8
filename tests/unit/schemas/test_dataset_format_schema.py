"""dataset_format options are checked against their declared schema; errors name the option path (issue 11 §4)."""

from __future__ import annotations

import pytest

from sagewatch.datasets.formats import CaptureJsonFormat, JsonFormat, parse_dataset_format
from sagewatch.errors import DatasetError, SchemaError


@pytest.mark.parametrize(("value", "field", "found"), [
    ({"csv": {"header": "maybe"}}, "csv.header", "the string 'maybe'"),
    ({"csv": {"header": 1}}, "csv.header", "the number 1"),
    ({"csv": {"output_columns_position": 3}}, "csv.output_columns_position", "the number 3"),
    ({"csv": []}, "csv", "a list of 0 items"),
    ({"json": {"lines": "yes"}}, "json.lines", "the string 'yes'"),
    ({"parquet": "fast"}, "parquet", "the string 'fast'"),
    ({"sagemakerCaptureJson": {"captureIndexNames": "endpointInput"}}, "sagemakerCaptureJson.captureIndexNames",
     "the string 'endpointInput'"),
    ({"sagemakerMergeJson": {"captureIndexNames": ["endpointOutput", None]}},
     "sagemakerMergeJson.captureIndexNames[1]", "null"),
])
def test_bad_options_name_the_option(value, field, found):
    with pytest.raises(SchemaError) as info:
        parse_dataset_format(value)
    error = info.value
    assert isinstance(error, DatasetError)  # callers catching the old error type keep working
    assert error.source == "dataset_format" and error.field == field
    assert "expected" in str(error) and f"found {found}" in str(error)


@pytest.mark.parametrize("value", ["[]", "3", '"csv"', "{}", '{"csv": {}, "json": {}}'])
def test_not_exactly_one_format_is_a_schema_error(value):
    with pytest.raises(SchemaError, match="exactly one of") as info:
        parse_dataset_format(value)
    assert info.value.source == "dataset_format"


def test_liberal_forms_are_kept():
    assert parse_dataset_format({"json": {"line": "False"}}) == JsonFormat(False)
    assert parse_dataset_format({"json": {"lines": True, "line": False}}) == JsonFormat(True)
    assert parse_dataset_format({"sagemakerCaptureJson": None}) == CaptureJsonFormat()
