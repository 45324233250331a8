"""Host-mode settings for community LocalStack: ports, state folder and the runtime's environment.

LocalStack 4.13.1 runs here as a plain host process (``python -m localstack.runtime.main``), never in Docker.
The settings follow ``localstack-plugin.md`` §3: the gateway binds the loopback address only, all of
LocalStack's state lives under the state folder, and nothing reaches the network. This module only computes
settings and probes the port; :mod:`sagewatch.localstack.launcher` starts and stops the process.
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import sys
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sagewatch.errors import SagewatchError

DEFAULT_PORT = 4566
"""Port LocalStack listens on unless ``SAGEWATCH_LOCALSTACK_PORT`` or ``--port`` says otherwise."""

DEFAULT_HOST = "127.0.0.1"
"""The gateway binds this address only (loopback)."""

DEFAULT_STATE_DIR = ".localstack"
"""State folder, relative to the current working directory."""

DEFAULT_START_TIMEOUT = 120.0
"""Seconds :func:`up` waits for ``GET /_localstack/health`` to answer."""

DEFAULT_STOP_GRACE = 15.0
"""Seconds :func:`down` waits after SIGTERM before it sends SIGKILL."""

ENV_PORT = "SAGEWATCH_LOCALSTACK_PORT"
ENV_STATE_DIR = "SAGEWATCH_LOCALSTACK_DIR"

HEALTH_PATH = "/_localstack/health"
PLUGIN_HEALTH_PATH = "/_sagewatch/health"

INSTALL_HINT = (
    "LocalStack is not installed in this environment. Install sagewatch with its 'localstack' extra, "
    "using the project's pins: pip install -c constraints.txt -e '.[localstack]'"
)

LOG_FILE = "localstack.log"
PID_FILE = "localstack.pid"
INSTANCE_FILE = "instance.json"
FS_DIR = "fs"
CACHE_DIR = "cache"
LOG_TAIL_LINES = 40

# Settings that make LocalStack safe to run on a shared host; they always win over the caller's environment.
_HOST_MODE_SETTINGS = {
    "GATEWAY_SERVER": "hypercorn",  # the only gateway server that honours the bind host
    "OVERRIDE_IN_DOCKER": "0",  # CI sandboxes look like containers; never use the container folders
    "DNS_ADDRESS": "0",  # no DNS server on port 53
    "SKIP_SSL_CERT_DOWNLOAD": "1",  # no outbound calls
    "DISABLE_EVENTS": "1",  # no analytics
}

# Defaults the caller's environment may override.
_DEFAULT_SETTINGS = {
    "LAMBDA_RUNTIME_EXECUTOR": "hostprocess",  # sagewatch's host-process Lambda executor
}


class LauncherError(SagewatchError):
    """LocalStack cannot be started, stopped or inspected; the message says why and what to do."""


@dataclass(frozen=True)
class LauncherSettings:
    """Where and how one LocalStack instance runs.

    Parameters
    ----------
    port : int
        TCP port of the gateway, bound on :data:`DEFAULT_HOST` only.
    state_dir : Path
        Absolute path of the state folder (pid file, log, LocalStack's ``FILESYSTEM_ROOT``).
    host : str
        Address the gateway binds.

    Examples
    --------
    >>> settings = LauncherSettings(port=4599, state_dir=Path("/tmp/ls"))
    >>> settings.endpoint
    'http://127.0.0.1:4599'
    >>> settings.log_file.name
    'localstack.log'
    """

    port: int
    state_dir: Path
    host: str = DEFAULT_HOST

    @property
    def endpoint(self) -> str:
        """Base URL of the gateway."""
        return f"http://{self.host}:{self.port}"

    @property
    def log_file(self) -> Path:
        return self.state_dir / LOG_FILE

    @property
    def pid_file(self) -> Path:
        return self.state_dir / PID_FILE

    @property
    def instance_file(self) -> Path:
        return self.state_dir / INSTANCE_FILE

    @property
    def filesystem_root(self) -> Path:
        return self.state_dir / FS_DIR

    @property
    def cache_dir(self) -> Path:
        """``XDG_CACHE_HOME`` of the runtime; emptied at every start (see :func:`build_environment`)."""
        return self.state_dir / CACHE_DIR


def resolve_settings(
    port: int | None = None,
    state_dir: str | os.PathLike[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
) -> LauncherSettings:
    """Combine arguments, ``SAGEWATCH_LOCALSTACK_*`` variables and defaults into settings.

    Arguments win over the environment, which wins over the defaults (port 4566, ``./.localstack``).

    Parameters
    ----------
    port : int, optional
        Gateway port; otherwise ``$SAGEWATCH_LOCALSTACK_PORT``, otherwise 4566.
    state_dir : path-like, optional
        State folder; otherwise ``$SAGEWATCH_LOCALSTACK_DIR``, otherwise ``.localstack`` in the current
        working directory. Relative paths are made absolute against the current working directory.
    environ : mapping, optional
        Environment to read instead of ``os.environ``.

    Returns
    -------
    LauncherSettings

    Raises
    ------
    LauncherError
        If the port is not an integer between 1 and 65535.

    Examples
    --------
    >>> resolve_settings(environ={"SAGEWATCH_LOCALSTACK_PORT": "4599"}).port
    4599
    >>> resolve_settings(port=4600, environ={"SAGEWATCH_LOCALSTACK_PORT": "4599"}).port
    4600
    >>> resolve_settings(environ={}).state_dir == Path.cwd() / ".localstack"
    True
    """
    env = os.environ if environ is None else environ
    if port is None:
        raw = env.get(ENV_PORT, "").strip()
        if raw:
            try:
                port = int(raw)
            except ValueError:
                raise LauncherError(f"{ENV_PORT}={raw!r} is not a port number") from None
        else:
            port = DEFAULT_PORT
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise LauncherError(f"port must be an integer between 1 and 65535, got {port!r}")
    if state_dir is None:
        state_dir = env.get(ENV_STATE_DIR, "").strip() or DEFAULT_STATE_DIR
    return LauncherSettings(port=port, state_dir=Path(state_dir).expanduser().absolute())


def build_environment(settings: LauncherSettings, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """Return the environment LocalStack is started with.

    The host-mode settings of ``localstack-plugin.md`` §3 (gateway on the loopback address, hypercorn,
    ``OVERRIDE_IN_DOCKER=0``, state under ``<state_dir>/fs``, no DNS server, no outbound calls) always
    override *base*; ``LAMBDA_RUNTIME_EXECUTOR`` defaults to ``hostprocess`` unless *base* sets it.

    ``XDG_CACHE_HOME`` points at ``<state_dir>/cache``, which the launcher empties before each start: plux
    caches its entry-point index there and keys it on file times rounded to float32 (about two minutes at
    today's epoch), so a plugin entry point added shortly after the previous index was built would otherwise
    be missed.

    Parameters
    ----------
    settings : LauncherSettings
    base : mapping, optional
        Environment to start from; ``os.environ`` by default.

    Returns
    -------
    dict of str to str

    Examples
    --------
    >>> env = build_environment(LauncherSettings(port=4599, state_dir=Path("/srv/ls")), base={})
    >>> env["GATEWAY_LISTEN"], env["LOCALSTACK_HOST"], env["GATEWAY_SERVER"]
    ('127.0.0.1:4599', '127.0.0.1:4599', 'hypercorn')
    >>> env["FILESYSTEM_ROOT"] == str(Path("/srv/ls") / "fs")
    True
    """
    env = dict(os.environ if base is None else base)
    for key, value in _DEFAULT_SETTINGS.items():
        env.setdefault(key, value)
    listen = f"{settings.host}:{settings.port}"
    env.update(_HOST_MODE_SETTINGS)
    env.update(
        {
            "GATEWAY_LISTEN": listen,
            "LOCALSTACK_HOST": listen,
            "FILESYSTEM_ROOT": str(settings.filesystem_root),
            "XDG_CACHE_HOME": str(settings.cache_dir),
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def runtime_command() -> list[str]:
    """Return the command that runs the LocalStack runtime with this interpreter.

    ``-P`` keeps the working directory off ``sys.path``, so a folder named ``localstack`` there cannot
    shadow the real package.

    Examples
    --------
    >>> runtime_command()[1:]
    ['-P', '-m', 'localstack.runtime.main']
    """
    return [sys.executable, "-P", "-m", "localstack.runtime.main"]


def require_localstack() -> None:
    """Raise :class:`LauncherError` with the install command when LocalStack is not importable."""
    try:
        found = importlib.util.find_spec("localstack.runtime.main") is not None
    except ModuleNotFoundError:
        found = False
    if not found or importlib.util.find_spec("psutil") is None:
        raise LauncherError(INSTALL_HINT)


def is_port_free(port: int, host: str = DEFAULT_HOST) -> bool:
    """Return whether a server could bind *host*:*port* now.

    Parameters
    ----------
    port : int
    host : str

    Returns
    -------
    bool
        False when anything listens there (including a server bound on all addresses).

    Examples
    --------
    >>> import socket
    >>> with socket.socket() as s:
    ...     s.bind(("127.0.0.1", 0)); s.listen()
    ...     is_port_free(s.getsockname()[1])
    False
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # SO_REUSEADDR, as the gateway itself sets: sockets in TIME_WAIT from a previous run do not count.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def http_get_json(url: str, timeout: float = 2.0) -> dict[str, Any] | None:
    """GET *url* and return its JSON object, or None if nothing answers with HTTP 200 and JSON."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback URL we build
            if response.status != 200:
                return None
            payload = json.loads(response.read().decode("utf-8"))
    except (OSError, ValueError):
        return None
    return payload if isinstance(payload, dict) else None
