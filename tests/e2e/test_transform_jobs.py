"""Batch transform jobs with data capture (CreateTransformJob and friends), as a boto3 user drives them."""

from __future__ import annotations

import json
import time
from datetime import timezone

import pytest
from botocore.exceptions import ClientError
from sw_endpoints import CLEAR_ROWS, deploying, trained_model_tarball

from sagewatch.capture.manifest import parse_manifest, split_generated_ids_line

pytestmark = pytest.mark.e2e

RESOURCES = {"InstanceType": "ml.m5.large", "InstanceCount": 1}


@pytest.fixture
def deployer(aws_client, bucket, unique_name):
    yield from deploying(aws_client, bucket, unique_name)


def wait_for_transform(sagemaker, name, timeout=150.0, done=("Completed", "Failed", "Stopped")):
    deadline = time.monotonic() + timeout
    while True:
        described = sagemaker.describe_transform_job(TransformJobName=name)
        if described["TransformJobStatus"] in done:
            return described
        assert time.monotonic() < deadline, f"{name} still {described['TransformJobStatus']} after {timeout:g} s"
        time.sleep(0.3)


def transform_request(name, model, bucket, **extra):
    request = {
        "TransformJobName": name,
        "ModelName": model,
        "TransformInput": {"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix",
                                                           "S3Uri": f"s3://{bucket}/batch/in/"}},
                           "ContentType": "text/csv", "SplitType": "Line"},
        "TransformOutput": {"S3OutputPath": f"s3://{bucket}/batch/out/{name}", "Accept": "text/csv",
                            "AssembleWith": "Line"},
        "TransformResources": RESOURCES,
    }
    request.update(extra)
    return request


def read(s3, bucket, key):
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")


def test_multi_record_job_with_capture_and_inference_ids(aws_client, bucket, deployer, unique_name):
    sagemaker, s3 = aws_client("sagemaker"), aws_client("s3")
    model = deployer.model(trained_model_tarball())
    deployer.upload("batch/in/part-1.csv", (CLEAR_ROWS + "\n").encode())
    deployer.upload("batch/in/more/part-2.csv", CLEAR_ROWS.split("\n")[0].encode())  # no trailing newline
    name = unique_name("transform")
    arn = sagemaker.create_transform_job(**transform_request(
        name, model, bucket, BatchStrategy="MultiRecord", MaxPayloadInMB=1, MaxConcurrentTransforms=2,
        DataCaptureConfig={"DestinationS3Uri": f"s3://{bucket}/batch-capture", "GenerateInferenceId": True},
        Tags=[{"Key": "team", "Value": "ml"}]))["TransformJobArn"]
    assert arn == f"arn:aws:sagemaker:us-east-1:000000000000:transform-job/{name}"
    described = wait_for_transform(sagemaker, name)
    assert described["TransformJobStatus"] == "Completed", described.get("FailureReason")
    assert described["CreationTime"] <= described["TransformStartTime"] <= described["TransformEndTime"]
    assert described["DataCaptureConfig"]["GenerateInferenceId"] is True

    lines = read(s3, bucket, f"batch/out/{name}/part-1.csv.out").splitlines()
    split = [split_generated_ids_line(line) for line in lines]
    assert [record for record, _, _ in split] == ["1", "0", "1"]
    assert len({inference_id for _, inference_id, _ in split}) == 3
    start = described["TransformStartTime"].astimezone(timezone.utc).replace(microsecond=0)
    assert {when for _, _, when in split} == {start}
    assert [r for r, _, _ in map(split_generated_ids_line, read(s3, bucket,
            f"batch/out/{name}/more/part-2.csv.out").splitlines())] == ["1"]

    hour = start.strftime("%Y/%m/%d/%H")
    inputs = parse_manifest(read(s3, bucket, f"batch-capture/input/{hour}/{name}.jsonl"))
    outputs = parse_manifest(read(s3, bucket, f"batch-capture/output/{hour}/{name}.jsonl"))
    assert inputs.uris() == [f"s3://{bucket}/batch/in/more/part-2.csv", f"s3://{bucket}/batch/in/part-1.csv"]
    assert outputs.uris() == [f"s3://{bucket}/batch/out/{name}/more/part-2.csv.out",
                              f"s3://{bucket}/batch/out/{name}/part-1.csv.out"]
    assert sagemaker.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "ml"}]
    listed = sagemaker.list_transform_jobs(NameContains=name, StatusEquals="Completed")["TransformJobSummaries"]
    assert [(s["TransformJobName"], s["TransformJobArn"]) for s in listed] == [(name, arn)]


def test_single_record_job_without_capture(aws_client, bucket, deployer, unique_name):
    sagemaker, s3 = aws_client("sagemaker"), aws_client("s3")
    model = deployer.model(trained_model_tarball())
    deployer.upload("batch/in/rows.csv", (CLEAR_ROWS + "\n\n").encode())
    name = unique_name("transform")
    sagemaker.create_transform_job(**transform_request(name, model, bucket, BatchStrategy="SingleRecord"))
    described = wait_for_transform(sagemaker, name)
    assert described["TransformJobStatus"] == "Completed", described.get("FailureReason")
    assert read(s3, bucket, f"batch/out/{name}/rows.csv.out") == "1\n0\n1\n"
    assert "DataCaptureConfig" not in described
    logs = aws_client("logs")
    streams = logs.describe_log_streams(logGroupName="/aws/sagemaker/TransformJobs",
                                        logStreamNamePrefix=f"{name}/")["logStreams"]
    assert [s["logStreamName"] for s in streams] == [f"{name}/i-sagewatch-0"]
    messages = [e["message"] for e in logs.get_log_events(logGroupName="/aws/sagemaker/TransformJobs",
                                                          logStreamName=streams[0]["logStreamName"])["events"]]
    assert messages  # the model server's own log lines


def test_record_the_model_rejects_fails_the_job_naming_it(aws_client, bucket, deployer, unique_name):
    sagemaker, s3 = aws_client("sagemaker"), aws_client("s3")
    model = deployer.model(trained_model_tarball())
    deployer.upload("batch/in/rows.csv", b"3,3,-3,0\n1,2,three,4\n")
    name = unique_name("transform")
    sagemaker.create_transform_job(**transform_request(name, model, bucket, BatchStrategy="SingleRecord",
                                                       DataCaptureConfig={"DestinationS3Uri": f"s3://{bucket}/cap"}))
    described = wait_for_transform(sagemaker, name)
    assert described["TransformJobStatus"] == "Failed"
    assert described["FailureReason"].startswith(
        f"ClientError: The model could not transform record 2 of s3://{bucket}/batch/in/rows.csv: the model "
        "answered 4")
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket, Prefix="cap/")
    failed = sagemaker.list_transform_jobs(NameContains=name, StatusEquals="Failed")["TransformJobSummaries"]
    assert [s["FailureReason"] for s in failed] == [described["FailureReason"]]


def test_stop_ends_the_job_stopped(aws_client, bucket, deployer, unique_name):
    sagemaker = aws_client("sagemaker")
    model = deployer.model(trained_model_tarball())
    deployer.upload("batch/in/rows.csv", ("\n".join([CLEAR_ROWS] * 3000) + "\n").encode())
    name = unique_name("transform")
    sagemaker.create_transform_job(**transform_request(name, model, bucket, BatchStrategy="SingleRecord"))
    sagemaker.stop_transform_job(TransformJobName=name)
    assert sagemaker.describe_transform_job(TransformJobName=name)["TransformJobStatus"] in ("Stopping", "Stopped")
    described = wait_for_transform(sagemaker, name)
    assert described["TransformJobStatus"] == "Stopped"
    assert "FailureReason" not in described


def test_requests_are_checked_as_sagemaker_checks_them(aws_client, bucket, deployer, unique_name):
    sagemaker = aws_client("sagemaker")
    model = deployer.model(trained_model_tarball())
    name = unique_name("transform")
    body = transform_request(name, model, bucket)
    body["TransformInput"] = {**body["TransformInput"], "SplitType": "RecordIO"}
    with pytest.raises(ClientError) as caught:
        sagemaker.create_transform_job(**body)
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "SplitType RecordIO is not emulated" in caught.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as caught:
        sagemaker.create_transform_job(**transform_request(name, "no-such-model", bucket))
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ClientError) as caught:
        sagemaker.describe_transform_job(TransformJobName=name)
    assert caught.value.response["Error"]["Code"] == "ResourceNotFound"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_model_that_cannot_load_fails_the_job(aws_client, bucket, deployer, unique_name):
    from sw_endpoints import tar_gz

    sagemaker = aws_client("sagemaker")
    model = deployer.model(tar_gz({"model.joblib": b"not a model"}))
    deployer.upload("batch/in/rows.csv", (CLEAR_ROWS + "\n").encode())
    name = unique_name("transform")
    sagemaker.create_transform_job(**transform_request(name, model, bucket))
    described = wait_for_transform(sagemaker, name)
    assert described["TransformJobStatus"] == "Failed"
    assert described["FailureReason"].startswith(f"ClientError: The container of model {model} did not start: ")


def test_state_change_events_and_kms_encrypted_outputs(aws_client, bucket, deployer, unique_name):
    sagemaker, s3, events, sqs, kms = (aws_client(s) for s in ("sagemaker", "s3", "events", "sqs", "kms"))
    key_arn = kms.create_key(Description="sagewatch transform e2e")["KeyMetadata"]["Arn"]
    rule, queue_url = unique_name("tj-rule"), sqs.create_queue(QueueName=unique_name("tj-queue"))["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name=rule, EventPattern=json.dumps({
        "source": ["aws.sagemaker"], "detail-type": ["SageMaker Transform Job State Change"]}))
    events.put_targets(Rule=rule, Targets=[{"Id": "queue", "Arn": queue_arn}])
    try:
        model = deployer.model(trained_model_tarball())
        deployer.upload("batch/in/rows.csv", (CLEAR_ROWS + "\n").encode())
        name = unique_name("transform")
        request = transform_request(name, model, bucket, DataCaptureConfig={
            "DestinationS3Uri": f"s3://{bucket}/kms-capture", "KmsKeyId": key_arn})
        request["TransformOutput"] = {**request["TransformOutput"], "KmsKeyId": key_arn}
        arn = sagemaker.create_transform_job(**request)["TransformJobArn"]
        described = wait_for_transform(sagemaker, name)
        assert described["TransformJobStatus"] == "Completed", described.get("FailureReason")
        head = s3.head_object(Bucket=bucket, Key=f"batch/out/{name}/rows.csv.out")
        assert (head["ServerSideEncryption"], head["SSEKMSKeyId"]) == ("aws:kms", key_arn)
        capture_keys = [item["Key"] for item in s3.list_objects_v2(Bucket=bucket, Prefix="kms-capture/")["Contents"]]
        assert len(capture_keys) == 2
        assert all(s3.head_object(Bucket=bucket, Key=key)["SSEKMSKeyId"] == key_arn for key in capture_keys)

        statuses = []
        deadline = time.monotonic() + 20
        while len(statuses) < 2 and time.monotonic() < deadline:
            for message in sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10,
                                               WaitTimeSeconds=1).get("Messages", []):
                event = json.loads(message["Body"])
                if event["resources"] == [arn]:
                    statuses.append(event["detail"]["TransformJobStatus"])
                    assert event["source"] == "aws.sagemaker" and event["detail"]["TransformJobName"] == name
        assert sorted(statuses) == ["Completed", "InProgress"]
    finally:
        events.remove_targets(Rule=rule, Ids=["queue"])
        events.delete_rule(Name=rule)
        sqs.delete_queue(QueueUrl=queue_url)


def test_data_processing_joins_ids_with_predictions(aws_client, bucket, deployer, unique_name):
    sagemaker, s3 = aws_client("sagemaker"), aws_client("s3")
    model = deployer.model(trained_model_tarball())
    rows = [f"id-{i},{row}" for i, row in enumerate(CLEAR_ROWS.split("\n"))]
    deployer.upload("batch/in/rows.csv", ("\n".join(rows) + "\n").encode())
    name = unique_name("transform")
    sagemaker.create_transform_job(**transform_request(
        name, model, bucket, BatchStrategy="MultiRecord",
        DataProcessing={"InputFilter": "$[1:]", "JoinSource": "Input", "OutputFilter": "$[0,-1]"}))
    described = wait_for_transform(sagemaker, name)
    assert described["TransformJobStatus"] == "Completed", described.get("FailureReason")
    assert read(s3, bucket, f"batch/out/{name}/rows.csv.out") == "id-0,1\nid-1,0\nid-2,1\n"
    with pytest.raises(ClientError) as caught:
        sagemaker.create_transform_job(**transform_request(unique_name("transform"), model, bucket,
                                                           DataProcessing={"InputFilter": "$..x"}))
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert "unsupported at '..x'" in caught.value.response["Error"]["Message"]


OFFSET_SCRIPT = """
import os


class Offset:
    def predict(self, rows):
        return rows.sum(axis=1) + float(os.environ["SW_OFFSET"])


def model_fn(model_dir):
    return Offset()
"""


def test_job_environment_over_the_model_and_json_inference_ids(aws_client, bucket, deployer, unique_name):
    from sw_endpoints import tar_gz

    sagemaker, s3 = aws_client("sagemaker"), aws_client("s3")
    source = deployer.upload("script/sourcedir.tar.gz", tar_gz({"inference.py": OFFSET_SCRIPT.encode()}))
    model = deployer.model(environment={"SAGEMAKER_PROGRAM": "inference.py", "SAGEMAKER_SUBMIT_DIRECTORY": source,
                                        "SW_OFFSET": "100"})
    deployer.upload("batch/in/rows.csv", b"1,2\n3,4\n")
    name = unique_name("transform")
    request = transform_request(name, model, bucket, BatchStrategy="SingleRecord", Environment={"SW_OFFSET": "0.5"},
                                DataCaptureConfig={"DestinationS3Uri": f"s3://{bucket}/cap",
                                                   "GenerateInferenceId": True})
    request["TransformOutput"] = {**request["TransformOutput"], "Accept": "application/json"}
    sagemaker.create_transform_job(**request)
    described = wait_for_transform(sagemaker, name)
    assert described["TransformJobStatus"] == "Completed", described.get("FailureReason")
    start = described["TransformStartTime"].astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    records = [json.loads(line) for line in read(s3, bucket, f"batch/out/{name}/rows.csv.out").splitlines()]
    assert [r["predictions"] for r in records] == [[3.5], [7.5]]
    assert [r["SageMakerInferenceTime"] for r in records] == [start, start]
    assert len({r["SageMakerInferenceId"] for r in records}) == 2
