"""``AWS::CloudWatch::Dashboard``: PutDashboard / GetDashboard / DeleteDashboards through the emulator's API.

LocalStack 4.13.1 serves the dashboard API but its CloudFormation engine has no provider for the type (it would
deploy one as an empty fallback), so the plugin brings one, as it does for the ``AWS::SageMaker::*`` types:

- create: ``PutDashboard`` with the template's ``DashboardName``, or a generated ``<stack>-<logicalId>-<RANDOM>``
  (dashboard names take up to 255 characters of ``A-Za-z0-9-_``). A dashboard of that name that already exists
  fails the resource with ``AlreadyExists``, as CloudFormation's handler does (``PutDashboard`` alone would
  overwrite it);
- update: ``PutDashboard`` again under the same name with the new ``DashboardBody``. ``DashboardName`` is the
  only create-only property: the engine replaces the dashboard when the template's name changes; when only a
  value behind ``Ref`` or ``Fn::GetAtt`` changed and the engine calls update instead, the provider puts the new
  dashboard and deletes the old one once the stack update is over (as
  :class:`~sagewatch.localstack.cfn.base.FixedResourceProvider` does);
- delete: ``DeleteDashboards``; a dashboard that does not exist counts as deleted.

``DashboardBody`` is a string holding a JSON object (the CDK renders it with ``Fn::Join``; the engine resolves
that before the provider sees it). Its shape is checked as CloudFormation's schema checks it (a required string;
no other properties), its content as ``PutDashboard`` checks it, before any call. ``Ref`` is the dashboard's name
(the primary identifier); the real schema has no ``Fn::GetAtt`` attributes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError
from localstack.services.cloudformation.resource_provider import OperationStatus, ProgressEvent, ResourceRequest

from sagewatch.localstack.cfn import base
from sagewatch.localstack.cfn.base import (
    Properties,
    SageMakerResourceProvider,
    failed,
    handles_errors,
    is_not_found,
    success,
)
from sagewatch.localstack.cfn.properties import PropertyError, to_api

__all__ = ["DASHBOARD_NAME_LIMIT", "CloudWatchDashboardProvider", "dashboard_request"]

TYPE_NAME = "AWS::CloudWatch::Dashboard"
DASHBOARD_NAME_LIMIT = 255
_DASHBOARD_NAME = re.compile(r"[A-Za-z0-9_-]+")


def dashboard_request(properties: Mapping[str, Any], name: str) -> dict[str, str]:
    """The ``PutDashboard`` parameters for a dashboard's CloudFormation *properties* under *name*.

    Raises
    ------
    PropertyError
        What CloudFormation's schema validation rejects: a property the type does not have, a ``DashboardBody``
        that is missing or not a string.
    botocore.exceptions.ClientError
        What ``PutDashboard`` rejects (``InvalidParameterInput``): a body that is not a JSON object, a name that
        is empty, too long or has characters other than ``A-Za-z0-9-_``.

    Examples
    --------
    >>> dashboard_request({"DashboardBody": '{"widgets": []}', "DashboardName": "ignored"}, "ops")
    {'DashboardName': 'ops', 'DashboardBody': '{"widgets": []}'}
    >>> dashboard_request({"DashboardBody": {"widgets": []}}, "ops")
    Traceback (most recent call last):
    ...
    sagewatch.localstack.cfn.properties.PropertyError: #/DashboardBody: expected type: String, found: JSONObject
    >>> dashboard_request({"DashboardBody": "[]"}, "ops")
    Traceback (most recent call last):
    ...
    botocore.exceptions.ClientError: An error occurred (InvalidParameterInput) when calling the PutDashboard \
operation: The field DashboardBody must be a valid JSON object
    """
    from localstack.aws.spec import load_service

    shape = load_service("cloudwatch").operation_model("PutDashboard").input_shape
    params = to_api(properties, shape, ignore=("DashboardName",))
    if params.get("DashboardBody") is None:
        raise PropertyError("#", "required key [DashboardBody] not found")
    check_name(name)
    try:
        body = json.loads(params["DashboardBody"])
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise invalid_input("The field DashboardBody must be a valid JSON object")
    return {"DashboardName": name, "DashboardBody": params["DashboardBody"]}


def check_name(name: str) -> None:
    """Raise ``PutDashboard``'s ``InvalidParameterInput`` unless *name* is a valid dashboard name.

    Examples
    --------
    >>> check_name("sagewatch-monitoring-Dashboard_1")
    >>> check_name("x" * 256)
    Traceback (most recent call last):
    ...
    botocore.exceptions.ClientError: An error occurred (InvalidParameterInput) when calling the PutDashboard \
operation: The value for field DashboardName must be between 1 and 255 characters long.
    """
    if not 1 <= len(name) <= DASHBOARD_NAME_LIMIT:
        raise invalid_input(f"The value for field DashboardName must be between 1 and {DASHBOARD_NAME_LIMIT} "
                            "characters long.")
    if not _DASHBOARD_NAME.fullmatch(name):
        raise invalid_input("The value for field DashboardName contains invalid characters. It can only contain "
                            "alphanumerics, dash (-) and underscore (_).")


def invalid_input(message: str) -> ClientError:
    """The error ``PutDashboard`` answers for input it rejects (``DashboardInvalidInputError``)."""
    return ClientError({"Error": {"Code": "InvalidParameterInput", "Message": message},
                        "ResponseMetadata": {"HTTPStatusCode": 400}}, "PutDashboard")


class CloudWatchDashboardProvider(SageMakerResourceProvider):
    SCHEMA = {
        "typeName": TYPE_NAME,
        "primaryIdentifier": ["/properties/DashboardName"],
        "createOnlyProperties": ["/properties/DashboardName"],
        "required": ["DashboardBody"],
    }
    NAME = "DashboardName"
    NAME_LIMIT = DASHBOARD_NAME_LIMIT

    @staticmethod
    def cloudwatch(request: ResourceRequest[Properties]) -> Any:
        """LocalStack's internal CloudWatch client for the request's account and region."""
        from localstack.aws.connect import connect_to

        return connect_to(aws_access_key_id=request.account_id, region_name=request.region_name).cloudwatch

    @handles_errors
    def create(self, request: ResourceRequest[Properties]) -> ProgressEvent[Properties]:
        model = dict(request.desired_state)
        return self._put_new(request, model, self.name_for(request))

    def _put_new(self, request: ResourceRequest[Properties], model: Properties, name: str
                 ) -> ProgressEvent[Properties]:
        params = dashboard_request(model, name)
        if self._exists(request, name):
            return failed(model, f"Resource handler returned message: \"Resource of type '{TYPE_NAME}' with "
                                 f"identifier '{name}' already exists.\" (HandlerErrorCode: AlreadyExists)",
                          "AlreadyExists")
        self.cloudwatch(request).put_dashboard(**params)
        model[self.NAME] = name
        return success(model)

    @handles_errors
    def update(self, request: ResourceRequest[Properties]) -> ProgressEvent[Properties]:
        previous = request.previous_state or {}
        old = previous.get(self.NAME)
        model, name = dict(request.desired_state), self.name_for(request)  # the template's, else the deployed one
        if old and name != old:  # a new name the engine did not see as a replacement
            event = self._put_new(request, model, name)
            if event.status == OperationStatus.SUCCESS:
                base.retire_after_update(request, f"{TYPE_NAME} {old}",
                                         lambda: self._delete_quietly(request, str(old)))
            return event
        self.cloudwatch(request).put_dashboard(**dashboard_request(model, name))
        model[self.NAME] = name
        return success(model)

    @handles_errors
    def delete(self, request: ResourceRequest[Properties]) -> ProgressEvent[Properties]:
        name = self.existing_name(request)
        if name:
            self._delete_quietly(request, name)
        return success({})

    @handles_errors
    def read(self, request: ResourceRequest[Properties]) -> ProgressEvent[Properties]:
        name = self.existing_name(request)
        if not name:
            return failed({}, f"{TYPE_NAME} {request.logical_resource_id} has no name.", "NotFound")
        described = self.cloudwatch(request).get_dashboard(DashboardName=name)
        return success({"DashboardName": described["DashboardName"], "DashboardBody": described["DashboardBody"]})

    def _exists(self, request: ResourceRequest[Properties], name: str) -> bool:
        try:
            self.cloudwatch(request).get_dashboard(DashboardName=name)
        except ClientError as error:
            if is_not_found(error):
                return False
            raise
        return True

    def _delete_quietly(self, request: ResourceRequest[Properties], name: str) -> None:
        try:
            self.cloudwatch(request).delete_dashboards(DashboardNames=[name])
        except ClientError as error:
            if not is_not_found(error):
                raise
