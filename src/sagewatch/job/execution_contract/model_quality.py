"""Model quality: the ground-truth merge job, then the analysis job (contract §2.3, §6.4)."""

from __future__ import annotations

from typing import Any

from sagewatch.errors import InvalidParameterError
from sagewatch.job.execution_contract.batch import manifest_inputs
from sagewatch.job.execution_contract.constants import (BATCH_INPUT_FOLDER, BATCH_OUTPUT_FOLDER, GROUND_TRUTH_PATH, MERGE_DATASET_FORMAT, MERGE_DATASET_PATH,
                                                        MERGE_REPORT_PATH, MERGE_REPORTS_FOLDER, MERGER_REPOSITORY,
                                                        OUTPUT_PATH, RESULT_OUTPUT_NAME)
from sagewatch.job.execution_contract.plan import (CaptureHour, ExecutionPlan, _basename, _publish_setting,
                                                   _report_outputs, _request, _s3_input, _script_inputs,
                                                   _window_environment)
from sagewatch.schemas.s3_uri import join_s3_uri

__all__ = ["merger_image_uri", "merged_s3_prefix", "merge_report_s3_uri", "ground_truth_merge_request",
           "model_quality_request"]


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
    >>> from datetime import datetime, timezone
    >>> from sagewatch.job.execution_contract.window import AnalysisWindow
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
    if plan.is_batch:  # the .out files (model bias: and the input files, for the features), contract §1.4
        kinds = (BATCH_INPUT_FOLDER, BATCH_OUTPUT_FOLDER) if plan.monitoring_type == "ModelBias" \
            else (BATCH_OUTPUT_FOLDER,)
        inputs += manifest_inputs(plan, MERGE_DATASET_PATH, kinds=kinds)
    else:
        inputs += [_s3_input(f"endpoint_input_{number}", capture.s3_uri,
                             f"{MERGE_DATASET_PATH}/{plan.endpoint_name}/{capture.variant}/{capture.hour:%Y/%m/%d/%H}",
                             plan.input_mode, plan.input_distribution)
                   for number, capture in enumerate(plan.captures, 1)]
    environment = {"dataset_source": MERGE_DATASET_PATH, "ground_truth_source": GROUND_TRUTH_PATH,
                   "output_path": OUTPUT_PATH}
    if plan.batch_dataset_format:  # the merger reads transform files, not capture records (sagewatch's name)
        environment["dataset_format"] = plan.batch_dataset_format
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
    if plan.is_batch:  # one merged file per output manifest: <output>/merge/output/yyyy/mm/dd/hh/<manifest>/
        inputs = [_s3_input(f"endpoint_input_{number}", join_s3_uri(plan.merge_s3_uri, manifest.folder,
                                                                    plan.merge_job_name or ""),
                            f"{local_root}/{manifest.folder}", plan.input_mode, plan.input_distribution)
                  for number, manifest in enumerate(
                      (m for m in plan.batch_manifests if m.kind == BATCH_OUTPUT_FOLDER), 1)]
    else:
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
