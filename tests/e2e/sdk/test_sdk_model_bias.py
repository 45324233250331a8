"""The SageMaker Python SDK's ModelBiasMonitor workflow (v2 and v3 lines) against the emulator.

``suggest_baseline`` runs Clarify's bias analysis with a shadow endpoint for the model; a ``NOW`` schedule then
monitors a capture-enabled endpoint of the same model whose traffic favours the sensitive group far more than
the baseline did (every request of group 1 is predicted positive, none of group 0), with ground truth for each
``InferenceId``; the execution (merge job, then Clarify) must flag the drift. An hourly schedule with the
analysis config and the baseline given explicitly is created, listed, attached and deleted.

sagemaker-core 2.27.0 (the v3 line) has two bugs in its Clarify monitors, on AWS too: ``suggest_baseline``
raises ``AttributeError`` after the baselining job has run (its ``ClarifyBaseliningJob`` reads
``processing_job.sagemaker_session``, which sagemaker-core's ``ProcessingJob`` does not have), and
``list_executions`` (so ``latest_monitoring_constraint_violations``) raises ``AttributeError`` (it reads
``execution.job_name``, which sagemaker-core's ``MonitoringExecution`` does not have). The v3 script records
both errors and goes on with what the monitor had stored and the base class's ``ModelMonitor.list_executions``;
the test pins the errors so an SDK fix is noticed.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

import numpy as np
import pytest
from clarify_kit import (FACET, FACET_VALUES, HEADERS, THRESHOLD, deploy_model, engine_bias, feature_text,
                         labelled_dataset, parse_features, trained_model)
from sw_endpoints import ROLE, capture_config, variant, wait_for_capture

pytestmark = pytest.mark.e2e

INVOCATIONS = 60  # above 40 rows, 0/1 columns count as categorical (fewer than 5 % distinct values)
CLARIFY_IMAGE = "205585389593.dkr.ecr.us-east-1.amazonaws.com/sagemaker-clarify-processing:1.0"
V3_SUGGEST_ERROR = "'ProcessingJob' object has no attribute 'sagemaker_session'"
V3_LIST_ERROR = "'MonitoringExecution' object has no attribute 'job_name'"


def biased_traffic() -> np.ndarray:
    """Rows alternating group 1 with a clearly positive score and group 0 with a clearly negative one."""
    rng = np.random.default_rng(83)
    group = np.arange(INVOCATIONS) % 2 == 0
    x1 = np.where(group, 2.0, -2.0) + rng.normal(scale=0.1, size=INVOCATIONS)
    x2 = np.where(group, -1.0, 1.0)
    features = np.column_stack([group.astype(int), x1, x2, rng.normal(size=INVOCATIONS)])
    return parse_features(feature_text(features))


def send_traffic_with_ground_truth(aws_client, bucket: str, endpoint: str, features: np.ndarray) -> tuple[
        np.ndarray, np.ndarray]:
    """(probabilities the endpoint answered, ground-truth labels uploaded); a label per ``InferenceId``."""
    s3, runtime = aws_client("s3"), aws_client("sagemaker-runtime")
    probabilities = []
    for i, line in enumerate(feature_text(features)):
        answer = runtime.invoke_endpoint(EndpointName=endpoint, Body=line.encode(), ContentType="text/csv",
                                         InferenceId=f"request-{i}")
        probabilities.append(float(answer["Body"].read().decode().strip()))
    wait_for_capture(s3, bucket, f"capture/{endpoint}/", INVOCATIONS)
    labels = (np.arange(INVOCATIONS) % 4 != 3).astype(int)  # mostly positive, for both groups
    records = [json.dumps({"groundTruthData": {"data": str(label), "encoding": "CSV"},
                           "eventMetadata": {"eventId": f"request-{i}"}, "eventVersion": "0"})
               for i, label in enumerate(labels)]
    hour = datetime.now(timezone.utc)
    s3.put_object(Bucket=bucket, Key=f"ground-truth/{hour:%Y/%m/%d/%H}/labels.jsonl",
                  Body=("\n".join(records) + "\n").encode())
    return np.array(probabilities), labels


def expected_violations(baseline: dict, current: dict) -> list[tuple[str, str]]:
    """(stage, metric) pairs farther from their ideal value than the baseline's (contract §7.6; DI ideal 1)."""
    found = []
    for stage, section in current.items():
        if stage == "version" or stage not in baseline:
            continue
        [base_facet] = baseline[stage]["facets"][FACET]
        base = {m["name"]: m["value"] for m in base_facet["metrics"]}
        [facet] = section["facets"][FACET]
        for metric in facet["metrics"]:
            name, value = metric["name"], metric["value"]
            if value is None or base.get(name) is None:  # null on either side: not evaluated
                continue
            ideal = 1.0 if name == "DI" else 0.0  # float() reads the "Infinity" / "-Infinity" of analysis.json
            if abs(float(value) - ideal) > abs(float(base[name]) - ideal):
                found.append((stage, name))
    return sorted(found)


@pytest.mark.parametrize("line", ["v2", "v3"])
def test_model_bias_monitor_baseline_schedule_and_drift(line, run_sdk, deployer, aws_client, bucket, unique_name,
                                                        schedules, tmp_path):
    model = trained_model()
    model_name = deploy_model(deployer, model)
    endpoint = deployer.endpoint(deployer.config([variant(model_name)], capture_config(bucket, "capture")))
    traffic = biased_traffic()
    probabilities, truth_labels = send_traffic_with_ground_truth(aws_client, bucket, endpoint, traffic)
    np.testing.assert_allclose(probabilities, model.predict_proba(traffic)[:, 1], rtol=0, atol=1e-12)
    data, features, labels = labelled_dataset(160, seed=84)
    schedule, cron_schedule = unique_name(f"sdk-{line}-bias"), unique_name(f"sdk-{line}-bias-cron")
    schedules.extend([schedule, cron_schedule])

    result = run_sdk(line, "model_bias", {
        "role": ROLE, "model": model_name, "endpoint": endpoint, "headers": HEADERS, "label": "label",
        "dataset": deployer.upload("validation/bias.csv", data), "facet": FACET, "facet_values": FACET_VALUES,
        "baseline_output": f"s3://{bucket}/bias-baselining", "ground_truth": f"s3://{bucket}/ground-truth",
        "reports": f"s3://{bucket}/bias-reports", "schedule": schedule, "cron_schedule": cron_schedule})

    if line == "v3":  # two bugs of sagemaker-core 2.27.0 the script works around (module docstring)
        assert result["suggest_error"] == V3_SUGGEST_ERROR
        assert result["list_executions_error"] == V3_LIST_ERROR
    # the baselining job: Clarify's run_bias with the model behind a shadow endpoint
    baselining = result["baselining_job"]
    assert baselining["status"] == "Completed", baselining["failure"]
    assert baselining["image"] == CLARIFY_IMAGE
    assert baselining["config"]["predictor"]["model_name"] == model_name
    expected = engine_bias(baselining["config"], features, labels, model.predict_proba(features)[:, 1],
                           tmp_path / "baseline")
    assert baselining["analysis"] == expected
    assert result["baseline_constraints"] == expected

    # the NOW schedule and its job definition, as the SDK built them
    assert result["created"]["type"] == "ModelBias"
    assert result["created"]["status"] in ("Pending", "Scheduled")
    assert result["created"]["expression"] == {"ScheduleExpression": "NOW", "DataAnalysisStartTime": "-PT1H",
                                               "DataAnalysisEndTime": "-PT0H"}
    definition = result["job_definition"]
    assert definition["ModelBiasAppSpecification"]["ImageUri"] == CLARIFY_IMAGE
    assert definition["ModelBiasAppSpecification"]["Environment"] == {"publish_cloudwatch_metrics": "Enabled"}
    assert definition["ModelBiasBaselineConfig"] == {"BaseliningJobName": baselining["name"]}
    assert definition["ModelBiasJobInput"]["EndpointInput"] == {
        "EndpointName": endpoint, "LocalPath": "/opt/ml/processing/input/endpoint", "S3InputMode": "File",
        "S3DataDistributionType": "FullyReplicated", "ProbabilityThresholdAttribute": THRESHOLD}
    assert definition["ModelBiasJobInput"]["GroundTruthS3Input"] == {"S3Uri": f"s3://{bucket}/ground-truth"}
    assert result["config"] == {"label_values_or_threshold": [1],
                                "facet": [{"name_or_index": FACET, "value_or_threshold": FACET_VALUES}],
                                "headers": HEADERS, "label": "label"}

    # the execution: merged captures and ground truth, bias drift flagged against the baseline
    assert result["execution_summary"] == {"status": "CompletedWithViolations", "failure": None}
    assert result["executions"] == 1
    assert result["execution_status"] == "Completed", result["execution_failure"]
    assert result["execution_image"] == CLARIFY_IMAGE
    assert result["execution_exit_message"].startswith("CompletedWithViolations")
    assert result["execution_output"].startswith(f"s3://{bucket}/bias-reports/{endpoint}/{schedule}/")
    current = result["execution_analysis"]
    assert "post_training_bias_metrics" in current
    expected_current = engine_bias(result["config"], traffic, truth_labels, probabilities, tmp_path / "current")
    for stage in current:
        assert current[stage] == expected_current[stage], stage
    violations = result["violations"]["violations"]
    assert all(v["constraint_check_type"] == "bias_drift_check" and v["facet"] == FACET and v["facet_value"] == "1"
               for v in violations)
    flagged = sorted(v["metric_name"] for v in violations)
    assert flagged == sorted(name for _, name in expected_violations(baselining["analysis"], current))
    assert "DPPL" in flagged  # designed: the model now accepts all of group 1 and none of group 0
    assert result["last_execution"] == "CompletedWithViolations"

    # the hourly schedule: explicit analysis config and constraints (the baseline analysis.json)
    cron = result["cron"]
    assert cron["status"] in ("Pending", "Scheduled")
    assert cron["expression"] == {"ScheduleExpression": "cron(0 * ? * * *)"}
    assert cron["baseline"] == {"ConstraintsResource": {"S3Uri": f"s3://{bucket}/bias-baselining/analysis.json"}}
    assert cron["endpoint_input"]["StartTimeOffset"] == "-PT2H" and cron["endpoint_input"]["EndTimeOffset"] == "-PT1H"
    assert cron["config"] == result["config"]
    assert cron["attached"] == cron_schedule
    assert sorted(result["listed"]) == sorted([schedule, cron_schedule])
    assert result["definitions_after_delete"] == ["ResourceNotFound", "ResourceNotFound"]

    # the baselining job's shadow endpoint is gone
    assert result["resources_after"]["endpoints"] == result["resources_before"]["endpoints"]
    assert result["resources_after"]["endpoint_configs"] == result["resources_before"]["endpoint_configs"]
