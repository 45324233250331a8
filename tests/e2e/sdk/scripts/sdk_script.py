"""Shared by the SDK workflow scripts, which run in an SDK venv's interpreter (standard library only here).

A script takes one argument, a JSON object of parameters, and prints one JSON object as the last line of its
standard output (the SDK prints job logs before it). Only ``AWS_ENDPOINT_URL``, the region and credentials in
its environment point it at the emulator; the SDK code itself is what a user would write for AWS.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from typing import Any

TERMINAL = ("Completed", "CompletedWithViolations", "Failed", "Stopped")


def parameters() -> dict[str, Any]:
    if len(sys.argv) != 2:
        raise SystemExit(f"usage: {sys.argv[0]} '<json parameters>'")
    return json.loads(sys.argv[1])


def emit(result: dict[str, Any]) -> None:
    sys.stdout.flush()
    print(json.dumps(result, default=str, sort_keys=True), flush=True)


def wait_for(condition: Callable[[], Any], timeout: float, what: str, interval: float = 1.0) -> Any:
    """Call *condition* until it returns something truthy; that value."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)


def wait_for_execution(session: Any, schedule: str, timeout: float = 120.0) -> dict[str, Any]:
    """The schedule's latest MonitoringExecutionSummary once it is finished (also one that failed before its job)."""

    def finished() -> dict[str, Any] | None:
        summaries = session.sagemaker_client.list_monitoring_executions(
            MonitoringScheduleName=schedule)["MonitoringExecutionSummaries"]
        latest = max(summaries, key=lambda s: s["ScheduledTime"], default=None)
        return latest if latest and latest["MonitoringExecutionStatus"] in TERMINAL else None

    return wait_for(finished, timeout, f"an execution of {schedule} to finish")


def violation_summary(violations: Any) -> list[list[str]] | None:
    """``[[feature or metric name, constraint_check_type], ...]`` of a ConstraintViolations object (None stays None).

    Data-quality violations name a ``feature_name``, model-quality ones a ``metric_name``.
    """
    if violations is None:
        return None
    return sorted([v.get("feature_name", v.get("metric_name")), v["constraint_check_type"]]
                  for v in violations.body_dict["violations"])
