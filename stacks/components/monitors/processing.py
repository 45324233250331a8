"""ProcessingMonitor: data-quality or model-quality monitoring without Model Monitor (an EventBridge schedule and a
Lambda).

For accounts where Model Monitor is closed to new customers: every scheduled event makes
``lambda/start_monitoring`` build the CreateProcessingJob requests a monitoring execution would make (same inputs,
outputs, environment and ``/opt/ml`` paths; contract §2.3, §4.2, §9) and start the first with the analyzer image;
for model quality that is the ground-truth merge job, and the Lambda starts the analysis job when SageMaker
reports the merge ``Completed``. A plain processing job has no platform step that publishes
``/opt/ml/output/metrics/cloudwatch``, so the analysis job writes its metric file to an extra output and the same
Lambda publishes it to CloudWatch when SageMaker reports the job ``Completed``. With ``runEngineInLambda`` the
data-quality Lambda runs the engine itself on ``/tmp`` for small windows (model quality always runs as jobs).
"""

from __future__ import annotations

from aws_cdk import Aws, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

from stacks.components.function import HandlerFunction
from stacks.components.monitors.common import MonitorContext
from stacks.config import METRIC_NAMESPACES, DataQualityProps, ModelQualityProps

__all__ = ["ProcessingMonitor", "INLINE_EVENT_SOURCE", "INLINE_EVENT_DETAIL_TYPE"]

INLINE_EVENT_SOURCE = "sagewatch.monitoring"
INLINE_EVENT_DETAIL_TYPE = "Sagewatch Monitoring Execution State Change"


class ProcessingMonitor(Construct):
    """One monitor type in processing mode: ``props`` is the type's props (data quality or model quality)."""

    def __init__(self, scope: Construct, construct_id: str, *, props: DataQualityProps | ModelQualityProps,
                 context: MonitorContext, schedule_name: str, variant_names: tuple[str, ...], captures: s3.IBucket,
                 capture_prefix: str, engine_layers: list[lambda_.ILayerVersion], log_retention_days: int,
                 removal) -> None:
        super().__init__(scope, construct_id)
        m, p = context.props, context.props.processing
        model_quality = isinstance(props, ModelQualityProps)
        self.kind = "model-quality" if model_quality else "data-quality"
        in_lambda = p.run_engine_in_lambda and not model_quality
        namespace = METRIC_NAMESPACES["modelQuality"] if model_quality else p.metrics_namespace
        self.metrics_namespace = namespace
        self.schedule_name = schedule_name
        self.job_name_prefix = schedule_name
        settings = {
            "endpoint_name": context.endpoint_name,
            "schedule_name": schedule_name,
            "variants": list(variant_names),
            "capture_s3_uri": f"s3://{captures.bucket_name}/{capture_prefix}",
            "baseline_constraints_uri": context.uri(props.baseline_constraints),
            "baseline_statistics_uri": None if model_quality else context.uri(props.baseline_statistics),
            "output_s3_uri": context.output_uri(self.kind),
            "image_uri": context.analyzer_image_uri,
            "role_arn": context.role.role_arn,
            "instance_type": m.instance_type,
            "instance_count": m.instance_count,
            "volume_size_gb": m.volume_size_gb,
            "max_runtime_seconds": m.max_runtime_seconds,
            "kms_key_id": context.key.key_arn,
            "window_hours": p.window_hours,
            "run_engine_in_lambda": in_lambda,
            "publish_cloudwatch_metrics": m.publish_cloudwatch_metrics,
            "metrics_namespace": namespace,
            "job_name_prefix": self.job_name_prefix,
            "event_source": INLINE_EVENT_SOURCE,
            "event_detail_type": INLINE_EVENT_DETAIL_TYPE,
        }
        if model_quality:
            settings.update({
                "monitoring_type": "ModelQuality", "problem_type": props.problem_type,
                "ground_truth_s3_uri": f"s3://{context.ground_truth.bucket_name}/{props.ground_truth_prefix}",
                "inference_attribute": props.inference_attribute,
                "probability_attribute": props.probability_attribute,
                "probability_threshold_attribute": props.probability_threshold,
                "start_time_offset": props.start_time_offset, "end_time_offset": props.end_time_offset})
        self.handler = HandlerFunction(
            self, "StartMonitoring", folder="start_monitoring",
            description=f"sagewatch: start a {self.kind} monitoring execution for the last window",
            environment={"SAGEWATCH_MONITORING_SETTINGS": Stack.of(self).to_json_string(settings)},
            layers=engine_layers, memory_mb=p.lambda_memory_mb if in_lambda else 256,
            timeout_seconds=p.lambda_timeout_seconds, log_retention_days=log_retention_days, removal=removal)
        function = self.handler.function

        self.schedule_rule = events.Rule(
            self, "ScheduleRule", description=f"sagewatch: run monitoring schedule {schedule_name}",
            schedule=events.Schedule.expression(m.schedule_expression),
            targets=[targets.LambdaFunction(function, retry_attempts=2)])
        self.completed_rule = None
        if not in_lambda:
            self.completed_rule = events.Rule(
                self, "JobCompletedRule",
                description=f"sagewatch: publish the CloudWatch metrics of {schedule_name} executions"
                + (" and start their analysis jobs once the ground-truth merge completed" if model_quality else ""),
                event_pattern=events.EventPattern(
                    source=["aws.sagemaker"], detail_type=["SageMaker Processing Job State Change"],
                    detail={"ProcessingJobStatus": ["Completed"],
                            "ProcessingJobName": [{"prefix": f"{self.job_name_prefix}-"}]}),
                targets=[targets.LambdaFunction(function, retry_attempts=2)])

        role = self.handler.role
        context.reports.grant_read_write(role, f"{m.output_prefix}/*")
        if model_quality:
            context.ground_truth.grant_read(role, f"{props.ground_truth_prefix}/*")  # which hours hold labels
        if in_lambda:
            captures.grant_read(role, f"{capture_prefix}/*")
            for ref in (props.baseline_constraints, props.baseline_statistics):
                if ref.bucket is None:
                    context.baselines.grant_read(role, ref.key)
                else:
                    s3.Bucket.from_bucket_name(self, f"Baseline{ref.key.replace('/', '')[:40]}",
                                               ref.bucket).grant_read(role, ref.key)
            role.add_to_policy(iam.PolicyStatement(
                actions=["events:PutEvents"],
                resources=[f"arn:{Aws.PARTITION}:events:{Aws.REGION}:{Aws.ACCOUNT_ID}:event-bus/default"]))
        else:
            role.add_to_policy(iam.PolicyStatement(
                actions=["sagemaker:CreateProcessingJob", "sagemaker:DescribeProcessingJob"],
                resources=[f"arn:{Aws.PARTITION}:sagemaker:{Aws.REGION}:{Aws.ACCOUNT_ID}:processing-job/"
                           f"{self.job_name_prefix}-*"]))
            context.role.grant_pass_role(role)
        context.key.grant_encrypt_decrypt(role)
        role.add_to_policy(iam.PolicyStatement(
            actions=["cloudwatch:PutMetricData"], resources=["*"],
            conditions={"StringEquals": {"cloudwatch:namespace": namespace}}))
        NagSuppressions.add_resource_suppressions(role, [NagPackSuppression(
            id="AwsSolutions-IAM5",
            reason="The function reads the capture objects of the window and the job's report objects (keys are "
                   "generated per hour), starts processing jobs whose names carry the schedule's prefix, uses the "
                   "one data key (GenerateDataKey*/ReEncrypt*) and publishes metrics (no resource ARN; limited to "
                   "one namespace).",
            applies_to=[
                {"regex": "/^Action::kms:(GenerateDataKey|ReEncrypt)\\*$/"},
                {"regex": "/^Action::s3:(Abort\\*|DeleteObject\\*|PutObject\\*|GetObject\\*|GetBucket\\*|List\\*)$/"},
                {"regex": "/^Resource::.*/\\*$/"},
                {"regex": "/^Resource::arn:.*:processing-job/.*-\\*$/"},
                "Resource::*",
            ],
        )], apply_to_children=True)
