"""``AWS::SageMaker::EndpointConfig``: CreateEndpointConfig / AddTags / DeleteTags / DeleteEndpointConfig.

``Ref`` is the config's ARN; ``Fn::GetAtt`` gives ``EndpointConfigName`` and ``EndpointConfigArn``. Everything
but ``Tags`` is create-only: new variant weights, a new model or a new ``DataCaptureConfig`` create a new config,
the engine then updates the endpoints that name it (``UpdateEndpoint``) and deletes the old config.
"""

from __future__ import annotations

from sagewatch.localstack.cfn.base import FixedResourceProvider

__all__ = ["EndpointConfigProvider"]


class EndpointConfigProvider(FixedResourceProvider):
    SCHEMA = {
        "typeName": "AWS::SageMaker::EndpointConfig",
        "primaryIdentifier": ["/properties/EndpointConfigArn"],
        "createOnlyProperties": [
            "/properties/KmsKeyId",
            "/properties/AsyncInferenceConfig",
            "/properties/ExecutionRoleArn",
            "/properties/ShadowProductionVariants",
            "/properties/EnableNetworkIsolation",
            "/properties/ProductionVariants",
            "/properties/DataCaptureConfig",
            "/properties/ExplainerConfig",
            "/properties/EndpointConfigName",
            "/properties/VpcConfig",
        ],
        "readOnlyProperties": ["/properties/EndpointConfigArn", "/properties/EndpointConfigName"],
    }
    NAME = "EndpointConfigName"
    ARN = "EndpointConfigArn"
    CREATE, DESCRIBE, DELETE = "CreateEndpointConfig", "DescribeEndpointConfig", "DeleteEndpointConfig"
