"""Endpoint control plane of the emulator, as a boto3 user sees it: statuses, validation, updates, deletion."""

from __future__ import annotations

import threading
from datetime import datetime

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from sw_endpoints import (
    ROLE,
    SKLEARN_IMAGE,
    XGBOOST_IMAGE,
    capture_config,
    constant_model_tarball,
    deploying,
    server_processes,
    tar_gz,
    trained_model_tarball,
    variant,
    wait_for_endpoint,
    wait_until,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def deployer(aws_client, bucket, unique_name):
    """Models, configs and endpoints of one test, deleted afterwards (before its bucket)."""
    yield from deploying(aws_client, bucket, unique_name)


ARN = "arn:aws:sagemaker:us-east-1:000000000000"


def _error(call):
    with pytest.raises(ClientError) as caught:
        call()
    response = caught.value.response
    return response["Error"]["Code"], response["Error"]["Message"], response["ResponseMetadata"]["HTTPStatusCode"]


# --- CreateEndpoint, DescribeEndpoint, ListEndpoints ------------------------------------------------------------


def test_endpoint_goes_from_creating_to_in_service(aws_client, deployer):
    sagemaker = aws_client("sagemaker")
    model = deployer.model(trained_model_tarball())
    config = deployer.config([variant(model)], capture_config(deployer.bucket, "dc", percentage=30))
    endpoint = deployer.endpoint(config, wait=False)
    first = sagemaker.describe_endpoint(EndpointName=endpoint)
    assert first["EndpointStatus"] == "Creating"
    assert first["ProductionVariants"][0]["VariantStatus"][0]["Status"] == "Creating"

    described = wait_for_endpoint(sagemaker, endpoint)
    assert described["EndpointStatus"] == "InService"
    assert described["EndpointArn"] == f"{ARN}:endpoint/{endpoint}"
    assert described["EndpointConfigName"] == config
    assert "FailureReason" not in described
    (summary,) = described["ProductionVariants"]
    assert summary["VariantName"] == "AllTraffic"
    assert (summary["CurrentWeight"], summary["DesiredWeight"]) == (1.0, 1.0)
    assert (summary["CurrentInstanceCount"], summary["DesiredInstanceCount"]) == (1, 1)
    assert summary["DeployedImages"][0]["SpecifiedImage"] == SKLEARN_IMAGE
    assert "VariantStatus" not in summary
    assert described["DataCaptureConfig"] == {
        "EnableCapture": True, "CaptureStatus": "Started", "CurrentSamplingPercentage": 30,
        "DestinationS3Uri": f"s3://{deployer.bucket}/dc"}
    assert described["LastModifiedTime"] >= described["CreationTime"]

    listed = sagemaker.list_endpoints(NameContains=endpoint)["Endpoints"]
    assert [(e["EndpointName"], e["EndpointStatus"]) for e in listed] == [(endpoint, "InService")]
    assert sagemaker.list_endpoints(NameContains=endpoint, StatusEquals="Creating")["Endpoints"] == []


def test_list_endpoints_pages_and_sorts(aws_client, deployer, unique_name):
    sagemaker = aws_client("sagemaker")
    config = deployer.config([variant(deployer.model(trained_model_tarball()))])
    tag = unique_name("list")
    names = [deployer.endpoint(config, wait=False, name=f"{tag}-{i}") for i in range(3)]
    for name in names:
        wait_for_endpoint(sagemaker, name)
    first = sagemaker.list_endpoints(NameContains=tag, SortBy="Name", SortOrder="Ascending", MaxResults=2)
    assert [e["EndpointName"] for e in first["Endpoints"]] == names[:2]
    rest = sagemaker.list_endpoints(NameContains=tag, SortBy="Name", SortOrder="Ascending", MaxResults=2,
                                    NextToken=first["NextToken"])
    assert [e["EndpointName"] for e in rest["Endpoints"]] == names[2:]
    assert "NextToken" not in rest
    assert len(sagemaker.list_endpoints(NameContains=tag, CreationTimeAfter=datetime(2020, 1, 1))["Endpoints"]) == 3
    assert sagemaker.list_endpoints(NameContains=tag, CreationTimeBefore=datetime(2020, 1, 1))["Endpoints"] == []
    newest_first = sagemaker.list_endpoints(NameContains=tag)["Endpoints"]
    assert [e["EndpointName"] for e in newest_first] == names[::-1]


def test_endpoint_whose_model_fails_to_load_is_failed_with_the_servers_reason(aws_client, deployer):
    sagemaker = aws_client("sagemaker")
    model = deployer.model(tar_gz({"model.joblib": b"this is not a pickle"}))
    endpoint = deployer.endpoint(deployer.config([variant(model)]), wait=False)
    described = wait_for_endpoint(sagemaker, endpoint)
    assert described["EndpointStatus"] == "Failed"
    reason = described["FailureReason"]
    assert reason.startswith("The primary container for production variant AllTraffic did not pass the ping")
    assert "Cannot load model.joblib" in reason  # the model server's own error text
    runtime = aws_client("sagemaker-runtime")
    code, message, status = _error(lambda: runtime.invoke_endpoint(EndpointName=endpoint, Body=b"1",
                                                                     ContentType="text/csv"))
    assert (code, status) == ("ValidationError", 400)
    assert message == f"Endpoint {endpoint} of account 000000000000 not found."


def test_script_that_fails_at_import_fails_the_endpoint(aws_client, deployer):
    sagemaker = aws_client("sagemaker")
    source = deployer.upload("broken/sourcedir.tar.gz", tar_gz({"inference.py": b"import no_such_module_here\n"}))
    model = deployer.model(trained_model_tarball(), environment={"SAGEMAKER_PROGRAM": "inference.py",
                                                                 "SAGEMAKER_SUBMIT_DIRECTORY": source})
    endpoint = deployer.endpoint(deployer.config([variant(model)]), wait=False)
    described = wait_for_endpoint(sagemaker, endpoint)
    assert described["EndpointStatus"] == "Failed"
    assert "No module named 'no_such_module_here'" in described["FailureReason"]


# --- CreateModel validation ---------------------------------------------------------------------------------


@pytest.mark.parametrize("image", [
    SKLEARN_IMAGE,
    XGBOOST_IMAGE,
    "662702820516.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-scikit-learn:1.0-1-cpu-py3",
    "451049120500.dkr.ecr.cn-north-1.amazonaws.com.cn/sagemaker-xgboost:1.7-1",
    "sagewatch-serving",
    "123456789012.dkr.ecr.us-east-1.amazonaws.com/team/sagewatch-serving:0.1.0",
    "ghcr.io/acme/sagewatch-serving@sha256:" + "a" * 64,
])
def test_create_model_accepts_servable_images(aws_client, deployer, image):
    name = deployer.model(trained_model_tarball(), image=image)
    assert aws_client("sagemaker").describe_model(ModelName=name)["PrimaryContainer"]["Image"] == image


@pytest.mark.parametrize("image", [
    "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.1-cpu-py310",
    "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn-extension:2.0",
    "my-own-image:latest",
])
def test_create_model_rejects_images_it_cannot_serve(aws_client, deployer, unique_name, image):
    sagemaker = aws_client("sagemaker")
    url = deployer.upload("m/model.tar.gz", trained_model_tarball())
    name = unique_name("model")
    code, message, status = _error(lambda: sagemaker.create_model(
        ModelName=name, ExecutionRoleArn=ROLE, PrimaryContainer={"Image": image, "ModelDataUrl": url}))
    assert (code, status) == ("ValidationException", 400)
    assert message.startswith(f"Requested image {image} not found")
    assert "SAGEWATCH_IMAGE_MAP" in message
    assert not sagemaker.list_models(NameContains=name)["Models"]


def test_create_model_rejects_missing_model_data(aws_client, deployer, unique_name):
    sagemaker = aws_client("sagemaker")
    url = f"s3://{deployer.bucket}/nothing/here/model.tar.gz"
    code, message, _ = _error(lambda: sagemaker.create_model(
        ModelName=unique_name("model"), ExecutionRoleArn=ROLE,
        PrimaryContainer={"Image": SKLEARN_IMAGE, "ModelDataUrl": url}))
    assert (code, message) == ("ValidationException", f"Could not find model data at {url}.")
    missing_bucket = f"s3://{unique_name('nobucket')}/model.tar.gz"
    code, message, _ = _error(lambda: sagemaker.create_model(
        ModelName=unique_name("model"), ExecutionRoleArn=ROLE,
        PrimaryContainer={"Image": SKLEARN_IMAGE, "ModelDataUrl": missing_bucket}))
    assert message == f"Could not find model data at {missing_bucket}."


def test_duplicate_names_are_rejected(aws_client, deployer):
    sagemaker = aws_client("sagemaker")
    model = deployer.model(trained_model_tarball())
    config = deployer.config([variant(model)])
    endpoint = deployer.endpoint(config, wait=False)
    url = f"s3://{deployer.bucket}/{model}/model.tar.gz"
    assert _error(lambda: sagemaker.create_model(
        ModelName=model, ExecutionRoleArn=ROLE, PrimaryContainer={"Image": SKLEARN_IMAGE, "ModelDataUrl": url}))[:2] \
        == ("ValidationException", f'Cannot create already existing model "{ARN}:model/{model}".')
    assert _error(lambda: sagemaker.create_endpoint_config(
        EndpointConfigName=config, ProductionVariants=[variant(model)]))[:2] \
        == ("ValidationException", f'Cannot create already existing endpoint configuration '
                                   f'"{ARN}:endpoint-config/{config}".')
    assert _error(lambda: sagemaker.create_endpoint(EndpointName=endpoint, EndpointConfigName=config))[:2] \
        == ("ValidationException", f'Cannot create already existing endpoint "{ARN}:endpoint/{endpoint}".')


# --- CreateEndpointConfig validation --------------------------------------------------------------------------

_AT = "failed to satisfy constraint: Member must"


@pytest.mark.parametrize("change, expected", [
    ({"InitialSamplingPercentage": 101},
     f"Value '101' at 'dataCaptureConfig.initialSamplingPercentage' {_AT} have value less than or equal to 100"),
    ({"InitialSamplingPercentage": -1},
     f"Value '-1' at 'dataCaptureConfig.initialSamplingPercentage' {_AT} have value greater than or equal to 0"),
    ({"InitialSamplingPercentage": None},
     f"Value null at 'dataCaptureConfig.initialSamplingPercentage' {_AT} not be null"),
    ({"DestinationS3Uri": "ftp://bucket/capture"},
     f"Value 'ftp://bucket/capture' at 'dataCaptureConfig.destinationS3Uri' {_AT} satisfy regular expression "
     "pattern: (https|s3)://([^/])/?(.*)"),
    ({"DestinationS3Uri": "s3://b/" + "x" * 510},
     f"at 'dataCaptureConfig.destinationS3Uri' {_AT} have length less than or equal to 512"),
    ({"CaptureOptions": []},
     f"Value '[]' at 'dataCaptureConfig.captureOptions' {_AT} have length greater than or equal to 1"),
    ({"CaptureOptions": [{"CaptureMode": "Input"}] * 33},
     f"at 'dataCaptureConfig.captureOptions' {_AT} have length less than or equal to 32"),
    ({"CaptureOptions": [{"CaptureMode": "Everything"}]},
     f"Value 'Everything' at 'dataCaptureConfig.captureOptions.1.member.captureMode' {_AT} satisfy enum value "
     "set: [Input, Output, InputAndOutput]"),
    ({"CaptureContentTypeHeader": {"CsvContentTypes": []}},
     f"Value '[]' at 'dataCaptureConfig.captureContentTypeHeader.csvContentTypes' {_AT} have length greater "
     "than or equal to 1"),
    ({"CaptureContentTypeHeader": {"JsonContentTypes": [f"application/x{i}" for i in range(11)]}},
     f"at 'dataCaptureConfig.captureContentTypeHeader.jsonContentTypes' {_AT} have length less than or equal "
     "to 10"),
    ({"CaptureContentTypeHeader": {"CsvContentTypes": ["text csv"]}},
     f"Value 'text csv' at 'dataCaptureConfig.captureContentTypeHeader.csvContentTypes.1.member' {_AT} satisfy "
     "regular expression pattern: [a-zA-Z0-9](-*[a-zA-Z0-9])*\\/[a-zA-Z0-9](-*[a-zA-Z0-9.])*"),
    ({"KmsKeyId": "not a key!"},
     f"Value 'not a key!' at 'dataCaptureConfig.kmsKeyId' {_AT} satisfy regular expression pattern: "
     "[a-zA-Z0-9:/_-]*"),
])
def test_create_endpoint_config_validates_data_capture_config(aws_client, endpoint_url, deployer, unique_name,
                                                              change, expected):
    # boto3 checks some of these itself; switch that off so the emulator's own checks answer, as for other SDKs
    sagemaker = _unvalidated_client(endpoint_url)
    model = deployer.model(trained_model_tarball())
    capture = capture_config(deployer.bucket, "dc")
    capture.update(change)
    capture = {key: value for key, value in capture.items() if value is not None}
    name = unique_name("config")
    code, message, status = _error(lambda: sagemaker.create_endpoint_config(
        EndpointConfigName=name, ProductionVariants=[variant(model)], DataCaptureConfig=capture))
    assert (code, status) == ("ValidationException", 400)
    assert message.startswith("1 validation error detected: ")
    assert expected in message
    assert aws_client("sagemaker").list_endpoint_configs(NameContains=name)["EndpointConfigs"] == []


def test_create_endpoint_config_lists_every_problem(endpoint_url, deployer, unique_name):
    sagemaker = _unvalidated_client(endpoint_url)
    model = deployer.model(trained_model_tarball())
    capture = capture_config(deployer.bucket, "dc", InitialSamplingPercentage=200, CaptureOptions=[])
    _, message, _ = _error(lambda: sagemaker.create_endpoint_config(
        EndpointConfigName=unique_name("config"), ProductionVariants=[variant(model, weight=-1.0)],
        DataCaptureConfig=capture))
    assert message.startswith("3 validation errors detected: ")
    assert "'productionVariants.1.member.initialVariantWeight'" in message


def test_create_endpoint_config_checks_variants_and_models(aws_client, deployer, unique_name):
    sagemaker = aws_client("sagemaker")
    model = deployer.model(trained_model_tarball())
    missing = unique_name("nomodel")
    assert _error(lambda: sagemaker.create_endpoint_config(
        EndpointConfigName=unique_name("config"), ProductionVariants=[variant(missing)]))[:2] \
        == ("ValidationException", f'Could not find model "{ARN}:model/{missing}".')
    code, message, _ = _error(lambda: sagemaker.create_endpoint_config(
        EndpointConfigName=unique_name("config"), ProductionVariants=[variant(model, "A"), variant(model, "A")]))
    assert message == 'The variant name "A" was non-unique within the request.'
    code, message, _ = _error(lambda: sagemaker.create_endpoint_config(
        EndpointConfigName=unique_name("config"), ProductionVariants=[variant(model, "bad_name")]))
    assert "'productionVariants.1.member.variantName'" in message


def test_create_endpoint_with_missing_config(aws_client, unique_name):
    config = unique_name("noconfig")
    assert _error(lambda: aws_client("sagemaker").create_endpoint(
        EndpointName=unique_name("endpoint"), EndpointConfigName=config))[:2] \
        == ("ValidationException", f'Could not find endpoint configuration "{ARN}:endpoint-config/{config}".')


# --- unknown endpoints -----------------------------------------------------------------------------------------


def test_unknown_endpoint_errors(aws_client, unique_name):
    sagemaker = aws_client("sagemaker")
    name = unique_name("missing")
    expected = ("ValidationException", f'Could not find endpoint "{ARN}:endpoint/{name}".', 400)
    assert _error(lambda: sagemaker.describe_endpoint(EndpointName=name)) == expected
    assert _error(lambda: sagemaker.delete_endpoint(EndpointName=name)) == expected
    assert _error(lambda: sagemaker.update_endpoint(EndpointName=name, EndpointConfigName="x")) == expected
    assert _error(lambda: sagemaker.update_endpoint_weights_and_capacities(
        EndpointName=name, DesiredWeightsAndCapacities=[{"VariantName": "A", "DesiredWeight": 1.0}])) == expected


# --- UpdateEndpoint, UpdateEndpointWeightsAndCapacities, DeleteEndpoint ----------------------------------------


def test_update_endpoint_swaps_without_failed_requests(aws_client, deployer):
    sagemaker, runtime = aws_client("sagemaker"), aws_client("sagemaker-runtime")
    old_model = deployer.model(constant_model_tarball(0))
    new_model = deployer.model(constant_model_tarball(1))
    old_config = deployer.config([variant(old_model)])
    new_config = deployer.config([variant(new_model)])
    endpoint = deployer.endpoint(old_config)
    old_servers = server_processes(f"s3://{deployer.bucket}/{old_model}/model.tar.gz")
    assert len(old_servers) == 1

    answers: list[str] = []  # in order of completion, all threads
    per_thread: list[list[str]] = [[] for _ in range(3)]  # in order of sending, per thread
    failures: list[Exception] = []
    stop = threading.Event()

    def invoke_forever(mine: list[str]) -> None:
        while not stop.is_set():
            try:
                answer = runtime.invoke_endpoint(EndpointName=endpoint, Body=b"1,2,3,4", ContentType="text/csv",
                                                 Accept="text/csv")
                body = answer["Body"].read().decode()
                mine.append(body)
                answers.append(body)
            except Exception as error:  # counted: there must be none
                failures.append(error)

    threads = [threading.Thread(target=invoke_forever, args=(mine,)) for mine in per_thread]
    for thread in threads:
        thread.start()
    try:
        wait_until(lambda: len(answers) >= 20, 30, "invocations before the update")
        sagemaker.update_endpoint(EndpointName=endpoint, EndpointConfigName=new_config)
        updating = sagemaker.describe_endpoint(EndpointName=endpoint)
        assert updating["EndpointStatus"] == "Updating"
        assert updating["EndpointConfigName"] == old_config
        assert updating["PendingDeploymentSummary"]["EndpointConfigName"] == new_config
        code, message, _ = _error(lambda: sagemaker.update_endpoint(EndpointName=endpoint,
                                                                    EndpointConfigName=old_config))
        assert message == f'Cannot update in-progress endpoint "{ARN}:endpoint/{endpoint}".'
        described = wait_for_endpoint(sagemaker, endpoint)
        count = len(answers)
        wait_until(lambda: len(answers) >= count + 20, 30, "invocations after the update")
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)
    assert failures == []
    assert described["EndpointStatus"] == "InService"
    assert described["EndpointConfigName"] == new_config
    assert "PendingDeploymentSummary" not in described
    assert answers[0] == "0" and answers[-1] == "1"
    for mine in per_thread:  # a client that got the new model never gets the old one again
        assert set(mine[mine.index("1"):]) == {"1"}
    wait_until(lambda: not any(p.is_running() for p in old_servers), 30, "the old model server to stop")


def test_failed_update_keeps_the_old_deployment(aws_client, deployer):
    sagemaker, runtime = aws_client("sagemaker"), aws_client("sagemaker-runtime")
    good = deployer.config([variant(deployer.model(constant_model_tarball(0)))])
    broken = deployer.config([variant(deployer.model(tar_gz({"model.joblib": b"garbage"})))])
    endpoint = deployer.endpoint(good)
    sagemaker.update_endpoint(EndpointName=endpoint, EndpointConfigName=broken)
    described = wait_for_endpoint(sagemaker, endpoint, done=("InService",))
    assert described["EndpointConfigName"] == good
    assert "Update failed" in described["FailureReason"]
    answer = runtime.invoke_endpoint(EndpointName=endpoint, Body=b"1,2,3,4", ContentType="text/csv",
                                     Accept="text/csv")
    assert answer["Body"].read() == b"0"


def test_update_endpoint_can_retain_variant_properties(aws_client, deployer):
    sagemaker = aws_client("sagemaker")
    model = deployer.model(trained_model_tarball())
    first = deployer.config([variant(model, "A", 1.0), variant(model, "B", 1.0)])
    second = deployer.config([variant(model, "A", 5.0), variant(model, "B", 5.0)])
    endpoint = deployer.endpoint(first)
    sagemaker.update_endpoint_weights_and_capacities(
        EndpointName=endpoint, DesiredWeightsAndCapacities=[{"VariantName": "A", "DesiredWeight": 3.0}])
    sagemaker.update_endpoint(EndpointName=endpoint, EndpointConfigName=second, RetainAllVariantProperties=True)
    described = wait_for_endpoint(sagemaker, endpoint, done=("InService",))  # Updating until the switch
    assert described["EndpointConfigName"] == second
    weights = {v["VariantName"]: v["CurrentWeight"] for v in described["ProductionVariants"]}
    assert weights == {"A": 3.0, "B": 1.0}


def test_update_weights_and_capacities(aws_client, deployer):
    sagemaker, runtime = aws_client("sagemaker"), aws_client("sagemaker-runtime")
    zero, one = deployer.model(constant_model_tarball(0)), deployer.model(constant_model_tarball(1))
    endpoint = deployer.endpoint(deployer.config([variant(zero, "Zero"), variant(one, "One")]))
    answer = sagemaker.update_endpoint_weights_and_capacities(EndpointName=endpoint, DesiredWeightsAndCapacities=[
        {"VariantName": "Zero", "DesiredWeight": 0.0}, {"VariantName": "One", "DesiredInstanceCount": 3}])
    assert answer["EndpointArn"] == f"{ARN}:endpoint/{endpoint}"
    described = sagemaker.describe_endpoint(EndpointName=endpoint)
    assert described["EndpointStatus"] == "InService"
    variants = {v["VariantName"]: v for v in described["ProductionVariants"]}
    assert (variants["Zero"]["CurrentWeight"], variants["Zero"]["DesiredWeight"]) == (0.0, 0.0)
    assert (variants["One"]["CurrentInstanceCount"], variants["One"]["DesiredInstanceCount"]) == (3, 3)
    served = {runtime.invoke_endpoint(EndpointName=endpoint, Body=b"1,2,3,4", ContentType="text/csv")
              ["InvokedProductionVariant"] for _ in range(30)}
    assert served == {"One"}
    code, message, _ = _error(lambda: sagemaker.update_endpoint_weights_and_capacities(
        EndpointName=endpoint, DesiredWeightsAndCapacities=[{"VariantName": "Nope", "DesiredWeight": 1.0}]))
    assert message == (f'The variant name(s) "Nope" is/are not present within endpoint configuration '
                       f'"{described["EndpointConfigName"]}".')


def test_delete_endpoint_stops_its_servers(aws_client, deployer):
    sagemaker, runtime = aws_client("sagemaker"), aws_client("sagemaker-runtime")
    endpoint = deployer.deploy()
    model_data = f"s3://{deployer.bucket}/{deployer.models[-1]}/model.tar.gz"
    servers = server_processes(model_data)
    assert len(servers) == 1
    sagemaker.delete_endpoint(EndpointName=endpoint)
    wait_until(lambda: not any(p.is_running() and p.status() != "zombie" for p in servers), 30,
               "the model server to stop")
    code, _, _ = _error(lambda: sagemaker.describe_endpoint(EndpointName=endpoint))
    assert code == "ValidationException"
    assert sagemaker.list_endpoints(NameContains=endpoint)["Endpoints"] == []
    code, message, _ = _error(lambda: runtime.invoke_endpoint(EndpointName=endpoint, Body=b"1",
                                                                ContentType="text/csv"))
    assert code == "ValidationError"


def _unvalidated_client(endpoint_url):
    import boto3

    return boto3.client("sagemaker", endpoint_url=endpoint_url, region_name="us-east-1", aws_access_key_id="test",
                        aws_secret_access_key="test",
                        config=Config(parameter_validation=False, retries={"max_attempts": 1}))
