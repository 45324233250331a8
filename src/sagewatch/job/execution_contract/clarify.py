"""Clarify: model bias (after the ground-truth merge) and model explainability (contract §7.1, §7.6)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sagewatch.errors import InvalidParameterError
from sagewatch.job.execution_contract.batch import manifest_inputs
from sagewatch.job.execution_contract.constants import (BATCH_INPUT_FOLDER, BIAS_DATASET_FORMAT, CAPTURE_DATASET_FORMAT,
                                                        CLARIFY_CONFIG_FILE, CLARIFY_CONFIG_PATH, CONSTRAINTS_PATH,
                                                        MERGE_REPORT_PATH)
from sagewatch.job.execution_contract.model_quality import (_attribute_environment, _merged_inputs, _require_merge,
                                                            merge_report_s3_uri)
from sagewatch.job.execution_contract.plan import (ExecutionPlan, _basename, _publish_setting, _report_outputs,
                                                   _request, _s3_input, _window_environment)

__all__ = ["model_bias_request", "model_explainability_request"]


def _clarify_request(plan: ExecutionPlan, analysis_type: str, inputs: list[dict[str, Any]], dataset_format: str,
                     extra: Mapping[str, str] | None = None) -> dict[str, Any]:
    if not plan.config_uri:
        raise InvalidParameterError(f"a {plan.monitoring_type} execution plan needs config_uri "
                                    f"({plan.monitoring_type}AppSpecification.ConfigUri, the analysis_config.json)")
    config_file = _basename(plan.config_uri) if plan.config_uri.endswith(".json") else CLARIFY_CONFIG_FILE
    data_root = plan.input_local_path.rstrip("/")
    inputs = [_s3_input("analysis_config", plan.config_uri, CLARIFY_CONFIG_PATH), *inputs]
    environment = dict(plan.environment)
    _publish_setting(plan, environment)
    environment.update({
        "analysis_type": analysis_type,
        "analysis_config": f"{CLARIFY_CONFIG_PATH}/{config_file}",
        "dataset_format": dataset_format,
        "dataset_source": data_root,
        "output_path": plan.output_local_path,
        **_window_environment(plan),
        # the names of the Clarify contract, next to the analyzer's sagemaker_* names (a batch input has no endpoint)
        **({} if plan.is_batch else {"endpoint_name": plan.endpoint_name}),
        "monitoring_schedule_name": plan.schedule_name,
        **(extra or {}),
    })
    if plan.baseline_constraints_uri:
        inputs.append(_s3_input("baseline", plan.baseline_constraints_uri, CONSTRAINTS_PATH))
        environment["baseline_constraints"] = f"{CONSTRAINTS_PATH}/{_basename(plan.baseline_constraints_uri)}"
    _attribute_environment(plan, environment)
    outputs = _report_outputs(plan, environment)
    return _request(plan, plan.job_name, inputs, outputs, environment, plan.app_specification)


def model_bias_request(plan: ExecutionPlan) -> dict[str, Any]:
    """The ``CreateProcessingJob`` request of the Clarify job of a model-bias execution (contract §7.1, §7.6).

    It runs after :func:`ground_truth_merge_request` and reads what the merge wrote, one input per captured hour
    (:func:`merged_s3_prefix`) at ``<EndpointInput LocalPath>/<endpoint>/<variant>/yyyy/mm/dd/hh`` with
    ``dataset_format`` ``sagemakerMergeJson`` (``endpointInput`` and ``endpointOutput``: features, prediction and
    ground truth); ``analysis_config`` = ``ConfigUri`` at ``/opt/ml/processing/input/config``; ``baseline`` = the
    baseline ``analysis.json`` at ``/opt/ml/processing/baseline/constraints``; the ``EndpointInput`` attributes;
    the job definition's ``ImageUri`` (the Clarify image).
    """
    _require_merge(plan)
    report = merge_report_s3_uri(plan)
    return _clarify_request(plan, "MODEL_BIAS", _merged_inputs(plan, plan.input_local_path.rstrip("/")),
                            BIAS_DATASET_FORMAT,
                            {"sagewatch_merge_report": f"{MERGE_REPORT_PATH}/{_basename(report)}"})


def model_explainability_request(plan: ExecutionPlan) -> dict[str, Any]:
    """The ``CreateProcessingJob`` request of the Clarify job of a model-explainability execution (contract §7.1,
    §7.6): the captured hours of the window as data quality mounts them (``sagemakerCaptureJson``), the
    ``analysis_config`` and ``baseline`` inputs and the environment of :func:`model_bias_request`."""
    local_root = plan.input_local_path.rstrip("/")
    if plan.is_batch:  # the transform's input files (the features); the config's predictor names the model
        return _clarify_request(plan, "MODEL_EXPLAINABILITY",
                                manifest_inputs(plan, local_root, kinds=(BATCH_INPUT_FOLDER,)),
                                plan.batch_dataset_format or "")
    inputs = [_s3_input(f"endpoint_input_{number}", capture.s3_uri,
                        f"{local_root}/{plan.endpoint_name}/{capture.variant}/{capture.hour:%Y/%m/%d/%H}",
                        plan.input_mode, plan.input_distribution)
              for number, capture in enumerate(plan.captures, 1)]
    return _clarify_request(plan, "MODEL_EXPLAINABILITY", inputs, CAPTURE_DATASET_FORMAT)
