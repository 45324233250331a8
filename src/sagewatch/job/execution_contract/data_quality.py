"""The request of a data-quality execution's job (contract §4.2, §9)."""

from __future__ import annotations

from typing import Any

from sagewatch.job.baseline_report_input import (BASELINE_REPORT_INPUT_NAME, BASELINE_REPORT_PATH,
                                                  BASELINE_REPORT_VARIABLE)
from sagewatch.job.execution_contract.batch import manifest_inputs
from sagewatch.job.execution_contract.constants import BATCH_INPUT_FOLDER, CAPTURE_DATASET_FORMAT
from sagewatch.job.execution_contract.plan import (ExecutionPlan, _basename, _publish_setting, _report_outputs,
                                                   _request, _s3_input, _script_inputs, _window_environment)

__all__ = ["data_quality_request"]


def data_quality_request(plan: ExecutionPlan) -> dict[str, Any]:
    """The ``CreateProcessingJob`` request of a data-quality execution (see the package docstring): the captured
    hours of the window, or for a batch-transform input the transform's input files (``ManifestFile`` inputs,
    :mod:`sagewatch.job.execution_contract.batch`) with ``BatchTransformInput.DatasetFormat``'s ``dataset_format``."""
    local_root = plan.input_local_path.rstrip("/")
    if plan.is_batch:  # the transform's input files, named by the input manifests (contract §1.4)
        inputs = manifest_inputs(plan, local_root, kinds=(BATCH_INPUT_FOLDER,))
    else:
        inputs = [_s3_input(f"endpoint_input_{number}", capture.s3_uri,
                            f"{local_root}/{plan.endpoint_name}/{capture.variant}/{capture.hour:%Y/%m/%d/%H}",
                            plan.input_mode, plan.input_distribution)
                  for number, capture in enumerate(plan.captures, 1)]
    environment = dict(plan.environment)
    _publish_setting(plan, environment)
    environment.update({
        "dataset_format": plan.batch_dataset_format or CAPTURE_DATASET_FORMAT,
        "dataset_source": local_root,
        "output_path": plan.output_local_path,
        **_window_environment(plan),
    })
    if plan.capture_destination_uri and not plan.is_batch:
        environment["sagemaker_endpoint_datacapture_prefix"] = plan.capture_destination_uri
    inputs += _script_inputs(plan, environment, statistics=True)
    if plan.baseline_report_uri:  # sagewatch's: the baseline's row sample, for the multivariate MMD test
        inputs.append(_s3_input(BASELINE_REPORT_INPUT_NAME, plan.baseline_report_uri, BASELINE_REPORT_PATH))
        environment[BASELINE_REPORT_VARIABLE] = f"{BASELINE_REPORT_PATH}/{_basename(plan.baseline_report_uri)}"
    outputs = _report_outputs(plan, environment)
    return _request(plan, plan.job_name, inputs, outputs, environment, plan.app_specification)
