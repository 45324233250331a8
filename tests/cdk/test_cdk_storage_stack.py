"""StorageStack: key, buckets, encryption, TLS, lifecycle, removal policies and fixed logical IDs."""

import pytest
from aws_cdk.assertions import Match, Template

from stacks.components.storage import STATEFUL_LOGICAL_IDS
from sw_cdkhelpers import synthesized

DATA_BUCKETS = ("CapturesBucket", "BaselinesBucket", "ReportsBucket", "GroundTruthBucket")


@pytest.fixture(scope="module")
def local():
    app, stacks = synthesized("local")
    return stacks.storage, Template.from_stack(stacks.storage)


@pytest.fixture(scope="module")
def aws():
    app, stacks = synthesized("aws")
    return stacks.storage, Template.from_stack(stacks.storage)


def test_stateful_logical_ids_are_fixed(local, aws):
    for _, template in (local, aws):
        resources = template.to_json()["Resources"]
        for logical_id, resource_type in STATEFUL_LOGICAL_IDS.items():
            assert resources[logical_id]["Type"] == resource_type, logical_id
    assert STATEFUL_LOGICAL_IDS == {"DataKey": "AWS::KMS::Key", "AccessLogsBucket": "AWS::S3::Bucket",
                                    "CapturesBucket": "AWS::S3::Bucket", "BaselinesBucket": "AWS::S3::Bucket",
                                    "ReportsBucket": "AWS::S3::Bucket", "GroundTruthBucket": "AWS::S3::Bucket"}


def test_resource_counts(local):
    _, template = local
    template.resource_count_is("AWS::KMS::Key", 1)
    template.resource_count_is("AWS::S3::Bucket", 5)
    template.resource_count_is("AWS::S3::BucketPolicy", 5)
    template.resource_count_is("Custom::S3AutoDeleteObjects", 0)  # needs a Node.js Lambda: not used
    template.resource_count_is("AWS::Lambda::Function", 0)


def test_key_rotates(local):
    _, template = local
    template.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})


def test_data_buckets_use_the_kms_key_and_log_access(local):
    _, template = local
    resources = template.to_json()["Resources"]
    for logical_id in DATA_BUCKETS:
        properties = resources[logical_id]["Properties"]
        rule = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
        assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
        assert rule["ServerSideEncryptionByDefault"]["KMSMasterKeyID"] == {"Fn::GetAtt": ["DataKey", "Arn"]}
        assert rule["BucketKeyEnabled"] is True
        assert properties["LoggingConfiguration"]["DestinationBucketName"] == {"Ref": "AccessLogsBucket"}
        assert properties["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
    access_logs = resources["AccessLogsBucket"]["Properties"]
    assert access_logs["BucketEncryption"]["ServerSideEncryptionConfiguration"][0][
        "ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}


def test_every_bucket_policy_denies_plain_http(local):
    _, template = local
    policies = template.find_resources("AWS::S3::BucketPolicy")
    assert len(policies) == 5
    for policy in policies.values():
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        assert any(s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
                   for s in statements)


def test_versioning_where_data_must_not_be_lost(local, aws):
    def versioned(template):
        resources = template.to_json()["Resources"]
        return {k for k in DATA_BUCKETS if resources[k]["Properties"].get("VersioningConfiguration")}
    assert versioned(aws[1]) == {"BaselinesBucket", "GroundTruthBucket"}
    assert versioned(local[1]) == set()  # LocalStack would leave a versioned bucket behind on destroy


def test_lifecycle_rules_come_from_context(local, aws):
    for (stack, template), days in ((local, 30), (aws, 90)):
        rules = template.to_json()["Resources"]["CapturesBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
        assert rules[0]["ExpirationInDays"] == days
        assert rules[0]["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 7}
    reports = aws[1].to_json()["Resources"]["ReportsBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    assert reports[0]["ExpirationInDays"] == 400
    baselines = aws[1].to_json()["Resources"]["BaselinesBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    assert "ExpirationInDays" not in baselines[0] and baselines[0]["NoncurrentVersionExpiration"] == {
        "NoncurrentDays": 90}


def test_removal_policies_retain_on_aws_and_destroy_locally(local, aws):
    for logical_id in STATEFUL_LOGICAL_IDS:
        assert aws[1].to_json()["Resources"][logical_id]["DeletionPolicy"] == "Retain"
        assert local[1].to_json()["Resources"][logical_id]["DeletionPolicy"] == "Delete"


def test_termination_protection_only_on_aws(local, aws):
    assert aws[0].termination_protection is True
    assert local[0].termination_protection is False


def test_outputs_name_the_buckets(local):
    _, template = local
    template.has_output("CapturesBucketName", {"Value": {"Ref": "CapturesBucket"}})
    template.has_output("DataKeyArn", {"Value": {"Fn::GetAtt": ["DataKey", "Arn"]}})
    template.has_output("BaselinesBucketName", Match.any_value())
