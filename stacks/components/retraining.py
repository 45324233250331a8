"""RetrainingTrigger: EventBridge rules on alarms and on monitoring executions with violations -> a Lambda that
records the event and starts the configured retraining action."""

from __future__ import annotations

from aws_cdk import Aws, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

from stacks.components.endpoint import grant_s3_read, s3_uri
from stacks.components.function import HandlerFunction
from stacks.config import RetrainingProps, S3Ref

__all__ = ["RetrainingTrigger", "RECORD_PREFIX"]

RECORD_PREFIX = "retraining"


class RetrainingTrigger(Construct):
    """Three event sources reach ``lambda/retraining``:

    - ``CloudWatch Alarm State Change`` to ``ALARM`` of the monitor alarms (contract §8.2);
    - ``SageMaker Processing Job State Change`` with status ``Completed`` whose output goes to the reports bucket's
      monitoring prefix (contract §8.1); whether ``ExitMessage`` is in the event is unconfirmed, so the handler
      checks it (or asks DescribeProcessingJob) for ``CompletedWithViolations``;
    - the ``sagewatch.monitoring`` events of in-Lambda monitoring runs, matched on their ``ExitMessage``.

    The handler writes a JSON record to ``reports/retraining/``, publishes it to the alert topic and starts the
    action of ``RetrainingProps.action``.
    """

    def __init__(self, scope: Construct, construct_id: str, *, props: RetrainingProps,
                 alarms: list[cloudwatch.IAlarm], topic: sns.ITopic, topic_key: kms.IKey, reports: s3.IBucket,
                 baselines: s3.IBucket, monitoring_output_prefix: str, inline_event: tuple[str, str] | None,
                 engine_layers: list[lambda_.ILayerVersion], log_retention_days: int, removal) -> None:
        super().__init__(scope, construct_id)
        template_uri = None
        if props.kind == "start-training-job-from-template":
            template = S3Ref.parse(props.argument or "", "RetrainingProps.action", "retraining.action")
            template_uri = s3_uri(template, baselines)
        settings = {
            "action": props.kind,
            "pipeline_name": props.argument if props.kind == "start-pipeline" else None,
            "training_template_uri": template_uri,
            "training_role_arn": props.training_role_arn,
            "topic_arn": topic.topic_arn,
            "reports_bucket": reports.bucket_name,
            "record_prefix": RECORD_PREFIX,
        }
        self.handler = HandlerFunction(
            self, "Handler", folder="retraining",
            description="sagewatch: record drift events and start the retraining action",
            environment={"SAGEWATCH_RETRAINING_SETTINGS": Stack.of(self).to_json_string(settings)},
            layers=engine_layers, log_retention_days=log_retention_days, removal=removal)
        function, role = self.handler.function, self.handler.role

        self.rules: dict[str, events.Rule] = {}
        if alarms:
            self.rules["alarm"] = events.Rule(
                self, "AlarmRule", description="sagewatch: a monitor alarm went into ALARM",
                event_pattern=events.EventPattern(
                    source=["aws.cloudwatch"], detail_type=["CloudWatch Alarm State Change"],
                    resources=[a.alarm_arn for a in alarms], detail={"state": {"value": ["ALARM"]}}),
                targets=[targets.LambdaFunction(function, retry_attempts=2)])
        self.rules["violations"] = events.Rule(
            self, "ViolationsRule", description="sagewatch: a monitoring execution completed (violations are "
                                                "checked by the handler)",
            event_pattern=events.EventPattern(
                source=["aws.sagemaker"], detail_type=["SageMaker Processing Job State Change"],
                detail={"ProcessingJobStatus": ["Completed"],
                        "ProcessingOutputConfig": {"Outputs": {"S3Output": {"S3Uri": [
                            {"prefix": f"s3://{reports.bucket_name}/{monitoring_output_prefix}/"}]}}}}),
            targets=[targets.LambdaFunction(function, retry_attempts=2)])
        if inline_event is not None:
            source, detail_type = inline_event
            self.rules["inline"] = events.Rule(
                self, "InlineViolationsRule", description="sagewatch: an in-Lambda monitoring run found violations",
                event_pattern=events.EventPattern(
                    source=[source], detail_type=[detail_type],
                    detail={"ExitMessage": [{"prefix": "CompletedWithViolations"}]}),
                targets=[targets.LambdaFunction(function, retry_attempts=2)])

        reports.grant_put(role, f"{RECORD_PREFIX}/*")
        topic.grant_publish(role)
        topic_key.grant(role, "kms:Decrypt", "kms:GenerateDataKey")
        sagemaker_arn = f"arn:{Aws.PARTITION}:sagemaker:{Aws.REGION}:{Aws.ACCOUNT_ID}"
        role.add_to_policy(iam.PolicyStatement(actions=["sagemaker:DescribeProcessingJob"],
                                               resources=[f"{sagemaker_arn}:processing-job/*"]))
        if props.kind == "start-pipeline":
            role.add_to_policy(iam.PolicyStatement(
                actions=["sagemaker:StartPipelineExecution"],
                resources=[f"{sagemaker_arn}:pipeline/{(props.argument or '').lower()}"]))
        if props.kind == "start-training-job-from-template":
            grant_s3_read(self, "TrainingTemplate", role,
                          S3Ref.parse(props.argument or "", "RetrainingProps.action", "retraining.action"), baselines)
            role.add_to_policy(iam.PolicyStatement(actions=["sagemaker:CreateTrainingJob"],
                                                   resources=[f"{sagemaker_arn}:training-job/*"]))
            role.add_to_policy(iam.PolicyStatement(
                actions=["iam:PassRole"], resources=[props.training_role_arn],
                conditions={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}))
        NagSuppressions.add_resource_suppressions(role, [NagPackSuppression(
            id="AwsSolutions-IAM5",
            reason="Records get one generated key each under the retraining prefix; the handler describes the "
                   "processing jobs named in incoming events and may create training jobs whose names carry a "
                   "timestamp; kms:GenerateDataKey*/ReEncrypt* apply to the one data key.",
            applies_to=[
                {"regex": "/^Action::kms:(GenerateDataKey|ReEncrypt)\\*$/"},
                {"regex": "/^Action::s3:(Abort\\*|PutObject\\*|GetObject\\*|GetBucket\\*|List\\*)$/"},
                {"regex": "/^Resource::.*/\\*$/"},
                {"regex": "/^Resource::arn:.*:(processing|training)-job/\\*$/"},
            ],
        )], apply_to_children=True)
