"""Processing jobs that really run: CreateProcessingJob, DescribeProcessingJob, ListProcessingJobs, StopProcessingJob.

moto marks a processing job ``Completed`` the moment it is created and runs nothing (``localstack-plugin.md``
§9), so sagewatch keeps its own jobs here and never passes these operations to moto.

A job is ``InProgress`` from creation; a runner thread
(:class:`~sagewatch.localstack.sagemaker.processing.runner.JobRunner`) maps its image to a local command, fills
a folder standing in for ``/opt/ml`` (inputs, ``config/processingjobconfig.json``), runs the command as a
subprocess, ships its output to CloudWatch Logs, uploads the outputs and ends the job ``Completed``, ``Failed``
or ``Stopped`` (``Stopping`` in between) following contract §4.4 and §12. Every status change sends a
``SageMaker Processing Job State Change`` event (:mod:`sagewatch.localstack.events`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from localstack.aws.api import RequestContext

from sagewatch.localstack.errors import ResourceInUse, ResourceNotFound, ValidationException
from sagewatch.localstack.events import processing_job_state_event, put_events
from sagewatch.localstack.sagemaker.common import (
    check_cluster_config,
    check_enum,
    check_environment,
    check_int_range,
    check_name,
    check_role_arn,
    check_s3_uri,
    deep_copy,
    paginate,
    sagemaker_arn,
    sort_items,
    time_filters,
    utcnow,
    without_none,
)
from sagewatch.localstack.sagemaker.processing.aws import AwsAccess, InternalAws
from sagewatch.localstack.sagemaker.processing.settings import ProcessingSettings
from sagewatch.localstack.sagemaker.store import SageMakerStore

__all__ = ["ProcessingJob", "ProcessingService", "validate_processing_request", "TERMINAL_STATUSES"]

LOG = logging.getLogger(__name__)

TERMINAL_STATUSES = frozenset({"Completed", "Failed", "Stopped"})
STATUSES = ("InProgress", "Completed", "Failed", "Stopping", "Stopped")
PROCESSING_ROOT = "/opt/ml/processing/"
MAX_RUNTIME_LIMIT = 777_600
REASON_LIMIT = 1024

Listener = Callable[["ProcessingJob"], None]


@dataclass(eq=False)
class ProcessingJob:
    """One processing job and its state; changed only through :meth:`ProcessingService.update`."""

    account_id: str
    region: str
    name: str
    arn: str
    request: dict[str, Any]
    creation_time: datetime
    last_modified_time: datetime
    status: str = "InProgress"
    start_time: datetime | None = None
    end_time: datetime | None = None
    exit_message: str | None = None
    failure_reason: str | None = None
    monitoring_schedule_arn: str | None = None
    stop_requested: threading.Event = field(default_factory=threading.Event)
    finished: threading.Event = field(default_factory=threading.Event)
    listeners: list[Listener] = field(default_factory=list)

    def describe(self) -> dict[str, Any]:
        """The DescribeProcessingJob answer."""
        answer = {key: deep_copy(value) for key, value in self.request.items() if key != "Tags"}
        answer.update(without_none({
            "ProcessingJobArn": self.arn,
            "ProcessingJobStatus": self.status,
            "ExitMessage": self.exit_message,
            "FailureReason": self.failure_reason,
            "ProcessingEndTime": self.end_time,
            "ProcessingStartTime": self.start_time,
            "LastModifiedTime": self.last_modified_time,
            "CreationTime": self.creation_time,
            "MonitoringScheduleArn": self.monitoring_schedule_arn,
        }))
        return answer

    def summary(self) -> dict[str, Any]:
        """The ProcessingJobSummary of ListProcessingJobs."""
        return without_none({
            "ProcessingJobName": self.name,
            "ProcessingJobArn": self.arn,
            "CreationTime": self.creation_time,
            "ProcessingEndTime": self.end_time,
            "LastModifiedTime": self.last_modified_time,
            "ProcessingJobStatus": self.status,
            "FailureReason": self.failure_reason,
            "ExitMessage": self.exit_message,
        })


def _check_local_path(value: Any, field_name: str) -> str:
    if not isinstance(value, str) or not value.startswith(PROCESSING_ROOT) or ".." in value.split("/"):
        raise ValidationException.constraint(field_name, value, f"Member must be an absolute path under {PROCESSING_ROOT}")
    return value


def _normalized_input(item: Any, index: int, names: set[str]) -> dict[str, Any]:
    where = f"processingInputs.{index + 1}.member"
    if not isinstance(item, Mapping):
        raise ValidationException(f"{where} must be a structure.")
    name = item.get("InputName")
    if not isinstance(name, str) or not name:
        raise ValidationException.constraint(f"{where}.inputName", name, "Member must not be null")
    if name in names:
        raise ValidationException(f"Input names must be unique; {name!r} is used more than once.")
    names.add(name)
    normalized = deep_copy(dict(item))
    s3_input, dataset = item.get("S3Input"), item.get("DatasetDefinition")
    if (s3_input is None) == (dataset is None):
        raise ValidationException(f"Input {name!r} must have exactly one of S3Input and DatasetDefinition.")
    if s3_input is not None:
        check_s3_uri(s3_input.get("S3Uri"), f"{where}.s3Input.s3Uri")
        check_enum(s3_input.get("S3DataType"), f"{where}.s3Input.s3DataType", ("ManifestFile", "S3Prefix"))
        if not item.get("AppManaged"):
            _check_local_path(s3_input.get("LocalPath"), f"{where}.s3Input.localPath")
        defaults = {"S3InputMode": "File", "S3DataDistributionType": "FullyReplicated", "S3CompressionType": "None"}
        merged = {**defaults, **{k: v for k, v in s3_input.items() if v is not None}}
        check_enum(merged["S3InputMode"], f"{where}.s3Input.s3InputMode", ("Pipe", "File", "FastFile"))
        check_enum(merged["S3DataDistributionType"], f"{where}.s3Input.s3DataDistributionType",
                   ("FullyReplicated", "ShardedByS3Key"))
        check_enum(merged["S3CompressionType"], f"{where}.s3Input.s3CompressionType", ("None", "Gzip"))
        normalized["S3Input"] = merged
    return normalized


def _normalized_outputs(config: Any) -> dict[str, Any] | None:
    if config is None:
        return None
    if not isinstance(config, Mapping) or not isinstance(config.get("Outputs"), list):
        raise ValidationException("ProcessingOutputConfig.Outputs is required.")
    outputs = config["Outputs"]
    if len(outputs) > 10:
        raise ValidationException.constraint("processingOutputConfig.outputs", f"<{len(outputs)} outputs>",
                               "Member must have length less than or equal to 10")
    names: set[str] = set()
    normalized = []
    for index, item in enumerate(outputs):
        where = f"processingOutputConfig.outputs.{index + 1}.member"
        name = item.get("OutputName") if isinstance(item, Mapping) else None
        if not isinstance(name, str) or not name:
            raise ValidationException.constraint(f"{where}.outputName", name, "Member must not be null")
        if name in names:
            raise ValidationException(f"Output names must be unique; {name!r} is used more than once.")
        names.add(name)
        s3_output = item.get("S3Output")
        if s3_output is None and item.get("FeatureStoreOutput") is None:
            raise ValidationException(f"Output {name!r} must have an S3Output or a FeatureStoreOutput.")
        if s3_output is not None:
            check_s3_uri(s3_output.get("S3Uri"), f"{where}.s3Output.s3Uri")
            check_enum(s3_output.get("S3UploadMode"), f"{where}.s3Output.s3UploadMode", ("Continuous", "EndOfJob"))
            if not item.get("AppManaged"):
                _check_local_path(s3_output.get("LocalPath"), f"{where}.s3Output.localPath")
        normalized.append(deep_copy(dict(item)))
    return {**deep_copy(dict(config)), "Outputs": normalized}


def validate_processing_request(request: Mapping[str, Any]) -> dict[str, Any]:
    """Check a CreateProcessingJob request and return it with the service's defaults filled in.

    Raises
    ------
    CommonServiceException
        ``ValidationException`` worded like the service's.
    """
    check_name(request.get("ProcessingJobName"), "processingJobName")
    resources = request.get("ProcessingResources")
    if not isinstance(resources, Mapping):
        raise ValidationException("ProcessingResources is required.")
    check_cluster_config(resources.get("ClusterConfig"), "processingResources.clusterConfig")
    app = request.get("AppSpecification")
    image = app.get("ImageUri") if isinstance(app, Mapping) else None
    if not isinstance(image, str) or not image.strip() or len(image) > 255:
        raise ValidationException.constraint("appSpecification.imageUri", image, "Member must have length between 1 and 255")
    for key in ("ContainerEntrypoint", "ContainerArguments"):
        words = app.get(key)
        if words is not None and (not isinstance(words, list) or not all(isinstance(w, str) for w in words)):
            raise ValidationException(f"AppSpecification.{key} must be a list of strings.")
    check_role_arn(request.get("RoleArn"))
    stopping = request.get("StoppingCondition")
    if stopping is not None:
        check_int_range(stopping.get("MaxRuntimeInSeconds"), "stoppingCondition.maxRuntimeInSeconds", 1,
                        MAX_RUNTIME_LIMIT)
    normalized = {key: deep_copy(value) for key, value in request.items() if value is not None}
    normalized["Environment"] = check_environment(request.get("Environment"), "environment", 100)
    if not normalized["Environment"]:
        normalized.pop("Environment")
    inputs = request.get("ProcessingInputs")
    if inputs is not None:
        if not isinstance(inputs, list) or len(inputs) > 10:
            raise ValidationException.constraint("processingInputs", f"<{len(inputs)} inputs>" if isinstance(inputs, list)
                                   else inputs, "Member must have length less than or equal to 10")
        names: set[str] = set()
        normalized["ProcessingInputs"] = [_normalized_input(item, i, names) for i, item in enumerate(inputs)]
    outputs = _normalized_outputs(request.get("ProcessingOutputConfig"))
    if outputs is not None:
        normalized["ProcessingOutputConfig"] = outputs
    return normalized


class ProcessingService:
    """Processing jobs of every account and region, and the SageMaker handlers for them.

    Parameters
    ----------
    settings : ProcessingSettings
    aws_factory : callable, optional
        ``(account_id, region) -> AwsAccess``; LocalStack's internal clients by default.
    clock : callable, optional
        Returns the current aware UTC datetime.
    start_runner : callable, optional
        ``(service, job) -> None`` starts running a new job; a :class:`JobRunner` thread by default.
    store : SageMakerStore, optional
        Where the jobs are kept (a new store by default).

    Attributes
    ----------
    process_registry : ServerRegistry or None
        Where the runners record their jobs' processes, so the next emulator stops those a killed one left
        (set by :mod:`sagewatch.localstack.durable.service`).
    """

    process_registry: Any = None

    def __init__(self, settings: ProcessingSettings,
                 aws_factory: Callable[[str, str], AwsAccess] | None = None,
                 clock: Callable[[], datetime] = utcnow,
                 start_runner: Callable[[ProcessingService, ProcessingJob], None] | None = None,
                 publish: Callable[[list[dict[str, Any]], str, str], None] | None = None, *,
                 store: SageMakerStore | None = None) -> None:
        self.settings = settings
        self.clock = clock
        self._aws_factory = aws_factory or InternalAws
        self._start_runner = start_runner or _start_runner_thread
        self._publish = publish or put_events
        self.store = store or SageMakerStore()
        self._lock = threading.RLock()
        self._runners: dict[str, Any] = {}
        self._aws: dict[tuple[str, str], AwsAccess] = {}

    def aws(self, account_id: str, region: str) -> AwsAccess:
        """The account's and region's :class:`AwsAccess` (one per pair; its clients are thread-safe)."""
        with self._lock:
            if (account_id, region) not in self._aws:
                self._aws[(account_id, region)] = self._aws_factory(account_id, region)
            return self._aws[(account_id, region)]

    # --- state ----------------------------------------------------------------------------------------------

    def create_job(self, account_id: str, region: str, request: Mapping[str, Any], *,
                   monitoring_schedule_arn: str | None = None, listener: Listener | None = None) -> ProcessingJob:
        """Validate and register a job, send its ``InProgress`` event and start running it."""
        normalized = validate_processing_request(request)
        name = normalized["ProcessingJobName"]
        now = self.clock()
        arn = sagemaker_arn("processing-job", name, account_id, region)
        job = ProcessingJob(account_id, region, name, arn, normalized, now, now,
                            monitoring_schedule_arn=monitoring_schedule_arn,
                            listeners=[listener] if listener else [])
        with self._lock:
            jobs = self.store[account_id, region].processing_jobs
            if name in jobs:
                raise ResourceInUse(f"Job name must be unique within an AWS account and region, and a job with this name "
                             f"already exists ({jobs[name].arn})")
            jobs[name] = job
        self._changed(job, status_changed=True)
        self._start_runner(self, job)
        return job

    def get(self, account_id: str, region: str, name: str) -> ProcessingJob:
        with self._lock:
            job = self.store[account_id, region].processing_jobs.get(name)
        if job is None:
            raise ResourceNotFound(f"Processing job {sagemaker_arn('processing-job', name, account_id, region)} does not "
                            "exist.")
        return job

    def find(self, account_id: str, region: str, name: str) -> ProcessingJob | None:
        with self._lock:
            return self.store[account_id, region].processing_jobs.get(name)

    def jobs(self, account_id: str, region: str) -> list[ProcessingJob]:
        with self._lock:
            return list(self.store[account_id, region].processing_jobs.values())

    def update(self, job: ProcessingJob, *, status: str | None = None, **fields: Any) -> bool:
        """Change a job; a status change sends an event and calls the job's listeners.

        A job that reached a terminal status keeps it. Returns whether the status changed.
        """
        with self._lock:
            if job.status in TERMINAL_STATUSES:
                return False
            for key, value in fields.items():
                if not hasattr(job, key):
                    raise AttributeError(key)
                if key in ("exit_message", "failure_reason") and isinstance(value, str):
                    value = value[:REASON_LIMIT]
                setattr(job, key, value)
            changed = status is not None and status != job.status
            if status is not None:
                job.status = status
            job.last_modified_time = self.clock()
            if job.status in TERMINAL_STATUSES:
                job.end_time = job.end_time or job.last_modified_time
        self._changed(job, status_changed=changed)
        if job.status in TERMINAL_STATUSES:
            job.finished.set()
        return changed

    def _changed(self, job: ProcessingJob, *, status_changed: bool) -> None:
        if status_changed:
            self._publish([processing_job_state_event(job.describe())], job.account_id, job.region)
        for listener in list(job.listeners):
            try:
                listener(job)
            except Exception:  # noqa: BLE001 - a listener must not break the job
                LOG.exception("sagewatch: listener of processing job %s failed", job.name)

    def request_stop(self, job: ProcessingJob) -> None:
        """Move an ``InProgress`` job to ``Stopping``; its runner stops the process and ends it ``Stopped``."""
        with self._lock:
            if job.status != "InProgress":
                raise ValidationException(f"The processing job {job.name} is not in progress (status: {job.status}); "
                                       "only InProgress jobs can be stopped.")
        job.stop_requested.set()
        self.update(job, status="Stopping")

    def register_runner(self, job: ProcessingJob, runner: Any | None) -> None:
        """Remember the runner of a running job (None forgets it), so :meth:`shutdown` can stop it."""
        with self._lock:
            if runner is None:
                self._runners.pop(job.arn, None)
            else:
                self._runners[job.arn] = runner

    def shutdown(self) -> None:
        """Stop every running job's process (LocalStack is going down)."""
        with self._lock:
            runners = list(self._runners.values())
        for runner in runners:
            try:
                runner.kill()
            except Exception:  # noqa: BLE001
                LOG.exception("sagewatch: could not stop a processing job")

    # --- handlers -------------------------------------------------------------------------------------------

    def handlers(self) -> dict[str, Callable[[RequestContext, Mapping[str, Any]], Any]]:
        return {
            "CreateProcessingJob": self.handle_create,
            "DescribeProcessingJob": self.handle_describe,
            "ListProcessingJobs": self.handle_list,
            "StopProcessingJob": self.handle_stop,
        }

    def handle_create(self, context: RequestContext, request: Mapping[str, Any]) -> dict[str, Any]:
        job = self.create_job(context.account_id, context.region, request)
        return {"ProcessingJobArn": job.arn}

    def handle_describe(self, context: RequestContext, request: Mapping[str, Any]) -> dict[str, Any]:
        return self.get(context.account_id, context.region, request.get("ProcessingJobName", "")).describe()

    def handle_stop(self, context: RequestContext, request: Mapping[str, Any]) -> dict[str, Any]:
        self.request_stop(self.get(context.account_id, context.region, request.get("ProcessingJobName", "")))
        return {}

    def handle_list(self, context: RequestContext, request: Mapping[str, Any]) -> dict[str, Any]:
        if request.get("StatusEquals") is not None:
            check_enum(request["StatusEquals"], "statusEquals", STATUSES)
        checks = time_filters(request, {"CreationTime": "CreationTime", "LastModifiedTime": "LastModifiedTime"})
        contains = (request.get("NameContains") or "").lower()
        summaries = [
            summary for summary in (job.summary() for job in self.jobs(context.account_id, context.region))
            if contains in summary["ProcessingJobName"].lower()
            and request.get("StatusEquals") in (None, summary["ProcessingJobStatus"])
            and all(check(summary) for check in checks)
        ]
        ordered = sort_items(summaries, request, {"Name": "ProcessingJobName", "CreationTime": "CreationTime",
                                                  "Status": "ProcessingJobStatus"}, "CreationTime",
                             "ProcessingJobName")
        page, token = paginate(ordered, request)
        return without_none({"ProcessingJobSummaries": page, "NextToken": token})


def _start_runner_thread(service: ProcessingService, job: ProcessingJob) -> None:
    from sagewatch.localstack.sagemaker.processing.runner import JobRunner

    runner = JobRunner(service, job)
    service.register_runner(job, runner)
    threading.Thread(target=runner.run, name=f"sagewatch-job-{job.name}", daemon=True).start()
