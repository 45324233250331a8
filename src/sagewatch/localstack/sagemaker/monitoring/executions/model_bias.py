"""Model-bias executions: the ground-truth merge job, then the Clarify job (contract §2.3, §7.1, §7.6, §9).

As model quality's (:mod:`.model_quality`): the window and the captured hours of the window (none at all fails
the execution, ``Job inputs had no data: ...``, without starting a job), the ground-truth hour folders from the
window's first hour to the scheduled hour, and the merge job ``groundtruth-merge-<yyyymmddHHMM>-<hex>``, which
fails (and the execution with it) when there is no ground truth or no capture matched a label, saying which
with its counts. Then ``model-bias-monitoring-<yyyymmddHHMM>-<hex>`` (same hex) runs the job definition's image
(the Clarify image) on the merged hours
(:func:`sagewatch.job.execution_contract.model_bias_request`): ``ConfigUri`` is its ``analysis_config.json``, the
baseline ``ConstraintsResource`` (or ``analysis.json`` of ``BaseliningJobName``) its baseline, and the
``EndpointInput`` attributes (features, inference, probability, threshold) say where features and predictions are.

A ``BatchTransformInput`` merges the transform's files instead of captured hours: its input and output manifests
of the window (:mod:`.batch`), each output record joined to its input record (the features) by position and to its
label by the inference id ``GenerateInferenceId`` gave it (:mod:`sagewatch.job.merge`).
"""

from __future__ import annotations

from dataclasses import replace

from sagewatch.job.execution_contract import (BATCH_INPUT_FOLDER, BATCH_OUTPUT_FOLDER, MERGE_JOB_PREFIX, MODEL_BIAS_JOB_PREFIX, ExecutionPlan,
                                              execution_job_name, ground_truth_hours)
from sagewatch.localstack.sagemaker.monitoring.executions.base import ExecutionFailure, ExecutionRun
from sagewatch.localstack.sagemaker.monitoring.executions.batch import batch_plan_fields, manifests_in_window
from sagewatch.localstack.sagemaker.monitoring.executions.clarify import clarify_plan, config_uri
from sagewatch.localstack.sagemaker.monitoring.executions.data_quality import captures_in_window
from sagewatch.localstack.sagemaker.monitoring.executions.model_quality import find_ground_truth

__all__ = ["plan_execution"]


def plan_execution(run: ExecutionRun) -> ExecutionPlan:
    """The plan of one model-bias execution, or :class:`ExecutionFailure` (no captures, no ground-truth location,
    no ``ConfigUri``, no manifests)."""
    definition = run.definition
    config = config_uri(definition)
    ground_truth_uri = (definition.job_input.get("GroundTruthS3Input") or {}).get("S3Uri")
    if not ground_truth_uri:
        raise ExecutionFailure("The ModelBias job definition has no ModelBiasJobInput.GroundTruthS3Input: bias "
                               "metrics need the ground-truth labels.")
    why = ", so there is nothing to merge with ground truth"
    if definition.endpoint_input is None:  # BatchTransformInput: the .out files and the input files (features)
        window, manifests = manifests_in_window(run, kinds=(BATCH_INPUT_FOLDER, BATCH_OUTPUT_FOLDER), why=why)
        captures, batch = [], batch_plan_fields(run, manifests)
    else:
        (window, _, captures), batch = captures_in_window(run, why=why), {}
    ground_truth = find_ground_truth(run.aws, ground_truth_uri, ground_truth_hours(window, run.scheduled))
    constraints, _ = run.baseline()
    plan = clarify_plan(run, job_name=execution_job_name(MODEL_BIAS_JOB_PREFIX, run.scheduled, run.token),
                        window=window, captures=captures, config=config, constraints_uri=constraints,
                        merge_job_name=execution_job_name(MERGE_JOB_PREFIX, run.scheduled, run.token),
                        ground_truth=tuple(ground_truth), ground_truth_s3_uri=ground_truth_uri)
    return replace(plan, **batch) if batch else plan
