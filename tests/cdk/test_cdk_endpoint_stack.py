"""EndpointStack: model per variant, DataCaptureConfig, A/B weights, least-privilege execution role."""

import json

import pytest
from aws_cdk.assertions import Match, Template

from sw_cdkhelpers import SERVING_IMAGE, resources_of_type, stage_for, synthesized


@pytest.fixture(scope="module")
def local():
    return Template.from_stack(synthesized("local")[1].endpoint)


@pytest.fixture(scope="module")
def ab_test():
    return Template.from_stack(synthesized("aws-ab-test")[1].endpoint)


def _import(name_part):
    return {"Fn::ImportValue": Match.string_like_regexp(f"sagewatch-storage:ExportsOutput.*{name_part}.*")}


def test_resource_counts(local, ab_test):
    local.resource_count_is("AWS::SageMaker::Model", 1)
    local.resource_count_is("AWS::SageMaker::EndpointConfig", 1)
    local.resource_count_is("AWS::SageMaker::Endpoint", 1)
    local.resource_count_is("AWS::IAM::Role", 1)
    ab_test.resource_count_is("AWS::SageMaker::Model", 2)


def test_endpoint_logical_id_is_fixed(local):
    assert local.to_json()["Resources"]["Endpoint"]["Type"] == "AWS::SageMaker::Endpoint"
    local.has_resource_properties("AWS::SageMaker::Endpoint", {
        "EndpointConfigName": {"Fn::GetAtt": [Match.string_like_regexp("CaptureEndpointEndpointConfig"),
                                              "EndpointConfigName"]}})


def test_endpoint_name_is_generated_unless_context_fixes_it(local):
    assert "EndpointName" not in local.to_json()["Resources"]["Endpoint"]["Properties"]
    stage = stage_for("local", overrides={"endpointName": "churn-endpoint"})
    assert stage.endpoint.endpoint_name == "churn-endpoint"


def test_data_capture_config(local):
    local.has_resource_properties("AWS::SageMaker::EndpointConfig", {
        "DataCaptureConfig": {
            "EnableCapture": True,
            "InitialSamplingPercentage": 100,
            "DestinationS3Uri": {"Fn::Join": ["", ["s3://", _import("CapturesBucket"), "/datacapture"]]},
            "KmsKeyId": _import("DataKey"),
            "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
            "CaptureContentTypeHeader": {"CsvContentTypes": ["text/csv"], "JsonContentTypes": ["application/json"]},
        },
        "KmsKeyId": _import("DataKey"),
    })


def test_local_model_uses_the_framework_image(local):
    local.has_resource_properties("AWS::SageMaker::Model", {"PrimaryContainer": {
        "Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3",
        "ModelDataUrl": {"Fn::Join": ["", ["s3://", _import("BaselinesBucket"), "/models/churn/model.tar.gz"]]},
    }})


def test_model_environment_comes_from_context():
    stage = stage_for("local", edit=lambda b: b["endpoint"].update(
        modelEnvironment={"SAGEMAKER_PROGRAM": "inference.py", "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code"}))
    assert stage.endpoint.environment == {"SAGEMAKER_PROGRAM": "inference.py",
                                          "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code"}


def test_ab_variants_carry_weights_and_their_own_models(ab_test):
    config = next(iter(ab_test.find_resources("AWS::SageMaker::EndpointConfig").values()))["Properties"]
    variants = {v["VariantName"]: v for v in config["ProductionVariants"]}
    assert {n: (v["InitialVariantWeight"], v["InitialInstanceCount"], v["InstanceType"]) for n, v in variants.items()} \
        == {"Champion": (0.9, 2, "ml.m5.large"), "Challenger": (0.1, 1, "ml.m5.large")}
    models = ab_test.find_resources("AWS::SageMaker::Model")
    urls = sorted(json.dumps(m["Properties"]["PrimaryContainer"]["ModelDataUrl"]) for m in models.values())
    assert any("s3://model-registry-bucket/churn/v2/model.tar.gz" in u for u in urls)
    assert all(m["Properties"]["PrimaryContainer"]["Image"] == SERVING_IMAGE for m in models.values())
    assert all("Environment" not in m["Properties"]["PrimaryContainer"] for m in models.values())


def _statements(template):
    policies = resources_of_type(template.to_json(), "AWS::IAM::Policy")
    return [s for p in policies.values() for s in p["Properties"]["PolicyDocument"]["Statement"]]


def _as_list(value):
    return value if isinstance(value, list) else [value]


def test_execution_role_is_least_privilege(local, ab_test):
    for template in (local, ab_test):
        statements = _statements(template)
        actions = [a for s in statements for a in _as_list(s["Action"])]
        assert not [a for a in actions if a in ("*", "s3:*", "kms:*", "sagemaker:*", "iam:*")]
        for statement in statements:  # "*" resources only for actions without resource-level permissions
            if "*" in _as_list(statement["Resource"]):
                assert set(_as_list(statement["Action"])) <= {"cloudwatch:PutMetricData", "ecr:GetAuthorizationToken"}
    role = next(iter(local.find_resources("AWS::IAM::Role").values()))["Properties"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "sagemaker.amazonaws.com"}
    assert "ManagedPolicyArns" not in role


def test_role_writes_captures_only_under_the_capture_prefix(local):
    text = json.dumps(_statements(local))
    assert '"/datacapture/*"' in text
    writes = [s for s in _statements(local) if "s3:PutObject" in _as_list(s["Action"])]
    assert writes and all("/datacapture/*" in json.dumps(s["Resource"]) for s in writes)


def test_role_reads_only_the_model_artifacts(ab_test):
    reads = [s for s in _statements(ab_test) if "s3:GetObject*" in _as_list(s["Action"])]
    text = json.dumps(reads)
    assert "/models/churn/model.tar.gz" in text
    assert "arn:\", {\"Ref\": \"AWS::Partition\"}, \":s3:::model-registry-bucket/churn/v2/model.tar.gz" in text


def test_role_pulls_only_the_serving_repository(ab_test):
    pulls = [s for s in _statements(ab_test) if "ecr:BatchGetImage" in _as_list(s["Action"])]
    assert len(pulls) == 1
    assert ":ecr:us-east-1:111122223333:repository/sagewatch-serving" in json.dumps(pulls[0]["Resource"])


def test_models_and_endpoint_wait_for_the_role_policy(local):
    resources = local.to_json()["Resources"]
    policy = next(k for k, v in resources.items() if v["Type"] == "AWS::IAM::Policy")
    for logical_id, resource in resources.items():
        if resource["Type"] in ("AWS::SageMaker::Model", "AWS::SageMaker::Endpoint"):
            assert policy in resource.get("DependsOn", []), logical_id
