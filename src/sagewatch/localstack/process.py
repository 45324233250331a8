"""Start, stop and inspect community LocalStack on the host, with the sagewatch plugin loaded.

LocalStack 4.13.1 runs here as a plain host process (``python -m localstack.runtime.main``), never in Docker.
The settings follow ``localstack-plugin.md`` §3: the gateway binds the loopback address only, all of
LocalStack's state lives under the state folder, and nothing reaches the network.

State folder layout (default ``.localstack/`` under the current working directory, or
``$SAGEWATCH_LOCALSTACK_DIR``)::

    instance.json     pid, process start time and port of the running instance
    localstack.pid    the pid alone, for shell scripts
    localstack.log    LocalStack's output (the previous run's log is kept as localstack.log.1)
    fs/               FILESYSTEM_ROOT: LocalStack's data, cache, tmp and logs folders
    cache/            XDG_CACHE_HOME of the runtime (plux's entry-point index), emptied at each start

The functions raise :class:`LauncherError` with a message meant for the user; the command line
(:mod:`sagewatch.localstack.launcher`) prints it and exits with status 1.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sagewatch.localstack.hostmode import (
    DEFAULT_HOST,
    DEFAULT_START_TIMEOUT,
    DEFAULT_STOP_GRACE,
    ENV_PORT,
    HEALTH_PATH,
    LOG_FILE,
    LOG_TAIL_LINES,
    PLUGIN_HEALTH_PATH,
    LauncherError,
    LauncherSettings,
    build_environment,
    http_get_json,
    is_port_free,
    require_localstack,
    resolve_settings,
    runtime_command,
)

__all__ = ["LauncherError", "LauncherSettings", "display_path", "down", "logs", "reset", "resolve_settings", "status",
           "up"]

# --- instance records -------------------------------------------------------------------------------------


def _read_instance(settings: LauncherSettings) -> dict[str, Any] | None:
    try:
        record = json.loads(settings.instance_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and isinstance(record.get("pid"), int) else None


def _write_instance(settings: LauncherSettings, pid: int, create_time: float) -> None:
    record = {"pid": pid, "create_time": create_time, "port": settings.port, "host": settings.host}
    settings.instance_file.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    settings.pid_file.write_text(f"{pid}\n", encoding="utf-8")


def _clear_instance(settings: LauncherSettings) -> None:
    for path in (settings.instance_file, settings.pid_file):
        path.unlink(missing_ok=True)


def _process_matches(record: Mapping[str, Any]) -> bool:
    """True if the recorded process still runs (same pid *and* start time, so a reused pid does not count)."""
    import psutil

    try:
        process = psutil.Process(record["pid"])
        if process.status() == psutil.STATUS_ZOMBIE:
            _reap(record["pid"])
            return False
        return abs(process.create_time() - float(record.get("create_time", 0.0))) < 0.05
    except (psutil.Error, TypeError, ValueError):
        return False


def _reap(pid: int) -> None:
    """Collect the exit status of *pid* if it is our child, so it does not linger as a zombie."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def _running_instance(settings: LauncherSettings) -> dict[str, Any] | None:
    """The record of our running instance; stale records are removed."""
    record = _read_instance(settings)
    if record is None:
        if settings.pid_file.exists():
            _clear_instance(settings)
        return None
    if not _process_matches(record):
        _clear_instance(settings)
        return None
    return record


def reset(port: int | None = None, state_dir: str | os.PathLike[str] | None = None,
          environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Forget everything the emulator of the state folder saved; refuse while it runs.

    Removes ``<state_dir>/fs`` (LocalStack's data folders and, below them, sagewatch's state: the saved SageMaker
    state, the kept model artefacts, the capture spool, the model-server logs) and ``$SAGEWATCH_STATE_DIR`` when
    that variable moves sagewatch's state elsewhere. Model servers and processing jobs a killed emulator left
    are stopped first. The launcher's own files (``localstack.log``, ``instance.json``) stay.

    Returns
    -------
    dict
        ``removed``: the folders removed (list of str); ``stopped``: processes of a killed emulator stopped.

    Raises
    ------
    LauncherError
        The emulator of this state folder is running: stop it first with ``sagewatch local down``.

    Examples
    --------
    >>> import tempfile
    >>> reset(state_dir=tempfile.mkdtemp(), environ={})
    {'removed': [], 'stopped': 0}
    """
    from sagewatch.localstack.runtime.servers import ServerRegistry

    settings = resolve_settings(port, state_dir)
    record = _running_instance(settings)
    if record is not None:
        raise LauncherError(
            f"LocalStack of {display_path(settings.state_dir)} is running (pid {record['pid']}); reset does not "
            "stop it. Stop it first with `sagewatch local down`, then run `sagewatch local reset` again.")
    env = os.environ if environ is None else environ
    folders = [settings.filesystem_root]
    if env.get("SAGEWATCH_STATE_DIR", "").strip():
        folders.append(Path(env["SAGEWATCH_STATE_DIR"].strip()).expanduser().absolute())
    stopped = 0
    for folder in folders:
        for registry in (*folder.rglob("servers"), *folder.rglob("job-processes")):
            if registry.is_dir():
                stopped += ServerRegistry(registry).stop_leftovers()
    removed = []
    for folder in folders:
        if folder.exists():
            shutil.rmtree(folder)
            removed.append(str(folder))
    return {"removed": removed, "stopped": stopped}


def _tail(path: Path, lines: int) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def display_path(path: Path) -> str:
    """*path* relative to the working directory when it lies below it (keeps messages short)."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _failure(message: str, settings: LauncherSettings) -> LauncherError:
    tail = _tail(settings.log_file, LOG_TAIL_LINES)
    detail = f"\n--- last lines of {display_path(settings.log_file)} ---\n{tail}" if tail else ""
    return LauncherError(message + detail)


# --- public API ---------------------------------------------------------------------------------------------


def status(port: int | None = None, state_dir: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Describe the LocalStack instance recorded in the state folder.

    Parameters
    ----------
    port : int, optional
        Port to report on when no instance runs (see :func:`resolve_settings`).
    state_dir : path-like, optional
        State folder (see :func:`resolve_settings`).

    Returns
    -------
    dict
        ``running`` (bool), ``healthy`` (the gateway answers ``/_localstack/health``), ``plugin`` (the
        sagewatch routes answer), ``pid`` (int or None), ``port``, ``endpoint``, ``state_dir``, ``log_file``,
        ``port_in_use`` (whether anything listens on the port), and when healthy ``version`` (LocalStack's)
        and ``sagewatch_version``.

    Examples
    --------
    >>> import tempfile
    >>> info = status(port=1, state_dir=tempfile.mkdtemp())
    >>> info["running"], info["pid"]
    (False, None)
    """
    settings = resolve_settings(port, state_dir)
    record = None
    if settings.instance_file.exists():
        require_localstack()
        record = _running_instance(settings)
    if record is not None:
        settings = LauncherSettings(port=int(record["port"]), state_dir=settings.state_dir,
                                    host=str(record.get("host", DEFAULT_HOST)))
    info: dict[str, Any] = {
        "running": record is not None,
        "healthy": False,
        "plugin": False,
        "pid": record["pid"] if record else None,
        "port": settings.port,
        "endpoint": settings.endpoint,
        "state_dir": str(settings.state_dir),
        "log_file": str(settings.log_file),
        "port_in_use": not is_port_free(settings.port, settings.host),
    }
    if record is not None:
        health = http_get_json(settings.endpoint + HEALTH_PATH)
        if health is not None:
            info["healthy"] = True
            info["version"] = health.get("version")
            plugin = http_get_json(settings.endpoint + PLUGIN_HEALTH_PATH)
            info["plugin"] = plugin is not None and plugin.get("status") == "ok"
            if plugin is not None:
                info["sagewatch_version"] = plugin.get("version")
    return info


def up(
    port: int | None = None,
    state_dir: str | os.PathLike[str] | None = None,
    timeout: float = DEFAULT_START_TIMEOUT,
) -> dict[str, Any]:
    """Start LocalStack in the background and wait until it answers; do nothing if it already runs.

    The runtime runs in its own process group (so :func:`down` can stop everything it spawned), writes
    its output to ``<state_dir>/localstack.log`` and records its pid in ``<state_dir>/localstack.pid``.

    Parameters
    ----------
    port : int, optional
        Gateway port (see :func:`resolve_settings`).
    state_dir : path-like, optional
        State folder (see :func:`resolve_settings`).
    timeout : float
        Seconds to wait for ``GET /_localstack/health``.

    Returns
    -------
    dict
        :func:`status` of the instance, plus ``already_running`` (bool) and ``startup_seconds`` (float,
        only when this call started it).

    Raises
    ------
    LauncherError
        LocalStack is not installed; the port is taken by something that is not this state folder's
        instance; an instance of this state folder runs on another port than the one explicitly asked for
        (argument or ``$SAGEWATCH_LOCALSTACK_PORT``); the process died during start-up;
        it did not answer within *timeout* (it is then stopped); or it answered without the sagewatch plugin.

    Examples
    --------
    >>> info = up(port=4599)  # doctest: +SKIP
    >>> info["endpoint"]  # doctest: +SKIP
    'http://127.0.0.1:4599'
    """
    if timeout <= 0:
        raise LauncherError(f"timeout must be positive, got {timeout!r}")
    require_localstack()
    settings = resolve_settings(port, state_dir)
    settings.state_dir.mkdir(parents=True, exist_ok=True)

    record = _running_instance(settings)
    if record is not None:
        port_requested = port is not None or bool(os.environ.get(ENV_PORT, "").strip())
        if not port_requested:  # no port asked for: the running instance is the one meant
            settings = LauncherSettings(port=int(record["port"]), state_dir=settings.state_dir, host=settings.host)
        if int(record["port"]) != settings.port:
            raise LauncherError(
                f"LocalStack of {display_path(settings.state_dir)} already runs on port {record['port']} "
                f"(pid {record['pid']}); stop it first with `sagewatch local down`, or use another --state-dir."
            )
        _wait_healthy(settings, record["pid"], timeout, started_here=False)
        return {**status(settings.port, settings.state_dir), "already_running": True}

    if not is_port_free(settings.port, settings.host):
        raise LauncherError(_port_taken_message(settings))

    started = time.monotonic()
    pid = _spawn(settings)
    _wait_healthy(settings, pid, timeout, started_here=True)
    elapsed = time.monotonic() - started
    info = status(settings.port, settings.state_dir)
    if not info["plugin"]:
        raise _failure(
            f"LocalStack answers on {settings.endpoint}, but the sagewatch plugin did not load "
            f"(GET {PLUGIN_HEALTH_PATH} failed). Reinstall the project so its entry points are registered: "
            "pip install -c constraints.txt -e '.[localstack]'; then run `sagewatch local down` and `up` again.",
            settings,
        )
    return {**info, "already_running": False, "startup_seconds": round(elapsed, 2)}


def down(
    port: int | None = None,
    state_dir: str | os.PathLike[str] | None = None,
    timeout: float = DEFAULT_STOP_GRACE,
) -> dict[str, Any]:
    """Stop the LocalStack instance of the state folder; do nothing if none runs.

    Sends SIGTERM to the instance's process group, waits up to *timeout* seconds, then sends SIGKILL.
    Only the recorded process (same pid and start time) and its group are signalled.

    Parameters
    ----------
    port : int, optional
        Ignored for stopping (the port is read from the instance record); accepted for symmetry with
        :func:`up`.
    state_dir : path-like, optional
        State folder (see :func:`resolve_settings`).
    timeout : float
        Grace period in seconds between SIGTERM and SIGKILL.

    Returns
    -------
    dict
        ``stopped`` (True if this call stopped an instance), ``pid``, ``killed`` (True if SIGKILL was needed).

    Examples
    --------
    >>> import tempfile
    >>> down(state_dir=tempfile.mkdtemp())
    {'stopped': False, 'pid': None, 'killed': False}
    """
    settings = resolve_settings(port, state_dir)
    if not settings.instance_file.exists() and not settings.pid_file.exists():
        return {"stopped": False, "pid": None, "killed": False}
    require_localstack()
    record = _running_instance(settings)
    if record is None:
        return {"stopped": False, "pid": None, "killed": False}
    pid = int(record["pid"])
    killed = _stop_group(pid, timeout)
    _clear_instance(settings)
    return {"stopped": True, "pid": pid, "killed": killed}


def logs(
    port: int | None = None,
    state_dir: str | os.PathLike[str] | None = None,
    lines: int | None = None,
) -> str:
    """Return LocalStack's log of the state folder (the last *lines* lines, or all of it).

    Parameters
    ----------
    port : int, optional
        Unused; accepted for symmetry with :func:`up`.
    state_dir : path-like, optional
        State folder (see :func:`resolve_settings`).
    lines : int, optional
        Number of lines from the end; all lines if None.

    Returns
    -------
    str
        The log text, or an empty string when there is no log yet.

    Examples
    --------
    >>> import tempfile
    >>> logs(state_dir=tempfile.mkdtemp())
    ''
    """
    settings = resolve_settings(port, state_dir)
    if lines is not None:
        return _tail(settings.log_file, lines)
    try:
        return settings.log_file.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


# --- internals ----------------------------------------------------------------------------------------------


def _port_taken_message(settings: LauncherSettings) -> str:
    health = http_get_json(settings.endpoint + HEALTH_PATH)
    if health is not None:
        plugin = http_get_json(settings.endpoint + PLUGIN_HEALTH_PATH)
        what = "a LocalStack" + (" with the sagewatch plugin" if plugin else " without the sagewatch plugin")
        return (
            f"Port {settings.port} is already used by {what} that was not started from "
            f"{display_path(settings.state_dir)}. Stop it (if you started it with another --state-dir, run "
            f"`sagewatch local down --state-dir <that folder>`), or choose another port with --port or "
            f"{ENV_PORT}."
        )
    return (
        f"Port {settings.port} on {settings.host} is already in use by another program (not a LocalStack "
        f"started from {display_path(settings.state_dir)}). Free the port or choose another one with --port or "
        f"{ENV_PORT}."
    )


def _spawn(settings: LauncherSettings) -> int:
    import psutil

    settings.filesystem_root.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(settings.cache_dir, ignore_errors=True)  # fresh plux entry-point index (see build_environment)
    settings.cache_dir.mkdir(parents=True)
    if settings.log_file.exists():
        settings.log_file.replace(settings.log_file.with_name(LOG_FILE + ".1"))
    with open(settings.log_file, "ab") as log:
        process = subprocess.Popen(  # noqa: S603 - fixed command, our own interpreter
            runtime_command(),
            cwd=settings.state_dir,
            env=build_environment(settings),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # own session and process group: down() signals the whole group
            close_fds=True,
        )
    try:
        create_time = psutil.Process(process.pid).create_time()
    except psutil.Error:
        create_time = 0.0  # already gone; _wait_healthy reports the log
    _write_instance(settings, process.pid, create_time)
    return process.pid


def _wait_healthy(settings: LauncherSettings, pid: int, timeout: float, *, started_here: bool) -> None:
    deadline = time.monotonic() + timeout
    record = _read_instance(settings)
    url = settings.endpoint + HEALTH_PATH
    while True:
        if record is None or not _process_matches(record):
            _reap(pid)
            _clear_instance(settings)
            raise _failure(f"LocalStack (pid {pid}) exited during start-up.", settings)
        if http_get_json(url, timeout=1.0) is not None:
            return
        if time.monotonic() >= deadline:
            break
        time.sleep(0.25)
    message = f"LocalStack did not answer GET {url} within {timeout:g} s"
    if started_here:
        _stop_group(pid, DEFAULT_STOP_GRACE)
        _clear_instance(settings)
        message += "; it was stopped. Retry with a longer --timeout if the machine is busy."
    else:
        message += f" (pid {pid} is still running; stop it with `sagewatch local down`)."
    raise _failure(message, settings)


def _stop_group(pid: int, grace: float) -> bool:
    """SIGTERM the process group led by *pid*, SIGKILL it after *grace* seconds; True if SIGKILL was sent."""
    import psutil

    try:
        pgid = os.getpgid(pid)
    except ProcessLookupError:
        return False
    if pgid != pid:
        # Not a group leader (should not happen with start_new_session): never signal someone else's group.
        pgid = None

    def signal_all(sig: signal.Signals) -> None:
        try:
            if pgid is not None:
                os.killpg(pgid, sig)
            else:
                os.kill(pid, sig)
        except ProcessLookupError:
            pass

    def group_alive() -> bool:
        _reap(pid)
        if pgid is None:
            return psutil.pid_exists(pid)
        for proc in psutil.process_iter(["pid"]):
            try:
                if os.getpgid(proc.info["pid"]) == pgid and proc.status() != psutil.STATUS_ZOMBIE:
                    return True
            except (ProcessLookupError, psutil.Error):
                continue
        return False

    signal_all(signal.SIGTERM)
    deadline = time.monotonic() + max(grace, 0.0)
    while time.monotonic() < deadline:
        if not group_alive():
            return False
        time.sleep(0.2)
    if not group_alive():
        return False
    signal_all(signal.SIGKILL)
    kill_deadline = time.monotonic() + 5.0
    while group_alive() and time.monotonic() < kill_deadline:
        time.sleep(0.1)
    return True
