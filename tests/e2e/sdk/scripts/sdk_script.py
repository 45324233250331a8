"""Shared by the SDK workflow scripts, which run in an SDK venv's interpreter (standard library only here).

A script takes one argument, a JSON object of parameters, and prints one JSON object as the last line of its
standard output (the SDK prints job logs before it). Only ``AWS_ENDPOINT_URL``, the region and credentials in
its environment point it at the emulator; the SDK code itself is what a user would write for AWS.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from typing import Any

TERMINAL = ("Completed", "CompletedWithViolations", "Failed", "Stopped")


def parameters() -> dict[str, Any]:
    if len(sys.argv) != 2:
        raise SystemExit(f"usage: {sys.argv[0]} '<json parameters>'")
    return json.loads(sys.argv[1])


def emit(result: dict[str, Any]) -> None:
    """Print *result* as one JSON line, on a line of its own (``wait=True, logs=False`` leaves the SDK's
    progress marks, ``.....!``, without a line end)."""
    sys.stdout.flush()
    print("\n" + json.dumps(result, default=str, sort_keys=True), flush=True)


def wait_for(condition: Callable[[], Any], timeout: float, what: str, interval: float = 1.0) -> Any:
    """Call *condition* until it returns something truthy; that value."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)


def wait_for_execution(session: Any, schedule: str, timeout: float = 120.0) -> dict[str, Any]:
    """The schedule's latest MonitoringExecutionSummary once it is finished (also one that failed before its job)."""

    def finished() -> dict[str, Any] | None:
        summaries = session.sagemaker_client.list_monitoring_executions(
            MonitoringScheduleName=schedule)["MonitoringExecutionSummaries"]
        latest = max(summaries, key=lambda s: s["ScheduledTime"], default=None)
        return latest if latest and latest["MonitoringExecutionStatus"] in TERMINAL else None

    return wait_for(finished, timeout, f"an execution of {schedule} to finish")


def violation_summary(violations: Any) -> list[list[str]] | None:
    """``[[feature or metric name, constraint_check_type], ...]`` of a ConstraintViolations object (None stays None).

    Data-quality violations name a ``feature_name``, model-quality ones a ``metric_name``.
    """
    if violations is None:
        return None
    return sorted([v.get("feature_name", v.get("metric_name")), v["constraint_check_type"]]
                  for v in violations.body_dict["violations"])


def read_json(read_file: Callable[..., str], session: Any, uri: str) -> Any:
    """The JSON object at S3 *uri*, read with the SDK's ``S3Downloader.read_file``; None when it is absent."""
    try:
        return json.loads(read_file(uri, sagemaker_session=session))
    except Exception as error:  # the SDK raises botocore's ClientError (NoSuchKey) for a missing object
        if "NoSuchKey" in str(error) or "Not Found" in str(error) or "404" in str(error):
            return None
        raise


def clarify_job_summary(session: Any, job_name: str, read_file: Callable[..., str]) -> dict[str, Any]:
    """A Clarify processing job as the SDK sees it: the described request, its config and its analysis.json.

    ``config`` is the ``analysis_config.json`` the SDK uploaded (the ``analysis_config`` input), ``analysis``
    the ``analysis.json`` in the ``analysis_result`` output (None when the job wrote none).
    """
    described = session.sagemaker_client.describe_processing_job(ProcessingJobName=job_name)
    inputs = {item["InputName"]: item["S3Input"] for item in described["ProcessingInputs"]}
    outputs = {item["OutputName"]: item["S3Output"] for item in described["ProcessingOutputConfig"]["Outputs"]}
    config_uri = inputs["analysis_config"]["S3Uri"]
    result_uri = outputs["analysis_result"]["S3Uri"].rstrip("/")
    return {
        "name": job_name,
        "status": described["ProcessingJobStatus"],
        "failure": described.get("FailureReason"),
        "exit_message": described.get("ExitMessage"),
        "image": described["AppSpecification"]["ImageUri"],
        "environment": described.get("Environment"),
        "inputs": {name: {"S3Uri": item["S3Uri"], "LocalPath": item["LocalPath"], "S3DataType": item["S3DataType"]}
                   for name, item in inputs.items()},
        "outputs": {name: {"S3Uri": item["S3Uri"], "LocalPath": item["LocalPath"],
                           "S3UploadMode": item["S3UploadMode"]} for name, item in outputs.items()},
        "config": read_json(read_file, session, config_uri),
        "analysis": read_json(read_file, session, f"{result_uri}/analysis.json"),
    }


def model_endpoints(session: Any) -> dict[str, list[str]]:
    """Names of every endpoint, endpoint config and model (to show that shadow endpoints are cleaned up)."""
    client = session.sagemaker_client
    return {
        "endpoints": sorted(e["EndpointName"] for e in client.list_endpoints(MaxResults=100)["Endpoints"]),
        "endpoint_configs": sorted(c["EndpointConfigName"] for c in client.list_endpoint_configs(
            MaxResults=100)["EndpointConfigs"]),
        "models": sorted(m["ModelName"] for m in client.list_models(MaxResults=100)["Models"]),
    }
