"""``AWS::SageMaker::Model``: CreateModel / AddTags / DeleteTags / DeleteModel through the emulator's API.

``Ref`` is the model's ARN (the primary identifier, as on AWS); ``Fn::GetAtt`` gives ``ModelName`` and
``ModelArn``. Everything but ``Tags`` is create-only: a change replaces the model.
"""

from __future__ import annotations

from sagewatch.localstack.cfn.base import FixedResourceProvider

__all__ = ["ModelProvider"]


class ModelProvider(FixedResourceProvider):
    SCHEMA = {
        "typeName": "AWS::SageMaker::Model",
        "primaryIdentifier": ["/properties/ModelArn"],
        "createOnlyProperties": [
            "/properties/ExecutionRoleArn",
            "/properties/EnableNetworkIsolation",
            "/properties/InferenceExecutionConfig",
            "/properties/PrimaryContainer",
            "/properties/ModelName",
            "/properties/VpcConfig",
            "/properties/Containers",
        ],
        "readOnlyProperties": ["/properties/ModelArn", "/properties/ModelName"],
    }
    NAME = "ModelName"
    ARN = "ModelArn"
    CREATE, DESCRIBE, DELETE = "CreateModel", "DescribeModel", "DeleteModel"
