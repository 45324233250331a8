"""Settings of the model server: one frozen object, read once from the command line and the environment.

Environment variables (read only by :func:`sagewatch.serving.cli.parse_settings`):

================================== ==========================================================================
variable                           meaning
================================== ==========================================================================
``SAGEWATCH_OPT_ML``               relocates ``/opt/ml`` (container mode serves ``$SAGEWATCH_OPT_ML/model``)
``SAGEMAKER_BIND_TO_PORT``         the port when ``--port`` is not given (default 8080)
``SAGEWATCH_SERVING_HOST``         the address when ``--host`` is not given (container mode ``0.0.0.0``,
                                   otherwise ``127.0.0.1``)
``SAGEMAKER_MODEL_SERVER_WORKERS`` worker processes when ``--workers`` is not given (default 1)
``SAGEMAKER_PROGRAM``              the inference script (default ``inference.py``); when set it must exist
``SAGEMAKER_SUBMIT_DIRECTORY``     the script's folder: a path in the model (``/opt/ml/model/code``), a
                                   folder, or a ``file://``, local or ``s3://`` ``sourcedir.tar.gz``
``SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT`` the response type for a missing or ``*/*`` Accept (``application/json``)
``SAGEWATCH_PREDICT_METHOD``       ``predict`` (default) or ``predict_proba`` for the default ``predict_fn``
``SAGEWATCH_MAX_PAYLOAD_MB``       the largest request body accepted, before and after ``Content-Encoding``, in
                                   MB of 2**20 bytes (default 6, InvokeEndpoint's limit; at least 1); larger
                                   bodies get 413; ``/execution-parameters`` announces it (whole MB) as
                                   ``MaxPayloadInMB``
``AWS_ENDPOINT_URL_S3``,           the S3 endpoint for ``s3://`` URIs (LocalStack); boto3's own settings
``AWS_ENDPOINT_URL``               otherwise
================================== ==========================================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sagewatch.errors import InvalidParameterError
from sagewatch.serving.content import ENCODERS, JSON
from sagewatch.serving.handlers import PREDICT_METHODS

__all__ = [
    "CONTAINER_HOST",
    "DEFAULT_PORT",
    "LOCAL_HOST",
    "MAX_PAYLOAD_MB",
    "OPT_ML",
    "OPT_ML_MODEL",
    "REALTIME_PAYLOAD_MB",
    "ServerSettings",
]

OPT_ML = "/opt/ml"
OPT_ML_MODEL = "/opt/ml/model"
DEFAULT_PORT = 8080
CONTAINER_HOST = "0.0.0.0"  # noqa: S104 - a container must listen on every interface
LOCAL_HOST = "127.0.0.1"
REALTIME_PAYLOAD_MB = 6
"""InvokeEndpoint's payload limit."""
MAX_PAYLOAD_MB = REALTIME_PAYLOAD_MB
"""Largest request body accepted by default, and announced as ``MaxPayloadInMB`` by ``GET /execution-parameters``.

Batch transform sends up to its job's ``MaxPayloadInMB`` (at most 100): raise the limit to match."""


@dataclass(frozen=True)
class ServerSettings:
    """Everything the model server needs, validated where it is built.

    Exactly one of ``model_dir`` and ``model_data`` is set.

    Examples
    --------
    >>> ServerSettings(model_dir=Path("model"), port=0).host
    '127.0.0.1'
    >>> ServerSettings(model_dir=Path("m"), workers=0)
    Traceback (most recent call last):
    ...
    sagewatch.errors.InvalidParameterError: workers must be at least 1, got 0
    """

    model_dir: Path | None = None
    """A local folder with the extracted model artefacts."""
    model_data: str | None = None
    """``s3://``, ``file://`` or local URI of ``model.tar.gz`` (or of a folder), fetched into a temporary folder."""
    code_dir: str | None = None
    """Where ``inference.py`` lives; ``None``: ``code/`` of the model folder, else the model folder itself."""
    program: str = "inference.py"
    program_required: bool = False
    host: str = LOCAL_HOST
    port: int = DEFAULT_PORT
    workers: int = 1
    default_accept: str = JSON
    predict_method: str = "predict"
    max_payload_bytes: int = MAX_PAYLOAD_MB * 1024 * 1024
    s3_endpoint_url: str | None = None

    def __post_init__(self) -> None:
        if (self.model_dir is None) == (self.model_data is None):
            raise InvalidParameterError("give exactly one of model_dir and model_data")
        if not 0 <= self.port <= 65535:
            raise InvalidParameterError(f"port must be between 0 and 65535, got {self.port}")
        if self.workers < 1:
            raise InvalidParameterError(f"workers must be at least 1, got {self.workers}")
        if self.default_accept not in ENCODERS:
            raise InvalidParameterError(
                f"default_accept must be one of {', '.join(ENCODERS)}, got {self.default_accept!r}")
        if self.predict_method not in PREDICT_METHODS:
            raise InvalidParameterError(
                f"predict_method must be one of {', '.join(PREDICT_METHODS)}, got {self.predict_method!r}")
        if self.max_payload_bytes < 1024 * 1024:
            raise InvalidParameterError(
                f"max_payload_bytes must be at least 1 MB (1048576 bytes), got {self.max_payload_bytes}")
        if not self.program.strip():
            raise InvalidParameterError("program must not be empty")
