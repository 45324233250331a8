"""``sagewatch local run-schedule NAME [--scheduled-time T] [--wait]``: run a monitoring schedule's execution now.

It calls ``POST /_sagewatch/schedules/NAME/executions`` of the running LocalStack (see
:mod:`sagewatch.localstack.sagemaker.monitoring.scheduler`) and prints the execution summary as JSON. With ``--wait`` it
polls ``GET /_sagewatch/schedules/NAME/executions?ScheduledTime=T`` until the execution ends and prints the
final summary; the exit status is then 0 for ``Completed`` and ``CompletedWithViolations``, 1 otherwise.
This module imports nothing from LocalStack.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

__all__ = ["add_parser", "run"]

TERMINAL = ("Completed", "CompletedWithViolations", "Failed", "Stopped")
SUCCESS = ("Completed", "CompletedWithViolations")
DEFAULT_WAIT_TIMEOUT = 1800.0


class RunScheduleError(Exception):
    """The route could not be called or answered an error; the message is for the user."""


def add_parser(commands: Any, common: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the ``run-schedule`` subcommand to the launcher's subparsers."""
    parser = commands.add_parser(
        "run-schedule", parents=[common],
        help="run a monitoring schedule's execution now, for a chosen scheduled time",
        description="Run a monitoring schedule's execution now (POST /_sagewatch/schedules/NAME/executions) "
                    "instead of waiting for its scheduled time, and print the execution summary as JSON.")
    parser.add_argument("name", help="the monitoring schedule's name")
    parser.add_argument("--scheduled-time", metavar="T",
                        help="the scheduled time to run for, ISO-8601 UTC such as 2024-05-01T11:00:00Z "
                             "(default: the current hour); the analysed window follows from it")
    parser.add_argument("--wait", action="store_true",
                        help="wait until the execution ends; exit 0 for Completed/CompletedWithViolations, else 1")
    parser.add_argument("--wait-timeout", type=float, default=DEFAULT_WAIT_TIMEOUT, metavar="SECONDS",
                        help=f"give up waiting after this long (default: {DEFAULT_WAIT_TIMEOUT:g})")
    parser.add_argument("--region", default=None,
                        help="region of the schedule, when its name exists in several regions")
    parser.add_argument("--account-id", default=None,
                        help="account of the schedule, when its name exists in several accounts")
    parser.add_argument("--endpoint-url", default=None,
                        help="LocalStack's URL (default: the instance of --state-dir, else --port)")
    return parser


def _endpoint(args: argparse.Namespace) -> str:
    if args.endpoint_url:
        return args.endpoint_url.rstrip("/")
    from sagewatch.localstack.hostmode import resolve_settings

    settings = resolve_settings(args.port, args.state_dir)
    if args.port is None and not os.environ.get("SAGEWATCH_LOCALSTACK_PORT", "").strip():
        try:
            record = json.loads(settings.instance_file.read_text(encoding="utf-8"))
            return f"http://{record.get('host', settings.host)}:{int(record['port'])}"
        except (OSError, ValueError, KeyError, TypeError):
            pass
    return settings.endpoint


def _call(method: str, url: str, body: dict[str, Any] | None = None) -> Any:
    data = json.dumps(body).encode("utf-8") if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - the user's LocalStack URL
            return json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as error:
        try:
            detail = json.loads(error.read().decode("utf-8")).get("error", {})
            message = f"{detail.get('Code')}: {detail.get('Message')}"
        except (ValueError, AttributeError):
            message = f"HTTP {error.code}"
        if error.code == 404 and "ResourceNotFound" not in message:
            message += " (is the sagewatch plugin loaded in this LocalStack?)"
        raise RunScheduleError(message) from None
    except (OSError, ValueError) as error:
        raise RunScheduleError(f"LocalStack does not answer at {url}: {error}. Start it with `sagewatch local up`, "
                               "or pass --endpoint-url / --port.") from None


def run(args: argparse.Namespace) -> int:
    """Run the ``run-schedule`` subcommand; return the exit status."""
    base = f"{_endpoint(args)}/_sagewatch/schedules/{urllib.parse.quote(args.name, safe='')}/executions"
    body = {key: value for key, value in (("ScheduledTime", args.scheduled_time), ("Region", args.region),
                                          ("AccountId", args.account_id)) if value}
    try:
        summary = _call("POST", base, body)
        print(json.dumps(summary, indent=2))
        if not args.wait:
            return 1 if summary.get("MonitoringExecutionStatus") == "Failed" else 0
        query = {"ScheduledTime": summary["ScheduledTime"]}
        query.update({k: v for k, v in (("Region", args.region), ("AccountId", args.account_id)) if v})
        deadline = time.monotonic() + args.wait_timeout
        created = summary.get("CreationTime")
        while summary.get("MonitoringExecutionStatus") not in TERMINAL:
            if time.monotonic() > deadline:
                raise RunScheduleError(f"the execution is still {summary.get('MonitoringExecutionStatus')} after "
                                       f"{args.wait_timeout:g} s")
            time.sleep(1.0)
            listed = _call("GET", f"{base}?{urllib.parse.urlencode(query)}")["MonitoringExecutionSummaries"]
            summary = next((s for s in listed if s.get("CreationTime") == created), listed[0] if listed else summary)
        print(json.dumps(summary, indent=2))
        return 0 if summary.get("MonitoringExecutionStatus") in SUCCESS else 1
    except RunScheduleError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
