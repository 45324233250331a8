"""CloudFormation stacks of monitoring job definitions and schedules on the emulator, deployed with boto3.

The ModelQuality, ModelBias and ModelExplainability job definitions, a schedule that names one of them and a
schedule with an inline definition and a generated name. No endpoint is needed: job definitions and schedules
name the endpoint they will watch, it need not exist yet. An update changes a schedule expression (applied in
place) and a definition's stopping condition (a create-only property: the definition is replaced and the
schedule repointed).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

pytestmark = pytest.mark.e2e

ROLE = "arn:aws:iam::000000000000:role/sagewatch-e2e"
ANALYZER = "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer"
CLARIFY = "205585389593.dkr.ecr.us-east-1.amazonaws.com/sagemaker-clarify-processing:1.0"
STACK_TIMEOUT = 120.0
CLUSTER = {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 20}}
ENDPOINT_INPUT = {"EndpointName": {"Ref": "EndpointName"}, "LocalPath": "/opt/ml/processing/input/endpoint"}


def _outputs(config_key: str, bucket_path: str) -> dict[str, Any]:
    return {config_key: {"MonitoringOutputs": [{"S3Output": {
        "S3Uri": {"Fn::Sub": f"s3://${{Bucket}}/{bucket_path}"}, "LocalPath": "/opt/ml/processing/output"}}]}}


def monitoring_template() -> dict[str, Any]:
    ground_truth = {"S3Uri": {"Fn::Sub": "s3://${Bucket}/ground-truth"}}
    common = {"JobResources": CLUSTER, "RoleArn": ROLE}
    return {
        "Parameters": {
            "Bucket": {"Type": "String"},
            "EndpointName": {"Type": "String"},
            "QualityScheduleName": {"Type": "String"},
            "Expression": {"Type": "String", "Default": "cron(0 * ? * * *)"},
            "MaxRuntime": {"Type": "String", "Default": "1800"},
        },
        "Resources": {
            "ModelQuality": {"Type": "AWS::SageMaker::ModelQualityJobDefinition", "Properties": {
                "ModelQualityAppSpecification": {"ImageUri": ANALYZER, "ProblemType": "Regression"},
                "ModelQualityJobInput": {"EndpointInput": {**ENDPOINT_INPUT, "InferenceAttribute": "0"},
                                         "GroundTruthS3Input": ground_truth},
                **_outputs("ModelQualityJobOutputConfig", "model-quality"),
                "StoppingCondition": {"MaxRuntimeInSeconds": {"Ref": "MaxRuntime"}},
                **common,
            }},
            "ModelBias": {"Type": "AWS::SageMaker::ModelBiasJobDefinition", "Properties": {
                "ModelBiasAppSpecification": {"ImageUri": CLARIFY,
                                              "ConfigUri": {"Fn::Sub": "s3://${Bucket}/bias/analysis_config.json"},
                                              "Environment": {"LOG_LEVEL": "INFO"}},
                "ModelBiasJobInput": {"EndpointInput": {**ENDPOINT_INPUT, "ProbabilityThresholdAttribute": "0.5"},
                                      "GroundTruthS3Input": ground_truth},
                **_outputs("ModelBiasJobOutputConfig", "bias"),
                "Tags": [{"Key": "monitor", "Value": "bias"}],
                **common,
            }},
            "ModelExplainability": {"Type": "AWS::SageMaker::ModelExplainabilityJobDefinition", "Properties": {
                "ModelExplainabilityAppSpecification": {
                    "ImageUri": CLARIFY, "ConfigUri": {"Fn::Sub": "s3://${Bucket}/shap/analysis_config.json"}},
                "ModelExplainabilityJobInput": {"EndpointInput": ENDPOINT_INPUT},
                **_outputs("ModelExplainabilityJobOutputConfig", "shap"),
                **common,
            }},
            "QualitySchedule": {"Type": "AWS::SageMaker::MonitoringSchedule", "Properties": {
                "MonitoringScheduleName": {"Ref": "QualityScheduleName"},
                "MonitoringScheduleConfig": {
                    "MonitoringJobDefinitionName": {"Fn::GetAtt": ["ModelQuality", "JobDefinitionName"]},
                    "MonitoringType": "ModelQuality",
                    "ScheduleConfig": {"ScheduleExpression": {"Ref": "Expression"}},
                },
            }},
            "InlineSchedule": {"Type": "AWS::SageMaker::MonitoringSchedule", "Properties": {
                "MonitoringScheduleConfig": {
                    "MonitoringJobDefinition": {
                        "MonitoringAppSpecification": {"ImageUri": ANALYZER},
                        "MonitoringInputs": [{"EndpointInput": ENDPOINT_INPUT}],
                        "MonitoringOutputConfig": {"MonitoringOutputs": [{"S3Output": {
                            "S3Uri": {"Fn::Sub": "s3://${Bucket}/inline"},
                            "LocalPath": "/opt/ml/processing/output", "S3UploadMode": "EndOfJob"}}]},
                        "MonitoringResources": {"ClusterConfig": {"InstanceCount": "1", "InstanceType": "ml.m5.large",
                                                                  "VolumeSizeInGB": "30"}},
                        "Environment": {"publish_cloudwatch_metrics": "Disabled"},
                        "RoleArn": ROLE,
                        "StoppingCondition": {"MaxRuntimeInSeconds": "600"},
                    },
                    "ScheduleConfig": {"ScheduleExpression": "cron(0 0 ? * * *)"},
                },
            }},
        },
        "Outputs": {
            "QualityName": {"Value": {"Fn::GetAtt": ["ModelQuality", "JobDefinitionName"]}},
            "BiasName": {"Value": {"Fn::GetAtt": ["ModelBias", "JobDefinitionName"]}},
            "BiasArn": {"Value": {"Ref": "ModelBias"}},
            "ExplainabilityName": {"Value": {"Fn::GetAtt": ["ModelExplainability", "JobDefinitionName"]}},
            "QualityScheduleArn": {"Value": {"Ref": "QualitySchedule"}},
            "QualityScheduleModified": {"Value": {"Fn::GetAtt": ["QualitySchedule", "LastModifiedTime"]}},
            "InlineScheduleName": {"Value": {"Fn::GetAtt": ["InlineSchedule", "MonitoringScheduleName"]}},
        },
    }


def wait_for_stack(cfn: Any, stack: str, timeout: float = STACK_TIMEOUT) -> dict[str, Any]:
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


def reasons(cfn: Any, stack: str) -> list[str]:
    events = cfn.describe_stack_events(StackName=stack)["StackEvents"]
    return [f"{e['LogicalResourceId']}: {e.get('ResourceStatusReason')}" for e in events
            if e["ResourceStatus"].endswith("_FAILED")]


def error_code(call: Callable[[], Any]) -> str:
    with pytest.raises(ClientError) as caught:
        call()
    return caught.value.response["Error"]["Code"]


@pytest.fixture(scope="module")
def deployed(aws_client: Callable[[str], Any]) -> Iterator[dict[str, Any]]:
    cfn = aws_client("cloudformation")
    suffix = uuid.uuid4().hex[:8]
    values = {"Bucket": f"sw-cfn-monitoring-{suffix}", "EndpointName": f"sw-watched-{suffix}",
              "QualityScheduleName": f"sw-quality-{suffix}"}
    stack = f"sw-monitoring-{suffix}"
    cfn.create_stack(StackName=stack, TemplateBody=json.dumps(monitoring_template()),
                     Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in values.items()])
    described = wait_for_stack(cfn, stack)
    state = {"stack": stack, "values": values, "described": described}
    yield state
    cfn.delete_stack(StackName=described["StackId"])
    wait_for_stack(cfn, described["StackId"])


def test_every_monitoring_type_reaches_create_complete(deployed, aws_client):
    cfn, sagemaker = aws_client("cloudformation"), aws_client("sagemaker")
    described = deployed["described"]
    assert described["StackStatus"] == "CREATE_COMPLETE", reasons(cfn, deployed["stack"])
    values, endpoint = outputs(described), deployed["values"]["EndpointName"]

    quality = sagemaker.describe_model_quality_job_definition(JobDefinitionName=values["QualityName"])
    assert quality["ModelQualityAppSpecification"]["ProblemType"] == "Regression"
    assert quality["ModelQualityJobInput"]["EndpointInput"]["EndpointName"] == endpoint
    assert quality["StoppingCondition"] == {"MaxRuntimeInSeconds": 1800}
    bias = sagemaker.describe_model_bias_job_definition(JobDefinitionName=values["BiasName"])
    assert bias["ModelBiasAppSpecification"]["Environment"] == {"LOG_LEVEL": "INFO"}
    assert bias["JobDefinitionArn"] == values["BiasArn"]
    assert sagemaker.list_tags(ResourceArn=values["BiasArn"])["Tags"] == [{"Key": "monitor", "Value": "bias"}]
    explainability = sagemaker.describe_model_explainability_job_definition(
        JobDefinitionName=values["ExplainabilityName"])
    assert explainability["ModelExplainabilityJobInput"]["EndpointInput"]["EndpointName"] == endpoint

    schedule = sagemaker.describe_monitoring_schedule(
        MonitoringScheduleName=deployed["values"]["QualityScheduleName"])
    assert (schedule["MonitoringScheduleStatus"], schedule["MonitoringType"]) == ("Scheduled", "ModelQuality")
    assert schedule["MonitoringScheduleConfig"]["MonitoringJobDefinitionName"] == values["QualityName"]

    inline_name = values["InlineScheduleName"]
    assert inline_name.startswith(f"{deployed['stack']}-InlineSchedule-") and len(inline_name) <= 63
    inline = sagemaker.describe_monitoring_schedule(MonitoringScheduleName=inline_name)
    definition = inline["MonitoringScheduleConfig"]["MonitoringJobDefinition"]
    assert inline["MonitoringType"] == "DataQuality"
    assert definition["MonitoringResources"]["ClusterConfig"] == {"InstanceCount": 1, "InstanceType": "ml.m5.large",
                                                                  "VolumeSizeInGB": 30}
    assert definition["StoppingCondition"] == {"MaxRuntimeInSeconds": 600}


def test_update_applies_schedule_changes_in_place_and_replaces_changed_definitions(deployed, aws_client):
    cfn, sagemaker = aws_client("cloudformation"), aws_client("sagemaker")
    before = outputs(deployed["described"])
    values = {**deployed["values"], "Expression": "cron(0 */2 ? * * *)", "MaxRuntime": "900"}
    cfn.update_stack(StackName=deployed["stack"], TemplateBody=json.dumps(monitoring_template()),
                     Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in values.items()])
    described = wait_for_stack(cfn, deployed["stack"])
    assert described["StackStatus"] == "UPDATE_COMPLETE", reasons(cfn, deployed["stack"])
    deployed["described"] = described
    after = outputs(described)

    assert after["QualityScheduleArn"] == before["QualityScheduleArn"]  # the schedule is updated in place
    assert after["QualityName"] != before["QualityName"]  # the definition is replaced (create-only property)
    assert after["BiasName"] == before["BiasName"] and after["InlineScheduleName"] == before["InlineScheduleName"]
    schedule = sagemaker.describe_monitoring_schedule(
        MonitoringScheduleName=deployed["values"]["QualityScheduleName"])
    config = schedule["MonitoringScheduleConfig"]
    assert config["ScheduleConfig"]["ScheduleExpression"] == "cron(0 */2 ? * * *)"
    assert config["MonitoringJobDefinitionName"] == after["QualityName"]
    assert schedule["MonitoringScheduleStatus"] == "Scheduled"
    assert after["QualityScheduleModified"] > before["QualityScheduleModified"]
    replaced = sagemaker.describe_model_quality_job_definition(JobDefinitionName=after["QualityName"])
    assert replaced["StoppingCondition"] == {"MaxRuntimeInSeconds": 900}
    assert error_code(lambda: sagemaker.describe_model_quality_job_definition(
        JobDefinitionName=before["QualityName"])) == "ResourceNotFound"


def test_delete_stack_removes_definitions_and_schedules(deployed, aws_client):
    cfn, sagemaker = aws_client("cloudformation"), aws_client("sagemaker")
    values = outputs(deployed["described"])
    stack_id = deployed["described"]["StackId"]
    cfn.delete_stack(StackName=stack_id)
    assert wait_for_stack(cfn, stack_id)["StackStatus"] == "DELETE_COMPLETE", reasons(cfn, stack_id)
    for name in (deployed["values"]["QualityScheduleName"], values["InlineScheduleName"]):
        assert error_code(lambda: sagemaker.describe_monitoring_schedule(MonitoringScheduleName=name)) == \
            "ResourceNotFound"
    assert error_code(lambda: sagemaker.describe_model_quality_job_definition(
        JobDefinitionName=values["QualityName"])) == "ResourceNotFound"
    assert error_code(lambda: sagemaker.describe_model_bias_job_definition(
        JobDefinitionName=values["BiasName"])) == "ResourceNotFound"
    assert error_code(lambda: sagemaker.describe_model_explainability_job_definition(
        JobDefinitionName=values["ExplainabilityName"])) == "ResourceNotFound"
