"""The CDK kit's processing mode with the model-quality monitor (``-c monitoring=processing -c modelQuality=true``),
deployed to the local emulator: the start_monitoring Lambda starts the ground-truth merge job, SageMaker's
``Completed`` event brings it back to start the analysis job, and its metric file lands in CloudWatch."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone

import pytest

from sagewatch.demo_local import LocalLoop

pytestmark = pytest.mark.e2e

CONTEXT = {"monitoring": "processing", "modelQuality": "true"}
ROWS = 40  # invocations per half of the demo traffic (normal, drifted)


def wait_for_job(sm, name, timeout=180.0):
    deadline = time.monotonic() + timeout
    while True:
        try:
            job = sm.describe_processing_job(ProcessingJobName=name)
        except sm.exceptions.ClientError:
            job = {"ProcessingJobStatus": "NotStartedYet"}
        if job["ProcessingJobStatus"] in ("Completed", "Failed", "Stopped"):
            return job
        assert time.monotonic() < deadline, f"processing job {name}: {job['ProcessingJobStatus']} after {timeout:g} s"
        time.sleep(1)


def test_processing_mode_model_quality_chain_runs_from_the_lambda(endpoint_url, tmp_path):
    loop = LocalLoop(endpoint_url, tmp_path, log=lambda *_: None, context=CONTEXT)
    sm, s3 = loop.client("sagemaker"), loop.client("s3")
    try:
        storage = loop.deploy_storage()
        loop.upload_model_and_baseline(storage["BaselinesBucketName"], rows=1000)
        loop.run_model_quality_baselining_job(storage["BaselinesBucketName"])
        endpoint, _ = loop.deploy_endpoint_and_monitoring()
        schedule = loop.schedule_names()["ModelQuality"]
        resources = loop.client("cloudformation").describe_stack_resources(StackName="sagewatch-monitoring")
        function = next(r["PhysicalResourceId"] for r in resources["StackResources"]
                        if r["ResourceType"] == "AWS::Lambda::Function"
                        and r["LogicalResourceId"].startswith("ModelQualityProcessingMonitorStartMonitoring"))

        sent = loop.send_traffic(endpoint, ROWS)
        loop.wait_for_capture(storage["CapturesBucketName"], endpoint, sent)
        _, labels = loop.upload_ground_truth(storage["GroundTruthBucketName"], ROWS)
        scheduled = (datetime.now(timezone.utc) + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
        answer = loop.client("lambda").invoke(FunctionName=function, Payload=json.dumps(
            {"time": scheduled.strftime("%Y-%m-%dT%H:%M:%SZ")}).encode())
        started = json.loads(answer["Payload"].read())
        assert "FunctionError" not in answer, started
        merge_name = started["ProcessingJobName"]
        assert merge_name.startswith(f"{schedule}-merge-{scheduled:%Y%m%d%H%M}-")

        merge = wait_for_job(sm, merge_name)
        assert merge["ProcessingJobStatus"] == "Completed", merge.get("FailureReason")
        assert merge["ExitMessage"].startswith(f"Completed: Merged {labels} records ("), merge["ExitMessage"]
        analysis = wait_for_job(sm, merge_name.replace(f"{schedule}-merge-", f"{schedule}-", 1))
        assert analysis["ProcessingJobStatus"] == "Completed", analysis.get("FailureReason")
        assert analysis["Environment"]["analysis_type"] == "MODEL_QUALITY"

        report = (f"monitoring/model-quality/{endpoint}/{schedule}/{scheduled:%Y/%m/%d/%H}")
        statistics = json.loads(s3.get_object(Bucket=storage["ReportsBucketName"],
                                              Key=f"{report}/statistics.json")["Body"].read())
        assert statistics["dataset"]["item_count"] == labels
        f2 = statistics["binary_classification_metrics"]["f2"]["value"]

        published, deadline = {}, time.monotonic() + 90  # the Lambda publishes after the analysis job's event
        while "f2" not in published and time.monotonic() < deadline:
            time.sleep(1)
            published = loop.model_metrics(endpoint, schedule)
        assert published.get("f2") == pytest.approx(f2), published
    finally:
        loop.destroy()
