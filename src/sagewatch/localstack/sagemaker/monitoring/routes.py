"""**Run now (for laptops).** Waiting for the next hour is slow on a laptop, so sagewatch can run a schedule's
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

from datetime import datetime
from typing import Any

from localstack.http import Request, Response

from sagewatch.localstack.errors import ResourceInUse, ResourceNotFound, ValidationException, error_response
from sagewatch.localstack.sagemaker.common import floor_hour, jsonable, parse_iso, to_utc
from sagewatch.localstack.sagemaker.monitoring.schedules import MonitoringExecution, MonitoringService
from sagewatch.localstack.sagemaker.plane import get_plane

__all__ = ["EXECUTIONS_ROUTE", "execution_payload", "run_now", "schedule_executions", "schedule_routes"]

EXECUTIONS_ROUTE = "/_sagewatch/schedules/<name>/executions"


def _schedule(monitoring: MonitoringService, name: str, account_id: str | None, region: str | None) -> Any:
    candidates = [s for s in monitoring.find_by_name(name)
                  if account_id in (None, s.account_id) and region in (None, s.region)]
    if not candidates:
        where = " in " + "/".join(x for x in (account_id, region) if x) if account_id or region else ""
        raise ResourceNotFound(f"Monitoring schedule {name} does not exist{where}.", status_code=404)
    if len(candidates) > 1:
        places = ", ".join(f"{s.account_id}/{s.region}" for s in candidates)
        raise ValidationException(f"Monitoring schedule {name} exists in several accounts or regions ({places}); "
                                  "pass AccountId and Region.")
    return candidates[0]


def run_now(monitoring: MonitoringService, name: str, scheduled_time: datetime | None = None,
            account_id: str | None = None, region: str | None = None) -> MonitoringExecution:
    """Start the execution of schedule *name* for *scheduled_time* (default: the current hour) now.

    Raises
    ------
    ResourceNotFound, ValidationException, ResourceInUse
        404 for an unknown schedule, 400 when the name is ambiguous, 409 when an execution for that time runs.
    """
    schedule = _schedule(monitoring, name, account_id, region)
    scheduled = to_utc(scheduled_time) if scheduled_time is not None else floor_hour(monitoring.clock())
    for execution in monitoring.executions(schedule.account_id, schedule.region):
        if execution.schedule_name == name and execution.scheduled_time == scheduled and not execution.finished:
            raise ResourceInUse(f"An execution of {name} for {scheduled:%Y-%m-%dT%H:%M:%SZ} is still "
                                f"{execution.status}; wait for it to end.", status_code=409)
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
        raise ValidationException(f"{field} {value!r} is not an ISO-8601 time such as 2024-05-01T11:00:00Z."
                                  ) from None


def schedule_executions(request: Request, name: str, monitoring: MonitoringService | None = None) -> Response:
    """``POST`` (run now) and ``GET`` (list) ``/_sagewatch/schedules/<name>/executions`` of *monitoring* (the
    process's plane's by default)."""
    monitoring = monitoring or get_plane().monitoring
    try:
        if request.method == "POST":
            body = request.get_json(force=True, silent=True) if request.data else {}
            if not isinstance(body, dict):
                raise ValidationException('The body must be a JSON object such as '
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
    except (ResourceNotFound, ValidationException, ResourceInUse) as error:
        return error_response(error)


def schedule_routes() -> list[tuple[str, Any, list[str]]]:
    """The routes this module adds to ``/_sagewatch`` (see :func:`sagewatch.localstack.routes.route_table`)."""
    return [(EXECUTIONS_ROUTE, schedule_executions, ["GET", "POST"])]
