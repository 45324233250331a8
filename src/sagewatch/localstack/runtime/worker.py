"""Model worker: serves one SageMaker script-mode model as a host process.

Started by :class:`sagewatch.localstack.runtime.serving.ModelWorker` as
``python -P -m sagewatch.localstack.runtime.worker`` with

- ``SAGEMAKER_PROGRAM``: the inference script (``inference.py``), imported as a module from the current
  working directory (the extracted source folder);
- ``SM_MODEL_DIR``: the extracted model artefacts, passed to ``model_fn``;
- the model container's own ``Environment``.

The script follows the contract of SageMaker's framework containers (``sagemaker-inference-toolkit``,
``sagemaker-scikit-learn-container``): ``model_fn(model_dir)`` loads the model, then either
``transform_fn(model, body, content_type, accept)`` or ``input_fn(body, content_type)`` ->
``predict_fn(data, model)`` -> ``output_fn(prediction, accept)``; missing functions fall back to the
defaults below (numpy decoding of JSON, CSV and NPY; ``model.predict``; encoding to the Accept type).

Protocol, one JSON object per line: the worker writes ``{"event": "ready"}`` or ``{"event": "error", ...}``
once on start-up, then answers each request ``{"body": <base64>, "content_type", "accept"}`` read from stdin
with ``{"event": "result", "body": <base64>, "content_type"}`` or ``{"event": "error", "status", "message"}``.
Anything the model prints goes to stderr (the model's log file), never into the protocol.
"""

from __future__ import annotations

import base64
import importlib
import io
import json
import os
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, BinaryIO

JSON = "application/json"
CSV = "text/csv"
NPY = "application/x-npy"
DEFAULT_ACCEPT_ENV = "SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT"


class InferenceError(Exception):
    """An error the model server answers with a given HTTP status (415 for an unsupported content type)."""

    def __init__(self, message: str, status: int = 500) -> None:
        super().__init__(message)
        self.status = status


def _media_type(content_type: str | None) -> str | None:
    """``"text/csv; charset=utf-8"`` -> ``"text/csv"``."""
    return content_type.split(";", 1)[0].strip().lower() if content_type else None


def default_input_fn(body: bytes, content_type: str | None) -> Any:
    """Decode JSON, CSV or NPY into a numpy array; CSV and JSON become float32, as in the scikit-learn
    container (a single CSV row stays one-dimensional there too)."""
    import numpy as np

    media = _media_type(content_type)
    if media == JSON:
        return np.array(json.loads(body.decode("utf-8"))).astype(np.float32)
    if media == CSV:
        return np.genfromtxt(io.StringIO(body.decode("utf-8")), delimiter=",").astype(np.float32)
    if media == NPY:
        return np.load(io.BytesIO(body), allow_pickle=False)
    raise InferenceError(f"Content type {content_type} is not supported by this server.", status=415)


def default_predict_fn(data: Any, model: Any) -> Any:
    """``model.predict(data)``."""
    return model.predict(data)


def default_output_fn(prediction: Any, accept: str) -> tuple[bytes, str]:
    """Encode a prediction as JSON, CSV or NPY, following the Accept type."""
    import numpy as np

    media = _media_type(accept)
    if media == JSON:
        text = json.dumps(prediction, default=lambda value: value.tolist() if hasattr(value, "tolist") else str(value))
        return text.encode("utf-8"), accept
    if media == CSV:
        stream = io.StringIO()
        np.savetxt(stream, np.atleast_1d(np.asarray(prediction)), delimiter=",", fmt="%s")
        return stream.getvalue().encode("utf-8"), accept
    if media == NPY:
        buffer = io.BytesIO()
        np.save(buffer, np.asarray(prediction))
        return buffer.getvalue(), accept
    raise InferenceError(f"Accept type {accept} is not supported by this server.", status=406)


def default_model_fn(model_dir: str) -> Any:
    raise InferenceError("The inference script has no model_fn(model_dir); SageMaker containers require one.")


@dataclass(frozen=True)
class Handlers:
    """The functions of one inference script, with the container defaults filled in."""

    model_fn: Callable[[str], Any]
    input_fn: Callable[[bytes, str | None], Any]
    predict_fn: Callable[[Any, Any], Any]
    output_fn: Callable[[Any, str], Any]
    transform_fn: Callable[[Any, bytes, str | None, str], Any] | None = None

    @classmethod
    def from_module(cls, module: Any) -> Handlers:
        transform_fn = getattr(module, "transform_fn", None)
        staged = [name for name in ("input_fn", "predict_fn", "output_fn") if hasattr(module, name)]
        if transform_fn is not None and staged:
            raise InferenceError(f"Cannot use transform_fn together with {', '.join(staged)}.")
        return cls(
            model_fn=getattr(module, "model_fn", default_model_fn),
            input_fn=getattr(module, "input_fn", default_input_fn),
            predict_fn=getattr(module, "predict_fn", default_predict_fn),
            output_fn=getattr(module, "output_fn", default_output_fn),
            transform_fn=transform_fn,
        )

    def invoke(self, model: Any, body: bytes, content_type: str | None, accept: str) -> tuple[bytes, str]:
        if self.transform_fn is not None:
            result = self.transform_fn(model, body, content_type, accept)
        else:
            result = self.output_fn(self.predict_fn(self.input_fn(body, content_type), model), accept)
        return _as_response(result, accept)


def _as_response(result: Any, accept: str) -> tuple[bytes, str]:
    """Accept ``(body, content_type)``, bytes, str, or an object with ``get_data()`` / ``mimetype`` (Flask)."""
    content_type = accept
    if isinstance(result, tuple) and len(result) == 2:
        result, content_type = result
    elif hasattr(result, "get_data"):
        content_type = getattr(result, "mimetype", None) or accept
        result = result.get_data()
    if isinstance(result, str):
        result = result.encode("utf-8")
    if not isinstance(result, (bytes, bytearray)):
        raise InferenceError(f"The model returned {type(result).__name__}, not bytes or str.")
    return bytes(result), str(content_type)


def _send(stream: BinaryIO, message: dict[str, Any]) -> None:
    stream.write(json.dumps(message).encode("utf-8") + b"\n")
    stream.flush()


def _error(error: BaseException) -> dict[str, Any]:
    status = error.status if isinstance(error, InferenceError) else 500
    message = str(error) or type(error).__name__
    if not isinstance(error, InferenceError):
        message = f"{type(error).__name__}: {message}"
    return {"event": "error", "status": status, "message": message}


def serve(requests: BinaryIO, replies: BinaryIO) -> int:
    """Load the model named by the environment, then answer requests until stdin closes."""
    program = os.environ.get("SAGEMAKER_PROGRAM", "")
    model_dir = os.environ.get("SM_MODEL_DIR", os.getcwd())
    default_accept = os.environ.get(DEFAULT_ACCEPT_ENV, JSON)
    try:
        sys.path.insert(0, os.getcwd())
        module = importlib.import_module(program[:-3] if program.endswith(".py") else program)
        handlers = Handlers.from_module(module)
        model = handlers.model_fn(model_dir)
    except BaseException as error:  # noqa: BLE001 - anything the user's script raises ends start-up
        traceback.print_exc()
        _send(replies, _error(error))
        return 1
    _send(replies, {"event": "ready"})
    for line in requests:
        request = json.loads(line)
        accept = request.get("accept") or default_accept
        if _media_type(accept) == "*/*":
            accept = default_accept
        try:
            body, content_type = handlers.invoke(
                model, base64.b64decode(request["body"]), request.get("content_type"), accept
            )
        except Exception as error:  # noqa: BLE001 - reported to the caller as the model's error
            traceback.print_exc()
            _send(replies, _error(error))
            continue
        _send(replies, {"event": "result", "body": base64.b64encode(body).decode("ascii"),
                        "content_type": content_type})
    return 0


def main() -> int:
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # the model's prints go to its log, not into the protocol
    sys.stdout = sys.stderr
    return serve(sys.stdin.buffer, replies)


if __name__ == "__main__":
    sys.exit(main())
