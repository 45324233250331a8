"""LocalStack's ``hostprocess`` Lambda runtime executor: Python functions run as host processes.

Selected with ``LAMBDA_RUNTIME_EXECUTOR=hostprocess`` (the launcher's default); registered through the entry
point ``[project.entry-points."localstack.lambda.runtime_executor"] hostprocess = ...:HostProcessExecutorPlugin``
(``localstack-plugin.md`` §6).

Each LocalStack execution environment becomes one host process, ``python -P init.py`` (see
:mod:`sagewatch.localstack.lambda_host.init`), started in its own process group with

- the interpreter that runs LocalStack (``sys.executable``), whatever Python version the function's ``Runtime``
  names: every ``python3.x`` runtime runs on it, and a log line says so when the minor versions differ;
- the current working directory and ``LAMBDA_TASK_ROOT`` set to the function's unpacked code (LocalStack's
  code storage, ``function_version.config.code``), and ``PYTHONPATH`` listing the code, then each layer's
  ``python/lib/python3.X/site-packages`` and ``python/`` folders and its root, later layers first, so that a
  module in a later layer wins as it does when AWS extracts layers into ``/opt`` in order;
- the environment LocalStack hands to :meth:`HostProcessExecutor.start` (``AWS_LAMBDA_*``, the role's
  credentials, ``AWS_ENDPOINT_URL`` unless ``LAMBDA_DISABLE_AWS_ENDPOINT_URL``, ``_HANDLER``,
  ``LOCALSTACK_RUNTIME_ENDPOINT`` / ``LOCALSTACK_RUNTIME_ID``, the function's own variables), plus
  ``LOCALSTACK_INTEROP_PORT``, the host's ``PATH`` and a private ``TMPDIR``.

Functions this executor cannot run fail at invocation with an error object whose ``errorType`` is
``InvalidRuntimeException`` (AWS's code for an unsupported runtime) and whose message names the runtime:
non-Python runtimes and container-image (``PackageType: Image``) functions.

The process's own stdout and stderr (interpreter errors, output written straight to file descriptors 1 and 2)
go to a file that :meth:`HostProcessExecutor.get_logs` returns; the function's ``print`` output and log records
reach CloudWatch Logs through the init protocol.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, InvalidStateError
from pathlib import Path

from localstack import config
from localstack.aws.api.lambda_ import PackageType
from localstack.services.lambda_.invocation.executor_endpoint import ExecutorEndpoint, StatusErrorException
from localstack.services.lambda_.invocation.lambda_models import FunctionVersion, InvocationResult
from localstack.services.lambda_.invocation.plugins import RuntimeExecutorPlugin
from localstack.services.lambda_.invocation.runtime_executor import RuntimeExecutor
from localstack.utils.net import get_free_tcp_port

from sagewatch.localstack.lambda_host.contract import report_line
from sagewatch.localstack.lambda_host.init import RESTART_MARKER

LOG = logging.getLogger(__name__)

__all__ = ["HostProcessExecutor", "HostProcessExecutorPlugin", "PYTHON_RUNTIMES", "build_environment",
           "layer_python_path", "unsupported_reason"]

PYTHON_RUNTIMES = tuple(f"python3.{minor}" for minor in range(8, 15))
"""Runtimes this executor runs (python3.8 to python3.14, every Python runtime LocalStack 4.13.1 accepts)."""

UNSUPPORTED_ERROR_TYPE = "InvalidRuntimeException"
"""``errorType`` of the error an invocation of an unsupported function returns (AWS's error code)."""

HOST = "127.0.0.1"
"""The init listens on this address; functions reach LocalStack through it unless the gateway says otherwise."""

INIT_SCRIPT = Path(__file__).with_name("init.py")
STOP_GRACE_SECONDS = 2.0
LOG_TAIL_CHARS = 20_000


def _runtime_range() -> str:
    return f"{PYTHON_RUNTIMES[0]} to {PYTHON_RUNTIMES[-1]}"


def unsupported_reason(function_version: FunctionVersion) -> str | None:
    """Why this executor cannot run *function_version*, or None when it can.

    Parameters
    ----------
    function_version : FunctionVersion

    Returns
    -------
    str or None
        A message that names the function and its runtime (or its image) and says that only Python runtimes
        run as host processes.
    """
    cfg = function_version.config
    name = function_version.id.function_name
    if cfg.package_type == PackageType.Image:
        image = getattr(cfg.image, "image_uri", None) or "unknown image"
        return (f"Function {name} is a container image ({image}), which the hostprocess Lambda executor cannot "
                f"run: only Python runtimes ({_runtime_range()}) run as host processes, from a zip package.")
    if cfg.runtime not in PYTHON_RUNTIMES:
        return (f"Runtime {cfg.runtime} of function {name} is not supported by the hostprocess Lambda executor: "
                f"only Python runtimes ({_runtime_range()}) run as host processes.")
    return None


def layer_python_path(layer_roots: Sequence[str | os.PathLike[str]], runtime: str | None = None) -> list[str]:
    """``PYTHONPATH`` entries for unpacked layers, as AWS's ``/opt`` would resolve them.

    AWS extracts layers into ``/opt`` in layer order, so a file of a later layer replaces the same file of an
    earlier one; here each layer keeps its own folder, and later layers come first. For each layer the entries
    are ``python/lib/python3.X/site-packages`` (for the function's runtime and for the host interpreter, when
    they exist), ``python/`` and the layer root.

    Parameters
    ----------
    layer_roots : sequence of path-like
        Unpacked layer folders, in the function's layer order.
    runtime : str, optional
        The function's runtime, e.g. ``"python3.12"``.

    Returns
    -------
    list of str

    Examples
    --------
    >>> [p.replace(os.sep, "/") for p in layer_python_path(["/l/one", "/l/two"])]
    ['/l/two/python', '/l/two', '/l/one/python', '/l/one']
    """
    versions = [runtime] if runtime and runtime.startswith("python") else []
    host = f"python{sys.version_info.major}.{sys.version_info.minor}"
    if host not in versions:
        versions.append(host)
    entries: list[str] = []
    for root in reversed([Path(r) for r in layer_roots]):
        for version in versions:
            site_packages = root / "python" / "lib" / version / "site-packages"
            if site_packages.is_dir():
                entries.append(str(site_packages))
        entries += [str(root / "python"), str(root)]
    return entries


def build_environment(env_vars: Mapping[str, object], *, code_dir: str | os.PathLike[str],
                      layer_dirs: Sequence[str | os.PathLike[str]], runtime: str | None, interop_port: int,
                      tmp_dir: str | os.PathLike[str], host_environ: Mapping[str, str] | None = None,
                      ) -> dict[str, str]:
    """The environment of a function's host process.

    LocalStack's variables (values may be ints) are turned into strings; ``LAMBDA_TASK_ROOT`` points at the
    unpacked code; ``PYTHONPATH`` lists the code, then the layers (:func:`layer_python_path`), then any
    ``PYTHONPATH`` the function sets itself. ``PATH`` (the host's), ``LANG``, ``TMPDIR`` and empty AWS config
    files (so the developer's ``~/.aws`` is never read) are defaults the function's own variables override.

    Examples
    --------
    >>> env = build_environment({"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": 128, "_HANDLER": "index.handler"},
    ...                         code_dir="/code", layer_dirs=[], runtime="python3.12", interop_port=9000,
    ...                         tmp_dir="/t", host_environ={"PATH": "/usr/bin"})
    >>> env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"], env["LOCALSTACK_INTEROP_PORT"], env["PATH"]
    ('128', '9000', '/usr/bin')
    >>> env["LAMBDA_TASK_ROOT"] == env["PYTHONPATH"] == str(Path("/code"))
    True
    """
    host = os.environ if host_environ is None else host_environ
    env = {
        "PATH": host.get("PATH", os.defpath),
        "LANG": host.get("LANG") or "C.UTF-8",
        "TMPDIR": str(tmp_dir),
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    env.update({key: str(value) for key, value in env_vars.items() if value is not None})
    own_python_path = env.get("PYTHONPATH", "")
    entries = [str(Path(code_dir)), *layer_python_path(layer_dirs, runtime)]
    env["PYTHONPATH"] = os.pathsep.join(entries + ([own_python_path] if own_python_path else []))
    env["LAMBDA_TASK_ROOT"] = str(Path(code_dir))
    env["LOCALSTACK_INTEROP_PORT"] = str(interop_port)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _error_payload(error_type: str, message: str) -> bytes:
    return json.dumps({"errorMessage": message, "errorType": error_type, "stackTrace": []}).encode("utf-8")


def _gateway_host() -> str:
    """The gateway's address as a function process sees it (a wildcard bind is reached on loopback)."""
    host = config.GATEWAY_LISTEN[0].host if config.GATEWAY_LISTEN else HOST
    if host in ("", "0.0.0.0", "::", "localhost"):
        return HOST
    return f"[{host}]" if ":" in host else host


class HostProcessExecutor(RuntimeExecutor):
    """Runs one execution environment of a Python Lambda function as a host process.

    Parameters
    ----------
    id : str
        The execution environment's id (also ``LOCALSTACK_RUNTIME_ID``).
    function_version : FunctionVersion
    """

    def __init__(self, id: str, function_version: FunctionVersion) -> None:  # noqa: A002 - LocalStack's name
        super().__init__(id, function_version)
        self.port = get_free_tcp_port()
        self.endpoint = ExecutorEndpoint(id, container_address=HOST, container_port=self.port)
        self.process: subprocess.Popen[bytes] | None = None
        self._env: dict[str, str] | None = None
        self._workdir: Path | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._request_id = ""
        self._invoke_started = 0.0

    # --- RuntimeExecutor ---------------------------------------------------------------------------------

    def start(self, env_vars: dict[str, str]) -> None:
        reason = unsupported_reason(self.function_version)
        if reason is not None:
            raise StatusErrorException(reason, payload=_error_payload(UNSUPPORTED_ERROR_TYPE, reason))
        cfg = self.function_version.config
        self.endpoint.start()
        self._workdir = Path(tempfile.mkdtemp(prefix=f"sagewatch-lambda-{self.id[:8]}-"))
        (self._workdir / "tmp").mkdir()
        self._env = build_environment(
            env_vars,
            code_dir=cfg.code.get_unzipped_code_location(),
            layer_dirs=[layer.code.get_unzipped_code_location() for layer in cfg.layers],
            runtime=cfg.runtime,
            interop_port=self.port,
            tmp_dir=self._workdir / "tmp",
        )
        self._spawn(restarted=False)
        self.endpoint.wait_for_startup()

    def stop(self) -> None:
        self._stopping.set()
        process = self.process
        if process is not None and process.poll() is None:
            _kill_group(process, STOP_GRACE_SECONDS)
        try:
            self.endpoint.shutdown()
        except Exception as error:  # noqa: BLE001 - never started, or already shut down
            LOG.debug("Error while shutting down the executor endpoint of %s: %s", self.id, error)
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)

    def get_address(self) -> str:
        return HOST

    def get_endpoint_from_executor(self) -> str:
        return _gateway_host()

    def get_runtime_endpoint(self) -> str:
        return (f"http://{_gateway_host()}:{config.GATEWAY_LISTEN[0].port}"
                f"{self.endpoint.get_endpoint_prefix()}")

    def invoke(self, payload: dict[str, str]) -> InvocationResult:
        with self._lock:
            process = self.process
            if process is not None and process.poll() is not None and not self._stopping.is_set():
                LOG.info("Host process of Lambda environment %s exited (status %s); starting a new one",
                         self.id, process.returncode)
                self._spawn(restarted=True)
        self._request_id = str(payload.get("invoke-id", ""))
        self._invoke_started = time.perf_counter()
        return self.endpoint.invoke(payload)

    def get_logs(self) -> str:
        if self._workdir is None:
            return ""
        try:
            text = (self._workdir / "process.log").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return text[-LOG_TAIL_CHARS:]

    @classmethod
    def prepare_version(cls, function_version: FunctionVersion) -> None:
        reason = unsupported_reason(function_version)
        if reason is not None:
            LOG.warning("%s Its invocations will fail.", reason)
            return
        function_version.config.code.prepare_for_execution()
        for layer in function_version.config.layers:
            layer.code.prepare_for_execution()
        runtime = function_version.config.runtime
        host = f"python{sys.version_info.major}.{sys.version_info.minor}"
        if runtime != host:
            LOG.info("Lambda function %s declares runtime %s; the hostprocess executor runs it with the host "
                     "interpreter, Python %s (%s)", function_version.id.function_name, runtime,
                     sys.version.split()[0], sys.executable)

    @classmethod
    def cleanup_version(cls, function_version: FunctionVersion) -> None:
        """Nothing to do: the unpacked code belongs to LocalStack's code storage, which removes it."""

    @classmethod
    def validate_environment(cls) -> bool:
        if not INIT_SCRIPT.is_file():
            LOG.warning("The hostprocess Lambda executor cannot find its init program %s; reinstall sagewatch",
                        INIT_SCRIPT)
            return False
        return True

    # --- process handling ------------------------------------------------------------------------------------

    def _spawn(self, *, restarted: bool) -> None:
        assert self._env is not None and self._workdir is not None
        env = dict(self._env)
        if restarted:
            env[RESTART_MARKER] = "1"  # the init must not post ``ready`` again
        with open(self._workdir / "process.log", "ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our interpreter and our script
                [sys.executable, "-P", str(INIT_SCRIPT)],
                cwd=env["LAMBDA_TASK_ROOT"],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # own process group: stop() kills the handler's children too
                close_fds=True,
            )
        LOG.debug("Started host process %s for Lambda environment %s (%s) on port %s", self.process.pid, self.id,
                  self.function_version.qualified_arn, self.port)
        threading.Thread(target=self._watch, args=(self.process,), name=f"lambda-host-watch-{self.id[:8]}",
                         daemon=True).start()

    def _watch(self, process: subprocess.Popen[bytes]) -> None:
        """Turn an unexpected exit of the host process into a start-up or invocation error."""
        status = process.wait()
        if self._stopping.is_set() or process is not self.process:
            return
        reason = f"Runtime exited with error: exit status {status}" if status >= 0 else \
            f"Runtime exited with error: signal: {signal.Signals(-status).name}"
        message = f"RequestId: {self._request_id} Error: {reason}"
        payload = _error_payload("Runtime.ExitError", message)
        startup = self.endpoint.startup_future
        if startup is not None and not startup.done():
            LOG.warning("Host process of Lambda environment %s exited during start-up (status %s):\n%s",
                        self.id, status, self.get_logs()[-2000:])
            _settle(startup, exception=StatusErrorException("Environment startup failed", payload=payload))
            return
        invocation = self.endpoint.invocation_future
        if invocation is not None and not invocation.done():
            LOG.warning("Host process of Lambda environment %s exited during invocation %s (status %s)",
                        self.id, self._request_id, status)
            report = report_line(self._request_id, (time.perf_counter() - self._invoke_started) * 1000.0,
                                 self.function_version.config.memory_size, None, status="error",
                                 error_type="Runtime.ExitError")
            logs = (f"START RequestId: {self._request_id} Version: {self.function_version.id.qualifier}\n"
                    f"{message}\nRuntime.ExitError\nEND RequestId: {self._request_id}\n{report}\n")
            _settle(invocation, result=InvocationResult(self._request_id, payload, is_error=True,
                                                        logs=(self.endpoint.logs or "") + logs))


def _settle(future: Future, *, result: object = None, exception: BaseException | None = None) -> None:
    try:
        if exception is not None:
            future.set_exception(exception)
        else:
            future.set_result(result)
    except InvalidStateError:  # settled or cancelled meanwhile
        pass


def _kill_group(process: subprocess.Popen[bytes], grace: float) -> None:
    """SIGTERM the process group led by *process*, then SIGKILL it after *grace* seconds."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(process.pid, signal.SIGKILL)  # also any child the handler left behind in the group
    except ProcessLookupError:
        pass


class HostProcessExecutorPlugin(RuntimeExecutorPlugin):
    """The ``hostprocess`` plugin of ``localstack.lambda.runtime_executor``; ``load()`` returns the class."""

    name = "hostprocess"

    def load(self, *args, **kwargs) -> type[HostProcessExecutor]:
        return HostProcessExecutor
