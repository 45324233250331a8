"""MonitoringStorage: the KMS key and the buckets that hold captures, baselines, reports and ground truth."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from stacks.config import StorageProps

__all__ = ["MonitoringStorage", "STATEFUL_LOGICAL_IDS"]

# Logical IDs of the stateful resources. They never change once released: a new ID would replace the
# resource and lose its data. tests/cdk/test_storage_stack.py pins them.
STATEFUL_LOGICAL_IDS = {
    "DataKey": "AWS::KMS::Key",
    "AccessLogsBucket": "AWS::S3::Bucket",
    "CapturesBucket": "AWS::S3::Bucket",
    "BaselinesBucket": "AWS::S3::Bucket",
    "ReportsBucket": "AWS::S3::Bucket",
    "GroundTruthBucket": "AWS::S3::Bucket",
}


class MonitoringStorage(Construct):
    """One customer-managed key (rotated) and five buckets.

    - ``captures``: data capture of the endpoint; expires after ``capture_expiration_days``; not versioned (it is
      high-volume and re-creatable by capturing again).
    - ``baselines``: baseline statistics/constraints, analysis configs, model artefacts and templates; versioned
      (target aws), since a lost baseline cannot be rebuilt without the training data.
    - ``reports``: monitoring outputs and retraining records; expire after ``report_expiration_days``.
    - ``ground_truth``: labels for model-quality and bias monitors; versioned (target aws).
    - ``access_logs``: S3 server access logs of the four buckets above (SSE-S3: log delivery cannot use SSE-KMS).

    Every bucket blocks public access, enforces TLS and aborts incomplete multipart uploads. ``retain`` selects
    ``RemovalPolicy.RETAIN`` (target aws) or ``DESTROY`` (target local; LocalStack empties a bucket when it
    deletes it, so no auto-delete custom resource, which would need a Node.js Lambda, is used). Versioning is on
    only where data is retained: LocalStack 4.13.1 does not delete the old versions of a bucket it deletes, so a
    versioned local bucket would outlive ``cdk destroy``.
    """

    def __init__(self, scope: Construct, construct_id: str, *, props: StorageProps, retain: bool) -> None:
        super().__init__(scope, construct_id)
        self._removal = RemovalPolicy.RETAIN if retain else RemovalPolicy.DESTROY
        self._versioning = retain
        self.key = kms.Key(
            self, "DataKey",
            description="sagewatch: data capture, baselines, monitoring reports and ground truth",
            enable_key_rotation=True,
            pending_window=Duration.days(30 if retain else 7),
            removal_policy=self._removal,
        )
        _fix_logical_id(self.key, "DataKey")

        self.access_logs = s3.Bucket(
            self, "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[s3.LifecycleRule(id="expire-access-logs",
                                              expiration=Duration.days(props.access_log_expiration_days),
                                              abort_incomplete_multipart_upload_after=Duration.days(7))],
            removal_policy=self._removal,
        )
        _fix_logical_id(self.access_logs, "AccessLogsBucket")  # cdk-nag S1 accepts a log-destination bucket

        self.captures = self._bucket("Captures", "CapturesBucket", versioned=False,
                                     expiration_days=props.capture_expiration_days, props=props)
        self.baselines = self._bucket("Baselines", "BaselinesBucket", versioned=True, expiration_days=None,
                                      props=props)
        self.reports = self._bucket("Reports", "ReportsBucket", versioned=False,
                                    expiration_days=props.report_expiration_days, props=props)
        self.ground_truth = self._bucket("GroundTruth", "GroundTruthBucket", versioned=True, expiration_days=None,
                                         props=props)

    def _bucket(self, construct_id: str, logical_id: str, *, versioned: bool, expiration_days: int | None,
                props: StorageProps) -> s3.Bucket:
        rule = s3.LifecycleRule(
            id=f"{construct_id.lower()}-lifecycle",
            expiration=Duration.days(expiration_days) if expiration_days else None,
            noncurrent_version_expiration=Duration.days(props.noncurrent_version_expiration_days)
            if versioned and self._versioning else None,
            abort_incomplete_multipart_upload_after=Duration.days(7),
        )
        bucket = s3.Bucket(
            self, construct_id,
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.key,
            bucket_key_enabled=True,
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            versioned=versioned and self._versioning,
            lifecycle_rules=[rule],
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix=f"{construct_id.lower()}/",
            removal_policy=self._removal,
        )
        _fix_logical_id(bucket, logical_id)
        return bucket


def _fix_logical_id(construct: Construct, logical_id: str) -> None:
    construct.node.default_child.override_logical_id(logical_id)  # type: ignore[union-attr]
