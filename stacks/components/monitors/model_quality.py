"""ModelQualityMonitor: SageMaker's model-quality job definition and its schedule (contract §6, §9.2)."""

from __future__ import annotations

from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from stacks.components.monitors.common import (MonitorContext, endpoint_input, ground_truth_input,
                                               job_output_config, job_resources, schedule_job_definition,
                                               stopping_condition)
from stacks.config import ModelQualityProps

__all__ = ["ModelQualityMonitor"]

J = sagemaker.CfnModelQualityJobDefinition


class ModelQualityMonitor(Construct):
    """Joins captured predictions with ground truth and publishes quality metrics (``accuracy``, ``f2``, ``rmse``,
    ...) to ``aws/sagemaker/Endpoints/model-metrics`` (contract §5)."""

    kind = "model-quality"
    monitoring_type = "ModelQuality"

    def __init__(self, scope: Construct, construct_id: str, *, props: ModelQualityProps, context: MonitorContext,
                 schedule_name: str) -> None:
        super().__init__(scope, construct_id)
        self.job_definition_name = context.job_definition_name("mq-job", props)
        self.job_definition = J(
            self, "JobDefinition",
            job_definition_name=self.job_definition_name,
            model_quality_app_specification=J.ModelQualityAppSpecificationProperty(
                image_uri=context.analyzer_image_uri, problem_type=props.problem_type,
                environment=context.environment()),
            model_quality_baseline_config=J.ModelQualityBaselineConfigProperty(
                constraints_resource=J.ConstraintsResourceProperty(s3_uri=context.uri(props.baseline_constraints))),
            model_quality_job_input=J.ModelQualityJobInputProperty(
                endpoint_input=endpoint_input(
                    J, context, inference_attribute=props.inference_attribute,
                    probability_attribute=props.probability_attribute,
                    probability_threshold_attribute=props.probability_threshold,
                    start_time_offset=props.start_time_offset, end_time_offset=props.end_time_offset),
                ground_truth_s3_input=ground_truth_input(J, context, props.ground_truth_prefix),
            ),
            model_quality_job_output_config=job_output_config(J, context, self.kind),
            job_resources=job_resources(J, context),
            role_arn=context.role.role_arn,
            stopping_condition=stopping_condition(J, context),
        )
        self.schedule_name = schedule_name
        self.schedule = schedule_job_definition(self, context, schedule_name)
