"""Batch transform → capture → batch-transform monitoring, end to end, through boto3 as a user drives it.

A scikit-learn model (y = [x0 + 2 x1 - x2 > 0]) is baselined over undrifted rows, a transform job with
``DataCaptureConfig`` (``GenerateInferenceId``) runs over rows whose x3 is shifted (the model hardly uses x3, so
its answers stay right), and two hourly schedules with ``BatchTransformInput`` pointing at the transform's capture
destination run the execution of the hour after the transform started: data quality finds the drifted feature,
model quality joins the ``.out`` records to ground truth uploaded for the transform's own inference ids.
"""

import json
import time
import uuid
from datetime import timedelta, timezone

import numpy as np
import pytest

from sw_endpoints import ROLE, Deployer, trained_model_tarball
from test_batch_monitoring import (ANALYZER, CLUSTER, LOCAL, OUTPUT, batch_metrics, csv_lines, processing_job,
                                   read_json, run_now, truth, wait_for_execution)

from sagewatch.capture.manifest import parse_manifest, split_generated_ids_line

pytestmark = pytest.mark.e2e

ROWS_PER_FILE = 150
DRIFTED = 3  # x3 shifted: _c3 in the headerless CSV


def wait_for_transform(sagemaker, name, timeout=180.0):
    deadline = time.monotonic() + timeout
    while (job := sagemaker.describe_transform_job(TransformJobName=name))["TransformJobStatus"] in (
            "InProgress", "Stopping"):
        assert time.monotonic() < deadline, f"transform job {name} still running after {timeout:g} s"
        time.sleep(0.5)
    return job


def read_text(s3, bucket, uri):
    key = uri[len(f"s3://{bucket}/"):]
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")


@pytest.fixture(scope="module")
def chain_bucket(aws_client):
    s3 = aws_client("s3")
    name = f"sw-chain-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=name)
    yield name
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=name):
        for item in page.get("Contents", []):
            s3.delete_object(Bucket=name, Key=item["Key"])
    s3.delete_bucket(Bucket=name)


@pytest.fixture(scope="module")
def transformed(aws_client, chain_bucket):
    """The model, the undrifted baseline, and a completed transform job with capture over drifted rows:
    (transform job description, input rows in order of the ``.out`` records, baseline results folder)."""
    sagemaker, s3 = aws_client("sagemaker"), aws_client("s3")
    deployer = Deployer(aws_client, chain_bucket, lambda prefix: f"sw-chain-{prefix}-{uuid.uuid4().hex[:8]}")
    rng = np.random.default_rng(11)
    s3.put_object(Bucket=chain_bucket, Key="baseline/train.csv", Body=csv_lines(rng.normal(size=(300, 4))).encode())
    results = processing_job(sagemaker, chain_bucket, f"sw-chain-baseline-{uuid.uuid4().hex[:8]}", ANALYZER,
                             "baseline", environment={
                                 "dataset_format": '{"csv": {"header": false}}',
                                 "dataset_source": "/opt/ml/processing/input/baseline_dataset_input",
                                 "output_path": OUTPUT, "publish_cloudwatch_metrics": "Disabled"})
    parts = []
    for index in range(2):
        rows = rng.normal(size=(ROWS_PER_FILE, 4))
        rows[:, DRIFTED] += 6.0
        s3.put_object(Bucket=chain_bucket, Key=f"batch/in/part-{index}.csv", Body=csv_lines(rows).encode())
        parts.append(rows)
    name = f"sw-chain-transform-{uuid.uuid4().hex[:8]}"
    try:
        sagemaker.create_transform_job(
            TransformJobName=name, ModelName=deployer.model(trained_model_tarball()), BatchStrategy="MultiRecord",
            TransformInput={"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix",
                                                            "S3Uri": f"s3://{chain_bucket}/batch/in/"}},
                            "ContentType": "text/csv", "SplitType": "Line"},
            TransformOutput={"S3OutputPath": f"s3://{chain_bucket}/batch/out/{name}", "Accept": "text/csv",
                             "AssembleWith": "Line"},
            TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1},
            DataCaptureConfig={"DestinationS3Uri": f"s3://{chain_bucket}/capture", "GenerateInferenceId": True})
        job = wait_for_transform(sagemaker, name)
        assert job["TransformJobStatus"] == "Completed", job.get("FailureReason")
        yield job, np.vstack(parts), results
    finally:
        deployer.cleanup()


@pytest.fixture
def schedule(aws_client, endpoint_url, chain_bucket):
    """``schedule(monitoring_type, app, job_input, baseline, start)``: a job definition with *job_input*, an hourly
    schedule, and its execution of the hour after *start* run now; returns (schedule, execution, scheduled time)."""
    sagemaker, made = aws_client("sagemaker"), []
    snake = {"DataQuality": "data_quality", "ModelQuality": "model_quality"}

    def run(monitoring_type, app, job_input, baseline, start):
        kind = snake[monitoring_type]
        definition, name = (f"sw-chain-{what}-{uuid.uuid4().hex[:8]}" for what in (kind.replace("_", "-"), "sched"))
        getattr(sagemaker, f"create_{kind}_job_definition")(**{
            "JobDefinitionName": definition, "RoleArn": ROLE, "JobResources": CLUSTER,
            f"{monitoring_type}AppSpecification": {"Environment": {"publish_cloudwatch_metrics": "Enabled"}, **app},
            f"{monitoring_type}BaselineConfig": baseline, f"{monitoring_type}JobInput": job_input,
            f"{monitoring_type}JobOutputConfig": {"MonitoringOutputs": [{"S3Output": {
                "S3Uri": f"s3://{chain_bucket}/reports", "LocalPath": OUTPUT, "S3UploadMode": "EndOfJob"}}]},
            "StoppingCondition": {"MaxRuntimeInSeconds": 1800}})
        made.append((kind, definition, name))
        sagemaker.create_monitoring_schedule(MonitoringScheduleName=name, MonitoringScheduleConfig={
            "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"},
            "MonitoringJobDefinitionName": definition, "MonitoringType": monitoring_type})
        # the execution at the top of the next hour reads the hour the transform job started in
        scheduled = start.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        status, summary = run_now(endpoint_url, name, scheduled)
        assert status == 200, summary
        return name, wait_for_execution(sagemaker, name), scheduled

    yield run
    for kind, definition, name in made:
        for call in (lambda: sagemaker.delete_monitoring_schedule(MonitoringScheduleName=name),
                     lambda: getattr(sagemaker, f"delete_{kind}_job_definition")(JobDefinitionName=definition)):
            try:
                call()
                time.sleep(0.2)
            except Exception:  # noqa: BLE001 - cleanup
                pass


def capture_input(bucket, **attributes):
    return {"BatchTransformInput": {"DataCapturedDestinationS3Uri": f"s3://{bucket}/capture", "LocalPath": LOCAL,
                                    "DatasetFormat": {"Csv": {"Header": False}}, **attributes}}


def test_data_quality_schedule_over_the_transform_capture_finds_the_drifted_feature(
        aws_client, chain_bucket, transformed, schedule):
    s3 = aws_client("s3")
    job, rows, results = transformed
    name, execution, scheduled = schedule(
        "DataQuality", {"ImageUri": ANALYZER}, capture_input(chain_bucket),
        {"ConstraintsResource": {"S3Uri": f"{results}/constraints.json"},
         "StatisticsResource": {"S3Uri": f"{results}/statistics.json"}}, job["TransformStartTime"])
    assert execution["MonitoringExecutionStatus"] == "CompletedWithViolations", execution.get("FailureReason")
    folder = f"reports/{name}/{scheduled:%Y/%m/%d/%H}"
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=chain_bucket, Prefix=f"{folder}/")["Contents"]}
    assert {f"{folder}/statistics.json", f"{folder}/constraint_violations.json"} <= keys
    statistics = read_json(s3, chain_bucket, f"{folder}/statistics.json")
    assert statistics["dataset"]["item_count"] == len(rows)
    violations = read_json(s3, chain_bucket, f"{folder}/constraint_violations.json")["violations"]
    assert {(v["feature_name"], v["constraint_check_type"]) for v in violations} == {
        (f"_c{DRIFTED}", "baseline_drift_check")}
    metrics = batch_metrics(aws_client("cloudwatch"), "data-metrics", name)
    assert all(m["Dimensions"] == [{"Name": "MonitoringSchedule", "Value": name}] for m in metrics)
    assert f"feature_baseline_drift__c{DRIFTED}" in {m["MetricName"] for m in metrics}


def test_model_quality_schedule_joins_the_transform_outputs_to_ground_truth(
        aws_client, chain_bucket, transformed, schedule):
    s3 = aws_client("s3")
    job, rows, _ = transformed
    start = job["TransformStartTime"].astimezone(timezone.utc)
    manifest = parse_manifest(read_text(s3, chain_bucket, f"s3://{chain_bucket}/capture/output/"
                                                          f"{start:%Y/%m/%d/%H}/{job['TransformJobName']}.jsonl"))
    records = [split_generated_ids_line(line) for uri in manifest.uris()
               for line in read_text(s3, chain_bucket, uri).splitlines()]
    predictions = np.array([int(prediction) for prediction, _, _ in records])
    labels = truth(rows)
    assert len(records) == len(rows)
    body = "".join(json.dumps({"groundTruthData": {"data": str(int(y)), "encoding": "CSV"},
                               "eventMetadata": {"eventId": inference_id}, "eventVersion": "0"}) + "\n"
                   for (_, inference_id, _), y in zip(records, labels))
    s3.put_object(Bucket=chain_bucket, Key=f"ground-truth/{start:%Y/%m/%d/%H}/labels.jsonl", Body=body.encode())
    # the analyzer publishes metrics only when it checks against a baseline; x3 does not move the model's answers
    s3.put_object(Bucket=chain_bucket, Key="mq-baseline/constraints.json", Body=json.dumps({
        "version": 0.0, "binary_classification_constraints": {
            "accuracy": {"threshold": 0.8, "comparison_operator": "LessThanThreshold"}}}).encode())
    name, execution, scheduled = schedule(
        "ModelQuality", {"ImageUri": ANALYZER, "ProblemType": "BinaryClassification"},
        {**capture_input(chain_bucket, InferenceAttribute="0"),
         "GroundTruthS3Input": {"S3Uri": f"s3://{chain_bucket}/ground-truth"}},
        {"ConstraintsResource": {"S3Uri": f"s3://{chain_bucket}/mq-baseline/constraints.json"}}, start)
    assert execution["MonitoringExecutionStatus"] == "Completed", execution.get("FailureReason")
    statistics = read_json(s3, chain_bucket, f"reports/{name}/{scheduled:%Y/%m/%d/%H}/statistics.json")
    assert statistics["dataset"]["item_count"] == len(rows)
    assert statistics["binary_classification_metrics"]["accuracy"]["value"] == pytest.approx(
        float(np.mean(predictions == labels)))
    assert statistics["binary_classification_metrics"]["accuracy"]["value"] > 0.8
    metrics = batch_metrics(aws_client("cloudwatch"), "model-metrics", name)
    assert all(m["Dimensions"] == [{"Name": "MonitoringSchedule", "Value": name}] for m in metrics)
    assert "accuracy" in {m["MetricName"] for m in metrics}


def test_the_execution_of_the_hour_the_transform_started_in_says_which_scheduled_time_reads_it(
        aws_client, chain_bucket, transformed, schedule):
    job, _, _ = transformed
    start = job["TransformStartTime"].astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)
    # run-now's default is the current hour, whose window is the hour before: here, the hour before the transform
    _, execution, _ = schedule("DataQuality", {"ImageUri": ANALYZER}, capture_input(chain_bucket), {},
                               start - timedelta(hours=1))
    assert execution["MonitoringExecutionStatus"] == "Failed"
    assert execution["FailureReason"].startswith("Job inputs had no data: no batch-transform capture manifest")
    assert execution["FailureReason"].endswith(
        f"The newest manifest there is in the hour {start:%Y-%m-%dT%H:%M:%SZ} (a transform job writes its manifests "
        "in the hour it started); an hourly schedule reads that hour in its execution for ScheduledTime "
        f"{start + timedelta(hours=1):%Y-%m-%dT%H:%M:%SZ}.")
