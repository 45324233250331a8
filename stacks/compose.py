"""Compose the three stacks of one stage. ``app.py`` calls this; so do the tests, with the same StageConfig."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Environment
from constructs import Construct

from stacks.config import StageConfig
from stacks.endpoint_stack import EndpointStack
from stacks.monitoring_stack import MonitoringStack
from stacks.storage_stack import StorageStack

__all__ = ["SagewatchStacks", "compose"]


@dataclass(frozen=True)
class SagewatchStacks:
    storage: StorageStack
    endpoint: EndpointStack
    monitoring: MonitoringStack


def compose(scope: Construct, stage: StageConfig) -> SagewatchStacks:
    """StorageStack <- EndpointStack <- MonitoringStack, all in the stage's environment."""
    env = Environment(account=stage.account, region=stage.region) if stage.account or stage.region else None
    storage = StorageStack(scope, "Storage", stage=stage, env=env)
    endpoint = EndpointStack(scope, "Endpoint", stage=stage, env=env, storage=storage.storage)
    monitoring = MonitoringStack(scope, "Monitoring", stage=stage, env=env, storage=storage.storage,
                                 endpoint=endpoint.endpoint)
    return SagewatchStacks(storage=storage, endpoint=endpoint, monitoring=monitoring)
