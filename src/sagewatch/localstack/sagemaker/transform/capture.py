"""Batch-transform data capture (contract §1.4): the input and output manifests of one job.

SageMaker writes manifests, not copies of the data: under ``<DestinationS3Uri>/input/yyyy/mm/dd/hh/`` one
listing the job's input files, under ``<DestinationS3Uri>/output/yyyy/mm/dd/hh/`` one listing its ``.out`` files,
the folders being the UTC hour the job started. Each is one JSON array whose first element names the prefix
(:func:`sagewatch.capture.manifest.serialize_manifest`, the one writer; ``parse_manifests`` reads it back).

The file name is sagewatch's choice (no real one is documented): ``<TransformJobName>.jsonl``; job names are
unique in an account and region, so two jobs never write the same key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from sagewatch.capture.manifest import BatchManifest, serialize_manifest

__all__ = ["CaptureManifests", "capture_manifests", "manifest_key"]


@dataclass(frozen=True)
class CaptureManifests:
    """The two manifest objects of one job: ``(uri, body)`` each."""

    input: tuple[str, bytes]
    output: tuple[str, bytes]


def _folder(uri: str) -> str:
    return uri if uri.endswith("/") else uri + "/"


def manifest_key(destination: str, kind: str, job_name: str, start_time: datetime) -> str:
    """The S3 URI of a job's *kind* (``input`` or ``output``) manifest.

    Examples
    --------
    >>> manifest_key("s3://b/capture", "input", "tj", datetime(2022, 8, 26, 13, 5, tzinfo=timezone.utc))
    's3://b/capture/input/2022/08/26/13/tj.jsonl'
    """
    hour = start_time.astimezone(timezone.utc).strftime("%Y/%m/%d/%H")
    return f"{_folder(destination)}{kind}/{hour}/{job_name}.jsonl"


def capture_manifests(destination: str, job_name: str, start_time: datetime, input_prefix: str,
                      input_files: Sequence[str], output_prefix: str) -> CaptureManifests:
    """The manifests of a job that read *input_files* (relative to *input_prefix*) and wrote one
    ``<file>.out`` each under *output_prefix*.

    Examples
    --------
    >>> m = capture_manifests("s3://b/cap/", "tj", datetime(2022, 8, 26, 13, tzinfo=timezone.utc), "s3://b/in",
    ...                       ["dummy_0.csv", "dummy_1.csv"], "s3://b/out")
    >>> m.output
    ('s3://b/cap/output/2022/08/26/13/tj.jsonl', b'[{"prefix":"s3://b/out/"}, "dummy_0.csv.out", "dummy_1.csv.out"]')
    """
    inputs = BatchManifest(_folder(input_prefix), tuple(input_files))
    outputs = BatchManifest(_folder(output_prefix), tuple(f"{name}.out" for name in input_files))
    return CaptureManifests(
        (manifest_key(destination, "input", job_name, start_time), serialize_manifest(inputs).encode("utf-8")),
        (manifest_key(destination, "output", job_name, start_time), serialize_manifest(outputs).encode("utf-8")),
    )
