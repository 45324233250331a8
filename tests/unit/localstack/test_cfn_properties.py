"""CloudFormation properties to SageMaker requests: types, key spellings, CloudFormation-only shapes, names."""

from __future__ import annotations

import random
import re
from datetime import datetime, timedelta, timezone

import pytest

pytest.importorskip("localstack", reason="the plugin modules import LocalStack (extra 'localstack')")

from localstack.aws.spec import load_service  # noqa: E402

from sagewatch.localstack.cfn.properties import (  # noqa: E402
    PropertyError,
    iso_time,
    physical_name,
    tags_diff,
    to_api,
)

SAGEMAKER = load_service("sagemaker")
SAGEMAKER_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")


def _input(operation):
    return SAGEMAKER.operation_model(operation).input_shape


def test_numbers_and_booleans_given_as_strings_get_the_api_types():
    request = to_api({
        "EndpointConfigName": "config",
        "ProductionVariants": [{"VariantName": "A", "ModelName": "m", "InitialInstanceCount": "2",
                                "InitialVariantWeight": "0.25", "VolumeSizeInGB": 30.0, "EnableSSMAccess": "False"}],
        "DataCaptureConfig": {"EnableCapture": "true", "InitialSamplingPercentage": "100",
                              "DestinationS3Uri": "s3://b/p", "CaptureOptions": [{"CaptureMode": "Input"}]},
    }, _input("CreateEndpointConfig"))
    variant = request["ProductionVariants"][0]
    assert variant == {"VariantName": "A", "ModelName": "m", "InitialInstanceCount": 2, "InitialVariantWeight": 0.25,
                       "VolumeSizeInGB": 30, "EnableSSMAccess": False}
    assert type(variant["InitialInstanceCount"]) is int and type(variant["InitialVariantWeight"]) is float
    assert request["DataCaptureConfig"]["EnableCapture"] is True
    assert request["DataCaptureConfig"]["InitialSamplingPercentage"] == 100


def test_camel_case_keys_of_cdk_dicts_are_matched_to_the_api_members():
    request = to_api({"DataCaptureConfig": {"enableCapture": True, "initialSamplingPercentage": 20,
                                            "destinationS3Uri": "s3://b/p", "kmsKeyId": "key",
                                            "captureOptions": [{"captureMode": "Output"}],
                                            "captureContentTypeHeader": {"csvContentTypes": ["text/csv"]}}},
                     _input("CreateEndpointConfig"))
    assert request["DataCaptureConfig"] == {
        "EnableCapture": True, "InitialSamplingPercentage": 20, "DestinationS3Uri": "s3://b/p", "KmsKeyId": "key",
        "CaptureOptions": [{"CaptureMode": "Output"}], "CaptureContentTypeHeader": {"CsvContentTypes": ["text/csv"]}}


def test_model_environment_may_be_a_json_string_and_its_values_become_strings():
    shape = _input("CreateModel")
    as_text = to_api({"PrimaryContainer": {"Image": "i", "Environment": '{"A": 1, "B": "x"}'}}, shape)
    as_object = to_api({"PrimaryContainer": {"Image": "i", "Environment": {"A": 1, "B": True}}}, shape)
    assert as_text["PrimaryContainer"]["Environment"] == {"A": "1", "B": "x"}
    assert as_object["PrimaryContainer"]["Environment"] == {"A": "1", "B": "true"}


@pytest.mark.parametrize("parquet, expected", [(True, {"Parquet": {}}), ("true", {"Parquet": {}}), (False, {})])
def test_cloudformation_parquet_boolean_becomes_the_apis_empty_structure(parquet, expected):
    request = to_api({"DataQualityJobInput": {"BatchTransformInput": {
        "DataCapturedDestinationS3Uri": "s3://b/c", "LocalPath": "/opt/ml/processing/input",
        "DatasetFormat": {"Parquet": parquet}}}}, _input("CreateDataQualityJobDefinition"))
    assert request["DataQualityJobInput"]["BatchTransformInput"]["DatasetFormat"] == expected


def test_cloudformation_only_properties_are_left_out_when_ignored():
    properties = {"JobDefinitionName": "d", "EndpointName": "e", "JobDefinitionArn": "arn", "RoleArn": "r"}
    assert to_api(properties, _input("CreateDataQualityJobDefinition"),
                  ignore=("endpointname", "JobDefinitionArn")) == {"JobDefinitionName": "d", "RoleArn": "r"}


def test_none_values_are_dropped_and_numbers_for_strings_are_stringified():
    request = to_api({"ModelName": "m", "ExecutionRoleArn": None,
                      "Tags": [{"Key": "version", "Value": 3}]}, _input("CreateModel"))
    assert request == {"ModelName": "m", "Tags": [{"Key": "version", "Value": "3"}]}


@pytest.mark.parametrize("properties, path, text", [
    ({"ModelName": "m", "Colour": "red"}, "#", "extraneous key [Colour] is not permitted"),
    ({"PrimaryContainer": {"Image": "i", "Flavour": 1}}, "#/PrimaryContainer", "extraneous key [Flavour]"),
    ({"PrimaryContainer": "not json"}, "#/PrimaryContainer", "expected type: JSONObject, found: String"),
    ({"Containers": {"Image": "i"}}, "#/Containers", "expected type: JSONArray, found: JSONObject"),
    ({"EnableNetworkIsolation": "yes"}, "#/EnableNetworkIsolation", "expected type: Boolean"),
])
def test_what_the_api_cannot_take_is_a_property_error_with_its_path(properties, path, text):
    with pytest.raises(PropertyError) as caught:
        to_api(properties, _input("CreateModel"))
    assert caught.value.path == path
    assert text in str(caught.value)


@pytest.mark.parametrize("count", ["one", "1.5", True, [1]])
def test_integers_must_be_whole_numbers(count):
    with pytest.raises(PropertyError, match=r"#/ProductionVariants/0/InitialInstanceCount: expected type: Integer"):
        to_api({"ProductionVariants": [{"VariantName": "A", "InitialInstanceCount": count}]},
               _input("CreateEndpointConfig"))


def test_integers_accept_whole_floats_and_float_strings():
    request = to_api({"ProductionVariants": [{"VariantName": "A", "InitialInstanceCount": 3.0},
                                             {"VariantName": "B", "InitialInstanceCount": "4.0"}]},
                     _input("CreateEndpointConfig"))
    assert [v["InitialInstanceCount"] for v in request["ProductionVariants"]] == [3, 4]


def test_physical_name_follows_cloudformations_pattern():
    name = physical_name("monitoring-dev", "EndpointConfig")
    assert re.fullmatch(r"monitoring-dev-EndpointConfig-[A-Z0-9]{12}", name)
    assert physical_name("s", "Model") != physical_name("s", "Model")


@pytest.mark.parametrize("stack, logical", [
    ("s" * 128, "L" * 255),
    ("a-" * 40, "Endpoint"),  # the cut falls on a hyphen
    ("stack", "X"),
    ("", "OnlyLogical"),
])
def test_physical_name_fits_sagemakers_name_rules(stack, logical):
    name = physical_name(stack, logical, rng=random.Random(7))
    assert len(name) <= 63
    assert SAGEMAKER_NAME.match(name), name
    assert "--" not in name


def test_iso_time_is_utc_with_milliseconds():
    eastern = timezone(timedelta(hours=-5))
    assert iso_time(datetime(2024, 1, 2, 3, 4, 5, 678900, tzinfo=eastern)) == "2024-01-02T08:04:05.678Z"
    assert iso_time(datetime(2024, 1, 2, 3, 4, 5)) == "2024-01-02T03:04:05.000Z"  # naive: taken as UTC
    assert iso_time(0) == "1970-01-01T00:00:00.000Z"


def test_tags_diff_removes_missing_keys_and_sets_new_values():
    assert tags_diff(None, [{"Key": "a", "Value": "1"}]) == ([], [{"Key": "a", "Value": "1"}])
    assert tags_diff([{"Key": "a", "Value": "1"}], []) == (["a"], [])
    assert tags_diff([{"Key": "a", "Value": "1"}], [{"Key": "a", "Value": "1"}]) == ([], [])
