"""sagewatch's SageMaker monitoring plane: processing jobs, job definitions, schedules and their scheduler.

:func:`overrides` returns the SageMaker handlers the plane owns, for
:meth:`sagewatch.localstack.sagemaker.provider.SageMakerProvider.overrides`; :func:`get_plane` returns the one
plane of the LocalStack process, created at first use (the provider and the ``/_sagewatch`` routes share it).
Its settings are read then, from the ``SAGEWATCH_*`` variables of
:mod:`~sagewatch.localstack.sagemaker.processing_settings`.
"""

from __future__ import annotations

import atexit
import threading
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sagewatch.localstack.sagemaker.jobdefs import JobDefinitionService
from sagewatch.localstack.sagemaker.monitoring import MonitoringService
from sagewatch.localstack.sagemaker.monitoring_common import utcnow
from sagewatch.localstack.sagemaker.monitoring_executions import ExecutionLauncher
from sagewatch.localstack.sagemaker.processing import ProcessingService
from sagewatch.localstack.sagemaker.processing_aws import AwsAccess
from sagewatch.localstack.sagemaker.processing_settings import ProcessingSettings
from sagewatch.localstack.sagemaker.schedules import Scheduler

__all__ = ["MonitoringPlane", "get_plane", "overrides"]


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
                 clock: Callable[[], datetime] = utcnow, **processing_options: Any) -> None:
        self.settings = settings or ProcessingSettings.from_environ()
        self.processing = ProcessingService(self.settings, aws_factory, clock, **processing_options)
        self.jobdefs = JobDefinitionService(clock)
        self.monitoring = MonitoringService(self.jobdefs, ExecutionLauncher(self.processing), clock)
        self.scheduler = Scheduler(self.monitoring, self.settings, clock)
        self.monitoring.on_create = self.scheduler.ensure_started

    def handlers(self) -> dict[str, Callable[..., Any]]:
        return {**self.processing.handlers(), **self.jobdefs.handlers(), **self.monitoring.handlers()}

    def shutdown(self) -> None:
        self.scheduler.stop()
        self.processing.shutdown()


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


def overrides() -> Mapping[str, Callable[..., Any]]:
    """The SageMaker operations the monitoring plane implements, for ``SageMakerProvider.overrides()``."""
    return get_plane().handlers()
