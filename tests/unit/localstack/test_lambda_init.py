"""The host-process Lambda init speaks LocalStack's init wire protocol (against a stand-in for LocalStack).

Each test starts ``init.py`` as the executor does (``python -P init.py`` in the function's code folder) with a
loopback HTTP server in place of LocalStack's executor endpoint, then drives ``POST /invoke`` by hand.
"""

from __future__ import annotations

import http.client
import http.server
import json
import os
import queue
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sagewatch.localstack.lambda_host import init as init_module

INIT_SCRIPT = Path(init_module.__file__)
RUNTIME_ID = "0123456789abcdef0123456789abcdef"

HANDLER = textwrap.dedent('''
    import logging
    import os
    import subprocess
    import sys
    import time
    import uuid

    INIT_ID = uuid.uuid4().hex
    print("imported")


    def handler(event, context):
        action = event.get("action")
        if action == "echo":
            print("echo", event["value"])
            logging.getLogger().warning("a warning record")
            return {"value": event["value"], "init_id": INIT_ID, "pid": os.getpid(),
                    "request_id": context.aws_request_id}
        if action == "child":
            subprocess.run([sys.executable, "-c", "print('from a child process')"], check=True)
            return "ok"
        if action == "raise":
            raise ValueError("boom")
        if action == "sleep":
            time.sleep(event["seconds"])
            return "slept"
        if action == "exit":
            sys.exit(3)
        return None
''')


class FakeLocalStack:
    """Records the init's POSTs to ``/_localstack_lambda/<id>/...``."""

    def __init__(self) -> None:
        self.posts: queue.Queue[tuple[str, bytes]] = queue.Queue()
        posts = self.posts

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                posts.put((self.path, body))
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}/_localstack_lambda/{RUNTIME_ID}"

    def next_post(self, timeout: float = 10.0) -> tuple[str, bytes]:
        path, body = self.posts.get(timeout=timeout)
        return path.removeprefix(f"/_localstack_lambda/{RUNTIME_ID}"), body


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class InitProcess:
    def __init__(self, process: subprocess.Popen[bytes], port: int) -> None:
        self.process = process
        self.port = port

    def invoke(self, request_id: str, event: Any, timeout: float = 5.0) -> tuple[int, bytes]:
        """POST /invoke, retrying while the init is not listening (as LocalStack does)."""
        body = json.dumps({"invoke-id": request_id, "invoked-function-arn": "arn:aws:lambda:fn",
                           "payload": json.dumps(event), "trace-id": "Root=1-abc"})
        deadline = time.monotonic() + timeout
        while True:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            try:
                connection.request("POST", "/invoke", body=body, headers={"Content-Type": "application/json"})
                response = connection.getresponse()
                return response.status, response.read()
            except ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
            finally:
                connection.close()


@pytest.fixture
def localstack() -> Iterator[FakeLocalStack]:
    fake = FakeLocalStack()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


@pytest.fixture
def start_init(tmp_path, localstack) -> Iterator[Callable[..., InitProcess]]:
    started: list[subprocess.Popen[bytes]] = []

    def start(handler: str = "index.handler", timeout: int = 3) -> InitProcess:
        code = tmp_path / "code"
        code.mkdir(exist_ok=True)
        (code / "index.py").write_text(HANDLER, encoding="utf-8")
        port = free_port()
        env = {
            "PATH": os.environ.get("PATH", os.defpath), "PYTHONPATH": str(code), "_HANDLER": handler,
            "LOCALSTACK_RUNTIME_ENDPOINT": localstack.endpoint, "LOCALSTACK_RUNTIME_ID": RUNTIME_ID,
            "LOCALSTACK_INTEROP_PORT": str(port), "AWS_LAMBDA_FUNCTION_TIMEOUT": str(timeout),
            "AWS_LAMBDA_FUNCTION_NAME": "fn", "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
        }
        process = subprocess.Popen([sys.executable, "-P", str(INIT_SCRIPT)], cwd=code, env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        started.append(process)
        return InitProcess(process, port)

    yield start
    for process in started:
        process.kill()
        process.wait()


def test_ready_then_logs_before_response(localstack, start_init):
    init = start_init()
    assert localstack.next_post() == (f"/status/{RUNTIME_ID}/ready", b"")
    assert init.invoke("req-1", {"action": "echo", "value": 7}) == (200, b"OK")
    path, body = localstack.next_post()
    assert path == "/invocations/req-1/logs"
    logs = json.loads(body)["logs"]
    lines = logs.splitlines()
    assert lines[0] == "imported"  # init output comes before START, as on AWS
    assert lines[1] == "START RequestId: req-1 Version: $LATEST"
    assert "echo 7" in lines
    assert any(line.startswith("[WARNING]\t") and line.endswith("\treq-1\ta warning record") for line in lines)
    assert lines[-2] == "END RequestId: req-1"
    assert lines[-1].startswith("REPORT RequestId: req-1\tDuration: ") and "\tInit Duration: " in lines[-1]
    path, body = localstack.next_post()
    assert path == "/invocations/req-1/response"
    assert json.loads(body)["value"] == 7 and json.loads(body)["request_id"] == "req-1"

    init.invoke("req-2", {"action": "echo", "value": 8})
    warm_logs = json.loads(localstack.next_post()[1])["logs"]
    assert warm_logs.startswith("START RequestId: req-2") and "Init Duration" not in warm_logs
    assert json.loads(localstack.next_post()[1])["value"] == 8


def test_output_of_child_processes_is_captured(localstack, start_init):
    init = start_init()
    localstack.next_post()
    init.invoke("req-1", {"action": "child"})
    logs = json.loads(localstack.next_post()[1])["logs"]
    assert "from a child process" in logs.split("END RequestId")[0]
    assert localstack.next_post() == ("/invocations/req-1/response", b'"ok"')


def test_handler_exception_is_posted_to_error(localstack, start_init):
    init = start_init()
    localstack.next_post()
    init.invoke("req-1", {"action": "raise"})
    logs = json.loads(localstack.next_post()[1])["logs"]
    assert "[ERROR] ValueError: boom\rTraceback (most recent call last):" in logs
    path, body = localstack.next_post()
    error = json.loads(body)
    assert path == "/invocations/req-1/error"
    assert (error["errorType"], error["errorMessage"], error["requestId"]) == ("ValueError", "boom", "req-1")
    assert any("index.py" in frame for frame in error["stackTrace"])
    assert not any("init.py" in frame for frame in error["stackTrace"])


def test_import_failure_is_reported_as_startup_error(localstack, start_init):
    init = start_init(handler="missing_module.handler")
    path, body = localstack.next_post()
    assert path == f"/status/{RUNTIME_ID}/error"
    assert json.loads(body) == {"errorMessage": "Unable to import module 'missing_module': "
                                                "No module named 'missing_module'",
                                "errorType": "Runtime.ImportModuleError", "requestId": "", "stackTrace": []}
    assert init.process.wait(timeout=10) == 1


def test_timeout_reports_task_timed_out_and_restarts_the_runtime(localstack, start_init):
    init = start_init(timeout=1)
    localstack.next_post()
    init.invoke("req-1", {"action": "echo", "value": 1})
    localstack.next_post()
    first = json.loads(localstack.next_post()[1])

    started = time.monotonic()
    init.invoke("req-2", {"action": "sleep", "seconds": 5})
    path, body = localstack.next_post()
    assert path == "/invocations/req-2/logs"
    logs = json.loads(body)["logs"]
    assert "req-2 Task timed out after 1.00 seconds" in logs and "\tStatus: timeout" in logs
    path, body = localstack.next_post()
    assert path == "/invocations/req-2/error"
    assert json.loads(body)["errorMessage"].endswith("req-2 Task timed out after 1.00 seconds")
    assert time.monotonic() - started < 3

    init.invoke("req-3", {"action": "echo", "value": 3})  # retried until the restarted runtime listens
    path, body = localstack.next_post()
    assert path == "/invocations/req-3/logs", "a restarted runtime must not post ready again"
    assert "Init Duration" in json.loads(body)["logs"]
    after = json.loads(localstack.next_post()[1])
    assert after["pid"] == first["pid"] == init.process.pid  # same process, fresh interpreter
    assert after["init_id"] != first["init_id"]


def test_sys_exit_reports_runtime_exit_error_and_restarts(localstack, start_init):
    init = start_init()
    localstack.next_post()
    init.invoke("req-1", {"action": "exit"})
    logs = json.loads(localstack.next_post()[1])["logs"]
    assert "RequestId: req-1 Error: Runtime exited with error: exit status 3\nRuntime.ExitError\n" in logs
    path, body = localstack.next_post()
    assert path == "/invocations/req-1/error"
    assert json.loads(body)["errorType"] == "Runtime.ExitError"
    init.invoke("req-2", {"action": "echo", "value": 2})
    localstack.next_post()
    assert json.loads(localstack.next_post()[1])["value"] == 2
