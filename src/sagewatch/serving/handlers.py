"""The handler functions of SageMaker's framework containers, resolved from a user's ``inference.py``.

A model's ``code/inference.py`` may define any subset of

- ``model_fn(model_dir)`` -> model,
- ``input_fn(request_body, request_content_type)`` -> data,
- ``predict_fn(input_data, model)`` -> prediction,
- ``output_fn(prediction, accept)`` -> response,

or ``transform_fn(model, request_body, request_content_type, accept)`` -> response instead of the last
three (defining both is an error, as in SageMaker's inference toolkit). Each function may take one more
trailing ``context`` argument (the toolkit's form); it receives an :class:`InferenceContext`. Missing
functions get the defaults:

- ``model_fn``: load the single model file of the model folder (:mod:`sagewatch.serving.loaders`);
- ``input_fn``: :func:`sagewatch.serving.content.decode` (CSV, JSON, NPY into a 2-D array);
- ``predict_fn``: ``model.predict(data)``, like SageMaker's scikit-learn container, so a classifier answers
  labels; set ``predict_method="predict_proba"`` (``SAGEWATCH_PREDICT_METHOD``) for probabilities. A native
  ``xgboost.Booster`` predicts on an ``xgboost.DMatrix`` (probabilities for ``binary:logistic``, as
  SageMaker's XGBoost container answers);
- ``output_fn``: :func:`sagewatch.serving.content.encode` (CSV, JSON, NPY).

``request_body`` is ``str`` for ``text/csv`` and ``application/json`` and ``bytes`` otherwise, as in SageMaker's
scikit-learn container; ``request_content_type`` is the media type without parameters. A response may be
``bytes``, ``str``, a ``(body, content_type)`` tuple, or (JSON Accept only) any JSON-serialisable value.

Client errors and model errors: a request that cannot be decoded is a 400 (so is a ``ValueError`` or
``RecursionError`` of a user's ``input_fn``, and a ``RecursionError`` of ``transform_fn``: decoding is their
job); rows the model refuses through the default ``predict_fn`` are a 400 (:mod:`sagewatch.serving.model_input`);
any other exception of the model or of the user's functions is the model's error (500).

Custom attributes: the request's ``X-Amzn-SageMaker-Custom-Attributes`` is
``context.get_request_header(0, "X-Amzn-SageMaker-Custom-Attributes")``; a handler answers its own with
``context.set_response_header(0, "X-Amzn-SageMaker-Custom-Attributes", value)`` (the toolkit's context API) or
by returning a Flask/Werkzeug response carrying that header; the server sends it back with the prediction.
"""

from __future__ import annotations

import importlib.util
import inspect
import json
import logging
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sagewatch.serving.content as content
from sagewatch.serving.errors import BadRequestError, ModelLoadError, ModelServerError
from sagewatch.serving.loaders import is_xgboost_booster, load_model_dir
from sagewatch.serving.model_input import InputRejectedError, check_booster_input, rejected_input

__all__ = [
    "CUSTOM_ATTRIBUTES_HEADER",
    "HANDLER_NAMES",
    "PREDICT_METHODS",
    "Handlers",
    "InferenceContext",
    "default_input_fn",
    "default_output_fn",
    "load_handlers",
    "make_predict_fn",
]

logger = logging.getLogger(__name__)

HANDLER_NAMES = ("model_fn", "input_fn", "predict_fn", "output_fn", "transform_fn")
PREDICT_METHODS = ("predict", "predict_proba")
CUSTOM_ATTRIBUTES_HEADER = "X-Amzn-SageMaker-Custom-Attributes"
_BASE_ARITY = {"model_fn": 1, "input_fn": 2, "predict_fn": 2, "output_fn": 2, "transform_fn": 4}


@dataclass(frozen=True)
class InferenceContext:
    """What the toolkit's ``context`` argument offers, one per invocation.

    ``system_properties`` with ``model_dir`` and ``gpu_id``; ``get_request_header(0, name)`` and
    ``set_response_header(0, name, value)`` as in the toolkit's (Multi Model Server's) context, where the
    first argument is the index of the request in a batch (always 0 here).

    Examples
    --------
    >>> context = InferenceContext.for_model_dir(Path("m")).for_request({"X-Amzn-SageMaker-Custom-Attributes": "a=1"})
    >>> context.get_request_header(0, "x-amzn-sagemaker-custom-attributes")
    'a=1'
    >>> context.set_response_header(0, "X-Amzn-SageMaker-Custom-Attributes", "b=2")
    >>> context.response_headers
    {'x-amzn-sagemaker-custom-attributes': 'b=2'}
    """

    model_dir: str
    system_properties: Mapping[str, Any] = field(default_factory=dict)
    request_headers: Mapping[str, str] = field(default_factory=dict)
    """The request's headers, names in lower case."""
    response_headers: dict[str, str] = field(default_factory=dict)
    """Headers set by the handlers, names in lower case (the server sends the custom attributes)."""

    @classmethod
    def for_model_dir(cls, model_dir: Path) -> InferenceContext:
        return cls(str(model_dir), {"model_dir": str(model_dir), "gpu_id": None})

    def for_request(self, headers: Mapping[str, str] | None = None) -> InferenceContext:
        """A fresh context for one invocation with its request *headers*."""
        lowered = {str(name).lower(): str(value) for name, value in (headers or {}).items()}
        return InferenceContext(self.model_dir, self.system_properties, lowered, {})

    def get_request_header(self, idx: int, key: str) -> str | None:
        """The request header *key* (any case); ``None`` when absent."""
        return self.request_headers.get(key.lower())

    def set_response_header(self, idx: int, key: str, value: str) -> None:
        """Set a response header; the server sends ``X-Amzn-SageMaker-Custom-Attributes`` back to the caller."""
        self.response_headers[key.lower()] = str(value)

    @property
    def custom_attributes(self) -> str | None:
        """The custom attributes a handler answered, if any."""
        return self.response_headers.get(CUSTOM_ATTRIBUTES_HEADER.lower())


def default_input_fn(request_body: bytes | str, request_content_type: str | None) -> Any:
    """Decode CSV, JSON or NPY into a 2-D numpy array (see :mod:`sagewatch.serving.content`).

    Examples
    --------
    >>> default_input_fn("1,2\\n3,4", "text/csv").shape
    (2, 2)
    """
    return content.decode(request_body, request_content_type)


def default_output_fn(prediction: Any, accept: str) -> tuple[bytes, str]:
    """Encode a prediction as CSV, JSON or NPY following *accept*.

    Examples
    --------
    >>> default_output_fn([1, 0], "application/json")
    (b'{"predictions": [1, 0]}', 'application/json')
    """
    return content.encode(prediction, accept)


def make_predict_fn(method: str = "predict") -> Callable[[Any, Any], Any]:
    """The default ``predict_fn``: ``getattr(model, method)(data)``; a native xgboost Booster gets a DMatrix.

    Examples
    --------
    >>> class Twice:
    ...     def predict(self, data):
    ...         return [2 * value for value in data]
    >>> make_predict_fn()([1, 2], Twice())
    [2, 4]
    """
    if method not in PREDICT_METHODS:
        raise ModelLoadError(f"predict_method must be one of {', '.join(PREDICT_METHODS)}, not {method!r}.")

    def predict_fn(input_data: Any, model: Any) -> Any:
        if is_xgboost_booster(model):
            import xgboost

            check_booster_input(input_data, model)
            try:
                matrix = xgboost.DMatrix(input_data)
            except (ValueError, TypeError, xgboost.core.XGBoostError) as error:
                raise InputRejectedError(f"The rows cannot be made into an xgboost.DMatrix: "
                                         f"{type(error).__name__}: {error}") from error
            return model.predict(matrix)
        try:
            return getattr(model, method)(input_data)
        except (ValueError, TypeError) as error:
            rejection = rejected_input(error, input_data)
            if rejection is None:
                raise
            raise rejection from error

    predict_fn.__name__ = f"default_{method}_fn"
    return predict_fn


def _accepts_context(function: Callable[..., Any], name: str) -> bool:
    """Whether *function* takes the toolkit's trailing ``context`` argument."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return False
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) == _BASE_ARITY[name] + 1


def _unwrap_framework_response(result: Any) -> Any:
    """``(body, content_type)`` from a response object of the old SageMaker containers, else *result* unchanged.

    Scripts written for ``sagemaker-containers`` return ``worker.Response(body, mimetype=...)`` (a Flask/Werkzeug
    response) from ``output_fn`` or ``transform_fn``: anything with ``get_data()`` and ``mimetype`` is read so.

    Examples
    --------
    >>> class FlaskLike:
    ...     mimetype = "text/csv"
    ...     def get_data(self):
    ...         return b"1"
    >>> _unwrap_framework_response(FlaskLike())
    (b'1', 'text/csv')
    >>> _unwrap_framework_response(b"1")
    b'1'
    """
    if callable(getattr(result, "get_data", None)) and hasattr(result, "mimetype"):
        return (result.get_data(), result.mimetype) if result.mimetype else result.get_data()
    return result


def _framework_custom_attributes(result: Any) -> str | None:
    """The custom-attributes header of a Flask/Werkzeug response object, if it has one."""
    headers = getattr(result, "headers", None)
    if not callable(getattr(result, "get_data", None)) or not callable(getattr(headers, "get", None)):
        return None
    value = headers.get(CUSTOM_ATTRIBUTES_HEADER)
    return None if value is None else str(value)


def _as_response(result: Any, accept: str) -> tuple[bytes, str]:
    """Accept bytes, str, ``(body, content_type)``, or a JSON-serialisable value for a JSON Accept."""
    result = _unwrap_framework_response(result)
    content_type = accept
    if isinstance(result, tuple) and len(result) == 2:
        result, content_type = result
    if isinstance(result, str):
        return result.encode("utf-8"), str(content_type)
    if isinstance(result, (bytes, bytearray, memoryview)):
        return bytes(result), str(content_type)
    if content.media_type(str(content_type)) == content.JSON:
        try:
            return json.dumps(result, default=content.json_default).encode("utf-8"), str(content_type)
        except (TypeError, ValueError):
            pass
    raise ModelServerError(f"The response is a {type(result).__name__}, not bytes or str; return "
                           "(body, content_type) from output_fn or transform_fn.")


@dataclass(frozen=True)
class Handlers:
    """The resolved handler functions of one model; ``source`` is the ``inference.py`` they came from."""

    model_fn: Callable[..., Any]
    input_fn: Callable[..., Any] = default_input_fn
    predict_fn: Callable[..., Any] = field(default_factory=make_predict_fn)
    output_fn: Callable[..., Any] = default_output_fn
    transform_fn: Callable[..., Any] | None = None
    source: Path | None = None
    defined: frozenset[str] = frozenset()
    """The handler names the script defines (the others are defaults)."""
    with_context: frozenset[str] = frozenset()
    """The handler names that take the trailing ``context`` argument."""

    @property
    def default_output(self) -> bool:
        """Whether the response is written by the default encoders (so Accept is checked against them)."""
        return self.transform_fn is None and self.output_fn is default_output_fn

    def _call(self, name: str, context: InferenceContext, *arguments: Any) -> Any:
        function = getattr(self, name)
        if name in self.with_context:
            return function(*arguments, context)
        return function(*arguments)

    def load_model(self, model_dir: Path) -> Any:
        """Call ``model_fn(model_dir)``."""
        return self._call("model_fn", InferenceContext.for_model_dir(model_dir), str(model_dir))

    def invoke(self, model: Any, body: bytes, content_type: str | None, accept_header: str | None, *,
               default_accept: str, context: InferenceContext) -> tuple[bytes, str]:
        """Answer one request: ``(response body, response content type)``.

        *context* is the invocation's own (:meth:`InferenceContext.for_request`); the custom attributes a
        handler answers are left in it.

        Raises
        ------
        ModelServerError
            With status 400 or 415 for undecodable requests or rows the model refuses, and 500 for
            unencodable answers. Other exceptions of the user's functions and of the model propagate
            unchanged (the server answers 500).
        """
        supported = content.ENCODERS if self.default_output else None
        accept = content.negotiate_accept(accept_header, default_accept, supported)
        kind = content.content_media_type(content_type)
        request = body
        if kind in content.TEXT_TYPES:
            request = content.as_text(body)
        if self.transform_fn is not None:
            result = self._decoding("transform_fn", context, model, request, kind, accept)
        else:
            data = self._decoding("input_fn", context, request, kind)
            prediction = self._call("predict_fn", context, data, model)
            result = self._call("output_fn", context, prediction, accept)
        attributes = _framework_custom_attributes(result)
        if attributes is not None:
            context.set_response_header(0, CUSTOM_ATTRIBUTES_HEADER, attributes)
        return _as_response(result, accept)

    def _decoding(self, name: str, context: InferenceContext, *arguments: Any) -> Any:
        """Call ``input_fn`` or ``transform_fn``, whose job includes decoding: its decoding failures are 400."""
        try:
            return self._call(name, context, *arguments)
        except ModelServerError:
            raise
        except RecursionError as error:
            raise BadRequestError(f"The request is nested too deeply to decode (RecursionError in {name}).") \
                from error
        except ValueError as error:
            if name != "input_fn" or name not in self.defined:
                raise
            raise BadRequestError(f"input_fn cannot decode the request: {type(error).__name__}: {error}") from error


def _default_model_fn(model_dir: str) -> Any:
    return load_model_dir(Path(model_dir))


def _import_script(path: Path) -> Any:
    """Import *path* as a module named after its stem (replacing an earlier module of that name)."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    if spec is None or spec.loader is None:
        raise ModelLoadError(f"Cannot import {path}.")
    module = importlib.util.module_from_spec(spec)
    previous = sys.modules.get(path.stem)
    sys.modules[path.stem] = module
    try:
        spec.loader.exec_module(module)
    except BaseException as error:
        if previous is None:
            sys.modules.pop(path.stem, None)
        else:
            sys.modules[path.stem] = previous
        if isinstance(error, Exception):
            raise ModelLoadError(f"Importing {path.name} failed: {type(error).__name__}: {error}") from error
        raise
    return module


def load_handlers(code_dir: Path | None, program: str = "inference.py", *, required: bool = False,
                  predict_method: str = "predict") -> Handlers:
    """Resolve the handler functions of the script *program* in *code_dir*, defaults for the rest.

    *code_dir* is put first on ``sys.path`` (so the script imports its sibling modules and pickled models
    find their classes) before the script is imported. Nothing is installed: a ``requirements.txt`` next
    to the script is only reported in the log.

    Parameters
    ----------
    code_dir : Path or None
        The folder of the script (``code/`` of the model folder); ``None`` when there is none.
    program : str
        The script's file name (``SAGEMAKER_PROGRAM``); ``.py`` is added when missing.
    required : bool
        Raise when the script does not exist (``SAGEMAKER_PROGRAM`` was set); otherwise use all defaults.
    predict_method : {"predict", "predict_proba"}
        The model method of the default ``predict_fn``.

    Returns
    -------
    Handlers

    Raises
    ------
    ModelLoadError
        If the script is required but missing, fails to import, defines a handler that is not callable, or
        defines ``transform_fn`` together with ``input_fn``, ``predict_fn`` or ``output_fn``.

    Examples
    --------
    >>> handlers = load_handlers(None)
    >>> handlers.source is None, handlers.input_fn is default_input_fn
    (True, True)
    """
    predict_fn = make_predict_fn(predict_method)
    name = program if program.endswith(".py") else f"{program}.py"
    script = code_dir / name if code_dir is not None else None
    if script is None or not script.is_file():
        if required:
            raise ModelLoadError(f"The inference script {name} is not in {code_dir or 'the model folder'}.")
        return Handlers(model_fn=_default_model_fn, predict_fn=predict_fn)
    assert code_dir is not None
    folder = str(code_dir.resolve())
    if folder not in sys.path:
        sys.path.insert(0, folder)
    if (code_dir / "requirements.txt").is_file():
        logger.warning("%s is not installed: sagewatch's model server installs nothing; install its "
                       "packages into this environment (or the image) beforehand.", code_dir / "requirements.txt")
    module = _import_script(script)
    found: dict[str, Callable[..., Any]] = {}
    for handler in HANDLER_NAMES:
        function = getattr(module, handler, None)
        if function is None:
            continue
        if not callable(function):
            raise ModelLoadError(f"{name}: {handler} is not a function.")
        found[handler] = function
    staged = [handler for handler in ("input_fn", "predict_fn", "output_fn") if handler in found]
    if "transform_fn" in found and staged:
        raise ModelLoadError(f"{name}: transform_fn cannot be used together with {', '.join(staged)}; "
                             "define either transform_fn or input_fn/predict_fn/output_fn.")
    logger.info("Handlers from %s: %s", script, ", ".join(found) or "none (all defaults)")
    return Handlers(
        model_fn=found.get("model_fn", _default_model_fn),
        input_fn=found.get("input_fn", default_input_fn),
        predict_fn=found.get("predict_fn", predict_fn),
        output_fn=found.get("output_fn", default_output_fn),
        transform_fn=found.get("transform_fn"),
        source=script,
        defined=frozenset(found),
        with_context=frozenset(name for name, function in found.items() if _accepts_context(function, name)),
    )
