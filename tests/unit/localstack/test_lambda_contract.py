"""The host-process Lambda init's handler contract: handler resolution, context object, errors, log lines."""

from __future__ import annotations

import json
import textwrap
import time
import uuid
from decimal import Decimal
from pathlib import Path

import pytest

from sagewatch.localstack.lambda_host.contract import (
    FaultError,
    LambdaContext,
    error_log_text,
    exception_error,
    load_handler,
    marshal_response,
    report_line,
    unmarshal_event,
)


@pytest.fixture
def code_dir(tmp_path, monkeypatch):
    """A folder on sys.path, like a function's unpacked code; write_module() adds modules under unique names."""
    monkeypatch.syspath_prepend(str(tmp_path))

    def write_module(relative: str, source: str) -> None:
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source), encoding="utf-8")

    return write_module


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def fault_of(handler: str) -> FaultError:
    with pytest.raises(FaultError) as caught:
        load_handler(handler)
    return caught.value


# --- handler resolution -----------------------------------------------------------------------------------------


def test_load_handler_imports_module_function(code_dir):
    module = unique("index")
    code_dir(f"{module}.py", "def handler(event, context):\n    return {'got': event}\n")
    assert load_handler(f"{module}.handler")({"a": 1}, None) == {"got": {"a": 1}}


@pytest.mark.parametrize("separator", [".", "/"])
def test_load_handler_resolves_nested_packages(code_dir, separator):
    package = unique("pkg")
    code_dir(f"{package}/__init__.py", "")
    code_dir(f"{package}/sub/__init__.py", "")
    code_dir(f"{package}/sub/app.py", "def entry(event, context):\n    return 'nested'\n")
    assert load_handler(f"{package}{separator}sub{separator}app.entry")({}, None) == "nested"


def test_load_handler_missing_module_is_import_module_error(code_dir):
    fault = fault_of("no_such_module_xyz.handler")
    assert fault.error_type == "Runtime.ImportModuleError"
    assert str(fault) == "Unable to import module 'no_such_module_xyz': No module named 'no_such_module_xyz'"
    assert fault.to_error("r1") == {"errorMessage": str(fault), "errorType": "Runtime.ImportModuleError",
                                    "requestId": "r1", "stackTrace": []}


def test_load_handler_missing_dependency_is_import_module_error(code_dir):
    module = unique("needs_dep")
    code_dir(f"{module}.py", "import no_such_dependency_xyz\n\ndef handler(event, context):\n    return 1\n")
    fault = fault_of(f"{module}.handler")
    assert fault.error_type == "Runtime.ImportModuleError"
    assert str(fault) == f"Unable to import module '{module}': No module named 'no_such_dependency_xyz'"


def test_load_handler_missing_function_is_handler_not_found(code_dir):
    module = unique("index")
    code_dir(f"{module}.py", "def handler(event, context):\n    return 1\n")
    fault = fault_of(f"{module}.other")
    assert fault.error_type == "Runtime.HandlerNotFound"
    assert str(fault) == f"Handler 'other' missing on module '{module}'"


def test_load_handler_without_dot_is_malformed():
    fault = fault_of("handler")
    assert fault.error_type == "Runtime.MalformedHandlerName"
    assert str(fault) == "Bad handler 'handler': not enough values to unpack (expected 2, got 1)"


def test_load_handler_builtin_module_is_a_conflict():
    fault = fault_of("sys.handler")
    assert fault.error_type == "Runtime.BuiltInModuleConflict"
    assert str(fault) == "Cannot use built-in module sys as a handler module"


def test_load_handler_syntax_error_is_user_code_syntax_error(code_dir):
    module = unique("broken")
    code_dir(f"{module}.py", "def handler(event, context)\n    return 1\n")
    fault = fault_of(f"{module}.handler")
    assert fault.error_type == "Runtime.UserCodeSyntaxError"
    assert str(fault).startswith(f"Syntax error in module '{module}': ")
    assert len(fault.stack_trace) == 1 and f"{module}.py" in fault.stack_trace[0]


def test_load_handler_lets_other_import_time_errors_through(code_dir):
    module = unique("raises")
    code_dir(f"{module}.py", "raise RuntimeError('cannot start')\n")
    with pytest.raises(RuntimeError, match="cannot start"):
        load_handler(f"{module}.handler")


# --- context object -----------------------------------------------------------------------------------------------

ENVIRON = {
    "AWS_LAMBDA_FUNCTION_NAME": "scorer",
    "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
    "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/scorer",
    "AWS_LAMBDA_LOG_STREAM_NAME": "2024/01/01/[$LATEST]0123abcd",
}
ARN = "arn:aws:lambda:us-east-1:000000000000:function:scorer"


def test_context_has_the_aws_attributes():
    context = LambdaContext("req-1", ARN, int(time.time() * 1000) + 5000, environ=ENVIRON)
    assert context.aws_request_id == "req-1"
    assert context.invoked_function_arn == ARN
    assert context.function_name == "scorer"
    assert context.function_version == "$LATEST"
    assert context.memory_limit_in_mb == "256"  # a string, as in AWS's Python runtime
    assert context.log_group_name == "/aws/lambda/scorer"
    assert context.log_stream_name == "2024/01/01/[$LATEST]0123abcd"
    assert context.identity is None and context.client_context is None
    assert "function_name=scorer" in repr(context)


def test_context_remaining_time_counts_down_and_stops_at_zero():
    context = LambdaContext("req-1", ARN, int(time.time() * 1000) + 300, environ=ENVIRON)
    first = context.get_remaining_time_in_millis()
    assert 0 < first <= 300
    time.sleep(0.05)
    assert context.get_remaining_time_in_millis() < first
    expired = LambdaContext("req-2", ARN, int(time.time() * 1000) - 10, environ=ENVIRON)
    assert expired.get_remaining_time_in_millis() == 0


def test_context_reads_the_process_environment_by_default(monkeypatch):
    for key, value in ENVIRON.items():
        monkeypatch.setenv(key, value)
    assert LambdaContext("req-1", ARN, 0).function_name == "scorer"


def test_context_log_writes_to_stdout(capsys):
    LambdaContext("req-1", ARN, 0, environ=ENVIRON).log("a log line\n")
    assert capsys.readouterr().out == "a log line\n"


# --- errors, payloads and log lines ------------------------------------------------------------------------------


def _raise_from_user_code():
    raise ValueError("bad input")


def test_exception_error_has_aws_shape_and_skips_runtime_frames():
    try:
        _raise_from_user_code()
    except ValueError as error:
        result = exception_error(error, "req-9", runtime_files=[__file__])
        kept = exception_error(error, "req-9")
    assert result["errorType"] == "ValueError" and result["errorMessage"] == "bad input"
    assert result["requestId"] == "req-9"
    assert result["stackTrace"] == []  # every frame is in the "runtime" file here
    assert len(kept["stackTrace"]) == 2 and all(isinstance(frame, str) for frame in kept["stackTrace"])
    assert "_raise_from_user_code" in kept["stackTrace"][-1]


def test_error_log_text_is_one_record_with_cr_separated_lines():
    frame = '  File "index.py", line 3, in handler\n    raise ValueError("bad")\n'
    text = error_log_text({"errorType": "ValueError", "errorMessage": "bad", "stackTrace": [frame]})
    assert text.endswith("\n") and text.count("\n") == 1
    lines = text[:-1].split("\r")
    assert lines[:2] == ["[ERROR] ValueError: bad", "Traceback (most recent call last):"]
    assert lines[2] == '\u00a0\u00a0File "index.py", line 3, in handler'


def test_marshal_response_encodes_json_bytes_and_decimals():
    assert json.loads(marshal_response({"a": [1, "x"], "d": Decimal("2")})) == {"a": [1, "x"], "d": 2}
    assert marshal_response(None) == b"null"
    assert marshal_response(b"\x00raw") == b"\x00raw"
    with pytest.raises(FaultError) as caught:
        marshal_response({"when": Path("x")})
    assert caught.value.error_type == "Runtime.MarshalError"


def test_unmarshal_event_rejects_non_json():
    assert unmarshal_event(b'{"k": "v"}') == {"k": "v"}
    with pytest.raises(FaultError) as caught:
        unmarshal_event("not json")
    assert caught.value.error_type == "Runtime.UnmarshalError"
    assert str(caught.value).startswith("Unable to unmarshal input: ")


def test_report_line_follows_aws_format():
    assert report_line("r1", 0.2, "128", 41) == ("REPORT RequestId: r1\tDuration: 0.20 ms\tBilled Duration: 1 ms\t"
                                                 "Memory Size: 128 MB\tMax Memory Used: 41 MB")
