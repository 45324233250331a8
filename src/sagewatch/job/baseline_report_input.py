"""sagewatch's one addition to a data-quality execution's inputs: the baseline's own ``sagewatch_report.json``.

A sagewatch baseline (the CLI, a local job, or a baselining processing job through sagewatch's analyzer image)
writes ``sagewatch_report.json`` beside ``statistics.json`` and ``constraints.json``; it holds a uniform
row sample of the baseline's numeric features (at most ``sagewatch.defaults.SAMPLE_ROWS`` = 1,000 rows, drawn
with a generator seeded by the row count, so the same data gives the same sample). A monitoring job needs that
sample for the multivariate MMD test. SageMaker only mounts the statistics file, so when the baseline statistics'
folder holds the report too, the execution mounts it as one more input, under its own path (every input's
``LocalPath`` must be unique), and names the file in the environment variable :data:`BASELINE_REPORT_VARIABLE`
(read by :mod:`sagewatch.job.spec`). A SageMaker baseline has no report: no input, and the job says in its own
report that the multivariate test did not run, and why.

Standard library only: the processing-mode Lambda imports the execution contract.
"""

from __future__ import annotations

from sagewatch.schemas.s3_uri import split_s3_uri

__all__ = ["BASELINE_REPORT_FILE", "BASELINE_REPORT_INPUT_NAME", "BASELINE_REPORT_PATH", "BASELINE_REPORT_VARIABLE",
           "baseline_report_uri"]

BASELINE_REPORT_FILE = "sagewatch_report.json"  # sagewatch.schemas.report.REPORT_FILE (that module needs pydantic)
BASELINE_REPORT_INPUT_NAME = "sagewatch_baseline_report"  # SageMaker's own inputs never start with "sagewatch"
BASELINE_REPORT_PATH = "/opt/ml/processing/baseline/sagewatch"
BASELINE_REPORT_VARIABLE = "baseline_sagewatch_report"  # beside baseline_statistics and baseline_constraints


def baseline_report_uri(statistics_uri: str) -> str:
    """Where a sagewatch baseline keeps its report: beside the statistics file.

    Examples
    --------
    >>> baseline_report_uri("s3://bucket/baselining/job-1/statistics.json")
    's3://bucket/baselining/job-1/sagewatch_report.json'
    >>> baseline_report_uri("s3://bucket/statistics.json")
    's3://bucket/sagewatch_report.json'
    """
    bucket, key = split_s3_uri(statistics_uri)
    folder = key.rstrip("/").rpartition("/")[0]
    return f"s3://{bucket}/{folder}/{BASELINE_REPORT_FILE}" if folder else f"s3://{bucket}/{BASELINE_REPORT_FILE}"
