"""What model-bias and model-explainability executions share: the ``ConfigUri`` and the plan (contract §7.1)."""

from __future__ import annotations

from typing import Any

from sagewatch.job.execution_contract import AnalysisWindow, CaptureHour, ExecutionPlan
from sagewatch.localstack.sagemaker.monitoring.executions.base import ExecutionFailure, ExecutionRun
from sagewatch.localstack.sagemaker.monitoring.jobdefs import ExecutionDefinition

__all__ = ["config_uri", "clarify_plan"]


def config_uri(definition: ExecutionDefinition) -> str:
    """``<T>AppSpecification.ConfigUri``: the ``analysis_config.json`` of the Clarify job."""
    uri = definition.app_specification.get("ConfigUri")
    if not uri:
        raise ExecutionFailure(f"The {definition.monitoring_type} job definition has no "
                               f"{definition.monitoring_type}AppSpecification.ConfigUri (the analysis_config.json "
                               "of the Clarify job).")
    return str(uri)


def clarify_plan(run: ExecutionRun, *, job_name: str, window: AnalysisWindow, captures: list[CaptureHour],
                 config: str, constraints_uri: str | None, **chain: Any) -> ExecutionPlan:
    """The :class:`~sagewatch.job.execution_contract.ExecutionPlan` of a Clarify execution of ``run``'s
    definition; *chain* adds the merge job's fields (model bias)."""
    definition = run.definition
    endpoint_input = definition.endpoint_input or definition.job_input.get("BatchTransformInput") or {}
    s3_output = definition.s3_output
    return ExecutionPlan(
        monitoring_type=definition.monitoring_type, job_name=job_name, endpoint_name=definition.endpoint_name or "",
        schedule_name=run.schedule_name, scheduled=run.scheduled, window=window, captures=tuple(captures),
        output_s3_uri=s3_output["S3Uri"], app_specification=definition.app_specification,
        cluster_config=definition.cluster_config, role_arn=definition.role_arn, environment=definition.environment,
        input_local_path=endpoint_input["LocalPath"], input_mode=endpoint_input.get("S3InputMode", "File"),
        input_distribution=endpoint_input.get("S3DataDistributionType", "FullyReplicated"),
        output_local_path=s3_output["LocalPath"], upload_mode=s3_output.get("S3UploadMode", "Continuous"),
        stopping_condition=definition.stopping_condition, kms_key_id=definition.output_config.get("KmsKeyId"),
        network_config=definition.network_config, baseline_constraints_uri=constraints_uri, config_uri=config,
        features_attribute=endpoint_input.get("FeaturesAttribute"),
        inference_attribute=endpoint_input.get("InferenceAttribute"),
        probability_attribute=endpoint_input.get("ProbabilityAttribute"),
        probability_threshold_attribute=endpoint_input.get("ProbabilityThresholdAttribute"), **chain)
