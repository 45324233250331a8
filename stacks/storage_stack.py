"""StorageStack: the stateful resources (key and buckets), termination-protected on target aws."""

from __future__ import annotations

from aws_cdk import CfnOutput, Environment, Stack
from constructs import Construct

from stacks.components.storage import MonitoringStorage
from stacks.config import StageConfig

__all__ = ["StorageStack"]


class StorageStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, stage: StageConfig, env: Environment | None) -> None:
        super().__init__(scope, construct_id, env=env, stack_name=f"{stage.project}-storage",
                         termination_protection=stage.is_aws,
                         description="sagewatch: KMS key and buckets for captures, baselines, reports, ground truth")
        self.storage = MonitoringStorage(self, "Storage", props=stage.storage, retain=stage.is_aws)
        for name, bucket in (("CapturesBucketName", self.storage.captures),
                             ("BaselinesBucketName", self.storage.baselines),
                             ("ReportsBucketName", self.storage.reports),
                             ("GroundTruthBucketName", self.storage.ground_truth)):
            CfnOutput(self, name, value=bucket.bucket_name)
        CfnOutput(self, "DataKeyArn", value=self.storage.key.key_arn)
