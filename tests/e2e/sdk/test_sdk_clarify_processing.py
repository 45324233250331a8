"""The SageMaker Python SDK's SageMakerClarifyProcessor (v2 and v3 lines) against the emulator.

One script per SDK line runs ``run_pre_training_bias``, ``run_post_training_bias`` and ``run_bias`` (both with a
``ModelConfig(model_name=...)``, so Clarify starts a shadow endpoint for the model) and ``run_explainability``
(``SHAPConfig`` with one baseline row), each with ``wait=True``, and reads every ``analysis.json`` back from S3.
The test checks what the SDK sent (image, inputs, outputs, analysis_config.json), the bias metrics against the
engine run locally on the same rows and the model's own predictions, two metrics by hand, the SHAP values against
exact Shapley values, and that no shadow endpoint is left behind.
"""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest
from clarify_kit import (FACET, FACET_VALUES, FEATURES, HEADERS, SHAP_BASELINE, THRESHOLD, class_imbalance,
                         deploy_model, engine_bias, exact_shapley, global_shap, labelled_dataset, metrics_of,
                         positive_proportion_difference, trained_model)
from sw_endpoints import ROLE

pytestmark = pytest.mark.e2e

ROWS = 120
CLARIFY_IMAGE = "205585389593.dkr.ecr.us-east-1.amazonaws.com/sagemaker-clarify-processing:1.0"


def check_request(job: dict, dataset: str, output: str) -> None:
    """What the SDK sends for every Clarify analysis (contract §7.1)."""
    assert job["status"] == "Completed", job["failure"]
    assert job["image"] == CLARIFY_IMAGE
    assert job["inputs"] == {
        "dataset": {"S3Uri": dataset, "LocalPath": "/opt/ml/processing/input/data", "S3DataType": "S3Prefix"},
        "analysis_config": {"S3Uri": f"{output}/analysis_config.json", "LocalPath": "/opt/ml/processing/input/config",
                            "S3DataType": "S3Prefix"}}
    assert job["outputs"] == {"analysis_result": {"S3Uri": output, "LocalPath": "/opt/ml/processing/output",
                                                  "S3UploadMode": "EndOfJob"}}
    assert not job["environment"]  # processing mode: no analysis_type, the config says what to compute
    config = job["config"]
    assert {key: config[key] for key in ("dataset_type", "headers", "label")} == {
        "dataset_type": "text/csv", "headers": HEADERS, "label": "label"}
    assert config["methods"]["report"] == {"name": "report", "title": "Analysis Report"}


@pytest.mark.parametrize("line", ["v2", "v3"])
def test_clarify_processor_runs_bias_and_shap_through_shadow_endpoints(line, run_sdk, deployer, bucket, unique_name,
                                                                       tmp_path):
    model = trained_model()
    model_name = deploy_model(deployer, model)
    data, features, labels = labelled_dataset(ROWS, seed=82)
    dataset = deployer.upload("clarify/train.csv", data)
    output = f"s3://{bucket}/clarify-output"

    result = run_sdk(line, "clarify_processing", {
        "role": ROLE, "model": model_name, "dataset": dataset, "headers": HEADERS, "label": "label",
        "facet": FACET, "facet_values": FACET_VALUES, "output": output, "shap_baseline": SHAP_BASELINE,
        "job": unique_name(f"sdk-{line}-clarify")})

    for analysis in ("pre", "post", "bias", "shap"):
        check_request(result[analysis], dataset, f"{output}/{analysis}")
    bias_keys = {"label_values_or_threshold": [1], "facet": [{"name_or_index": FACET, "value_or_threshold": [1]}]}
    predictor = {"model_name": model_name, "instance_type": "ml.m5.xlarge", "initial_instance_count": 1,
                 "accept_type": "text/csv", "content_type": "text/csv"}
    pre, post, both, shap = (result[a]["config"] for a in ("pre", "post", "bias", "shap"))
    assert {k: pre[k] for k in bias_keys} == bias_keys and "predictor" not in pre
    assert pre["methods"]["pre_training_bias"] == {"methods": "all"} and "post_training_bias" not in pre["methods"]
    assert post["predictor"] == predictor and post["probability_threshold"] == THRESHOLD
    assert post["methods"]["post_training_bias"] == {"methods": "all"}
    assert both["methods"]["pre_training_bias"] == both["methods"]["post_training_bias"] == {"methods": "all"}
    assert shap["predictor"] == predictor
    assert shap["methods"]["shap"] == {"baseline": [SHAP_BASELINE], "num_samples": 100, "agg_method": "mean_abs",
                                       "use_logit": False, "save_local_shap_values": True, "seed": 0}

    # pre-training bias: the engine's document on the same rows, and CI / DPL by hand
    expected_pre = engine_bias(pre, features, labels, None, tmp_path / "pre")
    assert result["pre"]["analysis"] == expected_pre
    metrics = metrics_of(result["pre"]["analysis"], "pre_training_bias_metrics")
    assert metrics["CI"] == pytest.approx(class_imbalance(features), abs=1e-12)
    assert metrics["DPL"] == pytest.approx(positive_proportion_difference(features, labels == 1), abs=1e-12)

    # post-training bias: predictions came from the model through a shadow endpoint
    probabilities = model.predict_proba(features)[:, 1]
    expected_post = engine_bias(post, features, labels, probabilities, tmp_path / "post")
    assert result["post"]["analysis"]["post_training_bias_metrics"] == expected_post["post_training_bias_metrics"]
    metrics = metrics_of(result["post"]["analysis"], "post_training_bias_metrics")
    assert metrics["DPPL"] == pytest.approx(positive_proportion_difference(features, probabilities > THRESHOLD),
                                            abs=1e-12)
    assert set(result["post"]["analysis"]) == {"version", "post_training_bias_metrics"}

    # run_bias: both stages, the same numbers as the two runs above
    assert result["bias"]["analysis"]["pre_training_bias_metrics"] == expected_pre["pre_training_bias_metrics"]
    assert result["bias"]["analysis"]["post_training_bias_metrics"] == expected_post["post_training_bias_metrics"]

    # SHAP: with one baseline row and 4 features, 100 samples enumerate every coalition: exact Shapley values
    exact = exact_shapley(model, features, SHAP_BASELINE)
    explanation = result["shap"]["analysis"]["explanations"]["kernel_shap"]["label0"]
    expected_value = float(model.predict_proba(np.array([SHAP_BASELINE], dtype=float))[0, 1])
    assert explanation["expected_value"] == pytest.approx(expected_value, abs=1e-9)
    assert list(global_shap(result["shap"]["analysis"])) == FEATURES
    assert list(global_shap(result["shap"]["analysis"]).values()) == pytest.approx(
        list(np.abs(exact).mean(axis=0)), abs=1e-6)
    local = list(csv.reader(io.StringIO(result["shap"]["out_csv"])))
    assert local[0] == [f"{name}_label0" for name in FEATURES]
    values = np.array(local[1:], dtype=float)
    assert values.shape == (ROWS, len(FEATURES))
    np.testing.assert_allclose(values, exact, atol=1e-6)
    np.testing.assert_allclose(values.sum(axis=1) + expected_value, model.predict_proba(features)[:, 1], atol=1e-6)

    # Clarify's shadow endpoints (and their endpoint configs) are gone; the model is the user's and stays
    before, after = result["resources_before"], result["resources_after"]
    assert after["endpoints"] == before["endpoints"]
    assert after["endpoint_configs"] == before["endpoint_configs"]
    assert model_name in after["models"]
