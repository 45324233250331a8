"""CloudWatch alarm state changes reach EventBridge rules as ``CloudWatch Alarm State Change`` events (§8.2).

LocalStack's CloudWatch sends no such events; the sagewatch plugin's watcher
(:mod:`sagewatch.localstack.alarm_events`) does. Everything here is what a user does with boto3.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

pytestmark = pytest.mark.e2e

ALARM_EVENTS = {"source": ["aws.cloudwatch"], "detail-type": ["CloudWatch Alarm State Change"]}
STATE_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$")
EVENT_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


class RuleQueue:
    """An EventBridge rule on the default bus with an SQS queue as its target."""

    def __init__(self, aws_client: Callable[[str], Any], name: str, pattern: dict[str, Any]) -> None:
        self.events, self.sqs = aws_client("events"), aws_client("sqs")
        self.rule = name
        self.url = self.sqs.create_queue(QueueName=name)["QueueUrl"]
        queue_arn = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        rule_arn = self.events.put_rule(Name=name, EventPattern=json.dumps(pattern))["RuleArn"]
        self.sqs.set_queue_attributes(QueueUrl=self.url, Attributes={"Policy": json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
                           "Action": "sqs:SendMessage", "Resource": queue_arn,
                           "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}}}]})})
        self.events.put_targets(Rule=name, Targets=[{"Id": "queue", "Arn": queue_arn}])
        self.received: list[dict[str, Any]] = []

    def collect(self, alarm_name: str, *, until: Callable[[list[dict[str, Any]]], bool],
                timeout: float) -> list[dict[str, Any]]:
        """Events of *alarm_name* received so far, waiting up to *timeout* s until ``until(events)`` holds."""
        deadline = time.monotonic() + timeout
        while True:
            for message in self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10,
                                                    WaitTimeSeconds=1).get("Messages", []):
                self.received.append({**json.loads(message["Body"]), "_received": time.monotonic()})
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
            mine = [e for e in self.received if e.get("detail", {}).get("alarmName") == alarm_name]
            if until(mine) or time.monotonic() >= deadline:
                return mine

    def delete(self) -> None:
        self.events.remove_targets(Rule=self.rule, Ids=["queue"])
        self.events.delete_rule(Name=self.rule)
        self.sqs.delete_queue(QueueUrl=self.url)


@pytest.fixture
def rule_queue(aws_client, unique_name) -> Iterator[Callable[[dict[str, Any]], RuleQueue]]:
    made: list[RuleQueue] = []

    def make(pattern: dict[str, Any]) -> RuleQueue:
        made.append(RuleQueue(aws_client, unique_name("alarm-rule"), pattern))
        return made[-1]

    yield make
    for item in made:
        item.delete()


@pytest.fixture
def alarm_name(aws_client, unique_name) -> Iterator[str]:
    name = unique_name("alarm")
    yield name
    aws_client("cloudwatch").delete_alarms(AlarmNames=[name])


def test_set_alarm_state_sends_one_matching_event(aws_client, rule_queue, alarm_name):
    cloudwatch = aws_client("cloudwatch")
    on_alarm = rule_queue({**ALARM_EVENTS, "detail": {"state": {"value": ["ALARM"]}}})
    every_change = rule_queue(ALARM_EVENTS)
    # an hour-long period: LocalStack's own evaluation (every period) stays out of the way
    cloudwatch.put_metric_alarm(
        AlarmName=alarm_name, AlarmDescription="drift of feature age", Namespace="sagewatch/e2e",
        MetricName="feature_baseline_drift_age", Dimensions=[{"Name": "Endpoint", "Value": "ep"}],
        Statistic="Maximum", Period=3600, EvaluationPeriods=1, Threshold=0.1,
        ComparisonOperator="GreaterThanThreshold")
    alarm_arn = cloudwatch.describe_alarms(AlarmNames=[alarm_name])["MetricAlarms"][0]["AlarmArn"]

    cloudwatch.set_alarm_state(AlarmName=alarm_name, StateValue="ALARM", StateReason="drift by hand",
                               StateReasonData=json.dumps({"threshold": 0.1}))
    changed = time.monotonic()
    events = on_alarm.collect(alarm_name, until=bool, timeout=10)
    assert events, "no CloudWatch Alarm State Change event within 10 s"
    events = on_alarm.collect(alarm_name, until=lambda e: len(e) > 1, timeout=2)  # and no second one
    assert len(events) == 1
    event = events[0]
    assert event["_received"] - changed < 5

    assert event["source"] == "aws.cloudwatch"
    assert event["detail-type"] == "CloudWatch Alarm State Change"
    assert event["account"] == "000000000000" and event["region"] == "us-east-1"
    assert event["resources"] == [alarm_arn]
    assert EVENT_TIME.match(event["time"]) and event["version"] == "0"
    detail = event["detail"]
    assert set(detail) == {"alarmName", "configuration", "previousState", "state"}
    assert detail["alarmName"] == alarm_name
    [metric] = detail["configuration"]["metrics"]
    assert detail["configuration"]["description"] == "drift of feature age"
    assert metric["metricStat"] == {
        "metric": {"dimensions": {"Endpoint": "ep"}, "name": "feature_baseline_drift_age",
                   "namespace": "sagewatch/e2e"},
        "period": 3600, "stat": "Maximum"}
    assert metric["returnData"] is True and len(metric["id"]) == 36
    assert detail["previousState"]["value"] == "INSUFFICIENT_DATA"
    assert detail["previousState"]["reason"] == "Unchecked: Initial alarm creation"
    assert detail["state"]["value"] == "ALARM" and detail["state"]["reason"] == "drift by hand"
    assert json.loads(detail["state"]["reasonData"])["threshold"] == 0.1
    assert STATE_TIME.match(detail["state"]["timestamp"])
    assert STATE_TIME.match(detail["previousState"]["timestamp"])
    assert detail["previousState"]["timestamp"] <= detail["state"]["timestamp"]

    # back to OK: an event is sent (the catch-all rule gets it) but the ALARM rule does not match it
    cloudwatch.set_alarm_state(AlarmName=alarm_name, StateValue="OK", StateReason="fixed")
    both = every_change.collect(alarm_name, until=lambda e: len(e) >= 2, timeout=10)
    assert [e["detail"]["state"]["value"] for e in both] == ["ALARM", "OK"]
    ok = both[1]["detail"]
    assert ok["previousState"]["value"] == "ALARM" and ok["previousState"]["reason"] == "drift by hand"
    assert ok["previousState"]["timestamp"] == detail["state"]["timestamp"]
    assert "reasonData" not in ok["state"]
    assert len(on_alarm.collect(alarm_name, until=lambda e: len(e) > 1, timeout=2)) == 1


def test_alarm_evaluated_by_localstack_sends_an_alarm_event(aws_client, rule_queue, alarm_name, unique_name):
    # LocalStack evaluates an alarm right after PutMetricAlarm and then every Period x EvaluationPeriods
    # seconds; with a 10 s period the data below is seen within about 10 s.
    cloudwatch = aws_client("cloudwatch")
    on_alarm = rule_queue({**ALARM_EVENTS, "detail": {"state": {"value": ["ALARM"]}}})
    namespace = unique_name("ns")
    cloudwatch.put_metric_alarm(
        AlarmName=alarm_name, Namespace=namespace, MetricName="latency",
        Statistic="Maximum", Period=10, EvaluationPeriods=1, Threshold=50.0,
        ComparisonOperator="GreaterThanThreshold")
    cloudwatch.put_metric_data(Namespace=namespace, MetricData=[{"MetricName": "latency", "Value": 99.5}])
    events = on_alarm.collect(alarm_name, until=bool, timeout=40)
    assert len(events) == 1, "no ALARM event within 40 s of data above the threshold"
    detail = events[0]["detail"]
    assert detail["state"]["value"] == "ALARM"
    assert detail["state"]["reason"].startswith("Threshold Crossed")
    assert detail["previousState"]["value"] == "INSUFFICIENT_DATA"
    reason_data = json.loads(detail["state"]["reasonData"])
    assert reason_data["threshold"] == 50.0 and reason_data["period"] == 10
    assert 99.5 in reason_data["recentDatapoints"]
    assert detail["configuration"]["metrics"][0]["metricStat"]["stat"] == "Maximum"
    state = cloudwatch.describe_alarms(AlarmNames=[alarm_name])["MetricAlarms"][0]
    assert state["StateValue"] in ("ALARM", "OK", "INSUFFICIENT_DATA")  # later evaluations may move on
