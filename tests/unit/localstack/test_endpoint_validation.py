"""Request checks of the endpoint operations, worded as AWS's request validation words them."""

from __future__ import annotations

import pytest

pytest.importorskip("localstack", reason="the plugin modules import LocalStack (extra 'localstack')")

from localstack.aws.spec import load_service  # noqa: E402

from sagewatch.localstack.errors import ValidationException  # noqa: E402
from sagewatch.localstack.sagemaker.endpoints.validation import shape_errors  # noqa: E402

MODEL = load_service("sagemaker")
CAPTURE = MODEL.shape_for("DataCaptureConfig")
VARIANTS = MODEL.operation_model("CreateEndpointConfig").input_shape.members["ProductionVariants"]
GOOD = {"EnableCapture": True, "InitialSamplingPercentage": 20, "DestinationS3Uri": "s3://bucket/prefix",
        "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
        "CaptureContentTypeHeader": {"CsvContentTypes": ["text/csv"], "JsonContentTypes": ["application/json"]}}


def _errors(**changes):
    config = {**GOOD, **changes}
    return shape_errors({k: v for k, v in config.items() if v is not None}, CAPTURE, "dataCaptureConfig")


def test_a_valid_config_has_no_errors():
    assert _errors() == []
    assert _errors(InitialSamplingPercentage=0, CaptureOptions=[{"CaptureMode": "InputAndOutput"}],
                   DestinationS3Uri="https://bucket.s3.amazonaws.com/p", KmsKeyId="arn:aws:kms:us-east-1:1:key/a-b") \
        == []


@pytest.mark.parametrize("changes, expected", [
    ({"InitialSamplingPercentage": 100.5}, "Member must have value less than or equal to 100"),
    ({"InitialSamplingPercentage": None},
     "Value null at 'dataCaptureConfig.initialSamplingPercentage' failed to satisfy constraint: Member must not "
     "be null"),
    ({"DestinationS3Uri": None}, "Value null at 'dataCaptureConfig.destinationS3Uri'"),
    ({"CaptureOptions": None}, "Value null at 'dataCaptureConfig.captureOptions'"),
    ({"DestinationS3Uri": "bucket/prefix"}, "satisfy regular expression pattern: (https|s3)://([^/])/?(.*)"),
    ({"CaptureOptions": [{}]}, "Value null at 'dataCaptureConfig.captureOptions.1.member.captureMode'"),
    ({"CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "REQUEST"}]},
     "Value 'REQUEST' at 'dataCaptureConfig.captureOptions.2.member.captureMode'"),
    ({"CaptureContentTypeHeader": {"CsvContentTypes": ["text/" + "c" * 300]}},
     "Member must have length less than or equal to 256"),
    ({"CaptureContentTypeHeader": {"JsonContentTypes": ["json"]}},
     "Value 'json' at 'dataCaptureConfig.captureContentTypeHeader.jsonContentTypes.1.member'"),
    ({"KmsKeyId": "k" * 2049}, "Member must have length less than or equal to 2048"),
])
def test_data_capture_config_errors(changes, expected):
    errors = _errors(**changes)
    assert len(errors) == 1, errors
    assert expected in errors[0]


def test_variant_constraints():
    good = [{"VariantName": "AllTraffic", "ModelName": "m", "InitialInstanceCount": 1, "InitialVariantWeight": 1.0}]
    assert shape_errors(good, VARIANTS, "productionVariants") == []
    bad = [{"VariantName": "All_Traffic", "ModelName": "m", "InitialInstanceCount": 0, "InitialVariantWeight": -0.5}]
    errors = shape_errors(bad, VARIANTS, "productionVariants")
    assert [error.split("'")[3] for error in errors] == [
        "productionVariants.1.member.variantName", "productionVariants.1.member.initialInstanceCount",
        "productionVariants.1.member.initialVariantWeight"]
    assert "Value '-0.5'" in errors[2] and "greater than or equal to 0" in errors[2]


def test_constraint_exception_counts_the_errors():
    one = ValidationException.detected(["A"])
    assert (one.code, one.status_code, one.message) == ("ValidationException", 400, "1 validation error detected: A")
    assert ValidationException.detected(["A", "B"]).message == "2 validation errors detected: A; B"


def test_not_found_and_already_exists_wording():
    arn = "arn:aws:sagemaker:us-east-1:000000000000:endpoint/ep"
    assert ValidationException.could_not_find("endpoint", arn).message == f'Could not find endpoint "{arn}".'
    assert ValidationException.already_exists("endpoint", arn).message == f'Cannot create already existing endpoint "{arn}".'
