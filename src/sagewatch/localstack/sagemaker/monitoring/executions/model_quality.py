"""Model-quality executions: a ground-truth merge job, then the analysis job (contract §2.3, §4.2, §6.4, §9).

- the window is found as for data quality (:mod:`.data_quality`), and so are the captured hour folders of the
  window; none at all fails the execution (``Job inputs had no data: ...``) without starting a job;
- the ground truth is read from ``GroundTruthS3Input.S3Uri/yyyy/mm/dd/hh/``, the hour folders from the window's
  first hour up to the hour of the execution's scheduled time: the folders are named after the time labels were
  collected, not the time of the inference (contract §2.2), so labels uploaded after the window, before the
  execution runs, are merged too (sagewatch's reading; delay the window with ``StartTimeOffset``/``EndTimeOffset``
  when labels take longer). Only folders that hold objects become inputs;
- the jobs are ``groundtruth-merge-<yyyymmddHHMM>-<hex>`` and ``model-quality-monitoring-<yyyymmddHHMM>-<hex>``
  (same hex), their requests the execution contract's
  (:func:`sagewatch.job.execution_contract.ground_truth_merge_request`, :func:`~sagewatch.job.execution_contract.
  model_quality_request`); ``ProblemType`` comes from ``ModelQualityAppSpecification``, the inference, probability
  and threshold attributes from ``ModelQualityJobInput.EndpointInput``.

A merge with nothing to merge (no ground truth, or no capture matched a label) fails, and the execution with it.
A ``BatchTransformInput`` merges the transform's ``.out`` files instead of captured hours: the output manifests of
the window (:mod:`.batch`) are the merge job's ``ManifestFile`` inputs, and every output record is joined to its
label by the inference id ``GenerateInferenceId`` gave it (:mod:`sagewatch.job.merge`).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sagewatch.job.execution_contract import (BATCH_OUTPUT_FOLDER, MERGE_JOB_PREFIX, MODEL_QUALITY_JOB_PREFIX, AnalysisWindow,
                                              CaptureHour, ExecutionPlan, GroundTruthHour, execution_job_name,
                                              ground_truth_hours)
from sagewatch.localstack.sagemaker.monitoring.executions.base import ExecutionFailure, ExecutionRun
from sagewatch.localstack.sagemaker.monitoring.executions.batch import batch_plan_fields, manifests_in_window
from sagewatch.localstack.sagemaker.monitoring.executions.data_quality import captures_in_window
from sagewatch.localstack.sagemaker.monitoring.jobdefs import ExecutionDefinition
from sagewatch.localstack.sagemaker.processing.aws import AwsAccess
from sagewatch.schemas.s3_uri import join_s3_uri, split_s3_uri

__all__ = ["ground_truth_hours", "find_ground_truth", "model_quality_plan", "plan_execution"]


def find_ground_truth(aws: AwsAccess, ground_truth_uri: str, hours: list[datetime]) -> list[GroundTruthHour]:
    """The hour folders of *hours* under *ground_truth_uri* that hold objects."""
    bucket, prefix = split_s3_uri(ground_truth_uri)
    found = []
    for hour in hours:
        key = join_s3_uri(prefix, f"{hour:%Y/%m/%d/%H}")
        if aws.any_object(bucket, key + "/"):
            found.append(GroundTruthHour(hour, f"s3://{bucket}/{key}"))
    return found


def model_quality_plan(*, token: str, schedule_name: str, definition: ExecutionDefinition, scheduled: datetime,
                       window: tuple[datetime, datetime], captures: list[CaptureHour],
                       ground_truth: list[GroundTruthHour], constraints_uri: str | None = None) -> ExecutionPlan:
    """The :class:`~sagewatch.job.execution_contract.ExecutionPlan` of a model-quality execution of *definition*."""
    endpoint_input = definition.endpoint_input or definition.job_input.get("BatchTransformInput") or {}
    s3_output = definition.s3_output
    app = definition.app_specification
    return ExecutionPlan(
        monitoring_type=definition.monitoring_type,
        job_name=execution_job_name(MODEL_QUALITY_JOB_PREFIX, scheduled, token),
        merge_job_name=execution_job_name(MERGE_JOB_PREFIX, scheduled, token),
        endpoint_name=definition.endpoint_name or "", schedule_name=schedule_name, scheduled=scheduled,
        window=AnalysisWindow(*window), captures=tuple(captures), ground_truth=tuple(ground_truth),
        ground_truth_s3_uri=(definition.job_input.get("GroundTruthS3Input") or {}).get("S3Uri"),
        output_s3_uri=s3_output["S3Uri"], app_specification=app, cluster_config=definition.cluster_config,
        role_arn=definition.role_arn, environment=definition.environment,
        input_mode=endpoint_input.get("S3InputMode", "File"),
        input_distribution=endpoint_input.get("S3DataDistributionType", "FullyReplicated"),
        output_local_path=s3_output["LocalPath"], upload_mode=s3_output.get("S3UploadMode", "Continuous"),
        stopping_condition=definition.stopping_condition, kms_key_id=definition.output_config.get("KmsKeyId"),
        network_config=definition.network_config, baseline_constraints_uri=constraints_uri,
        preprocessor_uri=app.get("RecordPreprocessorSourceUri"),
        postprocessor_uri=app.get("PostAnalyticsProcessorSourceUri"),
        problem_type=app.get("ProblemType") or definition.environment.get("problem_type"),
        inference_attribute=endpoint_input.get("InferenceAttribute"),
        probability_attribute=endpoint_input.get("ProbabilityAttribute"),
        probability_threshold_attribute=endpoint_input.get("ProbabilityThresholdAttribute"))


def plan_execution(run: ExecutionRun) -> ExecutionPlan:
    """The plan of one model-quality execution, or :class:`ExecutionFailure` (no captures, no problem type, no
    ground-truth location, no output manifests)."""
    definition = run.definition
    problem_type = definition.app_specification.get("ProblemType") or definition.environment.get("problem_type")
    if not problem_type:
        raise ExecutionFailure("The ModelQuality job definition has no ModelQualityAppSpecification.ProblemType "
                               "(BinaryClassification, MulticlassClassification or Regression).")
    ground_truth_uri = (definition.job_input.get("GroundTruthS3Input") or {}).get("S3Uri")
    if not ground_truth_uri:
        raise ExecutionFailure("The ModelQuality job definition has no ModelQualityJobInput.GroundTruthS3Input.")
    why = ", so there is nothing to merge with ground truth"
    if definition.endpoint_input is None:  # BatchTransformInput: the transform's .out files (contract §1.4)
        window, manifests = manifests_in_window(run, kinds=(BATCH_OUTPUT_FOLDER,), why=why)
        captures, batch = [], batch_plan_fields(run, manifests)
    else:
        (window, _, captures), batch = captures_in_window(run, why=why), {}
    ground_truth = find_ground_truth(run.aws, ground_truth_uri, ground_truth_hours(window, run.scheduled))
    constraints, _ = run.baseline()
    plan = model_quality_plan(token=run.token, schedule_name=run.schedule_name, definition=definition,
                              scheduled=run.scheduled, window=window, captures=captures, ground_truth=ground_truth,
                              constraints_uri=constraints)
    return replace(plan, **batch) if batch else plan
