"""What every resource provider of the plugin shares (the ``AWS::SageMaker::*`` types and
``AWS::CloudWatch::Dashboard``).

:class:`SageMakerResourceProvider` is a LocalStack ``ResourceProvider`` whose handlers call the SageMaker API of
the running emulator through LocalStack's internal client (``connect_to(...).sagemaker`` with the request's
account and region), so a stack goes through exactly the handlers a boto3 user's calls go through. It turns API
errors and property errors into ``FAILED`` progress events with CloudFormation's wording, makes deletes
idempotent (not found is success) and names resources the way CloudFormation does when a template gives no name.

Long operations (endpoints, schedules) return ``IN_PROGRESS`` with a ``stage`` in ``custom_context``; LocalStack's
engine calls the same handler again with that context (and the returned model as the desired state) until it
gets ``SUCCESS`` or ``FAILED``, for at most ``CFN_PER_RESOURCE_TIMEOUT`` seconds.

The error helpers also know CloudWatch's codes (``InvalidParameterValue``, ``InvalidParameterInput``, the
``ResourceNotFound`` of a missing dashboard), for :mod:`~sagewatch.localstack.cfn.cloudwatch_dashboard`.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from botocore.exceptions import ClientError
from localstack.services.cloudformation.resource_provider import (
    OperationStatus,
    ProgressEvent,
    ResourceProvider,
    ResourceRequest,
)

from sagewatch.localstack.cfn.properties import (
    NAME_LIMIT,
    PropertyError,
    iso_time,
    physical_name,
    tags_diff,
    to_api,
)

__all__ = ["FixedResourceProvider", "SageMakerResourceProvider", "api_error", "failed", "handles_errors",
           "in_progress", "is_not_found", "success"]

LOG = logging.getLogger(__name__)

Properties = dict[str, Any]
Handler = Callable[[Any, ResourceRequest[Properties]], ProgressEvent[Properties]]

RETIRE_TIMEOUT = 600.0
"""Seconds a replaced resource waits for the stack update to end; after that it is kept (and logged)."""
_NOT_FOUND_CODES = frozenset({"ResourceNotFound", "ResourceNotFoundException", "NotFoundException"})
_NOT_FOUND_TEXT = ("could not find", "does not exist")
_INVALID_CODES = frozenset({"ValidationException", "ValidationError",  # SageMaker
                            "InvalidParameterValue", "InvalidParameterInput", "InvalidParameterCombination"})


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def error_message(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Message", "")) or str(error)


def is_not_found(error: ClientError) -> bool:
    """Whether a SageMaker error says the resource does not exist (``ValidationException: Could not find ...``
    for models, configs and endpoints, ``ResourceNotFound`` for monitoring resources and dashboards, the HTTP
    404 that moto's ``DeleteModel`` answers for a missing model, and the ``InvalidParameterValue: Dashboard ...
    does not exist.`` of LocalStack's GetDashboard)."""
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    if error_code(error) in _NOT_FOUND_CODES or status == 404:
        return True
    message = error_message(error).lower()
    return error_code(error) in _INVALID_CODES and any(text in message for text in _NOT_FOUND_TEXT)


def handler_error_code(error: ClientError) -> str:
    """CloudFormation's handler error code for a SageMaker (or CloudWatch) error."""
    code, message = error_code(error), error_message(error).lower()
    if "already exist" in message:
        return "AlreadyExists"
    if code in ("ResourceInUse", "ResourceInUseException"):
        return "ResourceConflict"
    if is_not_found(error):
        return "NotFound"
    if code in _INVALID_CODES:
        return "InvalidRequest"
    if code in ("ResourceLimitExceeded", "ThrottlingException"):
        return "Throttling"
    return "GeneralServiceException"


def success(model: Properties, **context: Any) -> ProgressEvent[Properties]:
    return ProgressEvent(status=OperationStatus.SUCCESS, resource_model=model, custom_context=dict(context))


def in_progress(model: Properties, **context: Any) -> ProgressEvent[Properties]:
    return ProgressEvent(status=OperationStatus.IN_PROGRESS, resource_model=model, custom_context=dict(context))


def failed(model: Properties, message: str, code: str = "GeneralServiceException") -> ProgressEvent[Properties]:
    return ProgressEvent(status=OperationStatus.FAILED, resource_model=model, message=message, error_code=code)


def api_error(model: Properties, error: ClientError) -> ProgressEvent[Properties]:
    """The ``FAILED`` event for an API error, worded as CloudFormation words handler errors."""
    code = handler_error_code(error)
    return failed(model, f'Resource handler returned message: "{error_message(error)}" (HandlerErrorCode: {code})',
                  code)


def handles_errors(handler: Handler) -> Handler:
    """Turn the API and property errors a handler raises into ``FAILED`` events (never an exception: the
    engine's own wording for those would hide the reason)."""

    @functools.wraps(handler)
    def wrapper(self: Any, request: ResourceRequest[Properties]) -> ProgressEvent[Properties]:
        model = dict(request.desired_state or {})
        try:
            return handler(self, request)
        except PropertyError as error:
            return failed(model, f"Properties validation failed for resource {request.logical_resource_id} with "
                                 f"message: {error}", "InvalidRequest")
        except ClientError as error:
            LOG.info("sagewatch cfn: %s %s of %s failed: %s", request.action, request.resource_type,
                     request.logical_resource_id, error)
            return api_error(model, error)

    return wrapper


def retire_after_update(request: ResourceRequest[Properties], what: str, delete: Callable[[], None], *,
                        timeout: float = RETIRE_TIMEOUT, interval: float = 1.0) -> threading.Thread:
    """Call *delete* in the background once the stack's update is over, if it succeeded.

    This is CloudFormation's cleanup phase for a resource a provider replaced itself: the old resource goes
    only after every dependant has moved to the new one. After a failed update the old resource is kept (it
    may still serve), and the log says so.
    """

    def run() -> None:
        from localstack.aws.connect import connect_to

        cloudformation = connect_to(aws_access_key_id=request.account_id,
                                    region_name=request.region_name).cloudformation
        deadline = time.monotonic() + timeout
        status: str | None = None
        while time.monotonic() < deadline:
            try:
                status = cloudformation.describe_stacks(StackName=request.stack_name)["Stacks"][0]["StackStatus"]
            except ClientError:
                status = None  # the stack is gone: nothing refers to the old resource any more
            if status is None or not status.endswith("_IN_PROGRESS"):
                break
            time.sleep(interval)
        if status is not None and status not in ("UPDATE_COMPLETE", "DELETE_COMPLETE"):
            LOG.warning("sagewatch cfn: stack %s ended %s; keeping the replaced %s", request.stack_name, status,
                        what)
            return
        try:
            delete()
        except Exception:  # a background clean-up must not die silently, nor take anything down
            LOG.exception("sagewatch cfn: could not delete the replaced %s", what)

    thread = threading.Thread(target=run, daemon=True, name=f"sagewatch-cfn-retire-{request.logical_resource_id}")
    thread.start()
    return thread


class SageMakerResourceProvider(ResourceProvider[Properties]):
    """Base of the plugin's providers.

    Subclasses set :attr:`SCHEMA` (the real resource schema's ``typeName``, ``primaryIdentifier``,
    ``createOnlyProperties`` and ``readOnlyProperties``), :attr:`NAME` (the name property, generated when the
    template gives none, at most :attr:`NAME_LIMIT` characters) and :attr:`CFN_ONLY` (properties that exist in
    CloudFormation but not in the create request: read-only attributes and switches).
    """

    SCHEMA: ClassVar[dict[str, Any]]
    NAME: ClassVar[str]
    NAME_LIMIT: ClassVar[int] = NAME_LIMIT
    CFN_ONLY: ClassVar[tuple[str, ...]] = ()

    # --- helpers -------------------------------------------------------------------------------------------

    @staticmethod
    def sagemaker(request: ResourceRequest[Properties]) -> Any:
        """LocalStack's internal SageMaker client for the request's account and region."""
        from localstack.aws.connect import connect_to

        return connect_to(aws_access_key_id=request.account_id, region_name=request.region_name).sagemaker

    @staticmethod
    def api_request(operation: str, properties: Mapping[str, Any], ignore: tuple[str, ...] = ()) -> dict[str, Any]:
        """The parameters of *operation* for *properties* (:func:`~sagewatch.localstack.cfn.properties.to_api`)."""
        from localstack.aws.spec import load_service

        shape = load_service("sagemaker").operation_model(operation).input_shape
        return to_api(properties, shape, ignore=ignore)

    def name_for(self, request: ResourceRequest[Properties]) -> str:
        """The resource's name: the template's, the one already given, or a generated one."""
        for state in (request.desired_state, request.previous_state):
            if state and state.get(self.NAME):
                return str(state[self.NAME])
        return physical_name(request.stack_name, request.logical_resource_id, limit=self.NAME_LIMIT)

    def existing_name(self, request: ResourceRequest[Properties]) -> str | None:
        """The name of the resource being updated or deleted, if it was ever created."""
        for state in (request.previous_state, request.desired_state):
            if state and state.get(self.NAME):
                return str(state[self.NAME])
        return None

    @staticmethod
    def carry_over(model: Properties, previous: Mapping[str, Any] | None, names: tuple[str, ...]) -> Properties:
        """*model* with the values of *names* taken from *previous* where *model* lacks them."""
        for name in names:
            if model.get(name) is None and previous and previous.get(name) is not None:
                model[name] = previous[name]
        return model

    def update_tags(self, request: ResourceRequest[Properties], arn: str) -> None:
        """Apply the difference between the previous and desired ``Tags`` with AddTags / DeleteTags."""
        removed, changed = tags_diff((request.previous_state or {}).get("Tags"), request.desired_state.get("Tags"))
        client = self.sagemaker(request)
        if removed:
            client.delete_tags(ResourceArn=arn, TagKeys=removed)
        if changed:
            client.add_tags(ResourceArn=arn, Tags=changed)


class FixedResourceProvider(SageMakerResourceProvider):
    """A resource SageMaker never changes in place (models, endpoint configs, job definitions).

    Every property but ``Tags`` is create-only, so a change is a replacement: create the new resource, let the
    dependants pick up its name, delete the old one. The engine does that itself when the template text of a
    create-only property changes. It does not when only a value behind ``Fn::GetAtt`` or ``Fn::Sub`` changed (a
    replaced Model's ``ModelName`` in an EndpointConfig's variants: LocalStack 4.13.1 derives the change type of
    ``Fn::GetAtt`` from the target's template properties) and calls :meth:`update` instead; :meth:`update` then
    replaces the resource itself and deletes the old one once the stack update is over, as CloudFormation's
    cleanup phase would (:func:`retire_after_update`). Otherwise it only applies tag changes, when
    :attr:`TAGS_UPDATABLE`.
    """

    ARN: ClassVar[str]
    CREATE: ClassVar[str]
    DESCRIBE: ClassVar[str]
    DELETE: ClassVar[str]
    ATTRIBUTES: ClassVar[tuple[str, ...]] = ()
    """Read-only attributes copied from the Describe answer after creation (``CreationTime``)."""
    TAGS_UPDATABLE: ClassVar[bool] = True

    def _call(self, request: ResourceRequest[Properties], operation: str, **params: Any) -> dict[str, Any]:
        from botocore import xform_name

        return getattr(self.sagemaker(request), xform_name(operation))(**params)

    @handles_errors
    def create(self, request: ResourceRequest[Properties]) -> ProgressEvent[Properties]:
        return success(self._create(request, dict(request.desired_state), self.name_for(request)))

    def _create(self, request: ResourceRequest[Properties], model: Properties, name: str) -> Properties:
        params = self.api_request(self.CREATE, model, ignore=(self.NAME, self.ARN, *self.ATTRIBUTES, *self.CFN_ONLY))
        answer = self._call(request, self.CREATE, **{self.NAME: name}, **params)
        model[self.NAME], model[self.ARN] = name, answer[self.ARN]
        if self.ATTRIBUTES:
            described = self._call(request, self.DESCRIBE, **{self.NAME: name})
            model.update({attribute: iso_time(described.get(attribute)) for attribute in self.ATTRIBUTES})
        return model

    def replacing_changes(self, previous: Mapping[str, Any], desired: Mapping[str, Any]) -> list[str]:
        """The create-only properties whose values differ between the deployed and the desired state."""
        names = [path.rsplit("/", 1)[-1] for path in self.SCHEMA.get("createOnlyProperties", [])]
        return [name for name in names if (name != self.NAME or desired.get(name) is not None)
                and previous.get(name) != desired.get(name)]

    @handles_errors
    def update(self, request: ResourceRequest[Properties]) -> ProgressEvent[Properties]:
        previous = request.previous_state or {}
        if previous.get(self.NAME) and self.replacing_changes(previous, request.desired_state):
            return self._replace(request, previous)
        model = self.carry_over(dict(request.desired_state), previous, (self.NAME, self.ARN, *self.ATTRIBUTES))
        if self.TAGS_UPDATABLE and model.get(self.ARN):
            self.update_tags(request, model[self.ARN])
        return success(model)

    def _replace(self, request: ResourceRequest[Properties], previous: Mapping[str, Any]
                 ) -> ProgressEvent[Properties]:
        old = str(previous[self.NAME])
        model = dict(request.desired_state)
        if model.get(self.NAME) == old:
            return failed(model, "CloudFormation cannot update a stack when a custom-named resource requires "
                                 f"replacing. Rename {old} and update the stack again.", "InvalidRequest")
        name = model.get(self.NAME) or physical_name(request.stack_name, request.logical_resource_id)
        model = self._create(request, model, str(name))
        LOG.info("sagewatch cfn: %s %s replaced by %s (changed: %s)", self.SCHEMA["typeName"], old, name,
                 ", ".join(self.replacing_changes(previous, request.desired_state)))
        retire_after_update(request, f"{self.SCHEMA['typeName']} {old}",
                            lambda: self._delete_quietly(request, old))
        return success(model)

    def _delete_quietly(self, request: ResourceRequest[Properties], name: str) -> None:
        try:
            self._call(request, self.DELETE, **{self.NAME: name})
        except ClientError as error:
            if not is_not_found(error):
                raise

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
            return failed({}, f"{self.SCHEMA['typeName']} {request.logical_resource_id} has no name.", "NotFound")
        described = self._call(request, self.DESCRIBE, **{self.NAME: name})
        described.pop("ResponseMetadata", None)
        return success({key: iso_time(value) if hasattr(value, "tzinfo") else value
                        for key, value in described.items()})
