"""CloudFormation stacks of SageMaker resources on the emulator, deployed with boto3 as a user deploys them.

One template holds a Model (a scikit-learn model in S3), an EndpointConfig with data capture, an Endpoint, a
DataQualityJobDefinition and a MonitoringSchedule, wired with Ref and Fn::GetAtt. The tests check that the stack
reaches CREATE_COMPLETE, that each resource exists in the SageMaker API as the template says (the "fallback"
trap of localstack-plugin.md §5.3 would also report CREATE_COMPLETE), that the outputs resolve, that new variant
weights replace the EndpointConfig and update the Endpoint in place, that deleting the stack removes everything,
and that a failing resource rolls the stack back with the reason in its events.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from sw_endpoints import (
    ROLE,
    SKLEARN_IMAGE,
    constant_model_tarball,
    server_processes,
    tar_gz,
    trained_model_tarball,
    wait_until,
)

pytestmark = pytest.mark.e2e

ANALYZER = "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer"
STACK_TIMEOUT = 240.0
ARN_PREFIX = "arn:aws:sagemaker:us-east-1:000000000000"


# --- template -------------------------------------------------------------------------------------------------


def monitoring_template(*, image: str = SKLEARN_IMAGE) -> dict[str, Any]:
    """Model -> EndpointConfig (capture) -> Endpoint -> DataQualityJobDefinition -> MonitoringSchedule.

    Values are written as templates and the CDK write them: numbers and booleans as strings, names from
    ``Fn::GetAtt``, no physical names except the schedule's (the real schema requires it).
    """
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Parameters": {
            "ModelDataUrl": {"Type": "String"},
            "Bucket": {"Type": "String"},
            "ScheduleName": {"Type": "String"},
            "Weight": {"Type": "String", "Default": "1.0"},
        },
        "Resources": {
            "Model": {
                "Type": "AWS::SageMaker::Model",
                "Properties": {
                    "ExecutionRoleArn": ROLE,
                    "PrimaryContainer": {"Image": image, "ModelDataUrl": {"Ref": "ModelDataUrl"},
                                         "Environment": {"SAGEMAKER_CONTAINER_LOG_LEVEL": 20}},
                    "Tags": [{"Key": "team", "Value": "monitoring"}],
                },
            },
            "EndpointConfig": {
                "Type": "AWS::SageMaker::EndpointConfig",
                "Properties": {
                    "ProductionVariants": [{
                        "VariantName": "AllTraffic",
                        "ModelName": {"Fn::GetAtt": ["Model", "ModelName"]},
                        "InitialInstanceCount": "1",
                        "InstanceType": "ml.m5.large",
                        "InitialVariantWeight": {"Ref": "Weight"},
                    }],
                    "DataCaptureConfig": {
                        "EnableCapture": "true",
                        "InitialSamplingPercentage": "100",
                        "DestinationS3Uri": {"Fn::Sub": "s3://${Bucket}/capture"},
                        "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
                        "CaptureContentTypeHeader": {"CsvContentTypes": ["text/csv"]},
                    },
                },
            },
            "Endpoint": {
                "Type": "AWS::SageMaker::Endpoint",
                "Properties": {
                    "EndpointConfigName": {"Fn::GetAtt": ["EndpointConfig", "EndpointConfigName"]},
                    "Tags": [{"Key": "stage", "Value": "e2e"}],
                },
            },
            "DataQuality": {
                "Type": "AWS::SageMaker::DataQualityJobDefinition",
                "Properties": {
                    "DataQualityAppSpecification": {"ImageUri": ANALYZER},
                    "DataQualityBaselineConfig": {
                        "ConstraintsResource": {"S3Uri": {"Fn::Sub": "s3://${Bucket}/baseline/constraints.json"}},
                        "StatisticsResource": {"S3Uri": {"Fn::Sub": "s3://${Bucket}/baseline/statistics.json"}},
                    },
                    "DataQualityJobInput": {"EndpointInput": {
                        "EndpointName": {"Fn::GetAtt": ["Endpoint", "EndpointName"]},
                        "LocalPath": "/opt/ml/processing/input/endpoint",
                        "S3InputMode": "File",
                    }},
                    "DataQualityJobOutputConfig": {"MonitoringOutputs": [{"S3Output": {
                        "S3Uri": {"Fn::Sub": "s3://${Bucket}/reports"},
                        "LocalPath": "/opt/ml/processing/output",
                        "S3UploadMode": "EndOfJob",
                    }}]},
                    "JobResources": {"ClusterConfig": {"InstanceCount": "1", "InstanceType": "ml.m5.xlarge",
                                                       "VolumeSizeInGB": "20"}},
                    "RoleArn": ROLE,
                    "StoppingCondition": {"MaxRuntimeInSeconds": "1800"},
                },
            },
            "Schedule": {
                "Type": "AWS::SageMaker::MonitoringSchedule",
                "Properties": {
                    "MonitoringScheduleName": {"Ref": "ScheduleName"},
                    "MonitoringScheduleConfig": {
                        "MonitoringJobDefinitionName": {"Fn::GetAtt": ["DataQuality", "JobDefinitionName"]},
                        "MonitoringType": "DataQuality",
                        "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"},
                    },
                    "Tags": [{"Key": "team", "Value": "monitoring"}],
                },
            },
        },
        "Outputs": {
            "ModelName": {"Value": {"Fn::GetAtt": ["Model", "ModelName"]}},
            "ModelRef": {"Value": {"Ref": "Model"}},
            "EndpointConfigName": {"Value": {"Fn::GetAtt": ["EndpointConfig", "EndpointConfigName"]}},
            "EndpointName": {"Value": {"Fn::GetAtt": ["Endpoint", "EndpointName"]}},
            "EndpointRef": {"Value": {"Ref": "Endpoint"}},
            "JobDefinitionArn": {"Value": {"Fn::GetAtt": ["DataQuality", "JobDefinitionArn"]}},
            "JobDefinitionName": {"Value": {"Fn::GetAtt": ["DataQuality", "JobDefinitionName"]}},
            "JobDefinitionCreationTime": {"Value": {"Fn::GetAtt": ["DataQuality", "CreationTime"]}},
            "JobDefinitionRef": {"Value": {"Ref": "DataQuality"}},
            "ScheduleArn": {"Value": {"Fn::GetAtt": ["Schedule", "MonitoringScheduleArn"]}},
            "ScheduleStatus": {"Value": {"Fn::GetAtt": ["Schedule", "MonitoringScheduleStatus"]}},
            "ScheduleCreationTime": {"Value": {"Fn::GetAtt": ["Schedule", "CreationTime"]}},
        },
    }


# --- helpers --------------------------------------------------------------------------------------------------


def wait_for_stack(cfn: Any, stack: str, timeout: float = STACK_TIMEOUT) -> dict[str, Any]:
    """Poll DescribeStacks until the stack's status is no longer ``*_IN_PROGRESS``; the last description."""
    deadline = time.monotonic() + timeout
    while True:
        described = cfn.describe_stacks(StackName=stack)["Stacks"][0]
        if not described["StackStatus"].endswith("_IN_PROGRESS"):
            return described
        if time.monotonic() > deadline:
            raise AssertionError(f"stack {stack} still {described['StackStatus']} after {timeout:g} s")
        time.sleep(0.5)


def outputs(described: dict[str, Any]) -> dict[str, str]:
    return {item["OutputKey"]: item["OutputValue"] for item in described.get("Outputs", [])}


def parameters(**values: str) -> list[dict[str, str]]:
    return [{"ParameterKey": key, "ParameterValue": value} for key, value in values.items()]


def failure_events(cfn: Any, stack: str) -> dict[str, str]:
    """``{logical id: reason}`` of the stack's ``*_FAILED`` resource events."""
    events = cfn.describe_stack_events(StackName=stack)["StackEvents"]
    return {event["LogicalResourceId"]: event.get("ResourceStatusReason", "") for event in events
            if event["ResourceStatus"].endswith("_FAILED") and event["LogicalResourceId"] != stack}


def error_code(call: Callable[[], Any]) -> str:
    with pytest.raises(ClientError) as caught:
        call()
    return caught.value.response["Error"]["Code"]


class Stacks:
    """Stacks of one test module, deleted (and waited for) afterwards, before their bucket."""

    def __init__(self, aws_client: Callable[[str], Any], bucket: str, unique_name: Callable[[str], str]) -> None:
        self.cfn, self.s3 = aws_client("cloudformation"), aws_client("s3")
        self.bucket, self.unique_name = bucket, unique_name
        self.ids: list[str] = []

    def upload(self, key: str, body: bytes) -> str:
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=body)
        return f"s3://{self.bucket}/{key}"

    def create(self, template: dict[str, Any], **values: str) -> tuple[str, dict[str, Any]]:
        name = self.unique_name("stack")
        self.cfn.create_stack(StackName=name, TemplateBody=json.dumps(template), Parameters=parameters(**values))
        described = wait_for_stack(self.cfn, name)
        self.ids.append(described["StackId"])
        return name, described

    def cleanup(self) -> None:
        for stack_id in self.ids:
            try:
                self.cfn.delete_stack(StackName=stack_id)
                wait_for_stack(self.cfn, stack_id)
            except (ClientError, AssertionError):
                pass


@pytest.fixture(scope="module")
def module_bucket(aws_client: Callable[[str], Any]) -> Iterator[str]:
    s3 = aws_client("s3")
    name = f"sw-cfn-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=name)
    yield name
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=name):
        for item in page.get("Contents", []):
            s3.delete_object(Bucket=name, Key=item["Key"])
    s3.delete_bucket(Bucket=name)


@pytest.fixture(scope="module")
def stacks(aws_client: Callable[[str], Any], module_bucket: str) -> Iterator[Stacks]:
    kit = Stacks(aws_client, module_bucket, lambda prefix: f"sw-{prefix}-{uuid.uuid4().hex[:8]}")
    yield kit
    kit.cleanup()


@pytest.fixture(scope="module")
def deployed(stacks: Stacks) -> dict[str, Any]:
    """The monitoring stack, created once for the module: ``{"stack", "schedule", "model_data", "described"}``."""
    model_data = stacks.upload("model/model.tar.gz", trained_model_tarball())
    stacks.upload("baseline/constraints.json", b'{"version": 0.0, "features": []}')
    stacks.upload("baseline/statistics.json", b'{"version": 0.0, "dataset": {"item_count": 0}, "features": []}')
    schedule = stacks.unique_name("schedule")
    stack, described = stacks.create(monitoring_template(), ModelDataUrl=model_data, Bucket=stacks.bucket,
                                     ScheduleName=schedule)
    return {"stack": stack, "schedule": schedule, "model_data": model_data, "described": described}


# --- create ---------------------------------------------------------------------------------------------------


def test_stack_with_every_resource_type_reaches_create_complete(deployed, stacks):
    described = deployed["described"]
    assert described["StackStatus"] == "CREATE_COMPLETE", failure_events(stacks.cfn, deployed["stack"])
    resources = stacks.cfn.describe_stack_resources(StackName=deployed["stack"])["StackResources"]
    assert {r["LogicalResourceId"]: r["ResourceStatus"] for r in resources} == dict.fromkeys(
        ["Model", "EndpointConfig", "Endpoint", "DataQuality", "Schedule"], "CREATE_COMPLETE")
    physical = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources}
    assert physical["Model"].startswith(f"{ARN_PREFIX}:model/")
    assert physical["Endpoint"].startswith(f"{ARN_PREFIX}:endpoint/")
    assert physical["DataQuality"].startswith(f"{ARN_PREFIX}:data-quality-job-definition/")
    assert physical["Schedule"] == f"{ARN_PREFIX}:monitoring-schedule/{deployed['schedule']}"


def test_outputs_resolve_ref_to_arns_and_getatt_to_names(deployed):
    values = outputs(deployed["described"])
    stack = deployed["stack"]
    assert values["ModelName"].startswith(f"{stack}-Model-")
    assert values["ModelRef"] == f"{ARN_PREFIX}:model/{values['ModelName']}"
    assert values["EndpointConfigName"].startswith(f"{stack}-EndpointConfig-")
    assert values["EndpointName"].startswith(f"{stack}-Endpoint-")
    assert values["EndpointRef"] == f"{ARN_PREFIX}:endpoint/{values['EndpointName']}"
    assert values["JobDefinitionArn"] == values["JobDefinitionRef"]
    assert values["JobDefinitionName"].startswith(f"{stack}-DataQuality-")
    # SageMaker writes the names in these ARNs in lower case
    assert values["JobDefinitionArn"].startswith(f"{ARN_PREFIX}:data-quality-job-definition/{stack}-dataquality-")
    assert values["ScheduleArn"] == f"{ARN_PREFIX}:monitoring-schedule/{deployed['schedule']}"
    assert values["ScheduleStatus"] == "Scheduled"
    for key in ("JobDefinitionCreationTime", "ScheduleCreationTime"):
        assert values[key].endswith("Z") and "T" in values[key], values[key]
    for key in ("ModelName", "EndpointConfigName", "EndpointName"):
        assert len(values[key]) <= 63 and all(c.isalnum() or c == "-" for c in values[key])


def test_resources_exist_in_the_sagemaker_api_as_the_template_says(deployed, stacks, aws_client):
    sagemaker, values = aws_client("sagemaker"), outputs(deployed["described"])
    model = sagemaker.describe_model(ModelName=values["ModelName"])
    assert model["PrimaryContainer"]["Image"] == SKLEARN_IMAGE
    assert model["PrimaryContainer"]["ModelDataUrl"] == deployed["model_data"]
    assert model["PrimaryContainer"]["Environment"] == {"SAGEMAKER_CONTAINER_LOG_LEVEL": "20"}
    assert sagemaker.list_tags(ResourceArn=model["ModelArn"])["Tags"] == [{"Key": "team", "Value": "monitoring"}]

    config = sagemaker.describe_endpoint_config(EndpointConfigName=values["EndpointConfigName"])
    variant = config["ProductionVariants"][0]
    assert (variant["ModelName"], variant["InitialInstanceCount"], variant["InitialVariantWeight"]) == (
        values["ModelName"], 1, 1.0)
    capture = config["DataCaptureConfig"]
    assert capture["EnableCapture"] is True and capture["InitialSamplingPercentage"] == 100
    assert capture["DestinationS3Uri"] == f"s3://{stacks.bucket}/capture"

    endpoint = sagemaker.describe_endpoint(EndpointName=values["EndpointName"])
    assert endpoint["EndpointStatus"] == "InService"
    assert endpoint["EndpointConfigName"] == values["EndpointConfigName"]
    assert endpoint["DataCaptureConfig"]["EnableCapture"] is True
    assert server_processes(deployed["model_data"]), "no model server runs for the endpoint"

    definition_name = values["JobDefinitionName"]
    definition = sagemaker.describe_data_quality_job_definition(JobDefinitionName=definition_name)
    assert definition["DataQualityJobInput"]["EndpointInput"]["EndpointName"] == values["EndpointName"]
    assert definition["JobResources"]["ClusterConfig"] == {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge",
                                                           "VolumeSizeInGB": 20}
    assert definition["StoppingCondition"] == {"MaxRuntimeInSeconds": 1800}

    schedule = sagemaker.describe_monitoring_schedule(MonitoringScheduleName=deployed["schedule"])
    assert schedule["MonitoringScheduleStatus"] == "Scheduled"
    assert schedule["MonitoringScheduleConfig"]["MonitoringJobDefinitionName"] == definition_name
    assert schedule["EndpointName"] == values["EndpointName"]


# --- update ---------------------------------------------------------------------------------------------------


def test_new_variant_weight_replaces_the_endpoint_config_and_updates_the_endpoint(deployed, stacks, aws_client):
    sagemaker, before = aws_client("sagemaker"), outputs(deployed["described"])
    stacks.cfn.update_stack(StackName=deployed["stack"], TemplateBody=json.dumps(monitoring_template()),
                            Parameters=parameters(ModelDataUrl=deployed["model_data"], Bucket=stacks.bucket,
                                                  ScheduleName=deployed["schedule"], Weight="0.5"))
    described = wait_for_stack(stacks.cfn, deployed["stack"])
    assert described["StackStatus"] == "UPDATE_COMPLETE", failure_events(stacks.cfn, deployed["stack"])
    after = outputs(described)
    deployed["described"] = described

    assert after["EndpointConfigName"] != before["EndpointConfigName"]  # replaced: a new generated name
    assert after["EndpointConfigName"].startswith(f"{deployed['stack']}-EndpointConfig-")
    assert after["EndpointName"] == before["EndpointName"]  # updated in place
    assert after["ModelName"] == before["ModelName"] and after["ScheduleArn"] == before["ScheduleArn"]
    config = sagemaker.describe_endpoint_config(EndpointConfigName=after["EndpointConfigName"])
    assert config["ProductionVariants"][0]["InitialVariantWeight"] == 0.5
    assert error_code(lambda: sagemaker.describe_endpoint_config(
        EndpointConfigName=before["EndpointConfigName"])) == "ValidationException"  # the old config is deleted
    endpoint = sagemaker.describe_endpoint(EndpointName=after["EndpointName"])
    assert (endpoint["EndpointStatus"], endpoint["EndpointConfigName"]) == ("InService", after["EndpointConfigName"])
    assert endpoint["ProductionVariants"][0]["CurrentWeight"] == 0.5
    answer = aws_client("sagemaker-runtime").invoke_endpoint(EndpointName=after["EndpointName"],
                                                             Body=b"3,3,-3,0", ContentType="text/csv")
    assert answer["Body"].read().strip()


def test_new_model_data_replaces_model_and_config_and_the_endpoint_serves_the_new_model(deployed, stacks,
                                                                                        aws_client):
    """The usual release: a new model artifact. The Model is replaced (its PrimaryContainer changed); the
    EndpointConfig only sees a new value behind Fn::GetAtt Model.ModelName, which LocalStack's engine passes to
    update(), so the provider replaces the config itself; the Endpoint moves to it; the old model and config are
    deleted once the update is over."""
    sagemaker, runtime = aws_client("sagemaker"), aws_client("sagemaker-runtime")
    before = outputs(deployed["described"])
    model_data = stacks.upload("model-v2/model.tar.gz", constant_model_tarball(0))
    stacks.cfn.update_stack(StackName=deployed["stack"], TemplateBody=json.dumps(monitoring_template()),
                            Parameters=parameters(ModelDataUrl=model_data, Bucket=stacks.bucket,
                                                  ScheduleName=deployed["schedule"], Weight="0.5"))
    described = wait_for_stack(stacks.cfn, deployed["stack"])
    assert described["StackStatus"] == "UPDATE_COMPLETE", failure_events(stacks.cfn, deployed["stack"])
    after = outputs(described)
    deployed["described"], deployed["model_data"] = described, model_data

    assert after["ModelName"] != before["ModelName"]
    assert after["EndpointConfigName"] != before["EndpointConfigName"]
    assert after["EndpointName"] == before["EndpointName"]
    config = sagemaker.describe_endpoint_config(EndpointConfigName=after["EndpointConfigName"])
    assert config["ProductionVariants"][0]["ModelName"] == after["ModelName"]
    endpoint = sagemaker.describe_endpoint(EndpointName=after["EndpointName"])
    assert (endpoint["EndpointStatus"], endpoint["EndpointConfigName"]) == ("InService", after["EndpointConfigName"])
    answer = runtime.invoke_endpoint(EndpointName=after["EndpointName"], Body=b"3,3,-3,0", ContentType="text/csv")
    # the constant model of the new artifact answers 0 (the first model answered 1 for this row)
    assert re.findall(r"-?\d+(?:\.\d+)?", answer["Body"].read().decode()) == ["0"]

    def gone(call):
        try:
            call()
        except ClientError:
            return True
        return False

    wait_until(lambda: gone(lambda: sagemaker.describe_endpoint_config(EndpointConfigName=before["EndpointConfigName"]))
               and gone(lambda: sagemaker.describe_model(ModelName=before["ModelName"])), 20,
               "the replaced model and endpoint config to be deleted")


# --- delete ---------------------------------------------------------------------------------------------------


def test_delete_stack_removes_every_resource_and_stops_the_servers(deployed, stacks, aws_client):
    sagemaker, values = aws_client("sagemaker"), outputs(deployed["described"])
    servers = server_processes(deployed["model_data"])
    stack_id = deployed["described"]["StackId"]  # a deleted stack is found by its id only
    stacks.cfn.delete_stack(StackName=deployed["stack"])
    described = wait_for_stack(stacks.cfn, stack_id)
    assert described["StackStatus"] == "DELETE_COMPLETE", failure_events(stacks.cfn, stack_id)

    assert error_code(lambda: sagemaker.describe_endpoint(EndpointName=values["EndpointName"])) == \
        "ValidationException"
    assert error_code(lambda: sagemaker.describe_endpoint_config(
        EndpointConfigName=values["EndpointConfigName"])) == "ValidationException"
    assert error_code(lambda: sagemaker.describe_model(ModelName=values["ModelName"])) == "ValidationException"
    assert error_code(lambda: sagemaker.describe_monitoring_schedule(
        MonitoringScheduleName=deployed["schedule"])) == "ResourceNotFound"
    assert error_code(lambda: sagemaker.describe_data_quality_job_definition(
        JobDefinitionName=values["JobDefinitionName"])) == "ResourceNotFound"
    wait_until(lambda: not any(p.is_running() and p.status() != "zombie" for p in servers), 30,
               "the endpoint's model servers to stop")


# --- failures -------------------------------------------------------------------------------------------------


def test_endpoint_that_fails_rolls_the_stack_back_with_the_reason_in_its_events(stacks, aws_client):
    broken = stacks.upload("broken/model.tar.gz", tar_gz({"model.joblib": b"this is not a pickle"}))
    template = monitoring_template()
    for name in ("DataQuality", "Schedule"):
        del template["Resources"][name]
    template["Outputs"] = {}
    stack, described = stacks.create(template, ModelDataUrl=broken, Bucket=stacks.bucket, ScheduleName="unused")

    assert described["StackStatus"] in ("ROLLBACK_COMPLETE", "CREATE_FAILED"), described["StackStatus"]
    reasons = failure_events(stacks.cfn, stack)
    assert set(reasons) == {"Endpoint"}, reasons
    assert "is in Failed state" in reasons["Endpoint"]
    assert "did not pass the ping health check" in reasons["Endpoint"]  # the endpoint's FailureReason
    assert "Cannot load model.joblib" in reasons["Endpoint"]
    endpoints = aws_client("sagemaker").list_endpoints(NameContains=f"{stack}-Endpoint")["Endpoints"]
    assert endpoints == []  # the failed endpoint was deleted, as CloudFormation's rollback does

    stacks.cfn.delete_stack(StackName=stack)
    assert wait_for_stack(stacks.cfn, described["StackId"])["StackStatus"] == "DELETE_COMPLETE"
    assert aws_client("sagemaker").list_models(NameContains=f"{stack}-Model")["Models"] == []


def test_model_with_an_image_the_emulator_cannot_serve_fails_the_stack(stacks, aws_client):
    model_data = stacks.upload("model/model.tar.gz", trained_model_tarball())
    image = "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.1-cpu-py310"
    template = monitoring_template(image=image)
    for name in ("DataQuality", "Schedule"):
        del template["Resources"][name]
    template["Outputs"] = {}
    stack, described = stacks.create(template, ModelDataUrl=model_data, Bucket=stacks.bucket, ScheduleName="unused")

    assert described["StackStatus"] in ("ROLLBACK_COMPLETE", "CREATE_FAILED"), described["StackStatus"]
    reasons = failure_events(stacks.cfn, stack)
    # LocalStack also marks the resources that wait on the failed one CREATE_FAILED, with no reason of their own
    assert {key for key, reason in reasons.items() if reason} == {"Model"}, reasons
    assert set(reasons) <= {"Model", "EndpointConfig", "Endpoint"}, reasons
    assert f"Requested image {image} not found" in reasons["Model"]
    assert "HandlerErrorCode: InvalidRequest" in reasons["Model"]
    assert aws_client("sagemaker").list_models(NameContains=f"{stack}-Model")["Models"] == []
