"""ModelBiasMonitor: SageMaker Clarify's bias-drift job definition and its schedule (contract §7)."""

from __future__ import annotations

from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from stacks.components.endpoint import policy_of
from stacks.components.monitors.common import (ENDPOINT_LOCAL_PATH, OUTPUT_LOCAL_PATH, MonitorContext,
                                               monitoring_schedule)
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
        m = context.props
        self.job_definition_name = context.job_definition_name("mb-job", props)
        self.job_definition = J(
            self, "JobDefinition",
            job_definition_name=self.job_definition_name,
            model_bias_app_specification=J.ModelBiasAppSpecificationProperty(
                image_uri=context.clarify_image_uri, config_uri=context.uri(props.analysis_config),
                environment=context.environment()),
            model_bias_baseline_config=J.ModelBiasBaselineConfigProperty(
                constraints_resource=J.ConstraintsResourceProperty(s3_uri=context.uri(props.baseline_constraints))),
            model_bias_job_input=J.ModelBiasJobInputProperty(
                endpoint_input=J.EndpointInputProperty(
                    endpoint_name=context.endpoint_name, local_path=ENDPOINT_LOCAL_PATH, s3_input_mode="File",
                    s3_data_distribution_type="FullyReplicated", features_attribute=props.features_attribute,
                    inference_attribute=props.inference_attribute,
                    probability_attribute=props.probability_attribute,
                    probability_threshold_attribute=props.probability_threshold,
                    start_time_offset=props.start_time_offset, end_time_offset=props.end_time_offset),
                ground_truth_s3_input=J.MonitoringGroundTruthS3InputProperty(
                    s3_uri=f"s3://{context.ground_truth.bucket_name}/{props.ground_truth_prefix}"),
            ),
            model_bias_job_output_config=J.MonitoringOutputConfigProperty(
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
