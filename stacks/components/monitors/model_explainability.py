"""ModelExplainabilityMonitor: SageMaker Clarify's feature-attribution drift job and its schedule (contract §7)."""

from __future__ import annotations

from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from stacks.components.monitors.common import (MonitorContext, endpoint_input, job_output_config, job_resources,
                                               schedule_job_definition, stopping_condition)
from stacks.config import ModelExplainabilityProps

__all__ = ["ModelExplainabilityMonitor"]

J = sagemaker.CfnModelExplainabilityJobDefinition


class ModelExplainabilityMonitor(Construct):
    """Computes SHAP attributions of captured traffic and compares them with the baseline (nDCG); publishes
    ``feature_<name>`` to ``aws/sagemaker/Endpoints/explainability-metrics`` (contract §5)."""

    kind = "model-explainability"
    monitoring_type = "ModelExplainability"

    def __init__(self, scope: Construct, construct_id: str, *, props: ModelExplainabilityProps,
                 context: MonitorContext, schedule_name: str) -> None:
        super().__init__(scope, construct_id)
        self.job_definition_name = context.job_definition_name("me-job", props)
        self.job_definition = J(
            self, "JobDefinition",
            job_definition_name=self.job_definition_name,
            model_explainability_app_specification=J.ModelExplainabilityAppSpecificationProperty(
                image_uri=context.clarify_image_uri, config_uri=context.uri(props.analysis_config),
                environment=context.environment()),
            model_explainability_baseline_config=J.ModelExplainabilityBaselineConfigProperty(
                constraints_resource=J.ConstraintsResourceProperty(s3_uri=context.uri(props.baseline_constraints))),
            model_explainability_job_input=J.ModelExplainabilityJobInputProperty(
                endpoint_input=endpoint_input(J, context, features_attribute=props.features_attribute,
                                              inference_attribute=props.inference_attribute)),
            model_explainability_job_output_config=job_output_config(J, context, self.kind),
            job_resources=job_resources(J, context),
            role_arn=context.role.role_arn,
            stopping_condition=stopping_condition(J, context),
        )
        self.schedule_name = schedule_name
        self.schedule = schedule_job_definition(self, context, schedule_name)
