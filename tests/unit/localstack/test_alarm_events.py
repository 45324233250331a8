"""CloudWatch alarm state change events (contract §8.2): the event builder and the history watcher.

The watcher runs on real LocalStack stores, and the state changes are made by LocalStack's own
``CloudwatchProvider._update_state``, so the history items look exactly like the running provider's.
"""

import doctest
import json
import threading
import time
from datetime import UTC, datetime, timedelta
from importlib import metadata
from types import SimpleNamespace

import pytest

pytest.importorskip("localstack", reason="the plugin modules import LocalStack (extra 'localstack')")

from localstack.services.cloudwatch.models import (  # noqa: E402
    CloudWatchStore,
    LocalStackCompositeAlarm,
    LocalStackMetricAlarm,
)
from localstack.services.cloudwatch.provider_v2 import CloudwatchProvider  # noqa: E402
from localstack.services.stores import AccountRegionBundle  # noqa: E402

from sagewatch.localstack import alarm_events  # noqa: E402
from sagewatch.localstack.alarm_events import (  # noqa: E402
    AlarmEventWatcher,
    alarm_configuration,
    alarm_state_change_event,
    put_events_entry,
)

ACCOUNT, REGION = "000000000000", "us-east-1"
ARN = f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:drift"
T_OLD = datetime(2019, 10, 1, 13, 56, 40, 987000, tzinfo=UTC)
T_NEW = datetime(2019, 10, 2, 17, 4, 40, 989000, tzinfo=UTC)


def history_item(old=("OK", "was fine"), new=("ALARM", "too high", {"version": "1.0", "threshold": 0.1}),
                 timestamp=T_OLD, name="drift", kind="StateUpdate"):
    return {
        "Timestamp": timestamp, "HistoryItemType": kind, "AlarmName": name, "AlarmType": "MetricAlarm",
        "HistorySummary": f"Alarm updated from {old[0]} to {new[0]}",
        "HistoryData": json.dumps({"version": "1.0", "oldState": {"stateValue": old[0], "stateReason": old[1]},
                                   "newState": {"stateValue": new[0], "stateReason": new[1],
                                                "stateReasonData": new[2]}}),
    }


METRIC_ALARM = {
    "AlarmName": "drift", "AlarmArn": ARN, "AlarmDescription": "feature drift",
    "MetricName": "feature_baseline_drift_age", "Namespace": "aws/sagemaker/Endpoints/data-metrics",
    "Dimensions": [{"Name": "Endpoint", "Value": "ep"}, {"Name": "MonitoringSchedule", "Value": "sched"}],
    "Period": 3600, "Statistic": "Maximum", "EvaluationPeriods": 1, "Threshold": 0.1,
    "ComparisonOperator": "GreaterThanThreshold", "StateValue": "ALARM",
}


# ---------------------------------------------------------------------------------------------------------
# The event


def test_event_has_the_exact_shape_of_the_contract():
    event = alarm_state_change_event(history_item(), METRIC_ALARM, account_id=ACCOUNT, region=REGION,
                                     alarm_arn=ARN, state_time=T_NEW,
                                     previous_reason_data={"version": "1.0", "threshold": 0.1},
                                     event_id="c4c1c1c9-6542-e61b-6ef0-8c4d36933a92")
    metric_id = event["detail"]["configuration"]["metrics"][0]["id"]
    assert event == {
        "version": "0",
        "id": "c4c1c1c9-6542-e61b-6ef0-8c4d36933a92",
        "detail-type": "CloudWatch Alarm State Change",
        "source": "aws.cloudwatch",
        "account": ACCOUNT,
        "time": "2019-10-02T17:04:40Z",
        "region": REGION,
        "resources": [ARN],
        "detail": {
            "alarmName": "drift",
            "configuration": {
                "description": "feature drift",
                "metrics": [{
                    "id": metric_id,
                    "metricStat": {
                        "metric": {"dimensions": {"Endpoint": "ep", "MonitoringSchedule": "sched"},
                                   "name": "feature_baseline_drift_age",
                                   "namespace": "aws/sagemaker/Endpoints/data-metrics"},
                        "period": 3600,
                        "stat": "Maximum"},
                    "returnData": True}]},
            "previousState": {"reason": "was fine", "reasonData": '{"version":"1.0","threshold":0.1}',
                              "timestamp": "2019-10-01T13:56:40.987+0000", "value": "OK"},
            "state": {"reason": "too high", "reasonData": '{"version":"1.0","threshold":0.1}',
                      "timestamp": "2019-10-02T17:04:40.989+0000", "value": "ALARM"},
        },
    }
    # the metric id is a UUID, the same for every event of the alarm
    assert len(metric_id) == 36 and metric_id == alarm_configuration(METRIC_ALARM)["metrics"][0]["id"]
    assert list(event["detail"]["state"]) == ["reason", "reasonData", "timestamp", "value"]


def test_event_without_reason_data_has_no_reason_data_key():
    item = history_item(old=("INSUFFICIENT_DATA", "Unchecked: Initial alarm creation"), new=("OK", "set", None))
    event = alarm_state_change_event(item, None, account_id=ACCOUNT, region=REGION, alarm_arn=ARN,
                                     state_time=T_NEW)
    assert event["detail"]["previousState"] == {"reason": "Unchecked: Initial alarm creation",
                                                "timestamp": "2019-10-01T13:56:40.987+0000",
                                                "value": "INSUFFICIENT_DATA"}
    assert event["detail"]["state"] == {"reason": "set", "timestamp": "2019-10-02T17:04:40.989+0000",
                                        "value": "OK"}
    assert event["detail"]["configuration"] == {}  # alarm unknown
    assert len(event["id"]) == 36


def test_null_values_localstack_adds_to_reason_data_are_dropped():
    item = history_item(new=("ALARM", "r", {"x": 1, "startDate": None, "version": "1.0"}))
    event = alarm_state_change_event(item, METRIC_ALARM, account_id=ACCOUNT, region=REGION, alarm_arn=ARN,
                                     state_time=T_NEW)
    assert event["detail"]["state"]["reasonData"] == '{"x":1,"version":"1.0"}'


def test_naive_times_are_local_times():
    naive = datetime(2024, 5, 1, 12, 0, 0, 123456)
    assert alarm_events.state_timestamp(naive) == f"{naive.astimezone(UTC):%Y-%m-%dT%H:%M:%S}.123+0000"


def test_configuration_without_description_and_dimensions():
    alarm = {k: v for k, v in METRIC_ALARM.items() if k not in ("AlarmDescription", "Dimensions")}
    config = alarm_configuration(alarm)
    assert list(config) == ["metrics"]
    assert config["metrics"][0]["metricStat"]["metric"]["dimensions"] == {}


def test_configuration_of_an_extended_statistic():
    alarm = {**METRIC_ALARM, "ExtendedStatistic": "p99"}
    del alarm["Statistic"]
    assert alarm_configuration(alarm)["metrics"][0]["metricStat"]["stat"] == "p99"


def test_configuration_of_a_metric_math_alarm():
    alarm = {"AlarmName": "math", "AlarmArn": ARN, "Metrics": [
        {"Id": "e1", "Expression": "m1 * 100", "Label": "percent", "ReturnData": True},
        {"Id": "m1", "ReturnData": False, "MetricStat": {
            "Metric": {"Namespace": "N", "MetricName": "M", "Dimensions": [{"Name": "A", "Value": "b"}]},
            "Period": 60, "Stat": "Sum"}},
    ]}
    assert alarm_configuration(alarm) == {"metrics": [
        {"expression": "m1 * 100", "id": "e1", "label": "percent", "returnData": True},
        {"id": "m1", "metricStat": {"metric": {"dimensions": {"A": "b"}, "name": "M", "namespace": "N"},
                                    "period": 60, "stat": "Sum"}, "returnData": False},
    ]}


def test_configuration_of_a_composite_alarm():
    alarm = {"AlarmName": "any", "AlarmArn": ARN, "AlarmDescription": "d", "AlarmRule": "ALARM(a) OR ALARM(b)",
             "ActionsSuppressor": "down", "ActionsSuppressorWaitPeriod": 120}
    assert alarm_configuration(alarm) == {"description": "d", "alarmRule": "ALARM(a) OR ALARM(b)",
                                          "actionsSuppressor": "down", "actionsSuppressorWaitPeriod": 120}


def test_put_events_entry():
    event = alarm_state_change_event(history_item(), METRIC_ALARM, account_id=ACCOUNT, region=REGION,
                                     alarm_arn=ARN, state_time=T_NEW)
    entry = put_events_entry(event)
    assert entry == {"Source": "aws.cloudwatch", "DetailType": "CloudWatch Alarm State Change",
                     "Detail": json.dumps(event["detail"]), "Resources": [ARN],
                     "Time": datetime(2019, 10, 2, 17, 4, 40, tzinfo=UTC), "EventBusName": "default"}


def test_docstring_examples():
    result = doctest.testmod(alarm_events, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0


# ---------------------------------------------------------------------------------------------------------
# The watcher, on real stores changed by LocalStack's own provider code


class Cloudwatch:
    """LocalStack's alarm bookkeeping (models + ``CloudwatchProvider._update_state``) on a private bundle."""

    def __init__(self):
        self.stores = AccountRegionBundle("cloudwatch", CloudWatchStore)

    def get_store(self, account_id, region):
        return self.stores[account_id][region]

    def put_alarm(self, name="drift", account=ACCOUNT, region=REGION, **extra):
        alarm = LocalStackMetricAlarm(account, region, {**{k: v for k, v in METRIC_ALARM.items()
                                                           if k not in ("AlarmArn", "StateValue")},
                                                        "AlarmName": name, **extra})
        self.get_store(account, region).alarms[alarm.alarm["AlarmArn"]] = alarm
        return alarm

    def put_composite(self, name, rule, account=ACCOUNT, region=REGION):
        alarm = LocalStackCompositeAlarm(account, region, {"AlarmName": name, "AlarmRule": rule})
        self.get_store(account, region).alarms[alarm.alarm["AlarmArn"]] = alarm
        return alarm

    def set_state(self, alarm, value, reason="manual", data=None):
        context = SimpleNamespace(account_id=alarm.account_id, region=alarm.region)
        CloudwatchProvider._update_state(self, context, alarm, value, reason, data)


class Sink:
    def __init__(self):
        self.calls = []

    def __call__(self, entries, account_id, region):
        self.calls.append((account_id, region, entries))

    @property
    def events(self):
        return [{**json.loads(e["Detail"]), "_time": e["Time"], "_where": (a, r), "_resources": e["Resources"]}
                for a, r, entries in self.calls for e in entries]


@pytest.fixture
def cw():
    return Cloudwatch()


@pytest.fixture
def sink():
    return Sink()


@pytest.fixture
def watcher(cw, sink):
    w = AlarmEventWatcher(cw.stores, sink, lock=threading.RLock(), interval=0.05)
    w.prime()
    return w


def test_items_existing_at_start_are_not_sent(cw, sink):
    alarm = cw.put_alarm()
    cw.set_state(alarm, "ALARM")
    cw.set_state(alarm, "OK")
    watcher = AlarmEventWatcher(cw.stores, sink, lock=threading.RLock())
    watcher.prime()
    assert watcher.poll() == 0
    cw.set_state(alarm, "ALARM", "again")
    assert watcher.poll() == 1
    [event] = sink.events
    assert event["state"]["reason"] == "again" and event["previousState"]["value"] == "OK"


def test_each_state_change_is_sent_once_with_its_times(cw, sink, watcher):
    alarm = cw.put_alarm()
    created = alarm.alarm["StateUpdatedTimestamp"]
    cw.set_state(alarm, "ALARM", "too high", {"threshold": 0.1})
    assert watcher.poll() == 1
    assert watcher.poll() == 0
    [(account, region, [entry])] = sink.calls
    assert (account, region) == (ACCOUNT, REGION)
    assert entry["Source"] == "aws.cloudwatch" and entry["EventBusName"] == "default"
    event = json.loads(entry["Detail"])
    assert event["alarmName"] == "drift" and entry["Resources"] == [alarm.alarm["AlarmArn"]]
    assert event["previousState"] == {"reason": "Unchecked: Initial alarm creation",
                                      "timestamp": alarm_events.state_timestamp(created),
                                      "value": "INSUFFICIENT_DATA"}
    changed = alarm.alarm["StateUpdatedTimestamp"]
    assert event["state"] == {"reason": "too high", "reasonData": '{"threshold":0.1,"version":"1.0"}',
                              "timestamp": alarm_events.state_timestamp(changed), "value": "ALARM"}
    assert entry["Time"] == alarm_events._utc(changed).replace(microsecond=0)
    assert event["configuration"]["metrics"][0]["metricStat"]["metric"]["name"] == "feature_baseline_drift_age"


def test_several_changes_between_looks_are_sent_in_order(cw, sink, watcher):
    alarm = cw.put_alarm()
    cw.set_state(alarm, "ALARM", "up", {"n": 1})
    first_change = alarm.alarm["StateUpdatedTimestamp"]
    cw.set_state(alarm, "OK", "down", {"n": 2})
    cw.set_state(alarm, "ALARM", "up again", {"n": 3})
    assert watcher.poll() == 3
    a, b, c = sink.events
    assert [e["state"]["value"] for e in (a, b, c)] == ["ALARM", "OK", "ALARM"]
    # each state's time is the next change's previous-state time, and the reason data follows along
    assert a["state"]["timestamp"] == b["previousState"]["timestamp"] == alarm_events.state_timestamp(first_change)
    assert b["state"]["timestamp"] == c["previousState"]["timestamp"]
    assert c["state"]["timestamp"] == alarm_events.state_timestamp(alarm.alarm["StateUpdatedTimestamp"])
    assert json.loads(b["previousState"]["reasonData"])["n"] == 1
    assert json.loads(c["previousState"]["reasonData"])["n"] == 2


def test_other_history_items_are_ignored(cw, sink, watcher):
    cw.get_store(ACCOUNT, REGION).histories.append(history_item(kind="ConfigurationUpdate"))
    assert watcher.poll() == 0


def test_new_accounts_and_regions_are_watched(cw, sink, watcher):
    cw.set_state(cw.put_alarm(account="111111111111", region="eu-west-1"), "ALARM")
    assert watcher.poll() == 1
    assert sink.events[0]["_where"] == ("111111111111", "eu-west-1")
    assert sink.events[0]["_resources"] == ["arn:aws:cloudwatch:eu-west-1:111111111111:alarm:drift"]


def test_cleared_history_keeps_working(cw, sink, watcher):
    alarm = cw.put_alarm()
    cw.set_state(alarm, "ALARM")
    cw.set_state(alarm, "OK")
    assert watcher.poll() == 2
    cw.get_store(ACCOUNT, REGION).histories.clear()
    assert watcher.poll() == 0
    cw.set_state(alarm, "ALARM", "after clear")
    assert watcher.poll() == 1
    # cleared and refilled past the old length between two looks
    cw.set_state(alarm, "OK", "x")
    assert watcher.poll() == 1
    cw.get_store(ACCOUNT, REGION).histories.clear()
    for value in ("ALARM", "OK", "ALARM", "OK"):
        cw.set_state(alarm, value, "refill")
    assert watcher.poll() == 4
    assert [e["state"]["reason"] for e in sink.events][-6:] == ["after clear", "x"] + ["refill"] * 4


def test_reset_stores_keep_working(cw, sink, watcher):
    alarm = cw.put_alarm()
    cw.set_state(alarm, "ALARM")
    assert watcher.poll() == 1
    cw.stores.reset()  # what a state reset does: new store objects, new history lists
    assert watcher.poll() == 0
    cw.set_state(cw.put_alarm(), "ALARM", "after reset")
    assert watcher.poll() == 1
    assert sink.events[-1]["state"]["reason"] == "after reset"


def test_restored_old_changes_are_not_replayed(cw, sink, watcher):
    # a store that appears with history from before the watcher started (persistence): nothing is sent
    alarm = cw.put_alarm()
    cw.set_state(alarm, "ALARM")
    store = cw.get_store(ACCOUNT, REGION)
    long_ago = datetime.now(UTC) - timedelta(hours=1)
    store.histories[-1]["Timestamp"] = long_ago - timedelta(minutes=5)
    alarm.alarm["StateUpdatedTimestamp"] = long_ago
    assert watcher.poll() == 0
    cw.set_state(alarm, "OK", "new")
    assert watcher.poll() == 1
    assert sink.events[0]["state"]["reason"] == "new"


def test_item_waits_for_its_alarm_to_be_updated(cw, sink, watcher):
    # without the provider's lock the watcher may see the item before the alarm shows the new state
    alarm = cw.put_alarm()
    store = cw.get_store(ACCOUNT, REGION)
    store.histories.append(history_item(old=("INSUFFICIENT_DATA", "Unchecked: Initial alarm creation"),
                                        new=("ALARM", "pending", None),
                                        timestamp=alarm.alarm["StateUpdatedTimestamp"]))
    assert watcher.poll() == 0
    changed = datetime.now(UTC)
    alarm.alarm.update(StateValue="ALARM", StateReason="pending", StateUpdatedTimestamp=changed)
    assert watcher.poll() == 1
    assert watcher.poll() == 0
    assert sink.events[0]["state"]["timestamp"] == alarm_events.state_timestamp(changed)


def test_item_whose_alarm_never_updates_is_sent_after_a_while(cw, sink):
    watcher = AlarmEventWatcher(cw.stores, sink, lock=threading.RLock(), settle_seconds=0.2)
    watcher.prime()
    alarm = cw.put_alarm()
    cw.get_store(ACCOUNT, REGION).histories.append(history_item(
        timestamp=alarm.alarm["StateUpdatedTimestamp"], new=("ALARM", "stuck", None)))
    assert watcher.poll() == 0
    time.sleep(0.25)
    assert watcher.poll() == 1
    assert watcher.poll() == 0


def test_deleted_alarm_keeps_its_configuration(cw, sink, watcher):
    alarm = cw.put_alarm()
    assert watcher.poll() == 0  # the watcher has seen the alarm
    cw.set_state(alarm, "ALARM")
    cw.get_store(ACCOUNT, REGION).alarms.pop(alarm.alarm["AlarmArn"])
    assert watcher.poll() == 1
    assert sink.events[0]["configuration"]["description"] == "feature drift"


def test_composite_alarm_changes_are_sent(cw, sink, watcher):
    composite = cw.put_composite("any", "ALARM(drift)")
    cw.set_state(composite, "ALARM", "drift transitioned", {"triggeringAlarms": [{"arn": ARN}]})
    assert watcher.poll() == 1
    [event] = sink.events
    assert event["configuration"] == {"alarmRule": "ALARM(drift)"}
    assert event["state"]["value"] == "ALARM"
    assert json.loads(event["state"]["reasonData"]) == {"triggeringAlarms": [{"arn": ARN}]}


def test_failing_puts_are_logged_and_not_retried(cw, caplog):
    calls = []

    def put(entries, account_id, region):
        calls.append(entries)
        raise RuntimeError("EventBridge is down")

    watcher = AlarmEventWatcher(cw.stores, put, lock=threading.RLock())
    watcher.prime()
    cw.set_state(cw.put_alarm(), "ALARM")
    assert watcher.poll() == 0
    assert watcher.poll() == 0
    assert len(calls) == 1
    assert "could not put" in caplog.text


def test_more_than_ten_changes_are_put_in_chunks(cw, sink, watcher):
    alarm = cw.put_alarm()
    for n in range(23):
        cw.set_state(alarm, ("ALARM", "OK")[n % 2], f"n{n}")
    assert watcher.poll() == 23
    assert [len(entries) for _, _, entries in sink.calls] == [10, 10, 3]


def test_thread_sends_survives_errors_and_stops(cw, sink):
    stop = threading.Event()
    broken = {"once": True}

    def flaky_put(entries, account_id, region):
        if broken.pop("once", False):
            raise RuntimeError("boom")
        sink(entries, account_id, region)

    watcher = AlarmEventWatcher(cw.stores, flaky_put, lock=threading.RLock(), interval=0.02, stop_event=stop)
    watcher.start()
    try:
        alarm = cw.put_alarm()
        cw.set_state(alarm, "ALARM", "lost")
        deadline = time.monotonic() + 5
        while broken and time.monotonic() < deadline:
            time.sleep(0.01)
        cw.set_state(alarm, "OK", "delivered")
        while not sink.calls and time.monotonic() < deadline:
            time.sleep(0.01)
        assert [e["state"]["reason"] for e in sink.events] == ["delivered"]
        assert watcher.is_alive()
    finally:
        stop.set()
        watcher._thread.join(2)
    assert not watcher.is_alive()


def test_hook_is_an_on_infra_start_plugin_and_installed():
    spec = alarm_events.start_alarm_event_watcher.__pluginspec__
    assert spec.namespace == "localstack.hooks.on_infra_start"
    assert spec.name == "start_alarm_event_watcher"
    installed = {ep.name: ep.value for ep in metadata.distribution("sagewatch").entry_points
                 if ep.group == "localstack.hooks.on_infra_start"}
    assert installed["start_alarm_event_watcher"] == "sagewatch.localstack.alarm_events:start_alarm_event_watcher"


def test_hook_starts_one_watcher(monkeypatch):
    started = []

    class FakeWatcher:
        def __init__(self, stop_event=None):
            self.stop_event = stop_event

        def start(self):
            started.append(self)
            return self

        def is_alive(self):
            return True

    monkeypatch.setattr(alarm_events, "AlarmEventWatcher", FakeWatcher)
    monkeypatch.setattr(alarm_events, "_watcher", None)
    alarm_events.start_alarm_event_watcher()
    alarm_events.start_alarm_event_watcher()
    from localstack.runtime import events as runtime_events

    assert len(started) == 1 and started[0].stop_event is runtime_events.infra_stopping
