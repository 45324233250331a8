"""DataQualityMonitor: SageMaker's data-quality job definition and its schedule (contract §9.1-9.2)."""

from __future__ import annotations

from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from stacks.components.endpoint import policy_of
from stacks.components.monitors.common import (ENDPOINT_LOCAL_PATH, OUTPUT_LOCAL_PATH, MonitorContext,
                                               monitoring_schedule)
from stacks.config import DataQualityProps

__all__ = ["DataQualityMonitor"]


class DataQualityMonitor(Construct):
    """Compares each hour of captured endpoint traffic with the baseline statistics and constraints; publishes
    ``feature_baseline_drift_<f>`` and friends to ``aws/sagemaker/Endpoints/data-metrics`` (contract §5)."""

    kind = "data-quality"
    monitoring_type = "DataQuality"

    def __init__(self, scope: Construct, construct_id: str, *, props: DataQualityProps, context: MonitorContext,
                 schedule_name: str) -> None:
        super().__init__(scope, construct_id)
        m = context.props
        self.job_definition_name = context.job_definition_name("dq-job", props)
        self.job_definition = sagemaker.CfnDataQualityJobDefinition(
            self, "JobDefinition",
            job_definition_name=self.job_definition_name,
            data_quality_app_specification=sagemaker.CfnDataQualityJobDefinition.DataQualityAppSpecificationProperty(
                image_uri=context.analyzer_image_uri,
                environment=context.environment(),
            ),
            data_quality_baseline_config=sagemaker.CfnDataQualityJobDefinition.DataQualityBaselineConfigProperty(
                constraints_resource=sagemaker.CfnDataQualityJobDefinition.ConstraintsResourceProperty(
                    s3_uri=context.uri(props.baseline_constraints)),
                statistics_resource=sagemaker.CfnDataQualityJobDefinition.StatisticsResourceProperty(
                    s3_uri=context.uri(props.baseline_statistics)),
            ),
            data_quality_job_input=sagemaker.CfnDataQualityJobDefinition.DataQualityJobInputProperty(
                endpoint_input=sagemaker.CfnDataQualityJobDefinition.EndpointInputProperty(
                    endpoint_name=context.endpoint_name, local_path=ENDPOINT_LOCAL_PATH,
                    s3_input_mode="File", s3_data_distribution_type="FullyReplicated"),
            ),
            data_quality_job_output_config=sagemaker.CfnDataQualityJobDefinition.MonitoringOutputConfigProperty(
                kms_key_id=context.key.key_arn,
                monitoring_outputs=[sagemaker.CfnDataQualityJobDefinition.MonitoringOutputProperty(
                    s3_output=sagemaker.CfnDataQualityJobDefinition.S3OutputProperty(
                        s3_uri=context.output_uri(self.kind), local_path=OUTPUT_LOCAL_PATH,
                        s3_upload_mode="Continuous"))],
            ),
            job_resources=sagemaker.CfnDataQualityJobDefinition.MonitoringResourcesProperty(
                cluster_config=sagemaker.CfnDataQualityJobDefinition.ClusterConfigProperty(
                    instance_count=m.instance_count, instance_type=m.instance_type,
                    volume_size_in_gb=m.volume_size_gb, volume_kms_key_id=context.key.key_arn)),
            role_arn=context.role.role_arn,
            stopping_condition=sagemaker.CfnDataQualityJobDefinition.StoppingConditionProperty(
                max_runtime_in_seconds=m.max_runtime_seconds),
        )
        self.job_definition.node.add_dependency(policy_of(context.role))
        self.schedule_name = schedule_name
        self.schedule = monitoring_schedule(self, "Schedule", context=context, name=schedule_name,
                                            monitoring_type=self.monitoring_type,
                                            job_definition=self.job_definition,
                                            job_definition_name=self.job_definition_name)
