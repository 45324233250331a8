"""The execution contract: the processing jobs one monitoring execution runs (contract §2.3, §4.1, §4.2, §9, §12).

:mod:`sagewatch.job.spec` reads a processing job's environment inside the container; this module writes it,
from outside: given an :class:`ExecutionPlan` (what to analyse and where the files are), :func:`job_requests`
returns the ``CreateProcessingJob`` requests of the execution in the order they run, by monitoring type
(:data:`REQUEST_BUILDERS`): one job for data quality and model explainability, a ground-truth merge job followed by
the analysis job for model quality and model bias (contract §2.3, §7). :func:`job_request` is the last one,
whose ARN the execution reports.
The emulator (:mod:`sagewatch.localstack.sagemaker.monitoring.executions`) and the processing-mode Lambda
(:mod:`sagewatch.lambda_support.monitoring`) both build their jobs here, with one window calculation
(:func:`analysis_window`), one job-name rule (:func:`execution_job_name`) and one table of container paths.

Standard library only: the Lambda that starts processing jobs carries no numpy.

Adding a monitor: write its ``<type>_request(plan)`` (and any job that must run before it) and register the chain
in :data:`REQUEST_BUILDERS`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, NamedTuple

from sagewatch.errors import InvalidParameterError
from sagewatch.job.baseline_report_input import (BASELINE_REPORT_INPUT_NAME, BASELINE_REPORT_PATH,
                                                  BASELINE_REPORT_VARIABLE)
from sagewatch.schemas.metric_lines import format_metric_time
from sagewatch.schemas.s3_uri import join_s3_uri

__all__ = [
    "CONTAINER_PATHS", "ENDPOINT_INPUT_PATH", "OUTPUT_PATH", "CONSTRAINTS_PATH", "STATISTICS_PATH", "PREPROCESSOR_PATH",
    "POSTPROCESSOR_PATH", "PLATFORM_METRICS_PATH", "METRICS_OUTPUT_PATH", "CAPTURE_DATASET_FORMAT",
    "RESULT_OUTPUT_NAME", "METRICS_OUTPUT_NAME", "DEFAULT_MAX_RUNTIME", "MAX_JOB_NAME_LENGTH", "WindowError",
    "AnalysisWindow", "CaptureHour", "ExecutionPlan", "floor_hour", "parse_offset", "analysis_window",
    "ground_truth_hours",
    "execution_job_name", "report_s3_uri", "job_request", "job_requests", "REQUEST_BUILDERS",
    "UnsupportedMonitoringType", "GroundTruthHour", "MERGE_DATASET_FORMAT", "MERGE_DATASET_PATH",
    "GROUND_TRUTH_PATH", "MERGE_REPORT_PATH", "MERGE_REPORTS_FOLDER", "MERGE_JOB_PREFIX", "MODEL_QUALITY_JOB_PREFIX",
    "MERGER_REPOSITORY", "merger_image_uri", "merged_s3_prefix", "merge_report_s3_uri", "ground_truth_merge_request",
    "model_quality_request", "data_quality_request", "CLARIFY_CONFIG_PATH", "CLARIFY_CONFIG_FILE",
    "CLARIFY_BASELINE_FILE", "MODEL_BIAS_JOB_PREFIX", "MODEL_EXPLAINABILITY_JOB_PREFIX", "BIAS_DATASET_FORMAT",
    "model_bias_request", "model_explainability_request",
]

# --- the container paths (contract §4.1) ----------------------------------------------------------------------
ENDPOINT_INPUT_PATH = "/opt/ml/processing/input/endpoint"
OUTPUT_PATH = "/opt/ml/processing/output"
CONSTRAINTS_PATH = "/opt/ml/processing/baseline/constraints"
STATISTICS_PATH = "/opt/ml/processing/baseline/stats"
PREPROCESSOR_PATH = "/opt/ml/processing/code/preprocessing"  # the service's own path is UNCONFIRMED (§4.1)
POSTPROCESSOR_PATH = "/opt/ml/processing/code/postprocessing"
PLATFORM_METRICS_PATH = "/opt/ml/output/metrics/cloudwatch"  # what the platform publishes after the job
# where a plain processing job (no platform step publishes metrics) writes them: an extra output (sagewatch's)
METRICS_OUTPUT_PATH = "/opt/ml/processing/cloudwatch_metrics"
# the ground-truth merge and the model-quality analysis (contract §2.3, §6.4: both read /opt/ml/processing/input_data)
MERGE_DATASET_PATH = "/opt/ml/processing/input_data"
GROUND_TRUTH_PATH = "/opt/ml/processing/groundtruth"
# where the analysis job finds the merge job's counts (sagewatch's addition; SageMaker keeps none)
MERGE_REPORT_PATH = "/opt/ml/processing/merge_report"
# a Clarify job's analysis_config.json (contract §7.1)
CLARIFY_CONFIG_PATH = "/opt/ml/processing/input/config"

CONTAINER_PATHS: Mapping[str, str] = {
    "endpoint_input": ENDPOINT_INPUT_PATH,
    "output": OUTPUT_PATH,
    "baseline_constraints": CONSTRAINTS_PATH,
    "baseline_statistics": STATISTICS_PATH,
    "record_preprocessor_script": PREPROCESSOR_PATH,
    "post_analytics_processor_script": POSTPROCESSOR_PATH,
    "platform_metrics": PLATFORM_METRICS_PATH,
    "metrics_output": METRICS_OUTPUT_PATH,
    "merge_dataset": MERGE_DATASET_PATH,
    "ground_truth": GROUND_TRUTH_PATH,
    "merge_report": MERGE_REPORT_PATH,
    "analysis_config": CLARIFY_CONFIG_PATH,
}

# the contract's §4.2 value for endpoint monitoring
CAPTURE_DATASET_FORMAT = '{"sagemakerCaptureJson":{"captureIndexNames":["endpointInput","endpointOutput"]}}'
MERGE_DATASET_FORMAT = '{"sagemakerMergeJson":{"captureIndexNames":["endpointOutput"]}}'  # contract §4.2
RESULT_OUTPUT_NAME = "result"
# job names of a model-quality execution (contract §2.3, CDKN)
MERGE_JOB_PREFIX = "groundtruth-merge"
MODEL_QUALITY_JOB_PREFIX = "model-quality-monitoring"
MERGER_REPOSITORY = "sagemaker-model-monitor-groundtruth-merger"
MERGE_REPORTS_FOLDER = "sagewatch-merge-reports"
METRICS_OUTPUT_NAME = "cloudwatch_metrics"
# Clarify monitoring executions (contract §7.1, §7.6); the job-name prefixes are sagewatch's, by analogy with
# model quality's (the service's are UNCONFIRMED, contract §12)
MODEL_BIAS_JOB_PREFIX = "model-bias-monitoring"
MODEL_EXPLAINABILITY_JOB_PREFIX = "model-explainability-monitoring"
CLARIFY_CONFIG_FILE = "analysis_config.json"
CLARIFY_BASELINE_FILE = "analysis.json"
# bias reads the features (endpointInput), the prediction (endpointOutput) and the merged ground truth
BIAS_DATASET_FORMAT = '{"sagemakerMergeJson":{"captureIndexNames":["endpointInput","endpointOutput"]}}'
DEFAULT_MAX_RUNTIME = 3600
MAX_JOB_NAME_LENGTH = 63


class WindowError(InvalidParameterError):
    """A window offset is malformed or the window is empty; the message says which."""


class UnsupportedMonitoringType(InvalidParameterError):
    """No request builder is registered for the monitoring type."""


# --- the window ---------------------------------------------------------------------------------------------------


class AnalysisWindow(NamedTuple):
    """The window ``[start, end)`` of one execution, in UTC."""

    start: datetime
    end: datetime

    @property
    def hours(self) -> list[datetime]:
        """The UTC hour folders that hold records of the window.

        Examples
        --------
        >>> utc = timezone.utc
        >>> w = AnalysisWindow(datetime(2024, 5, 1, 9, 30, tzinfo=utc), datetime(2024, 5, 1, 11, tzinfo=utc))
        >>> [h.hour for h in w.hours]
        [9, 10]
        """
        hours, hour = [], floor_hour(self.start)
        while hour < self.end:
            hours.append(hour)
            hour += timedelta(hours=1)
        return hours


def ground_truth_hours(window: AnalysisWindow, scheduled: datetime) -> list[datetime]:
    """The ground-truth hour folders a model-quality execution reads: the window's first hour to the scheduled
    hour. The folders are named after the hour labels were collected, not the hour of the inference (contract
    §2.2), so labels uploaded after the window, before the execution runs, are merged too.

    Examples
    --------
    >>> t = datetime(2024, 5, 1, 11, 5, tzinfo=timezone.utc)
    >>> [h.hour for h in ground_truth_hours(AnalysisWindow(t - timedelta(hours=2), t - timedelta(hours=1)), t)]
    [9, 10, 11]
    """
    hours, hour, last = [], floor_hour(window.start), floor_hour(max(_utc(scheduled), window.end))
    while hour <= last:
        hours.append(hour)
        hour += timedelta(hours=1)
    return hours


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def floor_hour(moment: datetime) -> datetime:
    """The UTC hour that holds *moment* (a naive time is taken as UTC)."""
    return _utc(moment).replace(minute=0, second=0, microsecond=0)


_OFFSET = re.compile(r"^-P(?:(?P<w>\d+)W)?(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+)S)?)?$")


def parse_offset(text: str, field: str) -> timedelta:
    """Parse a window offset: a negative ISO-8601 duration (``-PT1H``, ``-P1D``, ``-PT30M``, ``-P1DT2H``).

    Raises
    ------
    WindowError
        If *text* is not of the form ``-P[nW][nD][T[nH][nM][nS]]``.

    Examples
    --------
    >>> parse_offset("-PT1H", "DataAnalysisStartTime"), parse_offset("-PT0H", "DataAnalysisEndTime")
    (datetime.timedelta(days=-1, seconds=82800), datetime.timedelta(0))
    """
    match = _OFFSET.match((text or "").strip())
    if match is None or not any(match.groupdict().values()) or (text.strip().endswith("T")):
        raise WindowError(f"Invalid {field} {text!r}: it must be a negative ISO-8601 duration such as -PT1H, "
                          "-P1D or -PT30M.")
    parts = {key: int(value or 0) for key, value in match.groupdict().items()}
    return -timedelta(weeks=parts["w"], days=parts["d"], hours=parts["h"], minutes=parts["m"], seconds=parts["s"])


def analysis_window(scheduled: datetime, start_offset: str | None = None, end_offset: str | None = None, *,
                    default_hours: int | None) -> AnalysisWindow:
    """The window an execution at *scheduled* analyses (contract §9.3).

    Offsets (``DataAnalysisStartTime``/``EndTime``, or the input's ``StartTimeOffset``/``EndTimeOffset``)
    replace the default window of the *default_hours* before *scheduled*; a missing end offset means ``-PT0H``.
    ``default_hours=None`` (a one-time ``NOW`` schedule) requires offsets.

    Raises
    ------
    WindowError
        If an offset is malformed or missing, or the start is not before the end.

    Examples
    --------
    >>> t = datetime(2024, 5, 1, 11, tzinfo=timezone.utc)
    >>> [w.hour for w in analysis_window(t, default_hours=1)]
    [10, 11]
    >>> [w.isoformat() for w in analysis_window(t, "-P1D", "-PT1H", default_hours=None)]
    ['2024-04-30T11:00:00+00:00', '2024-05-01T10:00:00+00:00']
    """
    scheduled = _utc(scheduled)
    if start_offset is None and end_offset is None:
        if default_hours is None:
            raise WindowError("A NOW schedule needs DataAnalysisStartTime and DataAnalysisEndTime.")
        if default_hours < 1:
            raise WindowError(f"the default window must be at least one hour, not {default_hours}")
        return AnalysisWindow(scheduled - timedelta(hours=default_hours), scheduled)
    if start_offset is None:
        raise WindowError("DataAnalysisStartTime (or StartTimeOffset) is required when an end offset is given.")
    start = scheduled + parse_offset(start_offset, "DataAnalysisStartTime")
    end = scheduled + parse_offset(end_offset, "DataAnalysisEndTime") if end_offset else scheduled
    if start >= end:
        raise WindowError(f"The analysis window is empty: the start offset {start_offset} must come before the end "
                          f"offset {end_offset or '-PT0H'}.")
    return AnalysisWindow(start, end)


# --- names and places -----------------------------------------------------------------------------------------------


def execution_job_name(prefix: str, scheduled: datetime, token: str, *, token_length: int = 24) -> str:
    """``<prefix>-<yyyymmddHHMM of the scheduled time>-<token>``, at most 63 characters (contract §12).

    The token keeps its first *token_length* letters and digits; the prefix is cut to fit.

    Examples
    --------
    >>> execution_job_name("model-monitoring", datetime(2024, 5, 1, 11), "0123456789abcdef0123456789")
    'model-monitoring-202405011100-0123456789abcdef01234567'
    >>> len(execution_job_name("p" * 80, datetime(2024, 5, 1, 11), "ab-cd", token_length=16))
    63
    """
    suffix = f"-{_utc(scheduled):%Y%m%d%H%M}-{re.sub(r'[^a-zA-Z0-9]', '', token)[:token_length]}"
    return prefix[: MAX_JOB_NAME_LENGTH - len(suffix)].rstrip("-") + suffix


def report_s3_uri(output_s3_uri: str, endpoint_name: str, schedule_name: str, scheduled: datetime) -> str:
    """``<MonitoringOutput S3Uri>/<endpoint>/<schedule>/yyyy/mm/dd/hh`` of the scheduled hour (contract §9.2).

    Examples
    --------
    >>> report_s3_uri("s3://b/reports/", "ep", "s", datetime(2024, 5, 1, 11, 7))
    's3://b/reports/ep/s/2024/05/01/11'
    """
    return join_s3_uri(output_s3_uri, endpoint_name, schedule_name, f"{_utc(scheduled):%Y/%m/%d/%H}")


# --- the plan and the request -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaptureHour:
    """One captured hour folder: ``s3://<destination>/<endpoint>/<variant>/yyyy/mm/dd/hh``."""

    variant: str
    hour: datetime
    s3_uri: str


@dataclass(frozen=True)
class GroundTruthHour:
    """One ground-truth hour folder: ``<GroundTruthS3Input.S3Uri>/yyyy/mm/dd/hh`` (contract §2.2)."""

    hour: datetime
    s3_uri: str


@dataclass(frozen=True)
class ExecutionPlan:
    """Everything a monitoring execution's processing job is built from.

    Attributes
    ----------
    monitoring_type : str
        ``DataQuality`` or ``ModelQuality`` (the builders registered in :data:`REQUEST_BUILDERS`).
    job_name, endpoint_name, schedule_name : str
        ``job_name`` is the analysis job's (the last job of the execution).
    scheduled : datetime
        The execution's scheduled time; its hour names the report folder.
    window : AnalysisWindow
    captures : tuple of CaptureHour
        One input each, mounted at ``<input_local_path>/<endpoint>/<variant>/yyyy/mm/dd/hh``.
    output_s3_uri : str
        The MonitoringOutput ``S3Uri``; the report goes to :func:`report_s3_uri` below it.
    app_specification, cluster_config, role_arn
        As in the job definition.
    environment : mapping
        The job definition's own environment; the contract's variables are added to it.
    baseline_constraints_uri, baseline_statistics_uri, preprocessor_uri, postprocessor_uri : str, optional
        Mounted under the paths of :data:`CONTAINER_PATHS`, named in the environment.
    metrics_output : bool
        Add the ``cloudwatch_metrics`` output (``METRICS_OUTPUT_PATH``, next to the report) and point
        ``CLOUDWATCH_METRICS_DIRECTORY`` at it, for a plain processing job whose metrics nobody else publishes.
    publish_cloudwatch_metrics : bool, optional
        ``None`` keeps the definition's environment value, else ``Enabled``.
    merge_job_name : str, optional
        Model quality: the ground-truth merge job's name (``groundtruth-merge-…``).
    ground_truth : tuple of GroundTruthHour
        Model quality: the ground-truth hour folders the merge job reads, mounted at
        ``/opt/ml/processing/groundtruth/yyyy/mm/dd/hh``.
    ground_truth_s3_uri : str, optional
        Model quality: ``GroundTruthS3Input.S3Uri`` (named in the merge job's failure messages).
    problem_type, inference_attribute, probability_attribute, probability_threshold_attribute : optional
        Model quality: ``ModelQualityAppSpecification.ProblemType`` and the ``EndpointInput`` attributes (model
        bias and explainability pass the attributes too).
    features_attribute : str, optional
        Model bias and explainability: ``EndpointInput.FeaturesAttribute``.
    config_uri : str, optional
        Model bias and explainability: ``<T>AppSpecification.ConfigUri``, Clarify's ``analysis_config.json``.
    """

    monitoring_type: str
    job_name: str
    endpoint_name: str
    schedule_name: str
    scheduled: datetime
    window: AnalysisWindow
    captures: tuple[CaptureHour, ...]
    output_s3_uri: str
    app_specification: Mapping[str, Any]
    cluster_config: Mapping[str, Any]
    role_arn: str
    environment: Mapping[str, str] = field(default_factory=dict)
    input_local_path: str = ENDPOINT_INPUT_PATH
    input_mode: str = "File"
    input_distribution: str = "FullyReplicated"
    output_local_path: str = OUTPUT_PATH
    upload_mode: str = "Continuous"
    stopping_condition: Mapping[str, Any] | None = None
    kms_key_id: str | None = None
    network_config: Mapping[str, Any] | None = None
    capture_destination_uri: str | None = None
    baseline_constraints_uri: str | None = None
    baseline_statistics_uri: str | None = None
    baseline_report_uri: str | None = None  # data quality: the baseline's sagewatch_report.json (baseline_report_input)
    preprocessor_uri: str | None = None
    postprocessor_uri: str | None = None
    publish_cloudwatch_metrics: bool | None = None
    metrics_output: bool = False
    merge_job_name: str | None = None
    ground_truth: tuple[GroundTruthHour, ...] = ()
    ground_truth_s3_uri: str | None = None
    problem_type: str | None = None
    inference_attribute: str | None = None
    probability_attribute: str | None = None
    probability_threshold_attribute: float | str | None = None
    features_attribute: str | None = None
    config_uri: str | None = None

    @property
    def report_s3_uri(self) -> str:
        return report_s3_uri(self.output_s3_uri, self.endpoint_name, self.schedule_name, self.scheduled)

    @property
    def merge_s3_uri(self) -> str:
        """``<MonitoringOutput S3Uri>/merge``: the merge job's output (contract §2.3)."""
        return join_s3_uri(self.output_s3_uri, "merge")


def _s3_input(name: str, uri: str, local_path: str, mode: str = "File",
              distribution: str = "FullyReplicated") -> dict[str, Any]:
    return {"InputName": name, "S3Input": {"S3Uri": uri, "LocalPath": local_path, "S3DataType": "S3Prefix",
                                           "S3InputMode": mode, "S3DataDistributionType": distribution,
                                           "S3CompressionType": "None"}}


def _basename(uri: str) -> str:
    return uri.rstrip("/").rsplit("/", 1)[-1]


def _copy(value: Any) -> Any:
    return json.loads(json.dumps(value))


def _publish_setting(plan: ExecutionPlan, environment: dict[str, str]) -> None:
    if plan.publish_cloudwatch_metrics is not None:
        environment["publish_cloudwatch_metrics"] = "Enabled" if plan.publish_cloudwatch_metrics else "Disabled"
    environment.setdefault("publish_cloudwatch_metrics", "Enabled")


def _window_environment(plan: ExecutionPlan) -> dict[str, str]:
    return {
        "sagemaker_endpoint_name": plan.endpoint_name,
        "sagemaker_monitoring_schedule_name": plan.schedule_name,
        "start_time": format_metric_time(plan.window.start),
        "end_time": format_metric_time(plan.window.end),
        "metric_time": format_metric_time(plan.window.start),
    }


def _script_inputs(plan: ExecutionPlan, environment: dict[str, str], *, statistics: bool) -> list[dict[str, Any]]:
    scripts = ((plan.baseline_constraints_uri, "constraints", CONSTRAINTS_PATH, "baseline_constraints"),
               (plan.baseline_statistics_uri if statistics else None, "baseline", STATISTICS_PATH,
                "baseline_statistics"),
               (plan.preprocessor_uri, "pre_processor_script", PREPROCESSOR_PATH, "record_preprocessor_script"),
               (plan.postprocessor_uri, "post_processor_script", POSTPROCESSOR_PATH, "post_analytics_processor_script"))
    inputs = []
    for uri, input_name, local_path, variable in scripts:
        if uri:
            inputs.append(_s3_input(input_name, uri, local_path))
            environment[variable] = f"{local_path}/{_basename(uri)}"
    return inputs


def _report_outputs(plan: ExecutionPlan, environment: dict[str, str]) -> list[dict[str, Any]]:
    report = plan.report_s3_uri
    outputs: list[dict[str, Any]] = [{"OutputName": RESULT_OUTPUT_NAME, "S3Output": {
        "S3Uri": report, "LocalPath": plan.output_local_path, "S3UploadMode": plan.upload_mode}}]
    if plan.metrics_output:
        outputs.append({"OutputName": METRICS_OUTPUT_NAME, "S3Output": {
            "S3Uri": f"{report}/{METRICS_OUTPUT_NAME}", "LocalPath": METRICS_OUTPUT_PATH,
            "S3UploadMode": plan.upload_mode}})
        environment["CLOUDWATCH_METRICS_DIRECTORY"] = METRICS_OUTPUT_PATH
    return outputs


def _request(plan: ExecutionPlan, job_name: str, inputs: list[dict[str, Any]], outputs: list[dict[str, Any]],
             environment: dict[str, str], app_specification: Mapping[str, Any]) -> dict[str, Any]:
    output_config: dict[str, Any] = {"Outputs": outputs}
    if plan.kms_key_id:
        output_config["KmsKeyId"] = plan.kms_key_id
    request: dict[str, Any] = {
        "ProcessingJobName": job_name,
        "ProcessingInputs": inputs,
        "ProcessingOutputConfig": output_config,
        "ProcessingResources": {"ClusterConfig": _copy(plan.cluster_config)},
        "StoppingCondition": _copy(plan.stopping_condition or {"MaxRuntimeInSeconds": DEFAULT_MAX_RUNTIME}),
        "AppSpecification": {key: _copy(value) for key, value in app_specification.items()
                             if key in ("ImageUri", "ContainerEntrypoint", "ContainerArguments")},
        "Environment": environment,
        "RoleArn": plan.role_arn,
    }
    if plan.network_config:
        request["NetworkConfig"] = _copy(plan.network_config)
    return request


def data_quality_request(plan: ExecutionPlan) -> dict[str, Any]:
    """The ``CreateProcessingJob`` request of a data-quality execution (see the module docstring)."""
    local_root = plan.input_local_path.rstrip("/")
    inputs = [_s3_input(f"endpoint_input_{number}", capture.s3_uri,
                        f"{local_root}/{plan.endpoint_name}/{capture.variant}/{capture.hour:%Y/%m/%d/%H}",
                        plan.input_mode, plan.input_distribution)
              for number, capture in enumerate(plan.captures, 1)]
    environment = dict(plan.environment)
    _publish_setting(plan, environment)
    environment.update({
        "dataset_format": CAPTURE_DATASET_FORMAT,
        "dataset_source": local_root,
        "output_path": plan.output_local_path,
        **_window_environment(plan),
    })
    if plan.capture_destination_uri:
        environment["sagemaker_endpoint_datacapture_prefix"] = plan.capture_destination_uri
    inputs += _script_inputs(plan, environment, statistics=True)
    if plan.baseline_report_uri:  # sagewatch's: the baseline's row sample, for the multivariate MMD test
        inputs.append(_s3_input(BASELINE_REPORT_INPUT_NAME, plan.baseline_report_uri, BASELINE_REPORT_PATH))
        environment[BASELINE_REPORT_VARIABLE] = f"{BASELINE_REPORT_PATH}/{_basename(plan.baseline_report_uri)}"
    outputs = _report_outputs(plan, environment)
    return _request(plan, plan.job_name, inputs, outputs, environment, plan.app_specification)


# --- model quality: the ground-truth merge, then the analysis (contract §2.3, §6.4) -----------------------------


def merger_image_uri(analyzer_image_uri: str) -> str:
    """The ground-truth merger image next to an analyzer image: same registry, repository
    ``sagemaker-model-monitor-groundtruth-merger`` (contract §2.3), no tag.

    Examples
    --------
    >>> merger_image_uri("156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer:latest")
    '156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-groundtruth-merger'
    >>> merger_image_uri("sagewatch-analyzer")
    'sagemaker-model-monitor-groundtruth-merger'
    """
    reference = analyzer_image_uri.strip().split("@", 1)[0]
    registry = reference.rsplit("/", 1)[0] if "/" in reference else ""
    return f"{registry}/{MERGER_REPOSITORY}" if registry else MERGER_REPOSITORY


def merged_s3_prefix(plan: ExecutionPlan, capture: CaptureHour) -> str:
    """Where the merge job writes the merged records of one captured hour:
    ``<output>/merge/<endpoint>/<variant>/yyyy/mm/dd/hh/<merge job name>`` (the file ``<merge job name>.jsonl``;
    the job name keeps the merges of different executions of the same hour apart).

    Examples
    --------
    >>> utc = timezone.utc
    >>> plan = ExecutionPlan("ModelQuality", "model-quality-monitoring-1", "ep", "s", datetime(2024, 5, 1, 11),
    ...                      AnalysisWindow(datetime(2024, 5, 1, 10), datetime(2024, 5, 1, 11)), (), "s3://b/out",
    ...                      {}, {}, "r", merge_job_name="groundtruth-merge-1")
    >>> merged_s3_prefix(plan, CaptureHour("AllTraffic", datetime(2024, 5, 1, 10, tzinfo=utc), "s3://c"))
    's3://b/out/merge/ep/AllTraffic/2024/05/01/10/groundtruth-merge-1'
    """
    return join_s3_uri(plan.merge_s3_uri, plan.endpoint_name, capture.variant, f"{capture.hour:%Y/%m/%d/%H}",
                       plan.merge_job_name or "")


def merge_report_s3_uri(plan: ExecutionPlan) -> str:
    """``<output>/merge/sagewatch-merge-reports/<merge job name>.json``: the merge job's counts (sagewatch's)."""
    return join_s3_uri(plan.merge_s3_uri, MERGE_REPORTS_FOLDER, f"{plan.merge_job_name}.json")


def _require_merge(plan: ExecutionPlan) -> str:
    if not plan.merge_job_name:
        raise InvalidParameterError(f"a {plan.monitoring_type} execution plan needs merge_job_name (the ground-truth "
                                    "merge job)")
    return plan.merge_job_name


def ground_truth_merge_request(plan: ExecutionPlan) -> dict[str, Any]:
    """The ``CreateProcessingJob`` request of the ground-truth merge job of a model-quality execution.

    As SageMaker's (contract §2.3): inputs ``groundtruth_input_<n>`` (one per ground-truth hour, at
    ``/opt/ml/processing/groundtruth/yyyy/mm/dd/hh``) and ``endpoint_input_<n>`` (one per captured hour, at
    ``/opt/ml/processing/input_data/<endpoint>/<variant>/yyyy/mm/dd/hh``), the environment ``dataset_source``,
    ``ground_truth_source``, ``output_path``, and the output ``result`` = ``<MonitoringOutput S3Uri>/merge``
    (``EndOfJob``), run by the merger image of the analyzer's registry (:func:`merger_image_uri`).
    """
    name = _require_merge(plan)
    inputs = [_s3_input(f"groundtruth_input_{number}", truth.s3_uri, f"{GROUND_TRUTH_PATH}/{truth.hour:%Y/%m/%d/%H}")
              for number, truth in enumerate(plan.ground_truth, 1)]
    inputs += [_s3_input(f"endpoint_input_{number}", capture.s3_uri,
                         f"{MERGE_DATASET_PATH}/{plan.endpoint_name}/{capture.variant}/{capture.hour:%Y/%m/%d/%H}",
                         plan.input_mode, plan.input_distribution)
               for number, capture in enumerate(plan.captures, 1)]
    environment = {"dataset_source": MERGE_DATASET_PATH, "ground_truth_source": GROUND_TRUTH_PATH,
                   "output_path": OUTPUT_PATH}
    if plan.ground_truth_s3_uri:  # sagewatch's: lets the merger name the S3 location in its messages
        environment["sagewatch_ground_truth_s3_uri"] = plan.ground_truth_s3_uri
    outputs = [{"OutputName": RESULT_OUTPUT_NAME, "S3Output": {
        "S3Uri": plan.merge_s3_uri, "LocalPath": OUTPUT_PATH, "S3UploadMode": "EndOfJob"}}]
    app = {"ImageUri": merger_image_uri(str(plan.app_specification.get("ImageUri") or ""))}
    return _request(plan, name, inputs, outputs, environment, app)


def model_quality_request(plan: ExecutionPlan) -> dict[str, Any]:
    """The ``CreateProcessingJob`` request of the analysis job of a model-quality execution (contract §4.2, §6.4).

    It reads what :func:`ground_truth_merge_request` wrote: one input per captured hour, from
    :func:`merged_s3_prefix` to ``/opt/ml/processing/input_data/<endpoint>/<variant>/yyyy/mm/dd/hh``, with
    ``dataset_format`` ``sagemakerMergeJson``; the baseline constraints at ``/opt/ml/processing/baseline/constraints``;
    the problem type and attributes of the job definition; and the merge job's counts
    (``sagewatch_merge_report``, shown in ``sagewatch_report.json``).
    """
    _require_merge(plan)
    if not plan.problem_type:
        raise InvalidParameterError("a ModelQuality execution plan needs problem_type "
                                    "(ModelQualityAppSpecification.ProblemType)")
    inputs = _merged_inputs(plan, MERGE_DATASET_PATH)
    report = merge_report_s3_uri(plan)
    environment = dict(plan.environment)
    _publish_setting(plan, environment)
    environment.update({
        "analysis_type": "MODEL_QUALITY",
        "problem_type": plan.problem_type,
        "dataset_format": MERGE_DATASET_FORMAT,
        "dataset_source": MERGE_DATASET_PATH,
        "output_path": plan.output_local_path,
        **_window_environment(plan),
        "sagewatch_merge_report": f"{MERGE_REPORT_PATH}/{_basename(report)}",
    })
    _attribute_environment(plan, environment)
    inputs += _script_inputs(plan, environment, statistics=False)
    outputs = _report_outputs(plan, environment)
    return _request(plan, plan.job_name, inputs, outputs, environment, plan.app_specification)


def _merged_inputs(plan: ExecutionPlan, local_root: str) -> list[dict[str, Any]]:
    """One ``endpoint_input_<n>`` per captured hour, read from the merge job's output (:func:`merged_s3_prefix`)
    into ``<local_root>/<endpoint>/<variant>/yyyy/mm/dd/hh``, then the merge job's counts (``merge_report``)."""
    inputs = [_s3_input(f"endpoint_input_{number}", merged_s3_prefix(plan, capture),
                        f"{local_root}/{plan.endpoint_name}/{capture.variant}/{capture.hour:%Y/%m/%d/%H}",
                        plan.input_mode, plan.input_distribution)
              for number, capture in enumerate(plan.captures, 1)]
    inputs.append(_s3_input("merge_report", merge_report_s3_uri(plan), MERGE_REPORT_PATH))
    return inputs


def _attribute_environment(plan: ExecutionPlan, environment: dict[str, str]) -> None:
    """The ``EndpointInput`` attributes that are set, as the environment's text."""
    attributes = (("features_attribute", plan.features_attribute),
                  ("inference_attribute", plan.inference_attribute),
                  ("probability_attribute", plan.probability_attribute),
                  ("probability_threshold_attribute", plan.probability_threshold_attribute))
    for variable, value in attributes:
        if value is not None and str(value) != "":
            environment[variable] = str(value)


# --- Clarify: model bias (after the ground-truth merge) and model explainability (contract §7.1, §7.6) ---------


def _clarify_request(plan: ExecutionPlan, analysis_type: str, inputs: list[dict[str, Any]], dataset_format: str,
                     extra: Mapping[str, str] | None = None) -> dict[str, Any]:
    if not plan.config_uri:
        raise InvalidParameterError(f"a {plan.monitoring_type} execution plan needs config_uri "
                                    f"({plan.monitoring_type}AppSpecification.ConfigUri, the analysis_config.json)")
    config_file = _basename(plan.config_uri) if plan.config_uri.endswith(".json") else CLARIFY_CONFIG_FILE
    data_root = plan.input_local_path.rstrip("/")
    inputs = [_s3_input("analysis_config", plan.config_uri, CLARIFY_CONFIG_PATH), *inputs]
    environment = dict(plan.environment)
    _publish_setting(plan, environment)
    environment.update({
        "analysis_type": analysis_type,
        "analysis_config": f"{CLARIFY_CONFIG_PATH}/{config_file}",
        "dataset_format": dataset_format,
        "dataset_source": data_root,
        "output_path": plan.output_local_path,
        **_window_environment(plan),
        # the names of the Clarify contract, next to the analyzer's sagemaker_* names
        "endpoint_name": plan.endpoint_name,
        "monitoring_schedule_name": plan.schedule_name,
        **(extra or {}),
    })
    if plan.baseline_constraints_uri:
        inputs.append(_s3_input("baseline", plan.baseline_constraints_uri, CONSTRAINTS_PATH))
        environment["baseline_constraints"] = f"{CONSTRAINTS_PATH}/{_basename(plan.baseline_constraints_uri)}"
    _attribute_environment(plan, environment)
    outputs = _report_outputs(plan, environment)
    return _request(plan, plan.job_name, inputs, outputs, environment, plan.app_specification)


def model_bias_request(plan: ExecutionPlan) -> dict[str, Any]:
    """The ``CreateProcessingJob`` request of the Clarify job of a model-bias execution (contract §7.1, §7.6).

    It runs after :func:`ground_truth_merge_request` and reads what the merge wrote, one input per captured hour
    (:func:`merged_s3_prefix`) at ``<EndpointInput LocalPath>/<endpoint>/<variant>/yyyy/mm/dd/hh`` with
    ``dataset_format`` ``sagemakerMergeJson`` (``endpointInput`` and ``endpointOutput``: features, prediction and
    ground truth); ``analysis_config`` = ``ConfigUri`` at ``/opt/ml/processing/input/config``; ``baseline`` = the
    baseline ``analysis.json`` at ``/opt/ml/processing/baseline/constraints``; the ``EndpointInput`` attributes;
    the job definition's ``ImageUri`` (the Clarify image).
    """
    _require_merge(plan)
    report = merge_report_s3_uri(plan)
    return _clarify_request(plan, "MODEL_BIAS", _merged_inputs(plan, plan.input_local_path.rstrip("/")),
                            BIAS_DATASET_FORMAT,
                            {"sagewatch_merge_report": f"{MERGE_REPORT_PATH}/{_basename(report)}"})


def model_explainability_request(plan: ExecutionPlan) -> dict[str, Any]:
    """The ``CreateProcessingJob`` request of the Clarify job of a model-explainability execution (contract §7.1,
    §7.6): the captured hours of the window as data quality mounts them (``sagemakerCaptureJson``), the
    ``analysis_config`` and ``baseline`` inputs and the environment of :func:`model_bias_request`."""
    local_root = plan.input_local_path.rstrip("/")
    inputs = [_s3_input(f"endpoint_input_{number}", capture.s3_uri,
                        f"{local_root}/{plan.endpoint_name}/{capture.variant}/{capture.hour:%Y/%m/%d/%H}",
                        plan.input_mode, plan.input_distribution)
              for number, capture in enumerate(plan.captures, 1)]
    return _clarify_request(plan, "MODEL_EXPLAINABILITY", inputs, CAPTURE_DATASET_FORMAT)


# monitoring type -> the requests of its jobs, in the order they run (the last one is the execution's job);
# one line per monitor
REQUEST_BUILDERS: dict[str, tuple[Callable[[ExecutionPlan], dict[str, Any]], ...]] = {
    "DataQuality": (data_quality_request,),
    "ModelQuality": (ground_truth_merge_request, model_quality_request),
    "ModelBias": (ground_truth_merge_request, model_bias_request),
    "ModelExplainability": (model_explainability_request,),
}


def job_requests(plan: ExecutionPlan) -> list[dict[str, Any]]:
    """The ``CreateProcessingJob`` requests of *plan*, in the order its jobs run, built by its monitoring type's
    builders; each job starts when the one before it completed.

    Raises
    ------
    UnsupportedMonitoringType
        If no builder is registered for ``plan.monitoring_type``.
    """
    builders = REQUEST_BUILDERS.get(plan.monitoring_type)
    if builders is None:
        raise UnsupportedMonitoringType(
            f"{plan.monitoring_type} monitoring executions are not supported yet; only "
            f"{', '.join(REQUEST_BUILDERS)} executions run.")
    return [builder(plan) for builder in builders]


def job_request(plan: ExecutionPlan) -> dict[str, Any]:
    """The request of *plan*'s analysis job: the last of :func:`job_requests` (the one the execution reports).

    Raises
    ------
    UnsupportedMonitoringType
        If no builder is registered for ``plan.monitoring_type``.
    """
    return job_requests(plan)[-1]
