"""InvokeEndpoint through the sagewatch runtime provider, as a boto3 user calls it."""

from __future__ import annotations

import json
import math
import textwrap
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
from sw_endpoints import (
    CLEAR_ROWS,
    XGBOOST_IMAGE,
    capture_config,
    constant_model_tarball,
    deploying,
    tar_gz,
    trained_model_tarball,
    variant,
    wait_for_capture,
    wait_until,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def deployer(aws_client, bucket, unique_name):
    """Models, configs and endpoints of one test, deleted afterwards (before its bucket)."""
    yield from deploying(aws_client, bucket, unique_name)


SCRIPT = textwrap.dedent(
    """
    import json, os

    class Linear:
        def __init__(self, slope, intercept):
            self.slope, self.intercept = slope, intercept

        def predict(self, rows):
            if (rows < 0).any():
                raise ValueError("negative feature")
            return rows.sum(axis=1) * self.slope + self.intercept

    def model_fn(model_dir):
        with open(os.path.join(model_dir, "model.json")) as handle:
            return Linear(**json.load(handle))
    """
)


@pytest.fixture
def script_endpoint(deployer):
    """An endpoint of a SageMaker SDK script-mode model: inference.py in an SSE-KMS sourcedir.tar.gz on S3."""
    # the SageMaker Python SDK uploads source bundles with SSE-KMS
    source = deployer.upload("script/sourcedir.tar.gz", tar_gz({"inference.py": SCRIPT.encode()}),
                             ServerSideEncryption="aws:kms")
    model = deployer.model(tar_gz({"model.json": json.dumps({"slope": 2.0, "intercept": 1.0}).encode()}),
                           environment={"SAGEMAKER_PROGRAM": "inference.py", "SAGEMAKER_SUBMIT_DIRECTORY": source})
    return deployer.endpoint(deployer.config([variant(model)]))


def test_invoke_trained_scikit_learn_model(aws_client, deployer):
    runtime = aws_client("sagemaker-runtime")
    endpoint = deployer.deploy()
    answer = runtime.invoke_endpoint(EndpointName=endpoint, Body=CLEAR_ROWS.encode(), ContentType="text/csv",
                                     Accept="text/csv")
    assert answer["Body"].read().decode().split() == ["1", "0", "1"]
    assert answer["ContentType"] == "text/csv"
    assert answer["InvokedProductionVariant"] == "AllTraffic"
    as_json = runtime.invoke_endpoint(EndpointName=endpoint, Body=b"[[3, 3, -3, 0]]",
                                      ContentType="application/json", Accept="application/json")
    assert json.loads(as_json["Body"].read()) == {"predictions": [1]}


def test_invoke_xgboost_model_with_the_xgboost_image(aws_client, deployer, tmp_path):
    xgboost = pytest.importorskip("xgboost")
    import numpy as np

    rng = np.random.default_rng(7)
    features = rng.normal(size=(400, 4))
    labels = (features[:, 0] + 2 * features[:, 1] - features[:, 2] > 0).astype(int)
    booster = xgboost.train({"objective": "binary:logistic", "max_depth": 3},
                            xgboost.DMatrix(features, label=labels), num_boost_round=20)
    booster.save_model(str(tmp_path / "xgboost-model.json"))
    # SageMaker's XGBoost container writes the model as "xgboost-model"
    tarball = tar_gz({"xgboost-model": (tmp_path / "xgboost-model.json").read_bytes()})
    model = deployer.model(tarball, image=XGBOOST_IMAGE)
    endpoint = deployer.endpoint(deployer.config([variant(model)]))
    answer = aws_client("sagemaker-runtime").invoke_endpoint(EndpointName=endpoint, Body=CLEAR_ROWS.encode(),
                                                             ContentType="text/csv", Accept="text/csv")
    probabilities = [float(value) for value in answer["Body"].read().decode().split()]
    assert [round(p) for p in probabilities] == [1, 0, 1]


def test_invoke_script_mode_model(aws_client, script_endpoint):
    runtime = aws_client("sagemaker-runtime")
    answer = runtime.invoke_endpoint(EndpointName=script_endpoint, Body=b"[[1, 2], [3, 4]]",
                                     ContentType="application/json")
    assert json.loads(answer["Body"].read()) == {"predictions": [7.0, 15.0]}
    assert answer["ContentType"] == "application/json"
    csv = runtime.invoke_endpoint(EndpointName=script_endpoint, Body=b"1,2\n3,4\n", ContentType="text/csv",
                                  Accept="text/csv")
    assert csv["Body"].read().decode().split() == ["7.0", "15.0"]


def test_model_exception_is_a_model_error(aws_client, script_endpoint):
    runtime = aws_client("sagemaker-runtime")
    with pytest.raises(runtime.exceptions.ModelError) as error:
        runtime.invoke_endpoint(EndpointName=script_endpoint, Body=b"[[-1, 2]]", ContentType="application/json")
    response = error.value.response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 424
    assert response["OriginalStatusCode"] == 500
    assert "ValueError: negative feature" in response["OriginalMessage"]
    assert response["Error"]["Message"].startswith("Received server error (500) from primary with message")
    assert response["LogStreamArn"] == ("arn:aws:logs:us-east-1:000000000000:log-group:/aws/sagemaker/Endpoints/"
                                        f"{script_endpoint}")


def test_unsupported_content_type_is_a_client_model_error(aws_client, script_endpoint):
    runtime = aws_client("sagemaker-runtime")
    with pytest.raises(runtime.exceptions.ModelError) as error:
        runtime.invoke_endpoint(EndpointName=script_endpoint, Body=b"\x89PNG", ContentType="image/png")
    assert error.value.response["OriginalStatusCode"] == 415
    assert error.value.response["Error"]["Message"].startswith("Received client error (415) from primary")


def test_invoke_missing_endpoint_is_a_validation_error(aws_client, unique_name):
    runtime = aws_client("sagemaker-runtime")
    name = unique_name("missing")
    with pytest.raises(runtime.exceptions.ValidationError) as error:
        runtime.invoke_endpoint(EndpointName=name, Body=b"1", ContentType="text/csv")
    response = error.value.response
    assert response["Error"]["Code"] == "ValidationError"
    assert response["Error"]["Message"] == f"Endpoint {name} of account 000000000000 not found."
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_target_variant(aws_client, deployer):
    runtime = aws_client("sagemaker-runtime")
    zero, one = deployer.model(constant_model_tarball(0)), deployer.model(constant_model_tarball(1))
    endpoint = deployer.endpoint(deployer.config([variant(zero, "Zero", 1.0), variant(one, "One", 0.0)]))
    for _ in range(10):
        answer = runtime.invoke_endpoint(EndpointName=endpoint, Body=b"1,2,3,4", ContentType="text/csv",
                                         Accept="text/csv", TargetVariant="One")
        assert (answer["InvokedProductionVariant"], answer["Body"].read()) == ("One", b"1")
    # without TargetVariant, a variant of weight 0 gets nothing
    assert {runtime.invoke_endpoint(EndpointName=endpoint, Body=b"1,2,3,4", ContentType="text/csv")
            ["InvokedProductionVariant"] for _ in range(20)} == {"Zero"}
    with pytest.raises(runtime.exceptions.ValidationError) as error:
        runtime.invoke_endpoint(EndpointName=endpoint, Body=b"1,2,3,4", ContentType="text/csv",
                                TargetVariant="NoSuchVariant")
    assert "NoSuchVariant" in error.value.response["Error"]["Message"]


def test_weighted_routing_follows_the_weights(aws_client, deployer):
    runtime = aws_client("sagemaker-runtime")
    model = deployer.model(trained_model_tarball())
    endpoint = deployer.endpoint(deployer.config([variant(model, "Light", 1.0), variant(model, "Heavy", 3.0)]))
    invocations = 1000

    def one(_):
        return runtime.invoke_endpoint(EndpointName=endpoint, Body=b"1,2,3,4",
                                       ContentType="text/csv")["InvokedProductionVariant"]

    with ThreadPoolExecutor(4) as pool:
        served = list(pool.map(one, range(invocations)))
    heavy = served.count("Heavy")
    assert heavy + served.count("Light") == invocations
    expected, sigma = invocations * 0.75, math.sqrt(invocations * 0.75 * 0.25)
    assert abs(heavy - expected) <= 4 * sigma, heavy


def test_custom_attributes_reach_the_capture_and_inference_ids(aws_client, deployer):
    """CustomAttributes go to the model server as X-Amzn-SageMaker-Custom-Attributes (see test_capture.py)."""
    runtime = aws_client("sagemaker-runtime")
    endpoint = deployer.deploy()
    answer = runtime.invoke_endpoint(EndpointName=endpoint, Body=b"1,2,3,4", ContentType="text/csv",
                                     CustomAttributes="trace=abc", InferenceId="id-1")
    assert answer["InvokedProductionVariant"] == "AllTraffic"
    # the model server answers no custom attributes of its own, so none come back (as on AWS)
    assert "CustomAttributes" not in answer


ECHO_ATTRIBUTES = textwrap.dedent(
    """
    HEADER = "X-Amzn-SageMaker-Custom-Attributes"

    def model_fn(model_dir):
        return None

    def transform_fn(model, body, content_type, accept, context):
        asked = context.get_request_header(0, HEADER)
        context.set_response_header(0, HEADER, f"echo={asked}")
        return f"model saw {asked}", "text/plain"
    """
)


def test_custom_attributes_travel_both_ways_and_into_the_capture(aws_client, deployer):
    """The request's CustomAttributes reach the model (X-Amzn-SageMaker-Custom-Attributes) and the capture record's
    eventMetadata.customAttributes; the model's own header comes back to the caller as CustomAttributes."""
    runtime, s3 = aws_client("sagemaker-runtime"), aws_client("s3")
    source = deployer.upload("echo/sourcedir.tar.gz", tar_gz({"inference.py": ECHO_ATTRIBUTES.encode()}))
    model = deployer.model(tar_gz({"model.json": b"{}"}),
                           environment={"SAGEMAKER_PROGRAM": "inference.py", "SAGEMAKER_SUBMIT_DIRECTORY": source})
    endpoint = deployer.endpoint(deployer.config([variant(model)], capture_config(deployer.bucket, "attributes")))
    answer = runtime.invoke_endpoint(EndpointName=endpoint, Body=b"1,2", ContentType="text/csv",
                                     CustomAttributes="trace=abc;tenant=acme", InferenceId="attributes-1")
    assert answer["Body"].read() == b"model saw trace=abc;tenant=acme"
    assert answer["CustomAttributes"] == "echo=trace=abc;tenant=acme"
    plain = runtime.invoke_endpoint(EndpointName=endpoint, Body=b"1,2", ContentType="text/csv",
                                    InferenceId="attributes-2")
    assert plain["CustomAttributes"] == "echo=None"
    aws_client("sagemaker").delete_endpoint(EndpointName=endpoint)  # closes and uploads the open capture file
    records = {record.inference_id: record
               for _, record in wait_for_capture(s3, deployer.bucket, f"attributes/{endpoint}/AllTraffic/", 2)}
    assert records["attributes-1"].custom_attributes == ("trace=abc;tenant=acme",)
    assert records["attributes-2"].custom_attributes is None


def test_cloudwatch_metrics_appear(aws_client, deployer, script_endpoint):
    """Metrics are put every SAGEWATCH_METRICS_INTERVAL seconds (60 unless the emulator was started with less)."""
    runtime, cloudwatch = aws_client("sagemaker-runtime"), aws_client("cloudwatch")
    start = datetime.now(timezone.utc) - timedelta(minutes=5)
    for _ in range(7):
        runtime.invoke_endpoint(EndpointName=script_endpoint, Body=b"[[1, 2]]", ContentType="application/json")
    for _ in range(2):
        with pytest.raises(runtime.exceptions.ModelError):
            runtime.invoke_endpoint(EndpointName=script_endpoint, Body=b"[[-1, 2]]", ContentType="application/json")
    with pytest.raises(runtime.exceptions.ModelError):
        runtime.invoke_endpoint(EndpointName=script_endpoint, Body=b"x", ContentType="image/png")
    dimensions = [{"Name": "EndpointName", "Value": script_endpoint}, {"Name": "VariantName", "Value": "AllTraffic"}]

    def total(namespace, metric, statistic="Sum"):
        points = cloudwatch.get_metric_statistics(
            Namespace=namespace, MetricName=metric, Dimensions=dimensions, StartTime=start,
            EndTime=datetime.now(timezone.utc) + timedelta(minutes=5), Period=60, Statistics=[statistic])["Datapoints"]
        return sum(point[statistic] for point in points) if statistic == "Sum" else points

    wait_until(lambda: total("AWS/SageMaker", "Invocations") >= 10, 150, "the Invocations metric", interval=1.0)
    assert total("AWS/SageMaker", "Invocations") == 10
    assert total("AWS/SageMaker", "Invocation5XXErrors") == 2
    assert total("AWS/SageMaker", "Invocation4XXErrors") == 1
    latency = total("AWS/SageMaker", "ModelLatency", "Maximum")
    assert latency and all(point["Unit"] == "Microseconds" and point["Maximum"] > 0 for point in latency)
    assert total("AWS/SageMaker", "OverheadLatency", "Maximum")

    def instance_metrics():
        listed = cloudwatch.list_metrics(Namespace="/aws/sagemaker/Endpoints", Dimensions=dimensions)["Metrics"]
        return {metric["MetricName"] for metric in listed}

    wait_until(lambda: {"CPUUtilization", "MemoryUtilization", "DiskUtilization"} <= instance_metrics(), 150,
               "the instance metrics", interval=1.0)
