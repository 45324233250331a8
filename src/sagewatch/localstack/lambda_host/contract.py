"""The handler contract of AWS's Python runtime, as the host-process Lambda init applies it.

Follows ``aws/aws-lambda-python-runtime-interface-client`` (``awslambdaric``: ``bootstrap.py``,
``lambda_context.py``, ``lambda_runtime_marshaller.py``, ``lambda_runtime_exception.py``): handler names
``"module.function"`` (``/`` allowed between packages), the ``Runtime.*`` fault types and their messages, the
error object ``{"errorMessage", "errorType", "requestId", "stackTrace"}``, the context object, the ``[ERROR]`` log
record and the ``REPORT`` line.

Standard library only: :mod:`sagewatch.localstack.lambda_host.init` loads this file by path inside a function's
host process, where nothing else of sagewatch is imported.
"""

from __future__ import annotations

import decimal
import importlib
import json
import math
import os
import sys
import time
import traceback
from collections.abc import Callable, Collection, Mapping
from typing import Any

__all__ = [
    "EXIT_ERROR", "FaultError", "LambdaContext", "error_log_text", "error_object", "exception_error",
    "load_handler", "marshal_response", "max_memory_used_mb", "report_line", "unmarshal_event", "utc_timestamp",
]

# awslambdaric's FaultException types, plus the runtime exit of the platform.
MALFORMED_HANDLER_NAME = "Runtime.MalformedHandlerName"
BUILT_IN_MODULE_CONFLICT = "Runtime.BuiltInModuleConflict"
IMPORT_MODULE_ERROR = "Runtime.ImportModuleError"
USER_CODE_SYNTAX_ERROR = "Runtime.UserCodeSyntaxError"
HANDLER_NOT_FOUND = "Runtime.HandlerNotFound"
MARSHAL_ERROR = "Runtime.MarshalError"
UNMARSHAL_ERROR = "Runtime.UnmarshalError"
EXIT_ERROR = "Runtime.ExitError"

_ERROR_LINE_TERMINATOR = "\r"  # awslambdaric joins an [ERROR] record's lines with CR: one log event
_ERROR_INDENT = "\u00a0"  # ... and indents traceback lines with no-break spaces


class FaultError(Exception):
    """A runtime fault reported with an AWS ``Runtime.*`` error type.

    Parameters
    ----------
    error_type : str
        ``errorType`` of the error object, e.g. ``"Runtime.ImportModuleError"``.
    message : str
        ``errorMessage``.
    stack_trace : list of str, optional
        ``stackTrace``; empty by default.

    Examples
    --------
    >>> FaultError("Runtime.HandlerNotFound", "Handler 'x' missing on module 'm'").to_error("id-1")
    {'errorMessage': "Handler 'x' missing on module 'm'", 'errorType': 'Runtime.HandlerNotFound', \
'requestId': 'id-1', 'stackTrace': []}
    """

    def __init__(self, error_type: str, message: str, stack_trace: list[str] | None = None) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.stack_trace = list(stack_trace or [])

    def to_error(self, request_id: str = "") -> dict[str, Any]:
        """The AWS error object of this fault."""
        return error_object(self.message, self.error_type, self.stack_trace, request_id)


def error_object(message: str, error_type: str, stack_trace: list[str], request_id: str = "") -> dict[str, Any]:
    """The AWS error object ``{"errorMessage", "errorType", "requestId", "stackTrace"}``."""
    return {"errorMessage": message, "errorType": error_type, "requestId": request_id, "stackTrace": stack_trace}


def load_handler(handler: str) -> Callable[[Any, Any], Any]:
    """Import the function named by a Lambda handler string such as ``"index.handler"``.

    The module part may name nested packages (``"pkg.sub.module.function"``, or ``"pkg/sub/module.function"``
    as AWS also accepts); it is imported from ``sys.path``, where the function's code and layers are.

    Parameters
    ----------
    handler : str
        ``"<module>.<function>"``.

    Returns
    -------
    callable
        The handler function.

    Raises
    ------
    FaultError
        ``Runtime.MalformedHandlerName`` (no dot), ``Runtime.BuiltInModuleConflict`` (a built-in module name),
        ``Runtime.ImportModuleError`` (the module or one of its imports is missing),
        ``Runtime.UserCodeSyntaxError`` or ``Runtime.HandlerNotFound``, with AWS's messages. Any other
        exception raised while the module body runs propagates unchanged.

    Examples
    --------
    >>> load_handler("os.path.join")("task", "index.py")
    'task/index.py'
    >>> for name in ("index", "no_such_module.handler", "os.no_such_function"):
    ...     try:
    ...         load_handler(name)
    ...     except FaultError as fault:
    ...         print(f"{fault.error_type}: {fault}")
    Runtime.MalformedHandlerName: Bad handler 'index': not enough values to unpack (expected 2, got 1)
    Runtime.ImportModuleError: Unable to import module 'no_such_module': No module named 'no_such_module'
    Runtime.HandlerNotFound: Handler 'no_such_function' missing on module 'os'
    """
    try:
        module_name, function_name = handler.rsplit(".", 1)
    except ValueError as error:
        raise FaultError(MALFORMED_HANDLER_NAME, f"Bad handler '{handler}': {error}") from None
    if module_name.split(".")[0] in sys.builtin_module_names:
        raise FaultError(BUILT_IN_MODULE_CONFLICT, f"Cannot use built-in module {module_name} as a handler module")
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as error:
        raise FaultError(IMPORT_MODULE_ERROR, f"Unable to import module '{module_name}': {error}") from None
    except SyntaxError as error:
        trace = [f'  File "{error.filename}" Line {error.lineno}\n    {error.text}']
        raise FaultError(USER_CODE_SYNTAX_ERROR, f"Syntax error in module '{module_name}': {error}", trace) from None
    try:
        return getattr(module, function_name)
    except AttributeError:
        raise FaultError(HANDLER_NOT_FOUND, f"Handler '{function_name}' missing on module '{module_name}'") from None


def exception_error(error: BaseException, request_id: str = "", *, runtime_files: Collection[str] = (),
                    ) -> dict[str, Any]:
    """The AWS error object of an exception raised by user code.

    ``errorType`` is the exception's class name, ``errorMessage`` its ``str()``, and ``stackTrace`` the
    formatted frames (``traceback.format_list``) after the runtime's own leading frames, as awslambdaric does:
    frames of *runtime_files*, of this module and of ``importlib``'s bootstrap.

    Examples
    --------
    >>> try:
    ...     raise ValueError("boom")
    ... except ValueError as e:
    ...     error = exception_error(e, "id-1")
    >>> error["errorType"], error["errorMessage"], error["requestId"], len(error["stackTrace"])
    ('ValueError', 'boom', 'id-1', 1)
    """
    runtime = {os.path.abspath(path) for path in (*runtime_files, __file__)}
    frames = traceback.extract_tb(error.__traceback__)
    skip = 0
    while skip < len(frames) and (frames[skip].filename.startswith("<frozen importlib")
                                  or os.path.abspath(frames[skip].filename) in runtime):
        skip += 1
    return error_object(str(error), type(error).__name__, traceback.format_list(frames[skip:]), request_id)


def error_log_text(error: Mapping[str, Any]) -> str:
    """The ``[ERROR]`` log record AWS's Python runtime writes for an error object.

    Lines are joined with a carriage return (one CloudWatch event per record) and traceback indentation uses
    no-break spaces, as in awslambdaric's ``log_error``.

    Examples
    --------
    >>> error_log_text({"errorType": "ValueError", "errorMessage": "boom", "stackTrace": []})
    '[ERROR] ValueError: boom\\rTraceback (most recent call last):\\n'
    >>> error_log_text({"errorMessage": "2024-01-01T00:00:00.000Z id Task timed out after 1.00 seconds"})
    '[ERROR] 2024-01-01T00:00:00.000Z id Task timed out after 1.00 seconds\\n'
    """
    description = "[ERROR]"
    if error.get("errorType"):
        description += f" {error['errorType']}"
    if error.get("errorMessage"):
        description += (":" if error.get("errorType") else "") + f" {error['errorMessage']}"
    lines = [description]
    if error.get("stackTrace") is not None:
        lines.append("Traceback (most recent call last):")
        for element in error["stackTrace"]:
            for line in element.splitlines() or [""]:
                stripped = line.lstrip(" ")
                lines.append(_ERROR_INDENT * (len(line) - len(stripped)) + stripped)
    return _ERROR_LINE_TERMINATOR.join(lines) + "\n"


class _Encoder(json.JSONEncoder):
    """awslambdaric's encoder: ``Decimal`` values are written as JSON numbers."""

    def default(self, o: Any) -> Any:
        if isinstance(o, decimal.Decimal):
            if o.is_nan():
                return math.nan
            return int(o) if o == o.to_integral_value() else float(o)
        return super().default(o)


def marshal_response(result: Any) -> bytes:
    """Encode a handler's return value as the invocation's response body.

    ``bytes`` pass through unchanged; everything else is encoded as JSON (``None`` becomes ``null``).

    Raises
    ------
    FaultError
        ``Runtime.MarshalError`` when the value is not JSON serializable.

    Examples
    --------
    >>> marshal_response({"n": decimal.Decimal("1.5"), "ok": True, "none": None})
    b'{"n": 1.5, "ok": true, "none": null}'
    >>> try:
    ...     marshal_response({1, 2})
    ... except FaultError as fault:
    ...     print(f"{fault.error_type}: {fault}")
    Runtime.MarshalError: Unable to marshal response: Object of type set is not JSON serializable
    """
    if isinstance(result, bytes):
        return result
    try:
        return _Encoder().encode(result).encode("utf-8")
    except (TypeError, ValueError) as error:
        raise FaultError(MARSHAL_ERROR, f"Unable to marshal response: {error}") from None


def unmarshal_event(payload: str | bytes) -> Any:
    """Decode an invocation payload (JSON) into the event passed to the handler.

    Raises
    ------
    FaultError
        ``Runtime.UnmarshalError`` when the payload is not JSON.

    Examples
    --------
    >>> unmarshal_event('{"a": [1, 2]}')
    {'a': [1, 2]}
    >>> try:
    ...     unmarshal_event("{oops")
    ... except FaultError as fault:
    ...     print(f"{fault.error_type}: {fault}")  # doctest: +ELLIPSIS
    Runtime.UnmarshalError: Unable to unmarshal input: Expecting property name enclosed in double quotes: ...
    """
    try:
        return json.loads(payload)
    except ValueError as error:
        raise FaultError(UNMARSHAL_ERROR, f"Unable to unmarshal input: {error}") from None


class LambdaContext:
    """The context object passed to a handler, with the attributes of AWS's Python runtime.

    ``function_name``, ``function_version``, ``memory_limit_in_mb`` (a string, as on AWS), ``log_group_name``
    and ``log_stream_name`` come from the ``AWS_LAMBDA_*`` variables of *environ*; ``identity`` and
    ``client_context`` are None (LocalStack's init protocol carries neither).

    Parameters
    ----------
    aws_request_id : str
        The invocation's request id.
    invoked_function_arn : str
        ARN the caller used (qualified or not).
    deadline_ms : int
        End of the invocation's time budget, in milliseconds since the epoch.
    environ : mapping, optional
        Environment to read; ``os.environ`` by default.

    Examples
    --------
    >>> env = {"AWS_LAMBDA_FUNCTION_NAME": "fn", "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
    ...        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128", "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/fn",
    ...        "AWS_LAMBDA_LOG_STREAM_NAME": "2024/01/01/[$LATEST]abc"}
    >>> context = LambdaContext("id-1", "arn:aws:lambda:us-east-1:000000000000:function:fn",
    ...                         int(time.time() * 1000) + 3000, environ=env)
    >>> context.function_name, context.memory_limit_in_mb, context.identity
    ('fn', '128', None)
    >>> 0 < context.get_remaining_time_in_millis() <= 3000
    True
    """

    def __init__(self, aws_request_id: str, invoked_function_arn: str, deadline_ms: int,
                 environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        self.aws_request_id = aws_request_id
        self.invoked_function_arn = invoked_function_arn
        self.function_name = env.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = env.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.memory_limit_in_mb = env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name = env.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = env.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.identity = None
        self.client_context = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the function times out (never negative)."""
        return max(self._deadline_ms - int(time.time() * 1000), 0)

    def log(self, message: Any) -> None:
        """Write *message* to the function's log, as ``context.log`` does on AWS."""
        sys.stdout.write(str(message))

    def __repr__(self) -> str:
        return (f"LambdaContext([aws_request_id={self.aws_request_id},log_group_name={self.log_group_name},"
                f"log_stream_name={self.log_stream_name},function_name={self.function_name},"
                f"memory_limit_in_mb={self.memory_limit_in_mb},function_version={self.function_version},"
                f"invoked_function_arn={self.invoked_function_arn},client_context=None,identity=None])")


def report_line(request_id: str, duration_ms: float, memory_size: str | int, max_memory_used_mb: int | None, *,
                init_duration_ms: float | None = None, status: str | None = None,
                error_type: str | None = None) -> str:
    """The ``REPORT`` line that closes an invocation's log, in AWS's format.

    Billed duration is the duration rounded up to the millisecond (AWS's 1 ms billing granularity). The
    ``Max Memory Used`` field is left out when *max_memory_used_mb* is None (unknown).

    Examples
    --------
    >>> report_line("id-1", 12.3456, "128", 40).split("\\t")
    ['REPORT RequestId: id-1', 'Duration: 12.35 ms', 'Billed Duration: 13 ms', 'Memory Size: 128 MB', \
'Max Memory Used: 40 MB']
    >>> report_line("id-1", 1000.0, "128", 40, init_duration_ms=80.5, status="timeout").split("\\t")[-2:]
    ['Init Duration: 80.50 ms', 'Status: timeout']
    >>> report_line("id-1", 5.0, 128, None, status="error", error_type="Runtime.ExitError").split("\\t")[3:]
    ['Memory Size: 128 MB', 'Status: error', 'Error Type: Runtime.ExitError']
    """
    line = (f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\t"
            f"Billed Duration: {math.ceil(duration_ms)} ms\tMemory Size: {memory_size} MB")
    if max_memory_used_mb is not None:
        line += f"\tMax Memory Used: {max_memory_used_mb} MB"
    if init_duration_ms is not None:
        line += f"\tInit Duration: {init_duration_ms:.2f} ms"
    if status:
        line += f"\tStatus: {status}"
        if error_type:
            line += f"\tError Type: {error_type}"
    return line


def max_memory_used_mb() -> int:
    """Peak resident memory of this process since it started (or was restarted), in MB."""
    try:  # Linux: the high-water mark of this program's memory; getrusage's ru_maxrss would also count the
        # memory of LocalStack's process before the exec that started this one
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return math.ceil(int(line.split()[1]) / 1024)
    except (OSError, ValueError, IndexError):
        pass
    try:
        import resource
    except ImportError:  # not on POSIX
        return 0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # bytes on macOS
    return math.ceil(peak / (1024 * 1024 if sys.platform == "darwin" else 1024))


def utc_timestamp() -> str:
    """The current time as AWS writes it in log messages, e.g. ``2024-01-01T00:00:00.000Z``."""
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now * 1000) % 1000:03d}Z"
