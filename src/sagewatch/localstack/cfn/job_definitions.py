"""The four monitoring job definition types: ``AWS::SageMaker::{DataQuality,ModelQuality,ModelBias,
ModelExplainability}JobDefinition``.

``Ref`` is the definition's ARN; ``Fn::GetAtt`` gives ``JobDefinitionArn`` and ``CreationTime`` (the real
schema's read-only attributes) and also ``JobDefinitionName``, which templates use to name the definition in a
``MonitoringSchedule`` (``localstack-plugin.md`` §10.4). Every property, ``Tags`` included, is create-only: any
change replaces the definition. The top-level ``EndpointName`` of the schema is CloudFormation-only (write-only)
and is not sent.
"""

from __future__ import annotations

from typing import Any

from sagewatch.localstack.cfn.base import FixedResourceProvider

__all__ = ["JOB_DEFINITION_TYPES", "job_definition_provider"]

MONITORING_TYPES = ("DataQuality", "ModelQuality", "ModelBias", "ModelExplainability")
JOB_DEFINITION_TYPES = {f"AWS::SageMaker::{kind}JobDefinition": kind for kind in MONITORING_TYPES}


def job_definition_schema(kind: str) -> dict[str, Any]:
    """The schema essentials of ``AWS::SageMaker::<kind>JobDefinition``.

    Examples
    --------
    >>> schema = job_definition_schema("ModelBias")
    >>> schema["typeName"], schema["primaryIdentifier"]
    ('AWS::SageMaker::ModelBiasJobDefinition', ['/properties/JobDefinitionArn'])
    >>> "/properties/ModelBiasJobInput" in schema["createOnlyProperties"]
    True
    """
    properties = ["JobDefinitionName", f"{kind}AppSpecification", f"{kind}BaselineConfig", f"{kind}JobInput",
                  f"{kind}JobOutputConfig", "JobResources", "NetworkConfig", "RoleArn", "StoppingCondition",
                  "Tags", "EndpointName"]
    return {
        "typeName": f"AWS::SageMaker::{kind}JobDefinition",
        "primaryIdentifier": ["/properties/JobDefinitionArn"],
        "createOnlyProperties": [f"/properties/{name}" for name in properties],
        "readOnlyProperties": ["/properties/CreationTime", "/properties/JobDefinitionArn"],
    }


def job_definition_provider(kind: str) -> type[FixedResourceProvider]:
    """The provider class of ``AWS::SageMaker::<kind>JobDefinition``."""
    if kind not in MONITORING_TYPES:
        raise ValueError(f"unknown monitoring type {kind!r}; expected one of {MONITORING_TYPES}")
    attributes = {
        "__doc__": f"``AWS::SageMaker::{kind}JobDefinition`` through Create/Describe/Delete{kind}JobDefinition.",
        "SCHEMA": job_definition_schema(kind),
        "NAME": "JobDefinitionName",
        "ARN": "JobDefinitionArn",
        "CREATE": f"Create{kind}JobDefinition",
        "DESCRIBE": f"Describe{kind}JobDefinition",
        "DELETE": f"Delete{kind}JobDefinition",
        "ATTRIBUTES": ("CreationTime",),
        "CFN_ONLY": ("EndpointName",),
        "TAGS_UPDATABLE": False,
    }
    return type(f"{kind}JobDefinitionProvider", (FixedResourceProvider,), attributes)
