"""``AWS::SageMaker::MonitoringSchedule``: Create / Update / DeleteMonitoringSchedule, waiting as AWS's handler
does.

A schedule is ``Pending`` right after CreateMonitoringSchedule and UpdateMonitoringSchedule; the handler returns
``IN_PROGRESS`` until it is ``Scheduled`` or ``Stopped`` (``SUCCESS``) or ``Failed`` (``FAILED`` with the
schedule's ``FailureReason``). Delete waits until DescribeMonitoringSchedule no longer finds it; a schedule that
does not exist counts as deleted.

``Ref`` is the schedule's ARN; ``Fn::GetAtt`` gives ``MonitoringScheduleArn``, ``CreationTime`` and
``LastModifiedTime`` (the real schema's read-only attributes), ``MonitoringScheduleName`` and
``MonitoringScheduleStatus``. Only ``MonitoringScheduleName`` is create-only; a new ``MonitoringScheduleConfig``
is applied in place with UpdateMonitoringSchedule and ``Tags`` with AddTags / DeleteTags.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError
from localstack.services.cloudformation.resource_provider import ProgressEvent, ResourceRequest

from sagewatch.localstack.cfn.base import (
    Properties,
    SageMakerResourceProvider,
    failed,
    handles_errors,
    in_progress,
    is_not_found,
    success,
)
from sagewatch.localstack.cfn.properties import iso_time

__all__ = ["MonitoringScheduleProvider"]

ATTRIBUTES = ("MonitoringScheduleArn", "CreationTime", "LastModifiedTime", "MonitoringScheduleStatus")
CFN_ONLY = ("EndpointName", "FailureReason", "LastMonitoringExecutionSummary", *ATTRIBUTES)
SETTLED = ("Scheduled", "Stopped")


class MonitoringScheduleProvider(SageMakerResourceProvider):
    SCHEMA = {
        "typeName": "AWS::SageMaker::MonitoringSchedule",
        "primaryIdentifier": ["/properties/MonitoringScheduleArn"],
        "createOnlyProperties": ["/properties/MonitoringScheduleName"],
        "readOnlyProperties": ["/properties/MonitoringScheduleArn", "/properties/CreationTime",
                               "/properties/LastModifiedTime"],
    }
    NAME = "MonitoringScheduleName"

    @handles_errors
    def create(self, request: ResourceRequest[Properties]) -> ProgressEvent[Properties]:
        model = dict(request.desired_state)
        if request.custom_context.get("stage") != "creating":
            name = self.name_for(request)
            params = self.api_request("CreateMonitoringSchedule", model, ignore=(self.NAME, *CFN_ONLY))
            answer = self.sagemaker(request).create_monitoring_schedule(MonitoringScheduleName=name, **params)
            model[self.NAME], model["MonitoringScheduleArn"] = name, answer["MonitoringScheduleArn"]
        return self._settled(request, model, "creating")

    @handles_errors
    def update(self, request: ResourceRequest[Properties]) -> ProgressEvent[Properties]:
        previous = request.previous_state or {}
        model = self.carry_over(dict(request.desired_state), previous, (self.NAME, *ATTRIBUTES))
        if request.custom_context.get("stage") == "updating":
            return self._settled(request, model, "updating")
        if model.get("MonitoringScheduleArn"):
            self.update_tags(request, model["MonitoringScheduleArn"])
        if model.get("MonitoringScheduleConfig") != previous.get("MonitoringScheduleConfig"):
            params = self.api_request("UpdateMonitoringSchedule", model, ignore=("Tags", *CFN_ONLY))
            self.sagemaker(request).update_monitoring_schedule(**params)
        return self._settled(request, model, "updating")

    def _settled(self, request: ResourceRequest[Properties], model: Properties, stage: str
                 ) -> ProgressEvent[Properties]:
        described = self.sagemaker(request).describe_monitoring_schedule(MonitoringScheduleName=model[self.NAME])
        model.update(_attributes(described))
        status = described.get("MonitoringScheduleStatus")
        if status in SETTLED:
            return success(model)
        if status == "Failed":
            reason = described.get("FailureReason") or "no reason given"
            return failed(model, f'Resource handler returned message: "Monitoring schedule '
                                 f'{described.get("MonitoringScheduleArn")} is in Failed state: {reason}" '
                                 "(HandlerErrorCode: NotStabilized)", "NotStabilized")
        return in_progress(model, stage=stage)

    @handles_errors
    def delete(self, request: ResourceRequest[Properties]) -> ProgressEvent[Properties]:
        name = self.existing_name(request)
        if not name:
            return success({})
        client = self.sagemaker(request)
        try:
            if request.custom_context.get("stage") != "deleting":
                client.delete_monitoring_schedule(MonitoringScheduleName=name)
            client.describe_monitoring_schedule(MonitoringScheduleName=name)
        except ClientError as error:
            if is_not_found(error):
                return success({})
            raise
        return in_progress(dict(request.desired_state or {}), stage="deleting")

    @handles_errors
    def read(self, request: ResourceRequest[Properties]) -> ProgressEvent[Properties]:
        name = self.existing_name(request)
        if not name:
            return failed({}, f"AWS::SageMaker::MonitoringSchedule {request.logical_resource_id} has no name.",
                          "NotFound")
        described = self.sagemaker(request).describe_monitoring_schedule(MonitoringScheduleName=name)
        model = {self.NAME: name, "MonitoringScheduleConfig": described.get("MonitoringScheduleConfig")}
        return success({**model, **_attributes(described)})


def _attributes(described: dict[str, Any]) -> dict[str, Any]:
    return {
        "MonitoringScheduleArn": described.get("MonitoringScheduleArn"),
        "CreationTime": iso_time(described.get("CreationTime")),
        "LastModifiedTime": iso_time(described.get("LastModifiedTime")),
        "MonitoringScheduleStatus": described.get("MonitoringScheduleStatus"),
    }
