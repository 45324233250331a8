"""AlertTopic: a KMS-encrypted SNS topic for alarms and retraining notices, with optional e-mail subscribers."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from stacks.config import AlertProps

__all__ = ["AlertTopic"]


class AlertTopic(Construct):
    """The topic has its own rotated key, whose policy lets CloudWatch alarms and EventBridge publish to it (a key in
    the storage stack would need a policy change there, i.e. a dependency from storage back to monitoring)."""

    def __init__(self, scope: Construct, construct_id: str, *, props: AlertProps, retain: bool) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self, "Key", description="sagewatch: alert topic", enable_key_rotation=True,
            pending_window=Duration.days(30 if retain else 7),
            removal_policy=RemovalPolicy.RETAIN if retain else RemovalPolicy.DESTROY)
        self.key.add_to_resource_policy(iam.PolicyStatement(
            sid="AllowAlarmAndEventDelivery",
            principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com"), iam.ServicePrincipal("events.amazonaws.com")],
            actions=["kms:Decrypt", "kms:GenerateDataKey*"], resources=["*"]))
        self.topic = sns.Topic(self, "Topic", display_name="sagewatch alerts", master_key=self.key, enforce_ssl=True)
        for email in props.emails:
            self.topic.add_subscription(subscriptions.EmailSubscription(email))
