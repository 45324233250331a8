"""InvokeEndpoint through the sagewatch runtime provider, as a boto3 user calls it."""

import io
import json
import tarfile
import textwrap

import pytest
from botocore.exceptions import ClientError

pytestmark = pytest.mark.e2e

ROLE = "arn:aws:iam::000000000000:role/sagewatch-e2e"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"

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


def _tar_gz(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.fixture
def deploy(aws_client, bucket, unique_name):
    """``deploy(environment=None)`` -> endpoint name of a script-mode model; everything is deleted afterwards."""
    sagemaker, s3 = aws_client("sagemaker"), aws_client("s3")
    created = []

    def make(environment=None):
        name = unique_name("linear")
        s3.put_object(Bucket=bucket, Key=f"{name}/model.tar.gz",
                      Body=_tar_gz({"model.json": json.dumps({"slope": 2.0, "intercept": 1.0}).encode()}))
        # the SageMaker Python SDK uploads source bundles with SSE-KMS
        s3.put_object(Bucket=bucket, Key=f"{name}/sourcedir.tar.gz", Body=_tar_gz({"inference.py": SCRIPT.encode()}),
                      ServerSideEncryption="aws:kms")
        if environment is None:
            environment = {"SAGEMAKER_PROGRAM": "inference.py",
                           "SAGEMAKER_SUBMIT_DIRECTORY": f"s3://{bucket}/{name}/sourcedir.tar.gz"}
        sagemaker.create_model(ModelName=name, ExecutionRoleArn=ROLE, PrimaryContainer={
            "Image": IMAGE, "ModelDataUrl": f"s3://{bucket}/{name}/model.tar.gz", "Environment": environment})
        sagemaker.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[{
            "VariantName": "AllTraffic", "ModelName": name, "InitialInstanceCount": 1,
            "InstanceType": "ml.m5.large", "InitialVariantWeight": 1.0}])
        sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=name)
        created.append(name)
        return name

    yield make
    for name in created:
        for delete in (lambda: sagemaker.delete_endpoint(EndpointName=name),
                       lambda: sagemaker.delete_endpoint_config(EndpointConfigName=name),
                       lambda: sagemaker.delete_model(ModelName=name)):
            try:
                delete()
            except ClientError:
                pass


def test_invoke_missing_endpoint_is_a_validation_error(aws_client, unique_name):
    runtime = aws_client("sagemaker-runtime")
    name = unique_name("missing")
    with pytest.raises(runtime.exceptions.ValidationError) as error:
        runtime.invoke_endpoint(EndpointName=name, Body=b"1", ContentType="text/csv")
    response = error.value.response
    assert response["Error"]["Code"] == "ValidationError"
    assert response["Error"]["Message"] == f"Endpoint {name} of account 000000000000 not found."
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_invoke_script_mode_model(aws_client, deploy):
    endpoint = deploy()
    runtime = aws_client("sagemaker-runtime")
    answer = runtime.invoke_endpoint(EndpointName=endpoint, Body=b"[[1, 2], [3, 4]]", ContentType="application/json")
    assert json.loads(answer["Body"].read()) == [7.0, 15.0]
    assert answer["ContentType"] == "application/json"
    assert answer["InvokedProductionVariant"] == "AllTraffic"

    csv = runtime.invoke_endpoint(EndpointName=endpoint, Body=b"1,2\n3,4\n", ContentType="text/csv",
                                  Accept="text/csv")
    assert csv["Body"].read().decode().split() == ["7.0", "15.0"]
    assert csv["ContentType"] == "text/csv"


def test_model_exception_is_a_model_error(aws_client, deploy):
    endpoint = deploy()
    runtime = aws_client("sagemaker-runtime")
    with pytest.raises(runtime.exceptions.ModelError) as error:
        runtime.invoke_endpoint(EndpointName=endpoint, Body=b"[[-1, 2]]", ContentType="application/json")
    response = error.value.response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 424
    assert response["OriginalStatusCode"] == 500
    assert "ValueError: negative feature" in response["OriginalMessage"]
    assert response["Error"]["Message"].startswith("Received server error (500) from primary with message")


def test_unsupported_content_type_is_a_client_model_error(aws_client, deploy):
    endpoint = deploy()
    runtime = aws_client("sagemaker-runtime")
    with pytest.raises(runtime.exceptions.ModelError) as error:
        runtime.invoke_endpoint(EndpointName=endpoint, Body=b"\x89PNG", ContentType="image/png")
    assert error.value.response["OriginalStatusCode"] == 415


def test_model_without_inference_script_explains_itself(aws_client, deploy):
    endpoint = deploy(environment={})
    runtime = aws_client("sagemaker-runtime")
    with pytest.raises(runtime.exceptions.ModelError) as error:
        runtime.invoke_endpoint(EndpointName=endpoint, Body=b"[[1]]", ContentType="application/json")
    message = error.value.response["Error"]["Message"]
    assert "script-mode models" in message
    assert "SAGEMAKER_PROGRAM" in message


def test_invoke_unknown_target_variant(aws_client, deploy):
    endpoint = deploy()
    runtime = aws_client("sagemaker-runtime")
    with pytest.raises(runtime.exceptions.ValidationError):
        runtime.invoke_endpoint(EndpointName=endpoint, Body=b"[[1]]", ContentType="application/json",
                                TargetVariant="NoSuchVariant")
