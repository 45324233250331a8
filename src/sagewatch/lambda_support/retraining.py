"""Drift events -> a record, a notification and the retraining action of the CDK kit.

Three kinds of events reach the retraining Lambda (contract §8): a ``CloudWatch Alarm State Change`` into
``ALARM``, a ``SageMaker Processing Job State Change`` of a monitoring execution (``Completed``; the handler
looks at ``ExitMessage``, and asks ``DescribeProcessingJob`` when the event has none, since whether the event
carries it is unconfirmed), and the ``sagewatch.monitoring`` event of an in-Lambda run. Standard library only.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Mapping

__all__ = ["RetrainingSettings", "DriftEvent", "parse_event", "is_violation", "record_key", "build_record",
           "notification", "request_token", "training_job_request", "VIOLATIONS_PREFIX"]

VIOLATIONS_PREFIX = "CompletedWithViolations"  # contract §4.4
ALARM_DETAIL_TYPE = "CloudWatch Alarm State Change"
JOB_DETAIL_TYPE = "SageMaker Processing Job State Change"
ACTIONS = ("none", "sns", "start-pipeline", "start-training-job-from-template")


@dataclass(frozen=True)
class RetrainingSettings:
    """What the CDK kit hands the retraining Lambda (``SAGEWATCH_RETRAINING_SETTINGS``, JSON)."""

    action: str
    topic_arn: str | None
    reports_bucket: str
    record_prefix: str = "retraining"
    pipeline_name: str | None = None
    training_template_uri: str | None = None
    training_role_arn: str | None = None

    @classmethod
    def from_json(cls, text: str) -> RetrainingSettings:
        data = json.loads(text)
        settings = cls(**{k: data.get(k) for k in ("action", "topic_arn", "reports_bucket", "pipeline_name",
                                                    "training_template_uri", "training_role_arn")},
                       record_prefix=data.get("record_prefix") or "retraining")
        if settings.action not in ACTIONS:
            raise ValueError(f"unknown retraining action {settings.action!r}; known: {list(ACTIONS)}")
        if settings.action == "start-pipeline" and not settings.pipeline_name:
            raise ValueError("action start-pipeline needs pipeline_name")
        if settings.action == "start-training-job-from-template" and not settings.training_template_uri:
            raise ValueError("action start-training-job-from-template needs training_template_uri")
        return settings


@dataclass(frozen=True)
class DriftEvent:
    kind: str  # "alarm" | "processing-job" | "inline" | "other"
    event_id: str
    time: str
    name: str  # alarm name or processing-job name
    state: str | None  # alarm state value or job status
    exit_message: str | None
    detail: Mapping[str, Any]


def parse_event(event: Mapping[str, Any]) -> DriftEvent:
    """Classify an EventBridge event.

    >>> e = parse_event({"id": "1", "time": "2024-05-01T11:05:00Z", "detail-type": "CloudWatch Alarm State Change",
    ...                  "source": "aws.cloudwatch", "detail": {"alarmName": "drift", "state": {"value": "ALARM"}}})
    >>> e.kind, e.name, e.state
    ('alarm', 'drift', 'ALARM')
    """
    detail = event.get("detail") or {}
    detail_type = event.get("detail-type", "")
    common = {"event_id": str(event.get("id", "")), "time": str(event.get("time", "")), "detail": detail}
    if detail_type == ALARM_DETAIL_TYPE:
        return DriftEvent(kind="alarm", name=str(detail.get("alarmName", "")),
                          state=(detail.get("state") or {}).get("value"), exit_message=None, **common)
    if detail_type == JOB_DETAIL_TYPE or "ProcessingJobName" in detail:
        kind = "processing-job" if event.get("source") == "aws.sagemaker" else "inline"
        return DriftEvent(kind=kind, name=str(detail.get("ProcessingJobName", "")),
                          state=detail.get("ProcessingJobStatus"), exit_message=detail.get("ExitMessage"), **common)
    return DriftEvent(kind="other", name="", state=None, exit_message=None, **common)


def is_violation(event: DriftEvent, exit_message: str | None = None) -> bool:
    """An alarm in ALARM, or a completed execution whose exit message starts with ``CompletedWithViolations``."""
    if event.kind == "alarm":
        return event.state == "ALARM"
    if event.kind in ("processing-job", "inline"):
        message = exit_message if exit_message is not None else event.exit_message
        return event.state == "Completed" and bool(message) and message.startswith(VIOLATIONS_PREFIX)
    return False


def _stamp(event: DriftEvent) -> datetime:
    try:
        return datetime.fromisoformat(event.time.replace("Z", "+00:00")).astimezone(timezone.utc)
    except ValueError:
        return datetime(1970, 1, 1, tzinfo=timezone.utc)


def record_key(settings: RetrainingSettings, event: DriftEvent) -> str:
    """``<prefix>/yyyy/mm/dd/<HHMMSS>-<kind>-<event id>.json``: one object per event, replayed events overwrite.

    >>> s = RetrainingSettings(action="none", topic_arn=None, reports_bucket="b")
    >>> record_key(s, parse_event({"id": "abc", "time": "2024-05-01T11:05:00Z", "detail-type": "x"}))
    'retraining/2024/05/01/110500-other-abc.json'
    """
    stamp = _stamp(event)
    safe_id = re.sub(r"[^A-Za-z0-9-]", "", event.event_id) or "no-id"
    return f"{settings.record_prefix}/{stamp:%Y/%m/%d/%H%M%S}-{event.kind}-{safe_id}.json"


def build_record(event: DriftEvent, *, settings: RetrainingSettings, exit_message: str | None, retrain: bool,
                 action_result: Mapping[str, Any] | None) -> dict[str, Any]:
    return {
        "version": 1,
        "event_id": event.event_id,
        "time": event.time,
        "kind": event.kind,
        "name": event.name,
        "state": event.state,
        "exit_message": exit_message if exit_message is not None else event.exit_message,
        "retraining_requested": retrain,
        "action": settings.action,
        "action_result": dict(action_result) if action_result else None,
        "detail": event.detail,
    }


def notification(record: Mapping[str, Any]) -> tuple[str, str]:
    """Subject (at most 100 characters, as SNS requires) and body of the alert."""
    what = {"alarm": f"alarm {record['name']} is {record['state']}",
            "processing-job": f"monitoring job {record['name']}: {record.get('exit_message') or record['state']}",
            "inline": f"monitoring run {record['name']}: {record.get('exit_message') or record['state']}",
            }.get(record["kind"], "event")
    subject = f"sagewatch: {what}"[:100]
    return subject, json.dumps(record, indent=2, sort_keys=True, default=str)


def request_token(event: DriftEvent) -> str:
    """An idempotency token (32-128 characters, as StartPipelineExecution requires) derived from the event id, so a
    redelivered event does not start a second execution.

    >>> len(request_token(parse_event({"id": "e2", "detail-type": "x"})))
    64
    """
    return hashlib.sha256(f"sagewatch:{event.event_id or event.time}".encode("utf-8")).hexdigest()


def training_job_request(template: Mapping[str, Any], *, now: datetime, token: str,
                         role_arn: str | None = None) -> dict[str, Any]:
    """A CreateTrainingJob request from a template (a stored request), with a fresh job name.

    >>> template = {"TrainingJobName": "churn", "RoleArn": "r", "AlgorithmSpecification": {},
    ...             "OutputDataConfig": {}, "ResourceConfig": {}, "StoppingCondition": {}}
    >>> training_job_request(template, now=datetime(2024, 5, 1, 11, 5), token="abcd")["TrainingJobName"]
    'churn-20240501110500-abcd'
    """
    request = json.loads(json.dumps(template))
    base = re.sub(r"[^a-zA-Z0-9-]", "-", str(request.get("TrainingJobName") or "sagewatch-retrain")).strip("-")
    suffix = f"-{now:%Y%m%d%H%M%S}-{re.sub(r'[^a-zA-Z0-9]', '', token)[:8]}"
    request["TrainingJobName"] = base[: 63 - len(suffix)].rstrip("-") + suffix
    if role_arn and not request.get("RoleArn"):
        request["RoleArn"] = role_arn
    for required in ("AlgorithmSpecification", "RoleArn", "OutputDataConfig", "ResourceConfig", "StoppingCondition"):
        if required not in request:
            raise ValueError(f"the training-job template lacks {required}")
    return request
