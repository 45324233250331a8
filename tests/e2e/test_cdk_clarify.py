"""``cdk deploy`` of the CDK kit with its bias and explainability monitors (``-c modelBias=true
-c modelExplainability=true``) to the local emulator, then one execution of each schedule.

Baselines come from baselining processing jobs (``analysis_type=MODEL_BIAS`` on a labelled, scored hold-out set;
``MODEL_EXPLAINABILITY`` with the demo model's file); the monitors then run on the demo traffic (half of it
drifted) and its ground truth: the bias execution after the ground-truth merge, the explainability execution
through a shadow endpoint of the endpoint's model, which Clarify deletes afterwards.
"""

from __future__ import annotations

import io
import json
import time

import joblib
import numpy as np
import pytest

from sagewatch.demo_data import churn_table
from sagewatch.demo_local import ANALYZER_IMAGE, FEATURES, ROLE_ARN, LocalLoop, _wait

pytestmark = pytest.mark.e2e

CLARIFY_CONTEXT = {
    "modelBias": "true", "modelExplainability": "true",
    "biasMetrics": json.dumps([{"metricName": "DPPL", "facet": "support_calls", "facetValue": "0,1",
                                "threshold": 0.3}]),
    "attributionFeatures": json.dumps([{"feature": "monthly_charges", "threshold": 0.4}])}
BIAS_CONFIG = {"label": "churn", "label_values_or_threshold": [1], "predicted_label": "prediction",
               "facet": [{"name_or_index": "support_calls", "value_or_threshold": [0, 1]}],
               "methods": {"pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": "all"}}}
SHAP_CONFIG = {"headers": FEATURES, "methods": {"shap": {
    "baseline": [[123.8, 42.15, 71.37, 2943.27, 180.17, 200.9, 1.5, 5.3]], "num_samples": 100,
    "agg_method": "mean_abs", "seed": 0, "save_local_shap_values": False}}}


def _clarify_baselining_job(loop: LocalLoop, bucket: str, kind: str, analysis_type: str, files: dict[str, bytes],
                            extra_inputs: dict[str, str]) -> dict:
    """Upload ``files`` under ``baselines/<kind>/`` and run a baselining job whose ``analysis.json`` lands at
    ``baselines/<kind>/analysis.json`` (the kit's default ``baselineConstraintsUri``)."""
    s3, sm = loop.client("s3"), loop.client("sagemaker")
    for key, body in files.items():
        s3.put_object(Bucket=bucket, Key=f"baselines/{kind}/{key}", Body=body)
    inputs = {"dataset": "/opt/ml/processing/input/data", "config": "/opt/ml/processing/input/config",
              **extra_inputs}
    name = f"baseline-{kind}-{int(time.time())}"
    sm.create_processing_job(
        ProcessingJobName=name, RoleArn=ROLE_ARN, AppSpecification={"ImageUri": ANALYZER_IMAGE},
        ProcessingResources={"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge",
                                               "VolumeSizeInGB": 20}},
        Environment={"analysis_type": analysis_type, "dataset_source": "/opt/ml/processing/input/data",
                     "analysis_config": "/opt/ml/processing/input/config/analysis_config.json",
                     "output_path": "/opt/ml/processing/output", "publish_cloudwatch_metrics": "Disabled"},
        ProcessingInputs=[{"InputName": input_name, "S3Input": {
            "S3Uri": f"s3://{bucket}/baselines/{kind}/{input_name}/", "LocalPath": path,
            "S3DataType": "S3Prefix", "S3InputMode": "File"}} for input_name, path in inputs.items()],
        ProcessingOutputConfig={"Outputs": [{"OutputName": "analysis_result", "S3Output": {
            "S3Uri": f"s3://{bucket}/baselines/{kind}", "LocalPath": "/opt/ml/processing/output",
            "S3UploadMode": "EndOfJob"}}]},
        StoppingCondition={"MaxRuntimeInSeconds": 600})
    job = _wait(lambda: sm.describe_processing_job(ProcessingJobName=name),
                lambda j: j["ProcessingJobStatus"] in ("Completed", "Failed", "Stopped"), 600, f"{kind} baseline")
    assert job["ProcessingJobStatus"] == "Completed", job.get("FailureReason")
    return json.loads(s3.get_object(Bucket=bucket, Key=f"baselines/{kind}/analysis.json")["Body"].read())


def _baselines(loop: LocalLoop, bucket: str) -> tuple[dict, dict]:
    table = churn_table(1000, seed=8)
    features = np.column_stack([table.column(n).to_numpy().astype(float) for n in FEATURES])
    labels = table.column("churn").to_pylist()
    predictions = (loop.model.predict_proba(features)[:, 1] > 0.5).astype(int)
    rows = "".join(",".join(f"{v:g}" for v in row) + f",{y},{p}\n" for row, y, p in zip(features, labels,
                                                                                          predictions))
    bias = _clarify_baselining_job(loop, bucket, "model-bias", "MODEL_BIAS", {
        "dataset/validation.csv": (",".join(FEATURES) + ",churn,prediction\n" + rows).encode(),
        "config/analysis_config.json": json.dumps(BIAS_CONFIG).encode()}, {})
    model = io.BytesIO()
    joblib.dump(loop.model, model)
    shap = _clarify_baselining_job(loop, bucket, "model-explainability", "MODEL_EXPLAINABILITY", {
        "dataset/validation.csv": "".join(",".join(f"{v:g}" for v in row) + "\n" for row in features[:200]).encode(),
        "config/analysis_config.json": json.dumps(SHAP_CONFIG).encode(),
        "model/model.joblib": model.getvalue()}, {"model": "/opt/ml/processing/input/model"})
    return bias, shap


def test_cdk_deploy_runs_the_bias_and_explainability_monitors(endpoint_url, tmp_path):
    loop = LocalLoop(endpoint_url, tmp_path, log=lambda *_: None, context=CLARIFY_CONTEXT)
    sm = loop.client("sagemaker")
    try:
        storage = loop.deploy_storage()
        loop.upload_model_and_baseline(storage["BaselinesBucketName"], rows=3000)
        bias_baseline, shap_baseline = _baselines(loop, storage["BaselinesBucketName"])
        assert "support_calls" in bias_baseline["post_training_bias_metrics"]["facets"]
        assert set(shap_baseline["explanations"]["kernel_shap"]["label0"]["global_shap_values"]) == set(FEATURES)
        endpoint, _ = loop.deploy_endpoint_and_monitoring()
        schedules = loop.schedule_names()
        assert {"ModelBias", "ModelExplainability"} <= set(schedules)

        bias_definition = sm.describe_model_bias_job_definition(JobDefinitionName=sm.describe_monitoring_schedule(
            MonitoringScheduleName=schedules["ModelBias"])["MonitoringScheduleConfig"]["MonitoringJobDefinitionName"])
        assert bias_definition["ModelBiasAppSpecification"]["ImageUri"].endswith("sagemaker-clarify-processing:1.0")
        config_uri = bias_definition["ModelBiasAppSpecification"]["ConfigUri"]
        bucket, _, key = config_uri[len("s3://"):].partition("/")
        config = json.loads(loop.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read())
        assert config["label"] == "churn" and config["facet"][0]["name_or_index"] == "support_calls"

        sent = loop.send_traffic(endpoint, 150)
        assert loop.wait_for_capture(storage["CapturesBucketName"], endpoint, sent) == sent
        loop.upload_ground_truth(storage["GroundTruthBucketName"], 150)

        bias = loop.run_schedule_now(schedules["ModelBias"])
        assert bias["MonitoringExecutionStatus"] in ("Completed", "CompletedWithViolations"), bias
        prefix, files = loop.read_reports(storage["ReportsBucketName"], endpoint, schedules["ModelBias"])
        assert prefix.startswith(f"s3://{storage['ReportsBucketName']}/monitoring/model-bias/{endpoint}/")
        analysis = json.loads(files["analysis.json"])
        assert "support_calls" in analysis["post_training_bias_metrics"]["facets"]
        violations = json.loads(files["constraint_violations.json"])["violations"]
        assert all(v["constraint_check_type"] == "bias_drift_check" for v in violations)
        assert bias["MonitoringExecutionStatus"] == ("CompletedWithViolations" if violations else "Completed")

        explained = loop.run_schedule_now(schedules["ModelExplainability"])
        assert explained["MonitoringExecutionStatus"] in ("Completed", "CompletedWithViolations"), explained
        _, files = loop.read_reports(storage["ReportsBucketName"], endpoint, schedules["ModelExplainability"])
        current = json.loads(files["analysis.json"])["explanations"]["kernel_shap"]["label0"]
        assert set(current["global_shap_values"]) == set(FEATURES)
        violations = json.loads(files["constraint_violations.json"])["violations"]
        assert all(v["constraint_check_type"] == "feature_attribution_drift_check" for v in violations)
        assert not [e for e in sm.list_endpoints()["Endpoints"] if e["EndpointName"].startswith("sm-clarify-")]

        cloudwatch = loop.client("cloudwatch")
        namespaces = {a["Namespace"]: a for a in cloudwatch.describe_alarms()["MetricAlarms"]}
        assert namespaces["aws/sagemaker/Endpoints/bias-metrics"]["MetricName"] == "bias_metric_DPPL"
        assert namespaces["aws/sagemaker/Endpoints/explainability-metrics"]["MetricName"] == "feature_monthly_charges"
        published = {}
        deadline = time.monotonic() + 60
        while "feature_monthly_charges" not in published and time.monotonic() < deadline:
            time.sleep(1)
            published = {m["MetricName"] for m in cloudwatch.list_metrics(
                Namespace="aws/sagemaker/Endpoints/explainability-metrics")["Metrics"]}
        assert "feature_monthly_charges" in published
    finally:
        loop.destroy()
