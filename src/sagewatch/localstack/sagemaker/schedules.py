"""The scheduler of monitoring schedules, and running a schedule's execution now.

**Scheduler.** A daemon thread wakes every second: it moves ``Pending`` schedules to ``Scheduled`` (starting the
single execution of a ``NOW`` schedule), and for every ``Scheduled`` cron schedule starts the execution of the
latest scheduled time once ``SAGEWATCH_SCHEDULE_START_DELAY_SECONDS`` (default 60) have passed since it, as
SageMaker starts executions shortly after the hour. Only times after the schedule's creation count, each time
runs once, and hours missed while LocalStack was down are not caught up.

**Run now (for laptops).** Waiting for the next hour is slow on a laptop, so sagewatch can run a schedule's
execution immediately, for any scheduled time::

    POST /_sagewatch/schedules/{name}/executions
    {"ScheduledTime": "2024-05-01T11:00:00Z"}          # optional; default: the current hour (UTC)
    # optional: "Region": "us-east-1", "AccountId": "000000000000" when the name exists in several places

answers ``200`` with the execution's MonitoringExecutionSummary (times as ``YYYY-MM-DDTHH:MM:SSZ``, plus
``ProcessingJobName`` once known); it starts ``Pending`` and shows up in ``ListMonitoringExecutions`` like a
scheduled one. The window is computed from that ScheduledTime exactly as for a scheduled execution (an hourly
schedule run for 11:00 analyses 10:00–11:00). Errors: ``404`` unknown schedule, ``400`` bad time or ambiguous
name, ``409`` an execution for that time is still running; the body is ``{"error": {"Code", "Message"}}``.
``GET /_sagewatch/schedules/{name}/executions[?ScheduledTime=...]`` lists the schedule's executions, newest first.

From the command line (calls the route; ``--wait`` polls until the execution ends, exit status 0 for
``Completed`` and ``CompletedWithViolations``, 1 otherwise)::

    sagewatch local run-schedule my-schedule
    sagewatch local run-schedule my-schedule --scheduled-time 2024-05-01T11:00:00Z --wait
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from localstack.http import Request, Response

from sagewatch.localstack.sagemaker.monitoring import MonitoringExecution, MonitoringService
from sagewatch.localstack.sagemaker.monitoring_common import floor_hour, jsonable, parse_iso, to_utc, utcnow
from sagewatch.localstack.sagemaker.processing_settings import ProcessingSettings

__all__ = ["EXECUTIONS_ROUTE", "RouteError", "Scheduler", "execution_payload", "run_now", "schedule_executions",
           "schedule_routes"]

LOG = logging.getLogger(__name__)

EXECUTIONS_ROUTE = "/_sagewatch/schedules/<name>/executions"


class Scheduler:
    """Starts executions at their scheduled times; :meth:`tick` does one pass (tests call it directly)."""

    def __init__(self, monitoring: MonitoringService, settings: ProcessingSettings,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.monitoring, self.settings, self.clock = monitoring, settings, clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def ensure_started(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._stop.clear()
                self._thread = threading.Thread(target=self._loop, name="sagewatch-scheduler", daemon=True)
                self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        while not self._stop.wait(self.settings.scheduler_tick):
            try:
                self.tick()
            except Exception:  # noqa: BLE001 - the scheduler must keep running
                LOG.exception("sagewatch: scheduler pass failed")

    def tick(self, now: datetime | None = None) -> list[MonitoringExecution]:
        """Activate pending schedules and start due executions; return the executions started."""
        now = to_utc(now or self.clock())
        started = []
        latest_due = now - timedelta(seconds=self.settings.schedule_start_delay)
        for schedule in self.monitoring.all_schedules():
            with self.monitoring.lock:
                status, expression = schedule.status, schedule.expression
                created, times = schedule.creation_time, set(schedule.scheduled_times)
            if status == "Pending":
                self.monitoring.set_status(schedule, "Scheduled")
                if expression.is_now and not times:
                    started.append(self.monitoring.start_execution(schedule, now.replace(microsecond=0)))
            elif status == "Scheduled" and not expression.is_now:
                due = expression.latest_fire_time(latest_due)
                if due is not None and due >= created and due not in times:
                    started.append(self.monitoring.start_execution(schedule, due))
        return started


class RouteError(Exception):
    """An error of the ``/_sagewatch/schedules`` routes: HTTP status, AWS-style code and message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def response(self) -> Response:
        return Response.for_json({"error": {"Code": self.code, "Message": self.message}}, status=self.status)


def _schedule(monitoring: MonitoringService, name: str, account_id: str | None, region: str | None) -> Any:
    candidates = [s for s in monitoring.find_by_name(name)
                  if account_id in (None, s.account_id) and region in (None, s.region)]
    if not candidates:
        where = " in " + "/".join(x for x in (account_id, region) if x) if account_id or region else ""
        raise RouteError(404, "ResourceNotFound", f"Monitoring schedule {name} does not exist{where}.")
    if len(candidates) > 1:
        places = ", ".join(f"{s.account_id}/{s.region}" for s in candidates)
        raise RouteError(400, "ValidationException", f"Monitoring schedule {name} exists in several accounts or "
                                                     f"regions ({places}); pass AccountId and Region.")
    return candidates[0]


def run_now(monitoring: MonitoringService, name: str, scheduled_time: datetime | None = None,
            account_id: str | None = None, region: str | None = None) -> MonitoringExecution:
    """Start the execution of schedule *name* for *scheduled_time* (default: the current hour) now.

    Raises
    ------
    RouteError
        404 for an unknown schedule, 400 when the name is ambiguous, 409 when an execution for that time runs.
    """
    schedule = _schedule(monitoring, name, account_id, region)
    scheduled = to_utc(scheduled_time) if scheduled_time is not None else floor_hour(monitoring.clock())
    for execution in monitoring.executions(schedule.account_id, schedule.region):
        if execution.schedule_name == name and execution.scheduled_time == scheduled and not execution.finished:
            raise RouteError(409, "ResourceInUse", f"An execution of {name} for {scheduled:%Y-%m-%dT%H:%M:%SZ} is "
                                                   f"still {execution.status}; wait for it to end.")
    return monitoring.start_execution(schedule, scheduled)


def execution_payload(execution: MonitoringExecution) -> dict[str, Any]:
    """The JSON answer of the routes: the execution summary, plus ``ProcessingJobName`` once known."""
    payload = jsonable(execution.summary())
    if execution.processing_job_name:
        payload["ProcessingJobName"] = execution.processing_job_name
    return payload


def _time(value: Any, field: str) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        return parse_iso(str(value))
    except ValueError:
        raise RouteError(400, "ValidationException", f"{field} {value!r} is not an ISO-8601 time such as "
                                                     "2024-05-01T11:00:00Z.") from None


def schedule_executions(request: Request, name: str) -> Response:
    """``POST`` (run now) and ``GET`` (list) ``/_sagewatch/schedules/<name>/executions``."""
    from sagewatch.localstack.sagemaker.monitoring_plane import get_plane

    monitoring = get_plane().monitoring
    try:
        if request.method == "POST":
            body = request.get_json(force=True, silent=True) if request.data else {}
            if not isinstance(body, dict):
                raise RouteError(400, "ValidationException", "The body must be a JSON object such as "
                                                             '{"ScheduledTime": "2024-05-01T11:00:00Z"}.')
            execution = run_now(monitoring, name, _time(body.get("ScheduledTime"), "ScheduledTime"),
                                body.get("AccountId"), body.get("Region"))
            return Response.for_json(execution_payload(execution))
        schedule = _schedule(monitoring, name, request.args.get("AccountId"), request.args.get("Region"))
        wanted = _time(request.args.get("ScheduledTime"), "ScheduledTime")
        with monitoring.lock:
            mine = [e for e in monitoring.executions(schedule.account_id, schedule.region)
                    if e.schedule_name == name and wanted in (None, e.scheduled_time)]
            mine.sort(key=lambda e: e.creation_time, reverse=True)
            payload = [execution_payload(e) for e in mine]
        return Response.for_json({"MonitoringExecutionSummaries": payload})
    except RouteError as error:
        return error.response()


def schedule_routes() -> list[tuple[str, Any, list[str]]]:
    """The routes this module adds to ``/_sagewatch`` (see :func:`sagewatch.localstack.routes.route_table`)."""
    return [(EXECUTIONS_ROUTE, schedule_executions, ["GET", "POST"])]
