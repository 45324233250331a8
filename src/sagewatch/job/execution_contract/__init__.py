"""The execution contract: the processing jobs one monitoring execution runs (contract §2.3, §4.1, §4.2, §9, §12).

:mod:`sagewatch.job.spec` reads a processing job's environment inside the container; this module writes it,
from outside: given an :class:`ExecutionPlan` (what to analyse and where the files are), :func:`job_requests`
returns the ``CreateProcessingJob`` requests of the execution in the order they run, by monitoring type
(:data:`REQUEST_BUILDERS`): one job for data quality and model explainability, a ground-truth merge job followed by
the analysis job for model quality and model bias (contract §2.3, §7). :func:`job_request` is the last one,
whose ARN the execution reports.
The emulator (:mod:`sagewatch.localstack.sagemaker.monitoring.executions`) and the processing-mode Lambda
(:mod:`sagewatch.lambda_support.monitoring`) both build their jobs here, with one window calculation
(:func:`analysis_window`), one job-name rule (:func:`execution_job_name`) and one table of container paths.

Standard library only: the Lambda that starts processing jobs carries no numpy.

A package, one module per family: :mod:`.constants` (container paths, formats, prefixes), :mod:`.window`,
:mod:`.plan` (the plan, names and places, shared request pieces), :mod:`.data_quality`, :mod:`.model_quality`
(the ground-truth merge and the analysis), :mod:`.clarify` (model bias and explainability), :mod:`.batch` (the
inputs and environment of batch-transform monitoring, contract §1.4) and :mod:`.registry`. Every public name is
importable from this package.

Adding a monitor: write its ``<type>_request(plan)`` (and any job that must run before it) in a module of its own
and register the chain in :data:`REQUEST_BUILDERS`.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone  # noqa: F401 - kept importable from here, as before the split

from sagewatch.errors import InvalidParameterError  # noqa: F401
from sagewatch.job.execution_contract.constants import (ENDPOINT_INPUT_PATH, OUTPUT_PATH, CONSTRAINTS_PATH,
                                                        STATISTICS_PATH, PREPROCESSOR_PATH, POSTPROCESSOR_PATH,
                                                        PLATFORM_METRICS_PATH, METRICS_OUTPUT_PATH,
                                                        MERGE_DATASET_PATH, GROUND_TRUTH_PATH, MERGE_REPORT_PATH,
                                                        CLARIFY_CONFIG_PATH, CONTAINER_PATHS, CAPTURE_DATASET_FORMAT,
                                                        MERGE_DATASET_FORMAT, RESULT_OUTPUT_NAME, MERGE_JOB_PREFIX,
                                                        MODEL_QUALITY_JOB_PREFIX, MERGER_REPOSITORY,
                                                        MERGE_REPORTS_FOLDER, METRICS_OUTPUT_NAME,
                                                        MODEL_BIAS_JOB_PREFIX, MODEL_EXPLAINABILITY_JOB_PREFIX,
                                                        CLARIFY_CONFIG_FILE, CLARIFY_BASELINE_FILE,
                                                        BIAS_DATASET_FORMAT, DEFAULT_MAX_RUNTIME, MAX_JOB_NAME_LENGTH,
                                                        BATCH_MONITORING_INPUT_TYPE, BATCH_INPUT_FOLDER,
                                                        BATCH_OUTPUT_FOLDER)
from sagewatch.job.execution_contract.window import (AnalysisWindow, WindowError, analysis_window, floor_hour,
                                                     ground_truth_hours, parse_offset)
from sagewatch.job.execution_contract.plan import (BatchManifestFile, CaptureHour, ExecutionPlan, GroundTruthHour,
                                                   execution_job_name, report_s3_uri)
from sagewatch.job.execution_contract.batch import batch_dataset_format, manifest_inputs
from sagewatch.job.execution_contract.data_quality import data_quality_request
from sagewatch.job.execution_contract.model_quality import (ground_truth_merge_request, merge_report_s3_uri,
                                                            merged_s3_prefix, merger_image_uri, model_quality_request)
from sagewatch.job.execution_contract.clarify import model_bias_request, model_explainability_request
from sagewatch.job.execution_contract.registry import (REQUEST_BUILDERS, UnsupportedMonitoringType, job_request,
                                                       job_requests)

_CONSTANTS = [
    "ENDPOINT_INPUT_PATH", "OUTPUT_PATH", "CONSTRAINTS_PATH", "STATISTICS_PATH", "PREPROCESSOR_PATH",
    "POSTPROCESSOR_PATH", "PLATFORM_METRICS_PATH", "METRICS_OUTPUT_PATH", "MERGE_DATASET_PATH", "GROUND_TRUTH_PATH",
    "MERGE_REPORT_PATH", "CLARIFY_CONFIG_PATH", "CONTAINER_PATHS", "CAPTURE_DATASET_FORMAT", "MERGE_DATASET_FORMAT",
    "RESULT_OUTPUT_NAME", "MERGE_JOB_PREFIX", "MODEL_QUALITY_JOB_PREFIX", "MERGER_REPOSITORY",
    "MERGE_REPORTS_FOLDER", "METRICS_OUTPUT_NAME", "MODEL_BIAS_JOB_PREFIX", "MODEL_EXPLAINABILITY_JOB_PREFIX",
    "CLARIFY_CONFIG_FILE", "CLARIFY_BASELINE_FILE", "BIAS_DATASET_FORMAT", "DEFAULT_MAX_RUNTIME",
    "MAX_JOB_NAME_LENGTH", "BATCH_MONITORING_INPUT_TYPE", "BATCH_INPUT_FOLDER", "BATCH_OUTPUT_FOLDER",
]
__all__ = [
    *_CONSTANTS, "WindowError", "AnalysisWindow", "CaptureHour", "ExecutionPlan", "floor_hour", "parse_offset",
    "analysis_window", "ground_truth_hours", "execution_job_name", "report_s3_uri", "job_request", "job_requests",
    "REQUEST_BUILDERS", "UnsupportedMonitoringType", "GroundTruthHour", "merger_image_uri", "merged_s3_prefix",
    "merge_report_s3_uri", "ground_truth_merge_request", "model_quality_request", "data_quality_request",
    "model_bias_request", "model_explainability_request", "BatchManifestFile", "batch_dataset_format",
    "manifest_inputs",
]
