"""The classes the emulator's state file may hold: every value type of
:class:`~sagewatch.localstack.sagemaker.store.RegionState`, with the fields that are not saved.

A new ``RegionState`` field whose values are a new class needs one line here (``cached=True`` when the records'
nested values are replaced, never edited in place: then an unchanged record is not encoded again). The unit tests
round-trip every ``RegionState`` field, and saving a value of a class missing here fails loudly (the log names
the field).
"""

from __future__ import annotations

from sagewatch.localstack.durable.jsoncodec import register
from sagewatch.localstack.sagemaker.monitoring.alerts import AlertHistoryEntry, MonitoringAlert
from sagewatch.localstack.sagemaker.monitoring.cron import ScheduleExpression
from sagewatch.localstack.sagemaker.monitoring.jobdefs import JobDefinition, Kind
from sagewatch.localstack.sagemaker.monitoring.schedules import MonitoringExecution, MonitoringSchedule
from sagewatch.localstack.sagemaker.processing.service import ProcessingJob
from sagewatch.localstack.sagemaker.store import RegionState
from sagewatch.localstack.sagemaker.transform.service import TransformJob

__all__ = ["PERSISTED"]

PERSISTED = (
    register(RegionState),  # its collections change in place: never cached
    register(ProcessingJob, transient=("stop_requested", "finished", "listeners"), cached=True),
    register(Kind, cached=True),
    register(JobDefinition, cached=True),
    register(ScheduleExpression, cached=True),
    register(MonitoringSchedule, cached=True),
    register(MonitoringExecution, cached=True),
    register(MonitoringAlert, cached=True),
    register(AlertHistoryEntry, cached=True),
    register(TransformJob, transient=("stop_requested", "finished"), cached=True),
)
