"""AWS-shaped errors of the SageMaker runtime API (codes and status as in the ``sagemaker-runtime`` spec)."""

from __future__ import annotations

from localstack.aws.api import ServiceException


class ValidationError(ServiceException):
    """``ValidationError`` (400): the request names something that does not exist or is malformed."""

    code: str = "ValidationError"
    sender_fault: bool = True
    status_code: int = 400


class ModelError(ServiceException):
    """``ModelError`` (424): the model's container answered with an error or could not run.

    ``OriginalStatusCode`` and ``OriginalMessage`` carry what the model server answered;
    ``LogStreamArn`` is left empty (logs go to a file named in the message).
    """

    code: str = "ModelError"
    sender_fault: bool = True
    status_code: int = 424
    OriginalStatusCode: int | None
    OriginalMessage: str | None
    LogStreamArn: str | None


def endpoint_not_found(endpoint_name: str, account_id: str) -> ValidationError:
    """The error AWS returns when InvokeEndpoint names an endpoint the account does not have."""
    return ValidationError(f"Endpoint {endpoint_name} of account {account_id} not found.")


def model_error(status: int, message: str, log_hint: str | None = None, *, from_model: bool = True) -> ModelError:
    """A ``ModelError``.

    An error the model's own code answered is worded as AWS words it
    (``Received server error (500) from primary with message "..."``); an error of sagewatch itself (the model
    cannot be run at all) keeps its own message. *log_hint* names where the model's log is.
    """
    if from_model:
        kind = "client" if 400 <= status < 500 else "server"
        text = f'Received {kind} error ({status}) from primary with message "{message}".'
    else:
        text = message
    if log_hint:
        text += f" See {log_hint} for more information."
    return ModelError(text, OriginalStatusCode=status, OriginalMessage=message, LogStreamArn=None)
