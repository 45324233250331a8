"""The fixed names of the execution contract: container paths (contract §4.1), ``dataset_format`` values (§4.2),
output and job-name prefixes (§2.3, §7.1, §12). Standard library only."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = [
    "ENDPOINT_INPUT_PATH", "OUTPUT_PATH", "CONSTRAINTS_PATH", "STATISTICS_PATH", "PREPROCESSOR_PATH",
    "POSTPROCESSOR_PATH", "PLATFORM_METRICS_PATH", "METRICS_OUTPUT_PATH", "MERGE_DATASET_PATH", "GROUND_TRUTH_PATH",
    "MERGE_REPORT_PATH", "CLARIFY_CONFIG_PATH", "CONTAINER_PATHS", "CAPTURE_DATASET_FORMAT", "MERGE_DATASET_FORMAT",
    "RESULT_OUTPUT_NAME", "MERGE_JOB_PREFIX", "MODEL_QUALITY_JOB_PREFIX", "MERGER_REPOSITORY",
    "MERGE_REPORTS_FOLDER", "METRICS_OUTPUT_NAME", "MODEL_BIAS_JOB_PREFIX", "MODEL_EXPLAINABILITY_JOB_PREFIX",
    "CLARIFY_CONFIG_FILE", "CLARIFY_BASELINE_FILE", "BIAS_DATASET_FORMAT", "DEFAULT_MAX_RUNTIME",
    "MAX_JOB_NAME_LENGTH", "BATCH_MONITORING_INPUT_TYPE", "BATCH_INPUT_FOLDER", "BATCH_OUTPUT_FOLDER",
]

# --- the container paths (contract §4.1) ----------------------------------------------------------------------
ENDPOINT_INPUT_PATH = "/opt/ml/processing/input/endpoint"
OUTPUT_PATH = "/opt/ml/processing/output"
CONSTRAINTS_PATH = "/opt/ml/processing/baseline/constraints"
STATISTICS_PATH = "/opt/ml/processing/baseline/stats"
PREPROCESSOR_PATH = "/opt/ml/processing/code/preprocessing"  # the service's own path is UNCONFIRMED (§4.1)
POSTPROCESSOR_PATH = "/opt/ml/processing/code/postprocessing"
PLATFORM_METRICS_PATH = "/opt/ml/output/metrics/cloudwatch"  # what the platform publishes after the job
# where a plain processing job (no platform step publishes metrics) writes them: an extra output (sagewatch's)
METRICS_OUTPUT_PATH = "/opt/ml/processing/cloudwatch_metrics"
# the ground-truth merge and the model-quality analysis (contract §2.3, §6.4: both read /opt/ml/processing/input_data)
MERGE_DATASET_PATH = "/opt/ml/processing/input_data"
GROUND_TRUTH_PATH = "/opt/ml/processing/groundtruth"
# where the analysis job finds the merge job's counts (sagewatch's addition; SageMaker keeps none)
MERGE_REPORT_PATH = "/opt/ml/processing/merge_report"
# a Clarify job's analysis_config.json (contract §7.1)
CLARIFY_CONFIG_PATH = "/opt/ml/processing/input/config"

CONTAINER_PATHS: Mapping[str, str] = {
    "endpoint_input": ENDPOINT_INPUT_PATH,
    "output": OUTPUT_PATH,
    "baseline_constraints": CONSTRAINTS_PATH,
    "baseline_statistics": STATISTICS_PATH,
    "record_preprocessor_script": PREPROCESSOR_PATH,
    "post_analytics_processor_script": POSTPROCESSOR_PATH,
    "platform_metrics": PLATFORM_METRICS_PATH,
    "metrics_output": METRICS_OUTPUT_PATH,
    "merge_dataset": MERGE_DATASET_PATH,
    "ground_truth": GROUND_TRUTH_PATH,
    "merge_report": MERGE_REPORT_PATH,
    "analysis_config": CLARIFY_CONFIG_PATH,
}

# the contract's §4.2 value for endpoint monitoring
CAPTURE_DATASET_FORMAT = '{"sagemakerCaptureJson":{"captureIndexNames":["endpointInput","endpointOutput"]}}'
MERGE_DATASET_FORMAT = '{"sagemakerMergeJson":{"captureIndexNames":["endpointOutput"]}}'  # contract §4.2
RESULT_OUTPUT_NAME = "result"
# job names of a model-quality execution (contract §2.3, CDKN)
MERGE_JOB_PREFIX = "groundtruth-merge"
MODEL_QUALITY_JOB_PREFIX = "model-quality-monitoring"
MERGER_REPOSITORY = "sagemaker-model-monitor-groundtruth-merger"
MERGE_REPORTS_FOLDER = "sagewatch-merge-reports"
METRICS_OUTPUT_NAME = "cloudwatch_metrics"
# Clarify monitoring executions (contract §7.1, §7.6); the job-name prefixes are sagewatch's, by analogy with
# model quality's (the service's are UNCONFIRMED, contract §12)
MODEL_BIAS_JOB_PREFIX = "model-bias-monitoring"
MODEL_EXPLAINABILITY_JOB_PREFIX = "model-explainability-monitoring"
CLARIFY_CONFIG_FILE = "analysis_config.json"
CLARIFY_BASELINE_FILE = "analysis.json"
# bias reads the features (endpointInput), the prediction (endpointOutput) and the merged ground truth
BIAS_DATASET_FORMAT = '{"sagemakerMergeJson":{"captureIndexNames":["endpointInput","endpointOutput"]}}'
DEFAULT_MAX_RUNTIME = 3600
MAX_JOB_NAME_LENGTH = 63
# batch-transform inputs (contract §1.4): the analyzer's monitoring_input_type (its default is ENDPOINT_INPUT, §4.2;
# the batch value is sagewatch's reading) and the folders the manifests' files are mounted in below the LocalPath
BATCH_MONITORING_INPUT_TYPE = "BATCH_TRANSFORM_INPUT"
BATCH_INPUT_FOLDER = "input"
BATCH_OUTPUT_FOLDER = "output"
