"""``AWS::SageMaker::Endpoint``: CreateEndpoint, UpdateEndpoint and DeleteEndpoint, waiting as CloudFormation does.

- create: ``CreateEndpoint``, then ``IN_PROGRESS`` until ``DescribeEndpoint`` says ``InService`` (``SUCCESS``) or
  ``Failed`` (``FAILED`` with the endpoint's ``FailureReason``; the failed endpoint is deleted, as
  CloudFormation's rollback would);
- update: a new ``EndpointConfigName`` (typically a replaced ``EndpointConfig``) or ``DeploymentConfig`` calls
  ``UpdateEndpoint`` with the write-only switches ``RetainAllVariantProperties``,
  ``ExcludeRetainedVariantProperties`` and ``RetainDeploymentConfig``, then waits until the endpoint serves the
  new config; ``Tags`` changes use AddTags / DeleteTags;
- delete: ``DeleteEndpoint`` (the emulator stops the model servers), then waits until the endpoint is gone;
  an endpoint that does not exist counts as deleted.

``Ref`` is the endpoint's ARN; ``Fn::GetAtt`` gives ``EndpointName`` and ``EndpointArn``. ``EndpointName`` is
the only create-only property.
"""

from __future__ import annotations

import logging
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

__all__ = ["EndpointProvider"]

LOG = logging.getLogger(__name__)

IN_SERVICE, FAILED = "InService", "Failed"
UPDATE_OPTIONS = ("RetainAllVariantProperties", "ExcludeRetainedVariantProperties", "RetainDeploymentConfig")
UPDATED_BY = ("EndpointConfigName", "DeploymentConfig")


class EndpointProvider(SageMakerResourceProvider):
    SCHEMA = {
        "typeName": "AWS::SageMaker::Endpoint",
        "primaryIdentifier": ["/properties/EndpointArn"],
        "createOnlyProperties": ["/properties/EndpointName"],
        "readOnlyProperties": ["/properties/EndpointArn", "/properties/EndpointName"],
        "writeOnlyProperties": [f"/properties/{name}" for name in UPDATE_OPTIONS],
    }
    NAME = "EndpointName"

    @handles_errors
    def create(self, request: ResourceRequest[Properties]) -> ProgressEvent[Properties]:
        model = dict(request.desired_state)
        if request.custom_context.get("stage") != "creating":
            name = self.name_for(request)
            params = self.api_request("CreateEndpoint", model, ignore=(self.NAME, "EndpointArn", *UPDATE_OPTIONS))
            answer = self.sagemaker(request).create_endpoint(EndpointName=name, **params)
            model[self.NAME], model["EndpointArn"] = name, answer["EndpointArn"]
        described = self.sagemaker(request).describe_endpoint(EndpointName=model[self.NAME])
        status = described["EndpointStatus"]
        if status == IN_SERVICE:
            return success(model)
        if status == FAILED:
            self._discard(request, model[self.NAME])
            return failed(model, _failure_message(described), "NotStabilized")
        return in_progress(model, stage="creating")

    @handles_errors
    def update(self, request: ResourceRequest[Properties]) -> ProgressEvent[Properties]:
        previous = request.previous_state or {}
        model = self.carry_over(dict(request.desired_state), previous, (self.NAME, "EndpointArn"))
        context = request.custom_context
        if context.get("stage") == "updating":
            return self._updated(request, model, context["config"])
        if model.get("EndpointArn"):
            self.update_tags(request, model["EndpointArn"])
        if all(model.get(name) == previous.get(name) for name in UPDATED_BY):
            return success(model)
        params = self.api_request("UpdateEndpoint", model, ignore=("EndpointArn", "Tags"))
        self.sagemaker(request).update_endpoint(**params)
        return self._updated(request, model, params["EndpointConfigName"])

    def _updated(self, request: ResourceRequest[Properties], model: Properties, config: str
                 ) -> ProgressEvent[Properties]:
        described = self.sagemaker(request).describe_endpoint(EndpointName=model[self.NAME])
        status = described["EndpointStatus"]
        if status == IN_SERVICE and described.get("EndpointConfigName") == config:
            return success(model)
        if status == IN_SERVICE:  # the emulator rolled the update back: the old config still serves
            reason = (described.get("FailureReason")
                      or f"the endpoint still serves {described.get('EndpointConfigName')}")
            return failed(model, f'Resource handler returned message: "Update of endpoint {model[self.NAME]} to '
                                 f'endpoint config {config} failed: {reason}" (HandlerErrorCode: NotStabilized)',
                          "NotStabilized")
        if status == FAILED:
            return failed(model, _failure_message(described), "NotStabilized")
        return in_progress(model, stage="updating", config=config)

    @handles_errors
    def delete(self, request: ResourceRequest[Properties]) -> ProgressEvent[Properties]:
        name = self.existing_name(request)
        if not name:
            return success({})
        client = self.sagemaker(request)
        if request.custom_context.get("stage") != "deleting":
            try:
                client.delete_endpoint(EndpointName=name)
            except ClientError as error:
                if is_not_found(error):
                    return success({})
                raise
        try:
            client.describe_endpoint(EndpointName=name)
        except ClientError as error:
            if is_not_found(error):
                return success({})
            raise
        return in_progress(dict(request.desired_state or {}), stage="deleting")

    @handles_errors
    def read(self, request: ResourceRequest[Properties]) -> ProgressEvent[Properties]:
        name = self.existing_name(request)
        if not name:
            return failed({}, f"AWS::SageMaker::Endpoint {request.logical_resource_id} has no name.", "NotFound")
        described = self.sagemaker(request).describe_endpoint(EndpointName=name)
        return success({key: described[key] for key in ("EndpointName", "EndpointArn", "EndpointConfigName")})

    def _discard(self, request: ResourceRequest[Properties], name: str) -> None:
        """Delete a failed endpoint (CloudFormation's rollback would); errors only go to the log."""
        try:
            self.sagemaker(request).delete_endpoint(EndpointName=name)
        except ClientError as error:
            LOG.warning("sagewatch cfn: could not delete failed endpoint %s: %s", name, error)


def _failure_message(described: dict[str, Any]) -> str:
    reason = described.get("FailureReason") or "no reason given"
    return (f'Resource handler returned message: "Endpoint {described.get("EndpointArn")} is in Failed state: '
            f'{reason}" (HandlerErrorCode: NotStabilized)')
