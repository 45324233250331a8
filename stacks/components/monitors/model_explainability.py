"""ModelExplainabilityMonitor: SageMaker Clarify's feature-attribution drift job and its schedule (contract §7)."""

from __future__ import annotations

from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from stacks.components.endpoint import policy_of
from stacks.components.monitors.common import (ENDPOINT_LOCAL_PATH, OUTPUT_LOCAL_PATH, MonitorContext,
                                               monitoring_schedule)
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
        m = context.props
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
                endpoint_input=J.EndpointInputProperty(
                    endpoint_name=context.endpoint_name, local_path=ENDPOINT_LOCAL_PATH, s3_input_mode="File",
                    s3_data_distribution_type="FullyReplicated", features_attribute=props.features_attribute,
                    inference_attribute=props.inference_attribute)),
            model_explainability_job_output_config=J.MonitoringOutputConfigProperty(
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
