"""Start one monitoring execution per scheduled event (the ``processing`` monitoring mode).

- a ``Scheduled Event`` (EventBridge rule on the schedule's cron): analyse the whole hours before the event's
  time; either start the first CreateProcessingJob request a monitoring execution would make (data quality: its
  one job; model quality: the ground-truth merge job, reading the ground-truth hour folders that hold labels),
  or, with ``run_engine_in_lambda`` (data quality only), run the engine here on ``/tmp`` and publish its metrics
  and a ``sagewatch.monitoring`` event;
- a ``SageMaker Processing Job State Change`` (``Completed``) of one of those jobs: start the next job of its
  execution (model quality: the analysis job after the merge), or, after the last one, publish the job's
  CloudWatch metric file, which a plain processing job does not publish by itself.

A manual test invocation may pass ``{"time": "2024-05-01T11:00:00Z"}``. Settings: ``SAGEWATCH_MONITORING_SETTINGS``.
"""

import json
import os
import tempfile
import uuid
from datetime import datetime, timezone
from pathlib import Path

import boto3

from sagewatch.lambda_support import monitoring


def _settings():
    return monitoring.MonitoringSettings.from_json(os.environ["SAGEWATCH_MONITORING_SETTINGS"])


def _scheduled_time(event):
    text = event.get("time")
    if not text:
        return datetime.now(timezone.utc)
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _publish(lines, namespace):
    data = monitoring.metric_data(lines)
    cloudwatch = boto3.client("cloudwatch")
    for chunk in monitoring.chunked(data):
        cloudwatch.put_metric_data(Namespace=namespace, MetricData=chunk)
    return len(data)


def _publish_job_metrics(settings, detail):
    outputs = (detail.get("ProcessingOutputConfig") or {}).get("Outputs") or []
    uri = next((o["S3Output"]["S3Uri"] for o in outputs if o.get("OutputName") == monitoring.METRICS_OUTPUT_NAME),
               None)
    if uri is None:
        return {"published": 0, "reason": "no cloudwatch_metrics output"}
    bucket, prefix = monitoring.split_s3_uri(uri)
    s3 = boto3.client("s3")
    lines = []
    for item in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", []):
        body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read().decode("utf-8")
        lines += body.splitlines()
    return {"published": _publish(lines, settings.metrics_namespace), "source": uri}


def _ground_truth_with_labels(settings, scheduled):
    """The ground-truth hour folders of the execution that hold objects (only those become merge inputs)."""
    s3 = boto3.client("s3")
    found = []
    for hour in monitoring.ground_truth_candidates(settings, scheduled):
        bucket, prefix = monitoring.split_s3_uri(hour.s3_uri)
        if s3.list_objects_v2(Bucket=bucket, Prefix=prefix + "/", MaxKeys=1).get("KeyCount", 0):
            found.append(hour)
    return found


def _start(request):
    answer = boto3.client("sagemaker").create_processing_job(**request)
    return {"ProcessingJobName": request["ProcessingJobName"], "ProcessingJobArn": answer["ProcessingJobArn"]}


def _run_in_lambda(settings, window):
    from sagewatch.lambda_support.inline import run_window

    with tempfile.TemporaryDirectory(prefix="sagewatch-") as workdir:
        result = run_window(settings, window, s3=boto3.client("s3"), workdir=Path(workdir))
    published = _publish(result.metric_lines, settings.metrics_namespace) if settings.publish_cloudwatch_metrics \
        else 0
    name = monitoring.processing_job_name(settings.job_name_prefix, window, uuid.uuid4().hex)
    detail = {"ProcessingJobName": name, "ProcessingJobStatus": result.status, "ExitMessage": result.message,
              "MonitoringScheduleName": settings.schedule_name, "EndpointName": settings.endpoint_name,
              "ReportS3Uri": result.report_s3_uri, "StartTime": window.start.isoformat(),
              "EndTime": window.end.isoformat()}
    boto3.client("events").put_events(Entries=[{"Source": settings.event_source,
                                                "DetailType": settings.event_detail_type,
                                                "Detail": json.dumps(detail)}])
    return {**detail, "MetricsPublished": published}


def handler(event, context):
    settings = _settings()
    if event.get("detail-type") == "SageMaker Processing Job State Change":
        detail = event.get("detail") or {}
        following = monitoring.next_request(settings, detail.get("ProcessingJobName", ""))
        if following is None:
            return _publish_job_metrics(settings, detail)
        if detail.get("ProcessingJobStatus") != "Completed":
            return {"started": None, "reason": f"{detail.get('ProcessingJobName')} is "
                                               f"{detail.get('ProcessingJobStatus')}, not Completed"}
        return _start(following)
    scheduled = _scheduled_time(event)
    if settings.run_engine_in_lambda:
        return _run_in_lambda(settings, monitoring.monitoring_window(scheduled, settings.window_hours))
    ground_truth = _ground_truth_with_labels(settings, scheduled) \
        if settings.monitoring_type in monitoring.MERGED_TYPES else ()
    requests = monitoring.execution_requests(settings, scheduled, token=uuid.uuid4().hex, ground_truth=ground_truth)
    return _start(requests[0])
