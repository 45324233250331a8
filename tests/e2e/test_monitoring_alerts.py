"""Monitoring alerts through boto3: the default alert of a schedule follows its executions' results.

An hourly data-quality schedule runs (through the run-now route) over captured traffic written straight to S3:
drifted traffic in the 10:00 hour, undrifted traffic in the 12:00 and 13:00 hours. The endpoint, baseline and
helpers are those of ``test_monitoring_schedules.py``.
"""

from datetime import timedelta

import pytest
from botocore.exceptions import ClientError
from test_monitoring_schedules import (  # noqa: F401 - fixtures used by name
    PAST_HOUR,
    baseline,
    endpoint,
    inline_definition,
    module_bucket,
    past_traffic,
    post_json,
    schedules,
    wait_for_execution,
    write_captures,
)

pytestmark = pytest.mark.e2e

SUMMARY_KEYS = {"MonitoringAlertName", "CreationTime", "LastModifiedTime", "AlertStatus", "DatapointsToAlert",
                "EvaluationPeriod", "Actions"}


@pytest.fixture(scope="module")
def clean_traffic(aws_client, module_bucket, endpoint):  # noqa: F811
    """Undrifted traffic captured during the two hours after PAST_HOUR + 1 h (12:00 and 13:00)."""
    for hour in (2, 3):
        write_captures(aws_client("s3"), module_bucket, endpoint, PAST_HOUR + timedelta(hours=hour, minutes=2), 600)
    return [PAST_HOUR + timedelta(hours=3), PAST_HOUR + timedelta(hours=4)]


def run(endpoint_url, sagemaker, schedule, scheduled):
    status, body = post_json(f"{endpoint_url}/_sagewatch/schedules/{schedule}/executions",
                             {"ScheduledTime": f"{scheduled:%Y-%m-%dT%H:%M:%SZ}"})
    assert status == 200, body
    return wait_for_execution(sagemaker, schedule, scheduled_time=scheduled)["MonitoringExecutionStatus"]


def the_alert(sagemaker, schedule):
    summaries = sagemaker.list_monitoring_alerts(MonitoringScheduleName=schedule)["MonitoringAlertSummaries"]
    assert len(summaries) == 1
    return summaries[0]


def test_alert_follows_executions(aws_client, endpoint_url, module_bucket, endpoint, baseline,  # noqa: F811
                                  past_traffic, clean_traffic, schedules, unique_name):  # noqa: F811
    sagemaker = aws_client("sagemaker")
    name = unique_name("alerts")
    schedules.append(name)
    arn = sagemaker.create_monitoring_schedule(MonitoringScheduleName=name, MonitoringScheduleConfig={
        "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"},
        "MonitoringJobDefinition": inline_definition(endpoint, module_bucket, baseline)})["MonitoringScheduleArn"]
    created = sagemaker.describe_monitoring_schedule(MonitoringScheduleName=name)["CreationTime"]

    alert = the_alert(sagemaker, name)
    assert set(alert) == SUMMARY_KEYS
    assert (alert["AlertStatus"], alert["DatapointsToAlert"], alert["EvaluationPeriod"]) == ("OK", 1, 1)
    assert alert["Actions"] == {"ModelDashboardIndicator": {"Enabled": True}}
    assert alert["CreationTime"] == alert["LastModifiedTime"] == created
    alert_name = alert["MonitoringAlertName"]
    assert sagemaker.list_monitoring_alert_history(MonitoringScheduleName=name)["MonitoringAlertHistory"] == []

    # a violation raises the alert (1 of 1)
    assert run(endpoint_url, sagemaker, name, past_traffic + timedelta(hours=1)) == "CompletedWithViolations"
    alert = the_alert(sagemaker, name)
    assert alert["AlertStatus"] == "InAlert" and alert["LastModifiedTime"] > created
    raised = sagemaker.list_monitoring_alert_history(MonitoringScheduleName=name)["MonitoringAlertHistory"]
    assert [(h["MonitoringScheduleName"], h["MonitoringAlertName"], h["AlertStatus"]) for h in raised] == [
        (name, alert_name, "InAlert")]

    # 1 of the last 2: one clean execution keeps it raised, the second clears it
    answer = sagemaker.update_monitoring_alert(MonitoringScheduleName=name, MonitoringAlertName=alert_name,
                                               DatapointsToAlert=1, EvaluationPeriod=2)
    assert (answer["MonitoringScheduleArn"], answer["MonitoringAlertName"]) == (arn, alert_name)
    alert = the_alert(sagemaker, name)
    assert (alert["AlertStatus"], alert["DatapointsToAlert"], alert["EvaluationPeriod"]) == ("InAlert", 1, 2)
    assert run(endpoint_url, sagemaker, name, clean_traffic[0]) == "Completed"
    assert the_alert(sagemaker, name)["AlertStatus"] == "InAlert"
    assert run(endpoint_url, sagemaker, name, clean_traffic[1]) == "Completed"
    assert the_alert(sagemaker, name)["AlertStatus"] == "OK"

    entries = sagemaker.list_monitoring_alert_history(MonitoringScheduleName=name,
                                                      MonitoringAlertName=alert_name)["MonitoringAlertHistory"]
    assert [h["AlertStatus"] for h in entries] == ["OK", "InAlert"]
    assert entries[0]["CreationTime"] > entries[1]["CreationTime"] == raised[0]["CreationTime"]
    ascending = sagemaker.list_monitoring_alert_history(MonitoringScheduleName=name, SortOrder="Ascending",
                                                        SortBy="CreationTime")["MonitoringAlertHistory"]
    assert ascending == entries[::-1]
    assert [h["AlertStatus"] for h in sagemaker.list_monitoring_alert_history(
        MonitoringScheduleName=name, StatusEquals="OK")["MonitoringAlertHistory"]] == ["OK"]
    assert sagemaker.list_monitoring_alert_history(
        MonitoringScheduleName=name, CreationTimeAfter=entries[0]["CreationTime"] + timedelta(seconds=1)
    )["MonitoringAlertHistory"] == []
    paged = [h for page in sagemaker.get_paginator("list_monitoring_alert_history").paginate(
        MonitoringScheduleName=name, PaginationConfig={"PageSize": 1}) for h in page["MonitoringAlertHistory"]]
    assert paged == entries

    # alerts go with their schedule
    sagemaker.delete_monitoring_schedule(MonitoringScheduleName=name)
    with pytest.raises(ClientError) as error:
        sagemaker.list_monitoring_alerts(MonitoringScheduleName=name)
    assert error.value.response["Error"]["Code"] == "ResourceNotFound"


def test_alert_errors(aws_client, module_bucket, endpoint, baseline, schedules, unique_name):  # noqa: F811
    sagemaker = aws_client("sagemaker")
    name = unique_name("alert-errors")
    schedules.append(name)
    sagemaker.create_monitoring_schedule(MonitoringScheduleName=name, MonitoringScheduleConfig={
        "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"},
        "MonitoringJobDefinition": inline_definition(endpoint, module_bucket, baseline)})
    alert_name = the_alert(sagemaker, name)["MonitoringAlertName"]

    def code(call, **request):
        with pytest.raises(ClientError) as error:
            call(**request)
        return (error.value.response["Error"]["Code"], error.value.response["ResponseMetadata"]["HTTPStatusCode"],
                error.value.response["Error"]["Message"])

    update = sagemaker.update_monitoring_alert
    assert code(update, MonitoringScheduleName=name, MonitoringAlertName=alert_name, DatapointsToAlert=3,
                EvaluationPeriod=2) == ("ValidationException", 400, "DatapointsToAlert (3) must be less than or "
                                                                     "equal to EvaluationPeriod (2).")
    assert code(update, MonitoringScheduleName=name, MonitoringAlertName=alert_name, DatapointsToAlert=1,
                EvaluationPeriod=101)[:2] == ("ValidationException", 400)
    assert code(update, MonitoringScheduleName=name, MonitoringAlertName="no-such-alert", DatapointsToAlert=1,
                EvaluationPeriod=1)[:2] == ("ResourceNotFound", 400)
    assert code(update, MonitoringScheduleName=f"{name}-gone", MonitoringAlertName=alert_name, DatapointsToAlert=1,
                EvaluationPeriod=1)[:2] == ("ResourceNotFound", 400)
    assert code(sagemaker.list_monitoring_alerts, MonitoringScheduleName=f"{name}-gone")[:2] == ("ResourceNotFound", 400)
    assert code(sagemaker.list_monitoring_alert_history, MonitoringScheduleName=f"{name}-gone")[:2] == (
        "ResourceNotFound", 400)
    assert code(sagemaker.list_monitoring_alert_history, MonitoringScheduleName=name,
                MonitoringAlertName="no-such-alert")[:2] == ("ResourceNotFound", 400)
    assert code(sagemaker.list_monitoring_alert_history, MonitoringScheduleName=name, MaxResults=101)[:2] == (
        "ValidationException", 400)
    # nothing changed
    alert = the_alert(sagemaker, name)
    assert (alert["DatapointsToAlert"], alert["EvaluationPeriod"]) == (1, 1)
