"""What every monitor needs: the monitoring execution role, analyzer images, names and the schedule."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Aws, CfnMapping, Stack, Token
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

from stacks.components.endpoint import grant_image_pull, grant_s3_read, s3_uri
from stacks.config import MonitoringProps, S3Ref
from stacks.naming import generate_unique_id

__all__ = ["ANALYZER_IMAGE_ACCOUNTS", "CLARIFY_IMAGE_ACCOUNTS", "ENDPOINT_LOCAL_PATH", "OUTPUT_LOCAL_PATH",
           "MonitorContext", "MonitoringRole", "builtin_image_uri", "schedule_name", "monitoring_schedule"]

# SageMaker's own images, by region (contract §10; SDK image_uri_config/model-monitor.json and clarify.json).
ANALYZER_IMAGE_ACCOUNTS = {
    "us-east-1": "156813124566", "us-east-2": "777275614652", "us-west-2": "159807026194",
    "eu-west-1": "468650794304", "eu-central-1": "048819808253",
}
CLARIFY_IMAGE_ACCOUNTS = {"us-east-1": "205585389593", "us-west-2": "306415355426"}
ENDPOINT_LOCAL_PATH = "/opt/ml/processing/input/endpoint"  # SDK default EndpointInput.LocalPath (contract §4.1)
OUTPUT_LOCAL_PATH = "/opt/ml/processing/output"


@dataclass(frozen=True)
class MonitorContext:
    """Resources and settings shared by the monitors of one endpoint (built by MonitoringStack)."""

    project: str
    target: str
    endpoint_name: str  # a token: the endpoint's generated name
    endpoint_name_seed: str  # what the endpoint name is derived from (for deterministic names)
    props: MonitoringProps
    role: iam.Role
    key: kms.IKey
    baselines: s3.IBucket
    reports: s3.IBucket
    ground_truth: s3.IBucket
    analyzer_image_uri: str
    clarify_image_uri: str | None

    def uri(self, ref: S3Ref) -> str:
        return s3_uri(ref, self.baselines)

    def output_uri(self, kind: str) -> str:
        return f"s3://{self.reports.bucket_name}/{self.props.output_prefix}/{kind}"

    def environment(self) -> dict[str, str]:
        return {"publish_cloudwatch_metrics": "Enabled" if self.props.publish_cloudwatch_metrics else "Disabled"}

    def job_definition_name(self, kind: str, *parts: object) -> str:
        """Changes whenever the definition changes: definitions are immutable, so CloudFormation replaces them,
        and a replacement needs a new name."""
        return generate_unique_id(f"{self.project}-{kind}", self.target, self.endpoint_name_seed,
                                  self.analyzer_image_uri if not Token.is_unresolved(self.analyzer_image_uri)
                                  else "builtin", self.clarify_image_uri or "", self.props.instance_type,
                                  self.props.instance_count, self.props.volume_size_gb,
                                  self.props.max_runtime_seconds, self.props.publish_cloudwatch_metrics,
                                  self.props.output_prefix, *parts)


def schedule_name(project: str, target: str, endpoint_name_seed: str, kind: str) -> str:
    """Stable for the life of the endpoint: alarms and dashboards use it as the MonitoringSchedule dimension."""
    return generate_unique_id(f"{project}-{kind}", target, endpoint_name_seed, kind)


def builtin_image_uri(scope: Construct, kind: str, region: str | None) -> str:
    """SageMaker's analyzer (``kind="analyzer"``) or Clarify (``"clarify"``) image for the stack's region,
    through a region -> account ``CfnMapping`` as the AWS samples do."""
    accounts, repository, mapping_id, prop, key = {
        "analyzer": (ANALYZER_IMAGE_ACCOUNTS, "sagemaker-model-monitor-analyzer", "SageMakerAnalyzerImageAccounts",
                     "MonitoringProps.analyzer_image_uri", "monitoring.analyzerImageUri"),
        "clarify": (CLARIFY_IMAGE_ACCOUNTS, "sagemaker-clarify-processing:1.0", "SageMakerClarifyImageAccounts",
                    "MonitoringProps.clarify_image_uri", "monitoring.clarifyImageUri"),
    }[kind]
    if region is not None and region not in accounts:
        raise ValueError(f"{prop} (context {key}) is required in region {region}: SageMaker's {kind} image is "
                         f"known for {sorted(accounts)} only")
    stack = Stack.of(scope)
    mapping = stack.node.try_find_child(mapping_id) or CfnMapping(
        stack, mapping_id, mapping={r: {"account": a} for r, a in sorted(accounts.items())}, lazy=True)
    account = mapping.find_in_map(region or Aws.REGION, "account")  # type: ignore[union-attr]
    return f"{account}.dkr.ecr.{region or Aws.REGION}.amazonaws.com/{repository}"


class MonitoringRole(Construct):
    """The execution role of monitoring jobs: read captures, baselines and ground truth, write reports under the
    monitoring prefix, use the data key, publish SageMaker monitoring metrics and write processing-job logs."""

    def __init__(self, scope: Construct, construct_id: str, *, props: MonitoringProps, captures: s3.IBucket,
                 capture_prefix: str, baselines: s3.IBucket, reports: s3.IBucket, ground_truth: s3.IBucket,
                 key: kms.IKey, baseline_refs: tuple[S3Ref, ...], image_uris: tuple[str, ...]) -> None:
        super().__init__(scope, construct_id)
        self.role = iam.Role(self, "Role", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
                             description="sagewatch monitoring jobs: read captures and baselines, write reports")
        captures.grant_read(self.role, f"{capture_prefix}/*")
        reports.grant_read_write(self.role, f"{props.output_prefix}/*")
        if props.model_quality or props.model_bias:
            ground_truth.grant_read(self.role)
        for index, ref in enumerate(sorted(set(baseline_refs), key=lambda r: (r.bucket or "", r.key))):
            grant_s3_read(self, f"Baseline{index}", self.role, ref, baselines)
        key.grant_encrypt_decrypt(self.role)
        key.grant(self.role, "kms:CreateGrant", "kms:DescribeKey")
        for image in image_uris:
            grant_image_pull(self, self.role, image)
        self.role.add_to_policy(iam.PolicyStatement(
            actions=["cloudwatch:PutMetricData"], resources=["*"],
            conditions={"StringLike": {"cloudwatch:namespace": ["aws/sagemaker/Endpoints/*",
                                                                "aws/sagemaker/ModelMonitoring/*"]}},
        ))
        self.role.add_to_policy(iam.PolicyStatement(
            actions=["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
            resources=[f"arn:{Aws.PARTITION}:logs:{Aws.REGION}:{Aws.ACCOUNT_ID}:log-group:/aws/sagemaker/"
                       "ProcessingJobs*"],
        ))
        NagSuppressions.add_resource_suppressions(self.role, [NagPackSuppression(
            id="AwsSolutions-IAM5",
            reason="Monitoring jobs read every capture object of the window (keys are generated per hour) and write "
                   "reports under per-execution prefixes; kms:GenerateDataKey*/ReEncrypt* apply to the one data key; "
                   "PutMetricData has no resource ARN and is limited by namespace; processing-job log groups and "
                   "ecr:GetAuthorizationToken have no narrower resource.",
            applies_to=[
                {"regex": "/^Action::kms:(GenerateDataKey|ReEncrypt)\\*$/"},
                {"regex": "/^Action::s3:(Abort\\*|DeleteObject\\*|PutObject\\*|GetObject\\*|GetBucket\\*|List\\*)$/"},
                {"regex": "/^Resource::.*/\\*$/"},
                {"regex": "/^Resource::arn:.*:log-group:/aws/sagemaker/ProcessingJobs\\*$/"},
                "Resource::*",
            ],
        )], apply_to_children=True)


def monitoring_schedule(scope: Construct, construct_id: str, *, context: MonitorContext, name: str,
                        monitoring_type: str, job_definition: sagemaker.CfnResource | object,
                        job_definition_name: str) -> sagemaker.CfnMonitoringSchedule:
    """A schedule that runs ``job_definition`` on the context's cron expression."""
    schedule = sagemaker.CfnMonitoringSchedule(
        scope, construct_id,
        monitoring_schedule_name=name,
        endpoint_name=context.endpoint_name,
        monitoring_schedule_config=sagemaker.CfnMonitoringSchedule.MonitoringScheduleConfigProperty(
            monitoring_job_definition_name=job_definition_name,
            monitoring_type=monitoring_type,
            schedule_config=sagemaker.CfnMonitoringSchedule.ScheduleConfigProperty(
                schedule_expression=context.props.schedule_expression),
        ),
    )
    schedule.node.add_dependency(job_definition)  # referenced by name, so the dependency is explicit
    return schedule
