"""Pieces of the sagemaker-runtime provider that need no running LocalStack."""

import io

import pytest

pytest.importorskip("localstack", reason="the provider modules import LocalStack (extra 'localstack')")

from sagewatch.localstack.runtime.errors import ModelError, ValidationError, endpoint_not_found, model_error  # noqa: E402
from sagewatch.localstack.runtime.provider import SageMakerRuntimeProvider, _choose_variant, _read_body  # noqa: E402
from sagewatch.localstack.sagemaker.provider import SageMakerProvider  # noqa: E402

CONFIG = {"ProductionVariants": [
    {"VariantName": "Blue", "ModelName": "blue-model", "InitialVariantWeight": 1.0},
    {"VariantName": "Green", "ModelName": "green-model", "InitialVariantWeight": 0.0},
]}


def test_endpoint_not_found_is_worded_as_aws():
    error = endpoint_not_found("my-endpoint", "000000000000")
    assert isinstance(error, ValidationError)
    assert (error.code, error.status_code) == ("ValidationError", 400)
    assert error.message == "Endpoint my-endpoint of account 000000000000 not found."


def test_model_error_from_model_code():
    error = model_error(500, "boom", "model.log")
    assert isinstance(error, ModelError)
    assert (error.code, error.status_code) == ("ModelError", 424)
    assert error.message == 'Received server error (500) from primary with message "boom". See model.log for more information.'
    assert (error.OriginalStatusCode, error.OriginalMessage) == (500, "boom")
    assert model_error(415, "bad type").message.startswith("Received client error (415)")


def test_model_error_from_sagewatch_keeps_its_message():
    assert model_error(500, "cannot run image x", from_model=False).message == "cannot run image x"


def test_choose_variant_by_target():
    endpoint = {"EndpointName": "e", "ProductionVariants": [{"VariantName": "Blue"}, {"VariantName": "Green"}]}
    assert _choose_variant(endpoint, CONFIG, "Green") == ("Green", "green-model")


def test_choose_variant_follows_weights():
    endpoint = {"EndpointName": "e", "ProductionVariants": [
        {"VariantName": "Blue", "CurrentWeight": 1.0}, {"VariantName": "Green", "CurrentWeight": 0.0}]}
    assert {_choose_variant(endpoint, CONFIG, None) for _ in range(50)} == {("Blue", "blue-model")}


def test_choose_variant_falls_back_to_config_weights():
    assert _choose_variant({"EndpointName": "e"}, CONFIG, None) == ("Blue", "blue-model")


def test_choose_variant_unknown_target():
    with pytest.raises(ValidationError, match="Endpoint e has no production variant Red"):
        _choose_variant({"EndpointName": "e"}, CONFIG, "Red")


@pytest.mark.parametrize("body, expected", [(None, b""), (b"x", b"x"), ("é", "é".encode()), (io.BytesIO(b"s"), b"s")])
def test_read_body(body, expected):
    assert _read_body(body) == expected


def test_dispatch_tables_cover_every_operation():
    from localstack.aws.spec import load_service

    sagemaker = SageMakerProvider().dispatch_table()
    assert set(sagemaker) == set(load_service("sagemaker").operation_names)
    runtime = SageMakerRuntimeProvider().dispatch_table()
    assert set(runtime) == {"InvokeEndpoint", "InvokeEndpointAsync", "InvokeEndpointWithResponseStream"}
    assert runtime["InvokeEndpoint"].__name__ == "invoke_endpoint"


def test_overriding_an_unknown_operation_is_an_error():
    class Broken(SageMakerProvider):
        def overrides(self):
            return {"NoSuchOperation": lambda context, request: {}}

    with pytest.raises(ValueError, match="NoSuchOperation"):
        Broken().dispatch_table()
