"""ModelQualityMonitor: SageMaker's model-quality job definition and its schedule (contract §6, §9.2)."""

from __future__ import annotations

from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from stacks.components.endpoint import policy_of
from stacks.components.monitors.common import (ENDPOINT_LOCAL_PATH, OUTPUT_LOCAL_PATH, MonitorContext,
                                               monitoring_schedule)
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
        m = context.props
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
                endpoint_input=J.EndpointInputProperty(
                    endpoint_name=context.endpoint_name, local_path=ENDPOINT_LOCAL_PATH, s3_input_mode="File",
                    s3_data_distribution_type="FullyReplicated", inference_attribute=props.inference_attribute,
                    probability_attribute=props.probability_attribute,
                    probability_threshold_attribute=props.probability_threshold,
                    start_time_offset=props.start_time_offset, end_time_offset=props.end_time_offset),
                ground_truth_s3_input=J.MonitoringGroundTruthS3InputProperty(
                    s3_uri=f"s3://{context.ground_truth.bucket_name}/{props.ground_truth_prefix}"),
            ),
            model_quality_job_output_config=J.MonitoringOutputConfigProperty(
                kms_key_id=context.key.key_arn,
                monitoring_outputs=[J.MonitoringOutputProperty(s3_output=J.S3OutputProperty(
                    s3_uri=context.output_uri(self.kind), local_path=OUTPUT_LOCAL_PATH,
                    s3_upload_mode="Continuous"))]),
            job_resources=J.MonitoringResourcesProperty(cluster_config=J.ClusterConfigProperty(
                instance_count=m.instance_count, instance_type=m.instance_type, volume_size_in_gb=m.volume_size_gb,
                volume_kms_key_id=context.key.key_arn)),
            role_arn=context.role.role_arn,
            stopping_condition=J.StoppingConditionProperty(max_runtime_in_seconds=m.max_runtime_seconds),
        )
        self.job_definition.node.add_dependency(policy_of(context.role))
        self.schedule_name = schedule_name
        self.schedule = monitoring_schedule(self, "Schedule", context=context, name=schedule_name,
                                            monitoring_type=self.monitoring_type,
                                            job_definition=self.job_definition,
                                            job_definition_name=self.job_definition_name)
