"""Processing jobs that really run (CreateProcessingJob and friends), as a boto3 user drives them."""

import json
import time

import numpy as np
import pytest
from botocore.exceptions import ClientError

pytestmark = pytest.mark.e2e

ROLE = "arn:aws:iam::000000000000:role/sagewatch-e2e"
ANALYZER = "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer"
CLUSTER = {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 20}}
LOG_GROUP = "/aws/sagemaker/ProcessingJobs"
CSV_FORMAT = json.dumps({"csv": {"header": True, "output_columns_position": "START"}})


def wait_for_job(sagemaker, name, timeout=60.0, done=("Completed", "Failed", "Stopped")):
    deadline = time.monotonic() + timeout
    while True:
        described = sagemaker.describe_processing_job(ProcessingJobName=name)
        if described["ProcessingJobStatus"] in done:
            return described
        assert time.monotonic() < deadline, f"{name} still {described['ProcessingJobStatus']} after {timeout:g} s"
        time.sleep(0.2)


def csv_body(rows=2000, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 1, (rows, 3))
    score = 1 / (1 + np.exp(-x.sum(axis=1)))
    lines = ["score,x0,x1,x2"] + [f"{s:.5f},{a:.4f},{b:.4f},{c:.4f}" for s, (a, b, c) in zip(score, x)]
    return ("\n".join(lines) + "\n").encode()


def baseline_request(name, bucket, image=ANALYZER, **extra):
    request = {
        "ProcessingJobName": name,
        "RoleArn": ROLE,
        "ProcessingResources": CLUSTER,
        "AppSpecification": {"ImageUri": image},
        "ProcessingInputs": [{"InputName": "baseline_dataset_input", "S3Input": {
            "S3Uri": f"s3://{bucket}/data/train.csv", "LocalPath": "/opt/ml/processing/input/baseline_dataset_input",
            "S3DataType": "S3Prefix", "S3InputMode": "File"}}],
        "ProcessingOutputConfig": {"Outputs": [{"OutputName": "monitoring_output", "S3Output": {
            "S3Uri": f"s3://{bucket}/baselining/{name}/results", "LocalPath": "/opt/ml/processing/output",
            "S3UploadMode": "EndOfJob"}}]},
        "Environment": {"dataset_format": CSV_FORMAT,
                        "dataset_source": "/opt/ml/processing/input/baseline_dataset_input",
                        "output_path": "/opt/ml/processing/output", "publish_cloudwatch_metrics": "Disabled"},
        "StoppingCondition": {"MaxRuntimeInSeconds": 600},
    }
    request.update(extra)
    return request


def sleeper_request(name, bucket, seconds, **extra):
    """A job of our analyzer image whose entry point is a Python one-liner (ContainerEntrypoint honoured)."""
    script = ("import os, pathlib, time; out = pathlib.Path(os.environ['SAGEWATCH_OPT_ML'], 'processing', 'output'); "
              "out.mkdir(parents=True, exist_ok=True); (out / 'early.txt').write_text('written while running'); "
              f"print('sleeping', flush=True); time.sleep({seconds})")
    request = {
        "ProcessingJobName": name, "RoleArn": ROLE, "ProcessingResources": CLUSTER,
        "AppSpecification": {"ImageUri": "registry.example.com/team/sagewatch-analyzer:0.1",
                             "ContainerEntrypoint": ["python3", "-c", script]},
        "ProcessingOutputConfig": {"Outputs": [{"OutputName": "out", "S3Output": {
            "S3Uri": f"s3://{bucket}/sleeper/{name}", "LocalPath": "/opt/ml/processing/output",
            "S3UploadMode": "Continuous"}}]},
    }
    request.update(extra)
    return request


def test_baseline_job_with_the_us_east_1_analyzer_image(aws_client, bucket, unique_name):
    sagemaker, s3, logs = aws_client("sagemaker"), aws_client("s3"), aws_client("logs")
    s3.put_object(Bucket=bucket, Key="data/train.csv", Body=csv_body())
    name = unique_name("baseline")
    arn = sagemaker.create_processing_job(**baseline_request(name, bucket))["ProcessingJobArn"]
    assert arn == f"arn:aws:sagemaker:us-east-1:000000000000:processing-job/{name}"

    described = wait_for_job(sagemaker, name)
    assert described["ProcessingJobStatus"] == "Completed", described.get("FailureReason")
    assert described["ExitMessage"] == "Completed: Job completed successfully with no violations."
    assert "FailureReason" not in described
    assert described["CreationTime"] <= described["ProcessingStartTime"] <= described["ProcessingEndTime"]
    assert described["LastModifiedTime"] == described["ProcessingEndTime"]
    assert described["AppSpecification"] == {"ImageUri": ANALYZER}
    assert described["ProcessingInputs"][0]["S3Input"] == {
        "S3Uri": f"s3://{bucket}/data/train.csv", "LocalPath": "/opt/ml/processing/input/baseline_dataset_input",
        "S3DataType": "S3Prefix", "S3InputMode": "File", "S3DataDistributionType": "FullyReplicated",
        "S3CompressionType": "None"}

    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=f"baselining/{name}/results/")["Contents"]}
    assert {f"baselining/{name}/results/statistics.json", f"baselining/{name}/results/constraints.json"} <= keys
    statistics = json.loads(s3.get_object(Bucket=bucket, Key=f"baselining/{name}/results/statistics.json")["Body"].read())
    assert statistics["dataset"]["item_count"] == 2000
    assert [f["name"] for f in statistics["features"]] == ["score", "x0", "x1", "x2"]

    streams = logs.describe_log_streams(logGroupName=LOG_GROUP, logStreamNamePrefix=f"{name}/")["logStreams"]
    assert [s["logStreamName"] for s in streams] == [f"{name}/algo-1-{int(described['ProcessingStartTime'].timestamp())}"]
    events = logs.get_log_events(logGroupName=LOG_GROUP, logStreamName=streams[0]["logStreamName"])["events"]
    assert "Completed: Job completed successfully with no violations." in [e["message"] for e in events]

    listed = sagemaker.list_processing_jobs(NameContains=name)["ProcessingJobSummaries"]
    assert [(j["ProcessingJobName"], j["ProcessingJobStatus"], j["ProcessingJobArn"]) for j in listed] == [
        (name, "Completed", arn)]


def test_state_change_events_reach_an_sqs_target(aws_client, bucket, unique_name):
    sagemaker, s3, events, sqs = (aws_client(s) for s in ("sagemaker", "s3", "events", "sqs"))
    s3.put_object(Bucket=bucket, Key="data/train.csv", Body=csv_body(rows=300))
    name, rule = unique_name("evented"), unique_name("rule")
    queue_url = sqs.create_queue(QueueName=unique_name("queue"))["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name=rule, EventPattern=json.dumps({
        "source": ["aws.sagemaker"], "detail-type": ["SageMaker Processing Job State Change"],
        "detail": {"ProcessingJobName": [name]}}))
    events.put_targets(Rule=rule, Targets=[{"Id": "queue", "Arn": queue_arn}])
    try:
        sagemaker.create_processing_job(**baseline_request(name, bucket))
        wait_for_job(sagemaker, name)
        seen, deadline = {}, time.monotonic() + 30
        while not {"InProgress", "Completed"} <= set(seen) and time.monotonic() < deadline:
            for message in sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10,
                                               WaitTimeSeconds=1).get("Messages", []):
                event = json.loads(message["Body"])
                seen[event["detail"]["ProcessingJobStatus"]] = event
        assert {"InProgress", "Completed"} <= set(seen)
        completed = seen["Completed"]
        assert completed["source"] == "aws.sagemaker"
        assert completed["detail-type"] == "SageMaker Processing Job State Change"
        assert completed["resources"] == [f"arn:aws:sagemaker:us-east-1:000000000000:processing-job/{name}"]
        assert completed["time"].endswith("Z")
        detail = completed["detail"]
        assert detail["ProcessingJobName"] == name
        assert detail["ProcessingInputs"][0]["S3Input"]["S3DataType"] == "S3Prefix"
        assert detail["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3UploadMode"] == "EndOfJob"
        for key in ("CreationTime", "ProcessingStartTime", "ProcessingEndTime", "LastModifiedTime"):
            assert isinstance(detail[key], int) and detail[key] > 1_600_000_000_000
        assert detail["ExitMessage"].startswith("Completed")
        assert "ProcessingEndTime" not in seen["InProgress"]["detail"]
    finally:
        events.remove_targets(Rule=rule, Ids=["queue"])
        events.delete_rule(Name=rule)
        sqs.delete_queue(QueueUrl=queue_url)


def test_unknown_image_fails_with_a_reason_naming_it(aws_client, bucket, unique_name):
    sagemaker = aws_client("sagemaker")
    image = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
    name = unique_name("unknown-image")
    sagemaker.create_processing_job(**baseline_request(name, bucket, image=image))
    described = wait_for_job(sagemaker, name)
    assert described["ProcessingJobStatus"] == "Failed"
    assert image in described["FailureReason"]
    assert "SAGEWATCH_IMAGE_MAP" in described["FailureReason"]


def test_failing_analyzer_reports_its_message(aws_client, bucket, unique_name):
    sagemaker, s3 = aws_client("sagemaker"), aws_client("s3")
    s3.put_object(Bucket=bucket, Key="data/train.csv", Body=csv_body(rows=50))
    name = unique_name("bad-format")
    request = baseline_request(name, bucket)
    request["Environment"]["dataset_format"] = "{not json"
    sagemaker.create_processing_job(**request)
    described = wait_for_job(sagemaker, name)
    assert described["ProcessingJobStatus"] == "Failed"
    assert described["FailureReason"].startswith("ClientError: dataset_format is not valid JSON")
    assert len(described["FailureReason"]) <= 1024


def test_missing_input_objects_fail_the_job(aws_client, bucket, unique_name):
    sagemaker = aws_client("sagemaker")
    name = unique_name("no-input")
    sagemaker.create_processing_job(**baseline_request(name, bucket))
    described = wait_for_job(sagemaker, name)
    assert described["ProcessingJobStatus"] == "Failed"
    assert described["FailureReason"].startswith(f'ClientError: No S3 objects found under S3 URL "s3://{bucket}/data/train.csv"')


def test_duplicate_job_name_is_resource_in_use(aws_client, bucket, unique_name):
    sagemaker = aws_client("sagemaker")
    name = unique_name("twice")
    sagemaker.create_processing_job(**baseline_request(name, bucket))
    with pytest.raises(ClientError) as error:
        sagemaker.create_processing_job(**baseline_request(name, bucket))
    assert error.value.response["Error"]["Code"] == "ResourceInUse"
    assert f"processing-job/{name}" in error.value.response["Error"]["Message"]
    wait_for_job(sagemaker, name)


@pytest.fixture(scope="module")
def unchecked_sagemaker(endpoint_url):
    """A SageMaker client without boto3's own parameter checks, as other SDKs or CloudFormation call the API."""
    import boto3
    from botocore.config import Config

    return boto3.client("sagemaker", endpoint_url=endpoint_url, region_name="us-east-1", aws_access_key_id="test",
                        aws_secret_access_key="test", config=Config(parameter_validation=False))


@pytest.mark.parametrize("change, field", [
    ({"ProcessingJobName": "under_score"}, "processingJobName"),
    ({"StoppingCondition": {"MaxRuntimeInSeconds": 0}}, "stoppingCondition.maxRuntimeInSeconds"),
    ({"RoleArn": "not-a-role"}, "roleArn"),
])
def test_invalid_requests_are_validation_exceptions(unchecked_sagemaker, bucket, unique_name, change, field):
    request = baseline_request(unique_name("invalid"), bucket, **change)
    with pytest.raises(ClientError) as error:
        unchecked_sagemaker.create_processing_job(**request)
    response = error.value.response
    assert response["Error"]["Code"] == "ValidationException"
    assert f"at '{field}' failed to satisfy constraint" in response["Error"]["Message"]


def test_input_outside_opt_ml_processing_is_rejected(aws_client, bucket, unique_name):
    request = baseline_request(unique_name("bad-path"), bucket)
    request["ProcessingInputs"][0]["S3Input"]["LocalPath"] = "/tmp/data"
    with pytest.raises(ClientError) as error:
        aws_client("sagemaker").create_processing_job(**request)
    assert error.value.response["Error"]["Code"] == "ValidationException"
    assert "/opt/ml/processing/" in error.value.response["Error"]["Message"]


def test_max_runtime_is_enforced(aws_client, bucket, unique_name):
    sagemaker = aws_client("sagemaker")
    name = unique_name("too-long")
    started = time.monotonic()
    sagemaker.create_processing_job(**sleeper_request(name, bucket, 60, StoppingCondition={"MaxRuntimeInSeconds": 2}))
    described = wait_for_job(sagemaker, name, timeout=30)
    assert time.monotonic() - started < 20
    assert described["ProcessingJobStatus"] == "Failed"
    assert "MaxRuntimeInSeconds exceeded" in described["FailureReason"]


def test_stop_processing_job_and_continuous_uploads(aws_client, bucket, unique_name):
    sagemaker, s3 = aws_client("sagemaker"), aws_client("s3")
    name = unique_name("stopped")
    sagemaker.create_processing_job(**sleeper_request(name, bucket, 120))
    deadline = time.monotonic() + 20
    while not s3.list_objects_v2(Bucket=bucket, Prefix=f"sleeper/{name}/").get("Contents"):
        assert time.monotonic() < deadline, "the Continuous output was not uploaded while the job ran"
        time.sleep(0.3)
    assert sagemaker.describe_processing_job(ProcessingJobName=name)["ProcessingJobStatus"] == "InProgress"
    body = s3.get_object(Bucket=bucket, Key=f"sleeper/{name}/early.txt")["Body"].read()
    assert body == b"written while running"

    sagemaker.stop_processing_job(ProcessingJobName=name)
    assert sagemaker.describe_processing_job(ProcessingJobName=name)["ProcessingJobStatus"] in ("Stopping", "Stopped")
    described = wait_for_job(sagemaker, name, timeout=30)
    assert described["ProcessingJobStatus"] == "Stopped"
    assert "FailureReason" not in described
    with pytest.raises(ClientError) as error:
        sagemaker.stop_processing_job(ProcessingJobName=name)
    assert error.value.response["Error"]["Code"] == "ValidationException"


def test_unknown_job_is_resource_not_found(aws_client, unique_name):
    sagemaker = aws_client("sagemaker")
    for call in (sagemaker.describe_processing_job, sagemaker.stop_processing_job):
        with pytest.raises(ClientError) as error:
            call(ProcessingJobName=unique_name("missing"))
        assert error.value.response["Error"]["Code"] == "ResourceNotFound"


def test_list_processing_jobs_filters_sorts_and_pages(aws_client, bucket, unique_name):
    sagemaker = aws_client("sagemaker")
    prefix = unique_name("listed")
    names = [f"{prefix}-{i}" for i in range(3)]
    for name in names:  # no input objects: each fails quickly
        sagemaker.create_processing_job(**baseline_request(name, bucket))
    for name in names:
        wait_for_job(sagemaker, name)
    first = sagemaker.list_processing_jobs(NameContains=prefix, SortBy="Name", SortOrder="Ascending", MaxResults=2)
    assert [j["ProcessingJobName"] for j in first["ProcessingJobSummaries"]] == names[:2]
    second = sagemaker.list_processing_jobs(NameContains=prefix, SortBy="Name", SortOrder="Ascending", MaxResults=2,
                                            NextToken=first["NextToken"])
    assert [j["ProcessingJobName"] for j in second["ProcessingJobSummaries"]] == names[2:]
    assert "NextToken" not in second
    newest_first = sagemaker.list_processing_jobs(NameContains=prefix)["ProcessingJobSummaries"]
    assert [j["ProcessingJobName"] for j in newest_first] == names[::-1]
    assert sagemaker.list_processing_jobs(NameContains=prefix, StatusEquals="Completed")["ProcessingJobSummaries"] == []
    failed = sagemaker.list_processing_jobs(NameContains=prefix, StatusEquals="Failed")["ProcessingJobSummaries"]
    assert len(failed) == 3 and all(j["FailureReason"].startswith("ClientError") for j in failed)
