"""Monitoring alerts (contract §9.5): ListMonitoringAlerts, UpdateMonitoringAlert and ListMonitoringAlertHistory,
in sagewatch's own store (moto has none of them).

SageMaker has no Create/DeleteMonitoringAlert: "each monitoring schedule will have a default alert" (SDK integ
tests). The emulator gives every schedule one alert, :data:`DEFAULT_ALERT_NAME`, created with the schedule and
deleted with it (:mod:`~sagewatch.localstack.sagemaker.monitoring.schedules` calls :func:`default_alerts` and
:func:`forget_alerts`). Its status follows the Model Dashboard's rule (DG "View and edit alerts"): after every
execution, count the failures among the last ``EvaluationPeriod`` executions; the alert is ``InAlert`` while
that count is at least ``DatapointsToAlert``, even before the window is full, and ``OK`` otherwise
(:func:`alert_status`). Every change of status appends one history entry (``InAlert`` <-> ``OK``).

sagewatch choices where SageMaker is silent (documented in ``docs/endpoints.md``, "Monitoring alerts"):

- the default alert's name and thresholds (``DatapointsToAlert`` 1, ``EvaluationPeriod`` 1, as the SDK's fixtures);
- a failure is an execution that ended ``CompletedWithViolations``; executions that ended ``Failed`` or ``Stopped``
  analysed no data and are not datapoints (as CloudWatch treats missing data: the alert keeps its status);
- ``UpdateMonitoringAlert`` re-evaluates the alert at once over the executions already finished.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from localstack.aws.api import RequestContext

from sagewatch.localstack.errors import ResourceNotFound, ValidationException
from sagewatch.localstack.sagemaker.common import (
    check_enum,
    check_int_range,
    check_name,
    SORT_ORDERS,
    paginate,
    to_utc,
    utcnow,
    without_none,
)
from sagewatch.localstack.sagemaker.store import RegionState

__all__ = [
    "ALERT_STATUSES", "DEFAULT_ALERT_NAME", "AlertHistoryEntry", "AlertService", "MonitoringAlert", "alert_status",
    "default_alerts", "evaluate_alerts", "forget_alerts",
]

ALERT_STATUSES = ("InAlert", "OK")
DEFAULT_ALERT_NAME = "monitoring-alert"  # sagewatch's name: SageMaker's default alert name is unconfirmed
DEFAULT_DATAPOINTS_TO_ALERT = 1
DEFAULT_EVALUATION_PERIOD = 1
FAILURE_STATUS = "CompletedWithViolations"
DATAPOINT_STATUSES = frozenset({"Completed", FAILURE_STATUS})
HISTORY_SORT_KEYS = ("CreationTime", "Status")
LIST_MAX_RESULTS = 100  # the default MaxResults of both list operations (botocore's service model)


def alert_status(statuses: Iterable[str], *, datapoints_to_alert: int, evaluation_period: int) -> str:
    """The ``AlertStatus`` after executions that ended with *statuses* (oldest first).

    Only executions that analysed data are datapoints (``Completed``, ``CompletedWithViolations``); the last
    *evaluation_period* of them are counted, and the alert is ``InAlert`` when at least *datapoints_to_alert*
    of those ended ``CompletedWithViolations``, even when fewer than *evaluation_period* have run.

    Examples
    --------
    The Model Dashboard's example, evaluation period 3 and 2 datapoints to alert:

    >>> runs = ["CompletedWithViolations", "CompletedWithViolations", "Completed", "Completed", "Completed"]
    >>> [alert_status(runs[:n], datapoints_to_alert=2, evaluation_period=3) for n in range(1, 6)]
    ['OK', 'InAlert', 'InAlert', 'OK', 'OK']
    >>> alert_status(["CompletedWithViolations", "Failed", "Stopped"], datapoints_to_alert=1, evaluation_period=1)
    'InAlert'
    >>> alert_status([], datapoints_to_alert=1, evaluation_period=1)
    'OK'
    """
    datapoints = [status for status in statuses if status in DATAPOINT_STATUSES]
    window = datapoints[-evaluation_period:]
    failures = sum(status == FAILURE_STATUS for status in window)
    return "InAlert" if failures >= datapoints_to_alert else "OK"


@dataclass(eq=False)
class MonitoringAlert:
    """One alert of a schedule: its thresholds and current status."""

    schedule_name: str
    name: str
    creation_time: datetime
    last_modified_time: datetime
    datapoints_to_alert: int = DEFAULT_DATAPOINTS_TO_ALERT
    evaluation_period: int = DEFAULT_EVALUATION_PERIOD
    status: str = "OK"
    dashboard_indicator: bool = True

    def summary(self) -> dict[str, Any]:
        """The ``MonitoringAlertSummary`` of this alert."""
        return {
            "MonitoringAlertName": self.name, "CreationTime": self.creation_time,
            "LastModifiedTime": self.last_modified_time, "AlertStatus": self.status,
            "DatapointsToAlert": self.datapoints_to_alert, "EvaluationPeriod": self.evaluation_period,
            "Actions": {"ModelDashboardIndicator": {"Enabled": self.dashboard_indicator}},
        }


@dataclass(frozen=True)
class AlertHistoryEntry:
    """One change of an alert's status: ``InAlert`` -> ``OK`` or ``OK`` -> ``InAlert``."""

    schedule_name: str
    alert_name: str
    creation_time: datetime
    status: str

    def summary(self) -> dict[str, Any]:
        """The ``MonitoringAlertHistorySummary`` of this entry."""
        return {"MonitoringScheduleName": self.schedule_name, "MonitoringAlertName": self.alert_name,
                "CreationTime": self.creation_time, "AlertStatus": self.status}


# --- the store side: called by the schedules service under its lock ------------------------------------------------


def default_alerts(schedule_name: str, now: datetime) -> dict[str, MonitoringAlert]:
    """The alerts a new schedule starts with: one ``OK`` alert, :data:`DEFAULT_ALERT_NAME`, keyed by name."""
    return {DEFAULT_ALERT_NAME: MonitoringAlert(schedule_name, DEFAULT_ALERT_NAME, now, now)}


def forget_alerts(state: RegionState, schedule_name: str) -> None:
    """Delete the alerts of a schedule and their history (the schedule is being deleted)."""
    state.alerts.pop(schedule_name, None)
    state.alert_history[:] = [entry for entry in state.alert_history if entry.schedule_name != schedule_name]


def _finished_statuses(state: RegionState, schedule_name: str) -> list[str]:
    mine = [e for e in state.executions if e.schedule_name == schedule_name and e.finished]
    mine.sort(key=lambda e: (to_utc(e.creation_time), to_utc(e.scheduled_time)))
    return [e.status for e in mine]


def _evaluate(state: RegionState, alert: MonitoringAlert, statuses: Sequence[str], now: datetime) -> None:
    status = alert_status(statuses, datapoints_to_alert=alert.datapoints_to_alert,
                          evaluation_period=alert.evaluation_period)
    if status != alert.status:
        alert.status, alert.last_modified_time = status, now
        state.alert_history.append(AlertHistoryEntry(alert.schedule_name, alert.name, now, status))


def evaluate_alerts(state: RegionState, schedule_name: str, now: datetime) -> None:
    """Recompute the status of every alert of *schedule_name* from its finished executions (one ended now)."""
    alerts = state.alerts.get(schedule_name)
    if not alerts:
        return
    statuses = _finished_statuses(state, schedule_name)
    for alert in alerts.values():
        _evaluate(state, alert, statuses, now)


# --- the API -------------------------------------------------------------------------------------------------------


def _check_count(request: Mapping[str, Any], member: str) -> int:
    field = member[0].lower() + member[1:]
    value = request.get(member)
    if value is None:
        raise ValidationException.detected([f"Value null at '{field}' failed to satisfy constraint: Member must not be "
                                            "null"])
    return check_int_range(value, field, 1, 100)


def _page(items: list[Mapping[str, Any]], request: Mapping[str, Any]) -> tuple[list[Mapping[str, Any]], str | None]:
    limit = request.get("MaxResults")
    return paginate(items, {**request, "MaxResults": LIST_MAX_RESULTS if limit is None else limit})


def _sort_history(entries: list[dict[str, Any]], request: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Sort history entries by ``SortBy`` (``CreationTime`` by default) and ``SortOrder`` (``Descending`` by
    default); ties by time, then schedule and alert name, so that pages are stable."""
    sort_by = check_enum(request.get("SortBy") or "CreationTime", "sortBy", HISTORY_SORT_KEYS)
    order = check_enum(request.get("SortOrder") or "Descending", "sortOrder", SORT_ORDERS)

    def key(entry: Mapping[str, Any]) -> tuple[Any, ...]:
        moment = to_utc(entry["CreationTime"]).timestamp()
        first = entry["AlertStatus"] if sort_by == "Status" else moment
        return first, moment, entry["MonitoringScheduleName"], entry["MonitoringAlertName"]

    return sorted(entries, key=key, reverse=order == "Descending")


class AlertService:
    """The alert handlers of every account and region.

    Parameters
    ----------
    monitoring : MonitoringService
        The schedules' service; the alerts live in its store and are guarded by its lock (an execution's end,
        which re-evaluates them, is recorded under that lock).
    clock : callable, optional
    """

    def __init__(self, monitoring: Any, clock: Callable[[], datetime] = utcnow) -> None:
        self.monitoring = monitoring
        self.store = monitoring.store
        self.lock = monitoring.lock
        self.clock = clock

    def handlers(self) -> dict[str, Callable[[RequestContext, Mapping[str, Any]], Any]]:
        return {
            "ListMonitoringAlerts": self.handle_list,
            "UpdateMonitoringAlert": self.handle_update,
            "ListMonitoringAlertHistory": self.handle_list_history,
        }

    def _schedule_name(self, context: RequestContext, request: Mapping[str, Any]) -> str:
        name = check_name(request.get("MonitoringScheduleName"), "monitoringScheduleName")
        return self.monitoring.get(context.account_id, context.region, name).name

    def _alert(self, state: RegionState, schedule_name: str, alert_name: str) -> MonitoringAlert:
        alert = state.alerts.get(schedule_name, {}).get(alert_name)
        if alert is None:
            raise ResourceNotFound(f"Monitoring alert {alert_name} of monitoring schedule {schedule_name} "
                                   "does not exist.")
        return alert

    def handle_list(self, context: RequestContext, request: Mapping[str, Any]) -> dict[str, Any]:
        schedule_name = self._schedule_name(context, request)
        with self.lock:
            alerts = self.store[context.account_id, context.region].alerts.get(schedule_name, {})
            summaries = [alert.summary() for alert in sorted(alerts.values(), key=lambda a: a.name)]
        page, token = _page(summaries, request)
        return without_none({"MonitoringAlertSummaries": page, "NextToken": token})

    def handle_update(self, context: RequestContext, request: Mapping[str, Any]) -> dict[str, Any]:
        schedule = self.monitoring.get(context.account_id, context.region,
                                       check_name(request.get("MonitoringScheduleName"), "monitoringScheduleName"))
        alert_name = check_name(request.get("MonitoringAlertName"), "monitoringAlertName")
        datapoints = _check_count(request, "DatapointsToAlert")
        period = _check_count(request, "EvaluationPeriod")
        if datapoints > period:
            raise ValidationException(f"DatapointsToAlert ({datapoints}) must be less than or equal to "
                                      f"EvaluationPeriod ({period}).")
        with self.lock:
            state = self.store[context.account_id, context.region]
            alert = self._alert(state, schedule.name, alert_name)
            now = self.clock()
            alert.datapoints_to_alert, alert.evaluation_period, alert.last_modified_time = datapoints, period, now
            _evaluate(state, alert, _finished_statuses(state, schedule.name), now)
        return {"MonitoringScheduleArn": schedule.arn, "MonitoringAlertName": alert_name}

    def handle_list_history(self, context: RequestContext, request: Mapping[str, Any]) -> dict[str, Any]:
        schedule_name = (self._schedule_name(context, request)
                         if request.get("MonitoringScheduleName") is not None else None)
        alert_name = request.get("MonitoringAlertName")
        if alert_name is not None:
            check_name(alert_name, "monitoringAlertName")
        if request.get("StatusEquals") is not None:
            check_enum(request["StatusEquals"], "statusEquals", ALERT_STATUSES)
        before, after = request.get("CreationTimeBefore"), request.get("CreationTimeAfter")
        with self.lock:
            state = self.store[context.account_id, context.region]
            alerts = [alert for name, by_name in state.alerts.items() if schedule_name in (None, name)
                      for alert in by_name.values()]
            if alert_name is not None and not any(alert.name == alert_name for alert in alerts):
                where = f" of monitoring schedule {schedule_name}" if schedule_name else ""
                raise ResourceNotFound(f"Monitoring alert {alert_name}{where} does not exist.")
            entries = [entry.summary() for entry in state.alert_history]
        # the API reference: "created on or before" / "on or after", both bounds included
        selected = [
            s for s in entries
            if schedule_name in (None, s["MonitoringScheduleName"])
            and alert_name in (None, s["MonitoringAlertName"])
            and request.get("StatusEquals") in (None, s["AlertStatus"])
            and (before is None or s["CreationTime"] <= to_utc(before))
            and (after is None or s["CreationTime"] >= to_utc(after))
        ]
        page, token = _page(_sort_history(selected, request), request)
        return without_none({"MonitoringAlertHistory": page, "NextToken": token})
