"""The AWS::SageMaker::* resource providers against a fake SageMaker client: requests, waiting, errors, plugins."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

import pytest

pytest.importorskip("localstack", reason="the plugin modules import LocalStack (extra 'localstack')")

from botocore.exceptions import ClientError  # noqa: E402
from localstack.services.cloudformation.resource_provider import (  # noqa: E402
    OperationStatus,
    ResourceRequest,
)

from sagewatch.localstack.cfn.base import SageMakerResourceProvider  # noqa: E402
from sagewatch.localstack.cfn.endpoint import EndpointProvider  # noqa: E402
from sagewatch.localstack.cfn.endpoint_config import EndpointConfigProvider  # noqa: E402
from sagewatch.localstack.cfn.job_definitions import job_definition_provider  # noqa: E402
from sagewatch.localstack.cfn.model import ModelProvider  # noqa: E402
from sagewatch.localstack.cfn.monitoring_schedule import MonitoringScheduleProvider  # noqa: E402

ACCOUNT, REGION = "111122223333", "eu-west-1"
ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/monitor"
WHEN = datetime(2024, 5, 1, 12, 0, 0, tzinfo=timezone.utc)


def client_error(code: str, message: str, status: int = 400) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}},
                       "Operation")


class FakeSageMaker:
    """Records calls; answers from ``answers[method]`` (a value, a list consumed in order, or an exception)."""

    def __init__(self, **answers: Any) -> None:
        self.answers = answers
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __getattr__(self, method: str) -> Any:
        def call(**params: Any) -> Any:
            self.calls.append((method, params))
            answer = self.answers.get(method, {})
            if isinstance(answer, list):
                answer = answer.pop(0) if len(answer) > 1 else answer[0]
            if isinstance(answer, Exception):
                raise answer
            return answer(**params) if callable(answer) else answer
        return call

    def called(self, method: str) -> list[dict[str, Any]]:
        return [params for name, params in self.calls if name == method]


@pytest.fixture
def fake(monkeypatch):
    """``fake(**answers)``: install a :class:`FakeSageMaker` as every provider's client and return it."""

    def install(**answers: Any) -> FakeSageMaker:
        client = FakeSageMaker(**answers)
        monkeypatch.setattr(SageMakerResourceProvider, "sagemaker", staticmethod(lambda request: client))
        return client

    return install


def request(desired: dict[str, Any], *, previous: dict[str, Any] | None = None, context: dict[str, Any] | None = None,
            logical: str = "Resource", action: str = "Add", resource_type: str = "AWS::SageMaker::Model"
            ) -> ResourceRequest[dict[str, Any]]:
    return ResourceRequest(
        _original_payload=desired, aws_client_factory=None, request_token="token", stack_name="monitoring-dev",
        stack_id="stack-id", account_id=ACCOUNT, region_name=REGION, action=action, desired_state=dict(desired),
        logical_resource_id=logical, resource_type=resource_type, logger=None, custom_context=dict(context or {}),
        previous_state=previous)


# --- Model, EndpointConfig, job definitions -------------------------------------------------------------------


def test_model_create_generates_a_name_and_returns_the_arn_as_primary_identifier(fake):
    client = fake(create_model=lambda **p: {"ModelArn": f"{ARN}:model/{p['ModelName']}"})
    event = ModelProvider().create(request({"ExecutionRoleArn": ROLE, "PrimaryContainer": {
        "Image": "sklearn", "Environment": {"LEVEL": 20}}, "Tags": [{"Key": "a", "Value": "b"}]}, logical="Model"))
    assert event.status == OperationStatus.SUCCESS
    name = event.resource_model["ModelName"]
    assert re.fullmatch(r"monitoring-dev-Model-[A-Z0-9]{12}", name)
    assert event.resource_model["ModelArn"] == f"{ARN}:model/{name}"
    assert client.called("create_model") == [{"ModelName": name, "ExecutionRoleArn": ROLE, "PrimaryContainer": {
        "Image": "sklearn", "Environment": {"LEVEL": "20"}}, "Tags": [{"Key": "a", "Value": "b"}]}]


def test_a_template_name_is_used_as_given(fake):
    client = fake(create_endpoint_config={"EndpointConfigArn": f"{ARN}:endpoint-config/mine"})
    event = EndpointConfigProvider().create(request({"EndpointConfigName": "mine", "ProductionVariants": [
        {"VariantName": "A", "ModelName": "m", "InitialVariantWeight": "1"}]}))
    assert event.resource_model["EndpointConfigName"] == "mine"
    assert client.called("create_endpoint_config")[0]["ProductionVariants"][0]["InitialVariantWeight"] == 1.0


@pytest.mark.parametrize("code, message, handler_code", [
    ("ValidationException", 'Cannot create already existing model "arn".', "AlreadyExists"),
    ("ResourceInUse", "Job definition arn already exists.", "AlreadyExists"),
    ("ThrottlingException", "slow down", "Throttling"),
    ("InternalFailure", "boom", "GeneralServiceException"),
])
def test_api_errors_map_to_cloudformation_handler_error_codes(fake, code, message, handler_code):
    fake(create_model=client_error(code, message))
    event = ModelProvider().create(request({"PrimaryContainer": {"Image": "x"}}))
    assert (event.status, event.error_code) == (OperationStatus.FAILED, handler_code)
    assert event.message.endswith(f"(HandlerErrorCode: {handler_code})")


def test_api_errors_fail_the_resource_with_cloudformations_wording(fake):
    fake(create_model=client_error("ValidationException", "Requested image x not found."))
    event = ModelProvider().create(request({"PrimaryContainer": {"Image": "x"}}))
    assert event.status == OperationStatus.FAILED
    assert event.message == 'Resource handler returned message: "Requested image x not found." ' \
                            "(HandlerErrorCode: InvalidRequest)"
    assert event.error_code == "InvalidRequest"


def test_property_errors_fail_the_resource_before_any_call(fake):
    client = fake()
    event = ModelProvider().create(request({"PrimaryContainer": {"Image": "x", "Imge": "typo"}}, logical="Model"))
    assert event.status == OperationStatus.FAILED
    assert event.message == ("Properties validation failed for resource Model with message: #/PrimaryContainer: "
                             "extraneous key [Imge] is not permitted")
    assert client.calls == []


def test_model_update_changes_only_the_tags(fake):
    client = fake()
    previous = {"ModelName": "m", "ModelArn": f"{ARN}:model/m", "Tags": [{"Key": "a", "Value": "1"},
                                                                      {"Key": "b", "Value": "2"}]}
    event = ModelProvider().update(request({"Tags": [{"Key": "b", "Value": "3"}]}, previous=previous,
                                           action="Modify"))
    assert event.status == OperationStatus.SUCCESS
    assert (event.resource_model["ModelName"], event.resource_model["ModelArn"]) == ("m", f"{ARN}:model/m")
    assert client.called("delete_tags") == [{"ResourceArn": f"{ARN}:model/m", "TagKeys": ["a"]}]
    assert client.called("add_tags") == [{"ResourceArn": f"{ARN}:model/m", "Tags": [{"Key": "b", "Value": "3"}]}]


@pytest.mark.parametrize("error", [
    client_error("ValidationException", "Could not find model \"arn\"."),
    client_error("404", "<Error><Code>NoSuchModel</Code></Error>", status=404),
])
def test_deleting_a_missing_model_succeeds(fake, error):
    client = fake(delete_model=error)
    event = ModelProvider().delete(request({"ModelName": "m"}, previous={"ModelName": "m"}, action="Remove"))
    assert event.status == OperationStatus.SUCCESS
    assert client.called("delete_model") == [{"ModelName": "m"}]


def test_deleting_a_resource_that_was_never_created_succeeds_without_a_call(fake):
    client = fake()
    assert ModelProvider().delete(request({}, action="Remove")).status == OperationStatus.SUCCESS
    assert client.calls == []


def test_other_delete_errors_fail(fake):
    fake(delete_data_quality_job_definition=client_error("ResourceInUse", "used by schedule s"))
    provider = job_definition_provider("DataQuality")()
    event = provider.delete(request({"JobDefinitionName": "d"}, action="Remove"))
    assert event.status == OperationStatus.FAILED
    assert "used by schedule s" in event.message and event.error_code == "ResourceConflict"


def test_job_definition_create_leaves_out_cloudformation_only_properties_and_returns_creation_time(fake):
    client = fake(create_model_bias_job_definition={"JobDefinitionArn": f"{ARN}:model-bias-job-definition/d"},
                  describe_model_bias_job_definition={"CreationTime": WHEN})
    event = job_definition_provider("ModelBias")().create(request({
        "JobDefinitionName": "d", "EndpointName": "e", "RoleArn": ROLE,
        "JobResources": {"ClusterConfig": {"InstanceCount": "1", "InstanceType": "ml.m5.xlarge",
                                           "VolumeSizeInGB": "20"}}}))
    assert event.status == OperationStatus.SUCCESS
    assert event.resource_model["CreationTime"] == "2024-05-01T12:00:00.000Z"
    assert event.resource_model["JobDefinitionArn"] == f"{ARN}:model-bias-job-definition/d"
    sent = client.called("create_model_bias_job_definition")[0]
    assert "EndpointName" not in sent
    assert sent["JobResources"]["ClusterConfig"]["VolumeSizeInGB"] == 20


def test_job_definitions_without_create_only_changes_update_nothing(fake):
    client = fake()
    previous = {"JobDefinitionName": "d", "JobDefinitionArn": "arn", "CreationTime": "t", "RoleArn": ROLE}
    event = job_definition_provider("ModelQuality")().update(request({"RoleArn": ROLE}, previous=previous))
    assert event.status == OperationStatus.SUCCESS
    assert event.resource_model == {"RoleArn": ROLE, "JobDefinitionName": "d", "JobDefinitionArn": "arn",
                                    "CreationTime": "t"}
    assert client.calls == []


@pytest.fixture
def retired(monkeypatch):
    """What the providers hand to ``retire_after_update``: ``[(what, delete)]``; nothing runs in the background."""
    from sagewatch.localstack.cfn import base

    handed: list[tuple[str, Any]] = []
    monkeypatch.setattr(base, "retire_after_update", lambda request, what, delete: handed.append((what, delete)))
    return handed


def test_update_with_a_changed_create_only_value_replaces_the_resource_itself(fake, retired):
    """LocalStack calls update() when only a value behind Fn::GetAtt changed (a replaced model's name)."""
    client = fake(create_endpoint_config=lambda **p: {
        "EndpointConfigArn": f"{ARN}:endpoint-config/{p['EndpointConfigName']}"})
    previous = {"EndpointConfigName": "old-config", "EndpointConfigArn": f"{ARN}:endpoint-config/old-config",
                "ProductionVariants": [{"VariantName": "A", "ModelName": "model-1"}]}
    event = EndpointConfigProvider().update(request(
        {"ProductionVariants": [{"VariantName": "A", "ModelName": "model-2"}]}, previous=previous,
        logical="Config", action="Modify"))
    assert event.status == OperationStatus.SUCCESS
    name = event.resource_model["EndpointConfigName"]
    assert re.fullmatch(r"monitoring-dev-Config-[A-Z0-9]{12}", name)
    assert event.resource_model["EndpointConfigArn"] == f"{ARN}:endpoint-config/{name}"
    assert client.called("create_endpoint_config")[0]["ProductionVariants"] == [{"VariantName": "A",
                                                                                 "ModelName": "model-2"}]
    assert client.called("delete_endpoint_config") == []  # not before the stack update is over
    [(what, delete)] = retired
    assert what == "AWS::SageMaker::EndpointConfig old-config"
    delete()
    assert client.called("delete_endpoint_config") == [{"EndpointConfigName": "old-config"}]


def test_a_custom_named_resource_cannot_be_replaced(fake, retired):
    client = fake()
    previous = {"ModelName": "mine", "ModelArn": f"{ARN}:model/mine", "PrimaryContainer": {"Image": "a"}}
    event = ModelProvider().update(request({"ModelName": "mine", "PrimaryContainer": {"Image": "b"}},
                                           previous=previous))
    assert event.status == OperationStatus.FAILED
    assert event.message == ("CloudFormation cannot update a stack when a custom-named resource requires replacing. "
                             "Rename mine and update the stack again.")
    assert client.calls == [] and retired == []


def test_retire_after_update_waits_for_the_stack_and_keeps_the_old_resource_after_a_failure(monkeypatch):
    from sagewatch.localstack.cfn import base

    statuses = {"ok": ["UPDATE_IN_PROGRESS", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", "UPDATE_COMPLETE"],
                "bad": ["UPDATE_IN_PROGRESS", "UPDATE_FAILED"]}

    class Stacks:
        def describe_stacks(self, StackName):  # noqa: N803 - boto3's parameter name
            queue = statuses[StackName]
            return {"Stacks": [{"StackStatus": queue.pop(0) if len(queue) > 1 else queue[0]}]}

    class Clients:
        cloudformation = Stacks()

    import localstack.aws.connect as connect

    monkeypatch.setattr(connect, "connect_to", lambda **kwargs: Clients())
    deleted = []
    for stack in ("ok", "bad"):
        update = request({})
        update.stack_name = stack
        thread = base.retire_after_update(update, f"thing of {stack}", lambda s=stack: deleted.append(s),
                                          interval=0.01)
        thread.join(5)
    assert deleted == ["ok"]


def test_unknown_monitoring_type_is_rejected():
    with pytest.raises(ValueError, match="unknown monitoring type"):
        job_definition_provider("DataDrift")


# --- Endpoint -------------------------------------------------------------------------------------------------


def _endpoint(status: str, config: str = "config-1", reason: str | None = None) -> dict[str, Any]:
    described = {"EndpointName": "ep", "EndpointArn": f"{ARN}:endpoint/ep", "EndpointStatus": status,
                 "EndpointConfigName": config}
    if reason:
        described["FailureReason"] = reason
    return described


def test_endpoint_create_waits_for_in_service(fake):
    client = fake(create_endpoint={"EndpointArn": f"{ARN}:endpoint/ep"},
                  describe_endpoint=[_endpoint("Creating"), _endpoint("Creating"), _endpoint("InService")])
    provider = EndpointProvider()
    desired = {"EndpointName": "ep", "EndpointConfigName": "config-1", "RetainAllVariantProperties": "true"}
    first = provider.create(request(desired))
    assert first.status == OperationStatus.IN_PROGRESS and first.custom_context == {"stage": "creating"}
    assert client.called("create_endpoint") == [{"EndpointName": "ep", "EndpointConfigName": "config-1"}]
    again = provider.create(request(first.resource_model, context=first.custom_context))
    assert again.status == OperationStatus.IN_PROGRESS
    done = provider.create(request(again.resource_model, context=again.custom_context))
    assert done.status == OperationStatus.SUCCESS
    assert done.resource_model["EndpointArn"] == f"{ARN}:endpoint/ep"
    assert len(client.called("create_endpoint")) == 1


def test_failed_endpoint_fails_the_resource_with_its_reason_and_is_deleted(fake):
    client = fake(create_endpoint={"EndpointArn": f"{ARN}:endpoint/ep"},
                  describe_endpoint=_endpoint("Failed", reason="ping failed: no model.joblib"))
    event = EndpointProvider().create(request({"EndpointName": "ep", "EndpointConfigName": "config-1"}))
    assert event.status == OperationStatus.FAILED
    assert "is in Failed state: ping failed: no model.joblib" in event.message
    assert client.called("delete_endpoint") == [{"EndpointName": "ep"}]


def test_endpoint_update_to_a_new_config_calls_update_endpoint_and_waits(fake):
    client = fake(describe_endpoint=[_endpoint("Updating"), _endpoint("InService", "config-2")])
    previous = {"EndpointName": "ep", "EndpointArn": f"{ARN}:endpoint/ep", "EndpointConfigName": "config-1"}
    desired = {"EndpointConfigName": "config-2", "RetainAllVariantProperties": "true",
               "ExcludeRetainedVariantProperties": [{"VariantPropertyType": "DesiredWeight"}]}
    provider = EndpointProvider()
    first = provider.update(request(desired, previous=previous, action="Modify"))
    assert first.status == OperationStatus.IN_PROGRESS
    assert first.custom_context == {"stage": "updating", "config": "config-2"}
    assert client.called("update_endpoint") == [{
        "EndpointName": "ep", "EndpointConfigName": "config-2", "RetainAllVariantProperties": True,
        "ExcludeRetainedVariantProperties": [{"VariantPropertyType": "DesiredWeight"}]}]
    done = provider.update(request(first.resource_model, previous=previous, context=first.custom_context))
    assert done.status == OperationStatus.SUCCESS
    assert len(client.called("update_endpoint")) == 1


def test_endpoint_update_that_the_emulator_rolls_back_fails(fake):
    fake(describe_endpoint=_endpoint("InService", "config-1", reason="Update failed, kept config-1: ping"))
    previous = {"EndpointName": "ep", "EndpointArn": f"{ARN}:endpoint/ep", "EndpointConfigName": "config-1"}
    event = EndpointProvider().update(request({"EndpointConfigName": "config-2"}, previous=previous))
    assert event.status == OperationStatus.FAILED
    assert "Update of endpoint ep to endpoint config config-2 failed: Update failed, kept config-1" in event.message


def test_endpoint_update_of_tags_only_does_not_redeploy(fake):
    client = fake()
    previous = {"EndpointName": "ep", "EndpointArn": f"{ARN}:endpoint/ep", "EndpointConfigName": "config-1"}
    event = EndpointProvider().update(request({"EndpointConfigName": "config-1", "Tags": [{"Key": "k", "Value": "v"}]},
                                              previous=previous))
    assert event.status == OperationStatus.SUCCESS
    assert client.called("update_endpoint") == []
    assert client.called("add_tags") == [{"ResourceArn": f"{ARN}:endpoint/ep", "Tags": [{"Key": "k", "Value": "v"}]}]


def test_endpoint_delete_waits_until_it_is_gone(fake):
    gone = client_error("ValidationException", 'Could not find endpoint "ep".')
    client = fake(describe_endpoint=[_endpoint("Deleting"), gone])
    provider = EndpointProvider()
    first = provider.delete(request({"EndpointName": "ep"}, previous={"EndpointName": "ep"}, action="Remove"))
    assert first.status == OperationStatus.IN_PROGRESS
    done = provider.delete(request({"EndpointName": "ep"}, previous={"EndpointName": "ep"},
                                   context=first.custom_context, action="Remove"))
    assert done.status == OperationStatus.SUCCESS
    assert client.called("delete_endpoint") == [{"EndpointName": "ep"}]


def test_endpoint_delete_of_a_missing_endpoint_succeeds(fake):
    fake(delete_endpoint=client_error("ValidationException", 'Could not find endpoint "ep".'))
    event = EndpointProvider().delete(request({"EndpointName": "ep"}, action="Remove"))
    assert event.status == OperationStatus.SUCCESS


# --- MonitoringSchedule ---------------------------------------------------------------------------------------


def _schedule(status: str, reason: str | None = None) -> dict[str, Any]:
    described = {"MonitoringScheduleArn": f"{ARN}:monitoring-schedule/s", "MonitoringScheduleStatus": status,
                 "CreationTime": WHEN, "LastModifiedTime": WHEN}
    if reason:
        described["FailureReason"] = reason
    return described


CONFIG = {"MonitoringJobDefinitionName": "d", "MonitoringType": "DataQuality",
          "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"}}


def test_schedule_create_waits_until_scheduled_and_returns_the_attributes(fake):
    client = fake(create_monitoring_schedule={"MonitoringScheduleArn": f"{ARN}:monitoring-schedule/s"},
                  describe_monitoring_schedule=[_schedule("Pending"), _schedule("Scheduled")])
    provider = MonitoringScheduleProvider()
    desired = {"MonitoringScheduleName": "s", "MonitoringScheduleConfig": CONFIG, "EndpointName": "e"}
    first = provider.create(request(desired))
    assert first.status == OperationStatus.IN_PROGRESS
    assert client.called("create_monitoring_schedule") == [{"MonitoringScheduleName": "s",
                                                            "MonitoringScheduleConfig": CONFIG}]
    done = provider.create(request(first.resource_model, context=first.custom_context))
    assert done.status == OperationStatus.SUCCESS
    assert {key: done.resource_model[key] for key in ("MonitoringScheduleArn", "CreationTime",
                                                      "LastModifiedTime", "MonitoringScheduleStatus")} == {
        "MonitoringScheduleArn": f"{ARN}:monitoring-schedule/s", "CreationTime": "2024-05-01T12:00:00.000Z",
        "LastModifiedTime": "2024-05-01T12:00:00.000Z", "MonitoringScheduleStatus": "Scheduled"}
    assert len(client.called("create_monitoring_schedule")) == 1


def test_failed_schedule_fails_the_resource(fake):
    fake(create_monitoring_schedule={"MonitoringScheduleArn": f"{ARN}:monitoring-schedule/s"},
         describe_monitoring_schedule=_schedule("Failed", reason="image not found"))
    event = MonitoringScheduleProvider().create(request({"MonitoringScheduleName": "s",
                                                         "MonitoringScheduleConfig": CONFIG}))
    assert event.status == OperationStatus.FAILED and "is in Failed state: image not found" in event.message


def test_schedule_update_sends_the_new_config(fake):
    client = fake(describe_monitoring_schedule=_schedule("Scheduled"))
    previous = {"MonitoringScheduleName": "s", "MonitoringScheduleArn": f"{ARN}:monitoring-schedule/s",
                "MonitoringScheduleConfig": CONFIG, "CreationTime": "c"}
    config = {**CONFIG, "ScheduleConfig": {"ScheduleExpression": "cron(0 0 ? * * *)"}}
    event = MonitoringScheduleProvider().update(request({"MonitoringScheduleName": "s",
                                                         "MonitoringScheduleConfig": config}, previous=previous))
    assert event.status == OperationStatus.SUCCESS
    assert client.called("update_monitoring_schedule") == [{"MonitoringScheduleName": "s",
                                                            "MonitoringScheduleConfig": config}]


def test_schedule_delete_of_a_missing_schedule_succeeds(fake):
    fake(delete_monitoring_schedule=client_error("ResourceNotFound", "Monitoring schedule s does not exist."))
    event = MonitoringScheduleProvider().delete(request({"MonitoringScheduleName": "s"}, action="Remove"))
    assert event.status == OperationStatus.SUCCESS


# --- schemas and plugins --------------------------------------------------------------------------------------

PROVIDERS = {
    "AWS::SageMaker::Model": (ModelProvider, "ModelArn"),
    "AWS::SageMaker::EndpointConfig": (EndpointConfigProvider, "EndpointConfigArn"),
    "AWS::SageMaker::Endpoint": (EndpointProvider, "EndpointArn"),
    "AWS::SageMaker::MonitoringSchedule": (MonitoringScheduleProvider, "MonitoringScheduleArn"),
    **{f"AWS::SageMaker::{kind}JobDefinition": (job_definition_provider(kind), "JobDefinitionArn")
       for kind in ("DataQuality", "ModelQuality", "ModelBias", "ModelExplainability")},
}


@pytest.mark.parametrize("type_name", sorted(PROVIDERS))
def test_schemas_identify_resources_by_arn_and_mark_the_name_create_only(type_name):
    provider, arn = PROVIDERS[type_name]
    schema = provider.SCHEMA
    assert schema["typeName"] == type_name
    assert schema["primaryIdentifier"] == [f"/properties/{arn}"]
    assert f"/properties/{provider.NAME}" in schema["createOnlyProperties"]
    assert f"/properties/{arn}" in schema["readOnlyProperties"]


def test_every_type_is_registered_as_a_localstack_resource_provider_plugin():
    from plux import PluginManager

    manager = PluginManager("localstack.cloudformation.resource_providers")
    assert set(PROVIDERS) <= set(manager.list_names())
    for type_name in PROVIDERS:
        plugin = manager.load(type_name)
        assert plugin.factory.SCHEMA["typeName"] == type_name
        assert isinstance(plugin.factory(), SageMakerResourceProvider)
