"""Writers and small readers of schemas/: exact text of compact/Clarify JSON, constraint lookups, dataset_format
options and their error texts."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sagewatch.datasets.formats import CaptureJsonFormat, CsvFormat, JsonFormat, parse_dataset_format
from sagewatch.errors import SchemaError
from sagewatch.schemas.constraints import (Constraints, FeatureConstraint, MonitoringConfig,
                                           normalize_categorical_method, normalize_comparison_method)
from sagewatch.schemas.serialize import dumps_clarify, dumps_compact


# ------------------------------------------------------------------------------ serialize
def test_compact_json_has_no_spaces_and_keeps_unicode():
    assert dumps_compact({"a": [1, 2.5], "b": "Zürich ✓"}) == '{"a":[1,2.5],"b":"Zürich ✓"}'


def test_compact_and_clarify_json_unwrap_numpy_values():
    document = {"n": np.int64(3), "x": np.float32(0.5), "v": [np.int32(1)], "t": (np.float64(2.0),), 7: "k"}
    assert dumps_compact(document) == '{"n":3,"x":0.5,"v":[1],"t":[2.0],"7":"k"}'
    assert json.loads(dumps_clarify(document)) == {"n": 3, "x": 0.5, "v": [1], "t": [2.0], "7": "k"}


def test_numpy_strings_are_written_as_strings():
    assert dumps_compact({"s": np.str_("abc")}) == '{"s":"abc"}'


def test_clarify_json_is_indented_by_four_and_ascii_escaped():
    assert dumps_clarify({"a": {"b": [1]}, "c": "é"}) == \
        '{\n    "a": {\n        "b": [\n            1\n        ]\n    },\n    "c": "\\u00e9"\n}'


# ------------------------------------------------------------------------------ constraints.py
def test_categorical_method_errors_name_the_file_and_field():
    assert normalize_categorical_method(" chisquared ") == "ChiSquared"
    with pytest.raises(SchemaError) as info:
        normalize_categorical_method("KL")
    error = info.value
    assert (error.source, error.field) == ("monitoring_config", "categorical_drift_method")
    assert str(error) == ("monitoring_config, field 'categorical_drift_method': categorical_drift_method must be "
                          "LInfinity or ChiSquared, got 'KL'")
    with pytest.raises(SchemaError) as info:
        normalize_categorical_method("KL", "job settings")
    assert info.value.source == "job settings"


def test_comparison_method_errors_name_the_file_and_field():
    assert normalize_comparison_method("linf_robust") == "Robust"
    with pytest.raises(SchemaError) as info:
        normalize_comparison_method("Fancy")
    error = info.value
    assert (error.source, error.field) == ("monitoring_config", "comparison_method")
    assert str(error).startswith("monitoring_config, field 'comparison_method': ") and "'Fancy'" in str(error)
    with pytest.raises(SchemaError) as info:
        normalize_comparison_method("Fancy", "c.json")
    assert info.value.source == "c.json"


def test_monitoring_config_from_a_block():
    config = MonitoringConfig.from_dict({"emit_metrics": "Disabled", "datatype_check_threshold": 0.5,
                                         "distribution_constraints": {"comparison_threshold": 0.2}})
    assert config == MonitoringConfig(emit_metrics=False, datatype_check_threshold=0.5, comparison_threshold=0.2,
                                      categorical_comparison_threshold=0.2)
    assert MonitoringConfig.from_dict(None) == MonitoringConfig() == MonitoringConfig.from_dict({})


def test_monitoring_config_errors_name_where_it_came_from():
    with pytest.raises(SchemaError) as info:
        MonitoringConfig.from_dict({"emit_metrics": "sometimes"}, where="job.json")
    assert info.value.source == "job.json" and info.value.field == "emit_metrics"
    assert str(info.value) == "job.json, field 'emit_metrics': expected 'Enabled' or 'Disabled', found the string " \
                              "'sometimes'"
    with pytest.raises(SchemaError) as info:
        MonitoringConfig.from_dict({"emit_metrics": 1})
    assert info.value.source == "constraints.json"


def test_feature_lookup_by_name():
    a, b = FeatureConstraint("a", "Integral"), FeatureConstraint("b", "String")
    constraints = Constraints((a, b))
    assert constraints.feature("b") is b and constraints.feature("a") is a
    assert constraints.feature("c") is None
    assert Constraints(()).feature("a") is None


def test_domain_items_that_are_not_strings_are_named_by_position():
    document = {"features": [{"name": "c", "inferred_type": "String",
                              "string_constraints": {"domains": ["a", "b", 3]}}]}
    with pytest.raises(SchemaError) as info:
        Constraints.from_dict(document, source="c.json")
    assert str(info.value) == "c.json, field 'features[0].string_constraints.domains[2]': expected a string, " \
                              "found the number 3"


# ------------------------------------------------------------------------------ dataset_format options
@pytest.mark.parametrize(("text", "header"), [("true", True), (" TRUE ", True), ("False", False), ("false\n", False)])
def test_csv_header_as_text_in_any_case(text, header):
    assert parse_dataset_format({"csv": {"header": text}}) == CsvFormat(header=header)


@pytest.mark.parametrize("value", ["yes", "1", "", 0])
def test_csv_header_other_values_are_errors(value):
    with pytest.raises(SchemaError) as info:
        parse_dataset_format({"csv": {"header": value}})
    assert str(info.value).startswith("dataset_format, field 'csv.header': expected true or false, found ")


@pytest.mark.parametrize(("text", "position"), [("start", "START"), (" End ", "END")])
def test_output_columns_position_in_any_case(text, position):
    assert parse_dataset_format({"csv": {"output_columns_position": text}}).output_columns_position == position


def test_output_columns_position_error_text():
    with pytest.raises(SchemaError) as info:
        parse_dataset_format({"csv": {"output_columns_position": "MIDDLE"}})
    assert str(info.value) == ("dataset_format, field 'csv.output_columns_position': expected START or END, "
                               "found the string 'MIDDLE'")


def test_json_lines_option():
    assert parse_dataset_format({"json": {}}) == JsonFormat(True)
    assert parse_dataset_format({"json": {"lines": "false"}}) == JsonFormat(False)


def test_capture_index_names_are_kept():
    fmt = parse_dataset_format({"sagemakerCaptureJson": {"captureIndexNames": ["endpointOutput"]}})
    assert fmt == CaptureJsonFormat(capture_index_names=("endpointOutput",))


@pytest.mark.parametrize("value", [[], "endpointInput", {"a": 1}])
def test_capture_index_names_must_be_a_non_empty_list(value):
    with pytest.raises(SchemaError) as info:
        parse_dataset_format({"sagemakerCaptureJson": {"captureIndexNames": value}})
    assert str(info.value).startswith("dataset_format, field 'sagemakerCaptureJson.captureIndexNames': expected a "
                                      "non-empty list of names, found ")


@pytest.mark.parametrize(("names", "position", "found"), [
    (["endpointInput", ""], 1, "the string ''"), (["endpointInput", 3], 1, "the number 3"),
    ([None], 0, "null"),
])
def test_capture_index_names_items_are_named_by_position(names, position, found):
    with pytest.raises(SchemaError) as info:
        parse_dataset_format({"sagemakerCaptureJson": {"captureIndexNames": names}})
    assert str(info.value) == (f"dataset_format, field 'sagemakerCaptureJson.captureIndexNames[{position}]': "
                               f"expected a non-empty string, found {found}")
