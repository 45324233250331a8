"""``cdk deploy --all`` of the CDK kit to the local emulator with plain ``cdk``, checked with boto3, then destroyed.

One deployment serves both monitors: the data-quality schedule of ``cdk.json``, and the model-quality monitor
added with ``-c modelQuality=true`` (with an alarm on its ``f2``), run on the same traffic once its labels are
uploaded as ground truth.
"""

from __future__ import annotations

import json
import time

import botocore.exceptions
import pytest

from sagewatch.schemas.capture import parse_capture_record
from sagewatch.demo_local import LocalLoop

pytestmark = pytest.mark.e2e

# the short context keys of app.py's OVERRIDES, passed as -c key=value to every cdk command
MODEL_QUALITY_CONTEXT = {
    "modelQuality": "true",
    "qualityMetrics": json.dumps([{"metricName": "f2", "threshold": 0.625, "comparison": "LessThanThreshold"}])}
MODEL_METRICS = "aws/sagemaker/Endpoints/model-metrics"


def test_cdk_deploy_monitors_the_endpoint_and_destroy_removes_everything(endpoint_url, tmp_path):
    loop = LocalLoop(endpoint_url, tmp_path, log=lambda *_: None, context=MODEL_QUALITY_CONTEXT)
    sm, s3 = loop.client("sagemaker"), loop.client("s3")
    try:
        storage = loop.deploy_storage()
        loop.upload_model_and_baseline(storage["BaselinesBucketName"], rows=3000)
        mq_constraints = loop.run_model_quality_baselining_job(storage["BaselinesBucketName"])
        assert set(mq_constraints["binary_classification_constraints"]) >= {"accuracy", "f2", "auc"}
        endpoint, schedule = loop.deploy_endpoint_and_monitoring()

        described = sm.describe_endpoint(EndpointName=endpoint)
        assert described["EndpointStatus"] == "InService"
        capture = described["DataCaptureConfig"]
        assert capture["EnableCapture"] is True and capture["CurrentSamplingPercentage"] == 100
        assert capture["CaptureStatus"] == "Started"

        sent = loop.send_traffic(endpoint, 150)
        assert sent == 300
        assert loop.wait_for_capture(storage["CapturesBucketName"], endpoint, sent) == sent
        key = next(o["Key"] for o in s3.list_objects_v2(Bucket=storage["CapturesBucketName"])["Contents"]
                   if o["Key"].endswith(".jsonl"))
        parts = key.split("/")
        assert parts[-7] == endpoint and parts[-6] == "AllTraffic" and len(parts[-5]) == 4
        line = s3.get_object(Bucket=storage["CapturesBucketName"], Key=key)["Body"].read().splitlines()[0]
        record = parse_capture_record(line.decode())
        assert record.endpoint_input.encoding == "CSV" and record.inference_id.startswith("demo-")

        found = sm.describe_monitoring_schedule(MonitoringScheduleName=schedule)
        assert found["MonitoringScheduleStatus"] == "Scheduled"
        assert found["MonitoringScheduleConfig"]["ScheduleConfig"]["ScheduleExpression"] == "cron(0 * ? * * *)"

        alarms = loop.client("cloudwatch").describe_alarms()["MetricAlarms"]
        drift_alarms = [a for a in alarms if a.get("Namespace") == "aws/sagemaker/Endpoints/data-metrics"]
        assert {a["MetricName"] for a in drift_alarms} >= {"feature_baseline_drift_monthly_charges"}
        dims = {d["Name"]: d["Value"] for d in drift_alarms[0]["Dimensions"]}
        assert dims == {"Endpoint": endpoint, "MonitoringSchedule": schedule}
        events = loop.client("events")
        patterns = [json.loads(r["EventPattern"]) for r in events.list_rules()["Rules"] if r.get("EventPattern")]
        assert any(p.get("detail-type") == ["CloudWatch Alarm State Change"] for p in patterns)
        assert any(p.get("detail-type") == ["SageMaker Processing Job State Change"] for p in patterns)

        execution = loop.run_schedule_now(schedule)
        assert execution["MonitoringExecutionStatus"] == "CompletedWithViolations", execution
        prefix, files = loop.read_reports(storage["ReportsBucketName"], endpoint, schedule)
        assert {"statistics.json", "constraint_violations.json", "constraints.json"} <= set(files)
        violations = json.loads(files["constraint_violations.json"])["violations"]
        assert ("monthly_charges", "baseline_drift_check") in {(v["feature_name"], v["constraint_check_type"])
                                                               for v in violations}
        metrics = loop.drift_metrics(endpoint, schedule)
        assert metrics["monthly_charges"] > 0.1

        # the processing-job state change rule fired the retraining Lambda
        records = loop.retraining_records(storage["ReportsBucketName"], timeout=90)
        assert records
        # and an alarm going to ALARM fires it as well
        alarm = next(a for a in drift_alarms if a["MetricName"] == "feature_baseline_drift_monthly_charges")
        loop.client("cloudwatch").set_alarm_state(AlarmName=alarm["AlarmName"], StateValue="ALARM",
                                                  StateReason="e2e: drift above the threshold")
        after = loop.retraining_records(storage["ReportsBucketName"], timeout=1)
        deadline = time.monotonic() + 90
        while len(after) <= len(records) and time.monotonic() < deadline:
            time.sleep(2)
            after = loop.retraining_records(storage["ReportsBucketName"], timeout=1)
        assert len(after) > len(records), "the alarm state change did not reach the retraining Lambda"

        check_model_quality_monitor(loop, storage, endpoint, mq_constraints, sent // 2)
    finally:
        loop.destroy()
    cloudformation = loop.client("cloudformation")
    for name in ("sagewatch-storage", "sagewatch-endpoint", "sagewatch-monitoring"):
        try:
            status = cloudformation.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"]
        except botocore.exceptions.ClientError:
            continue
        assert status == "DELETE_COMPLETE", (name, status)
    with pytest.raises(botocore.exceptions.ClientError):
        sm.describe_endpoint(EndpointName=endpoint)
    assert sm.list_monitoring_schedules()["MonitoringScheduleSummaries"] == [] or all(
        s["MonitoringScheduleName"] != schedule for s in sm.list_monitoring_schedules()["MonitoringScheduleSummaries"])


def check_model_quality_monitor(loop, storage, endpoint, constraints, rows):
    """The model-quality monitor of the same deployment: labels of every invocation uploaded as ground truth, the
    schedule run now, a merge job then the analysis job, SageMaker's files, metrics and the alarm on f2."""
    sm, s3, cloudwatch = loop.client("sagemaker"), loop.client("s3"), loop.client("cloudwatch")
    schedule = loop.schedule_names()["ModelQuality"]
    described = sm.describe_monitoring_schedule(MonitoringScheduleName=schedule)
    assert described["MonitoringType"] == "ModelQuality" and described["EndpointName"] == endpoint
    definition = sm.describe_model_quality_job_definition(
        JobDefinitionName=described["MonitoringScheduleConfig"]["MonitoringJobDefinitionName"])
    assert definition["ModelQualityAppSpecification"]["ProblemType"] == "BinaryClassification"
    endpoint_input = definition["ModelQualityJobInput"]["EndpointInput"]
    assert (endpoint_input["ProbabilityAttribute"], endpoint_input["ProbabilityThresholdAttribute"]) == ("0", 0.5)
    ground_truth = definition["ModelQualityJobInput"]["GroundTruthS3Input"]["S3Uri"]
    assert ground_truth == f"s3://{storage['GroundTruthBucketName']}/ground-truth"

    key, labels = loop.upload_ground_truth(storage["GroundTruthBucketName"], rows)
    assert labels == 2 * rows and key.startswith("ground-truth/")
    execution = loop.run_schedule_now(schedule)
    assert execution["MonitoringExecutionStatus"] in ("Completed", "CompletedWithViolations"), execution
    analysis = sm.describe_processing_job(ProcessingJobName=execution["ProcessingJobArn"].rsplit("/", 1)[1])
    assert analysis["ProcessingJobName"].startswith("model-quality-monitoring-")
    token = analysis["ProcessingJobName"].split("-", 3)[3]
    merge = sm.describe_processing_job(ProcessingJobName=f"groundtruth-merge-{token}")
    assert merge["ProcessingJobStatus"] == "Completed"
    assert merge["ExitMessage"].startswith(f"Completed: Merged {labels} records ("), merge["ExitMessage"]
    assert merge["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"] == (
        f"s3://{storage['ReportsBucketName']}/monitoring/model-quality/merge")
    assert analysis["Environment"]["probability_attribute"] == "0"

    prefix, files = loop.read_reports(storage["ReportsBucketName"], endpoint, schedule)
    assert prefix.startswith(f"s3://{storage['ReportsBucketName']}/monitoring/model-quality/{endpoint}/{schedule}/")
    statistics = json.loads(files["statistics.json"])
    assert statistics["dataset"]["item_count"] == labels
    metrics = statistics["binary_classification_metrics"]
    violations = json.loads(files["constraint_violations.json"])["violations"]
    expected = sorted(name for name, c in constraints["binary_classification_constraints"].items()
                      if c["comparison_operator"] == "LessThanThreshold" and metrics[name]["value"] < c["threshold"])
    assert sorted(v["metric_name"] for v in violations) == expected
    assert execution["MonitoringExecutionStatus"] == ("CompletedWithViolations" if expected else "Completed")

    published = {}
    deadline = time.monotonic() + 60
    while not {"accuracy", "f2"} <= set(published) and time.monotonic() < deadline:
        time.sleep(1)
        published = loop.model_metrics(endpoint, schedule)
    assert {"accuracy", "f2", "precision", "recall"} <= set(published), published
    assert published["f2"] == pytest.approx(metrics["f2"]["value"])

    alarms = [a for a in cloudwatch.describe_alarms()["MetricAlarms"] if a.get("Namespace") == MODEL_METRICS]
    assert [(a["MetricName"], a["Threshold"], a["ComparisonOperator"]) for a in alarms] == [
        ("f2", 0.625, "LessThanThreshold")]
    assert {d["Name"]: d["Value"] for d in alarms[0]["Dimensions"]} == {"Endpoint": endpoint,
                                                                       "MonitoringSchedule": schedule}
