"""sagewatch's SageMaker monitoring plane: processing jobs, job definitions, schedules, their alerts and their
scheduler.

:func:`overrides` returns the SageMaker handlers the plane owns, for
:meth:`sagewatch.localstack.sagemaker.provider.SageMakerProvider.overrides`; :func:`get_plane` returns the one
plane of the LocalStack process, created at first use (the provider and the ``/_sagewatch`` routes share it).
Its settings are read then, from the ``SAGEWATCH_*`` variables of
:mod:`~sagewatch.localstack.sagemaker.processing.settings`.
"""

from __future__ import annotations

import atexit
import threading
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sagewatch.localstack.sagemaker.common import sagemaker_arn, utcnow
from sagewatch.localstack.sagemaker.monitoring.alerts import AlertService
from sagewatch.localstack.sagemaker.monitoring.executions.launcher import ExecutionLauncher
from sagewatch.localstack.sagemaker.monitoring.jobdefs import KINDS, JobDefinitionService
from sagewatch.localstack.sagemaker.monitoring.scheduler import Scheduler
from sagewatch.localstack.sagemaker.monitoring.schedules import MonitoringService
from sagewatch.localstack.sagemaker.monitoring.tags import TagStore, check_tags
from sagewatch.localstack.sagemaker.processing.aws import AwsAccess
from sagewatch.localstack.sagemaker.processing.service import ProcessingService
from sagewatch.localstack.sagemaker.processing.settings import ProcessingSettings
from sagewatch.localstack.sagemaker.store import SageMakerStore
from sagewatch.localstack.sagemaker.transform.service import TransformService

__all__ = ["MonitoringPlane", "get_plane", "overrides"]

_DELETED_RESOURCES = {"DeleteMonitoringSchedule": "monitoring-schedule",
                      **{f"Delete{kind}JobDefinition": spec.arn_type for kind, spec in KINDS.items()}}


class MonitoringPlane:
    """Everything sagewatch runs for Model Monitor, wired together.

    Parameters
    ----------
    settings : ProcessingSettings, optional
        Read from the environment by default.
    aws_factory : callable, optional
        ``(account_id, region) -> AwsAccess``; LocalStack's internal clients by default.
    clock : callable, optional
    """

    def __init__(self, settings: ProcessingSettings | None = None,
                 aws_factory: Callable[[str, str], AwsAccess] | None = None,
                 clock: Callable[[], datetime] = utcnow, transform_options: Mapping[str, Any] | None = None,
                 **processing_options: Any) -> None:
        self.settings = settings or ProcessingSettings.from_environ()
        self.store = SageMakerStore()
        self.processing = ProcessingService(self.settings, aws_factory, clock, store=self.store, **processing_options)
        self.jobdefs = JobDefinitionService(clock, store=self.store)
        self.monitoring = MonitoringService(self.jobdefs, ExecutionLauncher(self.processing), clock,
                                            on_create=self._schedule_created)
        self.alerts = AlertService(self.monitoring, clock)
        self.scheduler = Scheduler(self.monitoring, self.settings, clock)
        self.tags = TagStore(store=self.store)
        self.transform = TransformService(clock, store=self.store, **(transform_options or {}))

    def _schedule_created(self) -> None:
        self.scheduler.ensure_started()

    def handlers(self) -> dict[str, Callable[..., Any]]:
        """Every SageMaker operation the plane owns; Create/Delete handlers also keep the resources' tags."""
        table = {**self.processing.handlers(), **self.jobdefs.handlers(), **self.monitoring.handlers(),
                 **self.alerts.handlers(), **self.transform.handlers()}
        wrapped = {name: self._with_tags(name, handler) for name, handler in table.items()}
        return {**wrapped, **self.tags.handlers()}

    def _with_tags(self, operation: str, handler: Callable[..., Any]) -> Callable[..., Any]:
        if operation.startswith("Create"):
            def create(context: Any, request: Mapping[str, Any]) -> Any:
                if request.get("Tags"):
                    check_tags(request["Tags"])
                answer = handler(context, request)
                arn = next((value for key, value in answer.items() if key.endswith("Arn")), None)
                if arn:
                    self.tags.set(arn, request.get("Tags"))
                return answer
            return create
        resource = _DELETED_RESOURCES.get(operation)
        if resource is not None:
            def delete(context: Any, request: Mapping[str, Any]) -> Any:
                answer = handler(context, request)
                name = request.get("MonitoringScheduleName") or request.get("JobDefinitionName") or ""
                self.tags.forget(sagemaker_arn(resource, name, context.account_id, context.region))
                return answer
            return delete
        return handler

    def shutdown(self) -> None:
        self.scheduler.stop()
        self.processing.shutdown()
        self.transform.shutdown()


_plane: MonitoringPlane | None = None
_plane_lock = threading.Lock()


def get_plane() -> MonitoringPlane:
    """The plane of this process, created at first use; its jobs are stopped when the process exits."""
    global _plane
    with _plane_lock:
        if _plane is None:
            _plane = MonitoringPlane()
            atexit.register(_plane.shutdown)
        return _plane


def overrides(others: Mapping[str, Callable[..., Any]] | None = None,
              plane: MonitoringPlane | None = None) -> Mapping[str, Callable[..., Any]]:
    """The SageMaker operations *plane* (the process's, :func:`get_plane`, by default) implements, for
    ``SageMakerProvider.overrides()``.

    AddTags, ListTags and DeleteTags answer for the plane's own ARNs only; on any other ARN they call the
    handler of the same operation in *others* (the other overrides of the provider), else moto.
    """
    plane = plane or get_plane()
    table = dict(plane.handlers())
    for operation, handler in plane.tags.handlers().items():
        fallback = (others or {}).get(operation)
        if fallback is not None:
            table[operation] = plane.tags.chained(operation, fallback)
    return table
