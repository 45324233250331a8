"""Monitoring schedules and their executions (contract §9): Create/Describe/List/Update/Delete/Start/Stop
MonitoringSchedule and ListMonitoringExecutions, in sagewatch's own store (moto has none of them).

A schedule is created ``Pending`` and becomes ``Scheduled`` a moment later (the scheduler thread of
:mod:`sagewatch.localstack.sagemaker.monitoring.scheduler` does it); ``StopMonitoringSchedule`` makes it ``Stopped`` and
``StartMonitoringSchedule`` ``Scheduled`` again. Both forms are accepted: an inline ``MonitoringJobDefinition``
(type ``DataQuality`` unless ``MonitoringType`` says otherwise) and ``MonitoringJobDefinitionName`` with
``MonitoringType``. Executions are started by the scheduler at each scheduled time, once for ``NOW`` schedules,
and on demand (``POST /_sagewatch/schedules/<name>/executions``); how one runs is in
:mod:`sagewatch.localstack.sagemaker.monitoring.executions.launcher`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from localstack.aws.api import RequestContext

from sagewatch.localstack.errors import ResourceInUse, ResourceNotFound, ValidationException
from sagewatch.localstack.sagemaker.common import (
    check_cluster_config,
    check_enum,
    check_environment,
    check_name,
    check_role_arn,
    deep_copy,
    paginate,
    sagemaker_arn,
    sort_items,
    time_filters,
    utcnow,
    without_none,
)
from sagewatch.localstack.sagemaker.monitoring.alerts import default_alerts, evaluate_alerts, forget_alerts
from sagewatch.localstack.sagemaker.monitoring.cron import ScheduleError, ScheduleExpression, analysis_window, parse_schedule_expression
from sagewatch.localstack.sagemaker.monitoring.jobdefs import (
    MONITORING_TYPES,
    ExecutionDefinition,
    JobDefinitionService,
    check_baseline,
    check_job_input,
    check_monitoring_outputs,
    check_stopping_condition,
)

__all__ = ["MonitoringExecution", "MonitoringSchedule", "MonitoringService", "validate_schedule_config"]

SCHEDULE_STATUSES = ("Pending", "Failed", "Scheduled", "Stopped")
EXECUTION_STATUSES = ("Pending", "Completed", "CompletedWithViolations", "InProgress", "Failed", "Stopping", "Stopped")
TERMINAL_EXECUTION_STATUSES = frozenset({"Completed", "CompletedWithViolations", "Failed", "Stopped"})


@dataclass(eq=False)
class MonitoringSchedule:
    account_id: str
    region: str
    name: str
    arn: str
    config: dict[str, Any]
    expression: ScheduleExpression
    endpoint_name: str | None
    creation_time: datetime
    last_modified_time: datetime
    status: str = "Pending"
    failure_reason: str | None = None
    scheduled_times: set[datetime] = field(default_factory=set)

    @property
    def monitoring_type(self) -> str:
        return self.config["MonitoringType"]

    @property
    def job_definition_name(self) -> str | None:
        return self.config.get("MonitoringJobDefinitionName")

    def summary(self) -> dict[str, Any]:
        return without_none({
            "MonitoringScheduleName": self.name, "MonitoringScheduleArn": self.arn,
            "CreationTime": self.creation_time, "LastModifiedTime": self.last_modified_time,
            "MonitoringScheduleStatus": self.status, "EndpointName": self.endpoint_name,
            "MonitoringJobDefinitionName": self.job_definition_name, "MonitoringType": self.monitoring_type,
        })

    def describe(self, last_execution: dict[str, Any] | None) -> dict[str, Any]:
        return without_none({
            "MonitoringScheduleArn": self.arn, "MonitoringScheduleName": self.name,
            "MonitoringScheduleStatus": self.status, "MonitoringType": self.monitoring_type,
            "FailureReason": self.failure_reason, "CreationTime": self.creation_time,
            "LastModifiedTime": self.last_modified_time, "MonitoringScheduleConfig": deep_copy(self.config),
            "EndpointName": self.endpoint_name, "LastMonitoringExecutionSummary": last_execution,
        })


@dataclass(eq=False)
class MonitoringExecution:
    account_id: str
    region: str
    schedule_name: str
    scheduled_time: datetime
    creation_time: datetime
    last_modified_time: datetime
    monitoring_type: str
    status: str = "Pending"
    endpoint_name: str | None = None
    job_definition_name: str | None = None
    processing_job_arn: str | None = None
    processing_job_name: str | None = None
    failure_reason: str | None = None

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL_EXECUTION_STATUSES

    def summary(self) -> dict[str, Any]:
        return without_none({
            "MonitoringScheduleName": self.schedule_name, "ScheduledTime": self.scheduled_time,
            "CreationTime": self.creation_time, "LastModifiedTime": self.last_modified_time,
            "MonitoringExecutionStatus": self.status, "ProcessingJobArn": self.processing_job_arn,
            "EndpointName": self.endpoint_name, "FailureReason": self.failure_reason,
            "MonitoringJobDefinitionName": self.job_definition_name, "MonitoringType": self.monitoring_type,
        })


def _check_inline(definition: Any) -> dict[str, Any]:
    if not isinstance(definition, Mapping):
        raise ValidationException("MonitoringJobDefinition must be a structure.")
    inputs = definition.get("MonitoringInputs")
    if not isinstance(inputs, list) or len(inputs) != 1:
        raise ValidationException.constraint("monitoringScheduleConfig.monitoringJobDefinition.monitoringInputs",
                               f"<{len(inputs) if isinstance(inputs, list) else inputs} inputs>",
                               "Member must have length less than or equal to 1 and greater than or equal to 1")
    where = "monitoringScheduleConfig.monitoringJobDefinition"
    normalized = {key: deep_copy(value) for key, value in definition.items() if value is not None}
    normalized["MonitoringInputs"] = [check_job_input(inputs[0], f"{where}.monitoringInputs.1.member")]
    normalized["MonitoringOutputConfig"] = check_monitoring_outputs(definition.get("MonitoringOutputConfig"),
                                                                    f"{where}.monitoringOutputConfig")
    check_cluster_config((definition.get("MonitoringResources") or {}).get("ClusterConfig"),
                         f"{where}.monitoringResources.clusterConfig")
    app = definition.get("MonitoringAppSpecification")
    image = app.get("ImageUri") if isinstance(app, Mapping) else None
    if not isinstance(image, str) or not image.strip() or len(image) > 255:
        raise ValidationException.constraint(f"{where}.monitoringAppSpecification.imageUri", image,
                               "Member must have length between 1 and 255")
    check_role_arn(definition.get("RoleArn"), f"{where}.roleArn")
    check_environment(definition.get("Environment"), f"{where}.environment", 50)
    check_baseline(definition.get("BaselineConfig"), f"{where}.baselineConfig")
    check_stopping_condition(definition.get("StoppingCondition"), f"{where}.stoppingCondition")
    return normalized


def validate_schedule_config(config: Any, find_definition: Callable[[str, str], Any]
                             ) -> tuple[dict[str, Any], ScheduleExpression, ExecutionDefinition]:
    """Check a ``MonitoringScheduleConfig``; return it normalized, its expression and its definition.

    *find_definition* is ``(monitoring_type, name) -> JobDefinition or None``.
    """
    if not isinstance(config, Mapping):
        raise ValidationException("MonitoringScheduleConfig is required.")
    inline, named = config.get("MonitoringJobDefinition"), config.get("MonitoringJobDefinitionName")
    if (inline is None) == (named is None):
        raise ValidationException("MonitoringScheduleConfig must have exactly one of MonitoringJobDefinition and "
                               "MonitoringJobDefinitionName.")
    monitoring_type = config.get("MonitoringType") or ("DataQuality" if inline is not None else None)
    if monitoring_type is None:
        raise ValidationException("MonitoringType is required when MonitoringJobDefinitionName is given.")
    check_enum(monitoring_type, "monitoringScheduleConfig.monitoringType", MONITORING_TYPES)
    normalized = {key: deep_copy(value) for key, value in config.items() if value is not None}
    normalized["MonitoringType"] = monitoring_type
    if inline is not None:
        normalized["MonitoringJobDefinition"] = _check_inline(inline)
        definition = ExecutionDefinition.from_inline(monitoring_type, normalized["MonitoringJobDefinition"])
    else:
        check_name(named, "monitoringScheduleConfig.monitoringJobDefinitionName")
        found = find_definition(monitoring_type, named)
        if found is None:
            raise ValidationException(f"Could not find {monitoring_type} job definition {named}; create it first with "
                                   f"Create{monitoring_type}JobDefinition.")
        definition = found.execution_definition()
    schedule = config.get("ScheduleConfig")
    if not isinstance(schedule, Mapping) or not schedule.get("ScheduleExpression"):
        raise ValidationException("MonitoringScheduleConfig.ScheduleConfig.ScheduleExpression is required.")
    try:
        expression = parse_schedule_expression(schedule["ScheduleExpression"])
        if expression.is_now and (not schedule.get("DataAnalysisStartTime") or not schedule.get("DataAnalysisEndTime")):
            raise ScheduleError("A schedule with ScheduleExpression NOW needs DataAnalysisStartTime and "
                                "DataAnalysisEndTime (for example -PT1H and -PT0H).")
        analysis_window(expression, datetime(2024, 1, 1, 12, tzinfo=timezone.utc), schedule.get("DataAnalysisStartTime"),
                        schedule.get("DataAnalysisEndTime"))
    except ScheduleError as error:
        raise ValidationException(str(error)) from error
    return normalized, expression, definition


class MonitoringService:
    """Schedules and executions of every account and region, and the SageMaker handlers for them.

    Parameters
    ----------
    jobdefs : JobDefinitionService
    launch : callable
        ``(service, schedule, execution) -> None`` runs an execution (in the background).
    clock : callable, optional
    on_create : callable, optional
        Called after a schedule is created (the plane starts its scheduler then).

    The schedules and executions are kept in the job definitions' store (:attr:`JobDefinitionService.store`).
    """

    def __init__(self, jobdefs: JobDefinitionService,
                 launch: Callable[[MonitoringService, MonitoringSchedule, MonitoringExecution], None],
                 clock: Callable[[], datetime] = utcnow, *, on_create: Callable[[], None] | None = None) -> None:
        self.jobdefs = jobdefs
        self.store = jobdefs.store
        self.clock = clock
        self._launch = launch
        self.lock = threading.RLock()
        self.on_create = on_create

    # --- schedules --------------------------------------------------------------------------------------------

    def _validate(self, account_id: str, region: str, config: Any
                  ) -> tuple[dict[str, Any], ScheduleExpression, ExecutionDefinition]:
        return validate_schedule_config(
            config, lambda kind, name: self.jobdefs.find(account_id, region, kind, name))

    def create(self, account_id: str, region: str, request: Mapping[str, Any]) -> MonitoringSchedule:
        name = check_name(request.get("MonitoringScheduleName"), "monitoringScheduleName")
        config, expression, definition = self._validate(account_id, region, request.get("MonitoringScheduleConfig"))
        now = self.clock()
        arn = sagemaker_arn("monitoring-schedule", name, account_id, region)
        schedule = MonitoringSchedule(account_id, region, name, arn, config, expression, definition.endpoint_name,
                                      now, now)
        with self.lock:
            schedules = self.store[account_id, region].schedules
            if name in schedules:
                raise ResourceInUse(f"Monitoring schedule {arn} already exists.")
            schedules[name] = schedule
            self.store[account_id, region].alerts[name] = default_alerts(name, now)
        if self.on_create is not None:
            self.on_create()
        return schedule

    def get(self, account_id: str, region: str, name: str) -> MonitoringSchedule:
        with self.lock:
            schedule = self.store[account_id, region].schedules.get(name)
        if schedule is None:
            raise ResourceNotFound(f"Monitoring schedule {sagemaker_arn('monitoring-schedule', name, account_id, region)} "
                            "does not exist.")
        return schedule

    def all_schedules(self) -> list[MonitoringSchedule]:
        with self.lock:
            return [s for state in self.store.states() for s in state.schedules.values()]

    def find_by_name(self, name: str) -> list[MonitoringSchedule]:
        return [s for s in self.all_schedules() if s.name == name]

    def set_status(self, schedule: MonitoringSchedule, status: str, failure_reason: str | None = None) -> None:
        with self.lock:
            schedule.status = status
            schedule.failure_reason = failure_reason
            schedule.last_modified_time = self.clock()

    # --- executions -------------------------------------------------------------------------------------------

    def executions(self, account_id: str, region: str) -> list[MonitoringExecution]:
        with self.lock:
            return list(self.store[account_id, region].executions)

    def last_execution(self, schedule: MonitoringSchedule) -> MonitoringExecution | None:
        mine = [e for e in self.executions(schedule.account_id, schedule.region) if e.schedule_name == schedule.name]
        return max(mine, key=lambda e: (e.creation_time, e.scheduled_time)) if mine else None

    def start_execution(self, schedule: MonitoringSchedule, scheduled_time: datetime) -> MonitoringExecution:
        """Record a ``Pending`` execution for *scheduled_time* and launch it."""
        now = self.clock()
        execution = MonitoringExecution(
            schedule.account_id, schedule.region, schedule.name, scheduled_time, now, now, schedule.monitoring_type,
            endpoint_name=schedule.endpoint_name, job_definition_name=schedule.job_definition_name)
        with self.lock:
            schedule.scheduled_times.add(scheduled_time)
            self.store[schedule.account_id, schedule.region].executions.append(execution)
        self._launch(self, schedule, execution)
        return execution

    def update_execution(self, execution: MonitoringExecution, **fields: Any) -> None:
        with self.lock:
            if execution.finished:
                return
            for key, value in fields.items():
                if not hasattr(execution, key):
                    raise AttributeError(key)
                if key == "failure_reason" and isinstance(value, str):
                    value = value[:1024]
                setattr(execution, key, value)
            execution.last_modified_time = self.clock()
            if execution.finished:
                evaluate_alerts(self.store[execution.account_id, execution.region], execution.schedule_name,
                                execution.last_modified_time)

    # --- handlers -----------------------------------------------------------------------------------------------

    def handlers(self) -> dict[str, Callable[[RequestContext, Mapping[str, Any]], Any]]:
        return {
            "CreateMonitoringSchedule": self.handle_create,
            "DescribeMonitoringSchedule": self.handle_describe,
            "ListMonitoringSchedules": self.handle_list,
            "UpdateMonitoringSchedule": self.handle_update,
            "DeleteMonitoringSchedule": self.handle_delete,
            "StartMonitoringSchedule": self.handle_start,
            "StopMonitoringSchedule": self.handle_stop,
            "ListMonitoringExecutions": self.handle_list_executions,
        }

    def handle_create(self, context: RequestContext, request: Mapping[str, Any]) -> dict[str, Any]:
        return {"MonitoringScheduleArn": self.create(context.account_id, context.region, request).arn}

    def handle_describe(self, context: RequestContext, request: Mapping[str, Any]) -> dict[str, Any]:
        schedule = self.get(context.account_id, context.region, request.get("MonitoringScheduleName", ""))
        last = self.last_execution(schedule)
        with self.lock:
            return schedule.describe(last.summary() if last else None)

    def handle_update(self, context: RequestContext, request: Mapping[str, Any]) -> dict[str, Any]:
        schedule = self.get(context.account_id, context.region, request.get("MonitoringScheduleName", ""))
        config, expression, definition = self._validate(context.account_id, context.region,
                                                        request.get("MonitoringScheduleConfig"))
        with self.lock:
            schedule.config, schedule.expression = config, expression
            schedule.endpoint_name = definition.endpoint_name
            if schedule.status != "Stopped":
                schedule.status, schedule.failure_reason = "Pending", None
            schedule.last_modified_time = self.clock()
        return {"MonitoringScheduleArn": schedule.arn}

    def handle_delete(self, context: RequestContext, request: Mapping[str, Any]) -> dict[str, Any]:
        schedule = self.get(context.account_id, context.region, request.get("MonitoringScheduleName", ""))
        with self.lock:
            state = self.store[context.account_id, context.region]
            state.schedules.pop(schedule.name, None)
            state.executions[:] = [e for e in state.executions if e.schedule_name != schedule.name]
            forget_alerts(state, schedule.name)
        return {}

    def handle_start(self, context: RequestContext, request: Mapping[str, Any]) -> dict[str, Any]:
        schedule = self.get(context.account_id, context.region, request.get("MonitoringScheduleName", ""))
        if schedule.status in ("Stopped", "Failed"):
            self.set_status(schedule, "Scheduled")
        return {}

    def handle_stop(self, context: RequestContext, request: Mapping[str, Any]) -> dict[str, Any]:
        schedule = self.get(context.account_id, context.region, request.get("MonitoringScheduleName", ""))
        if schedule.status != "Stopped":
            self.set_status(schedule, "Stopped")
        return {}

    def handle_list(self, context: RequestContext, request: Mapping[str, Any]) -> dict[str, Any]:
        if request.get("StatusEquals") is not None:
            check_enum(request["StatusEquals"], "statusEquals", SCHEDULE_STATUSES)
        if request.get("MonitoringTypeEquals") is not None:
            check_enum(request["MonitoringTypeEquals"], "monitoringTypeEquals", MONITORING_TYPES)
        contains = (request.get("NameContains") or "").lower()
        checks = time_filters(request, {"CreationTime": "CreationTime", "LastModifiedTime": "LastModifiedTime"})
        with self.lock:
            summaries = [s.summary() for s in self.store[context.account_id, context.region].schedules.values()]
        selected = [
            s for s in summaries
            if contains in s["MonitoringScheduleName"].lower()
            and request.get("EndpointName") in (None, s.get("EndpointName"))
            and request.get("StatusEquals") in (None, s["MonitoringScheduleStatus"])
            and request.get("MonitoringJobDefinitionName") in (None, s.get("MonitoringJobDefinitionName"))
            and request.get("MonitoringTypeEquals") in (None, s.get("MonitoringType"))
            and all(check(s) for check in checks)
        ]
        ordered = sort_items(selected, request, {"Name": "MonitoringScheduleName", "CreationTime": "CreationTime",
                                                 "Status": "MonitoringScheduleStatus"}, "CreationTime",
                             "MonitoringScheduleName")
        page, token = paginate(ordered, request)
        return without_none({"MonitoringScheduleSummaries": page, "NextToken": token})

    def handle_list_executions(self, context: RequestContext, request: Mapping[str, Any]) -> dict[str, Any]:
        if request.get("StatusEquals") is not None:
            check_enum(request["StatusEquals"], "statusEquals", EXECUTION_STATUSES)
        if request.get("MonitoringTypeEquals") is not None:
            check_enum(request["MonitoringTypeEquals"], "monitoringTypeEquals", MONITORING_TYPES)
        checks = time_filters(request, {"ScheduledTime": "ScheduledTime", "CreationTime": "CreationTime",
                                        "LastModifiedTime": "LastModifiedTime"})
        with self.lock:
            summaries = [e.summary() for e in self.store[context.account_id, context.region].executions]
        selected = [
            s for s in summaries
            if request.get("MonitoringScheduleName") in (None, s["MonitoringScheduleName"])
            and request.get("EndpointName") in (None, s.get("EndpointName"))
            and request.get("StatusEquals") in (None, s["MonitoringExecutionStatus"])
            and request.get("MonitoringJobDefinitionName") in (None, s.get("MonitoringJobDefinitionName"))
            and request.get("MonitoringTypeEquals") in (None, s.get("MonitoringType"))
            and all(check(s) for check in checks)
        ]
        ordered = sort_items(selected, request, {"CreationTime": "CreationTime", "ScheduledTime": "ScheduledTime",
                                                 "Status": "MonitoringExecutionStatus"}, "CreationTime",
                             "MonitoringScheduleName")
        page, token = paginate(ordered, request)
        return without_none({"MonitoringExecutionSummaries": page, "NextToken": token})
