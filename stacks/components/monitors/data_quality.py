"""DataQualityMonitor: SageMaker's data-quality job definition and its schedule (contract §9.1-9.2)."""

from __future__ import annotations

from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from stacks.components.monitors.common import (MonitorContext, endpoint_input, job_output_config, job_resources,
                                               schedule_job_definition, stopping_condition)
from stacks.config import DataQualityProps

__all__ = ["DataQualityMonitor"]

J = sagemaker.CfnDataQualityJobDefinition


class DataQualityMonitor(Construct):
    """Compares each hour of captured endpoint traffic with the baseline statistics and constraints; publishes
    ``feature_baseline_drift_<f>`` and friends to ``aws/sagemaker/Endpoints/data-metrics`` (contract §5)."""

    kind = "data-quality"
    monitoring_type = "DataQuality"

    def __init__(self, scope: Construct, construct_id: str, *, props: DataQualityProps, context: MonitorContext,
                 schedule_name: str) -> None:
        super().__init__(scope, construct_id)
        self.job_definition_name = context.job_definition_name("dq-job", props)
        self.job_definition = J(
            self, "JobDefinition",
            job_definition_name=self.job_definition_name,
            data_quality_app_specification=J.DataQualityAppSpecificationProperty(
                image_uri=context.analyzer_image_uri, environment=context.environment()),
            data_quality_baseline_config=J.DataQualityBaselineConfigProperty(
                constraints_resource=J.ConstraintsResourceProperty(s3_uri=context.uri(props.baseline_constraints)),
                statistics_resource=J.StatisticsResourceProperty(s3_uri=context.uri(props.baseline_statistics))),
            data_quality_job_input=J.DataQualityJobInputProperty(endpoint_input=endpoint_input(J, context)),
            data_quality_job_output_config=job_output_config(J, context, self.kind),
            job_resources=job_resources(J, context),
            role_arn=context.role.role_arn,
            stopping_condition=stopping_condition(J, context),
        )
        self.schedule_name = schedule_name
        self.schedule = schedule_job_definition(self, context, schedule_name)
