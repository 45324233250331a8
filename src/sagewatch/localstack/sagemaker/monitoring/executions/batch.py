"""What the planners of ``BatchTransformInput`` executions share: the capture manifests of the window (contract §1.4).

A batch transform with data capture writes manifests under ``DataCapturedDestinationS3Uri``:
``input/yyyy/mm/dd/hh/<name>`` (the transform's input files) and ``output/yyyy/mm/dd/hh/<name>`` (its ``.out``
files), in the UTC hour the transform job started. An execution reads the hour folders of its window, as an
endpoint execution reads the captured hours (:mod:`.data_quality`); the manifests found become ``ManifestFile``
inputs of its jobs (:mod:`sagewatch.job.execution_contract.batch`). None of the kinds a monitor needs fails the
execution (``Job inputs had no data: ...``) without starting a job.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

from sagewatch.errors import InvalidParameterError
from sagewatch.job.execution_contract import (BATCH_INPUT_FOLDER, AnalysisWindow, BatchManifestFile,
                                              batch_dataset_format)
from sagewatch.localstack.sagemaker.common import iso_z
from sagewatch.localstack.sagemaker.monitoring.executions.base import ExecutionFailure, ExecutionRun
from sagewatch.localstack.sagemaker.processing.aws import AwsAccess
from sagewatch.schemas.s3_uri import join_s3_uri, split_s3_uri

__all__ = ["find_manifests", "newest_manifest_hour", "manifests_in_window", "batch_plan_fields"]

_HOUR_FOLDER = re.compile(r"^(\d{4})/(\d{2})/(\d{2})/(\d{2})/[^/]+$")


def find_manifests(aws: AwsAccess, destination: str, hours: list[Any], kinds: tuple[str, ...]
                   ) -> list[BatchManifestFile]:
    """The manifests of *kinds* (``input``, ``output``) in the hour folders of *hours* under *destination*: the
    objects directly in ``<destination>/<kind>/yyyy/mm/dd/hh/``, in key order."""
    bucket, prefix = split_s3_uri(destination)
    found = []
    for kind in kinds:
        for hour in hours:
            folder = join_s3_uri(prefix, kind, f"{hour:%Y/%m/%d/%H}") + "/"
            keys = sorted(key for key, _ in aws.list_objects(bucket, folder)
                          if key != folder and "/" not in key[len(folder):])
            found += [BatchManifestFile(kind, hour, f"s3://{bucket}/{key}") for key in keys]
    return found


def newest_manifest_hour(aws: AwsAccess, destination: str, kind: str) -> datetime | None:
    """The newest UTC hour folder ``<destination>/<kind>/yyyy/mm/dd/hh/`` that holds a manifest, or None."""
    bucket, prefix = split_s3_uri(destination)
    folder = join_s3_uri(prefix, kind) + "/"
    hours = []
    for key, _ in aws.list_objects(bucket, folder):
        if match := _HOUR_FOLDER.match(key[len(folder):]):
            try:
                hours.append(datetime(*map(int, match.groups()), tzinfo=timezone.utc))
            except ValueError:  # a folder that only looks like an hour (month 13)
                continue
    return max(hours, default=None)


def _newest_hint(run: ExecutionRun, destination: str, kind: str) -> str:
    """Where the captures are, when the window missed them: a transform job writes its manifests in the hour it
    started, and an hourly execution reads the hour before its ScheduledTime (run-now defaults to the current
    hour, so it misses a transform job that just ran)."""
    newest = newest_manifest_hour(run.aws, destination, kind)
    if newest is None:
        return ""
    return (f" The newest manifest there is in the hour {iso_z(newest)} (a transform job writes its manifests in the "
            f"hour it started); an hourly schedule reads that hour in its execution for ScheduledTime "
            f"{iso_z(newest + timedelta(hours=1))}.")


def manifests_in_window(run: ExecutionRun, *, kinds: tuple[str, ...] = (BATCH_INPUT_FOLDER,), why: str = ""
                        ) -> tuple[AnalysisWindow, list[BatchManifestFile]]:
    """The window of a batch-transform execution and the manifests of *kinds* in it; :class:`ExecutionFailure`
    ("Job inputs had no data", *why* added) when a kind has none."""
    batch = run.definition.job_input["BatchTransformInput"]
    window = run.window(batch.get("StartTimeOffset"), batch.get("EndTimeOffset"))
    destination = batch["DataCapturedDestinationS3Uri"]
    manifests = find_manifests(run.aws, destination, window.hours, kinds)
    for kind in kinds:
        if not any(m.kind == kind for m in manifests):
            raise ExecutionFailure(
                f"Job inputs had no data: no batch-transform capture manifest between {iso_z(window.start)} and "
                f"{iso_z(window.end)} under {join_s3_uri(destination, kind)}/yyyy/mm/dd/hh/{why}. Run a transform "
                "job with DataCaptureConfig whose DestinationS3Uri is the DataCapturedDestinationS3Uri, or run the "
                "schedule for another ScheduledTime." + _newest_hint(run, destination, kind))
    return window, manifests


def batch_plan_fields(run: ExecutionRun, manifests: list[BatchManifestFile]) -> dict[str, Any]:
    """The fields of :class:`~sagewatch.job.execution_contract.ExecutionPlan` that a batch input sets: its
    manifests, ``dataset_format`` (of ``DatasetFormat``; a bad one fails the execution), ``LocalPath``, modes and
    attributes; ``endpoint_name`` is empty."""
    batch = run.definition.job_input["BatchTransformInput"]
    try:
        dataset_format = batch_dataset_format(batch.get("DatasetFormat"))
    except InvalidParameterError as error:
        raise ExecutionFailure(f"ClientError: {error}") from error
    return {
        "endpoint_name": "", "batch_manifests": tuple(manifests), "batch_dataset_format": dataset_format,
        "capture_destination_uri": batch["DataCapturedDestinationS3Uri"],
        "input_local_path": batch["LocalPath"], "input_mode": batch.get("S3InputMode", "File"),
        "input_distribution": batch.get("S3DataDistributionType", "FullyReplicated"),
        "features_attribute": batch.get("FeaturesAttribute"),
        "inference_attribute": batch.get("InferenceAttribute"),
        "probability_attribute": batch.get("ProbabilityAttribute"),
        "probability_threshold_attribute": batch.get("ProbabilityThresholdAttribute"),
    }
