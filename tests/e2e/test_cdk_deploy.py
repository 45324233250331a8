"""``cdk deploy --all`` of the CDK kit to the local emulator with plain ``cdk``, checked with boto3, then destroyed."""

from __future__ import annotations

import json

import botocore.exceptions
import pytest

from sagewatch.schemas.capture import parse_capture_record
from sagewatch.demo_local import LocalLoop

pytestmark = pytest.mark.e2e


def test_cdk_deploy_monitors_the_endpoint_and_destroy_removes_everything(endpoint_url, tmp_path):
    loop = LocalLoop(endpoint_url, tmp_path, log=lambda *_: None)
    sm, s3 = loop.client("sagemaker"), loop.client("s3")
    try:
        storage = loop.deploy_storage()
        loop.upload_model_and_baseline(storage["BaselinesBucketName"], rows=3000)
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
        import time
        deadline = time.monotonic() + 90
        while len(after) <= len(records) and time.monotonic() < deadline:
            time.sleep(2)
            after = loop.retraining_records(storage["ReportsBucketName"], timeout=1)
        assert len(after) > len(records), "the alarm state change did not reach the retraining Lambda"
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
