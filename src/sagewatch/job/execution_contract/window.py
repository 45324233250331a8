"""The window of one execution and its hour folders (contract §9.3); standard library only."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import NamedTuple

from sagewatch.errors import InvalidParameterError

__all__ = ["WindowError", "AnalysisWindow", "ground_truth_hours", "floor_hour", "parse_offset", "analysis_window"]


class WindowError(InvalidParameterError):
    """A window offset is malformed or the window is empty; the message says which."""



# --- the window ---------------------------------------------------------------------------------------------------


class AnalysisWindow(NamedTuple):
    """The window ``[start, end)`` of one execution, in UTC."""

    start: datetime
    end: datetime

    @property
    def hours(self) -> list[datetime]:
        """The UTC hour folders that hold records of the window.

        Examples
        --------
        >>> utc = timezone.utc
        >>> w = AnalysisWindow(datetime(2024, 5, 1, 9, 30, tzinfo=utc), datetime(2024, 5, 1, 11, tzinfo=utc))
        >>> [h.hour for h in w.hours]
        [9, 10]
        """
        hours, hour = [], floor_hour(self.start)
        while hour < self.end:
            hours.append(hour)
            hour += timedelta(hours=1)
        return hours


def ground_truth_hours(window: AnalysisWindow, scheduled: datetime) -> list[datetime]:
    """The ground-truth hour folders a model-quality execution reads: the window's first hour to the scheduled
    hour. The folders are named after the hour labels were collected, not the hour of the inference (contract
    §2.2), so labels uploaded after the window, before the execution runs, are merged too.

    Examples
    --------
    >>> t = datetime(2024, 5, 1, 11, 5, tzinfo=timezone.utc)
    >>> [h.hour for h in ground_truth_hours(AnalysisWindow(t - timedelta(hours=2), t - timedelta(hours=1)), t)]
    [9, 10, 11]
    """
    hours, hour, last = [], floor_hour(window.start), floor_hour(max(_utc(scheduled), window.end))
    while hour <= last:
        hours.append(hour)
        hour += timedelta(hours=1)
    return hours


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def floor_hour(moment: datetime) -> datetime:
    """The UTC hour that holds *moment* (a naive time is taken as UTC)."""
    return _utc(moment).replace(minute=0, second=0, microsecond=0)


_OFFSET = re.compile(r"^-P(?:(?P<w>\d+)W)?(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+)S)?)?$")


def parse_offset(text: str, field: str) -> timedelta:
    """Parse a window offset: a negative ISO-8601 duration (``-PT1H``, ``-P1D``, ``-PT30M``, ``-P1DT2H``).

    Raises
    ------
    WindowError
        If *text* is not of the form ``-P[nW][nD][T[nH][nM][nS]]``.

    Examples
    --------
    >>> parse_offset("-PT1H", "DataAnalysisStartTime"), parse_offset("-PT0H", "DataAnalysisEndTime")
    (datetime.timedelta(days=-1, seconds=82800), datetime.timedelta(0))
    """
    match = _OFFSET.match((text or "").strip())
    if match is None or not any(match.groupdict().values()) or (text.strip().endswith("T")):
        raise WindowError(f"Invalid {field} {text!r}: it must be a negative ISO-8601 duration such as -PT1H, "
                          "-P1D or -PT30M.")
    parts = {key: int(value or 0) for key, value in match.groupdict().items()}
    return -timedelta(weeks=parts["w"], days=parts["d"], hours=parts["h"], minutes=parts["m"], seconds=parts["s"])


def analysis_window(scheduled: datetime, start_offset: str | None = None, end_offset: str | None = None, *,
                    default_hours: int | None) -> AnalysisWindow:
    """The window an execution at *scheduled* analyses (contract §9.3).

    Offsets (``DataAnalysisStartTime``/``EndTime``, or the input's ``StartTimeOffset``/``EndTimeOffset``)
    replace the default window of the *default_hours* before *scheduled*; a missing end offset means ``-PT0H``.
    ``default_hours=None`` (a one-time ``NOW`` schedule) requires offsets.

    Raises
    ------
    WindowError
        If an offset is malformed or missing, or the start is not before the end.

    Examples
    --------
    >>> t = datetime(2024, 5, 1, 11, tzinfo=timezone.utc)
    >>> [w.hour for w in analysis_window(t, default_hours=1)]
    [10, 11]
    >>> [w.isoformat() for w in analysis_window(t, "-P1D", "-PT1H", default_hours=None)]
    ['2024-04-30T11:00:00+00:00', '2024-05-01T10:00:00+00:00']
    """
    scheduled = _utc(scheduled)
    if start_offset is None and end_offset is None:
        if default_hours is None:
            raise WindowError("A NOW schedule needs DataAnalysisStartTime and DataAnalysisEndTime.")
        if default_hours < 1:
            raise WindowError(f"the default window must be at least one hour, not {default_hours}")
        return AnalysisWindow(scheduled - timedelta(hours=default_hours), scheduled)
    if start_offset is None:
        raise WindowError("DataAnalysisStartTime (or StartTimeOffset) is required when an end offset is given.")
    start = scheduled + parse_offset(start_offset, "DataAnalysisStartTime")
    end = scheduled + parse_offset(end_offset, "DataAnalysisEndTime") if end_offset else scheduled
    if start >= end:
        raise WindowError(f"The analysis window is empty: the start offset {start_offset} must come before the end "
                          f"offset {end_offset or '-PT0H'}.")
    return AnalysisWindow(start, end)
