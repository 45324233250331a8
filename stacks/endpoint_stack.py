"""EndpointStack: the capture-enabled SageMaker endpoint."""

from __future__ import annotations

from aws_cdk import CfnOutput, Environment, Stack
from constructs import Construct

from stacks.components.endpoint import CaptureEndpoint, fixed_model_name
from stacks.components.storage import MonitoringStorage
from stacks.config import ShapAnalysisProps, StageConfig

__all__ = ["EndpointStack", "explained_variant"]


def explained_variant(stage: StageConfig) -> str | None:
    """The variant whose model the kit-built explainability config names (Clarify's ``predictor.model_name``),
    which then needs a name known at synthesis; None when there is none."""
    monitoring = stage.monitoring
    built = monitoring.model_explainability.analysis_config.built if monitoring.model_explainability else None
    if monitoring.mode != "model-monitor" or not isinstance(built, ShapAnalysisProps):
        return None
    return built.variant_name or stage.endpoint.variants[0].name


class EndpointStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, stage: StageConfig, env: Environment | None,
                 storage: MonitoringStorage) -> None:
        super().__init__(scope, construct_id, env=env, stack_name=f"{stage.project}-endpoint",
                         description="sagewatch: capture-enabled SageMaker endpoint")
        explained = explained_variant(stage)
        names = {explained: fixed_model_name(stage.project, stage.target, stage.endpoint, explained)} \
            if explained else None
        self.endpoint = CaptureEndpoint(self, "CaptureEndpoint", props=stage.endpoint, captures=storage.captures,
                                        artifacts=storage.baselines, key=storage.key, model_names=names)
        CfnOutput(self, "EndpointName", value=self.endpoint.endpoint_name)
