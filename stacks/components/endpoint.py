"""CaptureEndpoint: a SageMaker real-time endpoint with data capture into the captures bucket."""

from __future__ import annotations

import re
from typing import Mapping

from aws_cdk import Aws, Stack
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

from stacks.config import EndpointProps, S3Ref, parse_image_uri
from stacks.naming import generate_unique_id

__all__ = ["CaptureEndpoint", "fixed_model_name", "grant_image_pull", "grant_s3_read", "policy_of", "s3_uri"]


class CaptureEndpoint(Construct):
    """``AWS::SageMaker::Model`` per production variant, one ``EndpointConfig`` with ``DataCaptureConfig``
    (contract §1.1) and the ``Endpoint``, run by a least-privilege execution role.

    The role may read the model artefacts (only their keys), write captures under the capture prefix, use the
    data key for capture and volume encryption, pull the serving image's repository and write the endpoint's
    logs. Weights of the variants split the traffic (A/B tests).
    """

    def __init__(self, scope: Construct, construct_id: str, *, props: EndpointProps, captures: s3.IBucket,
                 artifacts: s3.IBucket, key: kms.IKey, model_names: Mapping[str, str] | None = None) -> None:
        super().__init__(scope, construct_id)
        self.props = props
        # variant -> the model's fixed name, where something must know it at synthesis (Clarify's predictor)
        self.model_names: dict[str, str] = dict(model_names or {})
        self.role = iam.Role(self, "ExecutionRole", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
                             description="sagewatch endpoint: read model artefacts, write data capture")
        self.capture_prefix = props.capture.prefix
        self.capture_s3_uri = f"s3://{captures.bucket_name}/{props.capture.prefix}"

        captures.grant_put(self.role, f"{props.capture.prefix}/*")
        key.grant_encrypt_decrypt(self.role)
        key.grant(self.role, "kms:CreateGrant", "kms:DescribeKey")  # volume encryption of the instances
        read_refs = {props.model_data} | {v.model_data for v in props.variants if v.model_data}
        for index, ref in enumerate(sorted(read_refs, key=lambda r: (r.bucket or "", r.key))):
            grant_s3_read(self, f"ModelArtifacts{index}", self.role, ref, artifacts)
        for image in sorted({props.serving_image_uri} | {v.image_uri for v in props.variants if v.image_uri}):
            grant_image_pull(self, self.role, image)
        self.role.add_to_policy(iam.PolicyStatement(
            actions=["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
            resources=[f"arn:{Aws.PARTITION}:logs:{Aws.REGION}:{Aws.ACCOUNT_ID}:log-group:/aws/sagemaker/Endpoints/*"],
        ))
        self.role.add_to_policy(iam.PolicyStatement(
            actions=["cloudwatch:PutMetricData"], resources=["*"],
            conditions={"StringLike": {"cloudwatch:namespace": "/aws/sagemaker/Endpoints*"}},
        ))

        self.models: dict[str, sagemaker.CfnModel] = {}
        variants = []
        for variant in props.variants:
            model_data = variant.model_data or props.model_data
            model = sagemaker.CfnModel(
                self, f"Model{_pascal(variant.name)}",
                model_name=self.model_names.get(variant.name),
                execution_role_arn=self.role.role_arn,
                primary_container=sagemaker.CfnModel.ContainerDefinitionProperty(
                    image=variant.image_uri or props.serving_image_uri,
                    model_data_url=s3_uri(model_data, artifacts),
                    environment=props.environment or None,
                ),
            )
            model.node.add_dependency(policy_of(self.role))  # SageMaker checks access when it creates the model
            self.models[variant.name] = model
            variants.append(sagemaker.CfnEndpointConfig.ProductionVariantProperty(
                variant_name=variant.name,
                model_name=model.attr_model_name,
                initial_instance_count=variant.instance_count,
                instance_type=variant.instance_type,
                initial_variant_weight=variant.weight,
            ))
        capture = props.capture
        self.config = sagemaker.CfnEndpointConfig(
            self, "EndpointConfig",
            production_variants=variants,
            kms_key_id=key.key_arn,
            data_capture_config=sagemaker.CfnEndpointConfig.DataCaptureConfigProperty(
                enable_capture=True,
                initial_sampling_percentage=capture.sampling_percentage,
                destination_s3_uri=self.capture_s3_uri,
                kms_key_id=key.key_arn,
                capture_options=[sagemaker.CfnEndpointConfig.CaptureOptionProperty(capture_mode="Input"),
                                 sagemaker.CfnEndpointConfig.CaptureOptionProperty(capture_mode="Output")],
                capture_content_type_header=sagemaker.CfnEndpointConfig.CaptureContentTypeHeaderProperty(
                    csv_content_types=list(capture.csv_content_types),
                    json_content_types=list(capture.json_content_types),
                ),
            ),
        )
        self.endpoint = sagemaker.CfnEndpoint(
            self, "Endpoint",
            endpoint_config_name=self.config.attr_endpoint_config_name,
            endpoint_name=props.endpoint_name,
        )
        self.endpoint.override_logical_id("Endpoint")  # captures and schedules are keyed by the endpoint
        self.endpoint.node.add_dependency(policy_of(self.role))
        self.endpoint_name: str = self.endpoint.attr_endpoint_name
        self.variant_names: tuple[str, ...] = tuple(v.name for v in props.variants)

        NagSuppressions.add_resource_suppressions(list(self.models.values()), [NagPackSuppression(
            id="AwsSolutions-SM1",
            reason="The kit deploys into accounts whose VPC layout it does not own; the endpoint reaches only S3, "
                   "KMS, ECR and CloudWatch through the execution role. Add VpcConfig in a derived construct where "
                   "a VPC is mandated.",
        )])
        NagSuppressions.add_resource_suppressions(self.role, [NagPackSuppression(
            id="AwsSolutions-IAM5",
            reason="Wildcards are confined: capture objects under the capture prefix (object keys are generated "
                   "per hour), the endpoint's own log groups (the name is generated by CloudFormation), "
                   "kms:GenerateDataKey*/ReEncrypt* on the one data key, PutMetricData (which has no resource "
                   "ARN, limited by namespace) and ecr:GetAuthorizationToken (account-level, no resource).",
            applies_to=[
                {"regex": "/^Action::kms:(GenerateDataKey|ReEncrypt)\\*$/"},
                {"regex": "/^Action::s3:(Abort\\*|PutObject\\*|GetObject\\*|GetBucket\\*|List\\*)$/"},
                {"regex": "/^Resource::.*/(datacapture|[A-Za-z0-9._/-]+)/\\*$/"},
                {"regex": "/^Resource::<[A-Za-z0-9]+\\.Arn>/\\*$/"},
                {"regex": "/^Resource::arn:.*:log-group:/aws/sagemaker/Endpoints/\\*$/"},
                "Resource::*",
            ],
        )], apply_to_children=True)


def fixed_model_name(project: str, target: str, props: EndpointProps, variant_name: str) -> str:
    """A name for the model of ``variant_name`` that changes whenever the model does: every property of a model
    requires its replacement, and a replaced resource with a fixed name needs a new name."""
    variant = next(v for v in props.variants if v.name == variant_name)
    return generate_unique_id(f"{project}-model", target, variant.name, variant.image_uri or props.serving_image_uri,
                              variant.model_data or props.model_data, props.model_environment)


def policy_of(role: iam.Role) -> Construct:
    """The role's default policy: resources that SageMaker validates at creation must wait for it (the role
    itself is already a dependency through its ARN)."""
    policy = role.node.try_find_child("DefaultPolicy")
    if policy is None:
        raise ValueError(f"{role.node.path} has no policy yet; grant before creating the resources that use it")
    return policy


def s3_uri(ref: S3Ref, default_bucket: s3.IBucket) -> str:
    """The ``s3://`` URI of a context S3 reference; bare keys live in the kit's baselines bucket."""
    bucket = ref.bucket if ref.bucket is not None else default_bucket.bucket_name
    return f"s3://{bucket}/{ref.key}"


def grant_s3_read(scope: Construct, construct_id: str, grantee: iam.IGrantable, ref: S3Ref,
                  default_bucket: s3.IBucket) -> None:
    """Read access to one object (or prefix) named by a context S3 reference."""
    pattern = ref.key if "." in ref.key.rsplit("/", 1)[-1] else f"{ref.key}/*"
    if ref.bucket is None:
        default_bucket.grant_read(grantee, pattern)
    else:
        s3.Bucket.from_bucket_name(scope, construct_id, ref.bucket).grant_read(grantee, pattern)


def grant_image_pull(scope: Construct, grantee: iam.IGrantable, image_uri: str) -> None:
    """Pull access to the ECR repository of ``image_uri`` (any account: AWS-owned framework images need none,
    and a grant on them is harmless)."""
    parsed = parse_image_uri(image_uri)
    if parsed is None:
        return
    construct_id = "Repository" + re.sub(r"[^A-Za-z0-9]", "", parsed["account"] + parsed["repository"])
    existing = Stack.of(scope).node.try_find_child(construct_id)
    repository = existing or ecr.Repository.from_repository_attributes(
        Stack.of(scope), construct_id, repository_name=parsed["repository"],
        repository_arn=f"arn:{Aws.PARTITION}:ecr:{parsed['region']}:{parsed['account']}:repository/"
                       f"{parsed['repository']}")
    repository.grant_pull(grantee)  # type: ignore[union-attr]


def _pascal(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", name) if part)
