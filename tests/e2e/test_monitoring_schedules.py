"""Monitoring schedules, job definitions and executions, driven through boto3 as a user would.

The endpoint is created through the SageMaker API (a scikit-learn model in S3, data capture enabled); captured
traffic is written straight to S3 in the capture layout (the endpoints write the same layout), so executions
have data for any hour the test chooses.
"""

import io
import json
import subprocess
import sys
import tarfile
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timedelta, timezone

import joblib
import numpy as np
import pytest
from botocore.exceptions import ClientError
from sklearn.linear_model import LinearRegression

from sagewatch.capture.keys import capture_object_key
from sagewatch.schemas.capture import make_capture_record, serialize_capture_record

pytestmark = pytest.mark.e2e

ROLE = "arn:aws:iam::000000000000:role/sagewatch-e2e"
ANALYZER = "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer"
SKLEARN_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
CLUSTER = {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 20}}
PAST_HOUR = datetime(2024, 5, 1, 10, tzinfo=timezone.utc)  # captured traffic for run-now tests lives here
DONE = ("Completed", "CompletedWithViolations", "Failed", "Stopped")


# --- helpers --------------------------------------------------------------------------------------------------


def _tar_gz(files):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _model_tarball():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(200, 3))
    buffer = io.BytesIO()
    joblib.dump(LinearRegression().fit(x, x.sum(axis=1)), buffer)
    return _tar_gz({"model.joblib": buffer.getvalue()})


def write_captures(s3, bucket, endpoint, start, rows, *, shift=0.0, span=timedelta(minutes=50), files=3):
    """Captured invocations (input x0,x1,x2; output a score) with inference times spread over *span*."""
    rng = np.random.default_rng(rows)
    x = rng.normal(shift, 1, (rows, 3))
    records = []
    for i, row in enumerate(x):
        when = start + span * i / rows
        record = make_capture_record(event_id=str(uuid.uuid4()), inference_time=when,
                                     input_data=",".join(f"{v:.4f}" for v in row),
                                     output_data=f"{1 / (1 + np.exp(-row.sum())):.5f}")
        records.append((when, serialize_capture_record(record)))
    per_file = -(-rows // files)
    for first in range(0, rows, per_file):
        batch = records[first:first + per_file]
        key = capture_object_key("capture", endpoint, "AllTraffic", batch[0][0], str(uuid.uuid4()))
        s3.put_object(Bucket=bucket, Key=key, Body="".join(line + "\n" for _, line in batch).encode())


def wait_for_execution(sagemaker, schedule, timeout=90.0, scheduled_time=None):
    deadline = time.monotonic() + timeout
    while True:
        summaries = sagemaker.list_monitoring_executions(MonitoringScheduleName=schedule)["MonitoringExecutionSummaries"]
        if scheduled_time is not None:
            summaries = [s for s in summaries if s["ScheduledTime"] == scheduled_time]
        if summaries and summaries[0]["MonitoringExecutionStatus"] in DONE:
            return summaries[0]
        assert time.monotonic() < deadline, f"no finished execution of {schedule} after {timeout:g} s: {summaries}"
        time.sleep(0.3)


def post_json(url, body):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def inline_definition(endpoint, bucket, baseline, image=ANALYZER):
    return {
        "BaselineConfig": {"ConstraintsResource": {"S3Uri": baseline["constraints"]},
                           "StatisticsResource": {"S3Uri": baseline["statistics"]}},
        "MonitoringInputs": [{"EndpointInput": {"EndpointName": endpoint, "LocalPath": "/opt/ml/processing/input/endpoint"}}],
        "MonitoringOutputConfig": {"MonitoringOutputs": [{"S3Output": {
            "S3Uri": f"s3://{bucket}/reports", "LocalPath": "/opt/ml/processing/output"}}]},
        "MonitoringResources": CLUSTER,
        "MonitoringAppSpecification": {"ImageUri": image},
        "StoppingCondition": {"MaxRuntimeInSeconds": 1800},
        "RoleArn": ROLE,
    }


# --- fixtures -------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def module_bucket(aws_client):
    s3 = aws_client("s3")
    name = f"sw-monitoring-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=name)
    yield name
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=name):
        for item in page.get("Contents", []):
            s3.delete_object(Bucket=name, Key=item["Key"])
    s3.delete_bucket(Bucket=name)


@pytest.fixture(scope="module")
def endpoint(aws_client, module_bucket):
    """A scikit-learn endpoint with data capture to s3://<bucket>/capture, created through the SageMaker API."""
    sagemaker, s3 = aws_client("sagemaker"), aws_client("s3")
    name = f"sw-monitored-{uuid.uuid4().hex[:8]}"
    s3.put_object(Bucket=module_bucket, Key=f"models/{name}/model.tar.gz", Body=_model_tarball())
    sagemaker.create_model(ModelName=name, ExecutionRoleArn=ROLE, PrimaryContainer={
        "Image": SKLEARN_IMAGE, "ModelDataUrl": f"s3://{module_bucket}/models/{name}/model.tar.gz"})
    sagemaker.create_endpoint_config(
        EndpointConfigName=name,
        ProductionVariants=[{"VariantName": "AllTraffic", "ModelName": name, "InitialInstanceCount": 1,
                             "InstanceType": "ml.m5.large", "InitialVariantWeight": 1.0}],
        DataCaptureConfig={"EnableCapture": True, "InitialSamplingPercentage": 100,
                           "DestinationS3Uri": f"s3://{module_bucket}/capture",
                           "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}]})
    sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=name)
    yield name
    for delete in (lambda: sagemaker.delete_endpoint(EndpointName=name),
                   lambda: sagemaker.delete_endpoint_config(EndpointConfigName=name),
                   lambda: sagemaker.delete_model(ModelName=name)):
        try:
            delete()
        except ClientError:
            pass


@pytest.fixture(scope="module")
def baseline(aws_client, module_bucket):
    """statistics.json and constraints.json of a baselining job over undrifted data (score, x0, x1, x2)."""
    sagemaker, s3 = aws_client("sagemaker"), aws_client("s3")
    rng = np.random.default_rng(0)
    x = rng.normal(0, 1, (3000, 3))
    score = 1 / (1 + np.exp(-x.sum(axis=1)))
    rows = ["score,x0,x1,x2"] + [f"{s:.5f},{a:.4f},{b:.4f},{c:.4f}" for s, (a, b, c) in zip(score, x)]
    s3.put_object(Bucket=module_bucket, Key="baseline-data/train.csv", Body=("\n".join(rows) + "\n").encode())
    name = f"sw-baseline-{uuid.uuid4().hex[:8]}"
    results = f"s3://{module_bucket}/baselining/{name}/results"
    sagemaker.create_processing_job(
        ProcessingJobName=name, RoleArn=ROLE, ProcessingResources=CLUSTER, AppSpecification={"ImageUri": ANALYZER},
        ProcessingInputs=[{"InputName": "baseline_dataset_input", "S3Input": {
            "S3Uri": f"s3://{module_bucket}/baseline-data", "S3DataType": "S3Prefix",
            "LocalPath": "/opt/ml/processing/input/baseline_dataset_input"}}],
        ProcessingOutputConfig={"Outputs": [{"OutputName": "monitoring_output", "S3Output": {
            "S3Uri": results, "LocalPath": "/opt/ml/processing/output", "S3UploadMode": "EndOfJob"}}]},
        Environment={"dataset_format": json.dumps({"csv": {"header": True, "output_columns_position": "START"}}),
                     "dataset_source": "/opt/ml/processing/input/baseline_dataset_input",
                     "output_path": "/opt/ml/processing/output", "publish_cloudwatch_metrics": "Disabled"})
    deadline = time.monotonic() + 60
    while (status := sagemaker.describe_processing_job(ProcessingJobName=name)["ProcessingJobStatus"]) == "InProgress":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert status == "Completed"
    return {"job": name, "constraints": f"{results}/constraints.json", "statistics": f"{results}/statistics.json"}


@pytest.fixture(scope="module")
def past_traffic(aws_client, module_bucket, endpoint):
    """Drifted traffic captured during PAST_HOUR (x shifted by +2 standard deviations)."""
    write_captures(aws_client("s3"), module_bucket, endpoint, PAST_HOUR + timedelta(minutes=2), 900, shift=2.0)
    return PAST_HOUR


@pytest.fixture
def data_quality_definition(aws_client, module_bucket, endpoint, baseline, unique_name):
    sagemaker = aws_client("sagemaker")
    name = unique_name("dq-definition")
    sagemaker.create_data_quality_job_definition(
        JobDefinitionName=name, RoleArn=ROLE, JobResources=CLUSTER,
        DataQualityAppSpecification={"ImageUri": ANALYZER, "Environment": {"publish_cloudwatch_metrics": "Enabled"}},
        DataQualityBaselineConfig={"ConstraintsResource": {"S3Uri": baseline["constraints"]},
                                   "StatisticsResource": {"S3Uri": baseline["statistics"]}},
        DataQualityJobInput={"EndpointInput": {"EndpointName": endpoint, "LocalPath": "/opt/ml/processing/input/endpoint",
                                               "S3InputMode": "File", "S3DataDistributionType": "FullyReplicated"}},
        DataQualityJobOutputConfig={"MonitoringOutputs": [{"S3Output": {
            "S3Uri": f"s3://{module_bucket}/reports", "LocalPath": "/opt/ml/processing/output",
            "S3UploadMode": "Continuous"}}]},
        StoppingCondition={"MaxRuntimeInSeconds": 1800})
    return name


@pytest.fixture
def schedules(aws_client):
    """Names to delete after the test."""
    names = []
    yield names
    for name in names:
        try:
            aws_client("sagemaker").delete_monitoring_schedule(MonitoringScheduleName=name)
        except ClientError:
            pass


# --- tests ----------------------------------------------------------------------------------------------------


def test_now_schedule_over_drifted_traffic(aws_client, module_bucket, endpoint, data_quality_definition, schedules,
                                           unique_name):
    sagemaker, s3, cloudwatch = aws_client("sagemaker"), aws_client("s3"), aws_client("cloudwatch")
    now = datetime.now(timezone.utc)
    write_captures(s3, module_bucket, endpoint, now - timedelta(minutes=45), 600, shift=2.0,
                   span=timedelta(minutes=40))
    name = unique_name("now")
    schedules.append(name)
    arn = sagemaker.create_monitoring_schedule(MonitoringScheduleName=name, MonitoringScheduleConfig={
        "ScheduleConfig": {"ScheduleExpression": "NOW", "DataAnalysisStartTime": "-PT1H",
                           "DataAnalysisEndTime": "-PT0H"},
        "MonitoringJobDefinitionName": data_quality_definition, "MonitoringType": "DataQuality"})["MonitoringScheduleArn"]
    assert arn == f"arn:aws:sagemaker:us-east-1:000000000000:monitoring-schedule/{name}"
    described = sagemaker.describe_monitoring_schedule(MonitoringScheduleName=name)
    assert described["MonitoringScheduleStatus"] in ("Pending", "Scheduled")
    assert described["EndpointName"] == endpoint and described["MonitoringType"] == "DataQuality"

    execution = wait_for_execution(sagemaker, name)
    assert execution["MonitoringExecutionStatus"] == "CompletedWithViolations", execution.get("FailureReason")
    assert execution["EndpointName"] == endpoint
    assert execution["MonitoringJobDefinitionName"] == data_quality_definition
    scheduled = execution["ScheduledTime"].astimezone(timezone.utc)
    assert abs((scheduled - now).total_seconds()) < 60

    job = sagemaker.describe_processing_job(ProcessingJobName=execution["ProcessingJobArn"].rsplit("/", 1)[1])
    assert job["ProcessingJobName"].startswith(f"model-monitoring-{scheduled:%Y%m%d%H%M}-")
    assert job["MonitoringScheduleArn"] == arn
    assert job["ExitMessage"].startswith("CompletedWithViolations: Job completed successfully with ")
    environment = job["Environment"]
    assert json.loads(environment["dataset_format"]) == {
        "sagemakerCaptureJson": {"captureIndexNames": ["endpointInput", "endpointOutput"]}}
    assert environment["dataset_source"] == "/opt/ml/processing/input/endpoint"
    assert environment["output_path"] == "/opt/ml/processing/output"
    assert environment["baseline_constraints"] == "/opt/ml/processing/baseline/constraints/constraints.json"
    assert environment["baseline_statistics"] == "/opt/ml/processing/baseline/stats/statistics.json"
    assert environment["sagemaker_endpoint_name"] == endpoint
    assert environment["sagemaker_monitoring_schedule_name"] == name
    assert environment["publish_cloudwatch_metrics"] == "Enabled"
    assert environment["end_time"] == f"{scheduled:%Y-%m-%dT%H:%M:%SZ}"
    assert environment["start_time"] == environment["metric_time"] == f"{scheduled - timedelta(hours=1):%Y-%m-%dT%H:%M:%SZ}"
    endpoint_inputs = [i for i in job["ProcessingInputs"] if i["InputName"].startswith("endpoint_input_")]
    assert endpoint_inputs and all(
        i["S3Input"]["LocalPath"].startswith(f"/opt/ml/processing/input/endpoint/{endpoint}/AllTraffic/")
        for i in endpoint_inputs)
    output = job["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]
    report = f"reports/{endpoint}/{name}/{scheduled:%Y/%m/%d/%H}"
    assert output == {"S3Uri": f"s3://{module_bucket}/{report}", "LocalPath": "/opt/ml/processing/output",
                      "S3UploadMode": "Continuous"}

    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=module_bucket, Prefix=report + "/")["Contents"]}
    assert {f"{report}/constraint_violations.json", f"{report}/statistics.json", f"{report}/constraints.json"} <= keys
    violations = json.loads(s3.get_object(Bucket=module_bucket, Key=f"{report}/constraint_violations.json")["Body"].read())
    drifted = {v["feature_name"] for v in violations["violations"] if v["constraint_check_type"] == "baseline_drift_check"}
    assert {"x0", "x1", "x2"} <= drifted
    statistics = json.loads(s3.get_object(Bucket=module_bucket, Key=f"{report}/statistics.json")["Body"].read())
    assert statistics["dataset"]["item_count"] == 600

    dimensions = [{"Name": "Endpoint", "Value": endpoint}, {"Name": "MonitoringSchedule", "Value": name}]
    metrics = cloudwatch.list_metrics(Namespace="aws/sagemaker/Endpoints/data-metrics", Dimensions=dimensions)["Metrics"]
    names = {m["MetricName"] for m in metrics}
    assert {"feature_baseline_drift_x0", "feature_baseline_drift_x1", "feature_baseline_drift_x2"} <= names
    datapoints = cloudwatch.get_metric_statistics(
        Namespace="aws/sagemaker/Endpoints/data-metrics", MetricName="feature_baseline_drift_x0", Dimensions=dimensions,
        StartTime=now - timedelta(hours=3), EndTime=now + timedelta(hours=1), Period=3600,
        Statistics=["Maximum"])["Datapoints"]
    assert datapoints and max(d["Maximum"] for d in datapoints) > 0.1

    last = sagemaker.describe_monitoring_schedule(MonitoringScheduleName=name)["LastMonitoringExecutionSummary"]
    assert last["MonitoringExecutionStatus"] == "CompletedWithViolations"
    assert last["ProcessingJobArn"] == execution["ProcessingJobArn"]


def test_run_now_route_for_an_hourly_schedule(aws_client, endpoint_url, module_bucket, endpoint, baseline,
                                              past_traffic, schedules, unique_name):
    sagemaker, s3 = aws_client("sagemaker"), aws_client("s3")
    name = unique_name("hourly")
    schedules.append(name)
    sagemaker.create_monitoring_schedule(MonitoringScheduleName=name, MonitoringScheduleConfig={
        "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"},
        "MonitoringJobDefinition": inline_definition(endpoint, module_bucket, baseline)})
    scheduled = past_traffic + timedelta(hours=1)
    status, summary = post_json(f"{endpoint_url}/_sagewatch/schedules/{name}/executions",
                                {"ScheduledTime": f"{scheduled:%Y-%m-%dT%H:%M:%SZ}"})
    assert status == 200, summary
    assert summary["MonitoringScheduleName"] == name
    assert summary["ScheduledTime"] == "2024-05-01T11:00:00Z"
    assert summary["MonitoringExecutionStatus"] in ("Pending", "InProgress")
    assert summary["MonitoringType"] == "DataQuality" and summary["EndpointName"] == endpoint

    execution = wait_for_execution(sagemaker, name, scheduled_time=scheduled)
    assert execution["MonitoringExecutionStatus"] == "CompletedWithViolations", execution.get("FailureReason")
    job = sagemaker.describe_processing_job(ProcessingJobName=execution["ProcessingJobArn"].rsplit("/", 1)[1])
    assert (job["Environment"]["start_time"], job["Environment"]["end_time"]) == ("2024-05-01T10:00:00Z",
                                                                                  "2024-05-01T11:00:00Z")
    report = f"reports/{endpoint}/{name}/2024/05/01/11/"
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=module_bucket, Prefix=report)["Contents"]}
    assert f"{report}constraint_violations.json" in keys
    statistics = json.loads(s3.get_object(Bucket=module_bucket, Key=f"{report}statistics.json")["Body"].read())
    assert statistics["dataset"]["item_count"] == 900

    with urllib.request.urlopen(f"{endpoint_url}/_sagewatch/schedules/{name}/executions", timeout=10) as response:
        listed = json.loads(response.read())["MonitoringExecutionSummaries"]
    assert [(e["ScheduledTime"], e["MonitoringExecutionStatus"]) for e in listed] == [
        ("2024-05-01T11:00:00Z", "CompletedWithViolations")]
    assert listed[0]["ProcessingJobName"] == job["ProcessingJobName"]


def test_run_schedule_command_waits_for_the_execution(aws_client, endpoint_url, module_bucket, endpoint, baseline,
                                                      past_traffic, schedules, unique_name):
    name = unique_name("cli")
    schedules.append(name)
    aws_client("sagemaker").create_monitoring_schedule(MonitoringScheduleName=name, MonitoringScheduleConfig={
        "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"},
        "MonitoringJobDefinition": inline_definition(endpoint, module_bucket, baseline)})
    done = subprocess.run([sys.executable, "-m", "sagewatch", "local", "run-schedule", name, "--scheduled-time",
                           "2024-05-01T11:00:00Z", "--wait", "--endpoint-url", endpoint_url],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    final = json.loads(done.stdout[done.stdout.rindex("\n{") + 1:])
    assert final["MonitoringExecutionStatus"] == "CompletedWithViolations"
    assert final["ScheduledTime"] == "2024-05-01T11:00:00Z"


def test_run_now_errors(endpoint_url, aws_client, module_bucket, endpoint, baseline, schedules, unique_name):
    status, body = post_json(f"{endpoint_url}/_sagewatch/schedules/{unique_name('missing')}/executions", {})
    assert status == 404 and body["error"]["Code"] == "ResourceNotFound"
    name = unique_name("errors")
    schedules.append(name)
    aws_client("sagemaker").create_monitoring_schedule(MonitoringScheduleName=name, MonitoringScheduleConfig={
        "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"},
        "MonitoringJobDefinition": inline_definition(endpoint, module_bucket, baseline)})
    status, body = post_json(f"{endpoint_url}/_sagewatch/schedules/{name}/executions", {"ScheduledTime": "yesterday"})
    assert status == 400 and "ISO-8601" in body["error"]["Message"]


def test_window_without_captured_data_fails(aws_client, endpoint_url, module_bucket, endpoint, baseline, schedules,
                                            unique_name):
    sagemaker = aws_client("sagemaker")
    name = unique_name("empty")
    schedules.append(name)
    sagemaker.create_monitoring_schedule(MonitoringScheduleName=name, MonitoringScheduleConfig={
        "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"},
        "MonitoringJobDefinition": inline_definition(endpoint, module_bucket, baseline)})
    status, summary = post_json(f"{endpoint_url}/_sagewatch/schedules/{name}/executions",
                                {"ScheduledTime": "2023-01-01T05:00:00Z"})
    assert status == 200
    execution = wait_for_execution(sagemaker, name)
    assert execution["MonitoringExecutionStatus"] == "Failed"
    assert execution["FailureReason"].startswith(f"Job inputs had no data: no captured data for endpoint {endpoint} "
                                                 "between 2023-01-01T04:00:00Z and 2023-01-01T05:00:00Z")
    assert "ProcessingJobArn" not in execution


def test_model_quality_run_now_without_ground_truth_fails_clearly(aws_client, endpoint_url, module_bucket, endpoint, baseline,
                                               past_traffic, schedules, unique_name):
    sagemaker = aws_client("sagemaker")
    definition = unique_name("mq-definition")
    sagemaker.create_model_quality_job_definition(
        JobDefinitionName=definition, RoleArn=ROLE, JobResources=CLUSTER,
        ModelQualityAppSpecification={"ImageUri": ANALYZER, "ProblemType": "Regression"},
        ModelQualityJobInput={"EndpointInput": {"EndpointName": endpoint, "LocalPath": "/opt/ml/processing/input/endpoint",
                                                "InferenceAttribute": "0"},
                              "GroundTruthS3Input": {"S3Uri": f"s3://{module_bucket}/ground-truth"}},
        ModelQualityJobOutputConfig={"MonitoringOutputs": [{"S3Output": {
            "S3Uri": f"s3://{module_bucket}/mq-reports", "LocalPath": "/opt/ml/processing/output"}}]})
    name = unique_name("mq")
    schedules.append(name)
    sagemaker.create_monitoring_schedule(MonitoringScheduleName=name, MonitoringScheduleConfig={
        "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"},
        "MonitoringJobDefinitionName": definition, "MonitoringType": "ModelQuality"})
    status, _ = post_json(f"{endpoint_url}/_sagewatch/schedules/{name}/executions",
                          {"ScheduledTime": "2024-05-01T11:00:00Z"})
    assert status == 200
    execution = wait_for_execution(sagemaker, name)
    assert execution["MonitoringExecutionStatus"] == "Failed"
    assert execution["MonitoringType"] == "ModelQuality"
    assert execution["FailureReason"].startswith(
        f"ClientError: No ground truth to merge: no usable ground-truth record under s3://{module_bucket}/ground-truth ")
    assert execution["ProcessingJobArn"].rsplit("/", 1)[1].startswith("groundtruth-merge-202405011100-")
    with pytest.raises(ClientError) as error:  # a definition in use cannot be deleted
        sagemaker.delete_model_quality_job_definition(JobDefinitionName=definition)
    assert error.value.response["Error"]["Code"] == "ValidationException"
    sagemaker.delete_monitoring_schedule(MonitoringScheduleName=name)
    sagemaker.delete_model_quality_job_definition(JobDefinitionName=definition)


def test_schedule_lifecycle_and_listing(aws_client, module_bucket, endpoint, baseline, data_quality_definition,
                                        schedules, unique_name):
    sagemaker = aws_client("sagemaker")
    name = unique_name("lifecycle")
    schedules.append(name)
    sagemaker.create_monitoring_schedule(MonitoringScheduleName=name, MonitoringScheduleConfig={
        "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"},
        "MonitoringJobDefinitionName": data_quality_definition, "MonitoringType": "DataQuality"})
    deadline = time.monotonic() + 10
    while sagemaker.describe_monitoring_schedule(MonitoringScheduleName=name)["MonitoringScheduleStatus"] != "Scheduled":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    sagemaker.stop_monitoring_schedule(MonitoringScheduleName=name)
    assert sagemaker.describe_monitoring_schedule(MonitoringScheduleName=name)["MonitoringScheduleStatus"] == "Stopped"
    sagemaker.start_monitoring_schedule(MonitoringScheduleName=name)
    assert sagemaker.describe_monitoring_schedule(MonitoringScheduleName=name)["MonitoringScheduleStatus"] == "Scheduled"

    sagemaker.update_monitoring_schedule(MonitoringScheduleName=name, MonitoringScheduleConfig={
        "ScheduleConfig": {"ScheduleExpression": "cron(0 12 ? * * *)"},
        "MonitoringJobDefinitionName": data_quality_definition, "MonitoringType": "DataQuality"})
    described = sagemaker.describe_monitoring_schedule(MonitoringScheduleName=name)
    assert described["MonitoringScheduleConfig"]["ScheduleConfig"]["ScheduleExpression"] == "cron(0 12 ? * * *)"
    assert "LastMonitoringExecutionSummary" not in described

    listed = sagemaker.list_monitoring_schedules(EndpointName=endpoint, NameContains=name)["MonitoringScheduleSummaries"]
    assert [(s["MonitoringScheduleName"], s["MonitoringJobDefinitionName"], s["MonitoringType"]) for s in listed] == [
        (name, data_quality_definition, "DataQuality")]
    assert sagemaker.list_monitoring_schedules(NameContains=name, StatusEquals="Stopped")["MonitoringScheduleSummaries"] == []
    by_definition = sagemaker.list_monitoring_schedules(MonitoringJobDefinitionName=data_quality_definition)
    assert [s["MonitoringScheduleName"] for s in by_definition["MonitoringScheduleSummaries"]] == [name]

    sagemaker.delete_monitoring_schedule(MonitoringScheduleName=name)
    with pytest.raises(ClientError) as error:
        sagemaker.describe_monitoring_schedule(MonitoringScheduleName=name)
    assert error.value.response["Error"]["Code"] == "ResourceNotFound"
    sagemaker.delete_data_quality_job_definition(JobDefinitionName=data_quality_definition)


def test_job_definitions_crud(aws_client, module_bucket, endpoint, baseline, data_quality_definition, unique_name):
    sagemaker = aws_client("sagemaker")
    described = sagemaker.describe_data_quality_job_definition(JobDefinitionName=data_quality_definition)
    assert described["JobDefinitionArn"] == (
        f"arn:aws:sagemaker:us-east-1:000000000000:data-quality-job-definition/{data_quality_definition}")
    assert described["DataQualityJobInput"]["EndpointInput"]["EndpointName"] == endpoint
    assert described["DataQualityAppSpecification"]["Environment"] == {"publish_cloudwatch_metrics": "Enabled"}
    listed = sagemaker.list_data_quality_job_definitions(EndpointName=endpoint, NameContains=data_quality_definition)
    assert [(d["MonitoringJobDefinitionName"], d["EndpointName"]) for d in listed["JobDefinitionSummaries"]] == [
        (data_quality_definition, endpoint)]
    with pytest.raises(ClientError) as error:
        sagemaker.create_data_quality_job_definition(**{**{k: v for k, v in described.items()
                                                          if k not in ("JobDefinitionArn", "CreationTime",
                                                                       "ResponseMetadata")}})
    assert error.value.response["Error"]["Code"] == "ResourceInUse"

    bias = unique_name("bias-definition")
    sagemaker.create_model_bias_job_definition(
        JobDefinitionName=bias, RoleArn=ROLE, JobResources=CLUSTER,
        ModelBiasAppSpecification={"ImageUri": "205585389593.dkr.ecr.us-east-1.amazonaws.com/sagemaker-clarify-processing:1.0",
                                   "ConfigUri": f"s3://{module_bucket}/analysis_config.json"},
        ModelBiasJobInput={"EndpointInput": {"EndpointName": endpoint, "LocalPath": "/opt/ml/processing/input/endpoint"},
                           "GroundTruthS3Input": {"S3Uri": f"s3://{module_bucket}/ground-truth"}},
        ModelBiasJobOutputConfig={"MonitoringOutputs": [{"S3Output": {
            "S3Uri": f"s3://{module_bucket}/bias", "LocalPath": "/opt/ml/processing/output"}}]})
    assert sagemaker.describe_model_bias_job_definition(JobDefinitionName=bias)["ModelBiasJobOutputConfig"][
        "MonitoringOutputs"][0]["S3Output"]["S3UploadMode"] == "Continuous"
    sagemaker.delete_model_bias_job_definition(JobDefinitionName=bias)
    for call in (sagemaker.describe_model_bias_job_definition, sagemaker.delete_model_bias_job_definition):
        with pytest.raises(ClientError) as error:
            call(JobDefinitionName=bias)
        assert error.value.response["Error"]["Code"] == "ResourceNotFound"
    sagemaker.delete_data_quality_job_definition(JobDefinitionName=data_quality_definition)


@pytest.mark.parametrize("schedule_config, message", [
    ({"ScheduleExpression": "rate(1 hour)"}, "Invalid ScheduleExpression rate(1 hour)"),
    ({"ScheduleExpression": "cron(30 * ? * * *)"}, "the minutes field must be 0"),
    ({"ScheduleExpression": "cron(0 * ? * MON *)"}, "schedules run every day"),
    ({"ScheduleExpression": "NOW"}, "needs DataAnalysisStartTime and DataAnalysisEndTime"),
    ({"ScheduleExpression": "NOW", "DataAnalysisStartTime": "-PT1H", "DataAnalysisEndTime": "PT0H"},
     "Invalid DataAnalysisEndTime 'PT0H'"),
    ({"ScheduleExpression": "NOW", "DataAnalysisStartTime": "-PT1H", "DataAnalysisEndTime": "-PT2H"},
     "must come before the end offset"),
])
def test_bad_schedule_expressions_are_validation_exceptions(aws_client, module_bucket, endpoint, baseline,
                                                            unique_name, schedule_config, message):
    with pytest.raises(ClientError) as error:
        aws_client("sagemaker").create_monitoring_schedule(
            MonitoringScheduleName=unique_name("invalid"),
            MonitoringScheduleConfig={"ScheduleConfig": schedule_config,
                                      "MonitoringJobDefinition": inline_definition(endpoint, module_bucket, baseline)})
    assert error.value.response["Error"]["Code"] == "ValidationException"
    assert message in error.value.response["Error"]["Message"]


def test_unknown_job_definition_and_duplicate_schedule(aws_client, module_bucket, endpoint, baseline, schedules,
                                                       unique_name):
    sagemaker = aws_client("sagemaker")
    with pytest.raises(ClientError) as error:
        sagemaker.create_monitoring_schedule(MonitoringScheduleName=unique_name("orphan"), MonitoringScheduleConfig={
            "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"},
            "MonitoringJobDefinitionName": unique_name("nowhere"), "MonitoringType": "DataQuality"})
    assert error.value.response["Error"]["Code"] == "ValidationException"
    assert "Could not find DataQuality job definition" in error.value.response["Error"]["Message"]

    name = unique_name("dup")
    schedules.append(name)
    config = {"ScheduleConfig": {"ScheduleExpression": "cron(0 0/6 ? * * *)"},
              "MonitoringJobDefinition": inline_definition(endpoint, module_bucket, baseline)}
    sagemaker.create_monitoring_schedule(MonitoringScheduleName=name, MonitoringScheduleConfig=config)
    with pytest.raises(ClientError) as error:
        sagemaker.create_monitoring_schedule(MonitoringScheduleName=name, MonitoringScheduleConfig=config)
    assert error.value.response["Error"]["Code"] == "ResourceInUse"


def test_list_monitoring_executions_filters_and_pages(aws_client, endpoint_url, module_bucket, endpoint, baseline,
                                                      past_traffic, schedules, unique_name):
    sagemaker = aws_client("sagemaker")
    name = unique_name("paged")
    schedules.append(name)
    sagemaker.create_monitoring_schedule(MonitoringScheduleName=name, MonitoringScheduleConfig={
        "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"},
        "MonitoringJobDefinition": inline_definition(endpoint, module_bucket, baseline)})
    times = ["2023-01-01T01:00:00Z", "2023-01-01T02:00:00Z", "2024-05-01T11:00:00Z"]
    for scheduled in times:
        assert post_json(f"{endpoint_url}/_sagewatch/schedules/{name}/executions", {"ScheduledTime": scheduled})[0] == 200
    deadline = time.monotonic() + 90
    while True:
        summaries = sagemaker.list_monitoring_executions(MonitoringScheduleName=name)["MonitoringExecutionSummaries"]
        if len(summaries) == 3 and all(s["MonitoringExecutionStatus"] in DONE for s in summaries):
            break
        assert time.monotonic() < deadline
        time.sleep(0.3)
    page = sagemaker.list_monitoring_executions(MonitoringScheduleName=name, SortBy="ScheduledTime",
                                                SortOrder="Ascending", MaxResults=2)
    assert [s["ScheduledTime"].astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            for s in page["MonitoringExecutionSummaries"]] == times[:2]
    rest = sagemaker.list_monitoring_executions(MonitoringScheduleName=name, SortBy="ScheduledTime",
                                                SortOrder="Ascending", MaxResults=2, NextToken=page["NextToken"])
    assert len(rest["MonitoringExecutionSummaries"]) == 1 and "NextToken" not in rest
    failed = sagemaker.list_monitoring_executions(MonitoringScheduleName=name, StatusEquals="Failed")
    assert len(failed["MonitoringExecutionSummaries"]) == 2
    recent = sagemaker.list_monitoring_executions(MonitoringScheduleName=name,
                                                  ScheduledTimeAfter=datetime(2024, 1, 1, tzinfo=timezone.utc))
    assert [s["MonitoringExecutionStatus"] for s in recent["MonitoringExecutionSummaries"]] == ["CompletedWithViolations"]
    by_endpoint = sagemaker.list_monitoring_executions(EndpointName=endpoint, MonitoringTypeEquals="DataQuality",
                                                       MaxResults=100)
    assert {s["MonitoringScheduleName"] for s in by_endpoint["MonitoringExecutionSummaries"]} >= {name}


def test_tags_of_schedules_and_definitions(aws_client, module_bucket, endpoint, baseline, schedules, unique_name):
    sagemaker = aws_client("sagemaker")
    name = unique_name("tagged")
    schedules.append(name)
    arn = sagemaker.create_monitoring_schedule(
        MonitoringScheduleName=name, Tags=[{"Key": "team", "Value": "ml"}],
        MonitoringScheduleConfig={"ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"},
                                  "MonitoringJobDefinition": inline_definition(endpoint, module_bucket, baseline)},
    )["MonitoringScheduleArn"]
    assert sagemaker.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "ml"}]
    sagemaker.add_tags(ResourceArn=arn, Tags=[{"Key": "stage", "Value": "dev"}, {"Key": "team", "Value": "data"}])
    assert sorted((t["Key"], t["Value"]) for t in sagemaker.list_tags(ResourceArn=arn)["Tags"]) == [
        ("stage", "dev"), ("team", "data")]
    sagemaker.delete_tags(ResourceArn=arn, TagKeys=["team"])
    assert sagemaker.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "stage", "Value": "dev"}]
    sagemaker.delete_monitoring_schedule(MonitoringScheduleName=name)
    assert sagemaker.list_tags(ResourceArn=arn)["Tags"] == []
