"""A monitoring execution without Model Monitor: the CreateProcessingJob requests it would make, and metrics.

The requests are the ones a monitoring execution makes (:mod:`sagewatch.job.execution_contract`, contract §2.3,
§4.1, §4.2, §9), built from the CDK kit's :class:`MonitoringSettings`:

- data quality, one job: the captured hours of every variant mounted under
  ``/opt/ml/processing/input/endpoint/<endpoint>/<variant>/yyyy/mm/dd/hh``, the baseline files under
  ``/opt/ml/processing/baseline/{constraints,stats}``, the report written from ``/opt/ml/processing/output`` to
  ``<output>/<endpoint>/<schedule>/yyyy/mm/dd/hh`` and the contract's environment;
- model bias and model explainability: the contract's Clarify jobs (the merge job first for bias, as for model
  quality), on the job definition's image, with ``config_uri`` as their ``analysis_config.json``;
- model quality, the contract's chain of two: the ground-truth merge job ``<prefix>-merge-<yyyymmddHHMM>-<token>``
  (captures joined to the labels under ``<ground truth>/yyyy/mm/dd/hh``), then the analysis job
  ``<prefix>-<yyyymmddHHMM>-<token>``, which :func:`next_request` rebuilds from the merge job's name once the merge
  completed (the Lambda keeps no state between the two events).

One addition: plain processing jobs have no platform step that publishes ``/opt/ml/output/metrics/cloudwatch``, so
``CLOUDWATCH_METRICS_DIRECTORY`` points the analyzer at an extra output (``cloudwatch_metrics``) that
:func:`metric_data` turns into ``PutMetricData`` calls once the job completes.

Standard library only.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import MISSING, dataclass, field, fields
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping

from sagewatch.job import execution_contract as contract
from sagewatch.job.execution_contract import (CONSTRAINTS_PATH, ENDPOINT_INPUT_PATH, METRICS_OUTPUT_NAME,
                                              OUTPUT_PATH, RESULT_OUTPUT_NAME, STATISTICS_PATH)
from sagewatch.job.execution_contract import AnalysisWindow as MonitoringWindow
from sagewatch.job.execution_contract import GroundTruthHour
from sagewatch.schemas.metric_lines import DATA_METRICS_NAMESPACE, parse_metric_lines
from sagewatch.schemas.s3_uri import split_s3_uri

__all__ = [
    "MonitoringSettings", "MonitoringWindow", "split_s3_uri", "monitoring_window", "processing_job_name",
    "execution_plan", "job_environment", "processing_inputs", "report_s3_uri", "build_processing_job_request",
    "metric_data", "chunked", "execution_window", "ground_truth_candidates", "execution_requests",
    "next_request", "MONITORING_TYPES", "MERGED_TYPES", "CLARIFY_TYPES", "ENDPOINT_INPUT_PATH", "OUTPUT_PATH", "METRICS_PATH", "CONSTRAINTS_PATH",
    "STATISTICS_PATH", "CAPTURE_DATASET_FORMAT", "METRICS_OUTPUT_NAME", "RESULT_OUTPUT_NAME",
]

LOG = logging.getLogger(__name__)

METRICS_PATH = contract.METRICS_OUTPUT_PATH
CAPTURE_DATASET_FORMAT = contract.CAPTURE_DATASET_FORMAT
MAX_PROCESSING_INPUTS = 10  # CreateProcessingJob accepts at most 10 inputs
MONITORING_TYPES = ("DataQuality", "ModelQuality", "ModelBias", "ModelExplainability")
# the monitors whose execution starts with the ground-truth merge job: <prefix>-merge-<yyyymmddHHMM>-<token>
MERGED_TYPES = ("ModelQuality", "ModelBias")
CLARIFY_TYPES = ("ModelBias", "ModelExplainability")  # Clarify jobs, configured by an analysis_config.json
MERGE_JOB_INFIX = "merge"
TOKEN_LENGTH = 16
# a merge job on an image other than SageMaker's analyzer (the sagewatch-analyzer image of processing mode on AWS,
# which has no groundtruth-merger sibling in the account): the same image, with the merge entry point
MERGE_ENTRYPOINT = ("python", "-m", "sagewatch.job.merge")
SAGEMAKER_ANALYZER_REPOSITORY = "sagemaker-model-monitor-analyzer"
_JOB_NAME = re.compile(r"^(?P<prefix>.+)-(?P<time>\d{12})-(?P<token>[A-Za-z0-9]+)$")


@dataclass(frozen=True)
class MonitoringSettings:
    """What the CDK kit hands the start_monitoring Lambda (``SAGEWATCH_MONITORING_SETTINGS``, JSON)."""

    endpoint_name: str
    schedule_name: str
    variants: tuple[str, ...]
    capture_s3_uri: str
    baseline_constraints_uri: str
    baseline_statistics_uri: str | None  # data quality only (null for model quality)
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
    monitoring_type: str = "DataQuality"
    # model quality: ModelQualityAppSpecification.ProblemType, GroundTruthS3Input.S3Uri and the EndpointInput's
    # attributes and window offsets (None: the window_hours before the scheduled hour)
    problem_type: str | None = None
    ground_truth_s3_uri: str | None = None
    inference_attribute: str | None = None
    probability_attribute: str | None = None
    probability_threshold_attribute: float | None = None
    start_time_offset: str | None = None
    end_time_offset: str | None = None
    # model bias and explainability: <T>AppSpecification.ConfigUri (analysis_config.json) and
    # EndpointInput.FeaturesAttribute; model bias also needs ground_truth_s3_uri
    config_uri: str | None = None
    features_attribute: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.monitoring_type not in MONITORING_TYPES:
            raise ValueError(f"SAGEWATCH_MONITORING_SETTINGS monitoring_type must be one of {list(MONITORING_TYPES)}, "
                             f"got {self.monitoring_type!r}")
        if self.monitoring_type == "DataQuality" and not self.baseline_statistics_uri:
            raise ValueError("SAGEWATCH_MONITORING_SETTINGS lacks baseline_statistics_uri (data quality compares "
                             "with the baseline statistics)")
        if self.monitoring_type == "ModelQuality":
            missing = [name for name in ("problem_type", "ground_truth_s3_uri") if not getattr(self, name)]
            if missing:
                raise ValueError(f"SAGEWATCH_MONITORING_SETTINGS lacks {missing}, which model quality needs")
        if self.monitoring_type in CLARIFY_TYPES:
            missing = [name for name in ("config_uri",) + (("ground_truth_s3_uri",) if self.monitoring_type ==
                                                             "ModelBias" else ()) if not getattr(self, name)]
            if missing:
                raise ValueError(f"SAGEWATCH_MONITORING_SETTINGS lacks {missing}, which {self.monitoring_type} needs")
        if self.monitoring_type != "DataQuality" and self.run_engine_in_lambda:
            raise ValueError(f"run_engine_in_lambda runs data quality only: a {self.monitoring_type} execution runs "
                             "as processing jobs")

    @classmethod
    def from_json(cls, text: str) -> MonitoringSettings:
        data = json.loads(text)
        data.setdefault("baseline_statistics_uri", None)  # model quality has none (CloudFormation drops nulls)
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


def execution_plan(settings: MonitoringSettings, window: MonitoringWindow, *, job_name: str = "",
                   merge_job_name: str | None = None, scheduled: datetime | None = None,
                   ground_truth: tuple[GroundTruthHour, ...] = ()) -> contract.ExecutionPlan:
    """The execution contract's plan of one window: every variant's captured hours, the baseline files and the
    extra ``cloudwatch_metrics`` output, all uploaded at the end of the job; for model quality also the merge
    job's name, the ground-truth hours and the problem type and attributes. ``scheduled`` (default: the window
    end) names the report's hour folder."""
    capture = settings.capture_s3_uri.rstrip("/")
    captures = tuple(
        contract.CaptureHour(variant, hour, f"{capture}/{settings.endpoint_name}/{variant}/{hour:%Y/%m/%d/%H}")
        for variant in settings.variants for hour in window.hours)
    cluster: dict[str, Any] = {"InstanceCount": settings.instance_count, "InstanceType": settings.instance_type,
                               "VolumeSizeInGB": settings.volume_size_gb}
    if settings.kms_key_id:
        cluster["VolumeKmsKeyId"] = settings.kms_key_id
    return contract.ExecutionPlan(
        monitoring_type=settings.monitoring_type, job_name=job_name, endpoint_name=settings.endpoint_name,
        schedule_name=settings.schedule_name, scheduled=scheduled or window.end, window=window, captures=captures,
        output_s3_uri=settings.output_s3_uri, app_specification={"ImageUri": settings.image_uri},
        cluster_config=cluster, role_arn=settings.role_arn, upload_mode="EndOfJob",
        stopping_condition={"MaxRuntimeInSeconds": settings.max_runtime_seconds}, kms_key_id=settings.kms_key_id,
        capture_destination_uri=settings.capture_s3_uri,
        baseline_constraints_uri=settings.baseline_constraints_uri,
        baseline_statistics_uri=settings.baseline_statistics_uri,
        publish_cloudwatch_metrics=settings.publish_cloudwatch_metrics, metrics_output=True,
        merge_job_name=merge_job_name, ground_truth=ground_truth, ground_truth_s3_uri=settings.ground_truth_s3_uri,
        problem_type=settings.problem_type, inference_attribute=settings.inference_attribute,
        probability_attribute=settings.probability_attribute,
        probability_threshold_attribute=settings.probability_threshold_attribute,
        features_attribute=settings.features_attribute, config_uri=settings.config_uri)


def build_processing_job_request(settings: MonitoringSettings, window: MonitoringWindow, *, token: str
                                 ) -> dict[str, Any]:
    """The ``CreateProcessingJob`` request of one data-quality execution; ``token`` makes the job name unique."""
    if settings.monitoring_type != "DataQuality":
        raise ValueError(f"{settings.monitoring_type} executions run a chain of jobs: use execution_requests")
    request = contract.job_request(execution_plan(
        settings, window, job_name=processing_job_name(settings.job_name_prefix, window, token)))
    return _checked(request)


def _checked(request: dict[str, Any]) -> dict[str, Any]:
    if len(request["ProcessingInputs"]) > MAX_PROCESSING_INPUTS:
        raise ValueError(f"{request['ProcessingJobName']}: {len(request['ProcessingInputs'])} processing inputs; "
                         f"CreateProcessingJob accepts at most {MAX_PROCESSING_INPUTS} (fewer variants or a shorter "
                         "window)")
    return request


def execution_window(settings: MonitoringSettings, scheduled: datetime) -> MonitoringWindow:
    """The window of the execution scheduled at ``scheduled``: the settings' offsets from the scheduled hour
    (contract §9.3), else the ``window_hours`` whole hours before it.

    >>> from datetime import timezone
    >>> s = MonitoringSettings("e", "s", ("v",), "s3://c", "s3://b/c.json", None, "s3://r", "i", "r",
    ...                        monitoring_type="ModelQuality", problem_type="Regression", ground_truth_s3_uri="s3://g",
    ...                        start_time_offset="-PT3H", end_time_offset="-PT1H")
    >>> [t.hour for t in execution_window(s, datetime(2024, 5, 1, 11, 7, tzinfo=timezone.utc))]
    [8, 10]
    """
    if settings.start_time_offset is None and settings.end_time_offset is None:
        return monitoring_window(scheduled, settings.window_hours)
    return contract.analysis_window(contract.floor_hour(scheduled), settings.start_time_offset,
                                    settings.end_time_offset, default_hours=settings.window_hours)


def ground_truth_candidates(settings: MonitoringSettings, scheduled: datetime) -> list[GroundTruthHour]:
    """The ground-truth hour folders a model-quality execution may read (the contract's
    :func:`~sagewatch.job.execution_contract.ground_truth_hours`); the caller keeps those that hold objects."""
    window = execution_window(settings, scheduled)
    root = (settings.ground_truth_s3_uri or "").rstrip("/")
    return [GroundTruthHour(hour, f"{root}/{hour:%Y/%m/%d/%H}")
            for hour in contract.ground_truth_hours(window, contract.floor_hour(scheduled))]


def _chain_plan(settings: MonitoringSettings, scheduled: datetime, token: str,
                ground_truth: tuple[GroundTruthHour, ...]) -> contract.ExecutionPlan:
    hour = contract.floor_hour(scheduled)
    prefix = settings.job_name_prefix
    merge = None
    if settings.monitoring_type in MERGED_TYPES:
        merge = contract.execution_job_name(f"{prefix}-{MERGE_JOB_INFIX}", hour, token, token_length=TOKEN_LENGTH)
    return execution_plan(settings, execution_window(settings, scheduled), scheduled=hour,
                          job_name=contract.execution_job_name(prefix, hour, token, token_length=TOKEN_LENGTH),
                          merge_job_name=merge, ground_truth=ground_truth)


def execution_requests(settings: MonitoringSettings, scheduled: datetime, *, token: str,
                       ground_truth: tuple[GroundTruthHour, ...] | list[GroundTruthHour] = ()) -> list[dict[str, Any]]:
    """The ``CreateProcessingJob`` requests of the execution scheduled at ``scheduled``, in the order they run
    (:func:`sagewatch.job.execution_contract.job_requests`): one for data quality, the merge then the analysis
    for model quality (``ground_truth``: the hour folders that hold labels). Start the first; :func:`next_request`
    gives the next one when a job completes."""
    if settings.monitoring_type == "DataQuality":
        return [build_processing_job_request(settings, monitoring_window(scheduled, settings.window_hours),
                                             token=token)]
    requests = contract.job_requests(_chain_plan(settings, scheduled, token, tuple(ground_truth)))
    if _repository(settings.image_uri) != SAGEMAKER_ANALYZER_REPOSITORY:
        requests[0]["AppSpecification"] = {"ImageUri": settings.image_uri,
                                           "ContainerEntrypoint": list(MERGE_ENTRYPOINT)}
    return [_checked(r) for r in requests]


def _repository(image_uri: str) -> str:
    """``sagemaker-model-monitor-analyzer`` of ``<registry>/sagemaker-model-monitor-analyzer[:tag]``."""
    path = image_uri.split("@", 1)[0].split("/", 1)[-1]
    return path.rsplit(":", 1)[0] if ":" in path.rsplit("/", 1)[-1] else path


def next_request(settings: MonitoringSettings, completed_job_name: str) -> dict[str, Any] | None:
    """The request of the job that follows ``completed_job_name`` in its execution's chain, rebuilt from the name
    (``<prefix>[-merge]-<yyyymmddHHMM>-<token>``); ``None`` when it is the last job or not one of ours.

    >>> from datetime import timezone
    >>> s = MonitoringSettings("ep", "mq", ("AllTraffic",), "s3://c/capture", "s3://b/constraints.json", None,
    ...                        "s3://r/mq", "img", "role", monitoring_type="ModelQuality",
    ...                        problem_type="BinaryClassification", ground_truth_s3_uri="s3://g/labels",
    ...                        probability_attribute="0", job_name_prefix="mq")
    >>> first = execution_requests(s, datetime(2024, 5, 1, 11, 0, 9, tzinfo=timezone.utc), token="abc123")[0]
    >>> first["ProcessingJobName"], next_request(s, first["ProcessingJobName"])["ProcessingJobName"]
    ('mq-merge-202405011100-abc123', 'mq-202405011100-abc123')
    >>> next_request(s, "mq-202405011100-abc123") is None, next_request(s, "other-202405011100-abc123") is None
    (True, True)
    """
    found = _JOB_NAME.match(completed_job_name or "")
    if found is None or settings.monitoring_type == "DataQuality":
        return None
    scheduled = datetime.strptime(found.group("time"), "%Y%m%d%H%M").replace(tzinfo=timezone.utc)
    requests = execution_requests(settings, scheduled, token=found.group("token"))
    names = [r["ProcessingJobName"] for r in requests]
    if completed_job_name not in names[:-1]:
        return None
    return requests[names.index(completed_job_name) + 1]


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
