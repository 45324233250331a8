"""ModelExplainabilityMonitor: SageMaker Clarify's feature-attribution drift job and its schedule (contract §7)."""

from __future__ import annotations

from dataclasses import replace

from aws_cdk import Aws
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sagemaker as sagemaker
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

from stacks.components.monitors.analysis_config import ClarifyAnalysisConfig
from stacks.components.monitors.common import (MonitorContext, endpoint_input, job_output_config, job_resources,
                                               schedule_job_definition, stopping_condition)
from stacks.config import ModelExplainabilityProps

__all__ = ["ModelExplainabilityMonitor", "SHADOW_ENDPOINT_PREFIX", "grant_shadow_endpoints"]

SHADOW_ENDPOINT_PREFIX = "sm-clarify-"  # Clarify's shadow endpoints and their configs (SDK ModelConfig)

J = sagemaker.CfnModelExplainabilityJobDefinition


class ModelExplainabilityMonitor(Construct):
    """Computes SHAP attributions of captured traffic and compares them with the baseline (nDCG); publishes
    ``feature_<name>`` to ``aws/sagemaker/Endpoints/explainability-metrics`` (contract §5). Clarify gets the
    predictions from a shadow endpoint of ``model_name`` (the config's ``predictor``), which it creates and deletes
    with the monitoring role."""

    kind = "model-explainability"
    monitoring_type = "ModelExplainability"

    def __init__(self, scope: Construct, construct_id: str, *, props: ModelExplainabilityProps,
                 context: MonitorContext, schedule_name: str, model_name: str | None = None) -> None:
        super().__init__(scope, construct_id)
        self.analysis_config = ClarifyAnalysisConfig(self, "AnalysisConfig", source=props.analysis_config,
                                                     baselines=context.baselines, role=context.role,
                                                     model_name=model_name)
        self.job_definition_name = context.job_definition_name(
            "me-job", replace(props, analysis_config=None), self.analysis_config.fingerprint, model_name)
        grant_shadow_endpoints(context.role, model_name)
        self.job_definition = J(
            self, "JobDefinition",
            job_definition_name=self.job_definition_name,
            model_explainability_app_specification=J.ModelExplainabilityAppSpecificationProperty(
                image_uri=context.clarify_image_uri, config_uri=self.analysis_config.uri,
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


def grant_shadow_endpoints(role: iam.Role, model_name: str | None) -> None:
    """What Clarify does with the monitoring role to explain ``model_name``: describe the model, create, invoke
    and delete a shadow endpoint (and its config) named ``sm-clarify-*``. A config from a file or URI names its
    own model, which the kit cannot know: then any model may be described."""
    arn = f"arn:{Aws.PARTITION}:sagemaker:{Aws.REGION}:{Aws.ACCOUNT_ID}"
    role.add_to_policy(iam.PolicyStatement(
        actions=["sagemaker:DescribeModel"], resources=[f"{arn}:model/{(model_name or '*').lower()}"]))
    role.add_to_policy(iam.PolicyStatement(
        actions=["sagemaker:CreateEndpointConfig", "sagemaker:DescribeEndpointConfig",
                 "sagemaker:DeleteEndpointConfig"],
        resources=[f"{arn}:endpoint-config/{SHADOW_ENDPOINT_PREFIX}*"]))
    role.add_to_policy(iam.PolicyStatement(
        actions=["sagemaker:CreateEndpoint", "sagemaker:DescribeEndpoint", "sagemaker:DeleteEndpoint",
                 "sagemaker:InvokeEndpoint"],
        resources=[f"{arn}:endpoint/{SHADOW_ENDPOINT_PREFIX}*"]))
    NagSuppressions.add_resource_suppressions(role, [NagPackSuppression(
        id="AwsSolutions-IAM5",
        reason="Clarify names its shadow endpoints and their configs sm-clarify-<generated>; a config the kit does "
               "not build names a model the kit cannot know.",
        applies_to=[{"regex": f"/^Resource::arn:.*:(endpoint|endpoint-config)/{SHADOW_ENDPOINT_PREFIX}\\*$/"},
                    {"regex": "/^Resource::arn:.*:model/\\*$/"}],
    )], apply_to_children=True)
