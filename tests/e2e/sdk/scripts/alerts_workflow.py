"""The alert calls both SDK lines make on a ``ModelMonitor`` attached to a schedule (their method names and
arguments are the same); standard library and botocore only.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError, ParamValidationError


def _summary(alert: Any) -> dict[str, Any]:
    return {"name": alert.alert_name, "status": alert.alert_status, "datapoints": alert.data_points_to_alert,
            "period": alert.evaluation_period,
            "dashboard_indicator": alert.actions.model_dashboard_indicator.enabled,
            "created_before_modified": alert.creation_time <= alert.last_modified_time}


def run_alerts_workflow(monitor: Any) -> dict[str, Any]:
    """List the schedule's alerts, raise the first one's thresholds, list again, read its history."""
    alerts, next_token = monitor.list_monitoring_alerts()
    first = alerts[0]
    monitor.update_monitoring_alert(first.alert_name, data_points_to_alert=2, evaluation_period=3)
    updated, _ = monitor.list_monitoring_alerts(max_results=1)
    history, history_token = monitor.list_monitoring_alert_history(monitoring_alert_name=first.alert_name)
    only_ok, _ = monitor.list_monitoring_alert_history(status_equals="OK")
    # the SDK forwards None for a value left out, which botocore refuses before sending anything
    try:
        monitor.update_monitoring_alert(first.alert_name, data_points_to_alert=1, evaluation_period=None)
        single_value = "accepted"
    except ParamValidationError:
        single_value = "ParamValidationError"
    try:
        monitor.update_monitoring_alert(first.alert_name, data_points_to_alert=4, evaluation_period=3)
        too_many = "accepted"
    except ClientError as error:
        too_many = error.response["Error"]["Code"]
    return {
        "alerts": [_summary(alert) for alert in alerts], "next_token": next_token,
        "updated": [_summary(alert) for alert in updated],
        "history": [{"name": h.alert_name, "status": h.alert_status} for h in history],
        "history_token": history_token, "only_ok": len(only_ok),
        "single_value_update": single_value, "datapoints_above_period": too_many,
    }
