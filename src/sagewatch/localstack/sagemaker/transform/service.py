"""Batch transform jobs that really run: CreateTransformJob, DescribeTransformJob, ListTransformJobs,
StopTransformJob.

moto marks a transform job ``Completed`` at once and transforms nothing, so sagewatch keeps its own jobs in
:attr:`RegionState.transform_jobs` and never passes these operations to moto.

Requests are checked against botocore's ``sagemaker`` shapes (required members, lengths, ranges, patterns,
enums; :func:`~sagewatch.localstack.sagemaker.endpoints.validation.shape_errors`) and against the limits the
API reference states in prose (``MaxPayloadInMB`` ≤ 100, ``MaxConcurrentTransforms × MaxPayloadInMB`` ≤ 100,
16 ``Environment`` entries). What the emulator does not do is refused with a ``ValidationException`` that says
so: ``SplitType`` ``RecordIO``/``TFRecord``, and ``DataProcessing`` filters outside the JSONPath subset SageMaker
documents (:mod:`~sagewatch.localstack.sagemaker.transform.jsonpath`).

A job is ``InProgress`` from creation; a :class:`~sagewatch.localstack.sagemaker.transform.runner.TransformRunner`
thread ends it ``Completed``, ``Failed`` (with ``FailureReason``) or ``Stopped`` (``Stopping`` in between). Every
status change sends a ``SageMaker Transform Job State Change`` event whose ``detail`` is the DescribeTransformJob
answer (times as epoch milliseconds, as the processing-job event).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sagewatch.localstack.errors import ResourceInUse, ResourceNotFound, ValidationException
from sagewatch.localstack.events import DEFAULT_BUS, SOURCE, event_detail, put_events
from sagewatch.localstack.sagemaker.common import (
    check_environment,
    deep_copy,
    paginate,
    sagemaker_arn,
    sort_items,
    time_filters,
    utcnow,
    without_none,
)
from sagewatch.localstack.sagemaker.store import SageMakerStore
from sagewatch.localstack.sagemaker.transform.data_processing import DataProcessing
from sagewatch.localstack.sagemaker.transform.jsonpath import JsonPathError

__all__ = ["TRANSFORM_JOB_STATE_CHANGE", "TransformJob", "TransformService", "transform_job_state_event",
           "validate_transform_request"]

LOG = logging.getLogger(__name__)

TRANSFORM_JOB_STATE_CHANGE = "SageMaker Transform Job State Change"
TERMINAL_STATUSES = frozenset({"Completed", "Failed", "Stopped"})
REASON_LIMIT = 1024
MAX_PAYLOAD_MB = 100
MAX_ENVIRONMENT = 16

ModelLookup = Callable[[Any, str], "Mapping[str, Any] | None"]
"""``(context, model name) -> DescribeModel answer`` or None when the account has no such model."""


@dataclass(eq=False)
class TransformJob:
    """One transform job and its state; changed only through :meth:`TransformService.update`."""

    account_id: str
    region: str
    name: str
    arn: str
    request: dict[str, Any]
    model: dict[str, Any]
    creation_time: datetime
    last_modified_time: datetime
    status: str = "InProgress"
    start_time: datetime | None = None
    end_time: datetime | None = None
    failure_reason: str | None = None
    stop_requested: threading.Event = field(default_factory=threading.Event)
    finished: threading.Event = field(default_factory=threading.Event)

    def describe(self) -> dict[str, Any]:
        """The DescribeTransformJob answer."""
        answer = {key: deep_copy(value) for key, value in self.request.items() if key != "Tags"}
        answer.update(without_none({
            "TransformJobArn": self.arn,
            "TransformJobStatus": self.status,
            "FailureReason": self.failure_reason,
            "CreationTime": self.creation_time,
            "TransformStartTime": self.start_time,
            "TransformEndTime": self.end_time,
        }))
        return answer

    def summary(self) -> dict[str, Any]:
        """The TransformJobSummary of ListTransformJobs."""
        return without_none({
            "TransformJobName": self.name,
            "TransformJobArn": self.arn,
            "CreationTime": self.creation_time,
            "TransformEndTime": self.end_time,
            "LastModifiedTime": self.last_modified_time,
            "TransformJobStatus": self.status,
            "FailureReason": self.failure_reason,
        })


def _shape_errors(request: Mapping[str, Any], shape: Any) -> list[str]:
    from sagewatch.localstack.sagemaker.endpoints.validation import shape_errors

    errors = []
    for name in shape.required_members:
        if request.get(name) is None:
            errors.append(f"Value null at '{name[:1].lower() + name[1:]}' failed to satisfy constraint: Member must "
                          "not be null")
    for name, member in shape.members.items():
        if name != "Tags":  # checked by the plane, with the tags of every other resource
            errors.extend(shape_errors(request.get(name), member, name[:1].lower() + name[1:]))
    return errors


def _request_shape(operation: str = "CreateTransformJob") -> Any:
    from localstack.aws.spec import load_service

    return load_service("sagemaker").operation_model(operation).input_shape


def _check_request(operation: str, request: Mapping[str, Any]) -> None:
    """Describe, List and Stop requests against their botocore shapes (names, ranges, enums)."""
    errors = _shape_errors(request, _request_shape(operation))
    if errors:
        raise ValidationException.detected(errors)


def validate_transform_request(request: Mapping[str, Any], shape: Any = None) -> dict[str, Any]:
    """Check a CreateTransformJob request and return a copy without its ``None`` members.

    Raises
    ------
    ValidationException
        Worded as AWS words its request validation, or naming what the emulator does not emulate.
    """
    errors = _shape_errors(request, shape if shape is not None else _request_shape())
    if errors:
        raise ValidationException.detected(errors)
    check_environment(request.get("Environment"), "environment", MAX_ENVIRONMENT)
    payload = request.get("MaxPayloadInMB")
    if payload is not None and payload > MAX_PAYLOAD_MB:
        raise ValidationException.constraint("maxPayloadInMB", payload,
                                             f"Member must have value less than or equal to {MAX_PAYLOAD_MB}")
    concurrency = request.get("MaxConcurrentTransforms")
    if concurrency and payload and concurrency * payload > MAX_PAYLOAD_MB:
        raise ValidationException(f"MaxConcurrentTransforms ({concurrency}) x MaxPayloadInMB ({payload}) must not "
                                  f"exceed {MAX_PAYLOAD_MB} MB.")
    transform_input = request["TransformInput"]
    split = transform_input.get("SplitType") or "None"
    if split in ("RecordIO", "TFRecord"):
        raise ValidationException(f"SplitType {split} is not emulated by sagewatch: it splits input files by Line "
                                  "or not at all (None).")
    try:
        DataProcessing.from_request(request)
    except JsonPathError as error:
        raise ValidationException(f"DataProcessing: {error}") from error
    source = transform_input["DataSource"]["S3DataSource"]
    if not str(source["S3Uri"]).startswith("s3://"):
        raise ValidationException.constraint("transformInput.dataSource.s3DataSource.s3Uri", source["S3Uri"],
                                             "Member must be an s3:// URI in the emulator")
    for path, uri in (("transformOutput.s3OutputPath", request["TransformOutput"]["S3OutputPath"]),
                      ("dataCaptureConfig.destinationS3Uri",
                       (request.get("DataCaptureConfig") or {}).get("DestinationS3Uri"))):
        if uri is not None and not str(uri).startswith("s3://"):
            raise ValidationException.constraint(path, uri, "Member must be an s3:// URI in the emulator")
    return {key: deep_copy(value) for key, value in request.items() if value is not None}


def transform_job_state_event(description: Mapping[str, Any]) -> dict[str, Any]:
    """The PutEvents entry of a transform job's state change (``detail``: the DescribeTransformJob answer).

    Examples
    --------
    >>> from datetime import timezone
    >>> entry = transform_job_state_event({"TransformJobArn": "arn:x", "TransformJobStatus": "Completed",
    ...     "TransformEndTime": datetime(2024, 1, 3, 22, 25, 46, tzinfo=timezone.utc)})
    >>> entry["DetailType"], entry["Resources"], json.loads(entry["Detail"])["TransformEndTime"]
    ('SageMaker Transform Job State Change', ['arn:x'], 1704320746000)
    """
    return {
        "Source": SOURCE,
        "DetailType": TRANSFORM_JOB_STATE_CHANGE,
        "Detail": json.dumps(event_detail(description)),
        "Resources": [description["TransformJobArn"]],
        "EventBusName": DEFAULT_BUS,
    }


def _moto_model(context: Any, name: str) -> Mapping[str, Any] | None:
    from moto.backends import get_backend
    from moto.core.exceptions import RESTError

    try:
        return dict(get_backend("sagemaker")[context.account_id][context.region].describe_model(name).response_object)
    except RESTError:
        return None


class TransformService:
    """Transform jobs of every account and region, and the SageMaker handlers for them.

    Parameters
    ----------
    clock : callable, optional
        Returns the current aware UTC datetime.
    store : SageMakerStore, optional
    start_runner : callable, optional
        ``(service, job) -> None`` starts running a new job; a :class:`TransformRunner` thread by default.
    models : callable, optional
        ``(context, name) -> DescribeModel answer | None``; moto's models by default.
    publish : callable, optional
        ``(entries, account_id, region) -> None``; LocalStack's EventBridge by default.
    """

    def __init__(self, clock: Callable[[], datetime] = utcnow, *, store: SageMakerStore | None = None,
                 start_runner: Callable[[TransformService, TransformJob], None] | None = None,
                 models: ModelLookup | None = None,
                 publish: Callable[[list[dict[str, Any]], str, str], None] | None = None) -> None:
        self.clock = clock
        self.store = store or SageMakerStore()
        self._start_runner = start_runner or _start_runner_thread
        self._models = models or _moto_model
        self._publish = publish or put_events
        self._lock = threading.RLock()
        self._runners: dict[str, Any] = {}

    # --- state ----------------------------------------------------------------------------------------------

    def create_job(self, context: Any, request: Mapping[str, Any]) -> TransformJob:
        normalized = validate_transform_request(request)
        account_id, region = context.account_id, context.region
        name = normalized["TransformJobName"]
        model = self._models(context, normalized["ModelName"])
        if model is None:
            raise ValidationException.could_not_find(
                "model", sagemaker_arn("model", normalized["ModelName"], account_id, region))
        now = self.clock()
        arn = sagemaker_arn("transform-job", name, account_id, region)
        job = TransformJob(account_id, region, name, arn, normalized, dict(model), now, now)
        with self._lock:
            jobs = self.store[account_id, region].transform_jobs
            if name in jobs:
                raise ResourceInUse(f"Job name must be unique within an AWS account and region, and a job with this "
                                    f"name already exists ({jobs[name].arn})")
            jobs[name] = job
        self._changed(job)
        self._start_runner(self, job)
        return job

    def get(self, account_id: str, region: str, name: str) -> TransformJob:
        with self._lock:
            job = self.store[account_id, region].transform_jobs.get(name)
        if job is None:
            raise ResourceNotFound(f"Could not find requested job with name {name}")
        return job

    def jobs(self, account_id: str, region: str) -> list[TransformJob]:
        with self._lock:
            return list(self.store[account_id, region].transform_jobs.values())

    def update(self, job: TransformJob, *, status: str | None = None, **fields: Any) -> bool:
        """Change a job; a status change sends an event. A terminal status is kept. Whether the status changed."""
        with self._lock:
            if job.status in TERMINAL_STATUSES:
                return False
            for key, value in fields.items():
                if not hasattr(job, key):
                    raise AttributeError(key)
                if key == "failure_reason" and isinstance(value, str):
                    value = value[:REASON_LIMIT]
                setattr(job, key, value)
            changed = status is not None and status != job.status
            if status is not None:
                job.status = status
            job.last_modified_time = self.clock()
            if job.status in TERMINAL_STATUSES:
                job.end_time = job.end_time or job.last_modified_time
        if changed:
            self._changed(job)
        if job.status in TERMINAL_STATUSES:
            with self._lock:
                self._runners.pop(job.arn, None)
            job.finished.set()
        return changed

    def _changed(self, job: TransformJob) -> None:
        self._publish([transform_job_state_event(job.describe())], job.account_id, job.region)

    def request_stop(self, job: TransformJob) -> None:
        """Move an ``InProgress`` job to ``Stopping``; its runner ends it ``Stopped``. Stopping twice is fine."""
        with self._lock:
            if job.status == "Stopping":
                return
            if job.status != "InProgress":
                raise ValidationException(f"The transform job {job.name} is not in progress (status: {job.status}); "
                                          "only InProgress jobs can be stopped.")
        job.stop_requested.set()
        self.update(job, status="Stopping")

    def register_runner(self, job: TransformJob, runner: Any) -> None:
        with self._lock:
            self._runners[job.arn] = runner

    def shutdown(self) -> None:
        """Stop the model server of every running job (LocalStack is going down)."""
        with self._lock:
            runners = list(self._runners.values())
        for runner in runners:
            try:
                runner.kill()
            except Exception:  # noqa: BLE001
                LOG.exception("sagewatch: could not stop a transform job")

    # --- handlers -------------------------------------------------------------------------------------------

    def handlers(self) -> dict[str, Callable[[Any, Mapping[str, Any]], Any]]:
        return {
            "CreateTransformJob": self.handle_create,
            "DescribeTransformJob": self.handle_describe,
            "ListTransformJobs": self.handle_list,
            "StopTransformJob": self.handle_stop,
        }

    def handle_create(self, context: Any, request: Mapping[str, Any]) -> dict[str, Any]:
        return {"TransformJobArn": self.create_job(context, request).arn}

    def handle_describe(self, context: Any, request: Mapping[str, Any]) -> dict[str, Any]:
        _check_request("DescribeTransformJob", request)
        return self.get(context.account_id, context.region, request.get("TransformJobName", "")).describe()

    def handle_stop(self, context: Any, request: Mapping[str, Any]) -> dict[str, Any]:
        _check_request("StopTransformJob", request)
        self.request_stop(self.get(context.account_id, context.region, request.get("TransformJobName", "")))
        return {}

    def handle_list(self, context: Any, request: Mapping[str, Any]) -> dict[str, Any]:
        _check_request("ListTransformJobs", request)
        checks = time_filters(request, {"CreationTime": "CreationTime", "LastModifiedTime": "LastModifiedTime"})
        contains = (request.get("NameContains") or "").lower()
        summaries = [
            summary for summary in (job.summary() for job in self.jobs(context.account_id, context.region))
            if contains in summary["TransformJobName"].lower()
            and request.get("StatusEquals") in (None, summary["TransformJobStatus"])
            and all(check(summary) for check in checks)
        ]
        ordered = sort_items(summaries, request, {"Name": "TransformJobName", "CreationTime": "CreationTime",
                                                  "Status": "TransformJobStatus"}, "CreationTime", "TransformJobName")
        page, token = paginate(ordered, request)
        return without_none({"TransformJobSummaries": page, "NextToken": token})


def _start_runner_thread(service: TransformService, job: TransformJob) -> None:
    from sagewatch.localstack.sagemaker.transform.runner import TransformRunner, hosted_model
    from sagewatch.localstack.sagemaker.transform.storage import InternalS3

    runner = TransformRunner(service, job, InternalS3(job.account_id, job.region), hosted_model)
    service.register_runner(job, runner)
    threading.Thread(target=runner.run, name=f"sagewatch-transform-{job.name}", daemon=True).start()
