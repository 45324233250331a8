"""AWS-shaped errors of the SageMaker runtime API (codes and status as in the ``sagemaker-runtime`` spec)."""

from __future__ import annotations

from localstack.aws.api import ServiceException

__all__ = ["ModelError", "ValidationError", "endpoint_not_found", "model_error"]


class ValidationError(ServiceException):
    """``ValidationError`` (400): the request names something that does not exist or is malformed."""

    code: str = "ValidationError"
    sender_fault: bool = True
    status_code: int = 400


class ModelError(ServiceException):
    """``ModelError`` (424): the model's container answered with an error or could not run.

    ``OriginalStatusCode`` and ``OriginalMessage`` carry what the model server answered; ``LogStreamArn`` names
    the endpoint's log group, as on AWS (the emulator's model-server log is the file named in the message).
    """

    code: str = "ModelError"
    sender_fault: bool = True
    status_code: int = 424
    OriginalStatusCode: int | None
    OriginalMessage: str | None
    LogStreamArn: str | None


def endpoint_not_found(endpoint_name: str, account_id: str) -> ValidationError:
    """The error AWS returns when InvokeEndpoint names an endpoint the account does not have (or not in service).

    Examples
    --------
    >>> endpoint_not_found("churn", "000000000000").message
    'Endpoint churn of account 000000000000 not found.'
    """
    return ValidationError(f"Endpoint {endpoint_name} of account {account_id} not found.")


def model_error(status: int, message: str, log_hint: str | None = None, *, from_model: bool = True,
                log_stream_arn: str | None = None) -> ModelError:
    """A ``ModelError``.

    An error the model's own code answered is worded as AWS words it
    (``Received server error (500) from primary with message "..."``); an error of sagewatch itself (the model
    server does not answer) keeps its own message. *log_hint* names where the model's log is.

    Examples
    --------
    >>> error = model_error(415, "text/xml is not supported")
    >>> error.message, error.OriginalStatusCode
    ('Received client error (415) from primary with message "text/xml is not supported".', 415)
    """
    if from_model:
        kind = "client" if 400 <= status < 500 else "server"
        text = f'Received {kind} error ({status}) from primary with message "{message}".'
    else:
        text = message
    if log_hint:
        text += f" See {log_hint} for more information."
    return ModelError(text, OriginalStatusCode=status, OriginalMessage=message, LogStreamArn=log_stream_arn)
