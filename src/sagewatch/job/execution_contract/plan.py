"""The plan of one execution (:class:`ExecutionPlan`), its names and places (contract §9.2, §12), and the pieces
every request builder shares; standard library only."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from sagewatch.job.execution_contract.constants import (BATCH_MONITORING_INPUT_TYPE, DEFAULT_MAX_RUNTIME, ENDPOINT_INPUT_PATH, MAX_JOB_NAME_LENGTH,
                                                        METRICS_OUTPUT_NAME, METRICS_OUTPUT_PATH, OUTPUT_PATH,
                                                        CONSTRAINTS_PATH, POSTPROCESSOR_PATH, PREPROCESSOR_PATH,
                                                        RESULT_OUTPUT_NAME, STATISTICS_PATH)
from sagewatch.job.execution_contract.window import AnalysisWindow, _utc
from sagewatch.schemas.metric_lines import format_metric_time
from sagewatch.schemas.s3_uri import join_s3_uri

__all__ = ["CaptureHour", "GroundTruthHour", "BatchManifestFile", "ExecutionPlan", "execution_job_name", "report_s3_uri"]


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
    """``<MonitoringOutput S3Uri>/<endpoint>/<schedule>/yyyy/mm/dd/hh`` of the scheduled hour (contract §9.2);
    without an endpoint (batch-transform inputs) ``<MonitoringOutput S3Uri>/<schedule>/yyyy/mm/dd/hh`` (§12).

    Examples
    --------
    >>> report_s3_uri("s3://b/reports/", "ep", "s", datetime(2024, 5, 1, 11, 7))
    's3://b/reports/ep/s/2024/05/01/11'
    >>> report_s3_uri("s3://b/reports/", "", "s", datetime(2024, 5, 1, 11, 7))
    's3://b/reports/s/2024/05/01/11'
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
class BatchManifestFile:
    """One capture manifest of a batch transform: ``<DataCapturedDestinationS3Uri>/{input|output}/yyyy/mm/dd/hh/
    <name>`` (contract §1.4). Its files are mounted at ``<local root>/<folder>``.

    Examples
    --------
    >>> utc = timezone.utc
    >>> BatchManifestFile("output", datetime(2024, 5, 1, 10, tzinfo=utc), "s3://b/cap/output/2024/05/01/10/j.jsonl").folder
    'output/2024/05/01/10/j'
    """

    kind: str  # "input" (the transform's input files) or "output" (its .out files)
    hour: datetime
    s3_uri: str

    @property
    def name(self) -> str:
        """The manifest's file name without its extension (``j`` for ``.../j.jsonl``)."""
        base = self.s3_uri.rstrip("/").rsplit("/", 1)[-1]
        return base.rsplit(".", 1)[0] if "." in base.strip(".") else base

    @property
    def folder(self) -> str:
        """``{input|output}/yyyy/mm/dd/hh/<name>``, relative to the local root its files are mounted under."""
        return f"{self.kind}/{self.hour:%Y/%m/%d/%H}/{self.name}"


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
    batch_manifests : tuple of BatchManifestFile
        ``BatchTransformInput``: the capture manifests of the window (contract §1.4); the data of the execution
        are the files they name, mounted as ``ManifestFile`` inputs (:mod:`sagewatch.job.execution_contract.batch`).
    batch_dataset_format : str, optional
        ``BatchTransformInput``: ``dataset_format`` of ``BatchTransformInput.DatasetFormat`` (contract §4.2);
        set for batch executions only (``endpoint_name`` is then empty).
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
    batch_manifests: tuple[BatchManifestFile, ...] = ()
    batch_dataset_format: str | None = None

    @property
    def is_batch(self) -> bool:
        """A ``BatchTransformInput`` execution: the data are the transform's files named by ``batch_manifests``."""
        return self.batch_dataset_format is not None

    @property
    def report_s3_uri(self) -> str:
        # batch inputs: <output>/<schedule>/yyyy/mm/dd/hh, the segment of the endpoint left out (contract §12)
        return report_s3_uri(self.output_s3_uri, "" if self.is_batch else self.endpoint_name, self.schedule_name,
                             self.scheduled)

    @property
    def merge_s3_uri(self) -> str:
        """``<MonitoringOutput S3Uri>/merge``: the merge job's output (contract §2.3)."""
        return join_s3_uri(self.output_s3_uri, "merge")


def _s3_input(name: str, uri: str, local_path: str, mode: str = "File", distribution: str = "FullyReplicated",
              data_type: str = "S3Prefix") -> dict[str, Any]:
    return {"InputName": name, "S3Input": {"S3Uri": uri, "LocalPath": local_path, "S3DataType": data_type,
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
    """The names and the window; a batch execution names no endpoint (its metrics then carry the
    ``MonitoringSchedule`` dimension only and go to the ``ModelMonitoring`` namespaces, contract §4.5, §5) and says
    ``monitoring_input_type`` (a name the analyzer knows, whose default is ``ENDPOINT_INPUT``, contract §4.2)."""
    names = ({"monitoring_input_type": BATCH_MONITORING_INPUT_TYPE} if plan.is_batch
             else {"sagemaker_endpoint_name": plan.endpoint_name})
    return {
        **names,
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
