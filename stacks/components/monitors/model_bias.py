"""ModelBiasMonitor: SageMaker Clarify's bias-drift job definition and its schedule (contract §7)."""

from __future__ import annotations

from dataclasses import replace

from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from stacks.components.monitors.analysis_config import ClarifyAnalysisConfig
from stacks.components.monitors.common import (MonitorContext, endpoint_input, ground_truth_input,
                                               job_output_config, job_resources, schedule_job_definition,
                                               stopping_condition)
from stacks.config import ModelBiasProps

__all__ = ["ModelBiasMonitor"]

J = sagemaker.CfnModelBiasJobDefinition


class ModelBiasMonitor(Construct):
    """Runs Clarify's bias analysis on captured traffic joined with ground truth and publishes
    ``bias_metric_<CODE>`` to ``aws/sagemaker/Endpoints/bias-metrics`` (contract §5)."""

    kind = "model-bias"
    monitoring_type = "ModelBias"

    def __init__(self, scope: Construct, construct_id: str, *, props: ModelBiasProps, context: MonitorContext,
                 schedule_name: str) -> None:
        super().__init__(scope, construct_id)
        self.analysis_config = ClarifyAnalysisConfig(self, "AnalysisConfig", source=props.analysis_config,
                                                     baselines=context.baselines, role=context.role)
        self.job_definition_name = context.job_definition_name("mb-job", replace(props, analysis_config=None), self.analysis_config.fingerprint)
        self.job_definition = J(
            self, "JobDefinition",
            job_definition_name=self.job_definition_name,
            model_bias_app_specification=J.ModelBiasAppSpecificationProperty(
                image_uri=context.clarify_image_uri, config_uri=self.analysis_config.uri,
                environment=context.environment()),
            model_bias_baseline_config=J.ModelBiasBaselineConfigProperty(
                constraints_resource=J.ConstraintsResourceProperty(s3_uri=context.uri(props.baseline_constraints))),
            model_bias_job_input=J.ModelBiasJobInputProperty(
                endpoint_input=endpoint_input(
                    J, context, features_attribute=props.features_attribute,
                    inference_attribute=props.inference_attribute,
                    probability_attribute=props.probability_attribute,
                    probability_threshold_attribute=props.probability_threshold,
                    start_time_offset=props.start_time_offset, end_time_offset=props.end_time_offset),
                ground_truth_s3_input=ground_truth_input(J, context, props.ground_truth_prefix),
            ),
            model_bias_job_output_config=job_output_config(J, context, self.kind),
            job_resources=job_resources(J, context),
            role_arn=context.role.role_arn,
            stopping_condition=stopping_condition(J, context),
        )
        self.schedule_name = schedule_name
        self.schedule = schedule_job_definition(self, context, schedule_name)
