"""The scheduler of monitoring schedules, and running a schedule's execution now.

**Scheduler.** A daemon thread wakes every second: it moves ``Pending`` schedules to ``Scheduled`` (starting the
single execution of a ``NOW`` schedule), and for every ``Scheduled`` cron schedule starts the execution of the
latest scheduled time once ``SAGEWATCH_SCHEDULE_START_DELAY_SECONDS`` (default 60) have passed since it, as
SageMaker starts executions shortly after the hour. Only times after the schedule's creation count, each time
runs once, and hours missed while LocalStack was down are not caught up.

Running an execution now, outside the schedule, is :mod:`.routes`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sagewatch.localstack.sagemaker.monitoring.schedules import MonitoringExecution, MonitoringService
from sagewatch.localstack.sagemaker.common import to_utc, utcnow
from sagewatch.localstack.sagemaker.processing.settings import ProcessingSettings

__all__ = ["Scheduler"]

LOG = logging.getLogger(__name__)


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
