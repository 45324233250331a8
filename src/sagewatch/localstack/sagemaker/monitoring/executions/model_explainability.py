"""Model-explainability executions: one Clarify job over the captured hours of the window (contract §7.1, §7.6).

The window and the captured hours are found as for data quality (:mod:`.data_quality`; none at all fails the
execution, ``Job inputs had no data: ...``, without starting a job); ``model-explainability-monitoring-
<yyyymmddHHMM>-<18 hex>`` (63 characters) runs the job definition's image (the Clarify image) on them
(:func:`sagewatch.job.execution_contract.model_explainability_request`), with ``ConfigUri`` as its
``analysis_config.json`` (whose ``predictor`` names the model the Clarify job explains) and the baseline
``ConstraintsResource`` (or ``analysis.json`` of ``BaseliningJobName``) as its baseline.

Batch-transform inputs fail at once with a FailureReason saying they are not supported yet.
"""

from __future__ import annotations

from sagewatch.job.execution_contract import MODEL_EXPLAINABILITY_JOB_PREFIX, ExecutionPlan, execution_job_name
from sagewatch.localstack.sagemaker.monitoring.executions.base import ExecutionFailure, ExecutionRun
from sagewatch.localstack.sagemaker.monitoring.executions.clarify import clarify_plan, config_uri
from sagewatch.localstack.sagemaker.monitoring.executions.data_quality import captures_in_window

__all__ = ["plan_execution"]


def plan_execution(run: ExecutionRun) -> ExecutionPlan:
    """The plan of one model-explainability execution, or :class:`ExecutionFailure` (no captures, no
    ``ConfigUri``, batch transform)."""
    definition = run.definition
    if definition.endpoint_input is None:
        raise ExecutionFailure("ModelExplainability monitoring of batch-transform captures (BatchTransformInput) is "
                               "not supported by this emulator yet; only EndpointInput executions run.")
    config = config_uri(definition)
    window, _, captures = captures_in_window(run)
    constraints, _ = run.baseline()
    # 18 hex digits keep the whole prefix within the 63 characters of a job name
    job_name = execution_job_name(MODEL_EXPLAINABILITY_JOB_PREFIX, run.scheduled, run.token, token_length=18)
    return clarify_plan(run, job_name=job_name, window=window, captures=captures, config=config,
                        constraints_uri=constraints)
