"""The AWS::CloudWatch::Dashboard resource provider against a fake CloudWatch: properties, names, CRUD, errors."""

from __future__ import annotations

import doctest
import json
import re
from typing import Any

import pytest

pytest.importorskip("localstack", reason="the plugin modules import LocalStack (extra 'localstack')")

from botocore.exceptions import ClientError  # noqa: E402
from localstack.services.cloudformation.resource_provider import (  # noqa: E402
    OperationStatus,
    ResourceRequest,
)

from sagewatch.localstack.cfn import cloudwatch_dashboard as dashboard_module  # noqa: E402
from sagewatch.localstack.cfn.base import SageMakerResourceProvider  # noqa: E402
from sagewatch.localstack.cfn.cloudwatch_dashboard import CloudWatchDashboardProvider, dashboard_request  # noqa: E402
from sagewatch.localstack.cfn.properties import PropertyError  # noqa: E402

ACCOUNT, REGION = "111122223333", "eu-west-1"
TYPE = "AWS::CloudWatch::Dashboard"
BODY = json.dumps({"widgets": [{"type": "metric", "width": 12, "height": 6, "properties": {
    "metrics": [["AWS/SageMaker", "Invocations", "EndpointName", "ep", "VariantName", "AllTraffic"]]}}]})
NEW_BODY = json.dumps({"start": "-P7D", "widgets": []})


def client_error(code: str, message: str, status: int = 400) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}},
                       "Operation")


class FakeCloudWatch:
    """The dashboard calls of a CloudWatch client over a dict; ``errors[method]`` raises instead (once)."""

    def __init__(self, dashboards: dict[str, str] | None = None, *,
                 missing: ClientError | None = None, **errors: ClientError) -> None:
        self.dashboards = dict(dashboards or {})
        self.errors = errors
        # LocalStack 4.13.1 answers GetDashboard of a missing dashboard so (AWS: ResourceNotFound, HTTP 404)
        self.missing = missing or client_error("InvalidParameterValue", "Dashboard {} does not exist.")
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def _call(self, method: str, params: dict[str, Any]) -> None:
        self.calls.append((method, params))
        if method in self.errors:
            raise self.errors.pop(method)

    def put_dashboard(self, **params: Any) -> dict[str, Any]:
        self._call("put_dashboard", params)
        self.dashboards[params["DashboardName"]] = params["DashboardBody"]
        return {"DashboardValidationMessages": []}

    def get_dashboard(self, **params: Any) -> dict[str, Any]:
        self._call("get_dashboard", params)
        name = params["DashboardName"]
        if name not in self.dashboards:
            error = self.missing.response["Error"]
            raise client_error(error["Code"], error["Message"].format(name),
                               self.missing.response["ResponseMetadata"]["HTTPStatusCode"])
        return {"DashboardName": name, "DashboardBody": self.dashboards[name],
                "DashboardArn": f"arn:aws:cloudwatch::{ACCOUNT}:dashboard/{name}"}

    def delete_dashboards(self, **params: Any) -> dict[str, Any]:
        self._call("delete_dashboards", params)
        for name in params["DashboardNames"]:
            self.dashboards.pop(name, None)
        return {}

    def called(self, method: str) -> list[dict[str, Any]]:
        return [params for name, params in self.calls if name == method]


@pytest.fixture
def cloudwatch(monkeypatch):
    """``cloudwatch(dashboards, **errors)``: install a :class:`FakeCloudWatch` as the provider's client."""

    def install(dashboards: dict[str, str] | None = None, **options: Any) -> FakeCloudWatch:
        client = FakeCloudWatch(dashboards, **options)
        monkeypatch.setattr(CloudWatchDashboardProvider, "cloudwatch", staticmethod(lambda request: client))
        return client

    return install


@pytest.fixture
def retired(monkeypatch):
    """What the provider hands to ``retire_after_update``: ``[(what, delete)]``; nothing runs in the background."""
    from sagewatch.localstack.cfn import base

    handed: list[tuple[str, Any]] = []
    monkeypatch.setattr(base, "retire_after_update", lambda request, what, delete: handed.append((what, delete)))
    return handed


def request(desired: dict[str, Any], *, previous: dict[str, Any] | None = None, logical: str = "Dashboard",
            action: str = "Add", stack: str = "sagewatch-monitoring") -> ResourceRequest[dict[str, Any]]:
    return ResourceRequest(
        _original_payload=desired, aws_client_factory=None, request_token="token", stack_name=stack,
        stack_id="stack-id", account_id=ACCOUNT, region_name=REGION, action=action, desired_state=dict(desired),
        logical_resource_id=logical, resource_type=TYPE, logger=None, custom_context={}, previous_state=previous)


# --- properties -----------------------------------------------------------------------------------------------


def test_docstring_examples():
    result = doctest.testmod(dashboard_module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0


def test_the_request_carries_the_body_string_unchanged_under_the_given_name():
    body = '{ "widgets" : [ ],\n  "periodOverride": "inherit" }'  # as Fn::Join rendered it: byte for byte
    assert dashboard_request({"DashboardBody": body, "DashboardName": "from-template"}, "ops") == {
        "DashboardName": "ops", "DashboardBody": body}


@pytest.mark.parametrize("properties, message", [
    ({}, "#: required key [DashboardBody] not found"),
    ({"DashboardName": "ops"}, "#: required key [DashboardBody] not found"),
    ({"DashboardBody": {"widgets": []}}, "#/DashboardBody: expected type: String, found: JSONObject"),
    ({"DashboardBody": [BODY]}, "#/DashboardBody: expected type: String, found: JSONArray"),
    ({"DashboardBody": BODY, "Tags": [{"Key": "a", "Value": "b"}]},
     "#: extraneous key [Tags] is not permitted"),
])
def test_schema_errors_are_property_errors(properties, message):
    with pytest.raises(PropertyError) as caught:
        dashboard_request(properties, "ops")
    assert str(caught.value) == message


@pytest.mark.parametrize("body", ["", "not json", "[]", '"widgets"', "null", "42", '{"widgets": [}'])
def test_a_body_that_is_not_a_json_object_is_rejected_as_put_dashboard_rejects_it(body):
    with pytest.raises(ClientError) as caught:
        dashboard_request({"DashboardBody": body}, "ops")
    assert caught.value.response["Error"] == {"Code": "InvalidParameterInput",
                                              "Message": "The field DashboardBody must be a valid JSON object"}


@pytest.mark.parametrize("name, ok", [
    ("a", True), ("Sage_Watch-monitoring-01", True), ("x" * 255, True),
    ("", False), ("x" * 256, False), ("has space", False), ("dots.not.allowed", False), ("slash/no", False),
])
def test_dashboard_names_follow_cloudwatchs_rules(name, ok):
    if ok:
        assert dashboard_request({"DashboardBody": BODY}, name)["DashboardName"] == name
        return
    with pytest.raises(ClientError) as caught:
        dashboard_request({"DashboardBody": BODY}, name)
    assert caught.value.response["Error"]["Code"] == "InvalidParameterInput"
    assert "DashboardName" in caught.value.response["Error"]["Message"]


def test_scalar_bodies_are_strings_as_cloudformation_coerces_them():
    with pytest.raises(ClientError, match="valid JSON object"):  # a number is a string "1", not a JSON object
        dashboard_request({"DashboardBody": 1}, "ops")


# --- create ---------------------------------------------------------------------------------------------------


def test_create_generates_a_cloudformation_style_name_and_puts_the_body(cloudwatch):
    client = cloudwatch()
    event = CloudWatchDashboardProvider().create(request({"DashboardBody": BODY}, logical="MonitoringDashboard4A2B"))
    assert event.status == OperationStatus.SUCCESS
    name = event.resource_model["DashboardName"]
    assert re.fullmatch(r"sagewatch-monitoring-MonitoringDashboard4A2B-[A-Z0-9]{12}", name)
    assert event.resource_model == {"DashboardBody": BODY, "DashboardName": name}
    assert client.called("put_dashboard") == [{"DashboardName": name, "DashboardBody": BODY}]
    assert client.dashboards == {name: BODY}


def test_generated_names_keep_to_255_characters_of_the_allowed_alphabet(cloudwatch):
    cloudwatch()
    event = CloudWatchDashboardProvider().create(request({"DashboardBody": BODY}, stack="s" * 300,
                                               logical="VeryLongLogicalIdOfTheDashboardConstruct"))
    name = event.resource_model["DashboardName"]
    assert len(name) == 255 and re.fullmatch(r"[A-Za-z0-9_-]+", name)
    assert re.search(r"-VeryLongLogicalIdOfTheDa-[A-Z0-9]{12}$", name)


def test_generated_names_differ_between_stacks_and_resources(cloudwatch):
    cloudwatch()
    provider = CloudWatchDashboardProvider()
    names = {provider.create(request({"DashboardBody": BODY}, stack=stack, logical=logical)).resource_model[
        "DashboardName"] for stack in ("a", "b") for logical in ("One", "Two")}
    assert len(names) == 4


def test_a_template_name_is_used_as_given_and_is_the_primary_identifier(cloudwatch):
    client = cloudwatch()
    event = CloudWatchDashboardProvider().create(request({"DashboardName": "churn-ops", "DashboardBody": BODY}))
    assert event.status == OperationStatus.SUCCESS
    assert event.resource_model["DashboardName"] == "churn-ops"
    assert client.dashboards == {"churn-ops": BODY}
    assert CloudWatchDashboardProvider.SCHEMA["primaryIdentifier"] == ["/properties/DashboardName"]  # Ref = the name


def test_create_does_not_overwrite_a_dashboard_that_exists(cloudwatch):
    client = cloudwatch({"churn-ops": NEW_BODY})
    event = CloudWatchDashboardProvider().create(request({"DashboardName": "churn-ops", "DashboardBody": BODY}))
    assert (event.status, event.error_code) == (OperationStatus.FAILED, "AlreadyExists")
    assert event.message == ("Resource handler returned message: \"Resource of type 'AWS::CloudWatch::Dashboard' "
                             "with identifier 'churn-ops' already exists.\" (HandlerErrorCode: AlreadyExists)")
    assert client.called("put_dashboard") == [] and client.dashboards == {"churn-ops": NEW_BODY}


def test_aws_not_found_answer_also_counts_as_absent(cloudwatch):
    client = cloudwatch(missing=client_error("ResourceNotFound", "Dashboard {} does not exist", 404))
    event = CloudWatchDashboardProvider().create(request({"DashboardName": "churn-ops", "DashboardBody": BODY}))
    assert event.status == OperationStatus.SUCCESS and "churn-ops" in client.dashboards


def test_invalid_properties_fail_the_resource_before_any_call(cloudwatch):
    client = cloudwatch()
    event = CloudWatchDashboardProvider().create(request({"DashboardBody": {"widgets": []}}, logical="Dash"))
    assert (event.status, event.error_code) == (OperationStatus.FAILED, "InvalidRequest")
    assert event.message == ("Properties validation failed for resource Dash with message: #/DashboardBody: "
                             "expected type: String, found: JSONObject")
    assert client.calls == []


def test_a_body_put_dashboard_would_reject_fails_with_its_message(cloudwatch):
    client = cloudwatch()
    event = CloudWatchDashboardProvider().create(request({"DashboardBody": "widgets: []"}))
    assert (event.status, event.error_code) == (OperationStatus.FAILED, "InvalidRequest")
    assert event.message == ('Resource handler returned message: "The field DashboardBody must be a valid JSON '
                             'object" (HandlerErrorCode: InvalidRequest)')
    assert client.calls == []


def test_api_errors_fail_the_resource_with_cloudformations_wording(cloudwatch):
    cloudwatch(put_dashboard=client_error("InvalidParameterValue", "The value for field DashboardName contains "
                                                                   "invalid characters."))
    event = CloudWatchDashboardProvider().create(request({"DashboardName": "ops", "DashboardBody": BODY}))
    assert (event.status, event.error_code) == (OperationStatus.FAILED, "InvalidRequest")
    assert event.message.endswith("(HandlerErrorCode: InvalidRequest)")


# --- update ---------------------------------------------------------------------------------------------------


def test_update_puts_the_new_body_under_the_generated_name(cloudwatch, retired):
    client = cloudwatch({"stack-Dashboard-ABC": BODY})
    previous = {"DashboardName": "stack-Dashboard-ABC", "DashboardBody": BODY}
    event = CloudWatchDashboardProvider().update(request({"DashboardBody": NEW_BODY}, previous=previous, action="Modify"))
    assert event.status == OperationStatus.SUCCESS
    assert event.resource_model == {"DashboardBody": NEW_BODY, "DashboardName": "stack-Dashboard-ABC"}
    assert client.called("put_dashboard") == [{"DashboardName": "stack-Dashboard-ABC", "DashboardBody": NEW_BODY}]
    assert client.dashboards == {"stack-Dashboard-ABC": NEW_BODY}
    assert client.called("delete_dashboards") == [] and retired == []


def test_update_with_the_same_template_name_stays_in_place(cloudwatch, retired):
    client = cloudwatch({"ops": BODY})
    event = CloudWatchDashboardProvider().update(request({"DashboardName": "ops", "DashboardBody": NEW_BODY},
                                               previous={"DashboardName": "ops", "DashboardBody": BODY}))
    assert event.status == OperationStatus.SUCCESS
    assert client.dashboards == {"ops": NEW_BODY} and retired == []


def test_update_with_an_invalid_body_fails_and_keeps_the_dashboard(cloudwatch):
    client = cloudwatch({"ops": BODY})
    event = CloudWatchDashboardProvider().update(request({"DashboardBody": "{"}, previous={"DashboardName": "ops",
                                                                                  "DashboardBody": BODY}))
    assert event.status == OperationStatus.FAILED and "valid JSON object" in event.message
    assert client.dashboards == {"ops": BODY}


def test_update_to_a_new_name_puts_the_new_dashboard_and_retires_the_old_one(cloudwatch, retired):
    """The engine calls update() when only a value behind Ref / Fn::GetAtt in DashboardName changed."""
    client = cloudwatch({"ops-v1": BODY})
    event = CloudWatchDashboardProvider().update(request({"DashboardName": "ops-v2", "DashboardBody": NEW_BODY},
                                               previous={"DashboardName": "ops-v1", "DashboardBody": BODY}))
    assert event.status == OperationStatus.SUCCESS and event.resource_model["DashboardName"] == "ops-v2"
    assert client.dashboards == {"ops-v1": BODY, "ops-v2": NEW_BODY}  # the old one goes after the update
    [(what, delete)] = retired
    assert what == "AWS::CloudWatch::Dashboard ops-v1"
    delete()
    assert client.dashboards == {"ops-v2": NEW_BODY}


def test_update_to_a_name_that_is_taken_fails_and_retires_nothing(cloudwatch, retired):
    client = cloudwatch({"ops-v1": BODY, "ops-v2": NEW_BODY})
    event = CloudWatchDashboardProvider().update(request({"DashboardName": "ops-v2", "DashboardBody": BODY},
                                               previous={"DashboardName": "ops-v1", "DashboardBody": BODY}))
    assert (event.status, event.error_code) == (OperationStatus.FAILED, "AlreadyExists")
    assert client.dashboards == {"ops-v1": BODY, "ops-v2": NEW_BODY} and retired == []


# --- delete and read ------------------------------------------------------------------------------------------


def test_delete_removes_the_dashboard(cloudwatch):
    client = cloudwatch({"ops": BODY, "other": BODY})
    state = {"DashboardName": "ops", "DashboardBody": BODY}
    event = CloudWatchDashboardProvider().delete(request(state, previous=state, action="Remove"))
    assert event.status == OperationStatus.SUCCESS
    assert client.called("delete_dashboards") == [{"DashboardNames": ["ops"]}]
    assert client.dashboards == {"other": BODY}


@pytest.mark.parametrize("error", [
    client_error("ResourceNotFound", "Dashboard ops does not exist", 404),  # AWS
    client_error("InvalidParameterValue", "Dashboard ops does not exist."),
])
def test_delete_is_idempotent(cloudwatch, error):
    cloudwatch(delete_dashboards=error)
    state = {"DashboardName": "ops", "DashboardBody": BODY}
    assert CloudWatchDashboardProvider().delete(request(state, previous=state, action="Remove")).status == \
        OperationStatus.SUCCESS


def test_deleting_twice_and_deleting_what_was_never_created_succeed(cloudwatch):
    client = cloudwatch({"ops": BODY})
    state = {"DashboardName": "ops", "DashboardBody": BODY}
    provider = CloudWatchDashboardProvider()
    for _ in range(2):
        assert provider.delete(request(state, previous=state, action="Remove")).status == OperationStatus.SUCCESS
    assert provider.delete(request({"DashboardBody": BODY}, action="Remove")).status == OperationStatus.SUCCESS
    assert len(client.called("delete_dashboards")) == 2 and client.dashboards == {}


def test_other_delete_errors_fail(cloudwatch):
    cloudwatch(delete_dashboards=client_error("InternalServiceError", "boom", 500))
    state = {"DashboardName": "ops", "DashboardBody": BODY}
    event = CloudWatchDashboardProvider().delete(request(state, previous=state, action="Remove"))
    assert (event.status, event.error_code) == (OperationStatus.FAILED, "GeneralServiceException")


def test_read_returns_name_and_body(cloudwatch):
    cloudwatch({"ops": BODY})
    event = CloudWatchDashboardProvider().read(request({"DashboardName": "ops"}))
    assert event.status == OperationStatus.SUCCESS
    assert event.resource_model == {"DashboardName": "ops", "DashboardBody": BODY}
    missing = CloudWatchDashboardProvider().read(request({"DashboardName": "gone"}))
    assert (missing.status, missing.error_code) == (OperationStatus.FAILED, "NotFound")


# --- schema and plugin ----------------------------------------------------------------------------------------


def test_schema_is_the_real_types_essentials():
    schema = CloudWatchDashboardProvider.SCHEMA
    assert schema["typeName"] == TYPE
    assert schema["primaryIdentifier"] == schema["createOnlyProperties"] == ["/properties/DashboardName"]
    assert "readOnlyProperties" not in schema  # no Fn::GetAtt attributes on AWS either
    assert CloudWatchDashboardProvider.NAME == "DashboardName" and CloudWatchDashboardProvider.NAME_LIMIT == 255


def test_physical_resource_id_is_the_dashboard_name():
    from localstack.services.cloudformation.resource_provider import ResourceProviderExecutor

    executor = ResourceProviderExecutor(stack_name="s", stack_id="id")
    assert executor.extract_physical_resource_id_from_model_with_schema(
        {"DashboardName": "ops", "DashboardBody": BODY}, TYPE, CloudWatchDashboardProvider.SCHEMA) == "ops"


def test_the_type_is_registered_as_a_localstack_resource_provider_plugin():
    from plux import PluginManager

    manager = PluginManager("localstack.cloudformation.resource_providers")
    assert TYPE in manager.list_names()
    plugin = manager.load(TYPE)
    assert plugin.factory is CloudWatchDashboardProvider
    assert isinstance(plugin.factory(), SageMakerResourceProvider)


def test_the_cloudwatch_client_is_localstacks_internal_one_for_the_request(monkeypatch):
    import localstack.aws.connect as connect

    seen = {}

    class Clients:
        cloudwatch = "the cloudwatch client"

    def connect_to(**kwargs):
        seen.update(kwargs)
        return Clients()

    monkeypatch.setattr(connect, "connect_to", connect_to)
    assert CloudWatchDashboardProvider.cloudwatch(request({})) == "the cloudwatch client"
    assert seen == {"aws_access_key_id": ACCOUNT, "region_name": REGION}
