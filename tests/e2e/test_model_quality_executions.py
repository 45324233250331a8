"""Model-quality monitoring executions end to end, through boto3 as a user would drive them.

A real endpoint (a scikit-learn classifier of y = [x0 + 2 x1 - x2 > 0]) captures its traffic, invoked with
``InferenceId``; ground truth is uploaded as JSON Lines in SageMaker's layout (``<prefix>/yyyy/mm/dd/hh/``); the
baseline comes from a MODEL_QUALITY baselining processing job; a ModelQuality job definition and a ``NOW``
schedule start an execution: a ``groundtruth-merge-…`` job, then a ``model-quality-monitoring-…`` job.
"""

import json
import time
import uuid
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from botocore.exceptions import ClientError

from sw_endpoints import ROLE, Deployer, capture_config, wait_for_capture

pytestmark = pytest.mark.e2e

ANALYZER = "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer"
MERGER = "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-groundtruth-merger"
CLUSTER = {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 20}}
DONE = ("Completed", "CompletedWithViolations", "Failed", "Stopped")
NAMESPACE = "aws/sagemaker/Endpoints/model-metrics"
INVOCATIONS = 60


def truth(rows):
    return (rows[:, 0] + 2 * rows[:, 1] - rows[:, 2] > 0).astype(int)


def ground_truth_lines(ids, labels):
    return "".join(json.dumps({"groundTruthData": {"data": str(int(y)), "encoding": "CSV"},
                               "eventMetadata": {"eventId": i}, "eventVersion": "0"}) + "\n"
                   for i, y in zip(ids, labels))


def wait_for_job(sagemaker, name, timeout=120.0):
    deadline = time.monotonic() + timeout
    while (job := sagemaker.describe_processing_job(ProcessingJobName=name))["ProcessingJobStatus"] in (
            "InProgress", "Stopping"):
        assert time.monotonic() < deadline, f"processing job {name} still running after {timeout:g} s"
        time.sleep(0.3)
    return job


def wait_for_execution(sagemaker, schedule, timeout=180.0):
    deadline = time.monotonic() + timeout
    while True:
        summaries = sagemaker.list_monitoring_executions(
            MonitoringScheduleName=schedule)["MonitoringExecutionSummaries"]
        if summaries and summaries[0]["MonitoringExecutionStatus"] in DONE:
            return summaries[0]
        assert time.monotonic() < deadline, f"no finished execution of {schedule} after {timeout:g} s: {summaries}"
        time.sleep(0.5)


# --- fixtures -------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def module_bucket(aws_client):
    s3 = aws_client("s3")
    name = f"sw-model-quality-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=name)
    yield name
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=name):
        for item in page.get("Contents", []):
            s3.delete_object(Bucket=name, Key=item["Key"])
    s3.delete_bucket(Bucket=name)


@pytest.fixture(scope="module")
def captured(aws_client, module_bucket):
    """A real endpoint with data capture, invoked INVOCATIONS times with InferenceId; (endpoint, ids, true labels)."""
    deployer = Deployer(aws_client, module_bucket, lambda prefix: f"sw-mq-{prefix}-{uuid.uuid4().hex[:8]}")
    try:
        endpoint = deployer.deploy(capture=capture_config(module_bucket, "capture"))
        runtime = aws_client("sagemaker-runtime")
        rows = np.random.default_rng(11).normal(size=(INVOCATIONS, 4))
        ids = [f"inference-{uuid.uuid4().hex[:8]}-{i}" for i in range(INVOCATIONS)]
        for inference_id, row in zip(ids, rows):
            runtime.invoke_endpoint(EndpointName=endpoint, Body=",".join(f"{v:.4f}" for v in row).encode(),
                                    ContentType="text/csv", Accept="text/csv", InferenceId=inference_id)
        records = wait_for_capture(aws_client("s3"), module_bucket, f"capture/{endpoint}/", INVOCATIONS, settle=1.0)
        assert {r.inference_id for _, r in records} == set(ids)
        yield endpoint, ids, truth(rows)
    finally:
        deployer.cleanup()


@pytest.fixture(scope="module")
def baseline(aws_client, module_bucket):
    """constraints.json of a MODEL_QUALITY baselining job: predictions right 4 times in 5 (accuracy 0.8)."""
    sagemaker, s3 = aws_client("sagemaker"), aws_client("s3")
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 400)
    predictions = np.where(np.arange(400) % 5 == 0, 1 - labels, labels)
    body = "prediction,label\n" + "".join(f"{p},{y}\n" for p, y in zip(predictions, labels))
    s3.put_object(Bucket=module_bucket, Key="baseline-data/validation.csv", Body=body.encode())
    name = f"sw-mq-baseline-{uuid.uuid4().hex[:8]}"
    results = f"s3://{module_bucket}/baselining/{name}/results"
    sagemaker.create_processing_job(
        ProcessingJobName=name, RoleArn=ROLE, ProcessingResources=CLUSTER, AppSpecification={"ImageUri": ANALYZER},
        ProcessingInputs=[{"InputName": "baseline_dataset_input", "S3Input": {
            "S3Uri": f"s3://{module_bucket}/baseline-data", "S3DataType": "S3Prefix",
            "LocalPath": "/opt/ml/processing/input/baseline_dataset_input"}}],
        ProcessingOutputConfig={"Outputs": [{"OutputName": "monitoring_output", "S3Output": {
            "S3Uri": results, "LocalPath": "/opt/ml/processing/output", "S3UploadMode": "EndOfJob"}}]},
        Environment={"analysis_type": "MODEL_QUALITY", "problem_type": "BinaryClassification",
                     "dataset_format": json.dumps({"csv": {"header": True, "output_columns_position": "START"}}),
                     "dataset_source": "/opt/ml/processing/input/baseline_dataset_input",
                     "output_path": "/opt/ml/processing/output", "inference_attribute": "prediction",
                     "ground_truth_attribute": "label", "publish_cloudwatch_metrics": "Disabled"})
    job = wait_for_job(sagemaker, name)
    assert job["ProcessingJobStatus"] == "Completed", job.get("FailureReason")
    constraints = json.loads(s3.get_object(Bucket=module_bucket,
                                           Key=f"baselining/{name}/results/constraints.json")["Body"].read())
    assert constraints["binary_classification_constraints"]["accuracy"] == {
        "threshold": 0.8, "comparison_operator": "LessThanThreshold"}
    return {"job": name, "constraints": f"{results}/constraints.json"}


@pytest.fixture
def cleanup(aws_client):
    """Schedules and job definitions to delete after the test: ``cleanup.append((kind, name))``."""
    items = []
    yield items
    sagemaker = aws_client("sagemaker")
    for kind, name in reversed(items):
        try:
            if kind == "schedule":
                sagemaker.delete_monitoring_schedule(MonitoringScheduleName=name)
                time.sleep(0.2)
            else:
                sagemaker.delete_model_quality_job_definition(JobDefinitionName=name)
        except ClientError:
            pass


def upload_ground_truth(s3, bucket, prefix, ids, labels):
    now = datetime.now(timezone.utc)
    key = f"{prefix}/{now:%Y/%m/%d/%H}/{now:%M%S}.jsonl"  # the EX notebook's layout (contract §2.2)
    s3.put_object(Bucket=bucket, Key=key, Body=ground_truth_lines(ids, labels).encode())
    return f"s3://{bucket}/{prefix}"


def start_now_schedule(sagemaker, bucket, endpoint, baseline, ground_truth_uri, unique_name, cleanup):
    definition = unique_name("mq-definition")
    sagemaker.create_model_quality_job_definition(
        JobDefinitionName=definition, RoleArn=ROLE, JobResources=CLUSTER,
        ModelQualityAppSpecification={"ImageUri": ANALYZER, "ProblemType": "BinaryClassification",
                                      "Environment": {"publish_cloudwatch_metrics": "Enabled"}},
        ModelQualityBaselineConfig={"ConstraintsResource": {"S3Uri": baseline["constraints"]}},
        ModelQualityJobInput={
            "EndpointInput": {"EndpointName": endpoint, "LocalPath": "/opt/ml/processing/input/endpoint",
                              "InferenceAttribute": "0", "S3InputMode": "File",
                              "S3DataDistributionType": "FullyReplicated"},
            "GroundTruthS3Input": {"S3Uri": ground_truth_uri}},
        ModelQualityJobOutputConfig={"MonitoringOutputs": [{"S3Output": {
            "S3Uri": f"s3://{bucket}/reports", "LocalPath": "/opt/ml/processing/output",
            "S3UploadMode": "Continuous"}}]},
        StoppingCondition={"MaxRuntimeInSeconds": 1800})
    cleanup.append(("definition", definition))
    schedule = unique_name("mq-now")
    sagemaker.create_monitoring_schedule(MonitoringScheduleName=schedule, MonitoringScheduleConfig={
        "ScheduleConfig": {"ScheduleExpression": "NOW", "DataAnalysisStartTime": "-PT1H",
                           "DataAnalysisEndTime": "-PT0H"},
        "MonitoringJobDefinitionName": definition, "MonitoringType": "ModelQuality"})
    cleanup.append(("schedule", schedule))
    return definition, schedule


def job_pair(sagemaker, execution):
    analysis = sagemaker.describe_processing_job(ProcessingJobName=execution["ProcessingJobArn"].rsplit("/", 1)[1])
    token = analysis["ProcessingJobName"].split("-", 3)[3]  # <yyyymmddHHMM>-<hex>
    merge = sagemaker.describe_processing_job(ProcessingJobName=f"groundtruth-merge-{token}")
    return merge, analysis


def read_json(s3, bucket, key):
    return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


# --- tests ----------------------------------------------------------------------------------------------------


def test_execution_merges_ground_truth_then_analyses(aws_client, module_bucket, captured, baseline, unique_name,
                                                     cleanup):
    sagemaker, s3, cloudwatch, events, sqs = (aws_client(s) for s in ("sagemaker", "s3", "cloudwatch", "events",
                                                                        "sqs"))
    endpoint, ids, labels = captured
    rule, queue_url = unique_name("mq-rule"), sqs.create_queue(QueueName=unique_name("mq-queue"))["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name=rule, EventPattern=json.dumps({
        "source": ["aws.sagemaker"], "detail-type": ["SageMaker Processing Job State Change"]}))
    events.put_targets(Rule=rule, Targets=[{"Id": "queue", "Arn": queue_arn}])
    try:
        # labels for 50 of the 60 inferences, plus 5 labels of inferences that never happened
        gt_uri = upload_ground_truth(s3, module_bucket, f"ground-truth/{uuid.uuid4().hex[:6]}",
                                     ids[:50] + [f"unknown-{i}" for i in range(5)], list(labels[:50]) + [1] * 5)
        definition, schedule = start_now_schedule(sagemaker, module_bucket, endpoint, baseline, gt_uri,
                                                  unique_name, cleanup)
        described = sagemaker.describe_model_quality_job_definition(JobDefinitionName=definition)
        assert described["ModelQualityAppSpecification"]["ProblemType"] == "BinaryClassification"
        assert described["ModelQualityJobInput"]["GroundTruthS3Input"] == {"S3Uri": gt_uri}
        assert described["ModelQualityJobInput"]["EndpointInput"]["InferenceAttribute"] == "0"

        execution = wait_for_execution(sagemaker, schedule)
        assert execution["MonitoringExecutionStatus"] == "Completed", execution.get("FailureReason")
        assert execution["MonitoringType"] == "ModelQuality" and execution["EndpointName"] == endpoint
        assert execution["MonitoringJobDefinitionName"] == definition
        merge, analysis = job_pair(sagemaker, execution)
        scheduled = execution["ScheduledTime"].astimezone(timezone.utc)
        assert analysis["ProcessingJobName"].startswith(f"model-quality-monitoring-{scheduled:%Y%m%d%H%M}-")
        assert merge["ProcessingJobStatus"] == "Completed"
        assert merge["AppSpecification"]["ImageUri"] == MERGER
        assert merge["Environment"]["ground_truth_source"] == "/opt/ml/processing/groundtruth"
        assert merge["ExitMessage"].startswith("Completed: Merged 50 records (")
        assert "10 captures without a label, 5 labels without a capture" in merge["ExitMessage"]
        merge_output = merge["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]
        assert merge_output["S3Uri"] == f"s3://{module_bucket}/reports/merge"
        listed = {j["ProcessingJobName"] for j in sagemaker.list_processing_jobs(
            NameContains=analysis["ProcessingJobName"].split("-", 3)[3], MaxResults=10)["ProcessingJobSummaries"]}
        assert listed == {merge["ProcessingJobName"], analysis["ProcessingJobName"]}

        environment = analysis["Environment"]
        assert environment["analysis_type"] == "MODEL_QUALITY" and environment["problem_type"] == "BinaryClassification"
        assert environment["inference_attribute"] == "0"
        assert json.loads(environment["dataset_format"]) == {
            "sagemakerMergeJson": {"captureIndexNames": ["endpointOutput"]}}
        merged_inputs = [i["S3Input"]["S3Uri"] for i in analysis["ProcessingInputs"]
                         if i["InputName"].startswith("endpoint_input_")]
        assert merged_inputs and all(uri.startswith(f"s3://{module_bucket}/reports/merge/{endpoint}/AllTraffic/")
                                     for uri in merged_inputs)

        report = f"reports/{endpoint}/{schedule}/{scheduled:%Y/%m/%d/%H}"
        assert read_json(s3, module_bucket, f"{report}/constraint_violations.json") == {"violations": []}
        statistics = read_json(s3, module_bucket, f"{report}/statistics.json")
        assert statistics["dataset"]["item_count"] == 50
        accuracy = statistics["binary_classification_metrics"]["accuracy"]["value"]
        assert accuracy >= 0.9
        sagewatch_report = read_json(s3, module_bucket, f"{report}/sagewatch_report.json")
        assert (sagewatch_report["merge"]["merged"], sagewatch_report["merge"]["unmatched_captures"],
                sagewatch_report["merge"]["unmatched_labels"]) == (50, 10, 5)

        dimensions = [{"Name": "Endpoint", "Value": endpoint}, {"Name": "MonitoringSchedule", "Value": schedule}]
        deadline = time.monotonic() + 30
        while not (metrics := cloudwatch.list_metrics(Namespace=NAMESPACE, Dimensions=dimensions)["Metrics"]):
            assert time.monotonic() < deadline, "no model-quality metrics in CloudWatch"
            time.sleep(0.5)
        assert {"accuracy", "f1", "f2", "precision", "recall"} <= {m["MetricName"] for m in metrics}
        datapoints = cloudwatch.get_metric_statistics(
            Namespace=NAMESPACE, MetricName="accuracy", Dimensions=dimensions,
            StartTime=scheduled - timedelta(hours=3), EndTime=scheduled + timedelta(hours=1), Period=3600,
            Statistics=["Maximum"])["Datapoints"]
        assert [d["Maximum"] for d in datapoints] == [accuracy]

        wanted = {(merge["ProcessingJobName"], "Completed"), (analysis["ProcessingJobName"], "Completed"),
                  (merge["ProcessingJobName"], "InProgress"), (analysis["ProcessingJobName"], "InProgress")}
        seen, deadline = set(), time.monotonic() + 30
        while not wanted <= seen and time.monotonic() < deadline:
            for message in sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10,
                                               WaitTimeSeconds=1).get("Messages", []):
                detail = json.loads(message["Body"])["detail"]
                seen.add((detail["ProcessingJobName"], detail["ProcessingJobStatus"]))
        assert wanted <= seen
    finally:
        events.remove_targets(Rule=rule, Ids=["queue"])
        events.delete_rule(Name=rule)
        sqs.delete_queue(QueueUrl=queue_url)


def test_labels_that_make_the_model_look_bad_are_violations(aws_client, module_bucket, captured, baseline,
                                                            unique_name, cleanup):
    sagemaker, s3 = aws_client("sagemaker"), aws_client("s3")
    endpoint, ids, labels = captured
    flipped = [1 - y if i % 2 == 0 else y for i, y in enumerate(labels)]  # every other label wrong
    gt_uri = upload_ground_truth(s3, module_bucket, f"ground-truth/{uuid.uuid4().hex[:6]}", ids, flipped)
    _, schedule = start_now_schedule(sagemaker, module_bucket, endpoint, baseline, gt_uri, unique_name, cleanup)
    execution = wait_for_execution(sagemaker, schedule)
    assert execution["MonitoringExecutionStatus"] == "CompletedWithViolations", execution.get("FailureReason")
    _, analysis = job_pair(sagemaker, execution)
    assert analysis["ExitMessage"].startswith("CompletedWithViolations: Job completed successfully with ")
    scheduled = execution["ScheduledTime"].astimezone(timezone.utc)
    report = f"reports/{endpoint}/{schedule}/{scheduled:%Y/%m/%d/%H}"
    statistics = read_json(s3, module_bucket, f"{report}/statistics.json")
    accuracy = statistics["binary_classification_metrics"]["accuracy"]["value"]
    assert accuracy < 0.8 and statistics["dataset"]["item_count"] == INVOCATIONS
    violations = read_json(s3, module_bucket, f"{report}/constraint_violations.json")["violations"]
    assert {"constraint_check_type": "LessThanThreshold", "metric_name": "accuracy",
            "description": f"Metric accuracy with {accuracy} was LessThanThreshold 0.8"} in violations


def test_no_ground_truth_fails_the_execution_with_the_reason(aws_client, module_bucket, captured, baseline,
                                                             unique_name, cleanup):
    sagemaker = aws_client("sagemaker")
    endpoint, _, _ = captured
    empty = f"s3://{module_bucket}/ground-truth/never-uploaded-{uuid.uuid4().hex[:6]}"
    _, schedule = start_now_schedule(sagemaker, module_bucket, endpoint, baseline, empty, unique_name, cleanup)
    execution = wait_for_execution(sagemaker, schedule)
    assert execution["MonitoringExecutionStatus"] == "Failed"
    reason = execution["FailureReason"]
    assert reason.startswith(f"ClientError: No ground truth to merge: no usable ground-truth record under {empty} ")
    assert f"({INVOCATIONS} captured records in " in reason and "and 0 ground-truth records in 0 files" in reason
    merge = sagemaker.describe_processing_job(ProcessingJobName=execution["ProcessingJobArn"].rsplit("/", 1)[1])
    assert merge["ProcessingJobName"].startswith("groundtruth-merge-")
    assert merge["ProcessingJobStatus"] == "Failed" and merge["FailureReason"] == reason
    token = merge["ProcessingJobName"].split("-", 2)[2]
    assert sagemaker.list_processing_jobs(NameContains=f"model-quality-monitoring-{token}")[
        "ProcessingJobSummaries"] == []
