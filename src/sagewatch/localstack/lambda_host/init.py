"""The init of a host-process Lambda: LocalStack's init wire protocol plus the AWS Python runtime contract.

:class:`~sagewatch.localstack.lambda_host.executor.HostProcessExecutor` starts this file as
``python -P init.py`` (by path, so that a ``sagewatch`` package bundled into a function's code cannot shadow it)
with the current working directory set to the function's unpacked code, ``PYTHONPATH`` listing the code and its
layers, and the environment LocalStack hands to ``RuntimeExecutor.start()``. It imports only the standard library
and its sibling :mod:`~sagewatch.localstack.lambda_host.contract`.

Wire protocol (``localstack-plugin.md`` §6.3; LocalStack's ``executor_endpoint.py`` and
``localstack/lambda-runtime-init`` ``cmd/localstack/custom_interop.go``). ``ENDPOINT`` is
``$LOCALSTACK_RUNTIME_ENDPOINT`` and ``ID`` is ``$LOCALSTACK_RUNTIME_ID``:

1. Listen on ``127.0.0.1:$LOCALSTACK_INTEROP_PORT``, import the handler named by ``$_HANDLER``, then
   ``POST {ENDPOINT}/status/{ID}/ready`` (empty body), or ``POST {ENDPOINT}/status/{ID}/error`` with
   ``{"errorType", "errorMessage", "stackTrace"}`` when the import fails, and exit.
2. ``POST /invoke`` with ``{"invoke-id", "invoked-function-arn", "payload", "trace-id"}`` is answered ``200 OK``
   at once; the invocation then runs on the main thread (as in AWS's runtime, so handlers may install signal
   handlers), with ``sys.stdout`` and ``sys.stderr`` captured.
3. ``POST {ENDPOINT}/invocations/{invoke-id}/logs`` with ``{"logs": "START ...\\nEND ...\\nREPORT ..."}``, then
   ``POST .../response`` with the result bytes or ``POST .../error`` with the AWS error object.
4. Timeout: a watchdog thread stops accepting invocations, reports ``"<time> <id> Task timed out after N.00
   seconds"`` to ``.../error`` and restarts the runtime by ``execve`` of this same program (same pid, fresh
   interpreter, the environment of the first start), as AWS resets a sandbox after a timeout. The restarted
   runtime does not post ``ready`` again (LocalStack's start-up future is already settled); LocalStack retries
   connection errors while it starts listening. ``sys.exit()`` in a handler restarts the runtime the same way,
   after reporting ``Runtime.ExitError``.

Within an invocation the handler sees AWS's Python runtime (:mod:`sagewatch.localstack.lambda_host.contract`):
the same handler-name rules, ``Runtime.*`` faults, error objects, context object and ``[ERROR]`` records, and a
root-logger handler with AWS's format ``[LEVEL]\\t<UTC time>\\t<request id>\\t<message>``.
"""

from __future__ import annotations

import codecs
import dataclasses
import http.client
import http.server
import importlib
import importlib.util
import io
import json
import logging
import os
import queue
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any

__all__ = ["InitSettings", "LocalStackClient", "Runtime", "main"]

RESTART_MARKER = "_SAGEWATCH_LAMBDA_RESTARTED"
"""Set (to ``"1"``) in the environment of a runtime restarted after a timeout or ``sys.exit()``."""

DEFAULT_INTEROP_PORT = 9563
"""LocalStack's ``INVOCATION_PORT``, used when ``LOCALSTACK_INTEROP_PORT`` is not set."""

PARENT_POLL_SECONDS = 1.0
"""How often the runtime checks that the process that started it (LocalStack) still runs."""

_THIS_FILE = os.path.abspath(__file__)
_STARTED = time.perf_counter()  # "Init Duration" counts from here: the runtime set-up and the handler import


def _load_contract() -> ModuleType:
    """:mod:`~sagewatch.localstack.lambda_host.contract`, imported without putting anything on ``sys.path``.

    Run as a script, this program loads its sibling file under a private module name, so that the function's
    own modules (and any ``sagewatch`` package bundled with them) are resolved exactly as on AWS.
    """
    if __package__:
        return importlib.import_module(f"{__package__}.contract")
    name = "_sagewatch_lambda_contract"
    spec = importlib.util.spec_from_file_location(name, os.path.join(os.path.dirname(_THIS_FILE), "contract.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


contract = _load_contract()


# --- settings and the LocalStack side of the protocol ------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class InitSettings:
    """What the init reads from its environment, once, at start-up.

    Examples
    --------
    >>> s = InitSettings.from_environ({"LOCALSTACK_RUNTIME_ENDPOINT": "http://127.0.0.1:4566/_localstack_lambda/e1",
    ...                                "LOCALSTACK_RUNTIME_ID": "e1", "_HANDLER": "index.handler",
    ...                                "AWS_LAMBDA_FUNCTION_TIMEOUT": "3"})
    >>> s.interop_port, s.timeout_seconds, s.function_version, s.restarted
    (9563, 3.0, '$LATEST', False)
    """

    runtime_endpoint: str
    runtime_id: str
    handler: str
    interop_port: int = DEFAULT_INTEROP_PORT
    timeout_seconds: float = 3.0
    memory_size: str = "128"
    function_version: str = "$LATEST"
    restarted: bool = False

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> InitSettings:
        """Read the settings; raises ``KeyError`` naming a missing required variable."""
        return cls(
            runtime_endpoint=environ["LOCALSTACK_RUNTIME_ENDPOINT"].rstrip("/"),
            runtime_id=environ["LOCALSTACK_RUNTIME_ID"],
            handler=environ.get("_HANDLER", ""),
            interop_port=int(environ.get("LOCALSTACK_INTEROP_PORT") or DEFAULT_INTEROP_PORT),
            timeout_seconds=float(environ.get("AWS_LAMBDA_FUNCTION_TIMEOUT") or 3),
            memory_size=environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE") or "128",
            function_version=environ.get("AWS_LAMBDA_FUNCTION_VERSION") or "$LATEST",
            restarted=environ.get(RESTART_MARKER) == "1",
        )


class LocalStackClient:
    """Posts to LocalStack's executor endpoint (``$LOCALSTACK_RUNTIME_ENDPOINT``), bypassing any proxy.

    Parameters
    ----------
    runtime_endpoint : str
        ``http://<host>:<port>/_localstack_lambda/<executor id>``.
    runtime_id : str
        ``$LOCALSTACK_RUNTIME_ID``.
    """

    def __init__(self, runtime_endpoint: str, runtime_id: str, timeout: float = 30.0) -> None:
        url = urllib.parse.urlsplit(runtime_endpoint)
        if url.scheme != "http" or not url.hostname:
            raise ValueError(f"LOCALSTACK_RUNTIME_ENDPOINT must be an http:// URL, got {runtime_endpoint!r}")
        self._host, self._port = url.hostname, url.port or 80
        self._prefix = url.path.rstrip("/")
        self._runtime_id = runtime_id
        self._timeout = timeout

    def post(self, path: str, body: bytes = b"") -> int:
        """POST *body* to ``<endpoint><path>``; returns the HTTP status."""
        connection = http.client.HTTPConnection(self._host, self._port, timeout=self._timeout)
        try:
            connection.request("POST", self._prefix + path, body=body,
                               headers={"Content-Type": "application/json"})
            response = connection.getresponse()
            response.read()
            return response.status
        finally:
            connection.close()

    def ready(self) -> int:
        return self.post(f"/status/{self._runtime_id}/ready")

    def init_error(self, error: Mapping[str, Any]) -> int:
        return self.post(f"/status/{self._runtime_id}/error", json.dumps(error).encode("utf-8"))

    def logs(self, request_id: str, text: str) -> int:
        return self.post(f"/invocations/{request_id}/logs", json.dumps({"logs": text}).encode("utf-8"))

    def response(self, request_id: str, body: bytes) -> int:
        return self.post(f"/invocations/{request_id}/response", body)

    def error(self, request_id: str, error: Mapping[str, Any]) -> int:
        return self.post(f"/invocations/{request_id}/error", json.dumps(error).encode("utf-8"))


# --- output capture and logging -------------------------------------------------------------------------------


class _LogBuffer:
    """Everything the function writes, until the runtime takes it for the next log post."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._parts: list[str] = []

    def write(self, text: str) -> None:
        with self._lock:
            self._parts.append(text)

    def take(self) -> str:
        with self._lock:
            text, self._parts = "".join(self._parts), []
        return text


class _DescriptorCapture:
    """Routes file descriptors 1 and 2 into the log buffer: output of child processes and of C code.

    The process's original descriptors (the environment's log file, see ``HostProcessExecutor.get_logs``) are
    kept for diagnostics and put back before a restart.
    """

    _MARKER = b"\x00sagewatch-lambda-sync\x00"  # shorter than PIPE_BUF, so written atomically

    def __init__(self, log: _LogBuffer) -> None:
        self._log = log
        self.original = (os.dup(1), os.dup(2))
        read_fd, write_fd = os.pipe()
        os.dup2(write_fd, 1)
        os.dup2(write_fd, 2)
        os.close(write_fd)
        self._read_fd = read_fd
        self._synced = threading.Event()
        self._sync_lock = threading.Lock()
        threading.Thread(target=self._pump, name="lambda-fd-capture", daemon=True).start()

    def sync(self, timeout: float = 0.5) -> None:
        """Wait until everything written to descriptors 1 and 2 so far is in the log buffer."""
        with self._sync_lock:
            self._synced.clear()
            os.write(1, self._MARKER)
            self._synced.wait(timeout)

    def restore(self) -> None:
        os.dup2(self.original[0], 1)
        os.dup2(self.original[1], 2)

    def _pump(self) -> None:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        marker = self._MARKER
        pending = b""
        while chunk := os.read(self._read_fd, 65536):
            pending += chunk
            while (index := pending.find(marker)) >= 0:
                self._log.write(decoder.decode(pending[:index]))
                pending = pending[index + len(marker):]
                self._synced.set()
            keep = 0  # a marker may be split between two reads
            if b"\x00" in pending[-(len(marker) - 1):]:
                keep = next((n for n in range(min(len(pending), len(marker) - 1), 0, -1)
                             if marker.startswith(pending[-n:])), 0)
            text, pending = pending[:len(pending) - keep], pending[len(pending) - keep:]
            if text:
                self._log.write(decoder.decode(text))


class _CaptureBytes(io.RawIOBase):
    """``sys.stdout.buffer`` of a capture stream."""

    def __init__(self, buffer: _LogBuffer) -> None:
        self._buffer = buffer

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self._buffer.write(bytes(data).decode("utf-8", errors="replace"))
        return len(data)


class _CaptureStream(io.TextIOBase):
    """Replaces ``sys.stdout`` / ``sys.stderr``: text goes to the log buffer, unbuffered."""

    encoding = "utf-8"
    errors = "replace"

    def __init__(self, buffer: _LogBuffer, real: Any) -> None:
        self._log = buffer
        self._real = real
        self.buffer = _CaptureBytes(buffer)

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self._log.write(str(text))
        return len(text)

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:  # descriptors 1 and 2, captured by _DescriptorCapture
        return self._real.fileno()


class _RequestIdFilter(logging.Filter):
    request_id = ""

    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = self.request_id
        return True


class _LambdaLogHandler(logging.Handler):
    """The root-logger handler of AWS's Python runtime: formatted records go to the function's log."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stdout.write(self.format(record))
        except Exception:  # noqa: BLE001 - logging must never break the handler
            self.handleError(record)


# --- the runtime -------------------------------------------------------------------------------------------------


class _Invocation:
    """One invocation; whichever of the main thread and the timeout watchdog claims it first reports it."""

    def __init__(self, request: Mapping[str, Any]) -> None:
        self.request_id = str(request.get("invoke-id", ""))
        self.invoked_function_arn = str(request.get("invoked-function-arn", ""))
        self.payload = request.get("payload") or "{}"
        self.trace_id = request.get("trace-id")
        self.started = time.perf_counter()
        self._lock = threading.Lock()
        self._claimed = False

    def claim(self) -> bool:
        with self._lock:
            if self._claimed:
                return False
            self._claimed = True
            return True

    def elapsed_ms(self) -> float:
        return (time.perf_counter() - self.started) * 1000.0


class _InvokeServer(http.server.HTTPServer):
    allow_reuse_address = True
    invocations: queue.Queue[dict[str, Any]]


class _InvokeHandler(http.server.BaseHTTPRequestHandler):
    server: _InvokeServer

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        if self.path.rstrip("/") != "/invoke":
            self.send_error(404)
            return
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            request = json.loads(body)
            if not isinstance(request, dict):
                raise ValueError("not an object")
        except ValueError:
            self.send_error(400, "invoke request must be a JSON object")
            return
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"OK")
        self.wfile.flush()
        self.server.invocations.put(request)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
        pass


class Runtime:
    """One execution environment: imports the handler, serves ``/invoke`` and reports to LocalStack.

    Parameters
    ----------
    settings : InitSettings
    client : LocalStackClient
    environ : mapping
        The environment the process started with; a restart re-executes the program with it.
    """

    def __init__(self, settings: InitSettings, client: LocalStackClient, environ: Mapping[str, str]) -> None:
        self.settings = settings
        self.client = client
        self._environ = {k: v for k, v in environ.items() if k != RESTART_MARKER}
        self._log = _LogBuffer()
        self._request_filter = _RequestIdFilter()
        self._handler: Callable[[Any, Any], Any] | None = None
        self._init_error: dict[str, Any] | None = None
        self._init_duration_ms: float | None = None
        self._server: _InvokeServer | None = None
        self._descriptors: _DescriptorCapture | None = None

    # start-up

    def run(self) -> int:
        """Start the environment and serve invocations until the process is stopped; returns an exit status."""
        self._server = _InvokeServer(("127.0.0.1", self.settings.interop_port), _InvokeHandler)
        self._server.invocations = queue.Queue()
        self._install_capture()
        try:
            self._handler = contract.load_handler(self.settings.handler)
        except contract.FaultError as fault:
            self._init_error = fault.to_error()
        except BaseException as error:  # noqa: BLE001 - user code at import time may raise anything
            self._init_error = contract.exception_error(error, runtime_files=[_THIS_FILE])
        self._init_duration_ms = (time.perf_counter() - _STARTED) * 1000.0
        if self._init_error is not None:
            self._log.write(contract.error_log_text(self._init_error))
            if not self.settings.restarted:
                # Protocol: report the failed init; LocalStack marks the environment STARTUP_FAILED and stops it.
                _diagnostic(self._take_log())
                self.client.init_error(self._init_error)
                return 1
            # A restarted runtime cannot report a failed init any more: each invocation reports it instead.
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                         name="lambda-invoke-server", daemon=True).start()
        if not self.settings.restarted:
            status = self.client.ready()
            if status >= 300:
                _diagnostic(f"LocalStack answered {status} to the ready status; exiting")
                return 1
        while True:
            self._invoke(_Invocation(self._server.invocations.get()))

    def _install_capture(self) -> None:
        global _diagnostic_fd
        try:
            self._descriptors = _DescriptorCapture(self._log)
            _diagnostic_fd = self._descriptors.original[1]
        except OSError as error:  # e.g. descriptors 1 and 2 closed: only Python-level output is captured
            _diagnostic(f"sagewatch lambda init: output of child processes is not captured: {error}")
        sys.stdout = _CaptureStream(self._log, sys.__stdout__)
        sys.stderr = _CaptureStream(self._log, sys.__stderr__)
        logging.Formatter.converter = time.gmtime
        handler = _LambdaLogHandler()
        handler.setFormatter(logging.Formatter(
            "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n", "%Y-%m-%dT%H:%M:%S"))
        handler.addFilter(self._request_filter)
        root = logging.getLogger()
        root.addHandler(handler)
        level = os.environ.get("AWS_LAMBDA_LOG_LEVEL", "").upper()
        if level in logging.getLevelNamesMapping():
            root.setLevel(level)

    # invocations

    def _invoke(self, invocation: _Invocation) -> None:
        before = self._take_log()  # output written between invocations goes before START, as on AWS
        self._request_filter.request_id = invocation.request_id
        if invocation.trace_id:
            os.environ["_X_AMZN_TRACE_ID"] = str(invocation.trace_id)
        watchdog = threading.Timer(self.settings.timeout_seconds, self._timed_out, (invocation, before))
        watchdog.daemon = True
        watchdog.start()
        body: bytes | None = None
        error: dict[str, Any] | None = None
        exit_code: int | None = None
        try:
            if self._init_error is not None:
                error = dict(self._init_error, requestId=invocation.request_id)
            else:
                event = contract.unmarshal_event(invocation.payload)
                deadline_ms = int(time.time() * 1000 + self.settings.timeout_seconds * 1000)
                context = contract.LambdaContext(invocation.request_id, invocation.invoked_function_arn,
                                                 deadline_ms)
                assert self._handler is not None
                body = contract.marshal_response(self._handler(event, context))
        except contract.FaultError as fault:
            error = fault.to_error(invocation.request_id)
        except SystemExit as exiting:
            exit_code = exiting.code if isinstance(exiting.code, int) else (0 if exiting.code is None else 1)
            reason = (f"Runtime exited with error: exit status {exit_code}" if exit_code
                      else "Runtime exited without providing a reason")
            error = contract.error_object(f"RequestId: {invocation.request_id} Error: {reason}",
                                          contract.EXIT_ERROR, [], invocation.request_id)
        except BaseException as raised:  # noqa: BLE001 - report whatever the handler raised
            error = contract.exception_error(raised, invocation.request_id, runtime_files=[_THIS_FILE])
        if not invocation.claim():
            threading.Event().wait()  # the watchdog reports the timeout and restarts the process
        watchdog.cancel()
        self._request_filter.request_id = ""
        if exit_code is not None:
            self._report_and_restart(invocation, before, error, status="error", error_type=contract.EXIT_ERROR,
                                     log_line=f"{error['errorMessage']}\n{contract.EXIT_ERROR}")
            return
        if error is not None:
            self._log.write(contract.error_log_text(error))
        logs = self._compose_logs(invocation, before, self._take_log())  # AWS adds no Status for function errors
        try:
            self.client.logs(invocation.request_id, logs)
            if error is not None:
                self.client.error(invocation.request_id, error)
            else:
                self.client.response(invocation.request_id, body or b"")
        except OSError as failure:
            # LocalStack would wait for this result for 15 minutes; exiting lets the executor report the
            # invocation as failed at once (Runtime.ExitError) and start a new process for the next one.
            _diagnostic(f"sagewatch lambda init: cannot post the result of {invocation.request_id}: {failure}")
            os._exit(1)

    def _timed_out(self, invocation: _Invocation, before: str) -> None:
        if not invocation.claim():
            return
        seconds = self.settings.timeout_seconds
        message = f"{contract.utc_timestamp()} {invocation.request_id} Task timed out after {seconds:.2f} seconds"
        self._report_and_restart(invocation, before, {"errorMessage": message}, status="timeout",
                                 duration_ms=min(invocation.elapsed_ms(), seconds * 1000.0), log_line=message)

    def _report_and_restart(self, invocation: _Invocation, before: str, error: dict[str, Any], *, status: str,
                            error_type: str | None = None, duration_ms: float | None = None,
                            log_line: str | None = None) -> None:
        # Stop accepting invocations first: LocalStack may send the next one as soon as it has the error, and it
        # retries connection errors until the restarted runtime listens.
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        self._log.write(f"{log_line}\n" if log_line else contract.error_log_text(error))
        logs = self._compose_logs(invocation, before, self._take_log(), status=status, error_type=error_type,
                                  duration_ms=duration_ms)
        try:
            self.client.logs(invocation.request_id, logs)
            self.client.error(invocation.request_id, error)
        finally:
            self._restart()

    def _take_log(self) -> str:
        if self._descriptors is not None:
            self._descriptors.sync()
        return self._log.take()

    def _restart(self) -> None:
        for stream in (sys.__stdout__, sys.__stderr__):
            if stream is not None:
                stream.flush()
        if self._descriptors is not None:
            self._descriptors.restore()
        environ = dict(self._environ, **{RESTART_MARKER: "1"})
        try:
            os.execve(sys.executable, [sys.executable, *sys.orig_argv[1:]], environ)
        finally:
            os._exit(1)  # only reached if execve failed; the executor starts a new process on the next invoke

    def _compose_logs(self, invocation: _Invocation, before: str, output: str, *, status: str | None = None,
                      error_type: str | None = None, duration_ms: float | None = None) -> str:
        request_id = invocation.request_id
        if output and not output.endswith("\n"):
            output += "\n"
        report = contract.report_line(request_id, invocation.elapsed_ms() if duration_ms is None else duration_ms,
                                      self.settings.memory_size, contract.max_memory_used_mb(),
                                      init_duration_ms=self._init_duration_ms, status=status, error_type=error_type)
        self._init_duration_ms = None  # reported once, on the first invocation after (re)start
        return (f"{before}START RequestId: {request_id} Version: {self.settings.function_version}\n{output}"
                f"END RequestId: {request_id}\n{report}\n")


_diagnostic_fd = 2  # the process's original stderr once _DescriptorCapture has taken over descriptor 2


def _diagnostic(text: str) -> None:
    """Write to the process's original stderr (the environment's log file), never to the function's log."""
    if text:
        try:
            os.write(_diagnostic_fd, (text if text.endswith("\n") else text + "\n").encode("utf-8", "replace"))
        except OSError:
            pass


def _exit_with_parent(parent: int) -> None:
    """End this process when the process that started it (LocalStack) is gone."""
    while True:
        time.sleep(PARENT_POLL_SECONDS)
        if os.getppid() != parent:
            os._exit(0)


def main(environ: Mapping[str, str] | None = None) -> int:
    """Run the init: read the settings, start the runtime and serve invocations.

    Returns an exit status only when start-up fails; otherwise it serves until the process is stopped.
    """
    env = dict(os.environ if environ is None else environ)
    try:
        settings = InitSettings.from_environ(env)
        client = LocalStackClient(settings.runtime_endpoint, settings.runtime_id)
    except (KeyError, ValueError) as error:
        _diagnostic(f"sagewatch lambda init: bad environment: {error!r}")
        return 2
    os.environ.pop(RESTART_MARKER, None)
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), name="lambda-parent-watch",
                     daemon=True).start()
    return Runtime(settings, client, env).run()


if __name__ == "__main__":
    sys.exit(main())
