"""Monitoring-schedule expressions and analysis windows (contract §9.3).

Model Monitor accepts a few cron forms only, all in UTC, and ``NOW`` for a one-time execution:

================================  =============================================  ==================================
Form                              Example                                        Default window of an execution at T
================================  =============================================  ==================================
hourly                            ``cron(0 * ? * * *)``                          T − 1 h to T
daily at hour H                   ``cron(0 12 ? * * *)``                         T − 23 h to T (the DG example:
                                                                                 05:00 analyses 06:00 the day before
                                                                                 to 05:00)
every N hours from H              ``cron(0 17/12 ? * * *)``, ``cron(0 */2 ? * * *)``  T − N h to T
one time                          ``NOW``                                        T + DataAnalysisStartTime to
                                                                                 T + DataAnalysisEndTime (required)
================================  =============================================  ==================================

``H/N`` follows cron: the hours H, H+N, … up to 23 of every day. Offsets are negative ISO-8601 durations
(``-PT1H``, ``-P1D``, ``-PT30M``, ``-P1DT2H``); when a schedule gives them they replace the default window.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sagewatch.job import execution_contract as contract
from sagewatch.localstack.sagemaker.common import floor_hour

__all__ = ["ScheduleError", "ScheduleExpression", "parse_offset", "parse_schedule_expression", "analysis_window"]

SUPPORTED_FORMS = ("cron(0 * ? * * *) (hourly), cron(0 H ? * * *) (daily at hour H, UTC), "
                   "cron(0 H/N ? * * *) (every N hours from hour H) and NOW")
_CRON = re.compile(r"^cron\((?P<body>[^)]*)\)$")


class ScheduleError(ValueError):
    """An expression or offset Model Monitor does not accept; the message says which forms it does."""


@dataclass(frozen=True)
class ScheduleExpression:
    """A parsed schedule expression.

    Attributes
    ----------
    text : str
        The expression as given.
    kind : str
        ``"now"``, ``"hourly"``, ``"daily"`` or ``"every"``.
    hours : tuple of int
        The UTC hours at which it fires each day (empty for ``NOW``).
    interval : int
        Hours between two executions (1 hourly, 24 daily, N for ``H/N``; 0 for ``NOW``).
    """

    text: str
    kind: str
    hours: tuple[int, ...] = ()
    interval: int = 0

    @property
    def is_now(self) -> bool:
        return self.kind == "now"

    def latest_fire_time(self, moment: datetime) -> datetime | None:
        """The last scheduled time at or before *moment* (None for ``NOW``).

        Examples
        --------
        >>> from datetime import datetime, timezone
        >>> daily = parse_schedule_expression("cron(0 5 ? * * *)")
        >>> daily.latest_fire_time(datetime(2020, 2, 20, 4, 59, tzinfo=timezone.utc)).isoformat()
        '2020-02-19T05:00:00+00:00'
        """
        if self.is_now:
            return None
        candidate = floor_hour(moment)
        for _ in range(48):
            if candidate.hour in self.hours:
                return candidate
            candidate -= timedelta(hours=1)
        return None  # unreachable: every form fires at least once a day

    def next_fire_time(self, moment: datetime) -> datetime | None:
        """The first scheduled time strictly after *moment* (None for ``NOW``)."""
        if self.is_now:
            return None
        candidate = floor_hour(moment) + timedelta(hours=1)
        for _ in range(48):
            if candidate.hour in self.hours:
                return candidate
            candidate += timedelta(hours=1)
        return None

    @property
    def default_hours(self) -> int | None:
        """The hours before an execution that it analyses when the schedule gives no offsets (None for ``NOW``)."""
        if self.is_now:
            return None
        return 23 if self.kind == "daily" else max(self.interval, 1)


def _hour(text: str, expression: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 23:
        raise ScheduleError(f"Invalid ScheduleExpression {expression}: the hour {text!r} must be 0 to 23. "
                            f"Supported forms: {SUPPORTED_FORMS}.")
    return int(text)


def parse_schedule_expression(text: str) -> ScheduleExpression:
    """Parse a Model Monitor schedule expression.

    Raises
    ------
    ScheduleError
        For any other expression; the message lists the supported forms.

    Examples
    --------
    >>> parse_schedule_expression("cron(0 * ? * * *)").kind
    'hourly'
    >>> parse_schedule_expression("cron(0 17/12 ? * * *)").hours
    (17,)
    >>> parse_schedule_expression("cron(0 0/6 ? * * *)").hours
    (0, 6, 12, 18)
    >>> parse_schedule_expression("NOW").is_now
    True
    >>> parse_schedule_expression("rate(1 hour)")
    Traceback (most recent call last):
    ...
    sagewatch.localstack.sagemaker.monitoring.cron.ScheduleError: Invalid ScheduleExpression rate(1 hour): Model Monitor supports cron(0 * ? * * *) (hourly), cron(0 H ? * * *) (daily at hour H, UTC), cron(0 H/N ? * * *) (every N hours from hour H) and NOW.
    """
    expression = (text or "").strip()
    if expression.upper() == "NOW":
        return ScheduleExpression(expression, "now")
    match = _CRON.match(expression)
    unsupported = ScheduleError(f"Invalid ScheduleExpression {expression}: Model Monitor supports {SUPPORTED_FORMS}.")
    if match is None:
        raise unsupported
    fields = match.group("body").split()
    if len(fields) != 6:
        raise ScheduleError(f"Invalid ScheduleExpression {expression}: a cron expression has 6 fields (minutes hours "
                            f"day-of-month month day-of-week year). Supported forms: {SUPPORTED_FORMS}.")
    minute, hour, day_of_month, month, day_of_week, year = fields
    if minute not in ("0", "00"):
        raise ScheduleError(f"Invalid ScheduleExpression {expression}: monitoring executions start on the hour, so the "
                            f"minutes field must be 0. Supported forms: {SUPPORTED_FORMS}.")
    if (day_of_month, day_of_week) not in (("?", "*"), ("*", "?")) or month != "*" or year != "*":
        raise ScheduleError(f"Invalid ScheduleExpression {expression}: schedules run every day, so day-of-month, "
                            f"month, day-of-week and year must be '? * * *'. Supported forms: {SUPPORTED_FORMS}.")
    if hour == "*":
        return ScheduleExpression(expression, "hourly", tuple(range(24)), 1)
    if "/" in hour:
        start_text, _, step_text = hour.partition("/")
        start = 0 if start_text == "*" else _hour(start_text, expression)
        if not step_text.isdigit() or not 1 <= int(step_text) <= 24:
            raise ScheduleError(f"Invalid ScheduleExpression {expression}: the interval in {hour!r} must be 1 to 24 "
                                f"hours. Supported forms: {SUPPORTED_FORMS}.")
        step = int(step_text)
        hours = tuple(range(start, 24, step))
        return ScheduleExpression(expression, "hourly" if step == 1 and start == 0 else "every", hours, step)
    if not hour.isdigit():
        raise unsupported
    return ScheduleExpression(expression, "daily", (_hour(hour, expression),), 24)


def parse_offset(text: str, field: str) -> timedelta:
    """:func:`sagewatch.job.execution_contract.parse_offset`, raising :class:`ScheduleError`.

    >>> parse_offset("-P1DT30M", "x")
    datetime.timedelta(days=-2, seconds=84600)
    """
    try:
        return contract.parse_offset(text, field)
    except contract.WindowError as error:
        raise ScheduleError(str(error)) from None


def analysis_window(expression: ScheduleExpression, scheduled: datetime, start_offset: str | None,
                    end_offset: str | None) -> contract.AnalysisWindow:
    """The window ``[start, end)`` an execution at *scheduled* analyses: the offsets, else the expression's
    default window (:func:`sagewatch.job.execution_contract.analysis_window`), raising :class:`ScheduleError`.

    >>> from datetime import timezone
    >>> t = datetime(2024, 5, 1, 11, tzinfo=timezone.utc)
    >>> [w.hour for w in analysis_window(parse_schedule_expression("cron(0 5 ? * * *)"), t, None, None)]
    [12, 11]
    """
    try:
        return contract.analysis_window(scheduled, start_offset, end_offset, default_hours=expression.default_hours)
    except contract.WindowError as error:
        raise ScheduleError(str(error)) from None
