"""SageMaker control-plane calls reach moto through the sagewatch provider (community LocalStack has none)."""

import pytest
from botocore.exceptions import ClientError

pytestmark = pytest.mark.e2e

ROLE = "arn:aws:iam::000000000000:role/sagewatch-e2e"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"


@pytest.fixture
def model_name(aws_client, unique_name):
    name = unique_name("model")
    yield name
    try:
        aws_client("sagemaker").delete_model(ModelName=name)
    except ClientError:
        pass


def test_create_describe_list_model(aws_client, model_name, bucket):
    sagemaker = aws_client("sagemaker")
    aws_client("s3").put_object(Bucket=bucket, Key="model.tar.gz", Body=b"")  # CreateModel checks it exists
    created = sagemaker.create_model(
        ModelName=model_name,
        ExecutionRoleArn=ROLE,
        PrimaryContainer={"Image": IMAGE, "ModelDataUrl": f"s3://{bucket}/model.tar.gz",
                          "Environment": {"SAGEMAKER_PROGRAM": "inference.py"}},
    )
    assert created["ModelArn"] == f"arn:aws:sagemaker:us-east-1:000000000000:model/{model_name}"

    described = sagemaker.describe_model(ModelName=model_name)
    assert described["ModelName"] == model_name
    assert described["PrimaryContainer"]["Image"] == IMAGE
    assert described["PrimaryContainer"]["Environment"] == {"SAGEMAKER_PROGRAM": "inference.py"}
    assert described["ExecutionRoleArn"] == ROLE

    listed = sagemaker.list_models(NameContains=model_name)["Models"]
    assert [m["ModelName"] for m in listed] == [model_name]


def test_describe_missing_endpoint_is_a_validation_exception(aws_client, unique_name):
    name = unique_name("missing")
    with pytest.raises(ClientError) as error:
        aws_client("sagemaker").describe_endpoint(EndpointName=name)
    response = error.value.response
    assert response["Error"]["Code"] == "ValidationException"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert f"endpoint/{name}" in response["Error"]["Message"]


def test_describe_missing_model_is_a_validation_exception(aws_client, unique_name):
    with pytest.raises(ClientError) as error:
        aws_client("sagemaker").describe_model(ModelName=unique_name("missing"))
    assert error.value.response["Error"]["Code"] == "ValidationException"
