"""The SageMaker Python SDK's ModelExplainabilityMonitor workflow (v2 and v3 lines) against the emulator.

``suggest_baseline`` runs Clarify's SHAP analysis (one baseline row, every coalition enumerated) with a shadow
endpoint for the model; a ``NOW`` schedule then monitors a capture-enabled endpoint of the same model whose
traffic holds ``group``, ``x1`` and ``x2`` at the baseline row's values and moves only ``x3``, the least
important feature of the baseline: the ranking of global SHAP values turns over and the execution must report
feature-attribution drift (nDCG below 0.9). A daily schedule with the analysis config and baseline given
explicitly is created, listed, attached and deleted.

The v3 line's ``suggest_baseline`` and ``list_executions`` raise (see ``test_sdk_model_bias.py``).
"""

from __future__ import annotations

import numpy as np
import pytest
from clarify_kit import (FEATURES, HEADERS, SHAP_BASELINE, attribution_ndcg, deploy_model, exact_shapley,
                         feature_text, global_shap, labelled_dataset, parse_features, trained_model)
from sw_endpoints import ROLE, capture_config, variant, wait_for_capture

pytestmark = pytest.mark.e2e

INVOCATIONS = 30
CLARIFY_IMAGE = "205585389593.dkr.ecr.us-east-1.amazonaws.com/sagemaker-clarify-processing:1.0"
V3_SUGGEST_ERROR = "'ProcessingJob' object has no attribute 'sagemaker_session'"
V3_LIST_ERROR = "'MonitoringExecution' object has no attribute 'job_name'"


def shifted_traffic() -> np.ndarray:
    rng = np.random.default_rng(85)
    features = np.column_stack([np.zeros((INVOCATIONS, 3)), rng.uniform(-6, 6, INVOCATIONS)])
    return parse_features(feature_text(features))


def send_traffic(aws_client, bucket: str, endpoint: str, features: np.ndarray) -> None:
    runtime = aws_client("sagemaker-runtime")
    for line in feature_text(features):
        runtime.invoke_endpoint(EndpointName=endpoint, Body=line.encode(), ContentType="text/csv")
    wait_for_capture(aws_client("s3"), bucket, f"capture/{endpoint}/", INVOCATIONS)


@pytest.mark.parametrize("line", ["v2", "v3"])
def test_model_explainability_monitor_baseline_schedule_and_drift(line, run_sdk, deployer, aws_client, bucket,
                                                                  unique_name, schedules):
    model = trained_model()
    model_name = deploy_model(deployer, model)
    endpoint = deployer.endpoint(deployer.config([variant(model_name)], capture_config(bucket, "capture")))
    traffic = shifted_traffic()
    send_traffic(aws_client, bucket, endpoint, traffic)
    data, features, _ = labelled_dataset(100, seed=86)
    schedule, cron_schedule = unique_name(f"sdk-{line}-shap"), unique_name(f"sdk-{line}-shap-cron")
    schedules.extend([schedule, cron_schedule])

    result = run_sdk(line, "model_explainability", {
        "role": ROLE, "model": model_name, "endpoint": endpoint, "headers": HEADERS, "label": "label",
        "dataset": deployer.upload("validation/explain.csv", data), "shap_baseline": SHAP_BASELINE,
        "baseline_output": f"s3://{bucket}/shap-baselining", "reports": f"s3://{bucket}/shap-reports",
        "schedule": schedule, "cron_schedule": cron_schedule})

    if line == "v3":  # two bugs of sagemaker-core 2.27.0 the script works around (module docstring)
        assert result["suggest_error"] == V3_SUGGEST_ERROR
        assert result["list_executions_error"] == V3_LIST_ERROR
    # the baselining job: Clarify's SHAP with the model behind a shadow endpoint
    baselining = result["baselining_job"]
    assert baselining["status"] == "Completed", baselining["failure"]
    assert baselining["image"] == CLARIFY_IMAGE
    baseline_global = global_shap(baselining["analysis"])
    assert list(baseline_global) == FEATURES
    assert list(baseline_global.values()) == pytest.approx(
        list(np.abs(exact_shapley(model, features, SHAP_BASELINE)).mean(axis=0)), abs=1e-6)
    assert result["baseline_constraints"] == baselining["analysis"]

    # the NOW schedule and its job definition, as the SDK built them
    assert result["created"]["type"] == "ModelExplainability"
    assert result["created"]["expression"] == {"ScheduleExpression": "NOW", "DataAnalysisStartTime": "-PT1H",
                                               "DataAnalysisEndTime": "-PT0H"}
    definition = result["job_definition"]
    assert definition["ModelExplainabilityAppSpecification"]["ImageUri"] == CLARIFY_IMAGE
    assert definition["ModelExplainabilityBaselineConfig"] == {"BaseliningJobName": baselining["name"]}
    assert definition["ModelExplainabilityJobInput"]["EndpointInput"]["EndpointName"] == endpoint
    assert "GroundTruthS3Input" not in definition["ModelExplainabilityJobInput"]
    predictor = {"model_name": model_name, "instance_type": "ml.m5.xlarge", "initial_instance_count": 1,
                 "accept_type": "text/csv", "content_type": "text/csv"}
    assert result["config"] == {
        "methods": {"shap": {"baseline": [SHAP_BASELINE], "num_samples": 100, "agg_method": "mean_abs",
                             "use_logit": False, "save_local_shap_values": False, "seed": 0}},
        "predictor": predictor, "headers": FEATURES}

    # the execution: SHAP of the captured requests through a shadow endpoint, attribution drift flagged
    assert result["execution_summary"] == {"status": "CompletedWithViolations", "failure": None}
    assert result["executions"] == 1
    assert result["execution_status"] == "Completed", result["execution_failure"]
    assert result["execution_image"] == CLARIFY_IMAGE
    assert result["execution_output"].startswith(f"s3://{bucket}/shap-reports/{endpoint}/{schedule}/")
    current_global = global_shap(result["execution_analysis"])
    exact = np.abs(exact_shapley(model, traffic, SHAP_BASELINE)).mean(axis=0)
    assert list(current_global.values()) == pytest.approx(list(exact), abs=1e-6)
    assert exact[:3].max() == 0.0 and exact[3] > 0  # only x3 moved away from the baseline row
    ndcg = attribution_ndcg(baseline_global, current_global)
    assert ndcg < 0.9
    [violation] = result["violations"]["violations"]
    assert {key: violation[key] for key in ("label", "metric_name", "constraint_check_type")} == {
        "label": "label0", "metric_name": "shap", "constraint_check_type": "feature_attribution_drift_check"}
    prefix = "Feature attribution drift "
    assert violation["description"].startswith(prefix) and violation["description"].endswith(" exceeds threshold 0.9")
    assert float(violation["description"][len(prefix):].split()[0]) == pytest.approx(ndcg, abs=1e-9)
    assert result["last_execution"] == "CompletedWithViolations"

    # the daily schedule: explicit analysis config and constraints (the baseline analysis.json)
    cron = result["cron"]
    assert cron["expression"] == {"ScheduleExpression": "cron(0 6 ? * * *)"}
    assert cron["baseline"] == {"ConstraintsResource": {"S3Uri": f"s3://{bucket}/shap-baselining/analysis.json"}}
    assert cron["config"] == result["config"]
    assert cron["attached"] == cron_schedule
    assert sorted(result["listed"]) == sorted([schedule, cron_schedule])
    assert result["definitions_after_delete"] == ["ResourceNotFound", "ResourceNotFound"]

    # the shadow endpoints of the baselining job and of the execution are gone
    assert result["resources_after"]["endpoints"] == result["resources_before"]["endpoints"]
    assert result["resources_after"]["endpoint_configs"] == result["resources_before"]["endpoint_configs"]
