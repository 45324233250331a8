"""CloudFormation resource providers of the sagewatch LocalStack plugin (``localstack-plugin.md`` §5).

One provider per ``AWS::SageMaker::*`` type a monitoring stack uses; each creates, reads, updates and deletes
its resource through the emulator's SageMaker API, so a stack deploys through the same handlers as boto3 calls:

- :mod:`~sagewatch.localstack.cfn.model`: ``Model``;
- :mod:`~sagewatch.localstack.cfn.endpoint_config`: ``EndpointConfig``;
- :mod:`~sagewatch.localstack.cfn.endpoint`: ``Endpoint`` (waits for ``InService``, updates in place);
- :mod:`~sagewatch.localstack.cfn.job_definitions`: ``DataQualityJobDefinition``,
  ``ModelQualityJobDefinition``, ``ModelBiasJobDefinition``, ``ModelExplainabilityJobDefinition``;
- :mod:`~sagewatch.localstack.cfn.monitoring_schedule`: ``MonitoringSchedule``;
- :mod:`~sagewatch.localstack.cfn.cloudwatch_dashboard`: ``AWS::CloudWatch::Dashboard`` (through the emulator's
  CloudWatch API: LocalStack 4.13.1 serves dashboards but its CloudFormation engine has no provider for them).

:mod:`~sagewatch.localstack.cfn.plugins` registers them (entry points in ``pyproject.toml``);
:mod:`~sagewatch.localstack.cfn.base` and :mod:`~sagewatch.localstack.cfn.properties` hold what they share:
property conversion, generated names, error wording.
"""
