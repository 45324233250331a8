"""What the launcher hands a monitor's module, and the failure it may raise."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sagewatch.job.execution_contract import AnalysisWindow
from sagewatch.localstack.sagemaker.monitoring.jobdefs import ExecutionDefinition
from sagewatch.localstack.sagemaker.processing.aws import AwsAccess

__all__ = ["ExecutionFailure", "ExecutionRun"]


class ExecutionFailure(Exception):
    """The execution cannot run; the message becomes its FailureReason."""


@dataclass(frozen=True)
class ExecutionRun:
    """One execution about to run: its definition, the schedule's settings and what the launcher resolved.

    Attributes
    ----------
    definition : ExecutionDefinition
    schedule_name : str
    schedule_config : mapping
        The schedule's ``ScheduleConfig`` (``DataAnalysisStartTime``/``EndTime``).
    expression : ScheduleExpression
    scheduled : datetime
    job_name : str
    baseline : callable
        ``() -> (constraints URI, statistics URI)``, ``BaseliningJobName`` resolved (called when needed; it may
        raise :class:`ExecutionFailure`).
    aws : AwsAccess
        The emulator's clients for the schedule's account and region.
    token : str
        The execution's random hex; ``job_name`` ends with its first 24 characters, and so do the names of the
        other jobs a monitor's module plans (e.g. the ground-truth merge job).
    """

    definition: ExecutionDefinition
    schedule_name: str
    schedule_config: Any
    expression: Any
    scheduled: datetime
    job_name: str
    baseline: Callable[[], tuple[str | None, str | None]]
    aws: AwsAccess
    token: str = ""

    def window(self, start_offset: str | None, end_offset: str | None) -> AnalysisWindow:
        """The window of this execution: the schedule's offsets, else *start_offset*/*end_offset* (the input's),
        else the expression's default window."""
        from sagewatch.localstack.sagemaker.monitoring.cron import analysis_window

        config = self.schedule_config or {}
        return analysis_window(self.expression, self.scheduled,
                               config.get("DataAnalysisStartTime") or start_offset,
                               config.get("DataAnalysisEndTime") or end_offset)
