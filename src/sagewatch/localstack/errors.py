"""The AWS errors the emulator answers with: one class per error code, carrying its HTTP status (as moto's
``exceptions.py``), for the ``sagemaker`` and ``sagemaker-runtime`` APIs and the ``/_sagewatch`` routes alike.

Raise the class with the message: ``raise ResourceNotFound(f"Processing job {name} does not exist.")``;
LocalStack serializes it from its ``code`` and ``status_code``. A route answers with :func:`error_response`
(``{"error": {"Code", "Message"}}``), passing its own HTTP status where it differs from the API's
(``ResourceNotFound(message, status_code=404)``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from localstack.aws.api import CommonServiceException

__all__ = [
    "AwsError", "ValidationException", "ResourceNotFound", "ResourceInUse", "NotEmulated", "ValidationError",
    "ModelError", "ServiceUnavailable", "error_response",
]


class AwsError(CommonServiceException):
    """An AWS error; subclasses set ``code``, ``status_code`` and ``sender_fault``; keyword arguments become the
    error's extra members (``ModelError.OriginalStatusCode``)."""

    code: str = "InternalFailure"
    status_code: int = 500
    sender_fault: bool = False

    def __init__(self, message: str, *, status_code: int | None = None, **members: Any) -> None:
        cls = type(self)
        super().__init__(cls.code, message, status_code=status_code or cls.status_code,
                         sender_fault=cls.sender_fault)
        for name, value in members.items():
            setattr(self, name, value)


# --- sagemaker ------------------------------------------------------------------------------------------------


class ValidationException(AwsError):
    """``ValidationException`` (400): a request member fails its constraints."""

    code = "ValidationException"
    status_code = 400
    sender_fault = True

    @classmethod
    def constraint(cls, field: str, value: Any, constraint: str) -> ValidationException:
        """The service's wording for one failed member constraint.

        Examples
        --------
        >>> ValidationException.constraint("processingJobName", "a_b", "Member must satisfy regular expression pattern: x").message
        "1 validation error detected: Value 'a_b' at 'processingJobName' failed to satisfy constraint: Member must satisfy regular expression pattern: x"
        """
        return cls(f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: "
                   f"{constraint}")

    @classmethod
    def detected(cls, errors: Sequence[str]) -> ValidationException:
        """The error for several failed constraints (``shape_errors`` of the endpoint validation).

        Examples
        --------
        >>> ValidationException.detected(["Value null at 'x' failed to satisfy constraint: Member must not be null"]).message
        "1 validation error detected: Value null at 'x' failed to satisfy constraint: Member must not be null"
        """
        noun = "error" if len(errors) == 1 else "errors"
        return cls(f"{len(errors)} validation {noun} detected: " + "; ".join(errors))

    @classmethod
    def could_not_find(cls, kind: str, arn: str) -> ValidationException:
        """``Could not find endpoint "arn:..."`` (*kind*: ``model``, ``endpoint configuration``, ``endpoint``)."""
        return cls(f'Could not find {kind} "{arn}".')

    @classmethod
    def already_exists(cls, kind: str, arn: str) -> ValidationException:
        """``Cannot create already existing endpoint "arn:..."``, as SageMaker answers a duplicate name."""
        return cls(f'Cannot create already existing {kind} "{arn}".')


class ResourceNotFound(AwsError):
    """``ResourceNotFound`` (400), as SageMaker answers for a missing job, schedule or definition."""

    code = "ResourceNotFound"
    status_code = 400
    sender_fault = True


class ResourceInUse(AwsError):
    """``ResourceInUse`` (400): a name already taken, or a resource something else depends on."""

    code = "ResourceInUse"
    status_code = 400
    sender_fault = True


class NotEmulated(AwsError):
    """``InternalFailure`` (501): an operation neither sagewatch nor moto implements, as LocalStack answers."""

    code = "InternalFailure"
    status_code = 501

    @classmethod
    def operation(cls, service: str, operation: str) -> NotEmulated:
        """
        Examples
        --------
        >>> NotEmulated.operation("sagemaker-runtime", "InvokeEndpointAsync").message
        "The API action 'InvokeEndpointAsync' for service 'sagemaker-runtime' is not emulated by sagewatch's LocalStack plugin."
        """
        return cls(f"The API action '{operation}' for service '{service}' is not emulated by sagewatch's LocalStack "
                   "plugin.")


# --- sagemaker-runtime ------------------------------------------------------------------------------------------


class ValidationError(AwsError):
    """``ValidationError`` (400): the request names something that does not exist or is malformed."""

    code = "ValidationError"
    status_code = 400
    sender_fault = True

    @classmethod
    def endpoint_not_found(cls, endpoint_name: str, account_id: str) -> ValidationError:
        """The error AWS returns when InvokeEndpoint names an endpoint the account does not have (or not in service).

        Examples
        --------
        >>> ValidationError.endpoint_not_found("churn", "000000000000").message
        'Endpoint churn of account 000000000000 not found.'
        """
        return cls(f"Endpoint {endpoint_name} of account {account_id} not found.")


class ModelError(AwsError):
    """``ModelError`` (424): the model's container answered with an error or could not run.

    ``OriginalStatusCode`` and ``OriginalMessage`` carry what the model server answered; ``LogStreamArn`` names
    the endpoint's log group, as on AWS (the emulator's model-server log is the file named in the message).
    """

    code = "ModelError"
    status_code = 424
    sender_fault = True
    OriginalStatusCode: int | None
    OriginalMessage: str | None
    LogStreamArn: str | None

    @classmethod
    def from_model(cls, status: int, message: str, log_hint: str | None = None, *, from_model: bool = True,
                   log_stream_arn: str | None = None) -> ModelError:
        """A ``ModelError``.

        An error the model's own code answered is worded as AWS words it
        (``Received server error (500) from primary with message "..."``); an error of sagewatch itself (the model
        server does not answer) keeps its own message. *log_hint* names where the model's log is.

        Examples
        --------
        >>> error = ModelError.from_model(415, "text/xml is not supported")
        >>> error.message, error.OriginalStatusCode, error.status_code
        ('Received client error (415) from primary with message "text/xml is not supported".', 415, 424)
        """
        if from_model:
            kind = "client" if 400 <= status < 500 else "server"
            text = f'Received {kind} error ({status}) from primary with message "{message}".'
        else:
            text = message
        if log_hint:
            text += f" See {log_hint} for more information."
        return cls(text, OriginalStatusCode=status, OriginalMessage=message, LogStreamArn=log_stream_arn)


class ServiceUnavailable(AwsError):
    """``ServiceUnavailable`` (503): the service cannot answer now; try the call again (botocore's
    sagemaker-runtime model). The emulator answers it while a model server that stopped is being replaced."""

    code = "ServiceUnavailable"
    status_code = 503


def error_response(error: CommonServiceException) -> Any:
    """The ``/_sagewatch`` routes' answer for *error*: ``{"error": {"Code", "Message"}}`` with its HTTP status."""
    from localstack.http import Response

    return Response.for_json({"error": {"Code": error.code, "Message": error.message}}, status=error.status_code)
