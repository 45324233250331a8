"""Run one monitoring window inside the Lambda: download to ``/tmp``, run the analyzer entry point, upload.

This is ``python -m sagewatch.job`` in process (:func:`sagewatch.job.__main__.main` with an explicit
environment and ``SAGEWATCH_OPT_ML`` pointing at a temporary folder), fed with the same inputs and paths as the
processing job of :mod:`sagewatch.lambda_support.monitoring`. Meant for small windows: the Lambda's ``/tmp``
and memory bound the data. The S3 client is passed in (any object with boto3's ``list_objects_v2``,
``download_file`` and ``upload_file``).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sagewatch.lambda_support.monitoring import (METRICS_PATH, OUTPUT_PATH, MonitoringSettings, MonitoringWindow,
                                                 job_environment, processing_inputs, report_s3_uri, split_s3_uri)

__all__ = ["InlineResult", "download_prefix", "run_window"]


@dataclass(frozen=True)
class InlineResult:
    exit_code: int
    message: str
    report_s3_uri: str
    uploaded: tuple[str, ...]
    metric_lines: tuple[str, ...]

    @property
    def status(self) -> str:
        """The processing-job status this run stands for: ``Completed`` or ``Failed`` (contract §4.4)."""
        return "Completed" if self.exit_code == 0 else "Failed"


def download_prefix(s3: Any, uri: str, destination: Path) -> int:
    """Download every object under ``uri`` (an ``S3Prefix`` input) into ``destination``; returns the count.

    Keys keep their path below the prefix; an object whose key equals the prefix keeps its file name.
    """
    bucket, prefix = split_s3_uri(uri)
    count = 0
    token = None
    while True:
        page = s3.list_objects_v2(Bucket=bucket, Prefix=prefix, **({"ContinuationToken": token} if token else {}))
        for item in page.get("Contents", []):
            key = item["Key"]
            if key.endswith("/"):
                continue
            relative = key[len(prefix):].lstrip("/") or key.rsplit("/", 1)[-1]
            target = destination / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file(bucket, key, str(target))
            count += 1
        if not page.get("IsTruncated"):
            return count
        token = page.get("NextContinuationToken")


def _local(root: Path, container_path: str) -> Path:
    return root / container_path[len("/opt/ml/"):]


def run_window(settings: MonitoringSettings, window: MonitoringWindow, *, s3: Any, workdir: Path) -> InlineResult:
    """Analyse ``window`` with the engine in this process and upload the report next to where a processing job
    would have put it. The exit code and message follow the container contract (0 or 255, contract §4.4)."""
    from sagewatch.job.__main__ import main as job_main  # the engine: numpy, pyarrow, ... only when used

    root = workdir / "opt-ml"
    shutil.rmtree(root, ignore_errors=True)
    for item in processing_inputs(settings, window):
        source = item["S3Input"]
        download_prefix(s3, source["S3Uri"], _local(root, source["LocalPath"]))
    environment = job_environment(settings, window)
    environment["SAGEWATCH_OPT_ML"] = str(root)
    exit_code = job_main(environment)
    message_file = root / "output" / "message"
    message = message_file.read_text(encoding="utf-8") if message_file.is_file() else ""

    report = report_s3_uri(settings, window)
    bucket, prefix = split_s3_uri(report)
    uploaded = []
    output = _local(root, OUTPUT_PATH)
    if exit_code == 0 and output.is_dir():
        for path in sorted(p for p in output.rglob("*") if p.is_file()):
            key = f"{prefix}/{path.relative_to(output).as_posix()}"
            s3.upload_file(str(path), bucket, key)
            uploaded.append(f"s3://{bucket}/{key}")
    lines: list[str] = []
    metrics = _local(root, METRICS_PATH)
    if exit_code == 0 and metrics.is_dir():
        for path in sorted(metrics.glob("*.jsonl")):
            lines += [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return InlineResult(exit_code=exit_code, message=message, report_s3_uri=report, uploaded=tuple(uploaded),
                        metric_lines=tuple(lines))
