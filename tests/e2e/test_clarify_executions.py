"""Model-bias and model-explainability monitoring executions end to end, through boto3 as a user would drive them.

A real endpoint (a scikit-learn classifier of y = [x0 + 2 x1 - x2 > 0], answering the predicted label) captures its
traffic, invoked with ``InferenceId``.

- Bias: ground truth is uploaded in SageMaker's layout; the baseline ``analysis.json`` comes from a MODEL_BIAS
  baselining processing job on the Clarify image over the same rows; a ModelBias job definition (``ConfigUri``:
  the monitoring ``analysis_config.json``) and a ``NOW`` or hourly schedule start an execution: a
  ``groundtruth-merge-…`` job, then a ``model-bias-monitoring-…`` job on the Clarify image.
- Explainability: the baseline ``analysis.json`` comes from a Clarify processing job (method ``shap``) over the
  same rows, explaining the endpoint's model through a shadow endpoint; a ModelExplainability job definition and a
  ``NOW`` schedule run a ``model-explainability-monitoring-…`` job, which explains the captured requests through a
  shadow endpoint of the same model and compares the feature ranking with the baseline's (nDCG).
"""

import json
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from botocore.exceptions import ClientError

from sw_endpoints import ROLE, Deployer, capture_config, wait_for_capture

pytestmark = pytest.mark.e2e

CLARIFY = "205585389593.dkr.ecr.us-east-1.amazonaws.com/sagemaker-clarify-processing:1.0"
MERGER = "205585389593.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-groundtruth-merger"
CLUSTER = {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 20}}
DONE = ("Completed", "CompletedWithViolations", "Failed", "Stopped")
NAMESPACE = "aws/sagemaker/Endpoints/bias-metrics"
INVOCATIONS = 60
FEATURES = ["x0", "x1", "x2", "x3"]
# the sensitive group: x3 above 0 (a continuous facet)
BIAS_CONFIG = {"label_values_or_threshold": [1], "facet": [{"name_or_index": "x3", "value_or_threshold": [0]}],
               "methods": {"pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": "all"}}}
MONITORING_CONFIG = {"headers": FEATURES + ["label"], "label": "label", **BIAS_CONFIG}


def wait_for_job(sagemaker, name, timeout=120.0):
    deadline = time.monotonic() + timeout
    while (job := sagemaker.describe_processing_job(ProcessingJobName=name))["ProcessingJobStatus"] in (
            "InProgress", "Stopping"):
        assert time.monotonic() < deadline, f"processing job {name} still running after {timeout:g} s"
        time.sleep(0.3)
    return job


def wait_for_execution(sagemaker, schedule, timeout=180.0):
    deadline = time.monotonic() + timeout
    while True:
        summaries = sagemaker.list_monitoring_executions(
            MonitoringScheduleName=schedule)["MonitoringExecutionSummaries"]
        if summaries and summaries[0]["MonitoringExecutionStatus"] in DONE:
            return summaries[0]
        assert time.monotonic() < deadline, f"no finished execution of {schedule} after {timeout:g} s: {summaries}"
        time.sleep(0.5)


def read_json(s3, bucket, key):
    return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def post_json(url, body):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - the emulator under test
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


# --- fixtures -------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def module_bucket(aws_client):
    s3 = aws_client("s3")
    name = f"sw-model-bias-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=name)
    yield name
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=name):
        for item in page.get("Contents", []):
            s3.delete_object(Bucket=name, Key=item["Key"])
    s3.delete_bucket(Bucket=name)


@pytest.fixture(scope="module")
def captured(aws_client, module_bucket):
    """A real endpoint with data capture, invoked INVOCATIONS times; (endpoint, ids, rows as sent, true labels,
    the model's predicted labels, the model's name)."""
    deployer = Deployer(aws_client, module_bucket, lambda prefix: f"sw-mb-{prefix}-{uuid.uuid4().hex[:8]}")
    try:
        endpoint = deployer.deploy(capture=capture_config(module_bucket, "capture"))
        runtime = aws_client("sagemaker-runtime")
        rows = np.random.default_rng(21).normal(size=(INVOCATIONS, 4))
        texts = [",".join(f"{v:.4f}" for v in row) for row in rows]
        ids = [f"inference-{uuid.uuid4().hex[:8]}-{i}" for i in range(INVOCATIONS)]
        predictions = []
        for inference_id, text in zip(ids, texts):
            answer = runtime.invoke_endpoint(EndpointName=endpoint, Body=text.encode(), ContentType="text/csv",
                                             Accept="text/csv", InferenceId=inference_id)
            predictions.append(int(float(answer["Body"].read().decode().strip())))
        wait_for_capture(aws_client("s3"), module_bucket, f"capture/{endpoint}/", INVOCATIONS, settle=1.0)
        labels = (rows[:, 0] + 2 * rows[:, 1] - rows[:, 2] > 0).astype(int)
        yield endpoint, ids, texts, labels, predictions, deployer.models[0]
    finally:
        deployer.cleanup()


@pytest.fixture(scope="module")
def baseline(aws_client, module_bucket, captured):
    """analysis.json of a MODEL_BIAS baselining job on the Clarify image, over the invoked rows with their true
    and predicted labels (so that the same labels later measure exactly the baseline's values)."""
    sagemaker, s3 = aws_client("sagemaker"), aws_client("s3")
    _, _, texts, labels, predictions, _ = captured
    body = "".join(f"{t},{y},{p}\n" for t, y, p in zip(texts, labels, predictions))
    s3.put_object(Bucket=module_bucket, Key="baseline-data/rows.csv", Body=body.encode())
    config = {"dataset_type": "text/csv", "headers": FEATURES + ["label", "prediction"], "label": "label",
              "predicted_label": "prediction", **BIAS_CONFIG}
    s3.put_object(Bucket=module_bucket, Key="baseline-config/analysis_config.json", Body=json.dumps(config).encode())
    name = f"sw-mb-baseline-{uuid.uuid4().hex[:8]}"
    results = f"s3://{module_bucket}/baselining/{name}/results"
    sagemaker.create_processing_job(
        ProcessingJobName=name, RoleArn=ROLE, ProcessingResources=CLUSTER, AppSpecification={"ImageUri": CLARIFY},
        ProcessingInputs=[
            {"InputName": "analysis_config", "S3Input": {
                "S3Uri": f"s3://{module_bucket}/baseline-config/analysis_config.json", "S3DataType": "S3Prefix",
                "LocalPath": "/opt/ml/processing/input/config"}},
            {"InputName": "dataset", "S3Input": {
                "S3Uri": f"s3://{module_bucket}/baseline-data", "S3DataType": "S3Prefix",
                "LocalPath": "/opt/ml/processing/input/data"}}],
        ProcessingOutputConfig={"Outputs": [{"OutputName": "analysis_result", "S3Output": {
            "S3Uri": results, "LocalPath": "/opt/ml/processing/output", "S3UploadMode": "EndOfJob"}}]},
        Environment={"analysis_type": "MODEL_BIAS", "publish_cloudwatch_metrics": "Disabled"})
    job = wait_for_job(sagemaker, name)
    assert job["ProcessingJobStatus"] == "Completed", job.get("FailureReason")
    analysis = read_json(s3, module_bucket, f"baselining/{name}/results/analysis.json")
    assert analysis["pre_training_bias_metrics"]["label"] == "label"
    s3.put_object(Bucket=module_bucket, Key="monitoring-config/analysis_config.json",
                  Body=json.dumps(MONITORING_CONFIG).encode())
    return {"job": name, "analysis": f"{results}/analysis.json", "document": analysis,
            "config": f"s3://{module_bucket}/monitoring-config/analysis_config.json"}


@pytest.fixture
def cleanup(aws_client):
    """Schedules and job definitions to delete after the test: ``cleanup.append((kind, name))``."""
    items = []
    yield items
    sagemaker = aws_client("sagemaker")
    for kind, name in reversed(items):
        try:
            if kind == "schedule":
                sagemaker.delete_monitoring_schedule(MonitoringScheduleName=name)
                time.sleep(0.2)
            else:
                sagemaker.delete_model_bias_job_definition(JobDefinitionName=name)
        except ClientError:
            pass


def upload_ground_truth(s3, bucket, ids, labels):
    prefix, now = f"ground-truth/{uuid.uuid4().hex[:6]}", datetime.now(timezone.utc)
    body = "".join(json.dumps({"groundTruthData": {"data": str(int(y)), "encoding": "CSV"},
                               "eventMetadata": {"eventId": i}, "eventVersion": "0"}) + "\n"
                   for i, y in zip(ids, labels))
    s3.put_object(Bucket=bucket, Key=f"{prefix}/{now:%Y/%m/%d/%H}/{now:%M%S}.jsonl", Body=body.encode())
    return f"s3://{bucket}/{prefix}"


def create_definition(sagemaker, bucket, endpoint, baseline, ground_truth_uri, unique_name, cleanup):
    definition = unique_name("mb-definition")
    sagemaker.create_model_bias_job_definition(
        JobDefinitionName=definition, RoleArn=ROLE, JobResources=CLUSTER,
        ModelBiasAppSpecification={"ImageUri": CLARIFY, "ConfigUri": baseline["config"],
                                   "Environment": {"publish_cloudwatch_metrics": "Enabled"}},
        ModelBiasBaselineConfig={"ConstraintsResource": {"S3Uri": baseline["analysis"]}},
        ModelBiasJobInput={
            "EndpointInput": {"EndpointName": endpoint, "LocalPath": "/opt/ml/processing/input/endpoint",
                              "InferenceAttribute": "0", "S3InputMode": "File",
                              "S3DataDistributionType": "FullyReplicated"},
            "GroundTruthS3Input": {"S3Uri": ground_truth_uri}},
        ModelBiasJobOutputConfig={"MonitoringOutputs": [{"S3Output": {
            "S3Uri": f"s3://{bucket}/reports", "LocalPath": "/opt/ml/processing/output",
            "S3UploadMode": "Continuous"}}]},
        StoppingCondition={"MaxRuntimeInSeconds": 1800})
    cleanup.append(("definition", definition))
    return definition


def start_schedule(sagemaker, definition, unique_name, cleanup, expression="NOW"):
    schedule = unique_name("mb-now" if expression == "NOW" else "mb-hourly")
    config = {"ScheduleExpression": expression}
    if expression == "NOW":
        config.update(DataAnalysisStartTime="-PT1H", DataAnalysisEndTime="-PT0H")
    sagemaker.create_monitoring_schedule(MonitoringScheduleName=schedule, MonitoringScheduleConfig={
        "ScheduleConfig": config, "MonitoringJobDefinitionName": definition, "MonitoringType": "ModelBias"})
    cleanup.append(("schedule", schedule))
    return schedule


def jobs_of(sagemaker, execution):
    clarify = sagemaker.describe_processing_job(ProcessingJobName=execution["ProcessingJobArn"].rsplit("/", 1)[1])
    token = clarify["ProcessingJobName"].split("-", 3)[3]  # <yyyymmddHHMM>-<hex>
    merge = sagemaker.describe_processing_job(ProcessingJobName=f"groundtruth-merge-{token}")
    return merge, clarify


def facet_values(document, stage):
    return {m["name"]: m["value"] for m in document[stage]["facets"]["x3"][0]["metrics"]}


# --- tests ----------------------------------------------------------------------------------------------------


def test_unchanged_bias_completes_with_files_and_metrics(aws_client, module_bucket, captured, baseline,
                                                         unique_name, cleanup):
    sagemaker, s3, cloudwatch = aws_client("sagemaker"), aws_client("s3"), aws_client("cloudwatch")
    endpoint, ids, _, labels, _, _ = captured
    gt_uri = upload_ground_truth(s3, module_bucket, ids, labels)
    definition = create_definition(sagemaker, module_bucket, endpoint, baseline, gt_uri, unique_name, cleanup)
    described = sagemaker.describe_model_bias_job_definition(JobDefinitionName=definition)
    assert described["ModelBiasAppSpecification"]["ConfigUri"] == baseline["config"]
    schedule = start_schedule(sagemaker, definition, unique_name, cleanup)

    execution = wait_for_execution(sagemaker, schedule)
    assert execution["MonitoringExecutionStatus"] == "Completed", execution.get("FailureReason")
    assert (execution["MonitoringType"], execution["EndpointName"]) == ("ModelBias", endpoint)
    merge, clarify = jobs_of(sagemaker, execution)
    scheduled = execution["ScheduledTime"].astimezone(timezone.utc)
    assert clarify["ProcessingJobName"].startswith(f"model-bias-monitoring-{scheduled:%Y%m%d%H%M}-")
    assert merge["AppSpecification"]["ImageUri"] == MERGER and merge["ProcessingJobStatus"] == "Completed"
    assert merge["ExitMessage"].startswith(f"Completed: Merged {INVOCATIONS} records (")
    assert clarify["AppSpecification"]["ImageUri"] == CLARIFY
    assert clarify["ExitMessage"] == "Completed: Job completed successfully with no violations."
    environment = clarify["Environment"]
    assert (environment["analysis_type"], environment["analysis_config"], environment["baseline_constraints"],
            environment["dataset_source"], environment["endpoint_name"], environment["monitoring_schedule_name"],
            environment["inference_attribute"]) == (
        "MODEL_BIAS", "/opt/ml/processing/input/config/analysis_config.json",
        "/opt/ml/processing/baseline/constraints/analysis.json", "/opt/ml/processing/input/endpoint", endpoint,
        schedule, "0")
    assert json.loads(environment["dataset_format"]) == {
        "sagemakerMergeJson": {"captureIndexNames": ["endpointInput", "endpointOutput"]}}

    report = f"reports/{endpoint}/{schedule}/{scheduled:%Y/%m/%d/%H}"
    analysis = read_json(s3, module_bucket, f"{report}/analysis.json")
    for stage in ("pre_training_bias_metrics", "post_training_bias_metrics"):
        assert facet_values(analysis, stage) == facet_values(baseline["document"], stage)
    assert read_json(s3, module_bucket, f"{report}/constraint_violations.json") == {"version": "1.0",
                                                                                   "violations": []}
    sagewatch_report = read_json(s3, module_bucket, f"{report}/sagewatch_report.json")
    assert (sagewatch_report["rows_evaluated"], sagewatch_report["merge"]["merged"]) == (INVOCATIONS, INVOCATIONS)

    def ours(metric):
        dimensions = {d["Name"]: d["Value"] for d in metric["Dimensions"]}
        return (dimensions["Endpoint"], dimensions["MonitoringSchedule"], dimensions["Facet"]) == (
            endpoint, schedule, "x3")

    deadline = time.monotonic() + 30
    while not (metrics := [m for m in cloudwatch.list_metrics(Namespace=NAMESPACE)["Metrics"] if ours(m)]):
        assert time.monotonic() < deadline, "no bias metrics in CloudWatch"
        time.sleep(0.5)
    # every metric with a value: 8 pre-training and 11 post-training ones but CDDL and CDDPL (no group variable)
    assert len(metrics) == 17
    assert {"bias_metric_CI", "bias_metric_DPL", "bias_metric_DPPL", "bias_metric_DI"} <= {
        m["MetricName"] for m in metrics}


def test_grown_bias_is_a_violation(aws_client, module_bucket, captured, baseline, unique_name, cleanup):
    """Every label of the sensitive group (x3 > 0) set to 1: the label rates of the groups move apart."""
    sagemaker, s3 = aws_client("sagemaker"), aws_client("s3")
    endpoint, ids, texts, labels, _, _ = captured
    sensitive = np.array([float(t.split(",")[3]) > 0 for t in texts])
    gt_uri = upload_ground_truth(s3, module_bucket, ids, np.where(sensitive, 1, labels))
    definition = create_definition(sagemaker, module_bucket, endpoint, baseline, gt_uri, unique_name, cleanup)
    schedule = start_schedule(sagemaker, definition, unique_name, cleanup)
    execution = wait_for_execution(sagemaker, schedule)
    assert execution["MonitoringExecutionStatus"] == "CompletedWithViolations", execution.get("FailureReason")
    _, clarify = jobs_of(sagemaker, execution)
    assert clarify["ExitMessage"].startswith("CompletedWithViolations: Job completed successfully with ")
    scheduled = execution["ScheduledTime"].astimezone(timezone.utc)
    report = f"reports/{endpoint}/{schedule}/{scheduled:%Y/%m/%d/%H}"
    violations = read_json(s3, module_bucket, f"{report}/constraint_violations.json")["violations"]
    dpl = facet_values(read_json(s3, module_bucket, f"{report}/analysis.json"), "pre_training_bias_metrics")["DPL"]
    assert {"facet": "x3", "facet_value": violations[0]["facet_value"], "metric_name": "DPL",
            "constraint_check_type": "bias_drift_check",
            "description": f"Value {dpl} does not meet the constraint requirement"} in violations
    assert "CI" not in {v["metric_name"] for v in violations}  # the groups' sizes did not change


def test_hourly_schedule_runs_through_the_run_now_route(aws_client, endpoint_url, module_bucket, captured, baseline,
                                                        unique_name, cleanup):
    sagemaker, s3 = aws_client("sagemaker"), aws_client("s3")
    endpoint, ids, _, labels, _, _ = captured
    gt_uri = upload_ground_truth(s3, module_bucket, ids, labels)
    definition = create_definition(sagemaker, module_bucket, endpoint, baseline, gt_uri, unique_name, cleanup)
    schedule = start_schedule(sagemaker, definition, unique_name, cleanup, expression="cron(0 * ? * * *)")
    scheduled = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    status, summary = post_json(f"{endpoint_url}/_sagewatch/schedules/{schedule}/executions",
                                {"ScheduledTime": f"{scheduled:%Y-%m-%dT%H:%M:%SZ}"})
    assert status == 200, summary
    assert summary["MonitoringType"] == "ModelBias"
    execution = wait_for_execution(sagemaker, schedule)
    assert execution["MonitoringExecutionStatus"] == "Completed", execution.get("FailureReason")
    _, clarify = jobs_of(sagemaker, execution)
    hour = scheduled - timedelta(hours=1)
    assert (clarify["Environment"]["start_time"], clarify["Environment"]["end_time"]) == (
        f"{hour:%Y-%m-%dT%H:%M:%SZ}", f"{scheduled:%Y-%m-%dT%H:%M:%SZ}")
    keys = {o["Key"] for o in s3.list_objects_v2(
        Bucket=module_bucket, Prefix=f"reports/{endpoint}/{schedule}/{scheduled:%Y/%m/%d/%H}/")["Contents"]}
    assert {f"reports/{endpoint}/{schedule}/{scheduled:%Y/%m/%d/%H}/{name}"
            for name in ("analysis.json", "constraint_violations.json", "sagewatch_report.json")} <= keys


def test_no_ground_truth_fails_the_execution_with_the_reason(aws_client, module_bucket, captured, baseline,
                                                             unique_name, cleanup):
    sagemaker = aws_client("sagemaker")
    endpoint = captured[0]
    empty = f"s3://{module_bucket}/ground-truth/never-uploaded-{uuid.uuid4().hex[:6]}"
    definition = create_definition(sagemaker, module_bucket, endpoint, baseline, empty, unique_name, cleanup)
    schedule = start_schedule(sagemaker, definition, unique_name, cleanup)
    execution = wait_for_execution(sagemaker, schedule)
    assert execution["MonitoringExecutionStatus"] == "Failed"
    reason = execution["FailureReason"]
    assert reason.startswith(f"ClientError: No ground truth to merge: no usable ground-truth record under {empty} ")
    assert f"({INVOCATIONS} captured records in " in reason
    merge = sagemaker.describe_processing_job(ProcessingJobName=execution["ProcessingJobArn"].rsplit("/", 1)[1])
    assert merge["ProcessingJobName"].startswith("groundtruth-merge-") and merge["ProcessingJobStatus"] == "Failed"
    token = merge["ProcessingJobName"].split("-", 2)[2]
    assert sagemaker.list_processing_jobs(NameContains=f"model-bias-monitoring-{token}")[
        "ProcessingJobSummaries"] == []


# --- model explainability ---------------------------------------------------------------------------------------


def shap_config(model):
    return {"methods": {"shap": {"baseline": [[0.0, 0.0, 0.0, 0.0]], "num_samples": 64, "agg_method": "mean_abs",
                                 "seed": 7}},
            "predictor": {"model_name": model, "instance_type": "ml.m5.xlarge", "initial_instance_count": 1,
                          "content_type": "text/csv", "accept_type": "text/csv"},
            "headers": FEATURES}


@pytest.fixture(scope="module")
def explain_baseline(aws_client, module_bucket, captured):
    """analysis.json of a Clarify processing job (method shap) over the invoked rows, and the same file with the
    feature ranking turned upside down (a baseline the current traffic drifted from)."""
    sagemaker, s3 = aws_client("sagemaker"), aws_client("s3")
    _, _, texts, _, _, model = captured
    s3.put_object(Bucket=module_bucket, Key="explain-data/rows.csv", Body="".join(t + "\n" for t in texts).encode())
    config = {"dataset_type": "text/csv", **shap_config(model)}
    s3.put_object(Bucket=module_bucket, Key="explain-config/analysis_config.json", Body=json.dumps(config).encode())
    name = f"sw-me-baseline-{uuid.uuid4().hex[:8]}"
    results = f"s3://{module_bucket}/baselining/{name}/results"
    sagemaker.create_processing_job(
        ProcessingJobName=name, RoleArn=ROLE, ProcessingResources=CLUSTER, AppSpecification={"ImageUri": CLARIFY},
        ProcessingInputs=[
            {"InputName": "analysis_config", "S3Input": {
                "S3Uri": f"s3://{module_bucket}/explain-config/analysis_config.json", "S3DataType": "S3Prefix",
                "LocalPath": "/opt/ml/processing/input/config"}},
            {"InputName": "dataset", "S3Input": {
                "S3Uri": f"s3://{module_bucket}/explain-data", "S3DataType": "S3Prefix",
                "LocalPath": "/opt/ml/processing/input/data"}}],
        ProcessingOutputConfig={"Outputs": [{"OutputName": "analysis_result", "S3Output": {
            "S3Uri": results, "LocalPath": "/opt/ml/processing/output", "S3UploadMode": "EndOfJob"}}]})
    job = wait_for_job(sagemaker, name, timeout=300.0)
    assert job["ProcessingJobStatus"] == "Completed", job.get("FailureReason")
    analysis = read_json(s3, module_bucket, f"baselining/{name}/results/analysis.json")
    values = analysis["explanations"]["kernel_shap"]["label0"]["global_shap_values"]
    assert set(values) == set(FEATURES)
    ranked = sorted(values, key=values.get)
    reversed_values = dict(zip(ranked, sorted(values.values(), reverse=True)))
    drifted = {**analysis, "explanations": {"kernel_shap": {"label0": {
        **analysis["explanations"]["kernel_shap"]["label0"], "global_shap_values": reversed_values}}}}
    s3.put_object(Bucket=module_bucket, Key="explain-drifted/analysis.json", Body=json.dumps(drifted).encode())
    s3.put_object(Bucket=module_bucket, Key="explain-monitoring/analysis_config.json",
                  Body=json.dumps(shap_config(model)).encode())
    return {"analysis": f"{results}/analysis.json", "drifted": f"s3://{module_bucket}/explain-drifted/analysis.json",
            "config": f"s3://{module_bucket}/explain-monitoring/analysis_config.json", "values": values}


def start_explainability(sagemaker, bucket, endpoint, config_uri, baseline_uri, unique_name):
    definition, schedule = unique_name("me-definition"), unique_name("me-now")
    sagemaker.create_model_explainability_job_definition(
        JobDefinitionName=definition, RoleArn=ROLE, JobResources=CLUSTER,
        ModelExplainabilityAppSpecification={"ImageUri": CLARIFY, "ConfigUri": config_uri,
                                             "Environment": {"publish_cloudwatch_metrics": "Enabled"}},
        ModelExplainabilityBaselineConfig={"ConstraintsResource": {"S3Uri": baseline_uri}},
        ModelExplainabilityJobInput={"EndpointInput": {"EndpointName": endpoint,
                                                       "LocalPath": "/opt/ml/processing/input/endpoint"}},
        ModelExplainabilityJobOutputConfig={"MonitoringOutputs": [{"S3Output": {
            "S3Uri": f"s3://{bucket}/reports", "LocalPath": "/opt/ml/processing/output"}}]},
        StoppingCondition={"MaxRuntimeInSeconds": 1800})
    sagemaker.create_monitoring_schedule(MonitoringScheduleName=schedule, MonitoringScheduleConfig={
        "ScheduleConfig": {"ScheduleExpression": "NOW", "DataAnalysisStartTime": "-PT1H",
                           "DataAnalysisEndTime": "-PT0H"},
        "MonitoringJobDefinitionName": definition, "MonitoringType": "ModelExplainability"})
    return definition, schedule


@pytest.fixture
def explainability(aws_client, unique_name):
    """Starts explainability schedules and deletes them (and their definitions) afterwards."""
    sagemaker, made = aws_client("sagemaker"), []

    def start(*args):
        made.append(start_explainability(sagemaker, *args, unique_name))
        return made[-1][1]

    yield start
    for definition, schedule in made:
        for call in (lambda: sagemaker.delete_monitoring_schedule(MonitoringScheduleName=schedule),
                     lambda: sagemaker.delete_model_explainability_job_definition(JobDefinitionName=definition)):
            try:
                call()
            except ClientError:
                pass


def test_unchanged_attributions_complete_with_files_and_metrics(aws_client, module_bucket, captured,
                                                                explain_baseline, explainability):
    sagemaker, s3, cloudwatch = aws_client("sagemaker"), aws_client("s3"), aws_client("cloudwatch")
    endpoint = captured[0]
    schedule = explainability(module_bucket, endpoint, explain_baseline["config"], explain_baseline["analysis"])
    execution = wait_for_execution(sagemaker, schedule, timeout=300.0)
    assert execution["MonitoringExecutionStatus"] == "Completed", execution.get("FailureReason")
    assert execution["MonitoringType"] == "ModelExplainability"
    job = sagemaker.describe_processing_job(ProcessingJobName=execution["ProcessingJobArn"].rsplit("/", 1)[1])
    scheduled = execution["ScheduledTime"].astimezone(timezone.utc)
    assert job["ProcessingJobName"].startswith(f"model-explainability-monitoring-{scheduled:%Y%m%d%H%M}-")
    assert job["AppSpecification"]["ImageUri"] == CLARIFY
    assert (job["Environment"]["analysis_type"], json.loads(job["Environment"]["dataset_format"])) == (
        "MODEL_EXPLAINABILITY", {"sagemakerCaptureJson": {"captureIndexNames": ["endpointInput", "endpointOutput"]}})
    report = f"reports/{endpoint}/{schedule}/{scheduled:%Y/%m/%d/%H}"
    analysis = read_json(s3, module_bucket, f"{report}/analysis.json")
    assert set(analysis["explanations"]["kernel_shap"]["label0"]["global_shap_values"]) == set(FEATURES)
    assert read_json(s3, module_bucket, f"{report}/constraint_violations.json")["violations"] == []
    assert sagemaker.list_endpoints(NameContains="clarify")["Endpoints"] == []  # the shadow endpoint is gone

    deadline = time.monotonic() + 30
    namespace = "aws/sagemaker/Endpoints/explainability-metrics"
    while not (metrics := [m for m in cloudwatch.list_metrics(Namespace=namespace)["Metrics"]
                           if {"Name": "MonitoringSchedule", "Value": schedule} in m["Dimensions"]]):
        assert time.monotonic() < deadline, "no explainability metrics in CloudWatch"
        time.sleep(0.5)
    assert all({"Name": "Endpoint", "Value": endpoint} in m["Dimensions"] for m in metrics)


def test_a_changed_feature_ranking_is_an_attribution_drift_violation(aws_client, module_bucket, captured,
                                                                     explain_baseline, explainability):
    sagemaker, s3 = aws_client("sagemaker"), aws_client("s3")
    endpoint = captured[0]
    schedule = explainability(module_bucket, endpoint, explain_baseline["config"], explain_baseline["drifted"])
    execution = wait_for_execution(sagemaker, schedule, timeout=300.0)
    assert execution["MonitoringExecutionStatus"] == "CompletedWithViolations", execution.get("FailureReason")
    scheduled = execution["ScheduledTime"].astimezone(timezone.utc)
    violations = read_json(s3, module_bucket, f"reports/{endpoint}/{schedule}/{scheduled:%Y/%m/%d/%H}/"
                                              "constraint_violations.json")["violations"]
    assert [(v["label"], v["metric_name"], v["constraint_check_type"]) for v in violations] == [
        ("label0", "shap", "feature_attribution_drift_check")]
    assert violations[0]["description"].endswith("exceeds threshold 0.9")
