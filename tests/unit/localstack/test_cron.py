"""Schedule expressions, offsets and analysis windows of monitoring schedules (contract §9.3)."""

from datetime import datetime, timedelta, timezone

import pytest

from sagewatch.localstack.sagemaker.monitoring.cron import (
    ScheduleError,
    analysis_window,
    parse_offset,
    parse_schedule_expression,
)

UTC = timezone.utc


@pytest.mark.parametrize("text, kind, hours, interval", [
    ("cron(0 * ? * * *)", "hourly", tuple(range(24)), 1),
    ("cron(0 12 ? * * *)", "daily", (12,), 24),
    ("cron(0 05 ? * * *)", "daily", (5,), 24),
    ("cron(0 17/12 ? * * *)", "every", (17,), 12),
    ("cron(0 0/2 ? * * *)", "every", tuple(range(0, 24, 2)), 2),
    ("cron(0 */6 ? * * *)", "every", (0, 6, 12, 18), 6),
    ("cron(0 0/1 ? * * *)", "hourly", tuple(range(24)), 1),
    ("cron(0 3 * * ? *)", "daily", (3,), 24),
    ("NOW", "now", (), 0),
    ("now", "now", (), 0),
])
def test_supported_forms(text, kind, hours, interval):
    expression = parse_schedule_expression(text)
    assert (expression.kind, expression.hours, expression.interval) == (kind, hours, interval)


@pytest.mark.parametrize("text, fragment", [
    ("rate(1 hour)", "Model Monitor supports cron(0 * ? * * *) (hourly)"),
    ("cron(0 * ? * *)", "a cron expression has 6 fields"),
    ("cron(15 * ? * * *)", "the minutes field must be 0"),
    ("cron(0 * ? * MON-FRI *)", "schedules run every day"),
    ("cron(0 * 1 * ? *)", "schedules run every day"),
    ("cron(0 24 ? * * *)", "the hour '24' must be 0 to 23"),
    ("cron(0 1/0 ? * * *)", "the interval in '1/0' must be 1 to 24"),
    ("cron(0 1-5 ? * * *)", "Model Monitor supports"),
    ("", "Model Monitor supports"),
])
def test_other_expressions_are_refused_with_the_supported_forms(text, fragment):
    with pytest.raises(ScheduleError) as error:
        parse_schedule_expression(text)
    assert fragment in str(error.value)
    assert "NOW" in str(error.value)


def test_fire_times_follow_cron_semantics_across_midnight():
    every_six_from_five = parse_schedule_expression("cron(0 5/6 ? * * *)")
    assert every_six_from_five.hours == (5, 11, 17, 23)
    at = datetime(2024, 5, 2, 3, 30, tzinfo=UTC)
    assert every_six_from_five.latest_fire_time(at) == datetime(2024, 5, 1, 23, tzinfo=UTC)
    assert every_six_from_five.next_fire_time(at) == datetime(2024, 5, 2, 5, tzinfo=UTC)
    hourly = parse_schedule_expression("cron(0 * ? * * *)")
    assert hourly.latest_fire_time(datetime(2024, 5, 1, 11, 0, tzinfo=UTC)) == datetime(2024, 5, 1, 11, tzinfo=UTC)
    assert parse_schedule_expression("NOW").latest_fire_time(at) is None


def test_default_windows():
    t = datetime(2020, 2, 20, 5, tzinfo=UTC)
    assert analysis_window(parse_schedule_expression("cron(0 * ? * * *)"), t, None, None) == (
        t - timedelta(hours=1), t)
    # the Developer Guide's daily example: a job at 05:00 analyses 06:00 the day before to 05:00
    assert analysis_window(parse_schedule_expression("cron(0 5 ? * * *)"), t, None, None) == (
        datetime(2020, 2, 19, 6, tzinfo=UTC), t)
    assert analysis_window(parse_schedule_expression("cron(0 5/6 ? * * *)"), t, None, None) == (
        t - timedelta(hours=6), t)


def test_offsets_replace_the_default_window():
    t = datetime(2020, 1, 9, 13, tzinfo=UTC)
    daily = parse_schedule_expression("cron(0 13 ? * * *)")
    # the Developer Guide's model-quality example: -P8D to -P1D at 2020-01-09T13:00
    assert analysis_window(daily, t, "-P8D", "-P1D") == (datetime(2020, 1, 1, 13, tzinfo=UTC),
                                                         datetime(2020, 1, 8, 13, tzinfo=UTC))
    assert analysis_window(parse_schedule_expression("NOW"), t, "-PT90M", None) == (t - timedelta(minutes=90), t)


@pytest.mark.parametrize("start, end, fragment", [
    (None, None, "needs DataAnalysisStartTime and DataAnalysisEndTime"),
    (None, "-PT0H", "DataAnalysisStartTime (or StartTimeOffset) is required"),
    ("-PT1H", "-PT1H", "must come before the end offset"),
    ("PT1H", "-PT0H", "Invalid DataAnalysisStartTime 'PT1H'"),
    ("-P", "-PT0H", "Invalid DataAnalysisStartTime '-P'"),
    ("-PT", "-PT0H", "Invalid DataAnalysisStartTime '-PT'"),
    ("-PT1H", "-1H", "Invalid DataAnalysisEndTime '-1H'"),
])
def test_bad_now_windows(start, end, fragment):
    with pytest.raises(ScheduleError) as error:
        analysis_window(parse_schedule_expression("NOW"), datetime(2024, 1, 1, tzinfo=UTC), start, end)
    assert fragment in str(error.value)


def test_offsets_parse_weeks_days_hours_minutes_seconds():
    assert parse_offset("-P1W", "x") == -timedelta(weeks=1)
    assert parse_offset("-P2DT3H4M5S", "x") == -timedelta(days=2, hours=3, minutes=4, seconds=5)
    assert parse_offset(" -PT0M ", "x") == timedelta(0)
