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

import copy
import logging
import threading
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from localstack.aws.api import CommonServiceException

from sagewatch.job.execution_contract import (
    AnalysisWindow,
    CaptureHour,
    ExecutionPlan,
    WindowError,
    execution_job_name,
    job_request,
)
from sagewatch.localstack.sagemaker.cron import ScheduleError, analysis_window
from sagewatch.localstack.sagemaker.jobdefs import ExecutionDefinition
from sagewatch.localstack.sagemaker.monitoring_common import iso_z
from sagewatch.localstack.sagemaker.processing_aws import AwsAccess
from sagewatch.schemas.s3_uri import split_s3_uri

__all__ = ["CaptureHour", "ExecutionFailure", "ExecutionLauncher", "data_quality_plan", "execution_status"]

LOG = logging.getLogger(__name__)

JOB_NAME_PREFIX = "model-monitoring"


class ExecutionFailure(Exception):
    """The execution cannot run; the message becomes its FailureReason."""


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


def data_quality_plan(*, job_name: str, schedule_name: str, definition: ExecutionDefinition, scheduled: datetime,
                      window: tuple[datetime, datetime], captures: list[CaptureHour],
                      constraints_uri: str | None = None, statistics_uri: str | None = None,
                      capture_destination_uri: str | None = None) -> ExecutionPlan:
    """The :class:`~sagewatch.job.execution_contract.ExecutionPlan` of a data-quality execution of *definition*."""
    endpoint_input = definition.endpoint_input or {}
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
        preprocessor_uri=app.get("RecordPreprocessorSourceUri"),
        postprocessor_uri=app.get("PostAnalyticsProcessorSourceUri"))


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
        except (ScheduleError, WindowError, CommonServiceException) as error:
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
            config = copy.deepcopy(schedule.config)
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
        captures = find_captures(aws, destination, definition.endpoint_name, AnalysisWindow(*window).hours)
        if not captures:
            raise ExecutionFailure(
                f"Job inputs had no data: no captured data for endpoint {definition.endpoint_name} between "
                f"{iso_z(window[0])} and {iso_z(window[1])} under {destination.rstrip('/')}/"
                f"{definition.endpoint_name}/. Invoke the endpoint with data capture enabled, or run the schedule "
                "for another ScheduledTime.")
        constraints, statistics = self._baseline(definition, schedule.account_id, schedule.region)
        job_name = execution_job_name(JOB_NAME_PREFIX, execution.scheduled_time, uuid.uuid4().hex)
        request = job_request(data_quality_plan(
            job_name=job_name, schedule_name=schedule.name, definition=definition, scheduled=execution.scheduled_time,
            window=window, captures=captures, constraints_uri=constraints, statistics_uri=statistics,
            capture_destination_uri=destination))

        def follow(job: Any) -> None:
            monitoring.update_execution(execution, status=execution_status(job), processing_job_arn=job.arn,
                                        processing_job_name=job.name, failure_reason=job.failure_reason)

        self.processing.create_job(schedule.account_id, schedule.region, request,
                                   monitoring_schedule_arn=schedule.arn, listener=follow)
