"""The SageMaker Python SDK's alert methods (v2 and v3 lines) against the emulator.

The test creates an hourly data-quality schedule with boto3 and runs one execution over drifted traffic (its
default alert goes InAlert); the SDK script attaches a ``ModelMonitor`` to the schedule, lists its alerts,
updates the first one, lists again and reads the alert's history. The endpoint, baseline and helpers are those
of ``tests/e2e/test_monitoring_schedules.py``.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from test_monitoring_schedules import (  # noqa: F401 - fixtures used by name
    baseline,
    endpoint,
    inline_definition,
    module_bucket,
    past_traffic,
    post_json,
    wait_for_execution,
)

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("line", ["v2", "v3"])
def test_monitor_alert_methods(line, run_sdk, aws_client, endpoint_url, module_bucket, endpoint,  # noqa: F811
                               baseline, past_traffic, schedules, unique_name):  # noqa: F811
    sagemaker = aws_client("sagemaker")
    name = unique_name(f"sdk-{line}-alerts")
    schedules.append(name)
    sagemaker.create_monitoring_schedule(MonitoringScheduleName=name, MonitoringScheduleConfig={
        "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"},
        "MonitoringJobDefinition": inline_definition(endpoint, module_bucket, baseline)})
    scheduled = past_traffic + timedelta(hours=1)
    status, body = post_json(f"{endpoint_url}/_sagewatch/schedules/{name}/executions",
                             {"ScheduledTime": f"{scheduled:%Y-%m-%dT%H:%M:%SZ}"})
    assert status == 200, body
    assert wait_for_execution(sagemaker, name, scheduled_time=scheduled)["MonitoringExecutionStatus"] == (
        "CompletedWithViolations")
    alert_name = sagemaker.list_monitoring_alerts(MonitoringScheduleName=name)["MonitoringAlertSummaries"][0][
        "MonitoringAlertName"]

    result = run_sdk(line, "alerts", {"schedule": name})

    alert = {"name": alert_name, "status": "InAlert", "datapoints": 1, "period": 1, "dashboard_indicator": True,
             "created_before_modified": True}
    assert result["alerts"] == [alert] and result["next_token"] is None
    # 2 of the last 3: the one execution with violations is no longer enough
    assert result["updated"] == [{**alert, "status": "OK", "datapoints": 2, "period": 3}]
    assert result["history"] == [{"name": alert_name, "status": "OK"}, {"name": alert_name, "status": "InAlert"}]
    assert result["history_token"] is None and result["only_ok"] == 1
    assert result["single_value_update"] == "ParamValidationError"   # the SDK sends None (docs/sdk.md)
    assert result["datapoints_above_period"] == "ValidationException"
    summary = sagemaker.list_monitoring_alerts(MonitoringScheduleName=name)["MonitoringAlertSummaries"][0]
    assert (summary["DatapointsToAlert"], summary["EvaluationPeriod"]) == (2, 3)
