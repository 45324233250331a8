"""Model-explainability executions: one Clarify job over the captured hours of the window (contract §7.1, §7.6).

The window and the captured hours are found as for data quality (:mod:`.data_quality`; none at all fails the
execution, ``Job inputs had no data: ...``, without starting a job); ``model-explainability-monitoring-
<yyyymmddHHMM>-<18 hex>`` (63 characters) runs the job definition's image (the Clarify image) on them
(:func:`sagewatch.job.execution_contract.model_explainability_request`), with ``ConfigUri`` as its
``analysis_config.json`` (whose ``predictor`` names the model the Clarify job explains) and the baseline
``ConstraintsResource`` (or ``analysis.json`` of ``BaseliningJobName``) as its baseline.

A ``BatchTransformInput`` explains the transform's input files instead: its input manifests of the window
(:mod:`.batch`) with ``BatchTransformInput.DatasetFormat``'s ``dataset_format``; the input names no endpoint, so the
Clarify job asks the model of the config's ``predictor`` (``model_name``: a shadow endpoint, as for endpoints).
"""

from __future__ import annotations

from dataclasses import replace

from sagewatch.job.execution_contract import MODEL_EXPLAINABILITY_JOB_PREFIX, ExecutionPlan, execution_job_name
from sagewatch.localstack.sagemaker.monitoring.executions.base import ExecutionRun
from sagewatch.localstack.sagemaker.monitoring.executions.batch import batch_plan_fields, manifests_in_window
from sagewatch.localstack.sagemaker.monitoring.executions.clarify import clarify_plan, config_uri
from sagewatch.localstack.sagemaker.monitoring.executions.data_quality import captures_in_window

__all__ = ["plan_execution"]


def plan_execution(run: ExecutionRun) -> ExecutionPlan:
    """The plan of one model-explainability execution, or :class:`ExecutionFailure` (no captures, no
    ``ConfigUri``, no input manifests)."""
    definition = run.definition
    config = config_uri(definition)
    if definition.endpoint_input is None:  # BatchTransformInput: the transform's input files (the features)
        window, manifests = manifests_in_window(run)
        captures, batch = [], batch_plan_fields(run, manifests)
    else:
        (window, _, captures), batch = captures_in_window(run), {}
    constraints, _ = run.baseline()
    # 18 hex digits keep the whole prefix within the 63 characters of a job name
    job_name = execution_job_name(MODEL_EXPLAINABILITY_JOB_PREFIX, run.scheduled, run.token, token_length=18)
    plan = clarify_plan(run, job_name=job_name, window=window, captures=captures, config=config,
                        constraints_uri=constraints)
    return replace(plan, **batch) if batch else plan
