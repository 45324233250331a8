"""EndpointStack: the capture-enabled SageMaker endpoint."""

from __future__ import annotations

from aws_cdk import CfnOutput, Environment, Stack
from constructs import Construct

from stacks.components.endpoint import CaptureEndpoint
from stacks.components.storage import MonitoringStorage
from stacks.config import StageConfig

__all__ = ["EndpointStack"]


class EndpointStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, stage: StageConfig, env: Environment | None,
                 storage: MonitoringStorage) -> None:
        super().__init__(scope, construct_id, env=env, stack_name=f"{stage.project}-endpoint",
                         description="sagewatch: capture-enabled SageMaker endpoint")
        self.endpoint = CaptureEndpoint(self, "CaptureEndpoint", props=stage.endpoint, captures=storage.captures,
                                        artifacts=storage.baselines, key=storage.key)
        CfnOutput(self, "EndpointName", value=self.endpoint.endpoint_name)
