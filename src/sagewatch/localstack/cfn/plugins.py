"""The ``localstack.cloudformation.resource_providers`` plugins of sagewatch: one per ``AWS::SageMaker::*`` type,
and ``AWS::CloudWatch::Dashboard`` (which LocalStack 4.13.1's CloudFormation engine lacks).

LocalStack looks a resource type's provider up by plugin name (``name`` is the type) and calls ``load()``, which
sets ``factory`` to the provider class, as its own ``*_plugin.py`` modules do. The provider modules are imported
only then, so listing the plugins (the CDK guard test, LocalStack's start) stays cheap. The entry points are in
``pyproject.toml``.
"""

from __future__ import annotations

from localstack.services.cloudformation.resource_provider import (
    CloudFormationResourceProviderPlugin,
    ResourceProvider,
)

__all__ = [
    "CloudWatchDashboardPlugin",
    "DataQualityJobDefinitionPlugin",
    "EndpointConfigPlugin",
    "EndpointPlugin",
    "ModelBiasJobDefinitionPlugin",
    "ModelExplainabilityJobDefinitionPlugin",
    "ModelPlugin",
    "ModelQualityJobDefinitionPlugin",
    "MonitoringSchedulePlugin",
]


class _SageMakerPlugin(CloudFormationResourceProviderPlugin):
    def __init__(self) -> None:
        self.factory: type[ResourceProvider] | None = None


class ModelPlugin(_SageMakerPlugin):
    name = "AWS::SageMaker::Model"

    def load(self) -> None:
        from sagewatch.localstack.cfn.model import ModelProvider

        self.factory = ModelProvider


class EndpointConfigPlugin(_SageMakerPlugin):
    name = "AWS::SageMaker::EndpointConfig"

    def load(self) -> None:
        from sagewatch.localstack.cfn.endpoint_config import EndpointConfigProvider

        self.factory = EndpointConfigProvider


class EndpointPlugin(_SageMakerPlugin):
    name = "AWS::SageMaker::Endpoint"

    def load(self) -> None:
        from sagewatch.localstack.cfn.endpoint import EndpointProvider

        self.factory = EndpointProvider


class _JobDefinitionPlugin(_SageMakerPlugin):
    kind = ""

    def load(self) -> None:
        from sagewatch.localstack.cfn.job_definitions import job_definition_provider

        self.factory = job_definition_provider(self.kind)


class DataQualityJobDefinitionPlugin(_JobDefinitionPlugin):
    name, kind = "AWS::SageMaker::DataQualityJobDefinition", "DataQuality"


class ModelQualityJobDefinitionPlugin(_JobDefinitionPlugin):
    name, kind = "AWS::SageMaker::ModelQualityJobDefinition", "ModelQuality"


class ModelBiasJobDefinitionPlugin(_JobDefinitionPlugin):
    name, kind = "AWS::SageMaker::ModelBiasJobDefinition", "ModelBias"


class ModelExplainabilityJobDefinitionPlugin(_JobDefinitionPlugin):
    name, kind = "AWS::SageMaker::ModelExplainabilityJobDefinition", "ModelExplainability"


class MonitoringSchedulePlugin(_SageMakerPlugin):
    name = "AWS::SageMaker::MonitoringSchedule"

    def load(self) -> None:
        from sagewatch.localstack.cfn.monitoring_schedule import MonitoringScheduleProvider

        self.factory = MonitoringScheduleProvider


class CloudWatchDashboardPlugin(_SageMakerPlugin):
    name = "AWS::CloudWatch::Dashboard"

    def load(self) -> None:
        from sagewatch.localstack.cfn.cloudwatch_dashboard import CloudWatchDashboardProvider

        self.factory = CloudWatchDashboardProvider
