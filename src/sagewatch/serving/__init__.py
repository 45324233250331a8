"""The model server that sagewatch runs per endpoint variant, and the entry point of ``containers/serving``.

It speaks SageMaker's inference-container contract (``GET /ping``, ``POST /invocations``,
``GET /execution-parameters``) and serves scikit-learn and XGBoost model files or a SageMaker-style
``code/inference.py`` (``model_fn``, ``input_fn``, ``predict_fn``, ``output_fn``, ``transform_fn``).

- ``python -m sagewatch.serving --model-dir DIR --port N``, or ``--model-data URI`` of a ``model.tar.gz``;
  with neither, container mode (``/opt/ml/model``, port 8080): :mod:`sagewatch.serving.cli`.
- :func:`start_server`: in this process, on a thread; :func:`spawn_server` + :func:`wait_until_ready`: as a
  host process, which is how the emulator runs one server per variant.

This package is a shell over the engine: the engine never imports it. boto3 (``s3://`` artefacts) and
xgboost (XGBoost model files) are imported only when needed.
"""

from sagewatch.serving.errors import (
    BadRequestError,
    ModelLoadError,
    ModelServerError,
    PayloadTooLargeError,
    ServerStartError,
    UnsupportedMediaTypeError,
)
from sagewatch.serving.process import find_free_port, spawn_server, wait_until_ready
from sagewatch.serving.server import ModelService, ServerHandle, start_server
from sagewatch.serving.settings import ServerSettings

__all__ = [
    "BadRequestError",
    "ModelLoadError",
    "ModelServerError",
    "ModelService",
    "PayloadTooLargeError",
    "ServerHandle",
    "ServerSettings",
    "ServerStartError",
    "UnsupportedMediaTypeError",
    "find_free_port",
    "spawn_server",
    "start_server",
    "wait_until_ready",
]
