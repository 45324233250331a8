"""Data-quality executions: one processing job over the captured hours of the window (contract §4.2, §9).

- the window is T + the schedule's ``DataAnalysisStartTime``/``EndTime`` (else the endpoint input's
  ``StartTimeOffset``/``EndTimeOffset``, else the expression's default window,
  :mod:`sagewatch.localstack.sagemaker.monitoring.cron`);
- the inputs are the captured hour folders of the window, found under the endpoint's
  ``DataCaptureConfig.DestinationS3Uri`` (from DescribeEndpoint, else DescribeEndpointConfig), one input per
  variant and hour, mounted at ``<LocalPath>/<endpoint>/<variant>/yyyy/mm/dd/hh``; none at all fails the
  execution (``Job inputs had no data: ...``) without starting a job;
- a baseline made by sagewatch keeps its ``sagewatch_report.json`` (with the row sample of the multivariate MMD
  test) beside its statistics; when that file is there, it becomes one more input
  (:mod:`sagewatch.job.baseline_report_input`), so the MMD test runs here as it does in the CLI;
- everything else (baseline and script paths, the report folder, the environment) is the execution contract's
  (:func:`sagewatch.job.execution_contract.data_quality_request`).

A ``BatchTransformInput`` reads the transform's input files instead: the input manifests of the window
(:mod:`.batch`) as ``ManifestFile`` inputs, with ``BatchTransformInput.DatasetFormat``'s ``dataset_format``; the
report goes to ``<S3Uri>/<schedule>/yyyy/mm/dd/hh`` and the metrics carry the ``MonitoringSchedule`` dimension only.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sagewatch.job import baseline_report_input
from sagewatch.job.execution_contract import AnalysisWindow, CaptureHour, ExecutionPlan
from sagewatch.localstack.sagemaker.common import iso_z
from sagewatch.localstack.sagemaker.monitoring.executions.base import ExecutionFailure, ExecutionRun
from sagewatch.localstack.sagemaker.monitoring.executions.batch import batch_plan_fields, manifests_in_window
from sagewatch.localstack.sagemaker.monitoring.jobdefs import ExecutionDefinition
from sagewatch.localstack.sagemaker.processing.aws import AwsAccess
from sagewatch.schemas.s3_uri import split_s3_uri

__all__ = ["capture_destination", "find_captures", "captures_in_window", "baseline_report", "data_quality_plan",
           "plan_execution"]


def capture_destination(aws: AwsAccess, endpoint_name: str) -> str:
    """The endpoint's ``DataCaptureConfig.DestinationS3Uri`` (DescribeEndpoint, else DescribeEndpointConfig)."""
    endpoint = aws.describe_endpoint(endpoint_name)
    if endpoint is None:
        raise ExecutionFailure(f"Endpoint {endpoint_name} does not exist, so there is no captured data to monitor.")
    destination = (endpoint.get("DataCaptureConfig") or {}).get("DestinationS3Uri")
    if not destination and endpoint.get("EndpointConfigName"):
        config = aws.describe_endpoint_config(endpoint["EndpointConfigName"]) or {}
        destination = (config.get("DataCaptureConfig") or {}).get("DestinationS3Uri")
    if not destination:
        raise ExecutionFailure(f"Data capture is not enabled for endpoint {endpoint_name}: its endpoint configuration "
                               "has no DataCaptureConfig, so there is no captured data to monitor.")
    return destination


def find_captures(aws: AwsAccess, destination: str, endpoint_name: str, hours: list[datetime]) -> list[CaptureHour]:
    """The hour folders of *hours* that hold captured objects, for every variant found under the endpoint."""
    bucket, prefix = split_s3_uri(destination)
    base = f"{prefix.rstrip('/')}/{endpoint_name}/" if prefix.strip("/") else f"{endpoint_name}/"
    variants = [folder[len(base):].strip("/") for folder in aws.list_folders(bucket, base)]
    found = []
    for variant in sorted(v for v in variants if v):
        for hour in hours:
            key = f"{base}{variant}/{hour:%Y/%m/%d/%H}"
            if aws.any_object(bucket, key + "/"):
                found.append(CaptureHour(variant, hour, f"s3://{bucket}/{key}"))
    return found


def captures_in_window(run: ExecutionRun, *, why: str = "") -> tuple[AnalysisWindow, str, list[CaptureHour]]:
    """The window of an endpoint-input execution, its capture destination and the captured hours in it;
    :class:`ExecutionFailure` ("Job inputs had no data", *why* added) when there are none."""
    definition = run.definition
    endpoint_input = definition.endpoint_input
    window = run.window(endpoint_input.get("StartTimeOffset"), endpoint_input.get("EndTimeOffset"))
    destination = capture_destination(run.aws, definition.endpoint_name)
    captures = find_captures(run.aws, destination, definition.endpoint_name, window.hours)
    if not captures:
        raise ExecutionFailure(
            f"Job inputs had no data: no captured data for endpoint {definition.endpoint_name} between "
            f"{iso_z(window.start)} and {iso_z(window.end)} under {destination.rstrip('/')}/"
            f"{definition.endpoint_name}/{why}. Invoke the endpoint with data capture enabled, or run the schedule "
            "for another ScheduledTime.")
    return window, destination, captures


def baseline_report(aws: AwsAccess, statistics_uri: str | None) -> str | None:
    """The URI of the ``sagewatch_report.json`` beside the baseline statistics, when there is one (an ``S3Prefix``
    input, like the statistics' own)."""
    if not statistics_uri:
        return None
    uri = baseline_report_input.baseline_report_uri(statistics_uri)
    return uri if aws.any_object(*split_s3_uri(uri)) else None


def data_quality_plan(*, job_name: str, schedule_name: str, definition: ExecutionDefinition, scheduled: datetime,
                      window: tuple[datetime, datetime], captures: list[CaptureHour],
                      constraints_uri: str | None = None, statistics_uri: str | None = None,
                      capture_destination_uri: str | None = None,
                      baseline_report_uri: str | None = None) -> ExecutionPlan:
    """The :class:`~sagewatch.job.execution_contract.ExecutionPlan` of a data-quality execution of *definition*."""
    endpoint_input = definition.endpoint_input or definition.job_input.get("BatchTransformInput") or {}
    s3_output = definition.s3_output
    app = definition.app_specification
    return ExecutionPlan(
        monitoring_type=definition.monitoring_type, job_name=job_name, endpoint_name=definition.endpoint_name or "",
        schedule_name=schedule_name, scheduled=scheduled, window=AnalysisWindow(*window), captures=tuple(captures),
        output_s3_uri=s3_output["S3Uri"], app_specification=app, cluster_config=definition.cluster_config,
        role_arn=definition.role_arn, environment=definition.environment,
        input_local_path=endpoint_input["LocalPath"], input_mode=endpoint_input.get("S3InputMode", "File"),
        input_distribution=endpoint_input.get("S3DataDistributionType", "FullyReplicated"),
        output_local_path=s3_output["LocalPath"], upload_mode=s3_output.get("S3UploadMode", "Continuous"),
        stopping_condition=definition.stopping_condition, kms_key_id=definition.output_config.get("KmsKeyId"),
        network_config=definition.network_config, capture_destination_uri=capture_destination_uri,
        baseline_constraints_uri=constraints_uri, baseline_statistics_uri=statistics_uri,
        baseline_report_uri=baseline_report_uri,
        preprocessor_uri=app.get("RecordPreprocessorSourceUri"),
        postprocessor_uri=app.get("PostAnalyticsProcessorSourceUri"))


def plan_execution(run: ExecutionRun) -> ExecutionPlan:
    """The plan of one data-quality execution, or :class:`ExecutionFailure` (no captures or manifests)."""
    definition = run.definition
    if definition.endpoint_input is None:  # BatchTransformInput: the transform's input files (contract §1.4)
        window, manifests = manifests_in_window(run)
        constraints, statistics = run.baseline()
        plan = data_quality_plan(job_name=run.job_name, schedule_name=run.schedule_name, definition=definition,
                                 scheduled=run.scheduled, window=window, captures=[], constraints_uri=constraints,
                                 statistics_uri=statistics, baseline_report_uri=baseline_report(run.aws, statistics))
        return replace(plan, **batch_plan_fields(run, manifests))
    window, destination, captures = captures_in_window(run)
    constraints, statistics = run.baseline()
    return data_quality_plan(job_name=run.job_name, schedule_name=run.schedule_name, definition=definition,
                             scheduled=run.scheduled, window=window, captures=captures, constraints_uri=constraints,
                             statistics_uri=statistics, capture_destination_uri=destination,
                             baseline_report_uri=baseline_report(run.aws, statistics))
