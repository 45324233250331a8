"""Model servers of the emulator: one ``python -m sagewatch.serving`` host process per production variant.

- :class:`ServedModel`: what a SageMaker model (``DescribeModel``) says about serving it;
- :class:`ModelServer`: spawn the server (:func:`sagewatch.serving.spawn_server`), wait for ``/ping``
  (:func:`sagewatch.serving.wait_until_ready`), send invocations over a pool of keep-alive connections, stop it;
- :class:`ServerRegistry`: a file per running server under the state folder, so the servers of an emulator that
  was killed (``kill -9``) are stopped when the next one starts.

Script-mode models (SageMaker SDK framework estimators) need nothing special: the container's
``Environment`` (``SAGEMAKER_PROGRAM``, ``SAGEMAKER_SUBMIT_DIRECTORY`` = ``s3://.../sourcedir.tar.gz``) is
the server's environment, and the server fetches the source through LocalStack's S3.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from sagewatch.serving import ServerStartError, find_free_port, spawn_server, wait_until_ready
from sagewatch.serving.settings import LOCAL_HOST

__all__ = ["ConnectionPool", "ModelResponse", "ModelServer", "ServedModel", "ServerRegistry",
           "ServerUnavailableError", "failure_text"]

LOG = logging.getLogger(__name__)

CUSTOM_ATTRIBUTES_HEADER = "X-Amzn-SageMaker-Custom-Attributes"

# Variables of LocalStack's own environment handed on to model servers; everything else stays behind.
_INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "SYSTEMROOT", "VIRTUAL_ENV", "PYTHONPATH")


class ServerUnavailableError(OSError):
    """The model server did not answer (not running, connection refused, timed out)."""


@dataclass(frozen=True)
class ServedModel:
    """The serving-relevant part of a SageMaker model (its single container).

    Examples
    --------
    >>> model = ServedModel.from_description({"ModelName": "m", "PrimaryContainer": {
    ...     "Image": "sagewatch-serving", "ModelDataUrl": "s3://b/model.tar.gz",
    ...     "Environment": {"SAGEMAKER_PROGRAM": "inference.py"}}})
    >>> model.model_data_url, dict(model.environment)
    ('s3://b/model.tar.gz', {'SAGEMAKER_PROGRAM': 'inference.py'})
    """

    model_name: str
    image: str
    model_data_url: str | None
    environment: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_description(cls, model: Mapping[str, Any]) -> ServedModel:
        """Read a ``DescribeModel`` answer (or a ``CreateModel`` request).

        Raises
        ------
        ValueError
            If the model has no container, or several (an inference pipeline, which sagewatch cannot serve).
        """
        name = str(model.get("ModelName", ""))
        containers = [model["PrimaryContainer"]] if model.get("PrimaryContainer") else list(model.get("Containers")
                                                                                              or [])
        if not containers:
            raise ValueError(f"Model {name} has no container.")
        if len(containers) > 1:
            raise ValueError(f"Model {name} is an inference pipeline of {len(containers)} containers; sagewatch "
                             "serves single-container models only.")
        container = containers[0]
        url = container.get("ModelDataUrl")
        source = (container.get("ModelDataSource") or {}).get("S3DataSource") or {}
        if not url and source.get("S3Uri"):
            if source.get("CompressionType", "None") != "Gzip":
                raise ValueError(f"Model {name} uses uncompressed model data (ModelDataSource with CompressionType "
                                 "None), which sagewatch does not serve; give ModelDataUrl of a model.tar.gz.")
            url = source["S3Uri"]
        environment = {str(k): str(v) for k, v in (container.get("Environment") or {}).items()}
        return cls(model_name=name, image=str(container.get("Image", "")), model_data_url=url or None,
                   environment=environment)


class ModelResponse(NamedTuple):
    """What the model server answered."""

    status: int
    body: bytes
    content_type: str | None
    custom_attributes: str | None


class ConnectionPool:
    """Keep-alive HTTP connections to one model server, reused across invocations.

    A connection the server closed while idle is detected on its next use and the request is sent again on a
    fresh connection (the server had not read it).
    """

    def __init__(self, host: str, port: int, timeout: float, max_idle: int = 64) -> None:
        self.host = host
        self.port = port
        self.timeout = timeout
        self.max_idle = max_idle
        self._idle: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()
        self._closed = False

    def _take(self) -> http.client.HTTPConnection | None:
        with self._lock:
            return self._idle.pop() if self._idle else None

    def _give(self, connection: http.client.HTTPConnection) -> None:
        with self._lock:
            if not self._closed and len(self._idle) < self.max_idle:
                self._idle.append(connection)
                return
        connection.close()

    def request(self, method: str, path: str, body: bytes, headers: Mapping[str, str]) -> tuple[
            int, http.client.HTTPMessage, bytes]:
        """Send one request; ``(status, headers, body)``. Raises :class:`ServerUnavailableError`."""
        connection = self._take()
        reused = connection is not None
        while True:
            if connection is None:
                connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                connection.request(method, path, body=body, headers=dict(headers))
                response = connection.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError,
                    http.client.BadStatusLine) as error:
                connection.close()
                if reused:  # an idle connection the server had closed: try once on a fresh one
                    connection, reused = None, False
                    continue
                raise ServerUnavailableError(f"the model server closed the connection: {error}") from error
            except (OSError, http.client.HTTPException) as error:
                connection.close()
                raise ServerUnavailableError(str(error) or type(error).__name__) from error
            if response.will_close:
                connection.close()
            else:
                self._give(connection)
            return response.status, response.headers, data

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()


class ServerRegistry:
    """One JSON file per running model server (pid and start time), to stop servers a killed emulator left.

    Examples
    --------
    >>> import tempfile
    >>> registry = ServerRegistry(Path(tempfile.mkdtemp()))
    >>> registry.stop_leftovers()
    0
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def add(self, pid: int, label: str) -> None:
        import psutil

        self.directory.mkdir(parents=True, exist_ok=True)
        try:
            created = psutil.Process(pid).create_time()
        except psutil.Error:
            return
        (self.directory / f"{pid}.json").write_text(json.dumps({"pid": pid, "create_time": created,
                                                                "label": label}), encoding="utf-8")

    def remove(self, pid: int) -> None:
        (self.directory / f"{pid}.json").unlink(missing_ok=True)

    def stop_leftovers(self) -> int:
        """Stop every recorded server that still runs (same pid *and* start time); the number stopped."""
        import psutil

        if not self.directory.is_dir():
            return 0
        stopped = 0
        for path in self.directory.glob("*.json"):
            try:
                record = json.loads(path.read_text(encoding="utf-8"))
                process = psutil.Process(int(record["pid"]))
                if abs(process.create_time() - float(record["create_time"])) < 0.05:
                    family = [*process.children(recursive=True), process]
                    for member in family:
                        member.kill()
                    psutil.wait_procs(family, timeout=5)
                    stopped += 1
                    LOG.info("sagewatch: stopped model server %s left by a previous run (%s)", record["pid"],
                             record.get("label"))
            except (OSError, ValueError, KeyError, psutil.Error):
                pass
            path.unlink(missing_ok=True)
        return stopped


def _kill_orphans(process: subprocess.Popen[bytes]) -> int:
    """Kill the worker processes a killed server left (forked, so with its command line, ``--port`` included,
    and now children of init); the number killed."""
    import psutil

    command = [str(word) for word in process.args] if isinstance(process.args, (list, tuple)) else None
    if not command:
        return 0
    orphans = []
    for candidate in psutil.process_iter(["cmdline"]):
        if candidate.info.get("cmdline") == command and candidate.pid != process.pid:
            orphans.append(candidate)
    for orphan in orphans:
        try:
            orphan.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(orphans, timeout=5)
    return len(orphans)


def failure_text(log_text: str, limit: int = 900) -> str:
    """The reason a model server gave for failing, from its log: its ERROR lines, else its last lines.

    Examples
    --------
    >>> failure_text("2024-01-01 INFO [1] x: start\\n2024-01-01 ERROR [1] sagewatch.serving.run: "
    ...              "The model cannot be served: boom\\n")
    'The model cannot be served: boom'
    """
    lines = [line.rstrip() for line in log_text.splitlines() if line.strip()]
    errors = [line.split(": ", 1)[1] if ": " in line else line for line in lines if " ERROR [" in line]
    text = "; ".join(errors[-2:]) if errors else " | ".join(lines[-5:])
    return text[-limit:] if len(text) > limit else text


class ModelServer:
    """One model server process for one production variant.

    Parameters
    ----------
    model : ServedModel
    label : str
        Names the server in logs and in the registry (``<endpoint>/<variant>``).
    workdir : Path
        Working folder of the process (its ``TMPDIR``: the fetched model lives below it).
    log_file : Path
        The server's output.
    environment : mapping
        What the server needs besides the model's own ``Environment`` (endpoint URL, credentials, region).
    workers : int
        Worker processes of the server.
    invocation_timeout : float
        Seconds to wait for one answer.
    registry : ServerRegistry, optional
    """

    def __init__(self, model: ServedModel, *, label: str, workdir: Path, log_file: Path,
                 environment: Mapping[str, str], workers: int = 1, invocation_timeout: float = 60.0,
                 registry: ServerRegistry | None = None) -> None:
        self.model = model
        self.label = label
        self.workdir = workdir
        self.log_file = log_file
        self._environment = dict(environment)
        self.workers = workers
        self.invocation_timeout = invocation_timeout
        self._registry = registry
        self.process: subprocess.Popen[bytes] | None = None
        self.port: int | None = None
        self._pool: ConnectionPool | None = None
        self._stopped = False
        self._lifecycle = threading.Lock()
        self.restarts = 0

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def ready(self) -> bool:
        """Whether the server takes invocations now (started, answered ``/ping``, still running)."""
        return self._pool is not None and self.alive

    @property
    def crashed(self) -> bool:
        """Whether the server process ended without :meth:`stop` (killed, crashed, exited on its own)."""
        return not self._stopped and self.process is not None and self.process.poll() is not None

    @property
    def exit_code(self) -> int | None:
        """The ended process' return code (negative: the signal that ended it); None while it runs."""
        return self.process.poll() if self.process is not None else None

    def restart(self, timeout: float) -> float:
        """Replace a server process that ended with a new one and wait until it answers ``/ping``; the seconds
        it took. Does nothing (returns 0) once :meth:`stop` was called.

        Raises
        ------
        ServerStartError
            As :meth:`start`.
        """
        with self._lifecycle:
            if self._stopped:
                return 0.0
            pool, self._pool = self._pool, None
            if pool is not None:
                pool.close()
            old = self.process
            if old is not None:
                if old.poll() is None:
                    old.kill()
                old.wait()
                _kill_orphans(old)
                if self._registry is not None:
                    self._registry.remove(old.pid)
            self.restarts += 1
            return self.start(timeout)

    def _server_environment(self) -> dict[str, str]:
        env = {key: os.environ[key] for key in _INHERITED if key in os.environ}
        tmp = self.workdir / "tmp"
        tmp.mkdir(parents=True, exist_ok=True)
        env.update(self._environment)
        env["TMPDIR"] = str(tmp)
        env.update(self.model.environment)
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def start(self, timeout: float) -> float:
        """Start the server and wait until ``/ping`` answers 200; the seconds it took.

        Raises
        ------
        ServerStartError
            With the server's own error text when it exits or does not get ready in time.
        """
        started = time.monotonic()
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        source: str | Path = self.model.model_data_url or (self.workdir / "model")
        for attempt in range(3):
            if not self.model.model_data_url:
                Path(source).mkdir(parents=True, exist_ok=True)  # a model of code only: an empty model folder
            env = self._server_environment()  # (re)creates the working folder, which stop() removes
            port = find_free_port(LOCAL_HOST)
            offset = self.log_file.stat().st_size if self.log_file.exists() else 0
            with open(self.log_file, "ab") as log:
                process = spawn_server(source, port, env=env, inherit_env=False, workers=self.workers,
                                       stdout=log, stderr=log, cwd=self.workdir)
            self.process, self.port = process, port
            if self._registry is not None:
                self._registry.add(process.pid, self.label)
            remaining = max(1.0, timeout - (time.monotonic() - started))
            try:
                wait_until_ready(port, remaining, process=process)
            except ServerStartError as error:
                text = self._log_since(offset)
                self._stop_process(5.0)
                if "Cannot listen" in text and attempt < 2:  # another program took the port first
                    continue
                reason = failure_text(text) or str(error)
                if process.returncode is None:
                    reason = f"{error} {reason}".strip()
                raise ServerStartError(reason) from error
            self._pool = ConnectionPool(LOCAL_HOST, port, self.invocation_timeout)
            return time.monotonic() - started
        raise ServerStartError("no free port for the model server")  # not reached: the loop raises or returns

    def _log_since(self, offset: int) -> str:
        try:
            with open(self.log_file, "rb") as log:
                log.seek(offset)
                return log.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def invoke(self, body: bytes, content_type: str | None, accept: str | None,
               custom_attributes: str | None = None) -> ModelResponse:
        """Send ``POST /invocations``; raises :class:`ServerUnavailableError` when the server does not answer."""
        pool = self._pool
        if pool is None:
            raise ServerUnavailableError("the model server is not running")
        headers = {"Content-Length": str(len(body))}
        if content_type:
            headers["Content-Type"] = content_type
        if accept:
            headers["Accept"] = accept
        if custom_attributes is not None:
            headers[CUSTOM_ATTRIBUTES_HEADER] = custom_attributes
        status, response_headers, data = pool.request("POST", "/invocations", body, headers)
        return ModelResponse(status, data, response_headers.get("Content-Type"),
                             response_headers.get(CUSTOM_ATTRIBUTES_HEADER))

    def stop(self, grace: float = 5.0) -> None:
        """Stop the server (SIGTERM, then SIGKILL after *grace* seconds); idempotent. It is not restarted after."""
        self._stopped = True
        with self._lifecycle:  # a restart under way finishes first, then its new process is stopped here
            self._stop_process(grace)

    def _stop_process(self, grace: float) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()
        process = self.process
        if process is None:
            return
        if process.poll() is None:
            try:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            except ProcessLookupError:
                pass
        if self._registry is not None:
            self._registry.remove(process.pid)
        shutil.rmtree(self.workdir, ignore_errors=True)
