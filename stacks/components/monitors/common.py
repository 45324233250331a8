"""What every monitor needs: the monitoring execution role, analyzer images, names and the schedule."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_cdk import Aws, CfnMapping, Stack, Token
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

from stacks.components.endpoint import grant_image_pull, grant_s3_read, policy_of, s3_uri
from stacks.config import MonitoringProps, S3Ref
from stacks.naming import generate_unique_id

__all__ = ["ANALYZER_IMAGE_ACCOUNTS", "CLARIFY_IMAGE_ACCOUNTS", "ENDPOINT_LOCAL_PATH", "OUTPUT_LOCAL_PATH",
           "MonitorContext", "MonitoringRole", "builtin_image_uri", "schedule_name", "monitoring_schedule",
           "endpoint_input", "ground_truth_input", "job_output_config", "job_resources", "stopping_condition",
           "schedule_job_definition"]

# SageMaker's own images, by region (contract §10; SDK image_uri_config/model-monitor.json and clarify.json).
ANALYZER_IMAGE_ACCOUNTS = {
    "us-east-1": "156813124566", "us-east-2": "777275614652", "us-west-2": "159807026194",
    "eu-west-1": "468650794304", "eu-central-1": "048819808253",
}
# Clarify: image_uri_config/clarify.json of the SDK (sagemaker-clarify-processing 1.0), the public and China
# regions (the classified us-isof regions are left out).
CLARIFY_IMAGE_ACCOUNTS = {
    "af-south-1": "811711786498", "ap-east-1": "098760798382", "ap-northeast-1": "377024640650",
    "ap-northeast-2": "263625296855", "ap-northeast-3": "912233562940", "ap-south-1": "452307495513",
    "ap-southeast-1": "834264404009", "ap-southeast-2": "007051062584", "ap-southeast-3": "705930551576",
    "ca-central-1": "675030665977", "cn-north-1": "122526803553", "cn-northwest-1": "122578899357",
    "eu-central-1": "017069133835", "eu-central-2": "730335477804", "eu-north-1": "763603941244",
    "eu-south-1": "638885417683", "eu-west-1": "131013547314", "eu-west-2": "440796970383",
    "eu-west-3": "341593696636", "me-south-1": "835444307964", "sa-east-1": "520018980103",
    "us-east-1": "205585389593", "us-east-2": "211330385671", "us-gov-west-1": "598674086554",
    "us-west-1": "740489534195", "us-west-2": "306415355426",
}
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
                                  _stable(self.analyzer_image_uri), _stable(self.clarify_image_uri or ""),
                                  self.props.instance_type,
                                  self.props.instance_count, self.props.volume_size_gb,
                                  self.props.max_runtime_seconds, self.props.publish_cloudwatch_metrics,
                                  self.props.output_prefix, *parts)


def _stable(image_uri: str) -> str:
    """An image URI for name hashing: a token (the region mapping of SageMaker's own image) has no stable text."""
    return "builtin" if Token.is_unresolved(image_uri) else image_uri


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
    if kind == "clarify":  # the China regions' registries are under amazonaws.com.cn
        suffix = Aws.URL_SUFFIX if region is None else "amazonaws.com.cn" if region.startswith("cn-") \
            else "amazonaws.com"
        return f"{account}.dkr.ecr.{region or Aws.REGION}.{suffix}/{repository}"
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


# The property blocks every job-definition type spells alike. ``J`` is the type's L1 class (e.g.
# ``aws_sagemaker.CfnModelBiasJobDefinition``): each type has its own property classes of the same shape.
def endpoint_input(J: Any, context: MonitorContext, **attributes: Any) -> Any:
    """``J.EndpointInputProperty`` reading the context's endpoint at the SDK's default local path, plus the
    type's ``attributes`` (``inference_attribute=``, ``features_attribute=``, ...; a ``None`` one is left out)."""
    return J.EndpointInputProperty(endpoint_name=context.endpoint_name, local_path=ENDPOINT_LOCAL_PATH,
                                   s3_input_mode="File", s3_data_distribution_type="FullyReplicated", **attributes)


def ground_truth_input(J: Any, context: MonitorContext, prefix: str) -> Any:
    """``J.MonitoringGroundTruthS3InputProperty``: the ground-truth records under ``prefix``."""
    return J.MonitoringGroundTruthS3InputProperty(s3_uri=f"s3://{context.ground_truth.bucket_name}/{prefix}")


def job_output_config(J: Any, context: MonitorContext, kind: str) -> Any:
    """``J.MonitoringOutputConfigProperty``: reports of monitor ``kind`` to the reports bucket, under the data key."""
    return J.MonitoringOutputConfigProperty(
        kms_key_id=context.key.key_arn,
        monitoring_outputs=[J.MonitoringOutputProperty(s3_output=J.S3OutputProperty(
            s3_uri=context.output_uri(kind), local_path=OUTPUT_LOCAL_PATH, s3_upload_mode="Continuous"))])


def job_resources(J: Any, context: MonitorContext) -> Any:
    """``J.MonitoringResourcesProperty``: the context's cluster, its volume under the data key."""
    m = context.props
    return J.MonitoringResourcesProperty(cluster_config=J.ClusterConfigProperty(
        instance_count=m.instance_count, instance_type=m.instance_type, volume_size_in_gb=m.volume_size_gb,
        volume_kms_key_id=context.key.key_arn))


def stopping_condition(J: Any, context: MonitorContext) -> Any:
    """``J.StoppingConditionProperty``: the context's maximum runtime."""
    return J.StoppingConditionProperty(max_runtime_in_seconds=context.props.max_runtime_seconds)


def schedule_job_definition(monitor: Any, context: MonitorContext, name: str) -> sagemaker.CfnMonitoringSchedule:
    """Schedule ``monitor.job_definition`` (a ``Schedule`` child of ``monitor`` named ``name``) once the
    monitoring role's policy exists: SageMaker checks the role's access when it creates the definition."""
    monitor.job_definition.node.add_dependency(policy_of(context.role))
    return monitoring_schedule(monitor, "Schedule", context=context, name=name,
                               monitoring_type=monitor.monitoring_type, job_definition=monitor.job_definition,
                               job_definition_name=monitor.job_definition_name)
