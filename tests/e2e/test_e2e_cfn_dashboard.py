"""CloudFormation stacks with an AWS::CloudWatch::Dashboard on the emulator, deployed with boto3.

LocalStack 4.13.1 has no provider for the type and would deploy it as an empty fallback that still reports
CREATE_COMPLETE; the sagewatch plugin's provider puts it through the emulator's CloudWatch API. The template
writes the body as the CDK does (``Fn::Join`` of JSON fragments and ``Ref``s) and holds one dashboard with a
generated name and one with a name from ``Fn::Sub``. The tests check that the stack deploys, that GetDashboard
returns the joined body under the name ``Ref`` gives, that an update changes the body in place and a new name
replaces the dashboard, that deleting the stack removes the dashboards, and that a bad body or a taken name
fails the stack with CloudFormation's reason.
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

STACK_TIMEOUT = 120.0
REGION = "us-east-1"


def dashboard_body(title: str) -> str:
    """What the template's ``Fn::Join`` of :func:`dashboard_template` resolves to for *title*."""
    return json.dumps({"widgets": [{
        "type": "metric", "width": 24, "height": 6, "x": 0, "y": 0,
        "properties": {"view": "timeSeries", "title": title, "region": REGION,
                       "metrics": [["AWS/SageMaker", "Invocations", "EndpointName", "churn", "VariantName",
                                    "AllTraffic"]]},
    }]}, separators=(",", ":"))


def dashboard_template() -> dict[str, Any]:
    """Two dashboards whose bodies are joined as the CDK joins them (the title and the region are ``Ref``s)."""
    head, tail = dashboard_body("TITLE").split("TITLE")
    before_region, after_region = tail.split(REGION)
    body = {"Fn::Join": ["", [head, {"Ref": "Title"}, before_region, {"Ref": "AWS::Region"}, after_region]]}
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Parameters": {
            "Title": {"Type": "String", "Default": "Invocations"},
            "Suffix": {"Type": "String", "Default": "ops"},
        },
        "Resources": {
            "Dashboard": {"Type": "AWS::CloudWatch::Dashboard", "Properties": {"DashboardBody": body}},
            "NamedDashboard": {"Type": "AWS::CloudWatch::Dashboard", "Properties": {
                "DashboardName": {"Fn::Sub": "${AWS::StackName}-${Suffix}"},
                "DashboardBody": body,
            }},
        },
        "Outputs": {
            "DashboardRef": {"Value": {"Ref": "Dashboard"}},
            "NamedDashboardRef": {"Value": {"Ref": "NamedDashboard"}},
        },
    }


# --- helpers --------------------------------------------------------------------------------------------------


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


def parameters(**values: str) -> list[dict[str, str]]:
    return [{"ParameterKey": key, "ParameterValue": value} for key, value in values.items()]


def failure_events(cfn: Any, stack: str) -> dict[str, str]:
    events = cfn.describe_stack_events(StackName=stack)["StackEvents"]
    return {event["LogicalResourceId"]: event.get("ResourceStatusReason", "") for event in events
            if event["ResourceStatus"].endswith("_FAILED") and event["LogicalResourceId"] != stack}


def exists(cloudwatch: Any, name: str) -> bool:
    try:
        cloudwatch.get_dashboard(DashboardName=name)
    except ClientError as error:
        # LocalStack: InvalidParameterValue "Dashboard <name> does not exist."; AWS: ResourceNotFound
        assert error.response["Error"]["Code"] in ("InvalidParameterValue", "ResourceNotFound"), error.response
        return False
    return True


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.2)


class Stacks:
    """Stacks of the module, deleted afterwards (and waited for)."""

    def __init__(self, cfn: Any) -> None:
        self.cfn = cfn
        self.ids: list[str] = []

    def create(self, template: dict[str, Any], **values: str) -> tuple[str, dict[str, Any]]:
        name = f"sw-dash-{uuid.uuid4().hex[:8]}"
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
def stacks(aws_client: Callable[[str], Any]) -> Iterator[Stacks]:
    kit = Stacks(aws_client("cloudformation"))
    yield kit
    kit.cleanup()


@pytest.fixture(scope="module")
def deployed(stacks: Stacks) -> dict[str, Any]:
    """The dashboard stack, created once for the module: ``{"stack", "described"}``."""
    stack, described = stacks.create(dashboard_template())
    return {"stack": stack, "described": described}


# --- create ---------------------------------------------------------------------------------------------------


def test_stack_with_dashboards_reaches_create_complete(deployed, stacks):
    stack, described = deployed["stack"], deployed["described"]
    assert described["StackStatus"] == "CREATE_COMPLETE", failure_events(stacks.cfn, stack)
    resources = stacks.cfn.describe_stack_resources(StackName=stack)["StackResources"]
    assert {r["LogicalResourceId"]: (r["ResourceType"], r["ResourceStatus"]) for r in resources} == dict.fromkeys(
        ["Dashboard", "NamedDashboard"], ("AWS::CloudWatch::Dashboard", "CREATE_COMPLETE"))
    physical = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources}
    values = outputs(described)
    assert physical == {"Dashboard": values["DashboardRef"], "NamedDashboard": values["NamedDashboardRef"]}


def test_ref_is_the_name_generated_or_given(deployed):
    values, stack = outputs(deployed["described"]), deployed["stack"]
    generated = values["DashboardRef"]
    assert generated.startswith(f"{stack}-Dashboard-") and len(generated) == len(f"{stack}-Dashboard-") + 12
    assert all(c.isalnum() or c in "-_" for c in generated)
    assert values["NamedDashboardRef"] == f"{stack}-ops"


def test_get_dashboard_returns_the_joined_body(deployed, aws_client):
    cloudwatch, values = aws_client("cloudwatch"), outputs(deployed["described"])
    for name in (values["DashboardRef"], values["NamedDashboardRef"]):
        answer = cloudwatch.get_dashboard(DashboardName=name)
        assert answer["DashboardName"] == name
        assert answer["DashboardBody"] == dashboard_body("Invocations")
        assert answer["DashboardArn"].endswith(f":dashboard/{name}")
    listed = {d["DashboardName"] for d in cloudwatch.list_dashboards(DashboardNamePrefix=deployed["stack"])[
        "DashboardEntries"]}
    assert listed == {values["DashboardRef"], values["NamedDashboardRef"]}


# --- update ---------------------------------------------------------------------------------------------------


def test_update_changes_the_body_in_place(deployed, stacks, aws_client):
    cloudwatch, before = aws_client("cloudwatch"), outputs(deployed["described"])
    stacks.cfn.update_stack(StackName=deployed["stack"], TemplateBody=json.dumps(dashboard_template()),
                            Parameters=parameters(Title="Invocations per variant"))
    described = wait_for_stack(stacks.cfn, deployed["stack"])
    assert described["StackStatus"] == "UPDATE_COMPLETE", failure_events(stacks.cfn, deployed["stack"])
    deployed["described"] = described
    assert outputs(described) == before  # same dashboards
    for name in before.values():
        assert cloudwatch.get_dashboard(DashboardName=name)["DashboardBody"] == dashboard_body(
            "Invocations per variant")


def test_a_new_name_replaces_the_named_dashboard(deployed, stacks, aws_client):
    cloudwatch, before = aws_client("cloudwatch"), outputs(deployed["described"])
    stacks.cfn.update_stack(StackName=deployed["stack"], TemplateBody=json.dumps(dashboard_template()),
                            Parameters=parameters(Title="Invocations per variant", Suffix="operations"))
    described = wait_for_stack(stacks.cfn, deployed["stack"])
    assert described["StackStatus"] == "UPDATE_COMPLETE", failure_events(stacks.cfn, deployed["stack"])
    deployed["described"] = described
    after = outputs(described)
    assert after["DashboardRef"] == before["DashboardRef"]
    assert after["NamedDashboardRef"] == f"{deployed['stack']}-operations"
    assert cloudwatch.get_dashboard(DashboardName=after["NamedDashboardRef"])["DashboardBody"] == dashboard_body(
        "Invocations per variant")
    wait_until(lambda: not exists(cloudwatch, before["NamedDashboardRef"]), 20, "the replaced dashboard to go")


# --- delete ---------------------------------------------------------------------------------------------------


def test_delete_stack_removes_the_dashboards(deployed, stacks, aws_client):
    cloudwatch, values = aws_client("cloudwatch"), outputs(deployed["described"])
    stack_id = deployed["described"]["StackId"]
    stacks.cfn.delete_stack(StackName=deployed["stack"])
    described = wait_for_stack(stacks.cfn, stack_id)
    assert described["StackStatus"] == "DELETE_COMPLETE", failure_events(stacks.cfn, stack_id)
    for name in values.values():
        assert not exists(cloudwatch, name), name
    assert cloudwatch.list_dashboards(DashboardNamePrefix=deployed["stack"])["DashboardEntries"] == []


# --- failures -------------------------------------------------------------------------------------------------


def test_a_body_that_is_not_a_json_object_fails_the_stack_with_the_reason(stacks, aws_client):
    template = {"Resources": {"Dashboard": {"Type": "AWS::CloudWatch::Dashboard", "Properties": {
        "DashboardBody": {"Fn::Join": ["", ["widgets: ", "[]"]]}}}}}
    stack, described = stacks.create(template)
    assert described["StackStatus"] in ("ROLLBACK_COMPLETE", "CREATE_FAILED"), described["StackStatus"]
    reasons = failure_events(stacks.cfn, stack)
    assert set(reasons) == {"Dashboard"}, reasons
    assert "The field DashboardBody must be a valid JSON object" in reasons["Dashboard"]
    assert "HandlerErrorCode: InvalidRequest" in reasons["Dashboard"]
    assert aws_client("cloudwatch").list_dashboards(DashboardNamePrefix=stack)["DashboardEntries"] == []


def test_a_name_that_is_taken_fails_the_stack_and_leaves_the_dashboard_alone(stacks, aws_client):
    cloudwatch = aws_client("cloudwatch")
    name, body = f"sw-dash-taken-{uuid.uuid4().hex[:8]}", json.dumps({"widgets": []})
    cloudwatch.put_dashboard(DashboardName=name, DashboardBody=body)
    try:
        template = {"Resources": {"Dashboard": {"Type": "AWS::CloudWatch::Dashboard", "Properties": {
            "DashboardName": name, "DashboardBody": dashboard_body("mine")}}}}
        stack, described = stacks.create(template)
        assert described["StackStatus"] in ("ROLLBACK_COMPLETE", "CREATE_FAILED"), described["StackStatus"]
        reasons = failure_events(stacks.cfn, stack)
        assert f"with identifier '{name}' already exists" in reasons.get("Dashboard", ""), reasons
        assert cloudwatch.get_dashboard(DashboardName=name)["DashboardBody"] == body
    finally:
        cloudwatch.delete_dashboards(DashboardNames=[name])
