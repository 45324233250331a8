"""EventBridge events sagewatch's SageMaker emulation sends to the ``default`` bus (contract §8.1, §12).

``SageMaker Processing Job State Change`` (source ``aws.sagemaker``) is sent on every status change of a
processing job, monitoring executions included. Its ``detail`` is the job's DescribeProcessingJob answer with
the API's enum casing (``S3Prefix``, ``File``, ``FullyReplicated``, ``Continuous``) and every time as epoch
milliseconds; the envelope's ``time`` is ISO-8601 with ``Z`` and ``resources`` holds the job's ARN.

The events are put through LocalStack's own EventBridge (its internal client), so rules and targets behave
as they do for any other event. Sending never fails the caller: an error is logged and the event dropped.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

__all__ = [
    "PROCESSING_JOB_STATE_CHANGE",
    "SOURCE",
    "event_detail",
    "processing_job_state_event",
    "put_events",
]

LOG = logging.getLogger(__name__)

SOURCE = "aws.sagemaker"
PROCESSING_JOB_STATE_CHANGE = "SageMaker Processing Job State Change"
DEFAULT_BUS = "default"


def event_detail(value: Any) -> Any:
    """A JSON-ready copy of a Describe answer with datetimes as epoch milliseconds.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> event_detail({"CreationTime": datetime(2024, 1, 3, 22, 16, 39, tzinfo=timezone.utc), "A": [1]})
    {'CreationTime': 1704320199000, 'A': [1]}
    """
    if isinstance(value, datetime):
        from sagewatch.localstack.sagemaker.common import epoch_ms

        return epoch_ms(value)
    if isinstance(value, Mapping):
        return {str(key): event_detail(item) for key, item in value.items() if item is not None}
    if isinstance(value, (list, tuple)):
        return [event_detail(item) for item in value]
    return value


def processing_job_state_event(description: Mapping[str, Any], *, when: datetime | None = None) -> dict[str, Any]:
    """The PutEvents entry of a processing job's state change.

    Parameters
    ----------
    description : mapping
        The job's DescribeProcessingJob answer (``ProcessingJobArn`` and ``ProcessingJobStatus`` required).
    when : datetime, optional
        The envelope's time; the job's ``LastModifiedTime`` by default.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> t = datetime(2024, 1, 3, 22, 25, 46, tzinfo=timezone.utc)
    >>> entry = processing_job_state_event({"ProcessingJobArn": "arn:x", "ProcessingJobStatus": "Failed",
    ...                                     "LastModifiedTime": t})
    >>> entry["Source"], entry["DetailType"], entry["Resources"]
    ('aws.sagemaker', 'SageMaker Processing Job State Change', ['arn:x'])
    >>> json.loads(entry["Detail"])["LastModifiedTime"]
    1704320746000
    """
    moment = when or description.get("LastModifiedTime")
    entry: dict[str, Any] = {
        "Source": SOURCE,
        "DetailType": PROCESSING_JOB_STATE_CHANGE,
        "Detail": json.dumps(event_detail(description)),
        "Resources": [description["ProcessingJobArn"]],
        "EventBusName": DEFAULT_BUS,
    }
    if isinstance(moment, datetime):
        entry["Time"] = moment
    return entry


def put_events(entries: list[dict[str, Any]], account_id: str, region: str,
               client_factory: Callable[[str, str], Any] | None = None) -> None:
    """Put *entries* on the account's buses through LocalStack's EventBridge; errors are logged, not raised."""
    if not entries:
        return
    try:
        client = (client_factory or _events_client)(account_id, region)
        answer = client.put_events(Entries=entries)
        if answer.get("FailedEntryCount"):
            LOG.warning("sagewatch: EventBridge refused %s event(s): %s", answer["FailedEntryCount"],
                        [e for e in answer.get("Entries", []) if e.get("ErrorCode")])
    except Exception:  # noqa: BLE001 - events are best effort; the job must not fail because of them
        LOG.exception("sagewatch: could not put %d event(s) on EventBridge", len(entries))


def _events_client(account_id: str, region: str) -> Any:
    from localstack.aws.connect import connect_to

    return connect_to(aws_access_key_id=account_id, region_name=region).events
