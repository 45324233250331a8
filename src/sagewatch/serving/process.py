"""Run the model server as a host process and health-check it: what the emulator does per variant."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from sagewatch.errors import InvalidParameterError
from sagewatch.serving.errors import ServerStartError
from sagewatch.serving.settings import LOCAL_HOST

__all__ = ["find_free_port", "server_command", "spawn_server", "wait_until_ready"]


def find_free_port(host: str = LOCAL_HOST) -> int:
    """A TCP port that is free on *host* right now (another process may take it before you bind it).

    Examples
    --------
    >>> 0 < find_free_port() < 65536
    True
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def server_command(model: str | Path, port: int, *, host: str = LOCAL_HOST, workers: int = 1,
                   python: str | None = None, extra_args: Sequence[str] = ()) -> list[str]:
    """The argument list that runs ``python -m sagewatch.serving`` for *model*.

    A folder is passed as ``--model-dir``; anything else (``s3://``, ``file://``, a ``.tar.gz``) as
    ``--model-data``. ``-P`` keeps the working folder off ``sys.path``.

    Examples
    --------
    >>> server_command("s3://bucket/model.tar.gz", 8081, python="python")
    ['python', '-P', '-m', 'sagewatch.serving', '--model-data', 's3://bucket/model.tar.gz', '--port', '8081', \
'--host', '127.0.0.1', '--workers', '1']
    """
    if not 0 < port < 65536:
        raise InvalidParameterError(f"port must be between 1 and 65535, got {port} (see find_free_port)")
    source = str(model)
    option = "--model-dir" if "://" not in source and Path(source).is_dir() else "--model-data"
    return [python or sys.executable, "-P", "-m", "sagewatch.serving", option, source, "--port", str(port),
            "--host", host, "--workers", str(workers), *extra_args]


def spawn_server(model: str | Path, port: int, *, host: str = LOCAL_HOST, env: Mapping[str, str] | None = None,
                 inherit_env: bool = True, workers: int = 1, python: str | None = None,
                 extra_args: Sequence[str] = (), stdout: int | IO[Any] | None = None,
                 stderr: int | IO[Any] | None = None, cwd: str | Path | None = None) -> subprocess.Popen[bytes]:
    """Start ``python -m sagewatch.serving`` for one model as a host process.

    Parameters
    ----------
    model : str or Path
        A model folder, or the URI of ``model.tar.gz`` (``s3://``, ``file://`` or a local path).
    port : int
        The port to listen on (:func:`find_free_port` picks one).
    host : str
        The address to bind.
    env : mapping, optional
        Variables for the server: the model container's ``Environment`` (``SAGEMAKER_PROGRAM``,
        ``SAGEMAKER_SUBMIT_DIRECTORY``, ...) and ``AWS_ENDPOINT_URL`` for ``s3://`` artefacts.
    inherit_env : bool
        Start from this process's environment (True) or from *env* alone.
    workers : int
        Worker processes.
    python : str, optional
        The interpreter; this one by default.
    extra_args : sequence of str
        More command-line options (``--predict-method predict_proba``, ``--log-level DEBUG``).
    stdout, stderr
        As for :class:`subprocess.Popen`; the server logs to stderr.
    cwd : str or Path, optional
        Working folder of the process.

    Returns
    -------
    subprocess.Popen
        Stop it with ``terminate()`` (SIGTERM: a graceful stop) and ``wait()``.

    See Also
    --------
    wait_until_ready : wait for ``/ping`` to answer 200.
    """
    command = server_command(model, port, host=host, workers=workers, python=python, extra_args=extra_args)
    environment = dict(os.environ) if inherit_env else {}
    environment.update(env or {})
    environment.setdefault("PYTHONUNBUFFERED", "1")
    return subprocess.Popen(command, env=environment, stdout=stdout, stderr=stderr, cwd=cwd)  # noqa: S603


def _ping(host: str, port: int, timeout: float) -> int | None:
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.request("GET", "/ping")
        response = connection.getresponse()
        response.read()
        return response.status
    except (OSError, http.client.HTTPException):  # a server dying mid-answer is "not ready", not a crash
        return None
    finally:
        connection.close()


def wait_until_ready(port: int, timeout: float = 60.0, *, host: str = LOCAL_HOST,
                     process: subprocess.Popen[Any] | None = None, interval: float = 0.05) -> float:
    """Poll ``GET /ping`` until it answers 200; return the seconds waited.

    Parameters
    ----------
    port : int
    timeout : float
        Seconds to wait at most.
    host : str
    process : subprocess.Popen, optional
        The server process: when it exits first, the error says so (with its stderr when that is a pipe).
    interval : float
        Seconds between polls.

    Raises
    ------
    ServerStartError
        If the process exits or the timeout passes first.
    """
    started = time.monotonic()
    deadline = started + timeout
    while True:
        if process is not None and process.poll() is not None:
            detail = ""
            if process.stderr is not None and process.stderr.readable():
                output = process.stderr.read() or b""
                text = output.decode("utf-8", "replace") if isinstance(output, bytes) else str(output)
                detail = "\n" + "\n".join(text.strip().splitlines()[-20:]) if text.strip() else ""
            raise ServerStartError(
                f"The model server exited with status {process.returncode} before it was ready.{detail}")
        remaining = deadline - time.monotonic()
        if _ping(host, port, timeout=max(0.1, min(2.0, remaining))) == 200:
            return time.monotonic() - started
        if time.monotonic() >= deadline:
            raise ServerStartError(f"The model server on {host}:{port} was not ready within {timeout:g} s.")
        time.sleep(interval)
