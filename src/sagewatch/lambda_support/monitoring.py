"""A monitoring execution without Model Monitor: the CreateProcessingJob request it would make, and metrics.

The request follows what SageMaker builds for a data-quality monitoring execution (contract §4.1, §4.2, §9):
the captured hours of every variant mounted under ``/opt/ml/processing/input/endpoint/<endpoint>/<variant>/
yyyy/mm/dd/hh``, the baseline files under ``/opt/ml/processing/baseline/{constraints,stats}``, the report written
from ``/opt/ml/processing/output`` to ``<output>/<endpoint>/<schedule>/yyyy/mm/dd/hh`` and the contract's
environment. One addition: plain processing jobs have no platform step that publishes
``/opt/ml/output/metrics/cloudwatch``, so ``CLOUDWATCH_METRICS_DIRECTORY`` points the analyzer at an extra output
(``cloudwatch_metrics``) that :func:`metric_data` turns into ``PutMetricData`` calls once the job completes.

Standard library only.
"""

from __future__ import annotations

import json
import re
from dataclasses import MISSING, dataclass, field, fields
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable, Mapping

__all__ = [
    "MonitoringSettings", "MonitoringWindow", "split_s3_uri", "monitoring_window", "processing_job_name",
    "job_environment", "processing_inputs", "report_s3_uri", "build_processing_job_request", "metric_data", "chunked",
    "ENDPOINT_INPUT_PATH", "OUTPUT_PATH", "METRICS_PATH", "CONSTRAINTS_PATH", "STATISTICS_PATH",
    "CAPTURE_DATASET_FORMAT", "METRICS_OUTPUT_NAME", "RESULT_OUTPUT_NAME",
]

ENDPOINT_INPUT_PATH = "/opt/ml/processing/input/endpoint"
OUTPUT_PATH = "/opt/ml/processing/output"
METRICS_PATH = "/opt/ml/processing/cloudwatch_metrics"
CONSTRAINTS_PATH = "/opt/ml/processing/baseline/constraints"
STATISTICS_PATH = "/opt/ml/processing/baseline/stats"
CAPTURE_DATASET_FORMAT = '{"sagemakerCaptureJson":{"captureIndexNames":["endpointInput","endpointOutput"]}}'
RESULT_OUTPUT_NAME = "result"
METRICS_OUTPUT_NAME = "cloudwatch_metrics"
_TIME = "%Y-%m-%dT%H:%M:%SZ"


def split_s3_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/some/key`` -> ``("bucket", "some/key")``.

    >>> split_s3_uri("s3://reports/monitoring/data-quality")
    ('reports', 'monitoring/data-quality')
    """
    if not uri.startswith("s3://"):
        raise ValueError(f"not an s3:// URI: {uri!r}")
    bucket, _, key = uri[5:].partition("/")
    if not bucket:
        raise ValueError(f"no bucket in {uri!r}")
    return bucket, key.strip("/")


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
    metrics_namespace: str = "aws/sagemaker/Endpoints/data-metrics"
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


@dataclass(frozen=True)
class MonitoringWindow:
    start: datetime
    end: datetime

    @property
    def hours(self) -> list[datetime]:
        """The start of every captured hour in the window."""
        out, hour = [], self.start
        while hour < self.end:
            out.append(hour)
            hour += timedelta(hours=1)
        return out


def monitoring_window(scheduled: datetime, hours: int = 1) -> MonitoringWindow:
    """The window an hourly execution analyses: the ``hours`` whole hours before the scheduled hour.

    >>> w = monitoring_window(datetime(2024, 5, 1, 11, 7, tzinfo=timezone.utc))
    >>> w.start.isoformat(), w.end.isoformat()
    ('2024-05-01T10:00:00+00:00', '2024-05-01T11:00:00+00:00')
    """
    if hours < 1:
        raise ValueError(f"hours must be >= 1, got {hours}")
    end = scheduled.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)
    return MonitoringWindow(start=end - timedelta(hours=hours), end=end)


def processing_job_name(prefix: str, window: MonitoringWindow, token: str) -> str:
    """``<prefix>-<yyyymmddHHMM of the window end>-<token>``, at most 63 characters (contract §12: job names).

    >>> processing_job_name("sagewatch-dq-1a2b", monitoring_window(datetime(2024, 5, 1, 11, tzinfo=timezone.utc)),
    ...                     "0123456789abcdef")
    'sagewatch-dq-1a2b-202405011100-0123456789abcdef'
    """
    suffix = f"-{window.end:%Y%m%d%H%M}-{re.sub(r'[^a-zA-Z0-9]', '', token)[:16]}"
    return prefix[: 63 - len(suffix)].rstrip("-") + suffix


def _hour_path(hour: datetime) -> str:
    return f"{hour:%Y/%m/%d/%H}"


def job_environment(settings: MonitoringSettings, window: MonitoringWindow, *, root: str = "/opt/ml"
                    ) -> dict[str, str]:
    """The monitoring execution's environment (contract §4.2), with ``/opt/ml`` replaced by ``root``."""

    def at(path: str) -> str:
        return root + path[len("/opt/ml"):]

    return {
        "dataset_format": CAPTURE_DATASET_FORMAT,
        "dataset_source": at(ENDPOINT_INPUT_PATH),
        "output_path": at(OUTPUT_PATH),
        "publish_cloudwatch_metrics": "Enabled" if settings.publish_cloudwatch_metrics else "Disabled",
        "sagemaker_endpoint_name": settings.endpoint_name,
        "sagemaker_monitoring_schedule_name": settings.schedule_name,
        "sagemaker_endpoint_datacapture_prefix": settings.capture_s3_uri,
        "start_time": window.start.strftime(_TIME),
        "end_time": window.end.strftime(_TIME),
        "metric_time": window.start.strftime(_TIME),
        "baseline_constraints": at(f"{CONSTRAINTS_PATH}/{settings.baseline_constraints_uri.rsplit('/', 1)[-1]}"),
        "baseline_statistics": at(f"{STATISTICS_PATH}/{settings.baseline_statistics_uri.rsplit('/', 1)[-1]}"),
        "CLOUDWATCH_METRICS_DIRECTORY": at(METRICS_PATH),
    }


def processing_inputs(settings: MonitoringSettings, window: MonitoringWindow) -> list[dict[str, Any]]:
    """One input per variant and captured hour, then the two baseline files (at most 10 inputs in all)."""

    def s3_input(name: str, uri: str, local_path: str) -> dict[str, Any]:
        return {"InputName": name, "S3Input": {
            "S3Uri": uri, "LocalPath": local_path, "S3DataType": "S3Prefix", "S3InputMode": "File",
            "S3DataDistributionType": "FullyReplicated", "S3CompressionType": "None"}}

    capture = settings.capture_s3_uri.rstrip("/")
    inputs = []
    for variant in settings.variants:
        for hour in window.hours:
            relative = f"{settings.endpoint_name}/{variant}/{_hour_path(hour)}"
            inputs.append(s3_input(f"endpoint_input_{len(inputs) + 1}", f"{capture}/{relative}",
                                   f"{ENDPOINT_INPUT_PATH}/{relative}"))
    inputs.append(s3_input("constraints", settings.baseline_constraints_uri, CONSTRAINTS_PATH))
    inputs.append(s3_input("baseline", settings.baseline_statistics_uri, STATISTICS_PATH))
    if len(inputs) > 10:
        raise ValueError(f"{len(inputs)} processing inputs; CreateProcessingJob accepts at most 10 "
                         "(fewer variants or a shorter window)")
    return inputs


def report_s3_uri(settings: MonitoringSettings, window: MonitoringWindow) -> str:
    """``<output>/<endpoint>/<schedule>/yyyy/mm/dd/hh`` of the window end, as the service names it (§9.2)."""
    return (f"{settings.output_s3_uri.rstrip('/')}/{settings.endpoint_name}/{settings.schedule_name}/"
            f"{_hour_path(window.end)}")


def build_processing_job_request(settings: MonitoringSettings, window: MonitoringWindow, *, token: str
                                 ) -> dict[str, Any]:
    """The ``CreateProcessingJob`` request of one execution; ``token`` makes the job name unique."""
    report = report_s3_uri(settings, window)
    outputs: dict[str, Any] = {"Outputs": [
        {"OutputName": RESULT_OUTPUT_NAME, "S3Output": {"S3Uri": report, "LocalPath": OUTPUT_PATH,
                                                        "S3UploadMode": "EndOfJob"}},
        {"OutputName": METRICS_OUTPUT_NAME, "S3Output": {"S3Uri": f"{report}/{METRICS_OUTPUT_NAME}",
                                                         "LocalPath": METRICS_PATH, "S3UploadMode": "EndOfJob"}},
    ]}
    cluster: dict[str, Any] = {"InstanceCount": settings.instance_count, "InstanceType": settings.instance_type,
                               "VolumeSizeInGB": settings.volume_size_gb}
    if settings.kms_key_id:
        outputs["KmsKeyId"] = settings.kms_key_id
        cluster["VolumeKmsKeyId"] = settings.kms_key_id
    return {
        "ProcessingJobName": processing_job_name(settings.job_name_prefix, window, token),
        "ProcessingInputs": processing_inputs(settings, window),
        "ProcessingOutputConfig": outputs,
        "ProcessingResources": {"ClusterConfig": cluster},
        "StoppingCondition": {"MaxRuntimeInSeconds": settings.max_runtime_seconds},
        "AppSpecification": {"ImageUri": settings.image_uri},
        "Environment": job_environment(settings, window),
        "RoleArn": settings.role_arn,
    }


def metric_data(lines: Iterable[str | Mapping[str, Any]]) -> list[dict[str, Any]]:
    """CloudWatch metric-file lines (contract §4.5) as ``PutMetricData`` ``MetricData`` entries.

    ``Value`` wins over ``StatisticValues`` when a line has both (the DG example does); timestamps become
    ``datetime`` objects, as boto3 expects.

    >>> metric_data(['{"MetricName": "m", "Timestamp": "2024-05-01T10:00:00Z", "Value": 0.5,'
    ...              ' "Dimensions": [{"Name": "Endpoint", "Value": "e"}]}'])[0]["Value"]
    0.5
    """
    entries = []
    for line in lines:
        if isinstance(line, str):
            if not line.strip():
                continue
            line = json.loads(line)
        entry: dict[str, Any] = {"MetricName": line["MetricName"],
                                 "Timestamp": datetime.strptime(line["Timestamp"], _TIME).replace(tzinfo=timezone.utc)}
        if line.get("Dimensions"):
            entry["Dimensions"] = [{"Name": d["Name"], "Value": d["Value"]} for d in line["Dimensions"]]
        if "Value" in line:
            entry["Value"] = float(line["Value"])
        elif "StatisticValues" in line:
            entry["StatisticValues"] = {k: float(v) for k, v in line["StatisticValues"].items()}
        else:
            continue
        if line.get("Unit"):
            entry["Unit"] = line["Unit"]
        entries.append(entry)
    return entries


def chunked(items: list[Any], size: int = 20) -> list[list[Any]]:
    """Split ``items`` into lists of at most ``size`` (PutMetricData's historical limit is 20 per call)."""
    return [items[i:i + size] for i in range(0, len(items), size)]
