"""``sagewatch local up|down|status|logs|reset|run-schedule``: the command line of the LocalStack launcher.

Process control (starting, stopping and inspecting the host process, its state folder and log) is
:mod:`sagewatch.localstack.process`; this module parses arguments, calls it and prints the outcome. ``up``,
``down``, ``status`` and ``logs`` are re-exported here for scripts that import the launcher.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sagewatch.localstack.hostmode import (
    DEFAULT_PORT,
    DEFAULT_START_TIMEOUT,
    DEFAULT_STATE_DIR,
    DEFAULT_STOP_GRACE,
    ENV_PORT,
    ENV_STATE_DIR,
    LauncherError,
    LauncherSettings,
    resolve_settings,
)
from sagewatch.localstack.process import display_path, down, logs, reset, status, up

__all__ = ["LauncherError", "LauncherSettings", "down", "logs", "main", "reset", "resolve_settings", "status",
           "up"]


# --- the command line ---------------------------------------------------------------------------------------------


def _build_parser(prog: str) -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--port", type=int, default=None,
                        help=f"gateway port (default: ${ENV_PORT} or {DEFAULT_PORT})")
    common.add_argument("--state-dir", default=None,
                        help=f"state folder for pid file, log and data (default: ${ENV_STATE_DIR} or "
                             f"./{DEFAULT_STATE_DIR})")
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Run community LocalStack with the sagewatch plugin as a host process (no Docker).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="{up,down,status,logs}")
    start = commands.add_parser("up", parents=[common], help="start LocalStack and wait until it answers")
    start.add_argument("--timeout", type=float, default=DEFAULT_START_TIMEOUT,
                       help=f"seconds to wait for the health check (default: {DEFAULT_START_TIMEOUT:g})")
    stop = commands.add_parser("down", parents=[common], help="stop LocalStack (SIGTERM, then SIGKILL)")
    stop.add_argument("--timeout", type=float, default=DEFAULT_STOP_GRACE,
                      help=f"seconds between SIGTERM and SIGKILL (default: {DEFAULT_STOP_GRACE:g})")
    state = commands.add_parser("status", parents=[common], help="say whether LocalStack runs and answers")
    state.add_argument("--json", action="store_true", help="print the status as JSON")
    show = commands.add_parser("logs", parents=[common], help="print LocalStack's log")
    show.add_argument("--lines", "-n", type=int, default=None, help="only the last N lines")
    show.add_argument("--follow", "-f", action="store_true", help="keep printing new lines (Ctrl-C stops)")
    commands.add_parser("reset", parents=[common],
                        help="forget the emulator's saved state (SageMaker resources, S3 copies, capture spool); "
                             "refuses while LocalStack runs")
    from sagewatch.localstack.sagemaker.monitoring.cli import add_parser as add_run_schedule_parser

    add_run_schedule_parser(commands, common)
    return parser


def _follow(settings: LauncherSettings, lines: int | None) -> None:
    text = logs(settings.port, settings.state_dir, lines=lines if lines is not None else 20)
    sys.stdout.write(text if not text or text.endswith("\n") else text + "\n")
    sys.stdout.flush()
    position = settings.log_file.stat().st_size if settings.log_file.exists() else 0
    while True:
        time.sleep(0.5)
        try:
            size = settings.log_file.stat().st_size
        except FileNotFoundError:
            continue
        if size < position:  # a new run replaced the log
            position = 0
        if size > position:
            with open(settings.log_file, "rb") as handle:
                handle.seek(position)
                sys.stdout.write(handle.read().decode("utf-8", errors="replace"))
                position = handle.tell()
            sys.stdout.flush()


def main(argv: Sequence[str] | None = None, prog: str = "sagewatch local") -> int:
    """Command line: ``sagewatch local up|down|status|logs``.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments after ``local``; ``sys.argv[1:]`` by default.
    prog : str
        Program name shown in help and usage.

    Returns
    -------
    int
        Exit status: 0 on success; 1 on a :class:`LauncherError`; for ``status``, 0 when the instance runs
        and answers with the plugin loaded, 3 otherwise.

    Examples
    --------
    >>> import tempfile
    >>> main(["status", "--port", "4599", "--state-dir", tempfile.mkdtemp()])  # doctest: +ELLIPSIS
    LocalStack is not running (state folder ...; port 4599 is ...).
    3
    """
    args = _build_parser(prog).parse_args(list(sys.argv[1:] if argv is None else argv))
    try:
        if args.command == "up":
            info = up(args.port, args.state_dir, timeout=args.timeout)
            if info["already_running"]:
                print(f"LocalStack is already running at {info['endpoint']} (pid {info['pid']}).")
            else:
                print(f"LocalStack is ready at {info['endpoint']} (pid {info['pid']}, started in "
                      f"{info['startup_seconds']:.1f} s; log: {display_path(Path(info['log_file']))}).")
        elif args.command == "down":
            result = down(args.port, args.state_dir, timeout=args.timeout)
            if result["stopped"]:
                how = " (killed after the grace period)" if result["killed"] else ""
                print(f"LocalStack stopped (pid {result['pid']}){how}.")
            else:
                print("LocalStack is not running; nothing to stop.")
        elif args.command == "reset":
            result = reset(args.port, args.state_dir)
            if result["removed"]:
                extra = f"; stopped {result['stopped']} process(es) a killed emulator left" if result["stopped"] else ""
                print("Emulator state cleared (removed " + ", ".join(display_path(Path(p)) for p in result["removed"])
                      + f"){extra}.")
            else:
                print("No emulator state to clear.")
        elif args.command == "run-schedule":
            from sagewatch.localstack.sagemaker.monitoring.cli import run as run_schedule

            return run_schedule(args)
        elif args.command == "status":
            info = status(args.port, args.state_dir)
            if args.json:
                print(json.dumps(info, indent=2))
            else:
                print(_describe(info))
            return 0 if info["running"] and info["healthy"] and info["plugin"] else 3
        else:
            settings = resolve_settings(args.port, args.state_dir)
            if args.follow:
                try:
                    _follow(settings, args.lines)
                except KeyboardInterrupt:
                    return 0
            else:
                text = logs(settings.port, settings.state_dir, lines=args.lines)
                sys.stdout.write(text if not text or text.endswith("\n") else text + "\n")
    except LauncherError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


def _describe(info: Mapping[str, Any]) -> str:
    where = display_path(Path(info["state_dir"]))
    if not info["running"]:
        port_note = "in use by another program" if info["port_in_use"] else "free"
        return f"LocalStack is not running (state folder {where}; port {info['port']} is {port_note})."
    if not info["healthy"]:
        return (f"LocalStack (pid {info['pid']}) is running but does not answer at {info['endpoint']} yet; "
                f"see {display_path(Path(info['log_file']))}.")
    plugin = (f"sagewatch plugin {info.get('sagewatch_version')} loaded" if info["plugin"]
              else "sagewatch plugin NOT loaded")
    return (f"LocalStack {info.get('version')} is running at {info['endpoint']} (pid {info['pid']}; {plugin}; "
            f"state folder {where}).")
