"""Monitoring alerts in the emulator: the status rule, and the three handlers against botocore's service model."""

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

pytest.importorskip("localstack", reason="the services import LocalStack (extra 'localstack')")

from botocore.parsers import create_parser  # noqa: E402
from localstack.aws.protocol.serializer import create_serializer  # noqa: E402
from localstack.aws.spec import load_service  # noqa: E402

from sagewatch.localstack.errors import ResourceNotFound, ValidationException  # noqa: E402
from sagewatch.localstack.sagemaker.monitoring.alerts import DEFAULT_ALERT_NAME, AlertService, alert_status  # noqa: E402
from sagewatch.localstack.sagemaker.monitoring.jobdefs import JobDefinitionService  # noqa: E402
from sagewatch.localstack.sagemaker.monitoring.schedules import MonitoringService  # noqa: E402

UTC = timezone.utc
ACCOUNT, REGION = "000000000000", "us-east-1"
CONTEXT = SimpleNamespace(account_id=ACCOUNT, region=REGION)
ROLE = "arn:aws:iam::000000000000:role/r"
SERVICE = load_service("sagemaker")
START = datetime(2024, 5, 1, 10, tzinfo=UTC)


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now

    def tick(self, minutes=1):
        self.now += timedelta(minutes=minutes)
        return self.now


def inline(endpoint="ep"):
    return {
        "BaselineConfig": {"ConstraintsResource": {"S3Uri": "s3://b/base/constraints.json"}},
        "MonitoringInputs": [{"EndpointInput": {"EndpointName": endpoint, "LocalPath": "/opt/ml/processing/input"}}],
        "MonitoringOutputConfig": {"MonitoringOutputs": [{"S3Output": {"S3Uri": "s3://b/reports/",
                                                                       "LocalPath": "/opt/ml/processing/output"}}]},
        "MonitoringResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge",
                                                  "VolumeSizeInGB": 20}},
        "MonitoringAppSpecification": {"ImageUri": "sagewatch-analyzer"},
        "RoleArn": ROLE,
    }


@pytest.fixture
def clock():
    return Clock(START)


@pytest.fixture
def monitoring(clock):
    return MonitoringService(JobDefinitionService(clock), lambda service, schedule, execution: None, clock)


@pytest.fixture
def alerts(monitoring, clock):
    return AlertService(monitoring, clock)


def create_schedule(monitoring, name="sched"):
    return monitoring.handle_create(CONTEXT, {"MonitoringScheduleName": name, "MonitoringScheduleConfig": {
        "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"}, "MonitoringJobDefinition": inline()}})


def finish(monitoring, clock, name, *statuses):
    """One execution of schedule *name* per status, each created and ended a minute after the one before."""
    schedule = monitoring.get(ACCOUNT, REGION, name)
    for status in statuses:
        execution = monitoring.start_execution(schedule, clock.tick())
        monitoring.update_execution(execution, status="InProgress")
        clock.tick()
        monitoring.update_execution(execution, status=status)


def wire(operation, response):
    """*response* serialized by LocalStack as the service answers, and parsed back by botocore as a client does."""
    model = SERVICE.operation_model(operation)
    answer = create_serializer(SERVICE).serialize_to_response(response, model, {}, "request-id")
    return create_parser("json").parse({"status_code": answer.status_code, "headers": dict(answer.headers),
                                        "body": answer.data}, model.output_shape)


def history(alerts, **request):
    return alerts.handle_list_history(CONTEXT, request)["MonitoringAlertHistory"]


# --- the status rule -------------------------------------------------------------------------------------------

V, C, F, S = "CompletedWithViolations", "Completed", "Failed", "Stopped"


@pytest.mark.parametrize("statuses, datapoints, period, expected", [
    ([], 1, 1, "OK"),
    ([V], 1, 1, "InAlert"),
    ([V, C], 1, 1, "OK"),                # only the last execution counts
    ([V, C], 1, 2, "InAlert"),
    ([V, C, C], 1, 2, "OK"),
    ([V], 2, 3, "OK"),                   # the window is not full yet and one failure is not enough
    ([V, V], 2, 3, "InAlert"),           # ... two are, before the window is full
    ([V, V, C, C], 2, 3, "OK"),
    ([V, C, V], 2, 3, "InAlert"),
    ([V, C, C, V], 2, 3, "OK"),
    ([V, V, V], 3, 3, "InAlert"),
    ([V] * 99 + [C], 100, 100, "OK"),
])
def test_alert_status_counts_violations_among_the_last_evaluation_period(statuses, datapoints, period, expected):
    assert alert_status(statuses, datapoints_to_alert=datapoints, evaluation_period=period) == expected


def test_failed_and_stopped_executions_are_not_datapoints():
    assert alert_status([V, F, S, F], datapoints_to_alert=1, evaluation_period=1) == "InAlert"
    assert alert_status([C, F, F], datapoints_to_alert=1, evaluation_period=1) == "OK"
    assert alert_status([V, F, V], datapoints_to_alert=2, evaluation_period=2) == "InAlert"


# --- ListMonitoringAlerts --------------------------------------------------------------------------------------


def test_a_new_schedule_has_one_ok_default_alert(monitoring, alerts):
    create_schedule(monitoring)
    response = alerts.handle_list(CONTEXT, {"MonitoringScheduleName": "sched"})
    parsed = wire("ListMonitoringAlerts", response)
    assert parsed["MonitoringAlertSummaries"] == [{
        "MonitoringAlertName": DEFAULT_ALERT_NAME, "CreationTime": START, "LastModifiedTime": START,
        "AlertStatus": "OK", "DatapointsToAlert": 1, "EvaluationPeriod": 1,
        "Actions": {"ModelDashboardIndicator": {"Enabled": True}}}]
    assert "NextToken" not in parsed
    required = SERVICE.shape_for("MonitoringAlertSummary").required_members
    assert set(required) <= set(parsed["MonitoringAlertSummaries"][0])


def test_list_alerts_of_an_unknown_schedule_is_resource_not_found(monitoring, alerts):
    with pytest.raises(ResourceNotFound, match="monitoring-schedule/nope does not exist"):
        alerts.handle_list(CONTEXT, {"MonitoringScheduleName": "nope"})
    with pytest.raises(ValidationException, match="monitoringScheduleName"):
        alerts.handle_list(CONTEXT, {})
    create_schedule(monitoring)
    with pytest.raises(ValidationException, match="maxResults"):
        alerts.handle_list(CONTEXT, {"MonitoringScheduleName": "sched", "MaxResults": 0})


def test_an_execution_with_violations_raises_the_alert_and_a_clean_one_clears_it(monitoring, alerts, clock):
    create_schedule(monitoring)
    finish(monitoring, clock, "sched", C)
    assert alerts.handle_list(CONTEXT, {"MonitoringScheduleName": "sched"})["MonitoringAlertSummaries"][0][
        "AlertStatus"] == "OK"
    assert history(alerts, MonitoringScheduleName="sched") == []
    finish(monitoring, clock, "sched", V)
    raised = clock.now
    summary = alerts.handle_list(CONTEXT, {"MonitoringScheduleName": "sched"})["MonitoringAlertSummaries"][0]
    assert (summary["AlertStatus"], summary["LastModifiedTime"], summary["CreationTime"]) == ("InAlert", raised, START)
    finish(monitoring, clock, "sched", F, S)          # no data analysed: the alert keeps its status
    assert alerts.handle_list(CONTEXT, {"MonitoringScheduleName": "sched"})["MonitoringAlertSummaries"][0][
        "AlertStatus"] == "InAlert"
    finish(monitoring, clock, "sched", C)
    cleared = clock.now
    assert wire("ListMonitoringAlertHistory", {"MonitoringAlertHistory": history(alerts)})[
        "MonitoringAlertHistory"] == [
        {"MonitoringScheduleName": "sched", "MonitoringAlertName": DEFAULT_ALERT_NAME, "CreationTime": cleared,
         "AlertStatus": "OK"},
        {"MonitoringScheduleName": "sched", "MonitoringAlertName": DEFAULT_ALERT_NAME, "CreationTime": raised,
         "AlertStatus": "InAlert"},
    ]


# --- UpdateMonitoringAlert -------------------------------------------------------------------------------------


def test_update_sets_the_thresholds_and_reevaluates_at_once(monitoring, alerts, clock):
    create_schedule(monitoring)
    finish(monitoring, clock, "sched", V, C)          # with the default 1 of 1: InAlert, then OK
    assert [h["AlertStatus"] for h in history(alerts)] == ["OK", "InAlert"]
    updated = clock.tick()
    response = alerts.handle_update(CONTEXT, {"MonitoringScheduleName": "sched", "MonitoringAlertName":
                                              DEFAULT_ALERT_NAME, "DatapointsToAlert": 1, "EvaluationPeriod": 3})
    parsed = wire("UpdateMonitoringAlert", response)
    parsed.pop("ResponseMetadata", None)
    assert parsed == {"MonitoringScheduleArn": "arn:aws:sagemaker:us-east-1:000000000000:monitoring-schedule/sched",
                      "MonitoringAlertName": DEFAULT_ALERT_NAME}
    summary = alerts.handle_list(CONTEXT, {"MonitoringScheduleName": "sched"})["MonitoringAlertSummaries"][0]
    assert (summary["DatapointsToAlert"], summary["EvaluationPeriod"]) == (1, 3)
    assert (summary["AlertStatus"], summary["LastModifiedTime"]) == ("InAlert", updated)
    assert [(h["AlertStatus"], h["CreationTime"]) for h in history(alerts)][0] == ("InAlert", updated)
    # the new thresholds hold for the executions that follow: the violation stays in the window of 3 ...
    finish(monitoring, clock, "sched", C)
    assert len(history(alerts)) == 3
    # ... until three clean executions follow it
    finish(monitoring, clock, "sched", C)
    assert [h["AlertStatus"] for h in history(alerts)] == ["OK", "InAlert", "OK", "InAlert"]
    assert history(alerts)[0]["CreationTime"] == clock.now


@pytest.mark.parametrize("changes, error, message", [
    ({"DatapointsToAlert": 3, "EvaluationPeriod": 2}, ValidationException,
     r"DatapointsToAlert \(3\) must be less than or equal to EvaluationPeriod \(2\)"),
    ({"DatapointsToAlert": 0}, ValidationException, "'datapointsToAlert' failed to satisfy constraint: Member must have "
                                                    "value between 1 and 100"),
    ({"EvaluationPeriod": 101}, ValidationException, "'evaluationPeriod' failed to satisfy constraint"),
    ({"EvaluationPeriod": None}, ValidationException, "Value null at 'evaluationPeriod' failed to satisfy constraint: "
                                                      "Member must not be null"),
    ({"DatapointsToAlert": "2"}, ValidationException, "datapointsToAlert"),
    ({"MonitoringAlertName": "no-such-alert"}, ResourceNotFound,
     "Monitoring alert no-such-alert of monitoring schedule sched does not exist"),
    ({"MonitoringAlertName": "bad_name"}, ValidationException, "monitoringAlertName"),
    ({"MonitoringScheduleName": "other"}, ResourceNotFound, "monitoring-schedule/other does not exist"),
])
def test_update_errors(monitoring, alerts, changes, error, message):
    create_schedule(monitoring)
    request = {"MonitoringScheduleName": "sched", "MonitoringAlertName": DEFAULT_ALERT_NAME, "DatapointsToAlert": 2,
               "EvaluationPeriod": 3, **changes}
    with pytest.raises(error, match=message) as raised:
        alerts.handle_update(CONTEXT, {key: value for key, value in request.items() if value is not None})
    assert raised.value.status_code == 400
    summary = alerts.handle_list(CONTEXT, {"MonitoringScheduleName": "sched"})["MonitoringAlertSummaries"][0]
    assert (summary["DatapointsToAlert"], summary["EvaluationPeriod"]) == (1, 1)


# --- ListMonitoringAlertHistory --------------------------------------------------------------------------------


@pytest.fixture
def two_schedules(monitoring, clock):
    """Schedule ``a`` goes InAlert, OK, InAlert; ``b`` InAlert; returns the times of the four entries."""
    create_schedule(monitoring, "a")
    create_schedule(monitoring, "b")
    times = []
    for name, status in (("a", V), ("b", V), ("a", C), ("a", V)):
        finish(monitoring, clock, name, status)
        times.append(clock.now)
    return times


def test_history_of_every_schedule_newest_first(alerts, two_schedules):
    t1, t2, t3, t4 = two_schedules
    assert [(h["MonitoringScheduleName"], h["AlertStatus"], h["CreationTime"]) for h in history(alerts)] == [
        ("a", "InAlert", t4), ("a", "OK", t3), ("b", "InAlert", t2), ("a", "InAlert", t1)]


def test_history_filters(alerts, two_schedules):
    t1, t2, t3, t4 = two_schedules

    def names(**request):
        return [(h["MonitoringScheduleName"], h["CreationTime"]) for h in history(alerts, **request)]

    assert names(MonitoringScheduleName="b") == [("b", t2)]
    assert names(MonitoringScheduleName="a", StatusEquals="OK") == [("a", t3)]
    assert names(MonitoringAlertName=DEFAULT_ALERT_NAME, StatusEquals="InAlert") == [("a", t4), ("b", t2), ("a", t1)]
    # both bounds are included ("created on or before", "on or after")
    assert names(CreationTimeAfter=t2, CreationTimeBefore=t3) == [("a", t3), ("b", t2)]
    assert names(CreationTimeAfter=t4 + timedelta(seconds=1)) == []


def test_history_sort_and_pages(alerts, two_schedules):
    t1, t2, t3, t4 = two_schedules
    ascending = history(alerts, SortOrder="Ascending")
    assert [h["CreationTime"] for h in ascending] == [t1, t2, t3, t4]
    by_status = history(alerts, SortBy="Status", SortOrder="Ascending")
    assert [(h["AlertStatus"], h["CreationTime"]) for h in by_status] == [
        ("InAlert", t1), ("InAlert", t2), ("InAlert", t4), ("OK", t3)]
    first = alerts.handle_list_history(CONTEXT, {"MaxResults": 3})
    assert [h["CreationTime"] for h in first["MonitoringAlertHistory"]] == [t4, t3, t2]
    rest = alerts.handle_list_history(CONTEXT, {"MaxResults": 3, "NextToken": first["NextToken"]})
    assert [h["CreationTime"] for h in rest["MonitoringAlertHistory"]] == [t1] and "NextToken" not in rest


@pytest.mark.parametrize("request_, error, message", [
    ({"MonitoringScheduleName": "nope"}, ResourceNotFound, "monitoring-schedule/nope does not exist"),
    ({"MonitoringScheduleName": "a", "MonitoringAlertName": "other"}, ResourceNotFound,
     "Monitoring alert other of monitoring schedule a does not exist"),
    ({"MonitoringAlertName": "other"}, ResourceNotFound, "Monitoring alert other does not exist"),
    ({"StatusEquals": "Ok"}, ValidationException, r"statusEquals.*enum value set: \[InAlert, OK\]"),
    ({"SortBy": "Name"}, ValidationException, r"sortBy.*\[CreationTime, Status\]"),
    ({"SortOrder": "Up"}, ValidationException, "sortOrder"),
    ({"MaxResults": 101}, ValidationException, "maxResults"),
    ({"NextToken": "garbage"}, ValidationException, "Invalid pagination token"),
])
def test_history_errors(alerts, two_schedules, request_, error, message):
    with pytest.raises(error, match=message):
        alerts.handle_list_history(CONTEXT, request_)


def test_alerts_and_their_history_are_deleted_with_the_schedule(monitoring, alerts, clock, two_schedules):
    monitoring.handle_delete(CONTEXT, {"MonitoringScheduleName": "a"})
    with pytest.raises(ResourceNotFound):
        alerts.handle_list(CONTEXT, {"MonitoringScheduleName": "a"})
    assert [h["MonitoringScheduleName"] for h in history(alerts)] == ["b"]
    state = monitoring.store[ACCOUNT, REGION]
    assert set(state.alerts) == {"b"}
    create_schedule(monitoring, "a")   # a new schedule of the same name starts afresh
    summary = alerts.handle_list(CONTEXT, {"MonitoringScheduleName": "a"})["MonitoringAlertSummaries"][0]
    assert (summary["AlertStatus"], summary["CreationTime"]) == ("OK", clock.now)
    assert history(alerts, MonitoringScheduleName="a") == []


def test_the_provider_routes_the_alert_operations_to_the_alert_service():
    from sagewatch.localstack.sagemaker.provider import SageMakerProvider

    table = SageMakerProvider().dispatch_table()
    for operation in ("ListMonitoringAlerts", "UpdateMonitoringAlert", "ListMonitoringAlertHistory"):
        assert table[operation].__self__.__class__ is AlertService, operation


def test_docstring_examples():
    import doctest

    from sagewatch.localstack.sagemaker.monitoring import alerts as module

    result = doctest.testmod(module)
    assert result.failed == 0 and result.attempted > 0
