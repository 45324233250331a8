"""A monitoring execution without Model Monitor: the CreateProcessingJob request it would make, and metrics.

The request is the one a data-quality monitoring execution makes (:mod:`sagewatch.job.execution_contract`,
contract §4.1, §4.2, §9), built from the CDK kit's :class:`MonitoringSettings`: the captured hours of every
variant mounted under ``/opt/ml/processing/input/endpoint/<endpoint>/<variant>/yyyy/mm/dd/hh``, the baseline
files under ``/opt/ml/processing/baseline/{constraints,stats}``, the report written from
``/opt/ml/processing/output`` to ``<output>/<endpoint>/<schedule>/yyyy/mm/dd/hh`` and the contract's environment.
One addition: plain processing jobs have no platform step that publishes ``/opt/ml/output/metrics/cloudwatch``, so
``CLOUDWATCH_METRICS_DIRECTORY`` points the analyzer at an extra output (``cloudwatch_metrics``) that
:func:`metric_data` turns into ``PutMetricData`` calls once the job completes.

Standard library only.
"""

from __future__ import annotations

import json
import logging
from dataclasses import MISSING, dataclass, field, fields
from datetime import datetime
from typing import Any, Iterable, Mapping

from sagewatch.job import execution_contract as contract
from sagewatch.job.execution_contract import (CONSTRAINTS_PATH, ENDPOINT_INPUT_PATH, METRICS_OUTPUT_NAME,
                                              OUTPUT_PATH, RESULT_OUTPUT_NAME, STATISTICS_PATH)
from sagewatch.job.execution_contract import AnalysisWindow as MonitoringWindow
from sagewatch.schemas.metric_lines import DATA_METRICS_NAMESPACE, parse_metric_lines
from sagewatch.schemas.s3_uri import split_s3_uri

__all__ = [
    "MonitoringSettings", "MonitoringWindow", "split_s3_uri", "monitoring_window", "processing_job_name",
    "execution_plan", "job_environment", "processing_inputs", "report_s3_uri", "build_processing_job_request",
    "metric_data", "chunked", "ENDPOINT_INPUT_PATH", "OUTPUT_PATH", "METRICS_PATH", "CONSTRAINTS_PATH",
    "STATISTICS_PATH", "CAPTURE_DATASET_FORMAT", "METRICS_OUTPUT_NAME", "RESULT_OUTPUT_NAME",
]

LOG = logging.getLogger(__name__)

METRICS_PATH = contract.METRICS_OUTPUT_PATH
CAPTURE_DATASET_FORMAT = contract.CAPTURE_DATASET_FORMAT
MAX_PROCESSING_INPUTS = 10  # CreateProcessingJob accepts at most 10 inputs


@dataclass(frozen=True)
class MonitoringSettings:
    """What the CDK kit hands the start_monitoring Lambda (``SAGEWATCH_MONITORING_SETTINGS``, JSON)."""

    endpoint_name: str
    schedule_name: str
    variants: tuple[str, ...]
    capture_s3_uri: str
    baseline_constraints_uri: str
    baseline_statistics_uri: str
    output_s3_uri: str
    image_uri: str
    role_arn: str
    instance_type: str = "ml.m5.xlarge"
    instance_count: int = 1
    volume_size_gb: int = 20
    max_runtime_seconds: int = 3600
    kms_key_id: str | None = None
    window_hours: int = 1
    run_engine_in_lambda: bool = False
    publish_cloudwatch_metrics: bool = True
    metrics_namespace: str = DATA_METRICS_NAMESPACE
    job_name_prefix: str = "sagewatch-dq"
    event_source: str = "sagewatch.monitoring"
    event_detail_type: str = "Sagewatch Monitoring Execution State Change"
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, text: str) -> MonitoringSettings:
        data = json.loads(text)
        known = {f.name for f in fields(cls)} - {"extra"}
        missing = sorted(f.name for f in fields(cls) if f.default is MISSING and f.default_factory is MISSING
                         and f.name not in data)
        if missing:
            raise ValueError(f"SAGEWATCH_MONITORING_SETTINGS lacks {missing}")
        values = {k: v for k, v in data.items() if k in known}
        values["variants"] = tuple(values["variants"])
        return cls(**values, extra={k: v for k, v in data.items() if k not in known})


def monitoring_window(scheduled: datetime, hours: int = 1) -> MonitoringWindow:
    """The window an hourly execution analyses: the ``hours`` whole hours before the scheduled hour.

    >>> from datetime import timezone
    >>> w = monitoring_window(datetime(2024, 5, 1, 11, 7, tzinfo=timezone.utc))
    >>> w.start.isoformat(), w.end.isoformat()
    ('2024-05-01T10:00:00+00:00', '2024-05-01T11:00:00+00:00')
    """
    if hours < 1:
        raise ValueError(f"hours must be >= 1, got {hours}")
    return contract.analysis_window(contract.floor_hour(scheduled), default_hours=hours)


def processing_job_name(prefix: str, window: MonitoringWindow, token: str) -> str:
    """``<prefix>-<yyyymmddHHMM of the window end>-<token>``, at most 63 characters (contract §12: job names).

    >>> from datetime import timezone
    >>> processing_job_name("sagewatch-dq-1a2b", monitoring_window(datetime(2024, 5, 1, 11, tzinfo=timezone.utc)),
    ...                     "0123456789abcdef")
    'sagewatch-dq-1a2b-202405011100-0123456789abcdef'
    """
    return contract.execution_job_name(prefix, window.end, token, token_length=16)


def execution_plan(settings: MonitoringSettings, window: MonitoringWindow, *,
                   job_name: str = "") -> contract.ExecutionPlan:
    """The execution contract's plan of one window: every variant's captured hours, the two baseline files and
    the extra ``cloudwatch_metrics`` output, all uploaded at the end of the job."""
    capture = settings.capture_s3_uri.rstrip("/")
    captures = tuple(
        contract.CaptureHour(variant, hour, f"{capture}/{settings.endpoint_name}/{variant}/{hour:%Y/%m/%d/%H}")
        for variant in settings.variants for hour in window.hours)
    cluster: dict[str, Any] = {"InstanceCount": settings.instance_count, "InstanceType": settings.instance_type,
                               "VolumeSizeInGB": settings.volume_size_gb}
    if settings.kms_key_id:
        cluster["VolumeKmsKeyId"] = settings.kms_key_id
    return contract.ExecutionPlan(
        monitoring_type="DataQuality", job_name=job_name, endpoint_name=settings.endpoint_name,
        schedule_name=settings.schedule_name, scheduled=window.end, window=window, captures=captures,
        output_s3_uri=settings.output_s3_uri, app_specification={"ImageUri": settings.image_uri},
        cluster_config=cluster, role_arn=settings.role_arn, upload_mode="EndOfJob",
        stopping_condition={"MaxRuntimeInSeconds": settings.max_runtime_seconds}, kms_key_id=settings.kms_key_id,
        capture_destination_uri=settings.capture_s3_uri,
        baseline_constraints_uri=settings.baseline_constraints_uri,
        baseline_statistics_uri=settings.baseline_statistics_uri,
        publish_cloudwatch_metrics=settings.publish_cloudwatch_metrics, metrics_output=True)


def build_processing_job_request(settings: MonitoringSettings, window: MonitoringWindow, *, token: str
                                 ) -> dict[str, Any]:
    """The ``CreateProcessingJob`` request of one execution; ``token`` makes the job name unique."""
    request = contract.job_request(execution_plan(
        settings, window, job_name=processing_job_name(settings.job_name_prefix, window, token)))
    if len(request["ProcessingInputs"]) > MAX_PROCESSING_INPUTS:
        raise ValueError(f"{len(request['ProcessingInputs'])} processing inputs; CreateProcessingJob accepts at most "
                         f"{MAX_PROCESSING_INPUTS} (fewer variants or a shorter window)")
    return request


def processing_inputs(settings: MonitoringSettings, window: MonitoringWindow) -> list[dict[str, Any]]:
    """One input per variant and captured hour, then the two baseline files (at most 10 inputs in all)."""
    return build_processing_job_request(settings, window, token="x")["ProcessingInputs"]


def job_environment(settings: MonitoringSettings, window: MonitoringWindow, *, root: str = "/opt/ml"
                    ) -> dict[str, str]:
    """The monitoring execution's environment (contract §4.2), with ``/opt/ml`` replaced by ``root``."""
    environment = contract.job_request(execution_plan(settings, window))["Environment"]
    return {key: root + value[len("/opt/ml"):] if value.startswith("/opt/ml/") else value
            for key, value in environment.items()}


def report_s3_uri(settings: MonitoringSettings, window: MonitoringWindow) -> str:
    """``<output>/<endpoint>/<schedule>/yyyy/mm/dd/hh`` of the window end, as the service names it (§9.2)."""
    return contract.report_s3_uri(settings.output_s3_uri, settings.endpoint_name, settings.schedule_name, window.end)


def metric_data(lines: Iterable[str | Mapping[str, Any]]) -> list[dict[str, Any]]:
    """CloudWatch metric-file lines (contract §4.5) as ``PutMetricData`` ``MetricData`` entries
    (:func:`sagewatch.schemas.metric_lines.parse_metric_lines`: ``StatisticValues`` win over ``Value``;
    malformed lines are skipped and logged).

    >>> metric_data(['{"MetricName": "m", "Timestamp": "2024-05-01T10:00:00Z", "Value": 0.5,'
    ...              ' "Dimensions": [{"Name": "Endpoint", "Value": "e"}]}'])[0]["Value"]
    0.5
    """
    read = parse_metric_lines(lines)
    for reason in read.skipped:
        LOG.warning("sagewatch: skipping metric line: %s", reason)
    return list(read.data)


def chunked(items: list[Any], size: int = 20) -> list[list[Any]]:
    """Split ``items`` into lists of at most ``size`` (PutMetricData's historical limit is 20 per call)."""
    return [items[i:i + size] for i in range(0, len(items), size)]
