"""How one monitoring execution runs: a data-quality execution is one processing job (contract §4.2, §6.4, §9).

For an execution scheduled at T:

- the window is T + the schedule's ``DataAnalysisStartTime``/``EndTime`` (else the endpoint input's
  ``StartTimeOffset``/``EndTimeOffset``, else the expression's default window, :mod:`.cron`);
- the inputs are the captured hour folders of the window, found under the endpoint's
  ``DataCaptureConfig.DestinationS3Uri`` (from DescribeEndpoint, else DescribeEndpointConfig), one input per
  variant and hour, mounted at ``<LocalPath>/<endpoint>/<variant>/yyyy/mm/dd/hh``; none at all fails the
  execution (``Job inputs had no data: ...``) without starting a job;
- the baseline files are mounted at ``/opt/ml/processing/baseline/constraints/`` and
  ``/opt/ml/processing/baseline/stats/`` (``BaseliningJobName`` alone points at that job's output), the record
  pre-processor at ``/opt/ml/processing/code/preprocessing/`` and the post-analytics processor at
  ``/opt/ml/processing/code/postprocessing/``;
- the report goes to ``{MonitoringOutput S3Uri}/{endpoint}/{schedule}/yyyy/mm/dd/hh`` (the hour of T), uploaded
  ``Continuous``ly unless the definition says ``EndOfJob``;
- the environment is the definition's plus ``dataset_format`` (``sagemakerCaptureJson``), ``dataset_source``,
  ``output_path``, ``start_time``, ``end_time``, ``metric_time`` (the window start), the endpoint and schedule
  names, the baseline and script paths, and ``publish_cloudwatch_metrics`` (``Enabled`` unless the definition's
  environment says otherwise);
- the job is named ``model-monitoring-<yyyymmddHHMM of T>-<24 hex>`` (the data-quality pattern is unconfirmed;
  contract §12 decides this form).

The execution's status follows its job: ``Completed`` with an ExitMessage starting ``CompletedWithViolations``
gives ``CompletedWithViolations`` (contract §4.4, §12). Model-quality, model-bias and model-explainability
executions, and batch-transform inputs, fail at once with a FailureReason saying they are not supported yet.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from localstack.aws.api import CommonServiceException

from sagewatch.localstack.sagemaker.cron import ScheduleError, analysis_window
from sagewatch.localstack.sagemaker.jobdefs import ExecutionDefinition
from sagewatch.localstack.sagemaker.monitoring_common import deep_copy, floor_hour, iso_z
from sagewatch.localstack.sagemaker.processing_aws import AwsAccess

__all__ = ["CaptureHour", "ExecutionFailure", "ExecutionLauncher", "data_quality_job_request", "execution_job_name",
           "execution_status", "window_hours"]

LOG = logging.getLogger(__name__)

CAPTURE_FORMAT = json.dumps({"sagemakerCaptureJson": {"captureIndexNames": ["endpointInput", "endpointOutput"]}})
CONSTRAINTS_PATH = "/opt/ml/processing/baseline/constraints"
STATISTICS_PATH = "/opt/ml/processing/baseline/stats"
PREPROCESSOR_PATH = "/opt/ml/processing/code/preprocessing"
POSTPROCESSOR_PATH = "/opt/ml/processing/code/postprocessing"
DEFAULT_MAX_RUNTIME = 3600
JOB_NAME_PREFIX = "model-monitoring"


class ExecutionFailure(Exception):
    """The execution cannot run; the message becomes its FailureReason."""


@dataclass(frozen=True)
class CaptureHour:
    """One captured hour folder: ``s3://<destination>/<endpoint>/<variant>/yyyy/mm/dd/hh``."""

    variant: str
    hour: datetime
    s3_uri: str


def execution_status(job: Any) -> str:
    """The MonitoringExecutionStatus of an execution whose processing job is *job*.

    Examples
    --------
    >>> from types import SimpleNamespace as Job
    >>> execution_status(Job(status="Completed", exit_message="CompletedWithViolations: Job completed ..."))
    'CompletedWithViolations'
    >>> execution_status(Job(status="Completed", exit_message=None)), execution_status(Job(status="Stopping"))
    ('Completed', 'Stopping')
    """
    if job.status == "Completed" and (job.exit_message or "").startswith("CompletedWithViolations"):
        return "CompletedWithViolations"
    return job.status


def execution_job_name(scheduled: datetime) -> str:
    """``model-monitoring-<yyyymmddHHMM>-<24 hex>``.

    Examples
    --------
    >>> from datetime import datetime
    >>> execution_job_name(datetime(2024, 5, 1, 11))[:29]
    'model-monitoring-202405011100'
    """
    return f"{JOB_NAME_PREFIX}-{scheduled:%Y%m%d%H%M}-{uuid.uuid4().hex[:24]}"


def window_hours(start: datetime, end: datetime) -> list[datetime]:
    """The UTC hour folders that hold records of ``[start, end)``.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> [h.hour for h in window_hours(datetime(2024, 5, 1, 9, 30, tzinfo=timezone.utc),
    ...                               datetime(2024, 5, 1, 11, tzinfo=timezone.utc))]
    [9, 10]
    """
    hours, hour = [], floor_hour(start)
    while hour < end:
        hours.append(hour)
        hour += timedelta(hours=1)
    return hours


def _split_s3(uri: str) -> tuple[str, str]:
    bucket, _, key = uri[len("s3://"):].partition("/")
    return bucket, key


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
    bucket, prefix = _split_s3(destination)
    base = f"{prefix.rstrip('/')}/{endpoint_name}/" if prefix.strip("/") else f"{endpoint_name}/"
    variants = [folder[len(base):].strip("/") for folder in aws.list_folders(bucket, base)]
    found = []
    for variant in sorted(v for v in variants if v):
        for hour in hours:
            key = f"{base}{variant}/{hour:%Y/%m/%d/%H}"
            if aws.any_object(bucket, key + "/"):
                found.append(CaptureHour(variant, hour, f"s3://{bucket}/{key}"))
    return found


def _file_input(name: str, uri: str, local_path: str) -> dict[str, Any]:
    return {"InputName": name, "S3Input": {"S3Uri": uri, "LocalPath": local_path, "S3DataType": "S3Prefix",
                                           "S3InputMode": "File", "S3DataDistributionType": "FullyReplicated",
                                           "S3CompressionType": "None"}}


def _basename(uri: str) -> str:
    return uri.rstrip("/").rsplit("/", 1)[-1]


def data_quality_job_request(*, job_name: str, schedule_name: str, definition: ExecutionDefinition,
                             scheduled: datetime, window: tuple[datetime, datetime], captures: list[CaptureHour],
                             constraints_uri: str | None = None, statistics_uri: str | None = None,
                             capture_destination_uri: str | None = None) -> dict[str, Any]:
    """The CreateProcessingJob request of a data-quality execution (see the module docstring)."""
    endpoint_input = definition.endpoint_input or {}
    endpoint = definition.endpoint_name or ""
    local_root = endpoint_input["LocalPath"].rstrip("/")
    inputs = []
    for number, capture in enumerate(captures, 1):
        item = _file_input(f"endpoint_input_{number}", capture.s3_uri,
                           f"{local_root}/{endpoint}/{capture.variant}/{capture.hour:%Y/%m/%d/%H}")
        item["S3Input"]["S3InputMode"] = endpoint_input.get("S3InputMode", "File")
        item["S3Input"]["S3DataDistributionType"] = endpoint_input.get("S3DataDistributionType", "FullyReplicated")
        inputs.append(item)
    s3_output = definition.s3_output
    environment = dict(definition.environment)
    environment.setdefault("publish_cloudwatch_metrics", "Enabled")
    environment.update({
        "dataset_format": CAPTURE_FORMAT,
        "dataset_source": local_root,
        "output_path": s3_output["LocalPath"],
        "sagemaker_endpoint_name": endpoint,
        "sagemaker_monitoring_schedule_name": schedule_name,
        "start_time": iso_z(window[0]),
        "end_time": iso_z(window[1]),
        "metric_time": iso_z(window[0]),
    })
    if capture_destination_uri:
        environment["sagemaker_endpoint_datacapture_prefix"] = capture_destination_uri
    app = definition.app_specification
    scripts = ((constraints_uri, "constraints", CONSTRAINTS_PATH, "baseline_constraints"),
               (statistics_uri, "baseline", STATISTICS_PATH, "baseline_statistics"),
               (app.get("RecordPreprocessorSourceUri"), "pre_processor_script", PREPROCESSOR_PATH,
                "record_preprocessor_script"),
               (app.get("PostAnalyticsProcessorSourceUri"), "post_processor_script", POSTPROCESSOR_PATH,
                "post_analytics_processor_script"))
    for uri, input_name, local_path, variable in scripts:
        if uri:
            inputs.append(_file_input(input_name, uri, local_path))
            environment[variable] = f"{local_path}/{_basename(uri)}"
    output_config: dict[str, Any] = {"Outputs": [{"OutputName": "result", "S3Output": {
        "S3Uri": f"{s3_output['S3Uri'].rstrip('/')}/{endpoint}/{schedule_name}/{scheduled:%Y/%m/%d/%H}",
        "LocalPath": s3_output["LocalPath"], "S3UploadMode": s3_output.get("S3UploadMode", "Continuous")}}]}
    if definition.output_config.get("KmsKeyId"):
        output_config["KmsKeyId"] = definition.output_config["KmsKeyId"]
    request: dict[str, Any] = {
        "ProcessingJobName": job_name,
        "ProcessingInputs": inputs,
        "ProcessingOutputConfig": output_config,
        "ProcessingResources": {"ClusterConfig": deep_copy(definition.cluster_config)},
        "StoppingCondition": deep_copy(definition.stopping_condition or {"MaxRuntimeInSeconds": DEFAULT_MAX_RUNTIME}),
        "AppSpecification": {k: deep_copy(v) for k, v in app.items()
                             if k in ("ImageUri", "ContainerEntrypoint", "ContainerArguments")},
        "Environment": environment,
        "RoleArn": definition.role_arn,
    }
    if definition.network_config:
        request["NetworkConfig"] = deep_copy(definition.network_config)
    return request


class ExecutionLauncher:
    """Runs executions in the background: ``launcher(monitoring, schedule, execution)``."""

    def __init__(self, processing: Any) -> None:
        self.processing = processing

    def __call__(self, monitoring: Any, schedule: Any, execution: Any) -> None:
        threading.Thread(target=self.run, args=(monitoring, schedule, execution), daemon=True,
                         name=f"sagewatch-execution-{schedule.name}").start()

    def run(self, monitoring: Any, schedule: Any, execution: Any) -> None:
        try:
            self._run(monitoring, schedule, execution)
        except ExecutionFailure as failure:
            monitoring.update_execution(execution, status="Failed", failure_reason=str(failure))
        except (ScheduleError, CommonServiceException) as error:
            message = getattr(error, "message", None) or str(error)
            monitoring.update_execution(execution, status="Failed", failure_reason=f"ClientError: {message}")
        except Exception as error:  # noqa: BLE001 - an execution must end, whatever happens
            LOG.exception("sagewatch: monitoring execution of %s failed", schedule.name)
            monitoring.update_execution(execution, status="Failed", failure_reason=(
                f"InternalServerError: sagewatch could not run the execution: {type(error).__name__}: {error}"))

    def _definition(self, monitoring: Any, schedule: Any, config: Mapping[str, Any]) -> ExecutionDefinition:
        if config.get("MonitoringJobDefinition") is not None:
            return ExecutionDefinition.from_inline(config["MonitoringType"], config["MonitoringJobDefinition"])
        found = monitoring.jobdefs.find(schedule.account_id, schedule.region, config["MonitoringType"],
                                        config["MonitoringJobDefinitionName"])
        if found is None:
            raise ExecutionFailure(f"The {config['MonitoringType']} job definition "
                                   f"{config['MonitoringJobDefinitionName']} does not exist any more.")
        return found.execution_definition()

    def _baseline(self, definition: ExecutionDefinition, account_id: str, region: str) -> tuple[str | None, str | None]:
        baseline = definition.baseline
        constraints = (baseline.get("ConstraintsResource") or {}).get("S3Uri")
        statistics = (baseline.get("StatisticsResource") or {}).get("S3Uri")
        job_name = baseline.get("BaseliningJobName")
        if job_name and not (constraints and statistics):
            job = self.processing.find(account_id, region, job_name)
            outputs = ((job.request.get("ProcessingOutputConfig") or {}).get("Outputs") or []) if job else []
            uri = next((o["S3Output"]["S3Uri"] for o in outputs if o.get("S3Output")), None)
            if uri is None:
                raise ExecutionFailure(f"BaseliningJobName {job_name} names no processing job with an S3 output.")
            constraints = constraints or f"{uri.rstrip('/')}/constraints.json"
            statistics = statistics or f"{uri.rstrip('/')}/statistics.json"
        return constraints, statistics

    def _run(self, monitoring: Any, schedule: Any, execution: Any) -> None:
        with monitoring.lock:
            config = deep_copy(schedule.config)
            expression = schedule.expression
        definition = self._definition(monitoring, schedule, config)
        if definition.monitoring_type != "DataQuality":
            raise ExecutionFailure(f"{definition.monitoring_type} monitoring executions are not supported by this "
                                   "emulator yet; only DataQuality executions run.")
        if definition.endpoint_input is None:
            raise ExecutionFailure("DataQuality monitoring of batch-transform captures (BatchTransformInput) is not "
                                   "supported by this emulator yet; only EndpointInput executions run.")
        schedule_config = config.get("ScheduleConfig") or {}
        endpoint_input = definition.endpoint_input
        start_offset = schedule_config.get("DataAnalysisStartTime") or endpoint_input.get("StartTimeOffset")
        end_offset = schedule_config.get("DataAnalysisEndTime") or endpoint_input.get("EndTimeOffset")
        window = analysis_window(expression, execution.scheduled_time, start_offset, end_offset)
        aws = self.processing.aws(schedule.account_id, schedule.region)
        destination = capture_destination(aws, definition.endpoint_name)
        captures = find_captures(aws, destination, definition.endpoint_name, window_hours(*window))
        if not captures:
            raise ExecutionFailure(
                f"Job inputs had no data: no captured data for endpoint {definition.endpoint_name} between "
                f"{iso_z(window[0])} and {iso_z(window[1])} under {destination.rstrip('/')}/"
                f"{definition.endpoint_name}/. Invoke the endpoint with data capture enabled, or run the schedule "
                "for another ScheduledTime.")
        constraints, statistics = self._baseline(definition, schedule.account_id, schedule.region)
        job_name = execution_job_name(execution.scheduled_time)
        request = data_quality_job_request(
            job_name=job_name, schedule_name=schedule.name, definition=definition, scheduled=execution.scheduled_time,
            window=window, captures=captures, constraints_uri=constraints, statistics_uri=statistics,
            capture_destination_uri=destination)

        def follow(job: Any) -> None:
            monitoring.update_execution(execution, status=execution_status(job), processing_job_arn=job.arn,
                                        processing_job_name=job.name, failure_reason=job.failure_reason)

        self.processing.create_job(schedule.account_id, schedule.region, request,
                                   monitoring_schedule_arn=schedule.arn, listener=follow)
